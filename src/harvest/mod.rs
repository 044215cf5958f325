//! Harvesting: fetch a source's document, parse it, split it into records
//! and hand them to the store, which replaces the source's records atomically.

pub mod ckan;
pub mod contexts;
pub mod fdp;
pub mod fetch;
pub mod format;
pub mod hydra;
pub mod netguard;
pub mod record;
pub mod sparql_source;
pub mod split;
pub mod xml_entities;

use crate::config::{Config, SourceConfig};
use crate::profiles::{Profile, Profiles};
use crate::store::{
    CatalogStore, HarvestRun, PreparedRecord, Quarantine, RecordCounts, RunOutcome, SourceMeta,
    ValidationSummary,
};
use chrono::Utc;
use fetch::{FetchedDocument, Fetcher};
use oxigraph::io::{RdfFormat, RdfParser, RdfSyntaxError};
use oxrdf::{NamedNode, Triple};
pub use record::{RecordGraph, RecordKind};
use std::collections::HashMap;
use thiserror::Error;

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
    #[error("{last} (after {attempts} attempts)")]
    Retried {
        attempts: u32,
        last: Box<HarvestError>,
    },
    #[error(
        "the run took longer than harvest.run_timeout_secs ({seconds} s) and was stopped{progress}"
    )]
    RunTimeout { seconds: u64, progress: String },
    #[error("{location}: {message}")]
    Paging { location: String, message: String },
    #[error("{location}: {message}")]
    Protocol { location: String, message: String },
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    #[error("cannot store the records: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// A source's pages parsed and split into records.
#[derive(Debug)]
pub struct ParsedSource {
    /// The first page's location.
    pub location: String,
    /// The first page's media type (`application/json` for the CKAN action API).
    pub format: String,
    pub pages: usize,
    pub triples: usize,
    pub records: Vec<PreparedRecord>,
}

/// One fetched and parsed page (document, response) of a source.
#[derive(Debug)]
pub struct ParsedPage {
    pub location: String,
    /// Media type of what was parsed.
    pub format: String,
    pub triples: Vec<Triple>,
}

/// What every page of one run shares: the network policy, the settings and
/// the JSON-LD context loader.
#[derive(Clone)]
pub struct PageContext {
    pub fetcher: Fetcher,
    pub contexts: contexts::ContextLoader,
    pub max_bytes: u64,
}

impl PageContext {
    pub fn new(
        settings: &crate::config::HarvestConfig,
        allow_private_network: bool,
    ) -> Result<Self, HarvestError> {
        let fetcher =
            Fetcher::new(settings, allow_private_network).map_err(HarvestError::Client)?;
        let contexts = contexts::ContextLoader::new(
            settings.jsonld_context_allowlist.clone(),
            Some(fetcher.clone()),
        );
        Ok(PageContext {
            fetcher,
            contexts,
            max_bytes: settings.max_document_bytes,
        })
    }

    /// Parses a fetched document off the async threads.
    pub async fn parse(
        &self,
        document: FetchedDocument,
        configured: Option<crate::config::RdfSyntax>,
    ) -> Result<(FetchedDocument, RdfFormat, Vec<Triple>), HarvestError> {
        let contexts = self.contexts.clone();
        let max_bytes = self.max_bytes;
        tokio::task::spawn_blocking(move || {
            let (format, _) = format::detect(
                configured,
                document.content_type.as_deref(),
                &document.location,
                &document.bytes,
            );
            let triples = parse_document_with(&document, format, &contexts, max_bytes)?;
            Ok((document, format, triples))
        })
        .await
        .map_err(|e| HarvestError::Internal(e.to_string()))?
    }
}

/// The outcome of harvesting one source, for the CLI summary and the API.
#[derive(Debug, Clone)]
pub struct SourceReport {
    pub source: String,
    pub run: HarvestRun,
}

impl SourceReport {
    pub fn failed(&self) -> bool {
        self.run.outcome == RunOutcome::Failed
    }
}

/// Parses a fetched document into triples. Graph names of quad syntaxes are
/// dropped: a record is a set of triples.
/// Remote JSON-LD contexts are never fetched here: only the shipped ones load.
pub fn parse_document(
    document: &FetchedDocument,
    format: RdfFormat,
) -> Result<Vec<Triple>, HarvestError> {
    parse_document_with(
        document,
        format,
        &contexts::ContextLoader::offline(),
        crate::config::HarvestConfig::default().max_document_bytes,
    )
}

/// Parses with a JSON-LD context loader; RDF/XML entity declarations are
/// checked first so that their expansion stays within `max_expanded_bytes`.
pub fn parse_document_with(
    document: &FetchedDocument,
    format: RdfFormat,
    contexts: &contexts::ContextLoader,
    max_expanded_bytes: u64,
) -> Result<Vec<Triple>, HarvestError> {
    if format == RdfFormat::RdfXml {
        xml_entities::check(&document.bytes, max_expanded_bytes).map_err(|message| {
            HarvestError::Parse {
                location: document.location.clone(),
                format: format.name().to_string(),
                place: String::new(),
                message,
            }
        })?;
    }
    let mut parser = RdfParser::from_format(format).rename_blank_nodes();
    if let Some(base) = base_iri(&document.location) {
        parser = parser
            .with_base_iri(base)
            .map_err(|e| HarvestError::Internal(e.to_string()))?;
    }
    let mut triples = Vec::new();
    let loader = contexts.clone();
    for quad in parser.for_slice(&document.bytes).with_document_loader({
        let loader = contexts::UnwindSafeLoader(std::panic::AssertUnwindSafe(loader));
        move |url| loader.load(url)
    }) {
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
/// The run is complete only if every page was fetched and parsed, within
/// `harvest.run_timeout_secs`.
pub async fn collect_source(
    config: &Config,
    source: &SourceConfig,
) -> Result<ParsedSource, HarvestError> {
    let seconds = config.harvest.run_timeout_secs;
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let pages = match tokio::time::timeout(
        std::time::Duration::from_secs(seconds),
        collect_pages(config, source, progress.clone()),
    )
    .await
    {
        Ok(pages) => pages?,
        Err(_) => {
            let done = progress.load(std::sync::atomic::Ordering::Relaxed);
            return Err(HarvestError::RunTimeout {
                seconds,
                progress: format!(" after {done} complete pages"),
            });
        }
    };
    let genid_base = format!("{}/.well-known/genid/{}/", config.base_url(), source.name);
    let unattached = NamedNode::new_unchecked(format!("urn:katalog:unattached:{}", source.name));
    let name = source.name.clone();
    let start = config.location(source).to_string();
    tokio::task::spawn_blocking(move || split_pages(pages, &start, &name, &genid_base, unattached))
        .await
        .map_err(|e| HarvestError::Internal(e.to_string()))?
}

/// Every page of a source, by its kind.
async fn collect_pages(
    config: &Config,
    source: &SourceConfig,
    progress: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> Result<Vec<ParsedPage>, HarvestError> {
    let pages = PageContext::new(&config.harvest, source.allow_private_network)?;
    let location = config.location(source);
    match source.kind {
        crate::config::SourceKind::Rdf => {
            hydra::collect(
                &pages,
                &location,
                source.format,
                source.max_pages(),
                &progress,
            )
            .await
        }
        crate::config::SourceKind::Sparql => {
            sparql_source::collect(&pages, source, &location, &progress).await
        }
        crate::config::SourceKind::Fdp => fdp::collect(&pages, source, &location, &progress).await,
        crate::config::SourceKind::Ckan => {
            ckan::collect(&pages, source, &location, &progress).await
        }
    }
}

/// Joins the pages (dropping repeated triples) and splits them into records.
fn split_pages(
    pages: Vec<ParsedPage>,
    start: &str,
    source: &str,
    genid_base: &str,
    unattached: NamedNode,
) -> Result<ParsedSource, HarvestError> {
    let started = std::time::Instant::now();
    let Some(first) = pages.first() else {
        return Err(HarvestError::NoRecords {
            location: start.to_string(),
        });
    };
    let location = first.location.clone();
    let format = first.format.clone();
    let page_count = pages.len();
    let mut triples: Vec<Triple> = pages.into_iter().flat_map(|p| p.triples).collect();
    if page_count > 1 {
        // Pages repeat triples (the catalogue's own, on every page). The set
        // holds references, not copies, to keep the join's memory small.
        let keep: Vec<bool> = {
            let mut seen: std::collections::HashSet<&Triple> =
                std::collections::HashSet::with_capacity(triples.len());
            triples.iter().map(|t| seen.insert(t)).collect()
        };
        let mut index = 0;
        triples.retain(|_| {
            let kept = keep[index];
            index += 1;
            kept
        });
    }
    let count = triples.len();
    let records = split::split_records(triples, genid_base, unattached);
    let split = started.elapsed();
    if !records.iter().any(|r| r.kind != RecordKind::Unattached) {
        return Err(HarvestError::NoRecords { location });
    }
    let records: Vec<PreparedRecord> = records
        .into_iter()
        .map(|graph| PreparedRecord::new(source, graph))
        .collect();
    tracing::debug!(
        source = %source,
        pages = page_count,
        triples = count,
        records = records.len(),
        split_ms = split.as_millis() as u64,
        hash_ms = (started.elapsed() - split).as_millis() as u64,
        "pages prepared"
    );
    Ok(ParsedSource {
        location,
        format,
        pages: page_count,
        triples: count,
        records,
    })
}

/// Harvests one source into the store. A failure at any step leaves the
/// source's records as they were and is recorded as a failed run.
pub async fn harvest_source(
    config: &Config,
    store: &CatalogStore,
    profiles: &Profiles,
    source: &SourceConfig,
) -> SourceReport {
    let started = Utc::now();
    let meta = SourceMeta {
        name: source.name.clone(),
        country: source.country.clone(),
        location: config.location(source).to_string(),
    };
    let mut run = HarvestRun {
        id: format!("{}-{}", source.name, started.format("%Y%m%dT%H%M%S%.6fZ")),
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
    };
    let result = async {
        let mut parsed = collect_source(config, source).await?;
        if let Some(name) = &source.profile {
            let profile = profiles
                .get(name)
                .map_err(|e| HarvestError::Internal(e.to_string()))?;
            let records = std::mem::take(&mut parsed.records);
            let (records, summary) = tokio::task::spawn_blocking(move || {
                let mut records = records;
                let summary = gate(&profile, &mut records);
                (records, summary)
            })
            .await
            .map_err(|e| HarvestError::Internal(e.to_string()))?;
            parsed.records = records;
            run.validation = Some(summary);
        }
        run.location = parsed.location.clone();
        run.format = Some(parsed.format.clone());
        run.triples = parsed.triples;
        let store = store.clone();
        let meta = meta.clone();
        let mut staged = run.clone();
        let staged = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let applied = store
                .apply_source_run(&meta, &mut staged, &parsed.records)
                .map(|()| staged);
            tracing::debug!(source = %meta.name, store_ms = started.elapsed().as_millis() as u64, "records stored");
            applied
        })
        .await
        .map_err(|e| HarvestError::Internal(e.to_string()))??;
        Ok::<HarvestRun, HarvestError>(staged)
    }
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
    SourceReport {
        source: source.name.clone(),
        run,
    }
}
