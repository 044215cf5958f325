//! Reading what katalog publishes: the catalogue records of published and
//! tombstoned records, page by page in record-id order, and a record's
//! triples as harvested. Quarantined versions and validation reports are
//! never read here, so nothing built on this module can leak them.

use super::{lexical, record_iri, CatalogStore, StoreError};
use crate::harvest::RecordKind;
use crate::ns;
use oxigraph::model::{GraphNameRef, Literal, NamedNode, NamedNodeRef, Term, TermRef, Triple};
use oxsdatatypes::DateTime;
use std::collections::BTreeMap;
use std::str::FromStr;

/// Where a record stands for the public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicState {
    Published,
    /// Tombstoned: it was published, its source no longer has it.
    Deleted,
    /// Held back: never shown (only its existence is known to the caller).
    Quarantined,
}

/// A catalogue record as the public may see it.
#[derive(Debug, Clone)]
pub struct RecordEntry {
    pub id: String,
    pub state: PublicState,
    pub kind: Option<RecordKind>,
    /// The described resource (`foaf:primaryTopic`).
    pub resource: Option<NamedNode>,
    pub source: Option<String>,
    pub country: Option<String>,
    /// `dct:issued` / `dct:modified` / `kat:deletedAt`, as stored (xsd:dateTime).
    pub issued: Option<Literal>,
    pub modified: Option<Literal>,
    pub deleted_at: Option<Literal>,
}

impl RecordEntry {
    /// The time a change-based harvester compares with: the deletion time of
    /// a tombstone, the last content change otherwise.
    pub fn changed_at(&self) -> Option<DateTime> {
        let literal = match self.state {
            PublicState::Deleted => self.deleted_at.as_ref(),
            _ => self.modified.as_ref(),
        }?;
        DateTime::from_str(literal.value()).ok()
    }
}

/// Which records a page lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageFilter {
    /// Only records changed (or deleted) at or after this time.
    pub modified_since: Option<DateTime>,
}

/// One page of the public records, in record-id order.
#[derive(Debug, Clone)]
pub struct RecordPage {
    /// Records matching the filter, over all pages.
    pub total: usize,
    pub entries: Vec<RecordEntry>,
}

fn n(iri: &str) -> NamedNode {
    NamedNode::new_unchecked(iri)
}

/// Bucket of an id: its first three bytes. Ids are hex digests, so the
/// buckets split the records evenly (4096 buckets) whatever their number.
fn bucket(id: &str) -> [u8; 3] {
    let bytes = id.as_bytes();
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    [at(0), at(1), at(2)]
}

impl CatalogStore {
    fn records_graph() -> NamedNode {
        n(ns::RECORDS_GRAPH)
    }

    fn value(&self, subject: &NamedNode, predicate: &str) -> Result<Option<Term>, StoreError> {
        let graph = Self::records_graph();
        let predicate = n(predicate);
        Ok(self
            .oxigraph()
            .quads_for_pattern(
                Some(subject.as_ref().into()),
                Some(predicate.as_ref()),
                None,
                Some(GraphNameRef::NamedNode(graph.as_ref())),
            )
            .next()
            .transpose()?
            .map(|q| q.object))
    }

    fn literal(&self, subject: &NamedNode, predicate: &str) -> Result<Option<Literal>, StoreError> {
        Ok(match self.value(subject, predicate)? {
            Some(Term::Literal(literal)) => Some(literal),
            _ => None,
        })
    }

    /// The catalogue record of the record with this id, whatever its state;
    /// None when there is none (or it is an unknown state).
    pub fn record_entry(&self, id: &str) -> Result<Option<RecordEntry>, StoreError> {
        let node = record_iri(id);
        let state = match self.literal(&node, &ns::kat("state"))? {
            Some(state) => match state.value() {
                "published" => PublicState::Published,
                "deleted" => {
                    // Only what was once public is announced as deleted.
                    if self.literal(&node, &ns::kat("contentHash"))?.is_none() {
                        PublicState::Quarantined
                    } else {
                        PublicState::Deleted
                    }
                }
                "quarantined" => PublicState::Quarantined,
                _ => return Ok(None),
            },
            None => return Ok(None),
        };
        let kind = match self.value(&node, &ns::kat("recordType"))? {
            Some(Term::NamedNode(class)) => RecordKind::from_class_iri(class.as_str()),
            _ => None,
        };
        let resource = match self.value(&node, ns::FOAF_PRIMARY_TOPIC)? {
            Some(Term::NamedNode(resource)) => Some(resource),
            _ => None,
        };
        Ok(Some(RecordEntry {
            id: id.to_string(),
            state,
            kind,
            resource,
            source: self
                .literal(&node, &ns::kat("sourceName"))?
                .map(|l| l.value().to_string()),
            country: self
                .literal(&node, &ns::kat("country"))?
                .map(|l| l.value().to_string()),
            issued: self.literal(&node, ns::DCT_ISSUED)?,
            modified: self.literal(&node, ns::DCT_MODIFIED)?,
            deleted_at: self.literal(&node, &ns::kat("deletedAt"))?,
        }))
    }

    /// Ids of the records whose catalogue record has this state value.
    fn ids_in_state<'a>(
        &'a self,
        state: &'static str,
    ) -> impl Iterator<Item = Result<String, StoreError>> + 'a {
        let graph = Self::records_graph();
        let predicate = n(&ns::kat("state"));
        let value = Literal::from(state);
        self.oxigraph()
            .quads_for_pattern(
                None,
                Some(predicate.as_ref()),
                Some(TermRef::Literal(value.as_ref())),
                Some(GraphNameRef::NamedNode(graph.as_ref())),
            )
            .filter_map(|quad| match quad {
                Ok(quad) => match quad.subject {
                    oxigraph::model::NamedOrBlankNode::NamedNode(node) => node
                        .as_str()
                        .strip_prefix(ns::RECORD_GRAPH_PREFIX)
                        .map(|id| Ok(id.to_string())),
                    _ => None,
                },
                Err(error) => Some(Err(error.into())),
            })
    }

    /// Calls `f` with each public record (published or tombstoned) that
    /// passes the filter, in store order (not sorted).
    fn for_each_public(
        &self,
        filter: &PageFilter,
        wanted: impl Fn(&str) -> bool,
        mut f: impl FnMut(RecordEntry),
    ) -> Result<(), StoreError> {
        for state in ["published", "deleted"] {
            for id in self.ids_in_state(state) {
                let id = id?;
                if !wanted(&id) {
                    continue;
                }
                let entry = if filter.modified_since.is_none() && state == "published" {
                    // The common full export: only the id is needed to count.
                    RecordEntry {
                        id,
                        state: PublicState::Published,
                        kind: None,
                        resource: None,
                        source: None,
                        country: None,
                        issued: None,
                        modified: None,
                        deleted_at: None,
                    }
                } else {
                    match self.record_entry(&id)? {
                        Some(entry) => entry,
                        None => continue,
                    }
                };
                if entry.state == PublicState::Quarantined {
                    continue;
                }
                if let Some(since) = filter.modified_since {
                    match entry.changed_at() {
                        Some(at) if at >= since => {}
                        _ => continue,
                    }
                }
                f(entry);
            }
        }
        Ok(())
    }

    /// Calls `f` with every published record's full entry, in store order.
    pub fn for_each_published(&self, mut f: impl FnMut(RecordEntry)) -> Result<(), StoreError> {
        for id in self.ids_in_state("published") {
            if let Some(entry) = self.record_entry(&id?)? {
                if entry.state == PublicState::Published {
                    f(entry);
                }
            }
        }
        Ok(())
    }

    /// The public records from `offset`, at most `size`, in record-id order.
    ///
    /// Memory stays bounded by the page, not the store: a first pass counts
    /// the matching records per id bucket, a second collects only the buckets
    /// the page falls in, which are then sorted.
    pub fn public_page(
        &self,
        filter: &PageFilter,
        offset: usize,
        size: usize,
    ) -> Result<RecordPage, StoreError> {
        let mut counts: BTreeMap<[u8; 3], usize> = BTreeMap::new();
        self.for_each_public(
            filter,
            |_| true,
            |entry| *counts.entry(bucket(&entry.id)).or_default() += 1,
        )?;
        let total = counts.values().sum();
        let end = offset.saturating_add(size);
        let mut before = 0; // records in buckets before the first wanted one
        let mut seen = 0;
        let mut wanted: Vec<[u8; 3]> = Vec::new();
        for (key, count) in &counts {
            let (start, stop) = (seen, seen + count);
            seen = stop;
            if stop <= offset {
                before = stop;
                continue;
            }
            if start >= end {
                break;
            }
            wanted.push(*key);
        }
        let mut entries = Vec::new();
        if !wanted.is_empty() && size > 0 {
            self.for_each_public(
                filter,
                |id| wanted.binary_search(&bucket(id)).is_ok(),
                |entry| entries.push(entry),
            )?;
        }
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        entries.dedup_by(|a, b| a.id == b.id);
        let skip = offset.saturating_sub(before);
        let mut page: Vec<RecordEntry> = entries.into_iter().skip(skip).take(size).collect();
        for entry in &mut page {
            if entry.resource.is_none() {
                if let Some(full) = self.record_entry(&entry.id)? {
                    *entry = full;
                }
            }
        }
        Ok(RecordPage {
            total,
            entries: page,
        })
    }

    /// The published records of one kind (the national catalogues, for the
    /// export's `dct:hasPart`), with their resources.
    pub fn published_of_kind(&self, kind: RecordKind) -> Result<Vec<RecordEntry>, StoreError> {
        let graph = Self::records_graph();
        let predicate = n(&ns::kat("recordType"));
        let class = n(&kind.class_iri());
        let mut out = Vec::new();
        for quad in self.oxigraph().quads_for_pattern(
            None,
            Some(predicate.as_ref()),
            Some(class.as_ref().into()),
            Some(GraphNameRef::NamedNode(graph.as_ref())),
        ) {
            let quad = quad?;
            let oxigraph::model::NamedOrBlankNode::NamedNode(node) = quad.subject else {
                continue;
            };
            let Some(id) = node.as_str().strip_prefix(ns::RECORD_GRAPH_PREFIX) else {
                continue;
            };
            if let Some(entry) = self.record_entry(id)? {
                if entry.state == PublicState::Published {
                    out.push(entry);
                }
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The ids of the records describing this resource (one per source that
    /// has it), published ones first.
    pub fn records_about(&self, resource: NamedNodeRef<'_>) -> Result<Vec<String>, StoreError> {
        let graph = Self::records_graph();
        let predicate = n(ns::FOAF_PRIMARY_TOPIC);
        let mut ids = Vec::new();
        for quad in self.oxigraph().quads_for_pattern(
            None,
            Some(predicate.as_ref()),
            Some(resource.into()),
            Some(GraphNameRef::NamedNode(graph.as_ref())),
        ) {
            if let oxigraph::model::NamedOrBlankNode::NamedNode(node) = quad?.subject {
                if let Some(id) = node.as_str().strip_prefix(ns::RECORD_GRAPH_PREFIX) {
                    ids.push(id.to_string());
                }
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// The triples of a published record, literals as harvested. Empty for a
    /// tombstone; the quarantine graph is never read.
    pub fn record_triples_iter<'a>(
        &'a self,
        id: &str,
    ) -> impl Iterator<Item = Result<Triple, StoreError>> + 'a {
        let graph = record_iri(id);
        self.oxigraph()
            .quads_for_pattern(
                None,
                None,
                None,
                Some(GraphNameRef::NamedNode(graph.as_ref())),
            )
            .map(|quad| {
                let quad = quad?;
                Ok(lexical::triple_from_store(Triple::new(
                    quad.subject,
                    quad.predicate,
                    quad.object,
                )))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::harvest::split::split_records;
    use crate::store::{HarvestRun, PreparedRecord, RecordCounts, RunOutcome, SourceMeta};
    use chrono::Utc;
    use oxigraph::io::{RdfFormat, RdfParser};

    fn run_with(store: &CatalogStore, run_id: &str, datasets: std::ops::Range<usize>) {
        let mut doc = String::from("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n");
        for i in datasets {
            doc.push_str(&format!("<https://example.no/d{i}> a dcat:Dataset .\n"));
        }
        let triples: Vec<oxrdf::Triple> = RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(doc.as_bytes())
            .map(|q| oxrdf::Triple::from(q.unwrap()))
            .collect();
        let records: Vec<PreparedRecord> = split_records(
            triples,
            "https://k.example/.well-known/genid/no/",
            n("urn:katalog:unattached:no"),
        )
        .into_iter()
        .map(|g| PreparedRecord::new("no", g))
        .collect();
        let now = Utc::now();
        let mut run = HarvestRun {
            id: run_id.into(),
            source: "no".into(),
            started: now,
            ended: now,
            outcome: RunOutcome::Failed,
            counts: RecordCounts::default(),
            triples: 0,
            location: "test".into(),
            format: None,
            error: None,
            validation: None,
            report: Vec::new(),
            quality: None,
            not_modified: false,
            modified_since: None,
        };
        let source = SourceMeta {
            name: "no".into(),
            country: "NO".into(),
            location: "test".into(),
        };
        store.apply_source_run(&source, &mut run, &records).unwrap();
    }

    #[test]
    fn pages_cover_every_public_record_once_in_id_order() {
        let store = CatalogStore::in_memory().unwrap();
        run_with(&store, "r1", 0..40);
        let before = DateTime::from_str(&Utc::now().to_rfc3339()).unwrap();
        // Stored times have millisecond precision.
        std::thread::sleep(std::time::Duration::from_millis(5));
        run_with(&store, "r2", 5..40); // d0..d4 become tombstones
        let filter = PageFilter::default();
        let mut ids = Vec::new();
        for page in 0..7 {
            let page = store.public_page(&filter, page * 7, 7).unwrap();
            assert_eq!(page.total, 40);
            ids.extend(page.entries.into_iter().map(|e| (e.id, e.state)));
        }
        assert_eq!(ids.len(), 40);
        let mut sorted = ids.clone();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(ids, sorted);
        assert_eq!(
            ids.iter()
                .filter(|(_, s)| *s == PublicState::Deleted)
                .count(),
            5
        );
        let since = PageFilter {
            modified_since: Some(before),
        };
        let changed = store.public_page(&since, 0, 100).unwrap();
        assert_eq!(changed.total, 5, "only the tombstones changed");
        assert!(changed
            .entries
            .iter()
            .all(|e| e.state == PublicState::Deleted && e.resource.is_some()));
    }

    #[test]
    fn buckets_order_like_ids() {
        let mut ids = ["fff0", "000a", "0a00", "00b", "a"];
        ids.sort();
        let buckets: Vec<[u8; 3]> = ids.iter().map(|id| bucket(id)).collect();
        let mut sorted = buckets.clone();
        sorted.sort();
        assert_eq!(buckets, sorted);
    }
}
