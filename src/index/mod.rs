//! Search: a Tantivy index of the published records, kept in step with the
//! store (pipeline: store -> index -> serve).
//!
//! The index holds one document per published dataset, dataset series and
//! data service, with the record's content hash. [`SearchIndex::sync`]
//! compares the store's published records with the index and adds, replaces
//! and deletes the differences, then commits with a payload naming the store
//! state it reflects (the store's state token, read before the store, and a
//! digest of every published id and hash), the vocabularies and the index
//! format. The store writes a new token before every change to its
//! published records, so comparing tokens at start-up is enough to know the
//! index current ([`SearchIndex::is_current`], without reading the store);
//! a token that differs (a change the index missed, or a crash during one)
//! means a resync (or a rebuild, when the vocabularies or the format
//! changed), so the index is never silently stale. Readers search a
//! committed snapshot while a sync writes.

pub mod analysis;
pub mod cache;
pub mod codes;
pub mod dismax;
pub mod docsets;
pub mod document;
pub mod facets;
pub mod merging;
pub mod query;
pub mod schema;
pub mod vocab;

use crate::config::Config;
use crate::harvest::RecordKind;
use crate::store::{CatalogStore, PublishedRecord, StoreError};
use document::{build_document, summarise, RecordOrigin, RecordSummary};
pub use query::{SearchQuery, SearchResults};
use schema::{Fields, INDEX_FORMAT};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::schema::Value;
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};
use thiserror::Error;
pub use vocab::Vocabulary;

#[derive(Debug, Error)]
pub enum IndexError {
    #[error("search index at {path}: {message}")]
    Open { path: String, message: String },
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Store(#[from] StoreError),
    #[error("vocabulary {origin}: {message}")]
    Vocabulary { origin: String, message: String },
    #[error("{parameter}: {message}")]
    BadParameter { parameter: String, message: String },
    #[error("search index: {0}")]
    Internal(String),
}

impl IndexError {
    pub fn bad(parameter: &str, message: impl Into<String>) -> Self {
        IndexError::BadParameter {
            parameter: parameter.to_string(),
            message: message.into(),
        }
    }
}

/// What the index says about the store state it reflects (the commit payload).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct IndexState {
    pub format: u32,
    pub vocabulary: String,
    /// Digest of the published records (ids and content hashes) indexed.
    pub store: String,
    pub documents: usize,
    pub synced_at: String,
    /// The store's state token when the sync began
    /// ([`CatalogStore::state_token`]); absent in indexes written before
    /// tokens, which are therefore resynced once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_token: Option<String>,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub added: usize,
    pub replaced: usize,
    pub deleted: usize,
    pub unchanged: usize,
    /// True when the whole index was rebuilt.
    pub rebuilt: bool,
}

impl SyncReport {
    pub fn changed(&self) -> bool {
        self.added + self.replaced + self.deleted > 0 || self.rebuilt
    }
}

/// Per-source settings the index needs: the validation profile a published
/// record conforms to.
#[derive(Debug, Clone, Default)]
pub struct SourceProfiles(pub HashMap<String, String>);

impl SourceProfiles {
    pub fn from_config(config: &Config) -> Self {
        SourceProfiles(
            config
                .sources
                .iter()
                .filter_map(|s| s.profile.clone().map(|p| (s.name.clone(), p)))
                .collect(),
        )
    }
}

/// The record kinds search finds.
fn searchable(kind: Option<RecordKind>) -> Option<&'static str> {
    match kind? {
        RecordKind::Dataset => Some("dataset"),
        RecordKind::DatasetSeries => Some("dataset series"),
        RecordKind::DataService => Some("data service"),
        RecordKind::Catalog | RecordKind::Unattached => None,
    }
}

/// Digest of the published records the index should hold: a sum of
/// per-record hashes, so the records may be visited in any order.
#[derive(Default)]
struct StoreDigest {
    sum: u128,
    records: usize,
}

impl StoreDigest {
    fn add(&mut self, record: &PublishedRecord) {
        let mut hasher = Sha256::new();
        hasher.update(record.id.as_bytes());
        hasher.update(b" ");
        hasher.update(record.hash.as_bytes());
        let bytes = hasher.finalize();
        let mut head = [0u8; 16];
        head.copy_from_slice(&bytes[..16]);
        self.sum = self.sum.wrapping_add(u128::from_le_bytes(head));
        self.records += 1;
    }

    fn finish(&self) -> String {
        format!("{:032x}-{}", self.sum, self.records)
    }
}

/// A content hash as the sync compares it: 64 bits (a collision between a
/// record's old and new hash is a 2^-64 chance).
fn fingerprint(hash: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    hash.hash(&mut hasher);
    hasher.finish()
}

/// Records whose documents are built and handed to the writer at once.
const SYNC_CHUNK: usize = 1024;

/// Records between two progress lines of a sync.
const SYNC_PROGRESS_EVERY: usize = 100_000;

/// Writer heap: enough for fast bulk indexing, small next to the store.
const WRITER_HEAP: usize = 64 * 1024 * 1024;

/// The search index and what searching needs beside it.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    vocab: Arc<Vocabulary>,
    location: String,
    /// One sync at a time.
    writing: Mutex<()>,
    /// Publisher names by IRI, for facet labels (filled on demand).
    publisher_names: RwLock<HashMap<String, Vec<document::LangText>>>,
    /// Facet ordinal tables of the segments searched.
    facet_tables: facets::FacetTables,
    /// Whole answers of `GET /api/search`, for the searchers' generation.
    answers: cache::AnswerCache,
    /// Documents of filters, words and prefixes, per segment searched.
    docsets: Arc<docsets::DocSetCache>,
    /// Scores of words at the documents they match, per segment searched.
    scores: Arc<docsets::ScoreCache>,
    /// Stored summaries of documents shown in hits, by segment and
    /// document (like Solr's document cache): parsing the stored JSON is
    /// most of the cost of a page of hits.
    summaries: RwLock<
        HashMap<
            (tantivy::index::SegmentId, tantivy::DocId),
            Arc<RecordSummary>,
            foldhash::fast::RandomState,
        >,
    >,
    /// Facet labels by dimension, value and language.
    labels: RwLock<HashMap<String, String, foldhash::fast::RandomState>>,
}

/// At most this many stored summaries and facet labels are kept; past it,
/// the cache starts again empty.
const MAX_CACHED_SUMMARIES: usize = 20_000;
const MAX_CACHED_LABELS: usize = 50_000;

impl SearchIndex {
    /// Opens the index in `dir`, creating it when missing. An index of
    /// another format (or unreadable) is moved aside and replaced by an
    /// empty one, which the next sync fills.
    pub fn open(dir: &Path, vocab: Arc<Vocabulary>) -> Result<Self, IndexError> {
        let location = dir.display().to_string();
        let open_error = |message: String| IndexError::Open {
            path: location.clone(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_error(e.to_string()))?;
        let (schema, fields) = schema::build();
        let index = match tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| open_error(e.to_string()))
            .and_then(|directory| {
                Index::open_or_create(directory, schema.clone())
                    .map_err(|e| open_error(e.to_string()))
            }) {
            Ok(index) => index,
            Err(error) => {
                tracing::warn!(%error, "the search index is unreadable or of another schema: rebuilding it");
                let aside = dir.with_extension(format!(
                    "old-{}",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S")
                ));
                std::fs::rename(dir, &aside).map_err(|e| open_error(e.to_string()))?;
                std::fs::create_dir_all(dir).map_err(|e| open_error(e.to_string()))?;
                let _ = std::fs::remove_dir_all(&aside);
                Index::create_in_dir(dir, schema).map_err(|e| open_error(e.to_string()))?
            }
        };
        Self::from_index(index, fields, vocab, location)
    }

    /// Opens an existing index for searching only (`katalog search`), never
    /// creating or replacing it.
    pub fn open_existing(dir: &Path, vocab: Arc<Vocabulary>) -> Result<Self, IndexError> {
        let location = dir.display().to_string();
        if !dir.join("meta.json").is_file() {
            return Err(IndexError::Open {
                path: location,
                message: "no search index here: run `katalog harvest`, `katalog reindex` or `katalog serve` first".into(),
            });
        }
        let index = Index::open_in_dir(dir).map_err(|e| IndexError::Open {
            path: location.clone(),
            message: e.to_string(),
        })?;
        let (schema, fields) = schema::build();
        if index.schema() != schema {
            return Err(IndexError::Open {
                path: location,
                message: "the index was built by another version of katalog: run `katalog reindex`"
                    .into(),
            });
        }
        Self::from_index(index, fields, vocab, location)
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory(vocab: Arc<Vocabulary>) -> Result<Self, IndexError> {
        let (schema, fields) = schema::build();
        Self::from_index(Index::create_in_ram(schema), fields, vocab, "memory".into())
    }

    fn from_index(
        index: Index,
        fields: Fields,
        vocab: Arc<Vocabulary>,
        location: String,
    ) -> Result<Self, IndexError> {
        analysis::register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            fields,
            vocab,
            location,
            writing: Mutex::new(()),
            publisher_names: RwLock::default(),
            facet_tables: facets::FacetTables::default(),
            answers: cache::AnswerCache::default(),
            docsets: Arc::default(),
            scores: Arc::default(),
            summaries: RwLock::default(),
            labels: RwLock::default(),
        })
        .inspect(|index| index.warm())
    }

    /// Reads what the first search would otherwise read: the facet tables
    /// of the segments searchers now see. Failing here only makes the next
    /// search read them.
    fn warm(&self) {
        if let Err(error) = self.facet_tables.refresh(&self.reader.searcher(), "facets") {
            tracing::warn!(%error, "cannot read the facet tables of the search index");
        }
    }

    /// The index directory under a data directory.
    pub fn dir(data_dir: &Path) -> PathBuf {
        data_dir.join("index")
    }

    /// The cache of whole search answers, emptied at every reload.
    pub fn answers(&self) -> &cache::AnswerCache {
        &self.answers
    }

    /// The cache of the documents of query parts (filters, words), emptied
    /// at every reload; benchmarks empty it to measure searches whose parts
    /// were never seen.
    pub fn docsets(&self) -> &docsets::DocSetCache {
        &self.docsets
    }

    /// The cache of words' scores per segment, emptied with the document sets.
    pub fn scores(&self) -> &docsets::ScoreCache {
        &self.scores
    }

    /// Empties what searches keep of the index (document sets of query
    /// parts, stored summaries, labels): at every reload, and in
    /// benchmarks of searches that find nothing kept.
    pub fn clear_search_caches(&self) {
        self.docsets.clear();
        self.scores.clear();
        if let Ok(mut summaries) = self.summaries.write() {
            summaries.clear();
        }
        if let Ok(mut labels) = self.labels.write() {
            labels.clear();
        }
        if let Ok(mut names) = self.publisher_names.write() {
            names.clear();
        }
    }

    /// A facet label from the label cache, or made by `make` and kept.
    pub(crate) fn cached_label(&self, key: String, make: impl FnOnce() -> String) -> String {
        if let Some(label) = self.labels.read().ok().and_then(|l| l.get(&key).cloned()) {
            return label;
        }
        let label = make();
        // A full cache is taken out under the lock and dropped after it:
        // freeing it holds no other search up.
        let _full = self.labels.write().ok().map(|mut labels| {
            let full = (labels.len() >= MAX_CACHED_LABELS).then(|| std::mem::take(&mut *labels));
            labels.insert(key, label.clone());
            full
        });
        label
    }

    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocab
    }

    pub fn location(&self) -> &str {
        &self.location
    }

    /// The store state the index says it reflects.
    pub fn state(&self) -> Result<Option<IndexState>, IndexError> {
        let metas = self.index.load_metas()?;
        Ok(metas
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok()))
    }

    /// Number of documents searchers see.
    pub fn documents(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether the index reflects the store's published records, with the
    /// current vocabularies and format: its last commit saved the store's
    /// present state token, and holds the documents it says it does. Cheap
    /// (no store scan): the store changes its token before every change.
    pub fn is_current(&self, store: &CatalogStore) -> Result<bool, IndexError> {
        let Some(state) = self.state()? else {
            return Ok(false);
        };
        let token = store.state_token()?;
        Ok(state.format == INDEX_FORMAT
            && state.vocabulary == self.vocab.fingerprint()
            && token.is_some()
            && state.store_token == token
            && self.documents() == state.documents as u64)
    }

    /// At start-up: brings the index in step with the store unless
    /// [`SearchIndex::is_current`] says it is. Returns what the sync did, or
    /// `None` when the index was current.
    pub fn ensure_current(
        &self,
        store: &CatalogStore,
        profiles: &SourceProfiles,
    ) -> Result<Option<SyncReport>, IndexError> {
        if self.is_current(store)? {
            return Ok(None);
        }
        self.sync(store, profiles).map(Some)
    }

    /// The id and content-hash fingerprint of every document in the index.
    fn indexed(&self) -> Result<HashMap<Box<str>, u64>, IndexError> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::new();
        let (mut id, mut hash) = (String::new(), String::new());
        for segment in searcher.segment_readers() {
            let fast = segment.fast_fields();
            let (Some(ids), Some(hashes)) = (fast.str("id")?, fast.str("hash")?) else {
                continue;
            };
            for doc in segment.doc_ids_alive() {
                let (Some(i), Some(h)) = (ids.term_ords(doc).next(), hashes.term_ords(doc).next())
                else {
                    continue;
                };
                id.clear();
                hash.clear();
                let found = ids
                    .ord_to_str(i, &mut id)
                    .and_then(|a| hashes.ord_to_str(h, &mut hash).map(|b| a && b))
                    .map_err(|e| IndexError::Internal(e.to_string()))?;
                if found {
                    out.insert(id.as_str().into(), fingerprint(&hash));
                }
            }
        }
        Ok(out)
    }

    /// Brings the index in step with the store: adds new records, replaces
    /// changed ones, deletes those no longer published (deleted,
    /// quarantined-only or gone). Rebuilds everything when the vocabularies
    /// or the index format changed since the last commit.
    pub fn sync(
        &self,
        store: &CatalogStore,
        profiles: &SourceProfiles,
    ) -> Result<SyncReport, IndexError> {
        let state = self.state()?;
        let rebuild = !state
            .as_ref()
            .is_some_and(|s| s.format == INDEX_FORMAT && s.vocabulary == self.vocab.fingerprint())
            && self.documents() > 0;
        self.write(store, profiles, rebuild)
    }

    /// Rebuilds the index from the store, from scratch.
    pub fn rebuild(
        &self,
        store: &CatalogStore,
        profiles: &SourceProfiles,
    ) -> Result<SyncReport, IndexError> {
        self.write(store, profiles, true)
    }

    /// A writer whose merges stay bounded (see [`merging`]).
    fn writer(&self) -> Result<tantivy::IndexWriter<TantivyDocument>, IndexError> {
        let writer = self.index.writer(WRITER_HEAP)?;
        writer.set_merge_policy(Box::new(merging::BoundedMergePolicy::default()));
        Ok(writer)
    }

    fn write(
        &self,
        store: &CatalogStore,
        profiles: &SourceProfiles,
        rebuild: bool,
    ) -> Result<SyncReport, IndexError> {
        let _guard = self
            .writing
            .lock()
            .map_err(|_| IndexError::Internal("an earlier sync panicked".into()))?;
        // The token before the records: a change made while this sync reads
        // writes a newer token, so this commit is not taken for current.
        let token = store.ensure_state_token()?;
        // The store's published records are visited one at a time and the
        // index's (id, hash) pairs kept as fingerprints: at a million records
        // holding both lists whole cost most of a gigabyte.
        let mut indexed = if rebuild {
            HashMap::new()
        } else {
            self.indexed()?
        };
        let mut report = SyncReport {
            rebuilt: rebuild,
            ..Default::default()
        };
        let mut digest = StoreDigest::default();
        let mut writer: Option<tantivy::IndexWriter<TantivyDocument>> = None;
        if rebuild {
            let w = self.writer()?;
            w.delete_all_documents()?;
            writer = Some(w);
        }
        let mut changes: Vec<PublishedRecord> = Vec::with_capacity(SYNC_CHUNK);
        // Ids whose older documents the chunk's new ones replace.
        let mut stale: Vec<String> = Vec::new();
        let started = std::time::Instant::now();
        store.each_published_record(|record| -> Result<(), IndexError> {
            if searchable(record.kind).is_none() {
                return Ok(());
            }
            digest.add(&record);
            if digest.records % SYNC_PROGRESS_EVERY == 0 {
                // A sync of a large store takes minutes: say how far it is.
                tracing::info!(
                    records = digest.records,
                    seconds = started.elapsed().as_secs(),
                    "search index sync under way"
                );
            }
            match indexed.remove(record.id.as_str()) {
                Some(hash) if hash == fingerprint(&record.hash) => {
                    report.unchanged += 1;
                    return Ok(());
                }
                Some(_) => {
                    report.replaced += 1;
                    stale.push(record.id.clone());
                }
                None => report.added += 1,
            }
            changes.push(record);
            if changes.len() >= SYNC_CHUNK {
                let w = match writer.as_mut() {
                    Some(w) => w,
                    None => writer.insert(self.writer()?),
                };
                self.delete_documents(w, &stale)?;
                self.add_documents(w, store, profiles, &changes)?;
                changes.clear();
                stale.clear();
            }
            Ok(())
        })?;
        // What is left of the index's list is no longer published.
        report.deleted = indexed.len();
        let documents = digest.records;
        let digest = digest.finish();
        let current = state_matches(self.state()?, &digest, &token, &self.vocab);
        if !report.changed() && current {
            return Ok(report);
        }
        let mut writer = match writer {
            Some(w) => w,
            None => self.writer()?,
        };
        self.delete_documents(&writer, &stale)?;
        self.add_documents(&mut writer, store, profiles, &changes)?;
        drop(changes);
        let gone: Vec<Box<str>> = indexed.into_keys().collect();
        for ids in gone.chunks(SYNC_CHUNK) {
            self.delete_documents(&writer, ids)?;
        }
        drop(gone);
        let state = IndexState {
            format: INDEX_FORMAT,
            vocabulary: self.vocab.fingerprint(),
            store: digest,
            documents,
            synced_at: chrono::Utc::now().to_rfc3339(),
            store_token: Some(token),
        };
        let payload =
            serde_json::to_string(&state).map_err(|e| IndexError::Internal(e.to_string()))?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        writer.wait_merging_threads()?;
        crate::memory::release_free_heap();
        self.reader.reload()?;
        self.clear_search_caches();
        self.answers.invalidate();
        self.warm();
        Ok(report)
    }

    /// Deletes the documents of `ids`, with one delete operation for them all.
    ///
    /// Tantivy keeps every delete operation of a commit in memory until the
    /// commit, and `delete_term` makes each one a term query's weight with its
    /// own 1 KiB BM25 table: a million of them, one per record of a first
    /// harvest, grew a 1M sync by ~1.2 GiB. A term set is a small automaton.
    fn delete_documents<S: AsRef<str>>(
        &self,
        writer: &tantivy::IndexWriter<TantivyDocument>,
        ids: &[S],
    ) -> Result<(), IndexError> {
        if ids.is_empty() {
            return Ok(());
        }
        let terms = ids
            .iter()
            .map(|id| Term::from_field_text(self.fields.id, id.as_ref()));
        writer.delete_query(Box::new(tantivy::query::TermSetQuery::new(terms)))?;
        Ok(())
    }

    /// Builds the documents of `records` (in parallel: store reads,
    /// summaries, labels) and hands them to the writer, which indexes them
    /// on its own threads. Older documents of the records are the caller's
    /// to delete first ([`Self::delete_documents`]).
    fn add_documents(
        &self,
        writer: &mut tantivy::IndexWriter<TantivyDocument>,
        store: &CatalogStore,
        profiles: &SourceProfiles,
        records: &[PublishedRecord],
    ) -> Result<(), IndexError> {
        use rayon::prelude::*;
        let documents: Vec<TantivyDocument> = records
            .par_iter()
            .map(|record| -> Result<TantivyDocument, IndexError> {
                let triples = store.record_triples(&record.id)?;
                let origin = RecordOrigin {
                    id: &record.id,
                    source: &record.source,
                    country: &record.country,
                    profile: profiles.0.get(&record.source).map(String::as_str),
                    kind: searchable(record.kind).unwrap_or("dataset"),
                };
                let summary = summarise(&origin, &record.resource, &triples);
                Ok(build_document(
                    &summary,
                    &record.hash,
                    &self.fields,
                    &self.vocab,
                ))
            })
            .collect::<Result<_, _>>()?;
        for document in documents {
            writer.add_document(document)?;
        }
        Ok(())
    }

    /// One record's summary, by id.
    pub fn summary(&self, id: &str) -> Result<Option<RecordSummary>, IndexError> {
        let searcher = self.reader.searcher();
        let query = tantivy::query::TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            tantivy::schema::IndexRecordOption::Basic,
        );
        let top = searcher.search(
            &query,
            &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
        )?;
        match top.first() {
            Some((_, address)) => self.load_summary(&searcher, *address).map(Some),
            None => Ok(None),
        }
    }

    /// The summary of a hit, from the summary cache or the document store.
    pub(crate) fn hit_summary(
        &self,
        searcher: &tantivy::Searcher,
        address: tantivy::DocAddress,
    ) -> Result<Arc<RecordSummary>, IndexError> {
        let key = (
            searcher.segment_reader(address.segment_ord).segment_id(),
            address.doc_id,
        );
        if let Some(summary) = self
            .summaries
            .read()
            .ok()
            .and_then(|s| s.get(&key).cloned())
        {
            return Ok(summary);
        }
        let summary = Arc::new(self.load_summary(searcher, address)?);
        // As for labels: a full cache is dropped after the lock.
        let _full = self.summaries.write().ok().map(|mut summaries| {
            let full =
                (summaries.len() >= MAX_CACHED_SUMMARIES).then(|| std::mem::take(&mut *summaries));
            summaries.insert(key, summary.clone());
            full
        });
        Ok(summary)
    }

    fn load_summary(
        &self,
        searcher: &tantivy::Searcher,
        address: tantivy::DocAddress,
    ) -> Result<RecordSummary, IndexError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let json = doc
            .get_first(self.fields.display)
            .and_then(|v| v.as_str())
            .unwrap_or("{}");
        serde_json::from_str(json).map_err(|e| IndexError::Internal(format!("stored summary: {e}")))
    }

    /// The names of a publisher, from any record it published.
    fn publisher_names(&self, searcher: &tantivy::Searcher, iri: &str) -> Vec<document::LangText> {
        if let Some(names) = self
            .publisher_names
            .read()
            .ok()
            .and_then(|n| n.get(iri).cloned())
        {
            return names;
        }
        let facet = tantivy::schema::Facet::from_path(["publisher", iri]);
        let query = tantivy::query::TermQuery::new(
            Term::from_facet(self.fields.facets, &facet),
            tantivy::schema::IndexRecordOption::Basic,
        );
        let names = searcher
            .search(
                &query,
                &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
            )
            .ok()
            .and_then(|top| top.first().map(|(_, a)| *a))
            .and_then(|address| self.load_summary(searcher, address).ok())
            .and_then(|s| s.publisher.map(|p| p.names))
            .unwrap_or_default();
        if let Ok(mut cache) = self.publisher_names.write() {
            cache.insert(iri.to_string(), names.clone());
        }
        names
    }
}

fn state_matches(state: Option<IndexState>, digest: &str, token: &str, vocab: &Vocabulary) -> bool {
    state.is_some_and(|s| {
        s.format == INDEX_FORMAT
            && s.vocabulary == vocab.fingerprint()
            && s.store == digest
            && s.store_token.as_deref() == Some(token)
    })
}

/// Facet counts per dimension (value, label, count).
pub type FacetCounts = BTreeMap<String, Vec<query::FacetValue>>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harvest::harvest_source;
    use crate::profiles::Profiles;

    fn harvest(store: &CatalogStore, config: &Config, source: usize) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let report = runtime.block_on(harvest_source(
            config,
            store,
            &Profiles::default(),
            &config.sources[source],
        ));
        assert!(!report.failed(), "{:?}", report.run.error);
    }

    fn searchable_records(store: &CatalogStore) -> u64 {
        store
            .published_records()
            .unwrap()
            .iter()
            .filter(|r| searchable(r.kind).is_some())
            .count() as u64
    }

    /// The start-up check compares state tokens only; a store change the
    /// index missed (a crash between a harvest and its index sync), or a
    /// crash after the store's token changed, still means a resync.
    #[test]
    fn start_up_check_is_by_token_and_a_mismatch_is_repaired() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::builtin_default().unwrap();
        let profiles = SourceProfiles::from_config(&config);
        let vocab = Arc::new(Vocabulary::builtin().unwrap());
        let store_dir = dir.path().join("store");
        let index_dir = SearchIndex::dir(dir.path());

        let store = CatalogStore::open(&store_dir).unwrap();
        harvest(&store, &config, 0);
        let index = SearchIndex::open(&index_dir, vocab.clone()).unwrap();
        assert!(!index.is_current(&store).unwrap(), "a new index is empty");
        let first = index.ensure_current(&store, &profiles).unwrap().unwrap();
        assert!(first.added > 0, "{first:?}");
        assert!(index.is_current(&store).unwrap());
        assert_eq!(index.ensure_current(&store, &profiles).unwrap(), None);

        // A restart: the token is on disk beside the store, the index's in
        // its commit; current without a sync.
        drop(index);
        drop(store);
        let store = CatalogStore::open(&store_dir).unwrap();
        let index = SearchIndex::open(&index_dir, vocab.clone()).unwrap();
        assert!(index.is_current(&store).unwrap());

        // A harvest whose index sync never ran.
        harvest(&store, &config, 1);
        assert!(!index.is_current(&store).unwrap());
        let repaired = index.ensure_current(&store, &profiles).unwrap().unwrap();
        assert!(repaired.added > 0 && !repaired.rebuilt, "{repaired:?}");
        assert!(index.is_current(&store).unwrap());
        assert_eq!(index.documents(), searchable_records(&store));

        // A crash after the token changed, before the change itself:
        // resynced (nothing to change), and the new token saved.
        store.mark_changing().unwrap();
        assert!(!index.is_current(&store).unwrap());
        let resynced = index.ensure_current(&store, &profiles).unwrap().unwrap();
        assert!(!resynced.changed(), "{resynced:?}");
        assert!(index.is_current(&store).unwrap());

        // An index committed before tokens existed is resynced once.
        let mut state = index.state().unwrap().unwrap();
        state.store_token = None;
        let mut writer: tantivy::IndexWriter<TantivyDocument> =
            index.index.writer(WRITER_HEAP).unwrap();
        let mut prepared = writer.prepare_commit().unwrap();
        prepared.set_payload(&serde_json::to_string(&state).unwrap());
        prepared.commit().unwrap();
        drop(writer);
        index.reader.reload().unwrap();
        assert!(!index.is_current(&store).unwrap());
        index.ensure_current(&store, &profiles).unwrap().unwrap();
        assert!(index.is_current(&store).unwrap());
        assert_eq!(index.documents(), searchable_records(&store));
    }

    /// A store without a token (written before tokens) gets one at the
    /// first sync; an in-memory store keeps its token in memory.
    #[test]
    fn tokens_change_before_changes_only() {
        let config = Config::builtin_default().unwrap();
        let store = CatalogStore::in_memory().unwrap();
        assert_eq!(store.state_token().unwrap(), None);
        let token = store.ensure_state_token().unwrap();
        assert_eq!(
            store.state_token().unwrap().as_deref(),
            Some(token.as_str())
        );
        harvest(&store, &config, 0);
        let after_change = store.state_token().unwrap().unwrap();
        assert_ne!(after_change, token);
        // Harvesting the same document again changes nothing: same token.
        harvest(&store, &config, 0);
        assert_eq!(store.state_token().unwrap().unwrap(), after_change);
    }
}
