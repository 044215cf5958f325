//! The catalogue store: an embedded Oxigraph store holding one named graph
//! per record, a `dcat:CatalogRecord` per record with its provenance (in
//! [`ns::RECORDS_GRAPH`]), and the harvest runs (in [`ns::RUNS_GRAPH`]).
//!
//! A source's records are replaced in one transaction: either the whole run
//! lands, or the store keeps exactly what it had.

pub mod duplicates;
pub mod lexical;
pub mod published;
pub mod push;
pub mod staging;

use crate::harvest::record::{RecordGraph, RecordKind};
use crate::ns;
use crate::quality::{self, QualityScore, QualitySummary};
use chrono::{DateTime, SecondsFormat, Utc};
use oxigraph::model::{
    GraphName, GraphNameRef, Literal, NamedNode, NamedNodeRef, NamedOrBlankNodeRef, Quad, Term,
    TermRef,
};
use oxigraph::store::{StorageError, Store, Transaction};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot open the store at {path}: {source}")]
    Open { path: String, source: StorageError },
    #[error("store error: {0}")]
    Storage(#[from] StorageError),
    #[error("staged run {path}: {message}")]
    Staging { path: String, message: String },
    #[error("store state token {path}: {source}")]
    StateToken {
        path: String,
        source: std::io::Error,
    },
}

/// A record ready to be stored: its graph, id and content hash.
#[derive(Debug, Clone)]
pub struct PreparedRecord {
    pub id: String,
    pub hash: String,
    pub graph: RecordGraph,
    /// Set when the record violates its source's profile: it is kept for
    /// stewards with its report, and not published.
    pub quarantine: Option<Quarantine>,
    /// The metadata quality of this version (datasets and series only).
    pub quality: Option<QualityScore>,
    /// The publisher's own id of a pushed record (`PUT /api/records/{id}`),
    /// written as `kat:localId` on its catalogue record.
    pub local_id: Option<String>,
}

impl PreparedRecord {
    pub fn new(source: &str, graph: RecordGraph) -> Self {
        Self {
            id: graph.id(source),
            hash: graph.content_hash(),
            graph,
            quarantine: None,
            quality: None,
            local_id: None,
        }
    }
}

/// A record's stored versions, by content hash: what the gate may reuse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredVersions {
    /// Hash of the published version, when one is published.
    pub published: Option<String>,
    /// Hash of the version held back in quarantine, if any.
    pub quarantined: Option<String>,
    /// False for the unattached remainder, which counts leave out.
    pub counted: bool,
}

/// What the store remembers of a source between runs, to harvest it
/// incrementally: the validators of each document it fetched, and the
/// settings (profile, format, katalog version) its verdicts were made with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceState {
    /// Document URL (or path) → its validators.
    pub documents: std::collections::BTreeMap<String, crate::harvest::fetch::Validators>,
    /// Page URL → the URL of the page after it, for a paged source: what a
    /// run walks with conditional GETs when the pages answer 304.
    pub next_pages: std::collections::BTreeMap<String, String>,
    pub settings: Option<String>,
}

/// How a run is applied.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions {
    /// The mass-delete guard: the largest share (0..=1) of the source's live
    /// records the run may tombstone. None: no guard.
    pub max_delete_share: Option<f64>,
    /// The run asked only for records modified since a time: the records it
    /// did not see are not gone, so it tombstones nothing.
    pub incremental: bool,
}

/// Why a record version is held back: its validation report (the triples of
/// an `sh:ValidationReport`).
#[derive(Debug, Clone, Default)]
pub struct Quarantine {
    pub report: Vec<oxrdf::Triple>,
    pub violations: usize,
}

/// What a source is, as recorded with its records and runs.
#[derive(Debug, Clone)]
pub struct SourceMeta {
    pub name: String,
    pub country: String,
    pub location: String,
}

impl SourceMeta {
    pub fn iri(&self) -> NamedNode {
        NamedNode::new_unchecked(format!("{}{}", ns::SOURCE_PREFIX, self.name))
    }
}

/// Counts of one run, over records of every kind but the unattached remainder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordCounts {
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub deleted: usize,
    pub failed: usize,
    /// New or changed versions held back because they violate the profile.
    pub quarantined: usize,
}

impl RecordCounts {
    pub fn is_unchanged(&self) -> bool {
        self.new == 0 && self.changed == 0 && self.deleted == 0 && self.quarantined == 0
    }

    /// Counts `record` as `change` says (the unattached remainder is not counted).
    fn count(&mut self, record: &PreparedRecord, change: RecordChange) {
        if record.graph.kind == RecordKind::Unattached {
            return;
        }
        match change {
            RecordChange::Unchanged => self.unchanged += 1,
            RecordChange::Quarantined => self.quarantined += 1,
            RecordChange::Updated {
                was_published: true,
            } => self.changed += 1,
            RecordChange::Updated { .. } | RecordChange::Fresh => self.new += 1,
        }
    }
}

/// What a harvested record is to the store, decided by one rule for a
/// staged run (while it stages) and an in-memory run plan alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RecordChange {
    /// Stored with the same content and verdict.
    Unchanged,
    /// A violating version not held in quarantine yet.
    Quarantined,
    /// Stored, with other content, or deleted or quarantined before.
    Updated { was_published: bool },
    /// Never stored.
    Fresh,
}

impl RecordChange {
    fn of(record: &PreparedRecord, stored: Option<&StoredRecord>) -> Self {
        if record.quarantine.is_some() {
            return if stored.and_then(|s| s.quarantined_hash.as_deref())
                == Some(record.hash.as_str())
            {
                RecordChange::Unchanged
            } else {
                RecordChange::Quarantined
            };
        }
        match stored {
            Some(stored)
                if stored.published
                    && stored.hash == record.hash
                    && stored.quarantined_hash.is_none() =>
            {
                RecordChange::Unchanged
            }
            Some(stored) => RecordChange::Updated {
                was_published: stored.published,
            },
            None => RecordChange::Fresh,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// The run succeeded and changed records.
    Success,
    /// The run succeeded and nothing changed.
    Unchanged,
    /// The run failed; the source's records were left as they were.
    Failed,
    /// The run would have removed more than `harvest.max_delete_share` of the
    /// source's records, so it changed nothing; a steward confirms it with
    /// `katalog harvest --source NAME --allow-mass-delete`.
    Guarded,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Success => "success",
            RunOutcome::Unchanged => "unchanged",
            RunOutcome::Failed => "failed",
            RunOutcome::Guarded => "guarded",
        }
    }
}

/// One harvest run of one source, as stored in the runs graph.
#[derive(Debug, Clone)]
pub struct HarvestRun {
    pub id: String,
    pub source: String,
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    pub outcome: RunOutcome,
    pub counts: RecordCounts,
    pub triples: usize,
    pub location: String,
    pub format: Option<String>,
    pub error: Option<String>,
    /// What the gate found, when the source has a profile.
    pub validation: Option<ValidationSummary>,
    /// The triples of the run's `sh:ValidationReport` (built by
    /// `harvest::run_report`), stored in the run's report graph.
    pub report: Vec<oxrdf::Triple>,
    /// Mean quality of the run's records.
    pub quality: Option<QualitySummary>,
    /// True when the source answered 304 Not Modified (or its file is as it
    /// was): the run cost requests only and touched no record.
    pub not_modified: bool,
    /// Set when the run was incremental: it asked the source only for the
    /// records modified since this time, and tombstoned nothing.
    pub modified_since: Option<DateTime<Utc>>,
}

/// A run's validation, per source: how many records were checked, how they
/// fared, and which shapes were violated most.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ValidationSummary {
    pub profile: String,
    pub checked: usize,
    pub conforming: usize,
    pub with_warnings: usize,
    pub with_violations: usize,
    /// Verdicts (of the ones above) reused from an earlier run because the
    /// record's content hash is the one already stored: not re-validated.
    pub reused: usize,
    /// (shape IRI, number of Violation results), most frequent first.
    pub top_violated_shapes: Vec<(String, usize)>,
    /// (shape IRI, number of Warning results), most frequent first.
    pub top_warned_shapes: Vec<(String, usize)>,
}

impl HarvestRun {
    pub fn iri(&self) -> NamedNode {
        run_iri(&self.id)
    }
}

pub fn run_iri(id: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{}{}", ns::RUN_PREFIX, id))
}

/// The named graph of the quarantined version of the record with this id.
pub fn quarantine_iri(id: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{}{}", ns::QUARANTINE_GRAPH_PREFIX, id))
}

/// The named graph holding the `sh:ValidationReport` of the run with this id;
/// the report node is the graph's name.
pub fn report_iri(run_id: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{}{}", ns::REPORT_GRAPH_PREFIX, run_id))
}

/// The named graph (and catalogue record IRI) of the record with this id.
pub fn record_iri(id: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{}{}", ns::RECORD_GRAPH_PREFIX, id))
}

/// A record's state as the store has it before a run.
#[derive(Debug, Clone)]
struct StoredRecord {
    /// Hash of the published (or last quarantined-only) version.
    hash: String,
    published: bool,
    /// True when nothing of it is published or quarantined any more.
    deleted: bool,
    /// Hash of a held-back version, if any.
    quarantined_hash: Option<String>,
    /// False for the unattached remainder, which run counts leave out.
    counted: bool,
}

/// A published record as the catalogue record describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishedRecord {
    pub id: String,
    pub hash: String,
    pub source: String,
    pub country: String,
    /// The described resource (`foaf:primaryTopic`).
    pub resource: String,
    pub kind: Option<RecordKind>,
}

/// The store of harvested records.
#[derive(Clone)]
pub struct CatalogStore {
    store: Store,
    /// Where runs stage their records before they commit (see [`staging`]):
    /// beside the store directory; None for an in-memory store, whose runs
    /// stage under the system temp dir.
    staging: Option<std::path::PathBuf>,
    /// The store-state token: see [`CatalogStore::state_token`].
    state: Arc<StateToken>,
}

/// Where the store-state token is kept: a file beside an on-disk store
/// (written durably, so it survives what the store survives), memory for an
/// in-memory one.
enum StateToken {
    File(PathBuf),
    Memory(Mutex<Option<String>>),
}

/// A token no earlier state had: time, process and a counter.
fn fresh_state_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{:x}-{:x}-{:x}",
        Utc::now().timestamp_nanos_opt().unwrap_or_default(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl StateToken {
    fn beside(path: &Path) -> Self {
        let file = match path.file_name() {
            Some(name) => path.with_file_name(format!("{}.state-token", name.to_string_lossy())),
            None => path.join("katalog.state-token"),
        };
        StateToken::File(file)
    }

    fn read(&self) -> Result<Option<String>, StoreError> {
        match self {
            StateToken::File(file) => match std::fs::read_to_string(file) {
                Ok(text) => Ok(Some(text.trim().to_string()).filter(|t| !t.is_empty())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(StoreError::StateToken {
                    path: file.display().to_string(),
                    source: e,
                }),
            },
            StateToken::Memory(token) => Ok(token.lock().map(|t| t.clone()).unwrap_or_default()),
        }
    }

    /// Replaces the token, durably: a temporary file synced, renamed over
    /// the old one, the directory synced.
    fn write(&self, token: &str) -> Result<(), StoreError> {
        match self {
            StateToken::File(file) => {
                let error = |source: std::io::Error| StoreError::StateToken {
                    path: file.display().to_string(),
                    source,
                };
                // A temporary file of this write's own: two runs committing at
                // once (a serve start harvests its sources side by side) must
                // not rename each other's file away, which failed one of them
                // and left its source without validators for the next run.
                let temporary = file.with_extension(format!("state-token.{token}.new"));
                {
                    let mut out = std::fs::File::create(&temporary).map_err(error)?;
                    std::io::Write::write_all(&mut out, token.as_bytes()).map_err(error)?;
                    out.sync_all().map_err(error)?;
                }
                std::fs::rename(&temporary, file).map_err(error)?;
                if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::File::open(dir)
                        .and_then(|d| d.sync_all())
                        .map_err(error)?;
                }
                Ok(())
            }
            StateToken::Memory(current) => {
                if let Ok(mut current) = current.lock() {
                    *current = Some(token.to_string());
                }
                Ok(())
            }
        }
    }
}

struct Terms {
    records_graph: NamedNode,
    runs_graph: NamedNode,
    rdf_type: NamedNode,
    primary_topic: NamedNode,
    issued: NamedNode,
    modified: NamedNode,
    generated_by: NamedNode,
    source: NamedNode,
    source_name: NamedNode,
    country: NamedNode,
    record_id: NamedNode,
    record_type: NamedNode,
    state: NamedNode,
    content_hash: NamedNode,
    deleted_at: NamedNode,
    minted: NamedNode,
    stale: NamedNode,
    quarantined_hash: NamedNode,
    local_id: NamedNode,
}

impl Terms {
    fn new() -> Self {
        let n = NamedNode::new_unchecked;
        Self {
            records_graph: n(ns::RECORDS_GRAPH),
            runs_graph: n(ns::RUNS_GRAPH),
            rdf_type: n(ns::RDF_TYPE),
            primary_topic: n(ns::FOAF_PRIMARY_TOPIC),
            issued: n(ns::DCT_ISSUED),
            modified: n(ns::DCT_MODIFIED),
            generated_by: n(ns::PROV_WAS_GENERATED_BY),
            source: n(&ns::kat("source")),
            source_name: n(&ns::kat("sourceName")),
            country: n(&ns::kat("country")),
            record_id: n(&ns::kat("recordId")),
            record_type: n(&ns::kat("recordType")),
            state: n(&ns::kat("state")),
            content_hash: n(&ns::kat("contentHash")),
            deleted_at: n(&ns::kat("deletedAt")),
            minted: n(&ns::kat("mintedFromBlankNode")),
            stale: n(&ns::kat("stale")),
            quarantined_hash: n(&ns::kat("quarantinedHash")),
            local_id: n(&ns::kat("localId")),
        }
    }
}

fn datetime(time: DateTime<Utc>) -> Literal {
    Literal::new_typed_literal(
        time.to_rfc3339_opts(SecondsFormat::Millis, true),
        NamedNodeRef::new_unchecked(ns::XSD_DATETIME),
    )
}

fn count(n: usize) -> Literal {
    Literal::new_typed_literal(
        n.to_string(),
        NamedNodeRef::new_unchecked(ns::XSD_NON_NEGATIVE_INTEGER),
    )
}

const PUBLISHED: &str = "published";
const DELETED: &str = "deleted";
const QUARANTINED: &str = "quarantined";
/// Published by another source with a higher priority (see [`duplicates`]):
/// kept with its content, not public.
const SUPERSEDED: &str = "superseded";

impl CatalogStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            source: e.into(),
        })?;
        let store = Store::open(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Self {
            store,
            staging: Some(staging::dir_beside(path)),
            state: Arc::new(StateToken::beside(path)),
        })
    }

    /// Opens a store another process may be writing to, for reading only.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let store = Store::open_read_only(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        // Read-only: never changes the store, so its own token is enough.
        Ok(Self {
            store,
            staging: None,
            state: Arc::new(StateToken::Memory(Mutex::new(None))),
        })
    }

    pub fn in_memory() -> Result<Self, StoreError> {
        Ok(Self {
            store: Store::new()?,
            staging: None,
            state: Arc::new(StateToken::Memory(Mutex::new(None))),
        })
    }

    /// The store-state token: a value that changes before every change to
    /// the published records (a harvest run that adds, changes, deletes or
    /// quarantines records; a duplicate resolution that changes an
    /// outcome). Whatever mirrors the store (the search index) saves the
    /// token it read before reading the store, and is current while the
    /// token is the same: a crash during a change leaves the new token, so a
    /// mirror is never taken for current after one. `None` until the first
    /// change or [`CatalogStore::ensure_state_token`].
    pub fn state_token(&self) -> Result<Option<String>, StoreError> {
        self.state.read()
    }

    /// The state token, creating one when the store has none yet (a store
    /// written before tokens existed).
    pub fn ensure_state_token(&self) -> Result<String, StoreError> {
        if let Some(token) = self.state.read()? {
            return Ok(token);
        }
        let token = fresh_state_token();
        self.state.write(&token)?;
        Ok(token)
    }

    /// Called before any change to the published records: a new token,
    /// durably written, so that no mirror saved with the old one is taken
    /// for current once the change (or part of it) is in the store.
    /// Every writer of the records graph must call it first.
    pub fn mark_changing(&self) -> Result<(), StoreError> {
        self.state.write(&fresh_state_token())
    }

    /// The underlying Oxigraph store, for SPARQL.
    pub fn oxigraph(&self) -> &Store {
        &self.store
    }

    /// Replaces the records of `source` by `records` and records the run.
    /// Records absent from `records` are tombstoned: their graph is emptied and
    /// their catalogue record kept with its deletion time.
    ///
    /// New records are written with Oxigraph's bulk loader (sorted SST files,
    /// ingested atomically), an order of magnitude faster than a transaction.
    /// When the run only adds, everything goes in that one atomic load. When it
    /// also changes or deletes, those and all catalogue records follow in one
    /// transaction; a crash between the two leaves only record graphs without
    /// a catalogue record, which [`CatalogStore::repair`] removes at start-up.
    pub fn apply_source_run(
        &self,
        source: &SourceMeta,
        run: &mut HarvestRun,
        records: &[PreparedRecord],
    ) -> Result<(), StoreError> {
        self.apply_source_run_with(source, run, records, &ApplyOptions::default())
    }

    /// [`CatalogStore::apply_source_run`] with the mass-delete guard: when
    /// `options.max_delete_share` is set and the run would tombstone more than
    /// that share of the source's live records, nothing changes and the run is
    /// recorded as [`RunOutcome::Guarded`] with its planned counts.
    pub fn apply_source_run_with(
        &self,
        source: &SourceMeta,
        run: &mut HarvestRun,
        records: &[PreparedRecord],
        options: &ApplyOptions,
    ) -> Result<(), StoreError> {
        let t = Terms::new();
        let existing = stored_records(&self.store, &t, &source.iri())?;
        self.apply_planned(source, run, records, options, &existing)
    }

    /// Applies a run against `existing`, the stored records it may touch:
    /// those of `existing` absent from `records` are tombstoned.
    fn apply_planned(
        &self,
        source: &SourceMeta,
        run: &mut HarvestRun,
        records: &[PreparedRecord],
        options: &ApplyOptions,
        existing: &HashMap<String, StoredRecord>,
    ) -> Result<(), StoreError> {
        let t = Terms::new();
        let now = Utc::now();
        let plan = RunPlan::new(existing, records);
        run.counts = plan.counts;
        run.outcome = if plan.counts.is_unchanged() {
            RunOutcome::Unchanged
        } else {
            RunOutcome::Success
        };
        run.ended = Utc::now();
        if let Some(share) = options.max_delete_share {
            let live = existing
                .values()
                .filter(|r| r.counted && !r.deleted)
                .count();
            let deleted = plan.counts.deleted;
            if deleted > 0 && deleted as f64 > share * live as f64 {
                run.outcome = RunOutcome::Guarded;
                run.error = Some(guard_message(source, deleted, live, share));
                return self.record_failed_run(source, run);
            }
        }
        self.write_plan(&t, source, &run.iri(), &plan, now, Some(run))?;
        self.prune_reports(source)?;
        Ok(())
    }

    /// Writes what a plan does to records. With `finish`, the run's record
    /// and report are written with it (in its last write).
    ///
    /// New records' content goes in with Oxigraph's bulk loader; when the
    /// plan only adds, their catalogue records (and the run) go in the same
    /// load. Otherwise those and every other change follow in one
    /// transaction; a crash between the two leaves only record graphs
    /// without a catalogue record, which [`CatalogStore::repair`] removes.
    fn write_plan(
        &self,
        t: &Terms,
        source: &SourceMeta,
        run_node: &NamedNode,
        plan: &RunPlan<'_>,
        now: DateTime<Utc>,
        finish: Option<&HarvestRun>,
    ) -> Result<(), StoreError> {
        let only_adds =
            plan.updated.is_empty() && plan.deleted.is_empty() && plan.quarantined.is_empty();
        if !(only_adds && plan.fresh.is_empty()) {
            // Before the change: a crash within it leaves a new token.
            self.mark_changing()?;
        }

        if !plan.fresh.is_empty() || only_adds {
            let mut loader = self.store.bulk_loader();
            loader.load_quads(plan.fresh.iter().flat_map(|r| content_quads(r)))?;
            if only_adds {
                loader.load_quads(
                    plan.fresh
                        .iter()
                        .flat_map(|r| new_record_quads(t, source, run_node, r, now, PUBLISHED)),
                )?;
                if let Some(run) = finish {
                    loader.load_quads(run_quads(t, source, run))?;
                    loader.load_quads(report_quads(run))?;
                }
            }
            loader.commit()?;
            if only_adds {
                return Ok(());
            }
        }

        let mut tx = self.store.start_transaction()?;
        for record in &plan.fresh {
            for quad in new_record_quads(t, source, run_node, record, now, PUBLISHED) {
                tx.insert(&quad);
            }
        }
        let g = GraphName::NamedNode(t.records_graph.clone());
        for record in &plan.updated {
            let node = record_iri(&record.id);
            tx.clear_graph(GraphNameRef::NamedNode(node.as_ref()))?;
            let quarantine = quarantine_iri(&record.id);
            tx.clear_graph(GraphNameRef::NamedNode(quarantine.as_ref()))?;
            for predicate in [
                &t.modified,
                &t.content_hash,
                &t.generated_by,
                &t.state,
                &t.deleted_at,
                &t.stale,
                &t.quarantined_hash,
            ] {
                remove_values(&mut tx, &node, predicate, &t.records_graph)?;
            }
            remove_quality(&mut tx, t, &node)?;
            for quad in changing_quads(t, run_node, record, now) {
                tx.insert(&quad);
            }
            set_local_id(&mut tx, t, record)?;
            for quad in quality_quads(record, &g) {
                tx.insert(&quad);
            }
            for quad in content_quads(record) {
                tx.insert(&quad);
            }
        }
        for (record, stored) in &plan.quarantined {
            let node = record_iri(&record.id);
            let quarantine = quarantine_iri(&record.id);
            tx.clear_graph(GraphNameRef::NamedNode(quarantine.as_ref()))?;
            let graph = GraphName::NamedNode(quarantine);
            for quad in content_quads(record) {
                tx.insert(&Quad::new(
                    quad.subject,
                    quad.predicate,
                    quad.object,
                    graph.clone(),
                ));
            }
            for quad in quality_quads(record, &graph) {
                tx.insert(&quad);
            }
            for triple in record.quarantine.iter().flat_map(|q| &q.report) {
                tx.insert(&Quad::new(
                    triple.subject.clone(),
                    triple.predicate.clone(),
                    lexical::to_store(&triple.object),
                    graph.clone(),
                ));
            }
            let withdrawn = stored
                .as_ref()
                .is_some_and(|stored| stored.published && stored.hash == record.hash);
            if withdrawn {
                // The published version itself now violates (the source's
                // profile changed): it is no longer published.
                tx.clear_graph(GraphNameRef::NamedNode(node.as_ref()))?;
            }
            let marks = match stored {
                // An earlier valid version stays published, flagged as stale.
                Some(stored) if stored.published && !withdrawn => {
                    for predicate in [&t.stale, &t.quarantined_hash] {
                        remove_values(&mut tx, &node, predicate, &t.records_graph)?;
                    }
                    vec![Quad::new(
                        node.clone(),
                        t.stale.clone(),
                        Literal::from(true),
                        g.clone(),
                    )]
                }
                Some(_) => {
                    remove_quality(&mut tx, t, &node)?;
                    for predicate in [
                        &t.state,
                        &t.generated_by,
                        &t.modified,
                        &t.deleted_at,
                        &t.quarantined_hash,
                        &t.content_hash,
                    ] {
                        remove_values(&mut tx, &node, predicate, &t.records_graph)?;
                    }
                    vec![
                        Quad::new(
                            node.clone(),
                            t.state.clone(),
                            Literal::from(QUARANTINED),
                            g.clone(),
                        ),
                        Quad::new(
                            node.clone(),
                            t.generated_by.clone(),
                            run_node.clone(),
                            g.clone(),
                        ),
                        Quad::new(node.clone(), t.modified.clone(), datetime(now), g.clone()),
                    ]
                }
                None => new_record_quads(t, source, run_node, record, now, QUARANTINED)
                    .into_iter()
                    .filter(|q| q.predicate != t.content_hash)
                    .collect(),
            };
            for quad in marks {
                tx.insert(&quad);
            }
            if stored.is_some() {
                set_local_id(&mut tx, t, record)?;
            }
            tx.insert(&Quad::new(
                node,
                t.quarantined_hash.clone(),
                Literal::from(record.hash.as_str()),
                g.clone(),
            ));
        }
        for id in &plan.deleted {
            let node = record_iri(id);
            tx.clear_graph(GraphNameRef::NamedNode(node.as_ref()))?;
            let quarantine = quarantine_iri(id);
            tx.clear_graph(GraphNameRef::NamedNode(quarantine.as_ref()))?;
            let also = NamedNode::new_unchecked(ns::kat("alsoPublishedBy"));
            let superseded = NamedNode::new_unchecked(ns::kat("supersededBy"));
            for predicate in [
                &t.state,
                &t.generated_by,
                &t.stale,
                &t.quarantined_hash,
                &also,
                &superseded,
            ] {
                remove_values(&mut tx, &node, predicate, &t.records_graph)?;
            }
            remove_quality(&mut tx, t, &node)?;
            for quad in [
                Quad::new(
                    node.clone(),
                    t.state.clone(),
                    Literal::from(DELETED),
                    g.clone(),
                ),
                Quad::new(node.clone(), t.deleted_at.clone(), datetime(now), g.clone()),
                Quad::new(node, t.generated_by.clone(), run_node.clone(), g.clone()),
            ] {
                tx.insert(&quad);
            }
        }
        if let Some(run) = finish {
            for quad in run_quads(t, source, run) {
                tx.insert(&quad);
            }
            for quad in report_quads(run) {
                tx.insert(&quad);
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Keeps the validation reports of a source's newest runs only: each
    /// holds every violation of its run, and runs accumulate nightly.
    fn prune_reports(&self, source: &SourceMeta) -> Result<(), StoreError> {
        const KEEP: usize = 5;
        let t = Terms::new();
        let runs_graph = GraphNameRef::NamedNode(t.runs_graph.as_ref());
        let link = NamedNode::new_unchecked(ns::kat("validationReport"));
        let started = NamedNode::new_unchecked(ns::PROV_STARTED);
        let source_node = source.iri();
        let mut reports: Vec<(String, NamedNode)> = Vec::new();
        for quad in self.store.quads_for_pattern(
            None,
            Some(t.source.as_ref()),
            Some(source_node.as_ref().into()),
            Some(runs_graph),
        ) {
            let run = quad?.subject;
            let Some(Term::NamedNode(report)) =
                single_value(&self.store, run.as_ref(), &link, runs_graph)?
            else {
                continue;
            };
            let when = match single_value(&self.store, run.as_ref(), &started, runs_graph)? {
                Some(Term::Literal(l)) => l.value().to_string(),
                _ => String::new(),
            };
            reports.push((when, report));
        }
        reports.sort();
        let stale = reports.len().saturating_sub(KEEP);
        for (_, report) in reports.into_iter().take(stale) {
            self.store.remove_named_graph(report.as_ref())?;
        }
        Ok(())
    }

    /// Removes record graphs that have no catalogue record: what a crash
    /// between a run's bulk load and its transaction leaves. Returns how many.
    pub fn repair(&self) -> Result<usize, StoreError> {
        let t = Terms::new();
        // One SPARQL anti-join: it works on the store's term ids and only
        // spells out the graphs it returns, where walking the graphs and
        // looking each one up spells out every IRI (seconds at start-up in
        // a store of 100,000 records).
        let query = format!(
            "SELECT ?g WHERE {{ GRAPH ?g {{ }} MINUS {{ GRAPH <{}> {{ ?g <{}> ?id }} }} }}",
            ns::RECORDS_GRAPH,
            t.record_id.as_str()
        );
        let failed = |e: &dyn std::fmt::Display| {
            StoreError::Storage(StorageError::Other(
                format!("finding interrupted harvests: {e}").into(),
            ))
        };
        let results = oxigraph::sparql::SparqlEvaluator::new()
            .parse_query(&query)
            .map_err(|e| failed(&e))?
            .on_store(&self.store)
            .execute()
            .map_err(|e| failed(&e))?;
        let oxigraph::sparql::QueryResults::Solutions(solutions) = results else {
            return Err(failed(&"not a SELECT"));
        };
        let mut orphans = Vec::new();
        for solution in solutions {
            let solution = solution.map_err(|e| failed(&e))?;
            if let Some(Term::NamedNode(name)) = solution.get("g") {
                if name.as_str().starts_with(ns::RECORD_GRAPH_PREFIX) {
                    orphans.push(name.clone());
                }
            }
        }
        for name in &orphans {
            tracing::warn!(graph = %name, "removing a record graph left by an interrupted harvest");
            self.store.remove_named_graph(name.as_ref())?;
        }
        // After the orphans: a chunk cut between its bulk load and its
        // transaction is then simply applied again.
        let rolled = self.recover_staged_runs()?;
        Ok(orphans.len() + rolled)
    }

    /// Writes the memtables to disk, so the next open does not replay a long log.
    pub fn flush(&self) -> Result<(), StoreError> {
        Ok(self.store.flush()?)
    }

    /// Records a run that failed: the source's records are not touched.
    pub fn record_failed_run(
        &self,
        source: &SourceMeta,
        run: &HarvestRun,
    ) -> Result<(), StoreError> {
        let t = Terms::new();
        let mut tx = self.store.start_transaction()?;
        for quad in run_quads(&t, source, run) {
            tx.insert(&quad);
        }
        tx.commit()?;
        Ok(())
    }

    /// Records a run that touched no record (a source answering 304).
    pub fn record_run(&self, source: &SourceMeta, run: &HarvestRun) -> Result<(), StoreError> {
        self.record_failed_run(source, run)
    }

    /// The stored versions of each of a source's records, by record id.
    pub fn stored_versions(
        &self,
        source: &SourceMeta,
    ) -> Result<HashMap<String, StoredVersions>, StoreError> {
        let t = Terms::new();
        Ok(stored_records(&self.store, &t, &source.iri())?
            .into_iter()
            .filter(|(_, r)| !r.deleted)
            .map(|(id, r)| {
                let versions = StoredVersions {
                    published: r.published.then_some(r.hash),
                    quarantined: r.quarantined_hash,
                    counted: r.counted,
                };
                (id, versions)
            })
            .collect())
    }

    /// What the store remembers of a source for incremental harvests.
    pub fn source_state(&self, source: &str) -> Result<SourceState, StoreError> {
        let graph = NamedNode::new_unchecked(ns::RUNS_GRAPH);
        let graph = GraphNameRef::NamedNode(graph.as_ref());
        let kat = |local: &str| NamedNode::new_unchecked(ns::kat(local));
        let source_node = NamedNode::new_unchecked(format!("{}{source}", ns::SOURCE_PREFIX));
        let mut state = SourceState::default();
        if let Some(Term::Literal(settings)) = single_value(
            &self.store,
            source_node.as_ref().into(),
            &kat("harvestSettings"),
            graph,
        )? {
            state.settings = Some(settings.value().to_string());
        }
        let document = kat("document");
        for quad in self.store.quads_for_pattern(
            Some(source_node.as_ref().into()),
            Some(document.as_ref()),
            None,
            Some(graph),
        ) {
            let Term::NamedNode(entry) = quad?.object else {
                continue;
            };
            let entry = NamedOrBlankNodeRef::NamedNode(entry.as_ref());
            let value = |local: &str| -> Result<Option<String>, StorageError> {
                Ok(
                    match single_value(&self.store, entry, &kat(local), graph)? {
                        Some(Term::Literal(l)) => Some(l.value().to_string()),
                        _ => None,
                    },
                )
            };
            if let Some(url) = value("url")? {
                let validators = crate::harvest::fetch::Validators {
                    etag: value("etag")?,
                    last_modified: value("lastModified")?,
                };
                if let Some(next) = value("next")? {
                    state.next_pages.insert(url.clone(), next);
                }
                state.documents.insert(url, validators);
            }
        }
        Ok(state)
    }

    /// Replaces what the store remembers of a source for incremental
    /// harvests. Written after the run that fetched those documents is
    /// committed: a crash in between costs one full fetch, never a missed change.
    pub fn set_source_state(&self, source: &str, state: &SourceState) -> Result<(), StoreError> {
        let graph_node = NamedNode::new_unchecked(ns::RUNS_GRAPH);
        let graph = GraphNameRef::NamedNode(graph_node.as_ref());
        let g = GraphName::NamedNode(graph_node.clone());
        let kat = |local: &str| NamedNode::new_unchecked(ns::kat(local));
        let source_node = NamedNode::new_unchecked(format!("{}{source}", ns::SOURCE_PREFIX));
        let document = kat("document");
        let settings = kat("harvestSettings");
        let mut tx = self.store.start_transaction()?;
        let old: Vec<Quad> = tx
            .quads_for_pattern(Some(source_node.as_ref().into()), None, None, Some(graph))
            .collect::<Result<_, _>>()?;
        for quad in old
            .iter()
            .filter(|q| q.predicate == document || q.predicate == settings)
        {
            if let Term::NamedNode(entry) = &quad.object {
                let values: Vec<Quad> = tx
                    .quads_for_pattern(Some(entry.as_ref().into()), None, None, Some(graph))
                    .collect::<Result<_, _>>()?;
                for value in &values {
                    tx.remove(value);
                }
            }
            tx.remove(quad);
        }
        if let Some(value) = &state.settings {
            tx.insert(&Quad::new(
                source_node.clone(),
                settings,
                Literal::from(value.as_str()),
                g.clone(),
            ));
        }
        for (url, validators) in &state.documents {
            use sha2::Digest;
            let digest = hex::encode(sha2::Sha256::digest(url.as_bytes()));
            let entry = NamedNode::new_unchecked(format!(
                "{}{source}/document/{}",
                ns::SOURCE_PREFIX,
                &digest[..24]
            ));
            tx.insert(&Quad::new(
                source_node.clone(),
                document.clone(),
                entry.clone(),
                g.clone(),
            ));
            let mut values = vec![("url", url.as_str())];
            if let Some(etag) = &validators.etag {
                values.push(("etag", etag.as_str()));
            }
            if let Some(modified) = &validators.last_modified {
                values.push(("lastModified", modified.as_str()));
            }
            if let Some(next) = state.next_pages.get(url) {
                values.push(("next", next.as_str()));
            }
            for (local, value) in values {
                tx.insert(&Quad::new(
                    entry.clone(),
                    kat(local),
                    Literal::from(value),
                    g.clone(),
                ));
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Number of published records of a kind, per source.
    pub fn published_counts(&self) -> Result<Vec<(String, RecordKind, usize)>, StoreError> {
        let t = Terms::new();
        let graph = GraphNameRef::NamedNode(t.records_graph.as_ref());
        let mut counts: HashMap<(String, String), usize> = HashMap::new();
        for quad in self.store.quads_for_pattern(
            None,
            Some(t.state.as_ref()),
            Some(TermRef::Literal(Literal::from(PUBLISHED).as_ref())),
            Some(graph),
        ) {
            let quad = quad?;
            let subject = quad.subject.as_ref();
            let source = single_value(&self.store, subject, &t.source_name, graph)?;
            let kind = single_value(&self.store, subject, &t.record_type, graph)?;
            if let (Some(Term::Literal(source)), Some(Term::NamedNode(kind))) = (source, kind) {
                *counts
                    .entry((source.value().to_string(), kind.into_string()))
                    .or_default() += 1;
            }
        }
        let mut out: Vec<(String, RecordKind, usize)> = counts
            .into_iter()
            .filter_map(|((source, kind), n)| {
                RecordKind::from_class_iri(&kind).map(|kind| (source, kind, n))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)));
        Ok(out)
    }

    /// Writes a read-only snapshot of the store (a RocksDB checkpoint: hard
    /// links, so cheap) into a new directory under `dir`, removes all but the
    /// newest few, and returns the new one. Query workers read snapshots: an
    /// immutable view that a concurrent compaction cannot pull files from under.
    pub fn snapshot(&self, dir: &Path) -> Result<std::path::PathBuf, StoreError> {
        const KEEP: usize = 3;
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Storage(e.into()))?;
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        let target = dir.join(format!("{nanos:020}"));
        self.store.backup(&target)?;
        // What the public endpoint reads never holds quarantined versions.
        let public = Store::open(&target)?;
        let held_back: Vec<NamedNode> = public
            .named_graphs()
            .filter_map(|g| match g {
                Ok(oxigraph::model::NamedOrBlankNode::NamedNode(n))
                    if n.as_str().starts_with(ns::QUARANTINE_GRAPH_PREFIX)
                        || n.as_str().starts_with(ns::REPORT_GRAPH_PREFIX) =>
                {
                    Some(n)
                }
                _ => None,
            })
            .collect();
        // Nor the records another source publishes with a higher priority.
        let t = Terms::new();
        let mut held_back = held_back;
        for quad in public.quads_for_pattern(
            None,
            Some(t.state.as_ref()),
            Some(Literal::from(SUPERSEDED).as_ref().into()),
            Some(GraphNameRef::NamedNode(t.records_graph.as_ref())),
        ) {
            if let NamedOrBlankNodeRef::NamedNode(node) = quad?.subject.as_ref() {
                held_back.push(node.into_owned());
            }
        }
        for graph in &held_back {
            public.remove_named_graph(graph.as_ref())?;
        }
        public.flush()?;
        drop(public);
        let mut existing: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| StoreError::Storage(e.into()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.is_dir())
            .collect();
        existing.sort();
        let stale = existing.len().saturating_sub(KEEP);
        for old in existing.into_iter().take(stale) {
            // A worker still reading an old snapshot keeps its open files.
            let _ = std::fs::remove_dir_all(old);
        }
        Ok(target)
    }

    /// Every published record with its source, country, kind and content
    /// hash: what the search index must hold. Sorted by id; holds them all
    /// in memory (a few hundred bytes each): syncs over large stores use
    /// [`CatalogStore::each_published_record`].
    pub fn published_records(&self) -> Result<Vec<PublishedRecord>, StoreError> {
        let mut out = Vec::new();
        self.each_published_record(|record| {
            out.push(record);
            Ok::<_, StoreError>(())
        })?;
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Calls `visit` with every published record, one at a time, in the
    /// store's order, from one snapshot: memory stays flat however many
    /// records there are. Stops at the first error `visit` returns.
    pub fn each_published_record<E: From<StoreError>>(
        &self,
        mut visit: impl FnMut(PublishedRecord) -> Result<(), E>,
    ) -> Result<(), E> {
        let t = Terms::new();
        let graph = GraphNameRef::NamedNode(t.records_graph.as_ref());
        for quad in self.store.quads_for_pattern(
            None,
            Some(t.state.as_ref()),
            Some(TermRef::Literal(Literal::from(PUBLISHED).as_ref())),
            Some(graph),
        ) {
            let quad = quad.map_err(StoreError::from)?;
            let mut record = PublishedRecord::default();
            for value in
                self.store
                    .quads_for_pattern(Some(quad.subject.as_ref()), None, None, Some(graph))
            {
                let value = value.map_err(StoreError::from)?;
                match &value.object {
                    Term::Literal(l) if value.predicate == t.record_id => {
                        record.id = l.value().to_string()
                    }
                    Term::Literal(l) if value.predicate == t.content_hash => {
                        record.hash = l.value().to_string()
                    }
                    Term::Literal(l) if value.predicate == t.source_name => {
                        record.source = l.value().to_string()
                    }
                    Term::Literal(l) if value.predicate == t.country => {
                        record.country = l.value().to_string()
                    }
                    Term::NamedNode(n) if value.predicate == t.primary_topic => {
                        record.resource = n.as_str().to_string()
                    }
                    Term::NamedNode(n) if value.predicate == t.record_type => {
                        record.kind = RecordKind::from_class_iri(n.as_str())
                    }
                    _ => {}
                }
            }
            if !record.id.is_empty() {
                visit(record)?;
            }
        }
        Ok(())
    }

    /// The triples of a record's published version, literals as harvested.
    pub fn record_triples(&self, id: &str) -> Result<Vec<oxrdf::Triple>, StoreError> {
        let graph = record_iri(id);
        self.store
            .quads_for_pattern(
                None,
                None,
                None,
                Some(GraphNameRef::NamedNode(graph.as_ref())),
            )
            .map(|quad| Ok(lexical::triple_from_store(oxrdf::Triple::from(quad?))))
            .collect()
    }

    /// Whether any harvest run was ever recorded.
    pub fn has_runs(&self) -> Result<bool, StoreError> {
        let runs_graph = NamedNode::new_unchecked(ns::RUNS_GRAPH);
        Ok(self
            .store
            .quads_for_pattern(
                None,
                None,
                None,
                Some(GraphNameRef::NamedNode(runs_graph.as_ref())),
            )
            .next()
            .transpose()?
            .is_some())
    }
}

fn single_value(
    store: &Store,
    subject: NamedOrBlankNodeRef<'_>,
    predicate: &NamedNode,
    graph: GraphNameRef<'_>,
) -> Result<Option<Term>, StorageError> {
    Ok(store
        .quads_for_pattern(Some(subject), Some(predicate.as_ref()), None, Some(graph))
        .next()
        .transpose()?
        .map(|q| q.object))
}

/// The source's records as stored. Reads the catalogue records' values with
/// one scan per predicate (sequential reads) rather than one lookup per
/// record: an unchanged 100k-record source is planned in a fraction of the time.
fn stored_records(
    store: &Store,
    t: &Terms,
    source: &NamedNode,
) -> Result<HashMap<String, StoredRecord>, StorageError> {
    #[derive(Default)]
    struct Values {
        id: Option<String>,
        hash: String,
        state: String,
        quarantined_hash: Option<String>,
        counted: bool,
    }
    let graph = GraphNameRef::NamedNode(t.records_graph.as_ref());
    let mut nodes: HashMap<oxigraph::model::NamedOrBlankNode, Values> = HashMap::new();
    for quad in store.quads_for_pattern(
        None,
        Some(t.source.as_ref()),
        Some(source.as_ref().into()),
        Some(graph),
    ) {
        nodes.insert(
            quad?.subject,
            Values {
                counted: true,
                ..Default::default()
            },
        );
    }
    if nodes.is_empty() {
        return Ok(HashMap::new());
    }
    let unattached = RecordKind::Unattached.class_iri();
    for predicate in [
        &t.record_id,
        &t.content_hash,
        &t.state,
        &t.quarantined_hash,
        &t.record_type,
    ] {
        for quad in store.quads_for_pattern(None, Some(predicate.as_ref()), None, Some(graph)) {
            let quad = quad?;
            let Some(values) = nodes.get_mut(&quad.subject) else {
                continue;
            };
            match quad.object {
                Term::Literal(literal) if predicate == &t.record_id => {
                    values.id = Some(literal.value().to_string())
                }
                Term::Literal(literal) if predicate == &t.content_hash => {
                    values.hash = literal.value().to_string()
                }
                Term::Literal(literal) if predicate == &t.state => {
                    values.state = literal.value().to_string()
                }
                Term::Literal(literal) if predicate == &t.quarantined_hash => {
                    values.quarantined_hash = Some(literal.value().to_string())
                }
                Term::NamedNode(kind) if predicate == &t.record_type => {
                    values.counted = kind.as_str() != unattached
                }
                _ => {}
            }
        }
    }
    Ok(nodes
        .into_values()
        .filter_map(|v| {
            let id = v.id?;
            let record = StoredRecord {
                hash: v.hash,
                // A superseded record is live: its source still publishes it.
                published: v.state == PUBLISHED || v.state == SUPERSEDED,
                deleted: v.state == DELETED,
                quarantined_hash: v.quarantined_hash,
                counted: v.counted,
            };
            Some((id, record))
        })
        .collect())
}

/// Why the mass-delete guard stopped a run, and how to let it through.
fn guard_message(source: &SourceMeta, deleted: usize, live: usize, share: f64) -> String {
    format!(
        "source '{}': mass-delete guard: this run would remove {deleted} of the source's {live} records \
         ({:.0} %, more than harvest.max_delete_share = {:.0} %), so it changed nothing; if the \
         removal is intended, run `katalog harvest --source {} --allow-mass-delete`",
        source.name,
        100.0 * deleted as f64 / live.max(1) as f64,
        100.0 * share,
        source.name
    )
}

/// What a run does to each record.
struct RunPlan<'a> {
    /// Records the store has never had.
    fresh: Vec<&'a PreparedRecord>,
    /// Records whose content changed, or that come back after a deletion.
    updated: Vec<&'a PreparedRecord>,
    /// Versions that violate the profile: held back in their quarantine graph.
    quarantined: Vec<(&'a PreparedRecord, Option<&'a StoredRecord>)>,
    /// Published or quarantined records the run no longer has.
    deleted: Vec<String>,
    counts: RecordCounts,
}

impl<'a> RunPlan<'a> {
    fn new(existing: &'a HashMap<String, StoredRecord>, records: &'a [PreparedRecord]) -> Self {
        let (mut plan, seen) = Self::of_records(existing, records);
        for (id, stored) in existing {
            if !stored.deleted && !seen.contains(id.as_str()) {
                if stored.counted {
                    plan.counts.deleted += 1;
                }
                plan.deleted.push(id.clone());
            }
        }
        plan.deleted.sort();
        plan
    }

    /// What a run does to `records`, leaving the other records alone (a
    /// chunk of a staged run).
    fn of_records(
        existing: &'a HashMap<String, StoredRecord>,
        records: &'a [PreparedRecord],
    ) -> (Self, std::collections::HashSet<&'a str>) {
        let mut plan = RunPlan {
            fresh: Vec::new(),
            updated: Vec::new(),
            quarantined: Vec::new(),
            deleted: Vec::new(),
            counts: RecordCounts::default(),
        };
        let mut seen = std::collections::HashSet::with_capacity(records.len());
        for record in records {
            if !seen.insert(record.id.as_str()) {
                continue; // the same resource twice in one document: split once
            }
            let stored = existing.get(&record.id);
            let change = RecordChange::of(record, stored);
            plan.counts.count(record, change);
            match change {
                RecordChange::Unchanged => {}
                RecordChange::Quarantined => plan.quarantined.push((record, stored)),
                RecordChange::Updated { .. } => plan.updated.push(record),
                RecordChange::Fresh => plan.fresh.push(record),
            }
        }
        (plan, seen)
    }
}

/// The record's triples in its named graph, literals kept as written.
fn content_quads(record: &PreparedRecord) -> impl Iterator<Item = Quad> + '_ {
    let graph = GraphName::NamedNode(record_iri(&record.id));
    record.graph.triples.iter().map(move |triple| {
        Quad::new(
            triple.subject.clone(),
            triple.predicate.clone(),
            lexical::to_store(&triple.object),
            graph.clone(),
        )
    })
}

/// The catalogue record of a record the store has never had.
fn new_record_quads(
    t: &Terms,
    source: &SourceMeta,
    run: &NamedNode,
    record: &PreparedRecord,
    now: DateTime<Utc>,
    state: &str,
) -> Vec<Quad> {
    let node = record_iri(&record.id);
    let g = GraphName::NamedNode(t.records_graph.clone());
    let class = if record.graph.kind == RecordKind::Unattached {
        NamedNode::new_unchecked(ns::kat("UnattachedTriples"))
    } else {
        NamedNode::new_unchecked(ns::DCAT_CATALOG_RECORD)
    };
    let mut quads = vec![
        Quad::new(node.clone(), t.rdf_type.clone(), class, g.clone()),
        Quad::new(
            node.clone(),
            t.primary_topic.clone(),
            record.graph.resource.clone(),
            g.clone(),
        ),
        Quad::new(
            node.clone(),
            t.record_id.clone(),
            Literal::from(record.id.as_str()),
            g.clone(),
        ),
        Quad::new(node.clone(), t.source.clone(), source.iri(), g.clone()),
        Quad::new(
            node.clone(),
            t.source_name.clone(),
            Literal::from(source.name.as_str()),
            g.clone(),
        ),
        Quad::new(
            node.clone(),
            t.country.clone(),
            Literal::from(source.country.as_str()),
            g.clone(),
        ),
        Quad::new(
            node.clone(),
            t.record_type.clone(),
            NamedNode::new_unchecked(record.graph.kind.class_iri()),
            g.clone(),
        ),
        Quad::new(node.clone(), t.issued.clone(), datetime(now), g.clone()),
    ];
    if let Some(local) = &record.local_id {
        quads.push(Quad::new(
            node.clone(),
            t.local_id.clone(),
            Literal::from(local.as_str()),
            g.clone(),
        ));
    }
    if record.graph.minted {
        quads.push(Quad::new(
            node,
            t.minted.clone(),
            Literal::from(true),
            g.clone(),
        ));
    }
    let mut changing = changing_quads(t, run, record, now);
    changing[3] = Quad::new(
        record_iri(&record.id),
        t.state.clone(),
        Literal::from(state),
        GraphName::NamedNode(t.records_graph.clone()),
    );
    quads.extend(changing);
    if state == PUBLISHED {
        quads.extend(quality_quads(record, &g));
    }
    quads
}

/// The record's DQV quality measurements, on its catalogue record node.
fn quality_quads(record: &PreparedRecord, graph: &GraphName) -> Vec<Quad> {
    let Some(score) = &record.quality else {
        return Vec::new();
    };
    let node = record_iri(&record.id);
    score
        .measurement_triples(&node, &record.graph.resource.clone().into())
        .into_iter()
        .map(|t| Quad::new(t.subject, t.predicate, t.object, graph.clone()))
        .collect()
}

/// Removes a catalogue record's quality measurements from the records graph.
fn remove_quality(
    tx: &mut Transaction<'_>,
    t: &Terms,
    node: &NamedNode,
) -> Result<(), StorageError> {
    let graph = GraphNameRef::NamedNode(t.records_graph.as_ref());
    let has = NamedNode::new_unchecked(format!("{}hasQualityMeasurement", quality::DQV));
    let links: Vec<Quad> = tx
        .quads_for_pattern(
            Some(node.as_ref().into()),
            Some(has.as_ref()),
            None,
            Some(graph),
        )
        .collect::<Result<_, _>>()?;
    for link in &links {
        if let Term::NamedNode(measurement) = &link.object {
            let values: Vec<Quad> = tx
                .quads_for_pattern(Some(measurement.as_ref().into()), None, None, Some(graph))
                .collect::<Result<_, _>>()?;
            for quad in &values {
                tx.remove(quad);
            }
        }
        tx.remove(link);
    }
    Ok(())
}

/// The run's `sh:ValidationReport`, in its own graph.
fn report_quads(run: &HarvestRun) -> Vec<Quad> {
    let graph = GraphName::NamedNode(report_iri(&run.id));
    run.report
        .iter()
        .map(|t| {
            Quad::new(
                t.subject.clone(),
                t.predicate.clone(),
                lexical::to_store(&t.object),
                graph.clone(),
            )
        })
        .collect()
}

/// The catalogue record's values that change with the record's content.
fn changing_quads(
    t: &Terms,
    run: &NamedNode,
    record: &PreparedRecord,
    now: DateTime<Utc>,
) -> [Quad; 4] {
    let node = record_iri(&record.id);
    let g = GraphName::NamedNode(t.records_graph.clone());
    [
        Quad::new(node.clone(), t.modified.clone(), datetime(now), g.clone()),
        Quad::new(
            node.clone(),
            t.content_hash.clone(),
            Literal::from(record.hash.as_str()),
            g.clone(),
        ),
        Quad::new(node.clone(), t.generated_by.clone(), run.clone(), g.clone()),
        Quad::new(node, t.state.clone(), Literal::from(PUBLISHED), g),
    ]
}

/// A pushed record's `kat:localId`, replacing any earlier one (a local id
/// may be rebound to a record whose earlier binding was deleted).
fn set_local_id(
    tx: &mut Transaction<'_>,
    t: &Terms,
    record: &PreparedRecord,
) -> Result<(), StorageError> {
    let Some(local) = &record.local_id else {
        return Ok(());
    };
    let node = record_iri(&record.id);
    remove_values(tx, &node, &t.local_id, &t.records_graph)?;
    tx.insert(&Quad::new(
        node,
        t.local_id.clone(),
        Literal::from(local.as_str()),
        GraphName::NamedNode(t.records_graph.clone()),
    ));
    Ok(())
}

/// Removes, inside `tx`, every value of `node`'s `predicate` in `graph`.
fn remove_values(
    tx: &mut Transaction<'_>,
    node: &NamedNode,
    predicate: &NamedNode,
    graph: &NamedNode,
) -> Result<(), StorageError> {
    let old: Vec<Quad> = tx
        .quads_for_pattern(
            Some(node.as_ref().into()),
            Some(predicate.as_ref()),
            None,
            Some(GraphNameRef::NamedNode(graph.as_ref())),
        )
        .collect::<Result<_, _>>()?;
    for quad in &old {
        tx.remove(quad);
    }
    Ok(())
}

/// Makes, inside `tx`, `value` the one value of `node`'s `predicate` in `graph`.
fn replace_value(
    tx: &mut Transaction<'_>,
    node: &NamedNode,
    predicate: &NamedNode,
    value: impl Into<Term>,
    graph: &NamedNode,
) -> Result<(), StorageError> {
    remove_values(tx, node, predicate, graph)?;
    tx.insert(&Quad::new(
        node.clone(),
        predicate.clone(),
        value.into(),
        GraphName::NamedNode(graph.clone()),
    ));
    Ok(())
}

fn run_quads(t: &Terms, source: &SourceMeta, run: &HarvestRun) -> Vec<Quad> {
    let g = GraphName::NamedNode(t.runs_graph.clone());
    let node = run.iri();
    let source_node = source.iri();
    let kat = |local: &str| NamedNode::new_unchecked(ns::kat(local));
    let mut quads = vec![
        Quad::new(
            node.clone(),
            t.rdf_type.clone(),
            kat("HarvestRun"),
            g.clone(),
        ),
        Quad::new(
            node.clone(),
            t.rdf_type.clone(),
            NamedNode::new_unchecked(ns::PROV_ACTIVITY),
            g.clone(),
        ),
        Quad::new(
            node.clone(),
            t.source.clone(),
            source_node.clone(),
            g.clone(),
        ),
        Quad::new(
            node.clone(),
            t.source_name.clone(),
            Literal::from(source.name.as_str()),
            g.clone(),
        ),
        Quad::new(
            node.clone(),
            NamedNode::new_unchecked(ns::PROV_STARTED),
            datetime(run.started),
            g.clone(),
        ),
        Quad::new(
            node.clone(),
            NamedNode::new_unchecked(ns::PROV_ENDED),
            datetime(run.ended),
            g.clone(),
        ),
        Quad::new(
            node.clone(),
            kat("outcome"),
            Literal::from(run.outcome.as_str()),
            g.clone(),
        ),
        Quad::new(
            node.clone(),
            NamedNode::new_unchecked(ns::PROV_USED),
            Literal::from(run.location.as_str()),
            g.clone(),
        ),
        Quad::new(node.clone(), kat("triples"), count(run.triples), g.clone()),
        // The source's own description, kept current by each run.
        Quad::new(
            source_node.clone(),
            t.rdf_type.clone(),
            kat("Source"),
            g.clone(),
        ),
        Quad::new(
            source_node.clone(),
            kat("name"),
            Literal::from(source.name.as_str()),
            g.clone(),
        ),
        Quad::new(
            source_node.clone(),
            t.country.clone(),
            Literal::from(source.country.as_str()),
            g.clone(),
        ),
    ];
    if let Some(format) = &run.format {
        quads.push(Quad::new(
            node.clone(),
            kat("format"),
            Literal::from(format.as_str()),
            g.clone(),
        ));
    }
    for (local, value) in [
        ("new", run.counts.new),
        ("changed", run.counts.changed),
        ("unchanged", run.counts.unchanged),
        ("deleted", run.counts.deleted),
        ("failed", run.counts.failed),
        ("quarantined", run.counts.quarantined),
    ] {
        quads.push(Quad::new(node.clone(), kat(local), count(value), g.clone()));
    }
    if let Some(summary) = &run.validation {
        for (local, value) in [
            ("checked", summary.checked),
            ("conforming", summary.conforming),
            ("withWarnings", summary.with_warnings),
            ("withViolations", summary.with_violations),
            ("reusedVerdicts", summary.reused),
        ] {
            quads.push(Quad::new(node.clone(), kat(local), count(value), g.clone()));
        }
        quads.push(Quad::new(
            node.clone(),
            kat("profile"),
            Literal::from(summary.profile.as_str()),
            g.clone(),
        ));
        for (link, local, counted, shapes) in [
            (
                "violatedShape",
                "violated",
                "violations",
                &summary.top_violated_shapes,
            ),
            (
                "warnedShape",
                "warned",
                "warnings",
                &summary.top_warned_shapes,
            ),
        ] {
            for (rank, (shape, n)) in shapes.iter().enumerate() {
                let entry = NamedNode::new_unchecked(format!("{}#{local}-{rank}", node.as_str()));
                quads.push(Quad::new(node.clone(), kat(link), entry.clone(), g.clone()));
                quads.push(Quad::new(
                    entry.clone(),
                    kat("shape"),
                    NamedNode::new_unchecked(shape.as_str()),
                    g.clone(),
                ));
                quads.push(Quad::new(entry, kat(counted), count(*n), g.clone()));
            }
        }
    }
    if !run.report.is_empty() {
        quads.push(Quad::new(
            node.clone(),
            kat("validationReport"),
            report_iri(&run.id),
            g.clone(),
        ));
    }
    if let Some(summary) = &run.quality {
        let on: Term = source_node.clone().into();
        for triple in quality::measurement_triples(&node, &on, &summary.measurements()) {
            quads.push(Quad::new(
                triple.subject,
                triple.predicate,
                triple.object,
                g.clone(),
            ));
        }
        quads.push(Quad::new(
            node.clone(),
            kat("scoredRecords"),
            count(summary.records),
            g.clone(),
        ));
        for (rank, (metric, missing)) in summary.weakest.iter().enumerate() {
            let entry = NamedNode::new_unchecked(format!("{}#weak-{rank}", node.as_str()));
            quads.push(Quad::new(
                node.clone(),
                kat("weakMetric"),
                entry.clone(),
                g.clone(),
            ));
            quads.push(Quad::new(
                entry.clone(),
                kat("metric"),
                kat(&metric.name()),
                g.clone(),
            ));
            quads.push(Quad::new(
                entry,
                kat("missingShare"),
                quality::score_literal(*missing),
                g.clone(),
            ));
        }
    }
    if run.not_modified {
        quads.push(Quad::new(
            node.clone(),
            kat("notModified"),
            Literal::from(true),
            g.clone(),
        ));
    }
    if let Some(since) = run.modified_since {
        quads.push(Quad::new(
            node.clone(),
            kat("modifiedSince"),
            datetime(since),
            g.clone(),
        ));
    }
    if let Some(error) = &run.error {
        quads.push(Quad::new(
            node.clone(),
            kat("error"),
            Literal::from(error.as_str()),
            g.clone(),
        ));
    }
    quads
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harvest::split::split_records;
    use oxigraph::io::{RdfFormat, RdfParser};
    use oxrdf::Triple;

    pub(super) const DOC: &str = r#"
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://example.no/> .
ex:cat a dcat:Catalog ; dcat:dataset ex:a, ex:b .
ex:a a dcat:Dataset ; dct:title "Brystkreft"@nb ; ex:n "105"^^xsd:nonNegativeInteger .
ex:b a dcat:Dataset ; dct:title "Diabetes"@nb ; dct:temporal [ dcat:startDate "2001-01-01"^^xsd:date ] .
"#;

    pub(super) fn records(doc: &str) -> Vec<PreparedRecord> {
        let triples: Vec<Triple> = RdfParser::from_format(RdfFormat::Turtle)
            .rename_blank_nodes()
            .for_slice(doc.as_bytes())
            .map(|q| Triple::from(q.unwrap()))
            .collect();
        split_records(
            triples,
            "https://k.example/.well-known/genid/no/",
            NamedNode::new_unchecked("urn:katalog:unattached:no"),
        )
        .into_iter()
        .map(|g| PreparedRecord::new("no", g))
        .collect()
    }

    pub(super) fn source() -> SourceMeta {
        SourceMeta {
            name: "no".into(),
            country: "NO".into(),
            location: "test".into(),
        }
    }

    pub(super) fn run(id: &str) -> HarvestRun {
        let now = Utc::now();
        HarvestRun {
            id: id.into(),
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
        }
    }

    pub(super) fn graph_len(store: &CatalogStore, id: &str) -> usize {
        let node = record_iri(id);
        store
            .oxigraph()
            .quads_for_pattern(
                None,
                None,
                None,
                Some(GraphNameRef::NamedNode(node.as_ref())),
            )
            .count()
    }

    #[test]
    fn runs_add_keep_change_and_tombstone() {
        let store = CatalogStore::in_memory().unwrap();
        let first = records(DOC);
        let mut r1 = run("r1");
        store.apply_source_run(&source(), &mut r1, &first).unwrap();
        assert_eq!((r1.counts.new, r1.outcome), (3, RunOutcome::Success));

        let mut r2 = run("r2");
        store
            .apply_source_run(&source(), &mut r2, &records(DOC))
            .unwrap();
        assert_eq!(r2.counts.unchanged, 3);
        assert_eq!(r2.outcome, RunOutcome::Unchanged);

        // b's title changes, a disappears from the catalogue.
        let changed = DOC
            .replace("ex:a, ex:b", "ex:b")
            .replace("ex:a a dcat:Dataset ; dct:title \"Brystkreft\"@nb ; ex:n \"105\"^^xsd:nonNegativeInteger .", "")
            .replace("Diabetes", "Diabetes type 1");
        let mut r3 = run("r3");
        store
            .apply_source_run(&source(), &mut r3, &records(&changed))
            .unwrap();
        assert_eq!(
            (r3.counts.changed, r3.counts.deleted),
            (2, 1),
            "{:?}",
            r3.counts
        );
        let a = first
            .iter()
            .find(|r| r.graph.resource.as_str() == "https://example.no/a")
            .unwrap();
        assert_eq!(
            graph_len(&store, &a.id),
            0,
            "a tombstoned record has no content"
        );
        let published = store.published_counts().unwrap();
        let datasets: usize = published
            .iter()
            .filter(|(_, kind, _)| *kind == RecordKind::Dataset)
            .map(|(_, _, n)| n)
            .sum();
        assert_eq!(datasets, 1);

        // a comes back: counted as new again, with its literal as written.
        let mut r4 = run("r4");
        store
            .apply_source_run(&source(), &mut r4, &records(DOC))
            .unwrap();
        assert_eq!((r4.counts.new, r4.counts.changed), (1, 2));
        let literal = store
            .oxigraph()
            .quads_for_pattern(
                None,
                Some(NamedNodeRef::new_unchecked("https://example.no/n")),
                None,
                None,
            )
            .next()
            .unwrap()
            .unwrap()
            .object;
        assert_eq!(
            lexical::from_store(literal).to_string(),
            "\"105\"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>"
        );
    }

    #[test]
    fn the_mass_delete_guard_changes_nothing() {
        let store = CatalogStore::in_memory().unwrap();
        let mut r1 = run("r1");
        store
            .apply_source_run(&source(), &mut r1, &records(DOC))
            .unwrap();
        // Only the catalogue is left: 2 of 3 records would go.
        let only_catalogue = "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\
             <https://example.no/cat> a dcat:Catalog .\n";
        let guard = ApplyOptions {
            max_delete_share: Some(0.5),
            ..Default::default()
        };
        let mut r2 = run("r2");
        store
            .apply_source_run_with(&source(), &mut r2, &records(only_catalogue), &guard)
            .unwrap();
        assert_eq!(r2.outcome, RunOutcome::Guarded);
        assert_eq!(r2.counts.deleted, 2);
        assert!(r2
            .error
            .as_deref()
            .unwrap_or("")
            .contains("--allow-mass-delete"));
        let datasets = |store: &CatalogStore| -> usize {
            store
                .published_counts()
                .unwrap()
                .iter()
                .filter(|(_, kind, _)| *kind == RecordKind::Dataset)
                .map(|(_, _, n)| n)
                .sum()
        };
        assert_eq!(datasets(&store), 2, "nothing was removed");
        // Without the guard (a steward's confirmation) the records go.
        let mut r3 = run("r3");
        store
            .apply_source_run_with(
                &source(),
                &mut r3,
                &records(only_catalogue),
                &ApplyOptions::default(),
            )
            .unwrap();
        assert_eq!((r3.outcome, r3.counts.deleted), (RunOutcome::Success, 2));
        assert_eq!(datasets(&store), 0);
    }

    #[test]
    fn repair_removes_record_graphs_without_a_catalogue_record() {
        let store = CatalogStore::in_memory().unwrap();
        let mut r1 = run("r1");
        store
            .apply_source_run(&source(), &mut r1, &records(DOC))
            .unwrap();
        let orphan = record_iri("0123456789abcdef0123");
        store
            .oxigraph()
            .insert(&Quad::new(
                NamedNode::new_unchecked("https://example.no/x"),
                NamedNode::new_unchecked("https://example.no/p"),
                Literal::from("left over"),
                GraphName::NamedNode(orphan),
            ))
            .unwrap();
        assert_eq!(store.repair().unwrap(), 1);
        assert_eq!(graph_len(&store, "0123456789abcdef0123"), 0);
        assert_eq!(store.repair().unwrap(), 0);
        assert_eq!(store.published_counts().unwrap().len(), 2);
    }

    fn quads_in(store: &CatalogStore, graph: NamedNode) -> usize {
        store
            .oxigraph()
            .quads_for_pattern(
                None,
                None,
                None,
                Some(GraphNameRef::NamedNode(graph.as_ref())),
            )
            .count()
    }

    fn held_back(mut records: Vec<PreparedRecord>, resource: &str) -> Vec<PreparedRecord> {
        for record in &mut records {
            if record.graph.resource.as_str() == resource {
                record.quarantine = Some(Quarantine {
                    report: vec![Triple::new(
                        NamedNode::new_unchecked("urn:report"),
                        NamedNode::new_unchecked("http://www.w3.org/ns/shacl#conforms"),
                        Literal::from(false),
                    )],
                    violations: 1,
                });
            }
        }
        records
    }

    #[test]
    fn quarantine_keeps_the_valid_version_and_stays_out_of_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let store = CatalogStore::open(&dir.path().join("store")).unwrap();
        let mut r1 = run("r1");
        store
            .apply_source_run(&source(), &mut r1, &records(DOC))
            .unwrap();
        let a = records(DOC)
            .into_iter()
            .find(|r| r.graph.resource.as_str() == "https://example.no/a")
            .unwrap();
        let published_a = graph_len(&store, &a.id);

        // a's new version violates: the old one stays, flagged stale.
        let broken = DOC.replace("Brystkreft", "Brystkreft 2");
        let mut r2 = run("r2");
        store
            .apply_source_run(
                &source(),
                &mut r2,
                &held_back(records(&broken), "https://example.no/a"),
            )
            .unwrap();
        assert_eq!(
            (r2.counts.quarantined, r2.counts.changed),
            (1, 0),
            "{:?}",
            r2.counts
        );
        assert_eq!(graph_len(&store, &a.id), published_a);
        assert_eq!(quads_in(&store, quarantine_iri(&a.id)), published_a + 1);
        let stale = NamedNode::new_unchecked(ns::kat("stale"));
        assert!(store
            .oxigraph()
            .quads_for_pattern(
                Some(record_iri(&a.id).as_ref().into()),
                Some(stale.as_ref()),
                None,
                None
            )
            .next()
            .is_some());

        // The same broken version again changes nothing.
        let mut r3 = run("r3");
        store
            .apply_source_run(
                &source(),
                &mut r3,
                &held_back(records(&broken), "https://example.no/a"),
            )
            .unwrap();
        assert_eq!(r3.outcome, RunOutcome::Unchanged, "{:?}", r3.counts);

        // The public snapshot has no quarantined version.
        let snapshot = store.snapshot(&dir.path().join("snapshots")).unwrap();
        let public = Store::open_read_only(&snapshot).unwrap();
        assert_eq!(
            public
                .quads_for_pattern(
                    None,
                    None,
                    None,
                    Some(GraphNameRef::NamedNode(quarantine_iri(&a.id).as_ref()))
                )
                .count(),
            0
        );
        assert!(
            quads_in(&store, quarantine_iri(&a.id)) > 0,
            "the store keeps it for stewards"
        );

        // A fixed version publishes and clears the quarantine.
        let fixed = DOC.replace("Brystkreft", "Brystkreft 3");
        let mut r4 = run("r4");
        store
            .apply_source_run(&source(), &mut r4, &records(&fixed))
            .unwrap();
        assert_eq!(r4.counts.changed, 1, "{:?}", r4.counts);
        assert_eq!(quads_in(&store, quarantine_iri(&a.id)), 0);
        assert!(store
            .oxigraph()
            .quads_for_pattern(
                Some(record_iri(&a.id).as_ref().into()),
                Some(stale.as_ref()),
                None,
                None
            )
            .next()
            .is_none());

        // A record invalid from the start is never published.
        let with_c = fixed.replace(
            "ex:cat a dcat:Catalog ;",
            "ex:c a dcat:Dataset ; dct:title \"Ugyldig\"@nb .\nex:cat a dcat:Catalog ;",
        );
        let mut r5 = run("r5");
        store
            .apply_source_run(
                &source(),
                &mut r5,
                &held_back(records(&with_c), "https://example.no/c"),
            )
            .unwrap();
        assert_eq!(r5.counts.quarantined, 1, "{:?}", r5.counts);
        let datasets: usize = store
            .published_counts()
            .unwrap()
            .iter()
            .filter(|(_, kind, _)| *kind == RecordKind::Dataset)
            .map(|(_, _, n)| n)
            .sum();
        assert_eq!(datasets, 2);
    }

    #[test]
    fn concurrent_changes_each_write_a_token() {
        let dir = tempfile::tempdir().unwrap();
        let store = CatalogStore::open(&dir.path().join("store")).unwrap();
        let writers: Vec<_> = (0..4)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        store.mark_changing().unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        assert!(store.state_token().unwrap().is_some());
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".new"))
            })
            .count();
        assert_eq!(leftovers, 0);
    }
}
