//! A run's pages as they come: each page is split into records, the
//! records are validated (unless their content and verdict are already
//! stored), scored and staged (see [`crate::store::staging`]); only ids,
//! hashes and tallies stay in memory between pages.
//!
//! Every kind's pages are split one by one (a FAIR Data Point's walk puts a
//! dataset's distribution documents on the dataset's page; a SPARQL
//! CONSTRUCT response describes whole records). What a page says of a
//! catalogue, and the triples no record of the page reaches, are held until
//! the last page and merged: every page repeats its catalogue with the links
//! to that page's datasets. A record that comes on two pages with different
//! content is taken from the later page.
//!
//! A FAIR Data Point's or SPARQL endpoint's catalogue page lists datasets
//! that other pages describe: the classes of the records staged so far are
//! kept (IRI and class only) so that a held catalogue is validated with the
//! `rdf:type` of the records it links to, as it would be in one document.

use super::record::RecordKind;
use super::split::InternedDocument;
use super::{report_results, HarvestError, ParsedPage, Progress};
use crate::profiles::Profile;
use crate::quality::{QualityScore, QualitySummary};
use crate::store::staging::StagedRun;
use crate::store::{PreparedRecord, Quarantine, ValidationSummary};
use oxrdf::{NamedNode, Triple};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A record held until the last page: a catalogue, or the unattached remainder.
struct Held {
    kind: RecordKind,
    minted: bool,
    triples: Vec<Triple>,
    linked_types: Vec<Triple>,
}

/// The classes of the records staged so far, by IRI (see the module note).
#[derive(Default)]
pub struct RecordTypes {
    classes: Vec<NamedNode>,
    of: HashMap<String, Vec<u16>>,
}

impl RecordTypes {
    fn note(&mut self, graph: &super::RecordGraph) {
        let rdf_type = crate::ns::RDF_TYPE;
        for triple in &graph.triples {
            if triple.predicate.as_str() != rdf_type
                || !matches!(&triple.subject, oxrdf::NamedOrBlankNode::NamedNode(n) if *n == graph.resource)
            {
                continue;
            }
            let oxrdf::Term::NamedNode(class) = &triple.object else {
                continue;
            };
            let index = match self.classes.iter().position(|c| c == class) {
                Some(i) => i,
                None if self.classes.len() < usize::from(u16::MAX) => {
                    self.classes.push(class.clone());
                    self.classes.len() - 1
                }
                None => continue,
            };
            let classes = self
                .of
                .entry(graph.resource.as_str().to_string())
                .or_default();
            if !classes.contains(&(index as u16)) {
                classes.push(index as u16);
            }
        }
    }

    /// `rdf:type` triples of the noted records among the objects of `triples`.
    fn linked(&self, resource: &NamedNode, triples: &[Triple]) -> Vec<Triple> {
        let rdf_type = NamedNode::new_unchecked(crate::ns::RDF_TYPE);
        let mut linked = Vec::new();
        for triple in triples {
            let oxrdf::Term::NamedNode(object) = &triple.object else {
                continue;
            };
            if object == resource {
                continue;
            }
            for &class in self.of.get(object.as_str()).into_iter().flatten() {
                if let Some(class) = self.classes.get(usize::from(class)) {
                    linked.push(Triple::new(object.clone(), rdf_type.clone(), class.clone()));
                }
            }
        }
        linked
    }
}

/// Validation counts over the whole run.
#[derive(Default)]
struct Tally {
    checked: usize,
    with_violations: usize,
    with_warnings: usize,
    reused: usize,
    shapes: HashMap<String, usize>,
    warned_shapes: HashMap<String, usize>,
}

/// The run's side of the page channel.
pub struct PageConsumer {
    pub staged: StagedRun,
    source: String,
    genid_base: String,
    unattached: NamedNode,
    report: NamedNode,
    /// Kept for kinds whose catalogue pages do not type the records they list.
    record_types: Option<RecordTypes>,
    /// The profile, and whether stored verdicts may be reused.
    profile: Option<(Arc<Profile>, bool)>,
    held: HashMap<String, Held>,
    held_order: Vec<String>,
    tally: Tally,
    report_results: Vec<Triple>,
    quality: Vec<QualityScore>,
    pub pages: usize,
    pub triples: usize,
    /// First page's location and media type.
    pub first: Option<(String, String)>,
    records: usize,
    progress: Option<Progress>,
    /// An incremental run: finding no changed record is no failure.
    changes_only: bool,
}

/// What a finished consumer hands back to the run.
pub struct Consumed {
    pub staged: StagedRun,
    pub pages: usize,
    pub triples: usize,
    pub location: String,
    pub format: String,
    pub validation: Option<ValidationSummary>,
    pub report_results: Vec<Triple>,
    pub quality: QualitySummary,
}

impl PageConsumer {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        staged: StagedRun,
        source: &str,
        genid_base: String,
        unattached: NamedNode,
        report: NamedNode,
        record_types: Option<RecordTypes>,
        profile: Option<(Arc<Profile>, bool)>,
        progress: Option<Progress>,
    ) -> Self {
        PageConsumer {
            staged,
            source: source.to_string(),
            genid_base,
            unattached,
            report,
            record_types,
            profile,
            held: HashMap::new(),
            held_order: Vec::new(),
            tally: Tally::default(),
            report_results: Vec::new(),
            quality: Vec::new(),
            pages: 0,
            triples: 0,
            first: None,
            records: 0,
            progress,
            changes_only: false,
        }
    }

    /// Marks the run incremental: it may rightly find no record.
    pub fn changes_only(mut self, changes_only: bool) -> Self {
        self.changes_only = changes_only;
        self
    }

    /// Takes pages until the channel closes (the walk ended, well or not).
    pub fn run(
        mut self,
        mut pages: tokio::sync::mpsc::Receiver<ParsedPage>,
    ) -> Result<Self, HarvestError> {
        while let Some(page) = pages.blocking_recv() {
            self.page(page)?;
        }
        Ok(self)
    }

    fn page(&mut self, page: ParsedPage) -> Result<(), HarvestError> {
        self.pages += 1;
        if self.first.is_none() {
            self.first = Some((page.location.clone(), page.format.clone()));
        }
        let mut document = InternedDocument::default();
        for triple in &page.triples {
            document.add(triple.as_ref());
        }
        drop(page);
        document.dedup();
        self.triples += document.len();
        let split = document.split(&self.genid_base, self.unattached.clone());
        let mut records = Vec::with_capacity(split.len());
        for i in 0..split.len() {
            let Some(graph) = split.record(i) else {
                continue;
            };
            if matches!(graph.kind, RecordKind::Catalog | RecordKind::Unattached) {
                let key = graph.resource.as_str().to_string();
                match self.held.get_mut(&key) {
                    Some(held) => {
                        held.triples.extend(graph.triples);
                        held.linked_types.extend(graph.linked_types);
                        held.minted |= graph.minted;
                    }
                    None => {
                        self.held_order.push(key.clone());
                        self.held.insert(
                            key,
                            Held {
                                kind: graph.kind,
                                minted: graph.minted,
                                triples: graph.triples,
                                linked_types: graph.linked_types,
                            },
                        );
                    }
                }
            } else {
                if let Some(types) = &mut self.record_types {
                    types.note(&graph);
                }
                records.push(PreparedRecord::new(&self.source, graph));
            }
        }
        drop(split);
        self.handle(records)?;
        if self.pages % 100 == 0 {
            tracing::info!(
                source = %self.source,
                pages = self.pages,
                records = self.records,
                staged = self.staged.staged(),
                "pages staged"
            );
        }
        if let Some(progress) = &self.progress {
            progress(format!(
                "{} pages, {} records ({} new or changed)",
                self.pages,
                self.records,
                self.staged.staged()
            ));
        }
        Ok(())
    }

    /// Validates, scores and stages records.
    fn handle(&mut self, mut records: Vec<PreparedRecord>) -> Result<(), HarvestError> {
        if records.is_empty() {
            return Ok(());
        }
        self.records += records
            .iter()
            .filter(|r| r.graph.kind != RecordKind::Unattached)
            .count();
        if let Some((profile, reuse)) = &self.profile {
            let staged = &self.staged;
            let versions = |id: &str| reuse.then(|| staged.versions(id)).flatten();
            records = gate_records(profile, records, versions, &mut self.tally);
            self.report_results
                .extend(report_results(&self.report, &records));
        }
        let profiled = self.profile.is_some();
        super::score_records(&mut records, profiled);
        self.quality
            .extend(records.iter().filter_map(|r| r.quality.clone()));
        self.staged.stage(&records)?;
        Ok(())
    }

    /// For kinds whose pages link records described elsewhere: the held
    /// records (catalogues, the remainder) are split again together, so that
    /// what one document would attach to a catalogue (an FDP root that the
    /// catalogue `dct:isPartOf`) is attached to it, and each gets the classes
    /// of the staged records it links to.
    fn finish_resplit(mut self, types: RecordTypes, start: &str) -> Result<Consumed, HarvestError> {
        let mut document = InternedDocument::default();
        let mut minted = HashSet::new();
        for key in std::mem::take(&mut self.held_order) {
            let Some(held) = self.held.remove(&key) else {
                continue;
            };
            if held.minted {
                minted.insert(key);
            }
            for triple in &held.triples {
                document.add(triple.as_ref());
            }
        }
        document.dedup();
        let split = document.split(&self.genid_base, self.unattached.clone());
        let mut records = Vec::with_capacity(split.len());
        for i in 0..split.len() {
            let Some(mut graph) = split.record(i) else {
                continue;
            };
            graph.minted |= minted.contains(graph.resource.as_str());
            let linked = types.linked(&graph.resource, &graph.triples);
            let mut seen: HashSet<Triple> = graph.linked_types.iter().cloned().collect();
            graph
                .linked_types
                .extend(linked.into_iter().filter(|t| seen.insert(t.clone())));
            records.push(PreparedRecord::new(&self.source, graph));
        }
        drop(split);
        self.handle(records)?;
        self.sum_up(start)
    }

    /// Splits what was joined, stages the held records, and sums up.
    pub fn finish(mut self, start: &str) -> Result<Consumed, HarvestError> {
        if let Some(types) = self.record_types.take() {
            return self.finish_resplit(types, start);
        }
        let held: Vec<PreparedRecord> = std::mem::take(&mut self.held_order)
            .into_iter()
            .filter_map(|key| {
                let held = self.held.remove(&key)?;
                let mut seen = HashSet::new();
                let triples: Vec<Triple> = held
                    .triples
                    .into_iter()
                    .filter(|t| seen.insert(t.clone()))
                    .collect();
                let mut seen = HashSet::new();
                let linked_types: Vec<Triple> = held
                    .linked_types
                    .into_iter()
                    .filter(|t| seen.insert(t.clone()))
                    .collect();
                let graph = super::RecordGraph {
                    resource: NamedNode::new_unchecked(key),
                    kind: held.kind,
                    triples,
                    linked_types,
                    minted: held.minted,
                };
                Some(PreparedRecord::new(&self.source, graph))
            })
            .collect();
        self.handle(held)?;
        self.sum_up(start)
    }

    fn sum_up(mut self, start: &str) -> Result<Consumed, HarvestError> {
        let (location, format) = self.first.clone().unwrap_or_default();
        if self.records == 0 && !self.changes_only {
            return Err(HarvestError::NoRecords {
                location: if location.is_empty() {
                    start.to_string()
                } else {
                    location
                },
            });
        }
        let validation = self.profile.as_ref().map(|(profile, _)| {
            let t = &self.tally;
            ValidationSummary {
                profile: profile.name.clone(),
                checked: t.checked,
                conforming: t.checked - t.with_violations,
                with_warnings: t.with_warnings,
                with_violations: t.with_violations,
                reused: t.reused,
                top_violated_shapes: super::top_shapes(std::mem::take(&mut self.tally.shapes)),
                top_warned_shapes: super::top_shapes(std::mem::take(&mut self.tally.warned_shapes)),
            }
        });
        let quality = QualitySummary::of(&self.quality);
        Ok(Consumed {
            staged: self.staged,
            pages: self.pages,
            triples: self.triples,
            location,
            format,
            validation,
            report_results: self.report_results,
            quality,
        })
    }
}

/// Validates the records whose verdict is not already known (a record
/// whose content hash is the stored published, or quarantined, version
/// keeps that verdict without being validated again), and tallies.
fn gate_records(
    profile: &Profile,
    records: Vec<PreparedRecord>,
    versions: impl Fn(&str) -> Option<crate::store::StoredVersions>,
    tally: &mut Tally,
) -> Vec<PreparedRecord> {
    let mut to_check = Vec::with_capacity(records.len());
    let mut reused = Vec::new();
    for mut record in records {
        let counted = record.graph.kind != RecordKind::Unattached;
        match versions(&record.id) {
            Some(v) if v.quarantined.as_deref() == Some(record.hash.as_str()) => {
                // Held back before with this very content: it stays held back
                // (the store sees the same quarantined hash and writes nothing).
                record.quarantine = Some(Quarantine::default());
                if counted {
                    tally.reused += 1;
                    tally.checked += 1;
                    tally.with_violations += 1;
                }
                reused.push(record);
            }
            Some(v) if v.quarantined.is_none() && v.published.as_deref() == Some(&record.hash) => {
                if counted {
                    tally.reused += 1;
                    tally.checked += 1;
                }
                reused.push(record);
            }
            _ => to_check.push(record),
        }
    }
    let (warned, shapes, warned_shapes) = super::gate_tally(profile, &mut to_check);
    tally.with_warnings += warned;
    for (shape, n) in shapes {
        *tally.shapes.entry(shape).or_default() += n;
    }
    for (shape, n) in warned_shapes {
        *tally.warned_shapes.entry(shape).or_default() += n;
    }
    for record in to_check
        .iter()
        .filter(|r| r.graph.kind != RecordKind::Unattached)
    {
        tally.checked += 1;
        if record.quarantine.is_some() {
            tally.with_violations += 1;
        }
    }
    to_check.extend(reused);
    to_check
}
