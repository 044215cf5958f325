//! Harvesting: fetch a source's document, parse it, split it into records
//! and hand them to the store, which replaces the source's records atomically.

pub mod fetch;
pub mod format;
pub mod netguard;
pub mod record;
pub mod split;

use crate::config::{Config, SourceConfig};
use crate::profiles::{Profile, Profiles};
use crate::store::{
    ApplyOptions, CatalogStore, HarvestRun, PreparedRecord, Quarantine, RecordCounts, RunOutcome,
    SourceMeta, SourceState, StoredVersions, ValidationSummary,
};
use chrono::Utc;
use fetch::{Conditional, FetchedDocument, Fetcher};
use oxigraph::io::{RdfFormat, RdfParser, RdfSyntaxError};
use oxrdf::{NamedNode, Triple};
pub use record::{RecordGraph, RecordKind};
use std::collections::HashMap;
use std::sync::Arc;
use thiserror::Error;
use tracing::Instrument;

#[derive(Debug, Error)]
pub enum HarvestError {
    #[error("cannot fetch {location}: {message}")]
    Fetch { location: String, message: String },
    #[error("refused {location}: {message}")]
    Refused { location: String, message: String },
    #[error("{location} answered HTTP {status}")]
    Status { location: String, status: u16 },
    #[error("{location} is larger than the {limit}-byte limit (harvest.max_document_bytes)")]
    TooLarge { location: String, limit: u64 },
    #[error("invalid {format} in {location}{place}: {message}")]
    Parse {
        location: String,
        format: String,
        /// " at line L, column C" when the parser knows it.
        place: String,
        message: String,
    },
    #[error("{location} contains no DCAT record (no dcat:Dataset, dcat:DatasetSeries, dcat:DataService or dcat:Catalog)")]
    NoRecords { location: String },
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    #[error("cannot store the records: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// A source's document parsed and split into records.
#[derive(Debug)]
pub struct ParsedSource {
    pub location: String,
    pub format: RdfFormat,
    pub triples: usize,
    pub records: Vec<PreparedRecord>,
}

/// The outcome of harvesting one source, for the CLI summary and the API.
#[derive(Debug, Clone)]
pub struct SourceReport {
    pub source: String,
    pub run: HarvestRun,
}

impl SourceReport {
    /// True when the run did not do its work: it failed, or the
    /// mass-delete guard stopped it.
    pub fn failed(&self) -> bool {
        matches!(self.run.outcome, RunOutcome::Failed | RunOutcome::Guarded)
    }
}

/// Parses a fetched document into triples. Graph names of quad syntaxes are
/// dropped: a record is a set of triples.
pub fn parse_document(
    document: &FetchedDocument,
    format: RdfFormat,
) -> Result<Vec<Triple>, HarvestError> {
    let mut parser = RdfParser::from_format(format).rename_blank_nodes();
    if let Some(base) = base_iri(&document.location) {
        parser = parser
            .with_base_iri(base)
            .map_err(|e| HarvestError::Internal(e.to_string()))?;
    }
    let mut triples = Vec::new();
    for quad in parser.for_slice(&document.bytes) {
        match quad {
            Ok(quad) => triples.push(Triple::from(quad)),
            Err(error) => return Err(parse_error(document, format, error)),
        }
    }
    Ok(triples)
}

fn parse_error(
    document: &FetchedDocument,
    format: RdfFormat,
    error: RdfSyntaxError,
) -> HarvestError {
    let place = error
        .location()
        .map(|range| {
            format!(
                " at line {}, column {}",
                range.start.line + 1,
                range.start.column + 1
            )
        })
        .unwrap_or_default();
    let message = error.to_string();
    HarvestError::Parse {
        location: document.location.clone(),
        format: format.name().to_string(),
        place,
        message,
    }
}

/// Base IRI against which relative IRIs in a document resolve.
fn base_iri(location: &str) -> Option<String> {
    match url::Url::parse(location) {
        Ok(url) if url.scheme().len() > 1 => Some(url.to_string()),
        _ => {
            let path = std::path::Path::new(location);
            let absolute = std::path::absolute(path).ok()?;
            url::Url::from_file_path(absolute).ok().map(String::from)
        }
    }
}

/// Reads one RDF document (a local path or an http(s) URL) into triples,
/// for commands that check a document rather than harvest a source.
pub async fn load_document(
    location: &str,
    settings: &crate::config::HarvestConfig,
) -> Result<(String, Vec<Triple>), HarvestError> {
    let location = match url::Url::parse(location) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => crate::config::Location::Remote(url),
        _ => crate::config::Location::Local(std::path::PathBuf::from(location)),
    };
    // A steward checks documents of their own choosing, test servers included.
    let fetcher = Fetcher::new(settings, true).map_err(HarvestError::Client)?;
    let document = fetcher.fetch(&location).await?;
    tokio::task::spawn_blocking(move || {
        let (format, _) = format::detect(
            None,
            document.content_type.as_deref(),
            &document.location,
            &document.bytes,
        );
        let triples = parse_document(&document, format)?;
        Ok((document.location, triples))
    })
    .await
    .map_err(|e| HarvestError::Internal(e.to_string()))?
}

/// Validates each record against the profile, in parallel, and marks the
/// violating ones for quarantine.
pub fn gate(profile: &Profile, records: &mut [PreparedRecord]) -> ValidationSummary {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = records.len().div_ceil(workers).max(1);
    let tallies: Vec<(usize, HashMap<String, usize>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = records
            .chunks_mut(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut warned = 0;
                    let mut shapes: HashMap<String, usize> = HashMap::new();
                    for record in part {
                        if record.graph.kind == RecordKind::Unattached {
                            continue;
                        }
                        let report = profile
                            .validate_record(&record.graph.triples, &record.graph.linked_types);
                        let violations = report.violations();
                        if violations > 0 {
                            for result in &report.results {
                                if result.severity == crate::validate::Severity::Violation {
                                    *shapes.entry(result.source_shape.to_string()).or_default() +=
                                        1;
                                }
                            }
                            record.quarantine = Some(Quarantine {
                                report: report.to_graph().iter().map(|t| t.into_owned()).collect(),
                                violations,
                            });
                        } else if !report.results.is_empty() {
                            warned += 1;
                        }
                    }
                    (warned, shapes)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut summary = ValidationSummary {
        profile: profile.name.clone(),
        ..Default::default()
    };
    let mut shapes: HashMap<String, usize> = HashMap::new();
    for (warned, part) in tallies {
        summary.with_warnings += warned;
        for (shape, n) in part {
            *shapes.entry(shape).or_default() += n;
        }
    }
    for record in records
        .iter()
        .filter(|r| r.graph.kind != RecordKind::Unattached)
    {
        summary.checked += 1;
        if record.quarantine.is_some() {
            summary.with_violations += 1;
        }
    }
    summary.conforming = summary.checked - summary.with_violations;
    let mut top: Vec<(String, usize)> = shapes
        .into_iter()
        .map(|(shape, n)| (shape.trim_matches(['<', '>']).to_string(), n))
        .collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    summary.top_violated_shapes = top;
    summary
}

/// Fetches, parses and splits one source, without touching the store.
pub async fn collect_source(
    config: &Config,
    source: &SourceConfig,
) -> Result<ParsedSource, HarvestError> {
    let fetcher = Fetcher::new(&config.harvest, source.allow_private_network)
        .map_err(HarvestError::Client)?;
    let location = config.location(source);
    let document = fetcher.fetch(&location).await?;
    prepare_document(config, source, document).await
}

/// Parses and splits a fetched document of a source into records.
pub async fn prepare_document(
    config: &Config,
    source: &SourceConfig,
    document: FetchedDocument,
) -> Result<ParsedSource, HarvestError> {
    let genid_base = format!("{}/.well-known/genid/{}/", config.base_url(), source.name);
    let unattached = NamedNode::new_unchecked(format!("urn:katalog:unattached:{}", source.name));
    let configured = source.format;
    let name = source.name.clone();
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let (format, _) = format::detect(
            configured,
            document.content_type.as_deref(),
            &document.location,
            &document.bytes,
        );
        let triples = parse_document(&document, format)?;
        let count = triples.len();
        let parsed = started.elapsed();
        let records = split::split_records(triples, &genid_base, unattached);
        let split = started.elapsed();
        if !records.iter().any(|r| r.kind != RecordKind::Unattached) {
            return Err(HarvestError::NoRecords {
                location: document.location.clone(),
            });
        }
        let records: Vec<PreparedRecord> = records
            .into_iter()
            .map(|graph| PreparedRecord::new(&name, graph))
            .collect();
        tracing::debug!(
            source = %name,
            triples = count,
            records = records.len(),
            parse_ms = parsed.as_millis() as u64,
            split_ms = (split - parsed).as_millis() as u64,
            hash_ms = (started.elapsed() - split).as_millis() as u64,
            "document prepared"
        );
        Ok(ParsedSource {
            location: document.location,
            format,
            triples: count,
            records,
        })
    })
    .await
    .map_err(|e| HarvestError::Internal(e.to_string()))?
}

/// Reports a run's stage ("fetching", "validating 120 records", ...) as it goes.
pub type Progress = Arc<dyn Fn(String) + Send + Sync>;

/// How one run of a source goes.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// A steward confirmed that this run may remove more than
    /// `harvest.max_delete_share` of the source's records.
    pub allow_mass_delete: bool,
    /// The run's id, when the caller announced it before the run (the HTTP trigger).
    pub run_id: Option<String>,
    pub progress: Option<Progress>,
}

impl RunOptions {
    fn stage(&self, message: impl Into<String>) {
        if let Some(progress) = &self.progress {
            progress(message.into());
        }
    }
}

/// A new run id for a source: its name and the start time.
pub fn new_run_id(source: &str) -> String {
    format!("{source}-{}", Utc::now().format("%Y%m%dT%H%M%S%.6fZ"))
}

/// What the verdicts and validators of a source's runs depend on: a stored
/// verdict or validator is reused only while this is the same.
fn harvest_settings(source: &SourceConfig) -> String {
    format!(
        "profile={};format={:?};katalog={}",
        source.profile.as_deref().unwrap_or("-"),
        source.format,
        env!("CARGO_PKG_VERSION")
    )
}

/// Validates the records whose verdict is not already known: a record whose
/// content hash is the stored published (or quarantined) version keeps that
/// verdict without being validated again.
fn gate_changed(
    profile: &Profile,
    records: Vec<PreparedRecord>,
    stored: &HashMap<String, StoredVersions>,
) -> (Vec<PreparedRecord>, ValidationSummary) {
    let mut to_check = Vec::with_capacity(records.len());
    let mut reused = Vec::new();
    let (mut reused_ok, mut reused_bad) = (0, 0);
    for mut record in records {
        let versions = stored.get(&record.id);
        let counted = record.graph.kind != RecordKind::Unattached;
        match versions {
            Some(v) if v.quarantined.as_deref() == Some(record.hash.as_str()) => {
                // Held back before with this very content: it stays held back
                // (the store sees the same quarantined hash and writes nothing).
                record.quarantine = Some(Quarantine::default());
                reused_bad += usize::from(counted);
                reused.push(record);
            }
            Some(v) if v.quarantined.is_none() && v.published.as_deref() == Some(&record.hash) => {
                reused_ok += usize::from(counted);
                reused.push(record);
            }
            _ => to_check.push(record),
        }
    }
    let mut summary = gate(profile, &mut to_check);
    summary.reused = reused_ok + reused_bad;
    summary.checked += reused_ok + reused_bad;
    summary.conforming += reused_ok;
    summary.with_violations += reused_bad;
    to_check.extend(reused);
    (to_check, summary)
}

/// Harvests one source into the store. A failure at any step leaves the
/// source's records as they were and is recorded as a failed run.
pub async fn harvest_source(
    config: &Config,
    store: &CatalogStore,
    profiles: &Profiles,
    source: &SourceConfig,
) -> SourceReport {
    harvest_source_with(config, store, profiles, source, &RunOptions::default()).await
}

/// [`harvest_source`] with options. The run is incremental: the document is
/// fetched conditionally (an unchanged one ends the run as `unchanged`,
/// touching no record), and records whose content is already stored keep
/// their verdict without being validated again.
pub async fn harvest_source_with(
    config: &Config,
    store: &CatalogStore,
    profiles: &Profiles,
    source: &SourceConfig,
    options: &RunOptions,
) -> SourceReport {
    let started = Utc::now();
    let meta = SourceMeta {
        name: source.name.clone(),
        country: source.country.clone(),
        location: config.location(source).to_string(),
    };
    let mut run = HarvestRun {
        id: options
            .run_id
            .clone()
            .unwrap_or_else(|| new_run_id(&source.name)),
        source: source.name.clone(),
        started,
        ended: started,
        outcome: RunOutcome::Failed,
        counts: RecordCounts::default(),
        triples: 0,
        location: meta.location.clone(),
        format: None,
        error: None,
        validation: None,
        not_modified: false,
    };
    let span = tracing::info_span!("harvest", source = %source.name, run = %run.id);
    let clock = std::time::Instant::now();
    let settings = harvest_settings(source);
    let result = async {
        let state = {
            let store = store.clone();
            let name = source.name.clone();
            tokio::task::spawn_blocking(move || store.source_state(&name))
                .await
                .map_err(|e| HarvestError::Internal(e.to_string()))??
        };
        let reuse = state.settings.as_deref() == Some(settings.as_str());
        let location = config.location(source);
        let known = reuse
            .then(|| state.documents.get(&location.to_string()))
            .flatten();
        options.stage(format!("fetching {location}"));
        let fetcher = Fetcher::new(&config.harvest, source.allow_private_network)
            .map_err(HarvestError::Client)?;
        let (document, validators) = match fetcher.fetch_conditional(&location, known).await? {
            Conditional::NotModified => {
                let store = store.clone();
                let meta = meta.clone();
                let mut done = run.clone();
                let profile = source.profile.clone();
                return tokio::task::spawn_blocking(move || {
                    done.not_modified = true;
                    done.outcome = RunOutcome::Unchanged;
                    let stored = store.stored_versions(&meta)?;
                    done.counts.unchanged = stored.values().filter(|v| v.counted).count();
                    // Every verdict stands: the summary is the stored one.
                    done.validation = profile.map(|profile| {
                        let held = stored
                            .values()
                            .filter(|v| v.counted && v.quarantined.is_some())
                            .count();
                        ValidationSummary {
                            profile,
                            checked: done.counts.unchanged,
                            conforming: done.counts.unchanged - held,
                            with_violations: held,
                            reused: done.counts.unchanged,
                            ..Default::default()
                        }
                    });
                    done.ended = Utc::now();
                    store.record_run(&meta, &done)?;
                    Ok(done)
                })
                .await
                .map_err(|e| HarvestError::Internal(e.to_string()))?;
            }
            Conditional::Modified {
                document,
                validators,
            } => (document, validators),
        };
        options.stage(format!("parsing {} bytes", document.bytes.len()));
        let mut parsed = prepare_document(config, source, document).await?;
        if let Some(name) = &source.profile {
            let profile = profiles
                .get(name)
                .map_err(|e| HarvestError::Internal(e.to_string()))?;
            options.stage(format!("validating {} records", parsed.records.len()));
            let records = std::mem::take(&mut parsed.records);
            let store = store.clone();
            let meta = meta.clone();
            let (records, summary) = tokio::task::spawn_blocking(move || {
                let stored = if reuse {
                    store.stored_versions(&meta)?
                } else {
                    HashMap::new()
                };
                Ok::<_, HarvestError>(gate_changed(&profile, records, &stored))
            })
            .await
            .map_err(|e| HarvestError::Internal(e.to_string()))??;
            parsed.records = records;
            run.validation = Some(summary);
        }
        run.location = parsed.location.clone();
        run.format = Some(parsed.format.media_type().to_string());
        run.triples = parsed.triples;
        options.stage(format!("storing {} records", parsed.records.len()));
        let store = store.clone();
        let meta = meta.clone();
        let mut staged = run.clone();
        let apply = ApplyOptions {
            max_delete_share: (!options.allow_mass_delete)
                .then_some(config.harvest.max_delete_share),
        };
        let document_key = location.to_string();
        let priorities: HashMap<String, i64> = config
            .sources
            .iter()
            .map(|s| (s.name.clone(), s.priority))
            .collect();
        let staged = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            store.apply_source_run_with(&meta, &mut staged, &parsed.records, &apply)?;
            tracing::debug!(source = %meta.name, store_ms = started.elapsed().as_millis() as u64, "records stored");
            if staged.outcome == RunOutcome::Success {
                store.resolve_duplicates(&priorities)?;
            }
            if matches!(staged.outcome, RunOutcome::Success | RunOutcome::Unchanged) {
                let mut state = SourceState {
                    settings: Some(settings),
                    ..Default::default()
                };
                if !validators.is_empty() {
                    state.documents.insert(document_key, validators);
                }
                store.set_source_state(&meta.name, &state)?;
            }
            Ok::<HarvestRun, HarvestError>(staged)
        })
        .await
        .map_err(|e| HarvestError::Internal(e.to_string()))??;
        Ok::<HarvestRun, HarvestError>(staged)
    }
    .instrument(span)
    .await;
    match result {
        Ok(done) => run = done,
        Err(error) => {
            run.outcome = RunOutcome::Failed;
            run.error = Some(format!("source '{}': {error}", source.name));
            run.ended = Utc::now();
            if let Err(store_error) = store.record_failed_run(&meta, &run) {
                tracing::error!(source = %source.name, %store_error, "could not record the failed run");
            }
        }
    }
    let counts = &run.counts;
    tracing::info!(
        source = %source.name,
        run = %run.id,
        outcome = run.outcome.as_str(),
        new = counts.new,
        changed = counts.changed,
        unchanged = counts.unchanged,
        deleted = counts.deleted,
        quarantined = counts.quarantined,
        reused_verdicts = run.validation.as_ref().map_or(0, |v| v.reused),
        not_modified = run.not_modified,
        duration_ms = clock.elapsed().as_millis() as u64,
        "run finished"
    );
    SourceReport {
        source: source.name.clone(),
        run,
    }
}
