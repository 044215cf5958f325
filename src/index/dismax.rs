//! A disjunction-max query for a word searched beside filters. Tantivy's
//! `DisjunctionMaxQuery` buffers its disjuncts window by window: whatever
//! documents the filters leave, it decodes and scores every posting of every
//! field the word is searched in (ten or so lists of thousands of documents
//! for a common word), most of the cost of a filtered search. This one seeks
//! each disjunct to the documents the filters let through and scores only
//! those. Its scores are the same: the best disjunct's score plus
//! `tie_breaker` times the others', summed in disjunct order.

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

#[derive(Debug)]
pub struct SeekingDisMaxQuery {
    disjuncts: Vec<Box<dyn Query>>,
    tie_breaker: Score,
}

impl SeekingDisMaxQuery {
    pub fn new(disjuncts: Vec<Box<dyn Query>>, tie_breaker: Score) -> Self {
        SeekingDisMaxQuery {
            disjuncts,
            tie_breaker,
        }
    }
}

impl Clone for SeekingDisMaxQuery {
    fn clone(&self) -> Self {
        SeekingDisMaxQuery {
            disjuncts: self.disjuncts.iter().map(|d| d.box_clone()).collect(),
            tie_breaker: self.tie_breaker,
        }
    }
}

impl Query for SeekingDisMaxQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self
            .disjuncts
            .iter()
            .map(|d| d.weight(enable_scoring))
            .collect::<tantivy::Result<_>>()?;
        Ok(Box::new(SeekingDisMaxWeight {
            weights,
            tie_breaker: self.tie_breaker,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for disjunct in &self.disjuncts {
            disjunct.query_terms(visitor);
        }
    }
}

struct SeekingDisMaxWeight {
    weights: Vec<Box<dyn Weight>>,
    tie_breaker: Score,
}

impl Weight for SeekingDisMaxWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut disjuncts = Vec::with_capacity(self.weights.len());
        for weight in &self.weights {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                disjuncts.push(scorer);
            }
        }
        if disjuncts.is_empty() {
            return Ok(Box::new(EmptyScorer));
        }
        let doc = disjuncts
            .iter()
            .map(|d| d.doc())
            .min()
            .unwrap_or(TERMINATED);
        Ok(Box::new(SeekingDisMaxScorer {
            disjuncts,
            doc,
            tie_breaker: self.tie_breaker,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document #{doc} does not match"
            )));
        }
        Ok(Explanation::new("disjunction max", scorer.score()))
    }
}

struct SeekingDisMaxScorer {
    disjuncts: Vec<Box<dyn Scorer>>,
    /// The smallest document any disjunct is on.
    doc: DocId,
    tie_breaker: Score,
}

impl DocSet for SeekingDisMaxScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        let current = self.doc;
        let mut next = TERMINATED;
        for disjunct in &mut self.disjuncts {
            let doc = if disjunct.doc() == current {
                disjunct.advance()
            } else {
                disjunct.doc()
            };
            next = next.min(doc);
        }
        self.doc = next;
        next
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let mut next = TERMINATED;
        for disjunct in &mut self.disjuncts {
            let doc = if disjunct.doc() < target {
                disjunct.seek(target)
            } else {
                disjunct.doc()
            };
            next = next.min(doc);
        }
        self.doc = next;
        next
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.disjuncts
            .iter()
            .map(|d| d.size_hint())
            .fold(0u32, u32::saturating_add)
    }

    fn cost(&self) -> u64 {
        self.disjuncts.iter().map(|d| d.cost()).sum()
    }
}

impl Scorer for SeekingDisMaxScorer {
    fn score(&mut self) -> Score {
        let (mut max, mut sum): (Score, Score) = (0.0, 0.0);
        for disjunct in &mut self.disjuncts {
            if disjunct.doc() == self.doc {
                let score = disjunct.score();
                max = Score::max(score, max);
                sum += score;
            }
        }
        max + (sum - max) * self.tie_breaker
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::{
        BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, TermQuery,
    };
    use tantivy::schema::{IndexRecordOption, Schema, STRING, TEXT};
    use tantivy::{doc, Index, IndexWriter};

    /// Same documents, same scores as Tantivy's dismax, with and without a filter.
    #[test]
    fn scores_match_tantivy_dismax() {
        let mut schema = Schema::builder();
        let title = schema.add_text_field("title", TEXT);
        let body = schema.add_text_field("body", TEXT);
        let country = schema.add_text_field("country", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer(15_000_000).unwrap();
        for i in 0..3000u32 {
            let words = ["diabetes", "cancer", "registry", "cohort"];
            writer
                .add_document(doc!(
                    title => format!("{} {}", words[(i % 4) as usize], words[(i % 3) as usize]),
                    body => format!("{} study {}", words[(i % 7 % 4) as usize], i % 5),
                    country => if i % 3 == 0 { "NO" } else { "SE" },
                ))
                .unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let disjuncts = || -> Vec<Box<dyn Query>> {
            vec![
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_text(title, "diabetes"),
                        IndexRecordOption::WithFreqs,
                    )),
                    3.0,
                )),
                Box::new(TermQuery::new(
                    Term::from_field_text(body, "diabetes"),
                    IndexRecordOption::WithFreqs,
                )),
                Box::new(TermQuery::new(
                    Term::from_field_text(body, "absent"),
                    IndexRecordOption::WithFreqs,
                )),
            ]
        };
        let filtered = |text: Box<dyn Query>| -> BooleanQuery {
            BooleanQuery::new(vec![
                (Occur::Must, text),
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(
                        Box::new(TermQuery::new(
                            Term::from_field_text(country, "NO"),
                            IndexRecordOption::Basic,
                        )),
                        0.0,
                    )),
                ),
            ])
        };
        let top = TopDocs::with_limit(5000).order_by_score();
        for (ours, theirs) in [
            (
                Box::new(SeekingDisMaxQuery::new(disjuncts(), 0.1)) as Box<dyn Query>,
                Box::new(DisjunctionMaxQuery::with_tie_breaker(disjuncts(), 0.1)) as Box<dyn Query>,
            ),
            (
                Box::new(filtered(Box::new(SeekingDisMaxQuery::new(
                    disjuncts(),
                    0.1,
                )))),
                Box::new(filtered(Box::new(DisjunctionMaxQuery::with_tie_breaker(
                    disjuncts(),
                    0.1,
                )))),
            ),
        ] {
            let mut a = searcher.search(ours.as_ref(), &top).unwrap();
            let mut b = searcher.search(theirs.as_ref(), &top).unwrap();
            assert!(!a.is_empty());
            a.sort_by_key(|(_, address)| *address);
            b.sort_by_key(|(_, address)| *address);
            assert_eq!(a.len(), b.len());
            for ((sa, da), (sb, db)) in a.iter().zip(&b) {
                assert_eq!(da, db);
                assert!((sa - sb).abs() <= 1e-5 * sb.abs(), "{sa} {sb}");
            }
        }
    }
}
