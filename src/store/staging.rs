//! Staged runs: a harvest streams its records page by page into a staging
//! file, keeping in memory only record ids and content hashes, and commits
//! at the end in bounded chunks with a roll-forward marker.
//!
//! Why a file beside the store rather than staging graphs in it: the staged
//! records are written once, sequentially, and read once, sequentially; in
//! the store they would be written, read back and deleted again (three
//! RocksDB writes per quad, all of it compacted later), and would have to be
//! hidden from every reader of the union graph. The file is never visible to
//! readers, and a run that fails is discarded by deleting it.
//!
//! A run goes through three states:
//! - **staging**: records that are new or changed (by content hash against
//!   the stored version) are appended to `<run>.records`; unchanged ones are
//!   only counted. Nothing in the store changes. A crash or failure here
//!   leaves a file without a marker, which [`CatalogStore::repair`] deletes:
//!   the run is discarded and the source keeps its old state.
//! - **committing**: the file (and `<run>.plan`: the ids to tombstone) is
//!   synced to disk, then one small transaction writes the run's record,
//!   its report and a `kat:pendingCommit` marker naming the file. From then
//!   on the run is decided: the records are moved into the store in chunks
//!   of [`CHUNK`] (each applied only if the stored version differs, so a
//!   chunk applied twice is applied once), then the tombstones.
//! - **done**: a last transaction removes the marker; the files are deleted.
//!   At start-up, [`CatalogStore::repair`] rolls forward any run still
//!   marked, from its complete staging file.

use super::{
    report_quads, run_quads, stored_records, ApplyOptions, CatalogStore, HarvestRun,
    PreparedRecord, Quarantine, RecordChange, RecordCounts, RunOutcome, RunPlan, SourceMeta,
    StoreError, StoredRecord, StoredVersions, Terms,
};
use crate::harvest::record::{RecordGraph, RecordKind};
use crate::ns;
use chrono::{DateTime, Utc};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{GraphName, GraphNameRef, Literal, NamedNode, Quad, Term};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Records moved into the store per transaction when a run commits.
pub const CHUNK: usize = 2000;

/// The bulk load of a run's new records: threads and memory target
/// (Oxigraph's rough figure, megabytes; its batch is memory * 1000 / threads
/// quads, and each batch makes one set of SST files). The quads are streamed
/// to the loader, which holds the only copy of a batch.
///
/// Each batch becomes one more file in level 0 of each of RocksDB's column
/// families when the load is ingested. Measured at 100k Hydra datasets
/// (12M quads): batches of 300k quads left 52 level-0 files per column
/// family, past RocksDB's stop-writes trigger (36), so the run's next small
/// write (its end mark) waited minutes for compaction. Batches of 1M quads
/// leave about 12 (under the slowdown trigger, 20). One thread: a batch of
/// 1M quads is a few hundred MB in memory, and one being loaded beside the
/// one being read is what the memory bound allows.
const BULK_THREADS: usize = 1;
const BULK_MEMORY_MB: usize = 1000;

/// The staging directory of a store at `path`: its sibling `<name>.staging`.
pub fn dir_beside(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "store".into());
    name.push(".staging");
    path.with_file_name(name)
}

fn pending_predicate() -> NamedNode {
    NamedNode::new_unchecked(ns::kat("pendingCommit"))
}

fn staging_error(path: &Path, message: impl ToString) -> StoreError {
    StoreError::Staging {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// A file name for a run id (ids are `source-timestamp`; anything else is replaced).
fn file_stem(run_id: &str) -> String {
    run_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A run being staged. Dropped without [`StagedRun::commit`], its file is deleted.
pub struct StagedRun {
    store: CatalogStore,
    source: SourceMeta,
    existing: HashMap<String, StoredRecord>,
    /// Every record id the run has seen, with the hash of its version.
    seen: HashMap<String, String>,
    /// Ids written to the staging file.
    written: HashSet<String>,
    /// Ids written more than once (with different content): how many times.
    repeated: HashMap<String, usize>,
    counts: RecordCounts,
    staged: usize,
    path: PathBuf,
    writer: Option<BufWriter<std::fs::File>>,
}

impl CatalogStore {
    fn staging_dir(&self) -> PathBuf {
        self.staging.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("katalog-staging-{}", std::process::id()))
        })
    }

    /// Starts staging a run of `source`: reads the source's stored record
    /// versions (ids and hashes) once, and opens the run's staging file.
    /// `profiled`: whether the run validates (quality scores depend on it).
    pub fn start_staged_run(
        &self,
        source: &SourceMeta,
        run_id: &str,
        profiled: bool,
    ) -> Result<StagedRun, StoreError> {
        let t = Terms::new();
        let existing = stored_records(&self.store, &t, &source.iri())?;
        let dir = self.staging_dir();
        std::fs::create_dir_all(&dir).map_err(|e| staging_error(&dir, e))?;
        let path = dir.join(format!("{}.records", file_stem(run_id)));
        let file = std::fs::File::create(&path).map_err(|e| staging_error(&path, e))?;
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        let header = serde_json::json!({
            "source": source.name,
            "country": source.country,
            "location": source.location,
            "run": run_id,
            "profiled": profiled,
        });
        writeln!(writer, "{header}").map_err(|e| staging_error(&path, e))?;
        Ok(StagedRun {
            store: self.clone(),
            source: source.clone(),
            existing,
            seen: HashMap::new(),
            written: HashSet::new(),
            repeated: HashMap::new(),
            counts: RecordCounts::default(),
            staged: 0,
            path,
            writer: Some(writer),
        })
    }

    /// Rolls forward the runs marked committing (their staging is complete)
    /// and deletes staging files of runs that never reached their commit.
    /// Returns how many runs were rolled forward.
    pub(super) fn recover_staged_runs(&self) -> Result<usize, StoreError> {
        let t = Terms::new();
        let pending = pending_predicate();
        let mut marked: Vec<(NamedNode, PathBuf)> = Vec::new();
        for quad in self.store.quads_for_pattern(
            None,
            Some(pending.as_ref()),
            None,
            Some(GraphNameRef::NamedNode(t.runs_graph.as_ref())),
        ) {
            let quad = quad?;
            if let (oxigraph::model::NamedOrBlankNode::NamedNode(run), Term::Literal(path)) =
                (quad.subject, quad.object)
            {
                marked.push((run, PathBuf::from(path.value())));
            }
        }
        let keep: HashSet<PathBuf> = marked.iter().map(|(_, p)| p.clone()).collect();
        if !marked.is_empty() {
            self.mark_changing()?;
        }
        for (run, path) in &marked {
            tracing::warn!(run = %run, file = %path.display(), "rolling forward a harvest run interrupted while committing");
            self.move_staged(path)?;
            // Its duplicates were not resolved: the next resolution is a full one.
            self.mark_duplicates_stale()?;
            // Its end stays the time its commit started: when the move ended is not known.
            self.unmark(run, path, None)?;
        }
        let Some(dir) = &self.staging else {
            return Ok(marked.len());
        };
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                let records = path.with_extension("records");
                if !keep.contains(&records) {
                    tracing::warn!(file = %path.display(), "discarding the staging of a harvest run that did not commit");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        Ok(marked.len())
    }

    /// Ends a committing run: removes its marker and, given `ended`,
    /// records that as its end (the move is part of the run's duration).
    fn unmark(
        &self,
        run: &NamedNode,
        path: &Path,
        ended: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let t = Terms::new();
        let g = GraphName::NamedNode(t.runs_graph.clone());
        let ended_predicate = NamedNode::new_unchecked(ns::PROV_ENDED);
        let mut tx = self.store.start_transaction()?;
        tx.remove(&Quad::new(
            run.clone(),
            pending_predicate(),
            Literal::from(path.display().to_string()),
            g,
        ));
        if let Some(ended) = ended {
            super::replace_value(
                &mut tx,
                run,
                &ended_predicate,
                super::datetime(ended),
                &t.runs_graph,
            )?;
        }
        tx.commit()?;
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(path.with_extension("plan"));
        Ok(())
    }

    /// Moves a committed run's staged records into the store, chunk by
    /// chunk, then writes its tombstones. Idempotent: what is already
    /// stored with the same content is skipped. Returns the records the
    /// move touched (and those deleted ones were superseded by): where
    /// duplicate resolution starts.
    fn move_staged(&self, path: &Path) -> Result<Vec<NamedNode>, StoreError> {
        let t = Terms::new();
        let plan_path = path.with_extension("plan");
        let plan: serde_json::Value = std::fs::read(&plan_path)
            .map_err(|e| staging_error(&plan_path, e))
            .and_then(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| staging_error(&plan_path, e))
            })?;
        let reader = StagedReader::open(path)?;
        let source = reader.source.clone();
        let run_node = super::run_iri(&reader.run_id);
        let existing = stored_records(&self.store, &t, &source.iri())?;
        // An id staged n times: only its last version is applied.
        let repeated: HashMap<String, u64> = plan["repeated"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(id, n)| (id.clone(), n.as_u64().unwrap_or(1).saturating_sub(1)))
                    .collect()
            })
            .unwrap_or_default();
        // New records (all of them in a first harvest) go into the store in
        // one bulk load, fed in full batches straight from the file and
        // ingested at its commit. Measured at 100k Hydra datasets: one bulk
        // load per chunk of 2000 left ~50 sets of overlapping SST files in
        // RocksDB's level 0 of a growing store, and the move took ~14 min
        // instead of well under one. Updates, quarantines and tombstones stay
        // in bounded transactions, chunk by chunk.
        let now = Utc::now();
        let started = std::time::Instant::now();
        let mut fresh = FreshQuads {
            records: LastVersions {
                reader,
                skip: repeated.clone(),
            },
            existing: &existing,
            t: &t,
            source: &source,
            run: &run_node,
            now,
            pending: Vec::new().into_iter(),
            done: false,
            touched: Vec::new(),
            loaded: 0,
            changed: 0,
        };
        let mut loader = self
            .store
            .bulk_loader()
            .with_num_threads(BULK_THREADS)
            .with_max_memory_size_in_megabytes(BULK_MEMORY_MB);
        loader.load_ok_quads::<StoreError, StoreError>(&mut fresh)?;
        loader.commit()?;
        let FreshQuads {
            mut touched,
            loaded,
            changed,
            ..
        } = fresh;
        crate::memory::release_free_heap();
        if changed > 0 {
            let mut records = LastVersions {
                reader: StagedReader::open(path)?,
                skip: repeated,
            };
            loop {
                let chunk = records.next_chunk(CHUNK)?;
                if chunk.is_empty() {
                    break;
                }
                let (mut plan, _) = RunPlan::of_records(&existing, &chunk);
                plan.fresh.clear();
                if !(plan.updated.is_empty() && plan.quarantined.is_empty()) {
                    self.write_plan(&t, &source, &run_node, &plan, now, None)?;
                }
            }
        }
        tracing::debug!(
            source = %source.name,
            new = loaded,
            changed,
            seconds = started.elapsed().as_secs_f64(),
            "staged records moved into the store"
        );
        let deleted: Vec<String> = plan["deleted"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| id.as_str())
                    .filter(|id| existing.get(*id).is_some_and(|r| !r.deleted))
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let superseded_by = NamedNode::new_unchecked(ns::kat("supersededBy"));
        for id in &deleted {
            let node = super::record_iri(id);
            // The record a deleted one was superseded by: read before the
            // tombstone removes the link.
            for quad in self.store.quads_for_pattern(
                Some(node.as_ref().into()),
                Some(superseded_by.as_ref()),
                None,
                Some(GraphNameRef::NamedNode(t.records_graph.as_ref())),
            ) {
                if let Term::NamedNode(winner) = quad?.object {
                    touched.push(winner);
                }
            }
            touched.push(node);
        }
        for ids in deleted.chunks(CHUNK * 5) {
            let plan = RunPlan {
                fresh: Vec::new(),
                updated: Vec::new(),
                quarantined: Vec::new(),
                deleted: ids.to_vec(),
                counts: RecordCounts::default(),
            };
            self.write_plan(&t, &source, &run_node, &plan, Utc::now(), None)?;
        }
        Ok(touched)
    }
}

/// The quads of a staged run's new records, read from its staging file a
/// few records at a time, for the bulk loader, which cuts them into its own
/// batches: nothing beside the loader's batch is held. Counts what it sees:
/// the records it loaded, those left for the second pass (updated,
/// quarantined) and every record the run touched.
/// The staged records in file order, each id's last version only: a record
/// changed twice in one run was staged twice.
struct LastVersions {
    reader: StagedReader,
    /// Ids staged n times: the first n-1 versions are skipped.
    skip: HashMap<String, u64>,
}

impl LastVersions {
    /// Up to `max` records; fewer only at the end of the file.
    fn next_chunk(&mut self, max: usize) -> Result<Vec<PreparedRecord>, StoreError> {
        let mut chunk = Vec::with_capacity(max);
        while chunk.len() < max {
            let Some(record) = self.reader.next_record()? else {
                break;
            };
            if let Some(left) = self.skip.get_mut(&record.id) {
                if *left > 0 {
                    *left -= 1;
                    continue;
                }
            }
            chunk.push(record);
        }
        Ok(chunk)
    }
}

struct FreshQuads<'a> {
    records: LastVersions,
    existing: &'a HashMap<String, StoredRecord>,
    t: &'a Terms,
    source: &'a SourceMeta,
    run: &'a NamedNode,
    now: DateTime<Utc>,
    pending: std::vec::IntoIter<Quad>,
    done: bool,
    touched: Vec<NamedNode>,
    loaded: usize,
    changed: usize,
}

/// Records classified at once while feeding the bulk loader: small, so the
/// quads waiting to be handed over stay a few MB.
const FRESH_CHUNK: usize = 64;

impl FreshQuads<'_> {
    fn refill(&mut self) -> Result<(), StoreError> {
        let chunk = self.records.next_chunk(FRESH_CHUNK)?;
        self.done = chunk.len() < FRESH_CHUNK;
        let (plan, _) = RunPlan::of_records(self.existing, &chunk);
        self.touched.extend(
            plan.fresh
                .iter()
                .chain(&plan.updated)
                .map(|r| super::record_iri(&r.id)),
        );
        self.touched.extend(
            plan.quarantined
                .iter()
                .map(|(r, _)| super::record_iri(&r.id)),
        );
        // Written after the bulk load, in a second pass: a store in memory
        // allows no transaction while a load is open.
        self.changed += plan.updated.len() + plan.quarantined.len();
        let mut quads = Vec::new();
        for record in &plan.fresh {
            quads.extend(super::content_quads(record));
            quads.extend(super::new_record_quads(
                self.t,
                self.source,
                self.run,
                record,
                self.now,
                super::PUBLISHED,
            ));
            self.loaded += 1;
        }
        self.pending = quads.into_iter();
        Ok(())
    }
}

impl Iterator for FreshQuads<'_> {
    type Item = Result<Quad, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(quad) = self.pending.next() {
                return Some(Ok(quad));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.refill() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}

impl StagedRun {
    /// The stored versions of a record, for reusing its verdict.
    pub fn versions(&self, id: &str) -> Option<StoredVersions> {
        let stored = self.existing.get(id)?;
        (!stored.deleted).then(|| StoredVersions {
            published: stored.published.then(|| stored.hash.clone()),
            quarantined: stored.quarantined_hash.clone(),
            counted: stored.counted,
        })
    }

    /// Counts so far (deletions are known at the commit).
    pub fn counts(&self) -> RecordCounts {
        self.counts
    }

    /// Records seen so far, the unattached remainder included.
    pub fn seen(&self) -> usize {
        self.seen.len()
    }

    /// Records written to the staging file so far (new or changed versions).
    pub fn staged(&self) -> usize {
        self.staged
    }

    /// Stages validated records: each one the store does not hold with the
    /// same content (and verdict) goes to the staging file; the others are
    /// only counted. A record seen again in this run with other content
    /// replaces the earlier version (the last one seen is committed).
    pub fn stage(&mut self, records: &[PreparedRecord]) -> Result<(), StoreError> {
        for record in records {
            if let Some(earlier) = self.seen.get(&record.id) {
                if earlier == &record.hash {
                    continue;
                }
                tracing::warn!(
                    source = %self.source.name,
                    record = %record.graph.resource,
                    "the record comes twice in this run with different content; the later one is kept"
                );
                self.seen.insert(record.id.clone(), record.hash.clone());
                self.write(record)?;
                continue;
            }
            self.seen.insert(record.id.clone(), record.hash.clone());
            let change = RecordChange::of(record, self.existing.get(&record.id));
            self.counts.count(record, change);
            if change != RecordChange::Unchanged {
                self.write(record)?;
            }
        }
        Ok(())
    }

    fn write(&mut self, record: &PreparedRecord) -> Result<(), StoreError> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(staging_error(&self.path, "already closed"));
        };
        write_record(writer, record).map_err(|e| staging_error(&self.path, e))?;
        if !self.written.insert(record.id.clone()) {
            *self.repeated.entry(record.id.clone()).or_insert(1) += 1;
        }
        self.staged += 1;
        Ok(())
    }

    /// Ends the run: decides the tombstones (every live record of the source
    /// the run did not see), applies the mass-delete guard, and commits as
    /// the module describes. `run` gets its counts and outcome; with the
    /// guard tripped it is recorded as [`RunOutcome::Guarded`] and nothing changes.
    ///
    /// Returns the records the run touched, for
    /// [`CatalogStore::resolve_duplicates_around`].
    pub fn commit(
        mut self,
        run: &mut HarvestRun,
        options: &ApplyOptions,
    ) -> Result<Vec<NamedNode>, StoreError> {
        let Some(path) = self.mark_committing(run, options)? else {
            return Ok(Vec::new());
        };
        let store = self.store.clone();
        let source = self.source.clone();
        // Free the id maps before moving the records.
        drop(self);
        let touched = store.move_staged(&path)?;
        run.ended = Utc::now();
        store.unmark(&run.iri(), &path, Some(run.ended))?;
        store.prune_reports(&source)?;
        Ok(touched)
    }

    /// The commit up to its decision: returns the staging file to move when
    /// the run is marked committing, None when the run is already recorded
    /// (guarded, or nothing to move).
    fn mark_committing(
        &mut self,
        run: &mut HarvestRun,
        options: &ApplyOptions,
    ) -> Result<Option<PathBuf>, StoreError> {
        let mut deleted: Vec<String> = Vec::new();
        for (id, stored) in &self.existing {
            if !options.incremental && !stored.deleted && !self.seen.contains_key(id) {
                if stored.counted {
                    self.counts.deleted += 1;
                }
                deleted.push(id.clone());
            }
        }
        deleted.sort();
        run.counts = self.counts;
        run.outcome = if self.counts.is_unchanged() {
            RunOutcome::Unchanged
        } else {
            RunOutcome::Success
        };
        run.ended = Utc::now();
        let store = self.store.clone();
        if let Some(share) = options.max_delete_share {
            let live = self
                .existing
                .values()
                .filter(|r| r.counted && !r.deleted)
                .count();
            let removed = self.counts.deleted;
            if removed > 0 && removed as f64 > share * live as f64 {
                run.outcome = RunOutcome::Guarded;
                run.error = Some(super::guard_message(&self.source, removed, live, share));
                store.record_failed_run(&self.source, run)?;
                return Ok(None);
            }
        }
        let t = Terms::new();
        if self.staged == 0 && deleted.is_empty() {
            // Nothing to move: the run's record is all that is written.
            let mut tx = store.store.start_transaction()?;
            for quad in run_quads(&t, &self.source, run)
                .into_iter()
                .chain(report_quads(run))
            {
                tx.insert(&quad);
            }
            tx.commit()?;
            store.prune_reports(&self.source)?;
            return Ok(None);
        }
        // Staging complete and durable, before the marker that decides the run.
        let mut writer = self
            .writer
            .take()
            .ok_or_else(|| staging_error(&self.path, "already closed"))?;
        writer.flush().map_err(|e| staging_error(&self.path, e))?;
        let file = writer
            .into_inner()
            .map_err(|e| staging_error(&self.path, e.error()))?;
        file.sync_all().map_err(|e| staging_error(&self.path, e))?;
        drop(file);
        let plan_path = self.path.with_extension("plan");
        let plan = serde_json::json!({ "deleted": deleted, "repeated": self.repeated });
        drop(deleted);
        std::fs::write(&plan_path, plan.to_string()).map_err(|e| staging_error(&plan_path, e))?;
        std::fs::File::open(&plan_path)
            .and_then(|f| f.sync_all())
            .map_err(|e| staging_error(&plan_path, e))?;
        if let Some(dir) = self.path.parent() {
            if let Ok(dir) = std::fs::File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        drop(plan);
        // Before the marker that makes the change happen (see
        // CatalogStore::mark_changing): a mirror saved earlier is stale from here.
        store.mark_changing()?;
        let path_literal = Literal::from(self.path.display().to_string());
        let mut tx = store.store.start_transaction()?;
        for quad in run_quads(&t, &self.source, run)
            .into_iter()
            .chain(report_quads(run))
        {
            tx.insert(&quad);
        }
        tx.insert(&Quad::new(
            run.iri(),
            pending_predicate(),
            path_literal,
            GraphName::NamedNode(t.runs_graph.clone()),
        ));
        tx.commit()?;
        // Decided: from here a crash is rolled forward at the next start.
        Ok(Some(std::mem::take(&mut self.path)))
    }
}

impl Drop for StagedRun {
    fn drop(&mut self) {
        // Not committed (a failed or guarded run, or `commit` took the path).
        if !self.path.as_os_str().is_empty() {
            self.writer.take();
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes one record: a header line, then its triples and its report's,
/// one N-Triples statement a line.
fn write_record(out: &mut impl Write, record: &PreparedRecord) -> std::io::Result<()> {
    let (report, violations) = match &record.quarantine {
        Some(q) => (Some(&q.report), q.violations),
        None => (None, 0),
    };
    writeln!(
        out,
        "R\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        record.id,
        record.hash,
        record.graph.kind.class_iri(),
        record.graph.resource.as_str(),
        u8::from(record.graph.minted),
        record.graph.triples.len(),
        report.map_or(0, |r| r.len()),
        violations,
        u8::from(report.is_some()),
    )?;
    for triple in record
        .graph
        .triples
        .iter()
        .chain(report.into_iter().flatten())
    {
        writeln!(out, "{triple} .")?;
    }
    Ok(())
}

/// Reads a staging file back, record by record.
struct StagedReader {
    path: PathBuf,
    lines: std::io::Lines<std::io::BufReader<std::fs::File>>,
    source: SourceMeta,
    run_id: String,
    profiled: bool,
}

impl StagedReader {
    fn open(path: &Path) -> Result<Self, StoreError> {
        let file = std::fs::File::open(path).map_err(|e| staging_error(path, e))?;
        let mut lines = std::io::BufReader::with_capacity(1 << 20, file).lines();
        let header: serde_json::Value = match lines.next() {
            Some(Ok(line)) => serde_json::from_str(&line).map_err(|e| staging_error(path, e))?,
            _ => return Err(staging_error(path, "no header")),
        };
        let text = |key: &str| header[key].as_str().unwrap_or_default().to_string();
        Ok(StagedReader {
            path: path.to_path_buf(),
            source: SourceMeta {
                name: text("source"),
                country: text("country"),
                location: text("location"),
            },
            run_id: text("run"),
            profiled: header["profiled"].as_bool().unwrap_or(false),
            lines,
        })
    }

    fn line(&mut self) -> Result<String, StoreError> {
        match self.lines.next() {
            Some(Ok(line)) => Ok(line),
            Some(Err(e)) => Err(staging_error(&self.path, e)),
            None => Err(staging_error(&self.path, "truncated")),
        }
    }

    fn triples(&mut self, n: usize) -> Result<Vec<oxrdf::Triple>, StoreError> {
        let mut text = String::new();
        for _ in 0..n {
            text.push_str(&self.line()?);
            text.push('\n');
        }
        RdfParser::from_format(RdfFormat::NTriples)
            .for_slice(text.as_bytes())
            .map(|q| {
                q.map(oxrdf::Triple::from)
                    .map_err(|e| staging_error(&self.path, e))
            })
            .collect()
    }

    fn next_record(&mut self) -> Result<Option<PreparedRecord>, StoreError> {
        let header = match self.lines.next() {
            None => return Ok(None),
            Some(line) => line.map_err(|e| staging_error(&self.path, e))?,
        };
        let fields: Vec<&str> = header.split('\t').collect();
        let bad = || staging_error(&self.path, format!("bad record line {header:?}"));
        if fields.len() != 10 || fields[0] != "R" {
            return Err(bad());
        }
        let number = |i: usize| fields[i].parse::<usize>().map_err(|_| bad());
        let kind = RecordKind::from_class_iri(fields[3]).ok_or_else(bad)?;
        let resource = NamedNode::new(fields[4]).map_err(|_| bad())?;
        let (id, hash, minted) = (
            fields[1].to_string(),
            fields[2].to_string(),
            fields[5] == "1",
        );
        let (n_triples, n_report, violations, held) =
            (number(6)?, number(7)?, number(8)?, fields[9] == "1");
        let triples = self.triples(n_triples)?;
        let report = self.triples(n_report)?;
        let quarantine = held.then_some(Quarantine { report, violations });
        let quality = matches!(kind, RecordKind::Dataset | RecordKind::DatasetSeries).then(|| {
            let conforms = self.profiled.then_some(quarantine.is_none());
            crate::quality::score(&triples, &resource.clone().into(), conforms)
        });
        Ok(Some(PreparedRecord {
            id,
            hash,
            graph: RecordGraph {
                resource,
                kind,
                triples,
                linked_types: Vec::new(),
                minted,
            },
            quarantine,
            quality,
            // Harvested records are not bound to a publisher's local id
            // (only pushed ones are, and pushes are not staged).
            local_id: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{graph_len, records, run, source, DOC};
    use super::*;

    /// DOC with ex:a gone and ex:b retitled.
    fn next_doc() -> String {
        DOC.replace("dcat:dataset ex:a, ex:b", "dcat:dataset ex:b")
            .replace(
                "ex:a a dcat:Dataset ; dct:title \"Brystkreft\"@nb ; ex:n \"105\"^^xsd:nonNegativeInteger .\n",
                "",
            )
            .replace("Diabetes", "Diabetes type 2")
    }

    fn states(store: &CatalogStore) -> Vec<(String, String)> {
        let t = Terms::new();
        let mut states: Vec<(String, String)> = store
            .store
            .quads_for_pattern(
                None,
                Some(t.state.as_ref()),
                None,
                Some(GraphNameRef::NamedNode(t.records_graph.as_ref())),
            )
            .map(|q| {
                let q = q.unwrap();
                let Term::Literal(state) = q.object else {
                    panic!("state is a literal")
                };
                (q.subject.to_string(), state.value().to_string())
            })
            .collect();
        states.sort();
        states
    }

    fn id_of(resource: &str) -> String {
        crate::harvest::record::record_id("no", resource)
    }

    fn stage_pages(store: &CatalogStore, id: &str, doc: &str) -> StagedRun {
        let mut staged = store.start_staged_run(&source(), id, false).unwrap();
        // Two "pages": the records one by one.
        for record in records(doc) {
            staged.stage(&[record]).unwrap();
        }
        staged
    }

    #[test]
    fn a_staged_run_commits_like_a_whole_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = CatalogStore::open(&dir.path().join("store")).unwrap();
        let mut r1 = run("r1");
        stage_pages(&store, "r1", DOC)
            .commit(&mut r1, &ApplyOptions::default())
            .unwrap();
        assert_eq!((r1.counts.new, r1.outcome), (3, RunOutcome::Success));
        assert!(graph_len(&store, &id_of("https://example.no/a")) > 0);

        let mut r2 = run("r2");
        stage_pages(&store, "r2", DOC)
            .commit(&mut r2, &ApplyOptions::default())
            .unwrap();
        assert_eq!(
            (r2.counts.unchanged, r2.outcome),
            (3, RunOutcome::Unchanged)
        );

        let mut r3 = run("r3");
        let staged = stage_pages(&store, "r3", &next_doc());
        assert_eq!(staged.staged(), 2, "the changed catalogue and ex:b only");
        staged.commit(&mut r3, &ApplyOptions::default()).unwrap();
        assert_eq!(
            (r3.counts.changed, r3.counts.deleted, r3.counts.unchanged),
            (2, 1, 0)
        );
        assert_eq!(graph_len(&store, &id_of("https://example.no/a")), 0);
        let dir_entries = std::fs::read_dir(dir_beside(&dir.path().join("store")))
            .unwrap()
            .count();
        assert_eq!(dir_entries, 0, "no staging file is left");
    }

    #[test]
    fn of_two_versions_in_one_run_the_later_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = CatalogStore::open(&dir.path().join("store")).unwrap();
        let mut r1 = run("r1");
        stage_pages(&store, "r1", DOC)
            .commit(&mut r1, &ApplyOptions::default())
            .unwrap();
        let b = id_of("https://example.no/b");
        let version = |title: &str| {
            records(&DOC.replace("Diabetes", title))
                .into_iter()
                .find(|r| r.id == b)
                .unwrap()
        };
        let hash_of = |store: &CatalogStore| store.stored_versions(&source()).unwrap()[&b].clone();
        // Stored first, then changed: the changed one; changed, then back: the stored one.
        for (first, second, expected) in [
            ("Diabetes", "Diabetes v2", "Diabetes v2"),
            ("Diabetes v3", "Diabetes v2", "Diabetes v2"),
            ("Diabetes v4", "Diabetes v2", "Diabetes v2"),
        ] {
            let mut staged = store.start_staged_run(&source(), "r", false).unwrap();
            let others: Vec<PreparedRecord> =
                records(DOC).into_iter().filter(|r| r.id != b).collect();
            staged.stage(&others).unwrap();
            staged.stage(&[version(first)]).unwrap();
            staged.stage(&[version(second)]).unwrap();
            let mut r = run("r");
            staged.commit(&mut r, &ApplyOptions::default()).unwrap();
            assert_eq!(
                hash_of(&store).published,
                Some(version(expected).hash),
                "{first} then {second}"
            );
        }
    }

    #[test]
    fn the_guard_stops_a_staged_run_and_keeps_everything() {
        let store = CatalogStore::in_memory().unwrap();
        let mut r1 = run("r1");
        stage_pages(&store, "r1", DOC)
            .commit(&mut r1, &ApplyOptions::default())
            .unwrap();
        let before = states(&store);
        let mut r2 = run("r2");
        let only_catalogue = "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<https://example.no/cat> a dcat:Catalog .\n";
        stage_pages(&store, "r2", only_catalogue)
            .commit(
                &mut r2,
                &ApplyOptions {
                    max_delete_share: Some(0.5),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(r2.outcome, RunOutcome::Guarded);
        assert_eq!(states(&store), before);
    }

    #[test]
    fn a_run_cut_after_its_commit_mark_is_rolled_forward() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let expected = {
            let scratch = tempfile::tempdir().unwrap();
            let store = CatalogStore::open(&scratch.path().join("store")).unwrap();
            for (id, doc) in [("r1", DOC.to_string()), ("r2", next_doc())] {
                let mut r = run(id);
                stage_pages(&store, id, &doc)
                    .commit(&mut r, &ApplyOptions::default())
                    .unwrap();
            }
            states(&store)
        };
        {
            let store = CatalogStore::open(&path).unwrap();
            let mut r1 = run("r1");
            stage_pages(&store, "r1", DOC)
                .commit(&mut r1, &ApplyOptions::default())
                .unwrap();
            let mut staged = stage_pages(&store, "r2", &next_doc());
            let mut r2 = run("r2");
            let marked = staged
                .mark_committing(&mut r2, &ApplyOptions::default())
                .unwrap();
            assert!(marked.is_some());
            // The process dies here: nothing of the run is moved yet.
            drop(staged);
            assert_ne!(states(&store), expected);
        }
        let store = CatalogStore::open(&path).unwrap();
        assert_eq!(store.repair().unwrap(), 1);
        assert_eq!(states(&store), expected);
        assert_eq!(store.repair().unwrap(), 0, "rolled forward once");
    }

    #[test]
    fn a_run_cut_while_staging_is_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let before = {
            let store = CatalogStore::open(&path).unwrap();
            let mut r1 = run("r1");
            stage_pages(&store, "r1", DOC)
                .commit(&mut r1, &ApplyOptions::default())
                .unwrap();
            let mut staged = stage_pages(&store, "r2", &next_doc());
            // The process dies while staging: its file stays (no destructor
            // would run; this one's removal is undone).
            staged.writer.as_mut().unwrap().flush().unwrap();
            let file = staged.path.clone();
            let kept = std::fs::read(&file).unwrap();
            drop(staged);
            std::fs::write(&file, kept).unwrap();
            states(&store)
        };
        assert_eq!(
            std::fs::read_dir(dir_beside(&path)).unwrap().count(),
            1,
            "the staging file is there"
        );
        let store = CatalogStore::open(&path).unwrap();
        assert_eq!(store.repair().unwrap(), 0);
        assert_eq!(states(&store), before);
        assert_eq!(std::fs::read_dir(dir_beside(&path)).unwrap().count(), 0);
    }
}
