//! Cached document sets, per segment, like Lucene's query cache: the
//! documents a filter (a country, an age range), a word (every field it is
//! searched in) or a prefix expansion matches are read from the postings
//! once, kept as a bit set per segment, and then combined by AND-ing words
//! of bits. A search whose parts were seen before (in any combination)
//! reads no posting list to find its candidates, and scores only the
//! documents every required part lets through: the words' fields are
//! sought to those candidates alone. Segments are immutable; deleted
//! documents stay in the sets, and tantivy's collectors skip them. The
//! cache is emptied at every reload, with the answer cache.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tantivy::index::SegmentId;
use tantivy::query::{ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::Schema;
use tantivy::{DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

/// The documents of one segment a clause matches, one bit each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocBits {
    words: Vec<u64>,
    /// Number of set bits.
    len: u32,
}

impl DocBits {
    fn empty(max_doc: u32) -> Self {
        DocBits {
            words: vec![0; (max_doc as usize).div_ceil(64)],
            len: 0,
        }
    }

    /// Every document below `max_doc`.
    pub fn full(max_doc: u32) -> Self {
        let mut bits = DocBits {
            words: vec![u64::MAX; (max_doc as usize).div_ceil(64)],
            len: max_doc,
        };
        let tail = max_doc % 64;
        if let (Some(last), true) = (bits.words.last_mut(), tail != 0) {
            *last = (1u64 << tail) - 1;
        }
        bits
    }

    /// Adds the documents of a doc set, from where it is on to its end
    /// ([`DocBits::recount`] after the last).
    pub fn add(&mut self, docs: &mut dyn DocSet) {
        let mut doc = docs.doc();
        while doc != TERMINATED {
            if let Some(word) = self.words.get_mut(doc as usize / 64) {
                *word |= 1u64 << (doc % 64);
            }
            doc = docs.advance();
        }
    }

    /// Keeps the documents also in `other`.
    pub fn intersect(&mut self, other: &DocBits) {
        for (word, other) in self.words.iter_mut().zip(&other.words) {
            *word &= other;
        }
        // A shorter other (never, for one segment) holds none of the rest.
        for word in self.words.iter_mut().skip(other.words.len()) {
            *word = 0;
        }
    }

    /// Drops the documents in `other`.
    pub fn subtract(&mut self, other: &DocBits) {
        for (word, other) in self.words.iter_mut().zip(&other.words) {
            *word &= !other;
        }
    }

    /// Counts the set bits again after [`DocBits::intersect`] / [`DocBits::subtract`].
    pub fn recount(&mut self) {
        self.len = self.words.iter().map(|w| w.count_ones()).sum();
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn bytes(&self) -> usize {
        self.words.len() * 8 + std::mem::size_of::<Self>()
    }
}

/// Walks the documents of a [`DocBits`].
pub struct BitsDocSet {
    bits: Arc<DocBits>,
    /// Index of the word being walked.
    word: usize,
    /// Its bits not yet returned.
    rest: u64,
    doc: DocId,
}

impl BitsDocSet {
    pub fn new(bits: Arc<DocBits>) -> Self {
        let rest = bits.words.first().copied().unwrap_or(0);
        let mut docs = BitsDocSet {
            bits,
            word: 0,
            rest,
            doc: 0,
        };
        docs.doc = docs.next_set();
        docs
    }

    fn next_set(&mut self) -> DocId {
        loop {
            if self.rest != 0 {
                let bit = self.rest.trailing_zeros();
                self.rest &= self.rest - 1;
                return (self.word * 64) as DocId + bit;
            }
            self.word += 1;
            match self.bits.words.get(self.word) {
                Some(&word) => self.rest = word,
                None => return TERMINATED,
            }
        }
    }
}

impl DocSet for BitsDocSet {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = self.next_set();
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let word = target as usize / 64;
        if word >= self.bits.words.len() {
            self.doc = TERMINATED;
            return TERMINATED;
        }
        if word > self.word {
            self.word = word;
            self.rest = self.bits.words[word];
        }
        // Bits of this word below the target are behind.
        self.rest &= u64::MAX << (target % 64);
        self.doc = self.next_set();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.bits.len
    }
}

/// At most this many bytes of sets (about 2,600 clauses at 100,000
/// documents, 260 at a million), and as many of word scores; the oldest
/// go first.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// What a [`SegmentCache`] keeps: its size counts against the budget.
pub trait CacheSize {
    fn bytes(&self) -> usize;
}

impl CacheSize for DocBits {
    fn bytes(&self) -> usize {
        DocBits::bytes(self)
    }
}

struct Entries<V> {
    by_segment: HashMap<SegmentId, HashMap<Arc<str>, Arc<V>>>,
    /// Insertion order, oldest first: the first evicted.
    order: VecDeque<(SegmentId, Arc<str>)>,
    bytes: usize,
}

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries {
            by_segment: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
        }
    }
}

/// Values computed per segment searched, by segment and clause key.
pub struct SegmentCache<V> {
    entries: Mutex<Entries<V>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<V> Default for SegmentCache<V> {
    fn default() -> Self {
        SegmentCache {
            entries: Mutex::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }
}

/// The cached document sets of the segments searched.
pub type DocSetCache = SegmentCache<DocBits>;

/// The cached scores of words in the segments searched.
pub type ScoreCache = SegmentCache<DocScores>;

impl<V: CacheSize> SegmentCache<V> {
    /// The value of a clause in a segment, computed by `compute` when missing.
    pub fn get_or_compute(
        &self,
        segment: SegmentId,
        key: &Arc<str>,
        compute: impl FnOnce() -> tantivy::Result<V>,
    ) -> tantivy::Result<Arc<V>> {
        if let Some(value) = self.entries.lock().ok().and_then(|entries| {
            entries
                .by_segment
                .get(&segment)
                .and_then(|values| values.get(key.as_ref()).cloned())
        }) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(value);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        // Computed outside the lock: two searches may compute the same value
        // once each at first, which is harmless.
        let value = Arc::new(compute()?);
        if let Ok(mut entries) = self.entries.lock() {
            let size = value.bytes() + key.len();
            if size <= MAX_BYTES {
                while entries.bytes + size > MAX_BYTES {
                    let Some((old_segment, old_key)) = entries.order.pop_front() else {
                        break;
                    };
                    let removed = entries
                        .by_segment
                        .get_mut(&old_segment)
                        .and_then(|values| values.remove(&old_key));
                    if let Some(removed) = removed {
                        entries.bytes -= removed.bytes() + old_key.len();
                    }
                }
                let previous = entries
                    .by_segment
                    .entry(segment)
                    .or_default()
                    .insert(key.clone(), value.clone());
                match previous {
                    Some(previous) => entries.bytes -= previous.bytes() + key.len(),
                    None => entries.order.push_back((segment, key.clone())),
                }
                entries.bytes += size;
            }
        }
        Ok(value)
    }

    /// Forgets every value (after a reload: segments merged away, new ones).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            *entries = Entries::default();
        }
    }

    /// (hits, misses) so far.
    pub fn lookups(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// (entries, bytes) kept now.
    pub fn size(&self) -> (usize, usize) {
        self.entries
            .lock()
            .map(|entries| (entries.order.len(), entries.bytes))
            .unwrap_or((0, 0))
    }
}

/// The score of a word (a disjunction over its fields) at every document
/// of a segment it matches, in document order. BM25 statistics are the
/// searcher's, which change only at a reload, when the cache is emptied.
#[derive(Debug, Default, PartialEq)]
pub struct DocScores {
    docs: Vec<DocId>,
    scores: Vec<Score>,
}

impl DocScores {
    /// Walks a scorer from where it is to its end.
    pub fn collect(scorer: &mut dyn Scorer) -> Self {
        let mut out = DocScores::default();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            out.docs.push(doc);
            out.scores.push(scorer.score());
            doc = scorer.advance();
        }
        out.docs.shrink_to_fit();
        out.scores.shrink_to_fit();
        out
    }
}

impl CacheSize for DocScores {
    fn bytes(&self) -> usize {
        (self.docs.len() + self.scores.len()) * 4 + std::mem::size_of::<Self>()
    }
}

/// Reads a [`DocScores`] at ascending documents.
struct ScoresCursor {
    scores: Arc<DocScores>,
    at: usize,
}

impl ScoresCursor {
    /// The score at `doc` (0 when the word is not there); `doc` must not
    /// be below the previous one asked.
    fn score_at(&mut self, doc: DocId) -> Score {
        let docs = &self.scores.docs[self.at..];
        // Galloping: candidates are often close together.
        let mut step = 1;
        while step < docs.len() && docs[step - 1] < doc {
            step *= 2;
        }
        let window = &docs[..step.min(docs.len())];
        let found = window.partition_point(|&d| d < doc);
        self.at += found;
        match self.scores.docs.get(self.at) {
            Some(&d) if d == doc => self.scores.scores[self.at],
            _ => 0.0,
        }
    }
}

/// A clause whose documents are cached per segment under `key` (which must
/// name everything the clause matches by): those any of `inner` matches.
/// It scores every document the same (its boost).
pub struct CachedSetQuery {
    key: Arc<str>,
    inner: Vec<Box<dyn Query>>,
    cache: Arc<DocSetCache>,
}

impl CachedSetQuery {
    pub fn new(key: String, inner: Box<dyn Query>, cache: Arc<DocSetCache>) -> Self {
        Self::any_of(key, vec![inner], cache)
    }

    /// The documents any of `inner` matches: each is read on its own
    /// into the set, which costs much less than walking their union.
    pub fn any_of(key: String, inner: Vec<Box<dyn Query>>, cache: Arc<DocSetCache>) -> Self {
        CachedSetQuery {
            key: key.into(),
            inner,
            cache,
        }
    }

    fn cached_weight(&self, schema: &Schema) -> CachedSetWeight {
        CachedSetWeight {
            key: self.key.clone(),
            inner: self.inner.iter().map(|q| q.box_clone()).collect(),
            cache: self.cache.clone(),
            schema: schema.clone(),
        }
    }
}

impl Clone for CachedSetQuery {
    fn clone(&self) -> Self {
        CachedSetQuery {
            key: self.key.clone(),
            inner: self.inner.iter().map(|q| q.box_clone()).collect(),
            cache: self.cache.clone(),
        }
    }
}

impl std::fmt::Debug for CachedSetQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CachedSet({})", self.key)
    }
}

impl Query for CachedSetQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.cached_weight(enable_scoring.schema())))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for query in &self.inner {
            query.query_terms(visitor);
        }
    }
}

struct CachedSetWeight {
    key: Arc<str>,
    /// Searched (without scores) only when the set of a segment is missing.
    inner: Vec<Box<dyn Query>>,
    cache: Arc<DocSetCache>,
    schema: Schema,
}

impl CachedSetWeight {
    fn bits(&self, reader: &SegmentReader) -> tantivy::Result<Arc<DocBits>> {
        self.cache
            .get_or_compute(reader.segment_id(), &self.key, || {
                let mut bits = DocBits::empty(reader.max_doc());
                for query in &self.inner {
                    let weight = query.weight(EnableScoring::disabled_from_schema(&self.schema))?;
                    bits.add(weight.scorer(reader, 1.0)?.as_mut());
                }
                bits.recount();
                Ok(bits)
            })
    }
}

impl Weight for CachedSetWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let bits = self.bits(reader)?;
        if bits.is_empty() {
            return Ok(Box::new(EmptyScorer));
        }
        Ok(Box::new(ConstScorer::new(BitsDocSet::new(bits), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut docs = BitsDocSet::new(self.bits(reader)?);
        if docs.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document #{doc} does not match"
            )));
        }
        Ok(Explanation::new("cached set", 1.0))
    }
}

/// A scored clause of a [`CandidateQuery`]: its scores per segment are
/// cached under `key`, which must name everything they depend on (the
/// word, its fields, their order).
pub struct ScoredClause {
    pub key: String,
    pub query: Box<dyn Query>,
}

impl Clone for ScoredClause {
    fn clone(&self) -> Self {
        ScoredClause {
            key: self.key.clone(),
            query: self.query.box_clone(),
        }
    }
}

impl std::fmt::Debug for ScoredClause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scored({})", self.key)
    }
}

/// A search: the candidates are the documents in every `required` set and
/// in no `excluded` one (all cached); each candidate's score is the sum of
/// the `scored` clauses' scores there, or 1 when nothing is scored.
/// `scored` clauses must match every candidate (each is one of the
/// `required` sets, scored). A clause's scores in a segment are computed
/// once, over every document it matches, and cached: seeking each field of
/// a word to each candidate decodes a block of postings per field and
/// candidate, most of the cost of a search when the word's scores are not
/// kept.
pub struct CandidateQuery {
    required: Vec<CachedSetQuery>,
    excluded: Vec<CachedSetQuery>,
    scored: Vec<ScoredClause>,
    scores: Arc<ScoreCache>,
}

impl CandidateQuery {
    pub fn new(
        required: Vec<CachedSetQuery>,
        excluded: Vec<CachedSetQuery>,
        scored: Vec<ScoredClause>,
        scores: Arc<ScoreCache>,
    ) -> Self {
        CandidateQuery {
            required,
            excluded,
            scored,
            scores,
        }
    }
}

impl Clone for CandidateQuery {
    fn clone(&self) -> Self {
        CandidateQuery {
            required: self.required.clone(),
            excluded: self.excluded.clone(),
            scored: self.scored.clone(),
            scores: self.scores.clone(),
        }
    }
}

impl std::fmt::Debug for CandidateQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CandidateQuery")
            .field("required", &self.required)
            .field("excluded", &self.excluded)
            .field("scored", &self.scored)
            .finish()
    }
}

impl Query for CandidateQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let schema = enable_scoring.schema();
        Ok(Box::new(CandidateWeight {
            required: self
                .required
                .iter()
                .map(|q| q.cached_weight(schema))
                .collect(),
            excluded: self
                .excluded
                .iter()
                .map(|q| q.cached_weight(schema))
                .collect(),
            scored: self
                .scored
                .iter()
                .map(|clause| {
                    // BM25 statistics are the searcher's: a search still on
                    // the searcher before a reload must not leave its scores
                    // for the searchers after it (a segment can outlive it).
                    let key = match enable_scoring.searcher() {
                        Some(searcher) => {
                            format!("{} {}", searcher.generation().generation_id(), clause.key)
                        }
                        None => clause.key.clone(),
                    };
                    Ok((Arc::from(key), clause.query.weight(enable_scoring)?))
                })
                .collect::<tantivy::Result<_>>()?,
            scores: self.scores.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for clause in &self.scored {
            clause.query.query_terms(visitor);
        }
    }
}

struct CandidateWeight {
    required: Vec<CachedSetWeight>,
    excluded: Vec<CachedSetWeight>,
    /// Each scored clause's weight, with its key in the score cache.
    scored: Vec<(Arc<str>, Box<dyn Weight>)>,
    scores: Arc<ScoreCache>,
}

impl CandidateWeight {
    fn candidates(&self, reader: &SegmentReader) -> tantivy::Result<DocBits> {
        let mut candidates: Option<DocBits> = None;
        for weight in &self.required {
            let bits = weight.bits(reader)?;
            match candidates.as_mut() {
                None => candidates = Some(DocBits::clone(&bits)),
                Some(candidates) => candidates.intersect(&bits),
            }
        }
        let mut candidates = candidates.unwrap_or_else(|| DocBits::full(reader.max_doc()));
        for weight in &self.excluded {
            candidates.subtract(&*weight.bits(reader)?);
        }
        candidates.recount();
        Ok(candidates)
    }
}

impl Weight for CandidateWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let candidates = self.candidates(reader)?;
        if candidates.is_empty() {
            return Ok(Box::new(EmptyScorer));
        }
        let scored = self
            .scored
            .iter()
            .map(|(key, weight)| {
                // Scores are for one boost: another one (never, at the top
                // of a search) is another key.
                let key = if boost == 1.0 {
                    key.clone()
                } else {
                    Arc::from(format!("{key} boost {boost}"))
                };
                let scores = self.scores.get_or_compute(reader.segment_id(), &key, || {
                    Ok(DocScores::collect(weight.scorer(reader, boost)?.as_mut()))
                })?;
                Ok(ScoresCursor { scores, at: 0 })
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(Box::new(CandidateScorer {
            candidates: BitsDocSet::new(Arc::new(candidates)),
            scored,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document #{doc} does not match"
            )));
        }
        Ok(Explanation::new("candidates", scorer.score()))
    }
}

struct CandidateScorer {
    candidates: BitsDocSet,
    scored: Vec<ScoresCursor>,
}

impl DocSet for CandidateScorer {
    fn advance(&mut self) -> DocId {
        self.candidates.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.candidates.seek(target)
    }

    fn doc(&self) -> DocId {
        self.candidates.doc()
    }

    fn size_hint(&self) -> u32 {
        self.candidates.size_hint()
    }
}

impl Scorer for CandidateScorer {
    fn score(&mut self) -> Score {
        if self.scored.is_empty() {
            return 1.0;
        }
        let doc = self.candidates.doc();
        let mut sum = 0.0;
        for scores in &mut self.scored {
            sum += scores.score_at(doc);
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(bits: DocBits) -> Vec<DocId> {
        let mut out = Vec::new();
        let mut set = BitsDocSet::new(Arc::new(bits));
        while set.doc() != TERMINATED {
            out.push(set.doc());
            set.advance();
        }
        out
    }

    fn from(list: &[DocId], max_doc: u32) -> DocBits {
        let mut bits = DocBits::empty(max_doc);
        for &doc in list {
            bits.words[doc as usize / 64] |= 1 << (doc % 64);
        }
        bits.recount();
        bits
    }

    #[test]
    fn bits_walk_seek_and_combine() {
        let list = [0, 1, 63, 64, 65, 127, 128, 500, 999];
        assert_eq!(docs(from(&list, 1000)), list);
        assert_eq!(docs(DocBits::full(130)).len(), 130);
        assert_eq!(docs(DocBits::full(128)).len(), 128);
        assert_eq!(docs(DocBits::empty(100)), Vec::<DocId>::new());

        let mut set = BitsDocSet::new(Arc::new(from(&list, 1000)));
        assert_eq!(set.seek(2), 63);
        assert_eq!(set.seek(63), 63);
        assert_eq!(set.seek(66), 127);
        assert_eq!(set.advance(), 128);
        assert_eq!(set.seek(129), 500);
        assert_eq!(set.seek(1000), TERMINATED);
        assert_eq!(set.advance(), TERMINATED);

        let mut both = from(&list, 1000);
        both.intersect(&from(&[1, 64, 500, 501], 1000));
        both.recount();
        assert_eq!(docs(both.clone()), [1, 64, 500]);
        both.subtract(&from(&[64], 1000));
        both.recount();
        assert_eq!(both.len(), 2);
        assert_eq!(docs(both), [1, 500]);
    }

    #[test]
    fn score_cursor_finds_ascending_documents() {
        let docs: Vec<DocId> = (0..1000).map(|d| d * 3).collect();
        let scores = Arc::new(DocScores {
            scores: docs.iter().map(|&d| d as Score).collect(),
            docs,
        });
        let mut cursor = ScoresCursor {
            scores: scores.clone(),
            at: 0,
        };
        assert_eq!(cursor.score_at(0), 0.0);
        assert_eq!(cursor.score_at(3), 3.0);
        assert_eq!(cursor.score_at(4), 0.0, "not a document of the word");
        assert_eq!(cursor.score_at(6), 6.0);
        assert_eq!(cursor.score_at(2001), 2001.0, "far ahead");
        assert_eq!(cursor.score_at(2001), 2001.0, "the same again");
        assert_eq!(cursor.score_at(2997), 2997.0, "the last");
        assert_eq!(cursor.score_at(3000), 0.0, "past the end");
        let mut every = ScoresCursor { scores, at: 0 };
        for doc in 0..3000 {
            let expected = if doc % 3 == 0 { doc as Score } else { 0.0 };
            assert_eq!(every.score_at(doc), expected);
        }
    }

    #[test]
    fn cache_evicts_oldest_past_its_budget_and_clears() {
        let cache = DocSetCache::default();
        let segment = SegmentId::generate_random();
        let key: Arc<str> = "a".into();
        let computed = cache
            .get_or_compute(segment, &key, || Ok(DocBits::full(10)))
            .unwrap();
        let again = cache
            .get_or_compute(segment, &key, || panic!("cached"))
            .unwrap();
        assert!(Arc::ptr_eq(&computed, &again));
        assert_eq!(cache.lookups(), (1, 1));
        // Sets past the budget push the oldest out.
        let big = (MAX_BYTES / 8 / 3) as u32 * 64;
        for name in ["b", "c", "d"] {
            cache
                .get_or_compute(segment, &name.into(), || Ok(DocBits::full(big)))
                .unwrap();
        }
        let mut recomputed = false;
        cache
            .get_or_compute(segment, &key, || {
                recomputed = true;
                Ok(DocBits::full(10))
            })
            .unwrap();
        assert!(recomputed);
        cache.clear();
        let mut recomputed = false;
        cache
            .get_or_compute(segment, &"b".into(), || {
                recomputed = true;
                Ok(DocBits::full(10))
            })
            .unwrap();
        assert!(recomputed);
    }
}
