//! Harvesting: fetch a source's document, parse it, split it into records
//! and hand them to the store, which replaces the source's records atomically.

pub mod ckan;
pub mod contexts;
pub mod fdp;
pub mod fetch;
pub mod format;
pub mod hydra;
pub mod netguard;
pub mod parallel;
mod plain_turtle;
pub mod push;
pub mod record;
pub mod sparql_source;
pub mod split;
pub mod stream;
pub mod xml_entities;

use crate::config::{Config, SourceConfig};
use crate::ns;
use crate::profiles::{Profile, Profiles};
use crate::quality::{self, QualitySummary};
use crate::store::{
    ApplyOptions, CatalogStore, HarvestRun, PreparedRecord, Quarantine, RecordCounts, RunOutcome,
    SourceMeta, SourceState, ValidationSummary,
};
use chrono::Utc;
use fetch::{Conditional, FetchedDocument, Fetcher};
use oxigraph::io::{RdfFormat, RdfParser, RdfSyntaxError};
use oxrdf::{NamedNode, Triple, TripleRef};
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

/// Where a source's walk hands its pages: into a list (to join them), or
/// down a bounded channel to the run, which stages each page as it comes.
pub enum PageSink {
    Collect(Vec<ParsedPage>),
    Stream(tokio::sync::mpsc::Sender<ParsedPage>),
}

impl PageSink {
    pub async fn push(&mut self, page: ParsedPage) -> Result<(), HarvestError> {
        match self {
            PageSink::Collect(pages) => {
                pages.push(page);
                Ok(())
            }
            PageSink::Stream(channel) => channel
                .send(page)
                .await
                .map_err(|_| HarvestError::Internal("the run stopped taking pages".to_string())),
        }
    }
}

/// What every page of one run shares: the network policy, the settings and
/// the JSON-LD context loader.
#[derive(Clone)]
pub struct PageContext {
    pub fetcher: Fetcher,
    pub contexts: contexts::ContextLoader,
    pub max_bytes: u64,
    /// Where a paged walk notes each page it fetched.
    pub marks: PageMarks,
    /// Set on an incremental run: ask only for what changed since then.
    pub modified_since: Option<chrono::DateTime<Utc>>,
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
            marks: PageMarks::default(),
            modified_since: None,
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
    /// True when the run did not do its work: it failed, or the
    /// mass-delete guard stopped it.
    pub fn failed(&self) -> bool {
        matches!(self.run.outcome, RunOutcome::Failed | RunOutcome::Guarded)
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
            Err(error) => return Err(parse_error(&document.location, format, error)),
        }
    }
    Ok(triples)
}

fn parse_error(location: &str, format: RdfFormat, error: RdfSyntaxError) -> HarvestError {
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
        location: location.to_string(),
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

/// Reads one RDF document (a local path or an http(s) URL) triple by
/// triple, handing each to `each` with `state` on a blocking thread, and
/// returns the state. A local file is parsed as it is read, so neither its
/// bytes nor its triples are ever held all at once (a remote document's
/// bytes are, as the fetcher caps them).
pub async fn fold_document<S: Send + 'static>(
    location: &str,
    settings: &crate::config::HarvestConfig,
    state: S,
    each: impl FnMut(&mut S, Triple) + Send + 'static,
) -> Result<(String, S), HarvestError> {
    let location = match url::Url::parse(location) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => crate::config::Location::Remote(url),
        _ => crate::config::Location::Local(std::path::PathBuf::from(location)),
    };
    let work = match location {
        crate::config::Location::Local(path) => {
            let limit = settings.max_document_bytes;
            tokio::task::spawn_blocking(move || fold_file(&path, limit, state, each)).await
        }
        remote => {
            let fetcher = Fetcher::new(settings, true).map_err(HarvestError::Client)?;
            let document = fetcher.fetch(&remote).await?;
            tokio::task::spawn_blocking(move || {
                let (format, _) = format::detect(
                    None,
                    document.content_type.as_deref(),
                    &document.location,
                    &document.bytes,
                );
                let mut state = state;
                let mut each = each;
                for quad in parser_for(&document.location, format)?.for_slice(&document.bytes) {
                    match quad {
                        Ok(quad) => each(&mut state, Triple::from(quad)),
                        Err(error) => return Err(parse_error(&document.location, format, error)),
                    }
                }
                Ok((document.location, state))
            })
            .await
        }
    };
    work.map_err(|e| HarvestError::Internal(e.to_string()))?
}

/// [`fold_document`] for a state that can be built in pieces: a large local
/// Turtle or N-Triples file is parsed in parallel pieces (see [`parallel`]),
/// each folded by `each` into a state made by `make`, and the pieces merged
/// in document order by `merge`. Anything else, or a file that cannot be
/// split safely, is folded as by [`fold_document`]. `each_lenient` folds
/// the triples of windows read by the lenient parser, checking each term
/// new to the state (see [`parallel`]'s notes; false: not valid).
pub async fn fold_document_in_parallel<S: Send + 'static>(
    location: &str,
    settings: &crate::config::HarvestConfig,
    make: impl Fn() -> S + Send + Sync + 'static,
    each: impl Fn(&mut S, TripleRef<'_>) + Send + Sync + 'static,
    each_lenient: impl Fn(&mut S, TripleRef<'_>) -> bool + Send + Sync + 'static,
    merge: impl Fn(&mut S, S) + Send + 'static,
) -> Result<(String, S), HarvestError> {
    let remote =
        url::Url::parse(location).is_ok_and(|url| matches!(url.scheme(), "http" | "https"));
    if remote {
        return fold_document(location, settings, make(), move |state, triple| {
            each(state, triple.as_ref())
        })
        .await;
    }
    let path = std::path::PathBuf::from(location);
    let limit = settings.max_document_bytes;
    tokio::task::spawn_blocking(move || {
        if let Some(folded) =
            fold_file_in_parallel(&path, limit, &make, &each, &each_lenient, merge)?
        {
            return Ok(folded);
        }
        fold_file(&path, limit, make(), |state, triple| {
            each(state, triple.as_ref())
        })
    })
    .await
    .map_err(|e| HarvestError::Internal(e.to_string()))?
}

/// The file folded in parallel pieces, window by window (see
/// [`parallel::fold_in_windows`]), or `None` when it is small, of another
/// syntax, too large (left for [`fold_file`] to refuse), or cannot be split
/// safely (left for [`fold_file`], which also reports syntax errors).
fn fold_file_in_parallel<S: Send>(
    path: &std::path::Path,
    limit: u64,
    make: &(impl Fn() -> S + Sync),
    each: &(impl Fn(&mut S, TripleRef<'_>) + Sync),
    each_lenient: parallel::LenientFold<'_, S>,
    merge: impl FnMut(&mut S, S),
) -> Result<Option<(String, S)>, HarvestError> {
    use std::io::Read;
    let at = path.display().to_string();
    let io_error = |e: std::io::Error| HarvestError::Fetch {
        location: at.clone(),
        message: e.to_string(),
    };
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    let len = file.metadata().map_err(io_error)?.len();
    if len > limit || len < parallel::MIN_PARALLEL_BYTES as u64 {
        return Ok(None);
    }
    let mut head = Vec::with_capacity(1 << 16);
    file.by_ref()
        .take(1 << 16)
        .read_to_end(&mut head)
        .map_err(io_error)?;
    let (format, _) = format::detect(None, None, &at, &head);
    if !parallel::splittable(format) {
        return Ok(None);
    }
    let reader = std::io::Cursor::new(head).chain(file);
    // No base IRI: resolving every IRI against the file's path costs more than
    // parsing it, and a document whose IRIs a base could change (relative
    // ones, dot segments) is not split, but left to `fold_file`, which has one.
    let folded = parallel::fold_in_windows(
        reader,
        parallel::WINDOW_BYTES,
        format,
        None,
        make,
        each,
        Some(each_lenient),
        merge,
    )
    .map_err(io_error)?;
    Ok(folded.map(|state| (at, state)))
}

fn parser_for(location: &str, format: RdfFormat) -> Result<RdfParser, HarvestError> {
    let mut parser = RdfParser::from_format(format).rename_blank_nodes();
    if let Some(base) = base_iri(location) {
        parser = parser
            .with_base_iri(base)
            .map_err(|e| HarvestError::Internal(e.to_string()))?;
    }
    Ok(parser)
}

fn fold_file<S>(
    path: &std::path::Path,
    limit: u64,
    mut state: S,
    mut each: impl FnMut(&mut S, Triple),
) -> Result<(String, S), HarvestError> {
    use std::io::BufRead;
    let at = path.display().to_string();
    let io_error = |e: std::io::Error| HarvestError::Fetch {
        location: at.clone(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    if file.metadata().map_err(io_error)?.len() > limit {
        return Err(HarvestError::TooLarge {
            location: at,
            limit,
        });
    }
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    // The syntax from the name, else from the first bytes (as for a fetched document).
    let (format, _) = format::detect(None, None, &at, reader.fill_buf().map_err(io_error)?);
    for quad in parser_for(&at, format)?.for_reader(reader) {
        match quad {
            Ok(quad) => each(&mut state, Triple::from(quad)),
            Err(oxigraph::io::RdfParseError::Io(error)) => return Err(io_error(error)),
            Err(oxigraph::io::RdfParseError::Syntax(error)) => {
                return Err(parse_error(&at, format, error))
            }
        }
    }
    Ok((at, state))
}

/// Validates each record against the profile, in parallel, and marks the
/// violating ones for quarantine.
pub fn gate(profile: &Profile, records: &mut [PreparedRecord]) -> ValidationSummary {
    let (warned, shapes, warned_shapes) = gate_tally(profile, records);
    let mut summary = ValidationSummary {
        profile: profile.name.clone(),
        with_warnings: warned,
        ..Default::default()
    };
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
    summary.top_violated_shapes = top_shapes(shapes);
    summary.top_warned_shapes = top_shapes(warned_shapes);
    summary
}

/// Shape result counts of a gate: records with warnings only, violation
/// results per shape, warning results per shape.
type GateTally = (usize, HashMap<String, usize>, HashMap<String, usize>);

/// Validates each record against the profile, in parallel, marks the
/// violating ones for quarantine and counts results per shape.
fn gate_tally(profile: &Profile, records: &mut [PreparedRecord]) -> GateTally {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = records.len().div_ceil(workers).max(1);
    type Tally = (usize, HashMap<String, usize>, HashMap<String, usize>);
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> = records
            .chunks_mut(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut warned = 0;
                    let mut shapes: HashMap<String, usize> = HashMap::new();
                    let mut warned_shapes: HashMap<String, usize> = HashMap::new();
                    for record in part {
                        if record.graph.kind == RecordKind::Unattached {
                            continue;
                        }
                        let report = profile
                            .validate_record(&record.graph.triples, &record.graph.linked_types);
                        let violations = report.violations();
                        for result in &report.results {
                            if result.severity == crate::validate::Severity::Warning {
                                *warned_shapes
                                    .entry(result.source_shape.to_string())
                                    .or_default() += 1;
                            }
                        }
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
                    (warned, shapes, warned_shapes)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut warned = 0;
    let mut shapes: HashMap<String, usize> = HashMap::new();
    let mut warned_shapes: HashMap<String, usize> = HashMap::new();
    for (w, part, warned_part) in tallies {
        warned += w;
        for (shape, n) in part {
            *shapes.entry(shape).or_default() += n;
        }
        for (shape, n) in warned_part {
            *warned_shapes.entry(shape).or_default() += n;
        }
    }
    (warned, shapes, warned_shapes)
}

/// The ten shapes with most results, most first (blank shapes included by label).
fn top_shapes(shapes: HashMap<String, usize>) -> Vec<(String, usize)> {
    let mut top: Vec<(String, usize)> = shapes
        .into_iter()
        .filter(|(shape, _)| shape.starts_with('<'))
        .map(|(shape, n)| (shape.trim_matches(['<', '>']).to_string(), n))
        .collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    top
}

/// The run's `sh:ValidationReport`: node `report` (the run's report graph
/// name), `sh:conforms`, the profile and counts, and every Violation result
/// of the run's quarantined records. Warnings are counted per shape in the
/// summary rather than listed: a large source has many.
pub fn run_report(
    report: &NamedNode,
    summary: &ValidationSummary,
    records: &[PreparedRecord],
) -> Vec<Triple> {
    let sh = |local: &str| format!("http://www.w3.org/ns/shacl#{local}");
    let named = |iri: String| NamedNode::new_unchecked(iri);
    let count = |n: usize| {
        oxrdf::Literal::new_typed_literal(n.to_string(), named(ns::XSD_NON_NEGATIVE_INTEGER.into()))
    };
    let mut triples = vec![
        Triple::new(
            report.clone(),
            named(ns::RDF_TYPE.into()),
            named(sh("ValidationReport")),
        ),
        Triple::new(
            report.clone(),
            named(sh("conforms")),
            oxrdf::Literal::from(summary.with_violations == 0),
        ),
        Triple::new(
            report.clone(),
            named(ns::kat("profile")),
            oxrdf::Literal::from(summary.profile.as_str()),
        ),
    ];
    for (local, n) in [
        ("checked", summary.checked),
        ("conforming", summary.conforming),
        ("withWarnings", summary.with_warnings),
        ("withViolations", summary.with_violations),
    ] {
        triples.push(Triple::new(report.clone(), named(ns::kat(local)), count(n)));
    }
    triples.extend(report_results(report, records));
    triples
}

/// The Violation results of the quarantined among `records`, attached to
/// the run's report node `report`.
pub fn report_results(report: &NamedNode, records: &[PreparedRecord]) -> Vec<Triple> {
    let sh = |local: &str| format!("http://www.w3.org/ns/shacl#{local}");
    let named = |iri: String| NamedNode::new_unchecked(iri);
    let mut triples = Vec::new();
    let result = named(sh("result"));
    let report_class = named(sh("ValidationReport"));
    let conforms = named(sh("conforms"));
    let rdf_type = named(ns::RDF_TYPE.into());
    for record in records {
        let Some(quarantine) = &record.quarantine else {
            continue;
        };
        // A record's report node is replaced by the run's; its results,
        // blank nodes unique to that record, are kept as they are.
        let own: std::collections::HashSet<&oxrdf::NamedOrBlankNode> = quarantine
            .report
            .iter()
            .filter(|t| t.predicate == rdf_type && t.object == report_class.clone().into())
            .map(|t| &t.subject)
            .collect();
        for triple in &quarantine.report {
            if own.contains(&triple.subject) {
                if triple.predicate == result {
                    triples.push(Triple::new(
                        report.clone(),
                        result.clone(),
                        triple.object.clone(),
                    ));
                } else if triple.predicate != conforms && triple.predicate != rdf_type {
                    triples.push(Triple::new(
                        report.clone(),
                        triple.predicate.clone(),
                        triple.object.clone(),
                    ));
                }
            } else {
                triples.push(triple.clone());
            }
        }
    }
    triples
}

/// Scores the metadata quality of every dataset and series, and sums it up.
/// `profiled`: whether the gate ran, so profile conformance counts.
pub fn score_records(records: &mut [PreparedRecord], profiled: bool) -> QualitySummary {
    for record in records.iter_mut() {
        if !matches!(
            record.graph.kind,
            RecordKind::Dataset | RecordKind::DatasetSeries
        ) {
            continue;
        }
        let resource: oxrdf::Term = record.graph.resource.clone().into();
        let conforms = profiled.then_some(record.quarantine.is_none());
        record.quality = Some(quality::score(&record.graph.triples, &resource, conforms));
    }
    QualitySummary::of(records.iter().filter_map(|r| r.quality.as_ref()))
}

/// Fetches, parses and splits one source, without touching the store.
/// The run is complete only if every page was fetched and parsed, within
/// `harvest.run_timeout_secs`.
pub async fn collect_source(
    config: &Config,
    source: &SourceConfig,
) -> Result<ParsedSource, HarvestError> {
    collect_source_from(config, source, None).await
}

/// The first document of a `kind = "rdf"` source, already fetched (by a
/// conditional GET), with its `Link: rel="next"` header.
pub struct FirstPage {
    pub document: FetchedDocument,
    pub next_link: Option<url::Url>,
    pub validators: fetch::Validators,
}

/// A page a run fetched: its URL, validators and the page after it, kept
/// in the source's state for the next run's conditional GETs.
#[derive(Debug, Clone, Default)]
pub struct PageMark {
    pub url: String,
    pub validators: fetch::Validators,
    pub next: Option<String>,
}

/// The pages of a run, as the walk fetches them.
pub type PageMarks = Arc<std::sync::Mutex<Vec<PageMark>>>;

/// [`collect_source`], starting from an already fetched first document.
pub async fn collect_source_from(
    config: &Config,
    source: &SourceConfig,
    first: Option<FirstPage>,
) -> Result<ParsedSource, HarvestError> {
    let seconds = config.harvest.run_timeout_secs;
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut sink = PageSink::Collect(Vec::new());
    match tokio::time::timeout(
        std::time::Duration::from_secs(seconds),
        collect_pages(
            config,
            source,
            first,
            progress.clone(),
            &mut sink,
            PageMarks::default(),
            None,
        ),
    )
    .await
    {
        Ok(done) => done?,
        Err(_) => {
            let done = progress.load(std::sync::atomic::Ordering::Relaxed);
            return Err(HarvestError::RunTimeout {
                seconds,
                progress: format!(" after {done} complete pages"),
            });
        }
    };
    let PageSink::Collect(pages) = sink else {
        return Err(HarvestError::Internal("pages were not collected".into()));
    };
    let genid_base = format!("{}/.well-known/genid/{}/", config.base_url(), source.name);
    let unattached = NamedNode::new_unchecked(format!("urn:katalog:unattached:{}", source.name));
    let name = source.name.clone();
    let start = config.location(source).to_string();
    tokio::task::spawn_blocking(move || split_pages(pages, &start, &name, &genid_base, unattached))
        .await
        .map_err(|e| HarvestError::Internal(e.to_string()))?
}

/// Every page of a source, by its kind, handed to `sink` in order.
async fn collect_pages(
    config: &Config,
    source: &SourceConfig,
    first: Option<FirstPage>,
    progress: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    sink: &mut PageSink,
    marks: PageMarks,
    modified_since: Option<chrono::DateTime<Utc>>,
) -> Result<(), HarvestError> {
    let mut pages = PageContext::new(&config.harvest, source.allow_private_network)?;
    pages.marks = marks;
    pages.modified_since = modified_since;
    let mut location = config.location(source);
    if let (Some(since), Some(param), crate::config::Location::Remote(url)) =
        (modified_since, &source.modified_since_param, &mut location)
    {
        url.query_pairs_mut()
            .append_pair(param, &ckan::rfc3339(since));
    }
    match source.kind {
        crate::config::SourceKind::Rdf => {
            hydra::collect(
                &pages,
                &location,
                source.format,
                source.max_pages(),
                first,
                &progress,
                sink,
            )
            .await
        }
        crate::config::SourceKind::Ckan => {
            ckan::collect(&pages, source, &location, &progress, sink).await
        }
        crate::config::SourceKind::Sparql => {
            sparql_source::collect(&pages, source, &location, &progress, sink).await
        }
        crate::config::SourceKind::Fdp => {
            fdp::collect(&pages, source, &location, &progress, sink).await
        }
        crate::config::SourceKind::Push => Err(HarvestError::Protocol {
            location: source.name.clone(),
            message: "a kind = \"push\" source is not harvested; its records are published with PUT /api/records/{id}".into(),
        }),
    }
}

/// Whether a kind's catalogue pages list records that other pages describe
/// and type (a FAIR Data Point's catalogue, a SPARQL endpoint's catalogue
/// description), so the run keeps the records' classes for the catalogue's
/// validation; Hydra and CKAN pages repeat their catalogue beside its records.
fn pages_link_records_elsewhere(kind: crate::config::SourceKind) -> bool {
    matches!(
        kind,
        crate::config::SourceKind::Fdp | crate::config::SourceKind::Sparql
    )
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
    // Each page goes into the interned form (no list of owned triples) and
    // is let go before the next.
    let mut interned = split::InternedDocument::default();
    for page in pages {
        for triple in &page.triples {
            interned.add(triple.as_ref());
        }
    }
    if page_count > 1 {
        // Pages repeat triples (the catalogue's own, on every page).
        interned.dedup();
    }
    let count = interned.len();
    let split_document = interned.split(genid_base, unattached);
    let split = started.elapsed();
    if !(0..split_document.len()).any(|i| split_document.kind(i) != Some(RecordKind::Unattached)) {
        return Err(HarvestError::NoRecords { location });
    }
    let records: Vec<PreparedRecord> = (0..split_document.len())
        .filter_map(|i| split_document.record(i))
        .map(|graph| PreparedRecord::new(source, graph))
        .collect();
    drop(split_document);
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

/// Reports a run's stage ("fetching", "validating 120 records", ...) as it goes.
pub type Progress = Arc<dyn Fn(String) + Send + Sync>;

/// How one run of a source goes.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// A steward confirmed that this run may remove more than
    /// `harvest.max_delete_share` of the source's records.
    pub allow_mass_delete: bool,
    /// A full run even where `modified_since` would list changes only: the
    /// source is read whole, so records it no longer lists are tombstoned.
    pub full: bool,
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
/// verdict or validator is reused only while this is the same. The profile
/// counts by name and by the digest of its files ([`crate::profiles::digest`]),
/// so a run after the profile (or one of its shape files) changed fetches
/// every document again, even one that would answer 304, and validates every
/// record against the new profile.
fn harvest_settings(source: &SourceConfig) -> String {
    let profile = match source.profile.as_deref() {
        None => "-".to_string(),
        Some(name) => match crate::profiles::digest(name) {
            Ok(digest) => format!("{name}@{digest}"),
            // Unknown: the run fails when it compiles the profile.
            Err(_) => name.to_string(),
        },
    };
    format!(
        "profile={profile};format={:?};katalog={}",
        source.format,
        env!("CARGO_PKG_VERSION")
    )
}

/// Whether every page after the first (which answered 304) answers 304
/// too, walking the page chain the last run recorded. False when the chain
/// is unknown or any page changed: the run then walks all pages again.
async fn later_pages_unchanged(
    fetcher: &Fetcher,
    state: &SourceState,
    first: &crate::config::Location,
    max_pages: usize,
) -> Result<bool, HarvestError> {
    let mut current = first.to_string();
    let mut walked = 0;
    while let Some(next) = state.next_pages.get(&current) {
        walked += 1;
        let (Ok(url), Some(known)) = (url::Url::parse(next), state.documents.get(next)) else {
            return Ok(false);
        };
        if walked > max_pages {
            return Ok(false);
        }
        match fetcher
            .fetch_conditional(&crate::config::Location::Remote(url), Some(known))
            .await?
        {
            Conditional::NotModified => current = next.clone(),
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// For a `modified_since` source: the time from which this run asks for
/// changes (the start of the last successful run), or None when this run
/// is full: there was no successful full run yet, or the last
/// `full_every - 1` successful runs were incremental. Only a full run sees
/// which records are gone, so deletions are found on those runs.
fn incremental_since(
    store: &CatalogStore,
    source: &SourceConfig,
) -> Result<Option<chrono::DateTime<Utc>>, HarvestError> {
    use oxigraph::model::{GraphNameRef, NamedNodeRef, Term};
    let kat = |local: &str| NamedNode::new_unchecked(ns::kat(local));
    let graph = NamedNode::new_unchecked(ns::RUNS_GRAPH);
    let graph = GraphNameRef::NamedNode(graph.as_ref());
    let store = store.oxigraph();
    let value = |run: &oxrdf::NamedOrBlankNode, predicate: NamedNodeRef<'_>| {
        store
            .quads_for_pattern(Some(run.as_ref()), Some(predicate), None, Some(graph))
            .next()
            .transpose()
            .map(|quad| {
                quad.and_then(|q| match q.object {
                    Term::Literal(l) => Some(l.value().to_string()),
                    _ => None,
                })
            })
    };
    let started = NamedNode::new_unchecked(ns::PROV_STARTED);
    let (outcome, since_key) = (kat("outcome"), kat("modifiedSince"));
    let name = oxrdf::Literal::from(source.name.as_str());
    // (start, incremental) of each successful run, latest first.
    let mut runs: Vec<(chrono::DateTime<Utc>, bool)> = Vec::new();
    for quad in store.quads_for_pattern(
        None,
        Some(kat("sourceName").as_ref()),
        Some(name.as_ref().into()),
        Some(graph),
    ) {
        let run = quad.map_err(crate::store::StoreError::from)?.subject;
        let outcome = value(&run, outcome.as_ref()).map_err(crate::store::StoreError::from)?;
        if !matches!(outcome.as_deref(), Some("success" | "unchanged")) {
            continue;
        }
        let Some(start) = value(&run, started.as_ref())
            .map_err(crate::store::StoreError::from)?
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
        else {
            continue;
        };
        let incremental = value(&run, since_key.as_ref())
            .map_err(crate::store::StoreError::from)?
            .is_some();
        runs.push((start.with_timezone(&Utc), incremental));
    }
    runs.sort_by_key(|run| std::cmp::Reverse(run.0));
    let Some(full) = runs.iter().position(|(_, incremental)| !incremental) else {
        return Ok(None);
    };
    if full + 1 >= source.full_every() {
        return Ok(None);
    }
    Ok(runs.first().map(|(start, _)| *start))
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
        report: Vec::new(),
        quality: None,
        not_modified: false,
        modified_since: None,
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
        // Changes only, when the source can say what changed and this is not
        // the run that must be full (see `incremental_since`).
        let since = if source.modified_since && reuse && !options.full {
            let store = store.clone();
            let source = source.clone();
            tokio::task::spawn_blocking(move || incremental_since(&store, &source))
                .await
                .map_err(|e| HarvestError::Internal(e.to_string()))??
        } else {
            None
        };
        run.modified_since = since;
        let location = config.location(source);
        let known = reuse
            .then(|| state.documents.get(&location.to_string()))
            .flatten();
        options.stage(format!("fetching {location}"));
        let fetcher = Fetcher::new(&config.harvest, source.allow_private_network)
            .map_err(HarvestError::Client)?;
        // Paged and query-based kinds have no one document to compare;
        // an rdf source's first document is fetched conditionally.
        // An incremental run asks another URL each time: nothing to compare.
        let conditional = if source.kind == crate::config::SourceKind::Rdf && since.is_none() {
            match fetcher.fetch_conditional(&location, known).await? {
                Conditional::NotModified
                    if !later_pages_unchanged(&fetcher, &state, &location, source.max_pages())
                        .await? =>
                {
                    // A later page changed: the walk starts again from the first.
                    Conditional::Unconditional
                }
                other => other,
            }
        } else {
            Conditional::Unconditional
        };
        let (document, validators) = match conditional {
            Conditional::Unconditional => (None, fetch::Validators::default()),
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
                next_link,
            } => (
                Some(FirstPage {
                    document,
                    next_link,
                    validators: validators.clone(),
                }),
                validators,
            ),
        };
        options.stage(format!("fetching and parsing {location}"));
        let profile = match &source.profile {
            Some(name) => Some((
                profiles
                    .get(name)
                    .map_err(|e| HarvestError::Internal(e.to_string()))?,
                reuse,
            )),
            None => None,
        };
        let staged = {
            let store = store.clone();
            let meta = meta.clone();
            let id = run.id.clone();
            let profiled = profile.is_some();
            tokio::task::spawn_blocking(move || store.start_staged_run(&meta, &id, profiled))
                .await
                .map_err(|e| HarvestError::Internal(e.to_string()))??
        };
        let consumer = stream::PageConsumer::new(
            staged,
            &source.name,
            format!("{}/.well-known/genid/{}/", config.base_url(), source.name),
            NamedNode::new_unchecked(format!("urn:katalog:unattached:{}", source.name)),
            crate::store::report_iri(&run.id),
            pages_link_records_elsewhere(source.kind).then(stream::RecordTypes::default),
            profile,
            options.progress.clone(),
        )
        .changes_only(since.is_some());
        // Two pages in flight at most: the one being staged and the next.
        let (sender, receiver) = tokio::sync::mpsc::channel::<ParsedPage>(1);
        let consuming = tokio::task::spawn_blocking(move || consumer.run(receiver));
        let seconds = config.harvest.run_timeout_secs;
        let walked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut sink = PageSink::Stream(sender);
        let marks = PageMarks::default();
        let walk = tokio::time::timeout(
            std::time::Duration::from_secs(seconds),
            collect_pages(
                config,
                source,
                document,
                walked.clone(),
                &mut sink,
                marks.clone(),
                since,
            ),
        )
        .await;
        drop(sink);
        let consumer = consuming
            .await
            .map_err(|e| HarvestError::Internal(e.to_string()))?;
        // The consumer's own failure first: the walk then only saw a closed channel.
        let consumer = consumer?;
        match walk {
            Ok(walked) => walked?,
            Err(_) => {
                let done = walked.load(std::sync::atomic::Ordering::Relaxed);
                return Err(HarvestError::RunTimeout {
                    seconds,
                    progress: format!(" after {done} complete pages"),
                });
            }
        }
        let start = location.to_string();
        let consumed = tokio::task::spawn_blocking(move || consumer.finish(&start))
            .await
            .map_err(|e| HarvestError::Internal(e.to_string()))??;
        if let Some(summary) = &consumed.validation {
            let mut report = run_report(&crate::store::report_iri(&run.id), summary, &[]);
            report.extend(consumed.report_results);
            run.report = report;
        }
        run.validation = consumed.validation;
        run.quality = Some(consumed.quality);
        // An incremental run that found no change fetched no page to name.
        if !consumed.location.is_empty() {
            run.location = consumed.location;
            run.format = Some(consumed.format);
        }
        run.triples = consumed.triples;
        let staged_run = consumed.staged;
        let marks: Vec<PageMark> = marks.lock().map(|m| m.clone()).unwrap_or_default();
        options.stage(format!(
            "storing {} new or changed records",
            staged_run.staged()
        ));
        let store = store.clone();
        let meta = meta.clone();
        let mut staged = run.clone();
        let apply = ApplyOptions {
            max_delete_share: (!options.allow_mass_delete)
                .then_some(config.harvest.max_delete_share),
            incremental: since.is_some(),
        };
        let document_key = location.to_string();
        let priorities: HashMap<String, i64> = config
            .sources
            .iter()
            .map(|s| (s.name.clone(), s.priority))
            .collect();
        let staged = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let touched = staged_run.commit(&mut staged, &apply)?;
            tracing::debug!(source = %meta.name, store_ms = started.elapsed().as_millis() as u64, "records stored");
            if staged.outcome == RunOutcome::Success {
                let started = std::time::Instant::now();
                store.resolve_duplicates_around(&priorities, &touched)?;
                tracing::debug!(source = %meta.name, records = touched.len(), ms = started.elapsed().as_millis() as u64, "duplicates resolved around the run's records");
            }
            drop(touched);
            crate::memory::release_free_heap();
            // An incremental run's pages (other URLs) do not replace what the
            // last full run recorded for its conditional GETs.
            if since.is_none()
                && matches!(staged.outcome, RunOutcome::Success | RunOutcome::Unchanged)
            {
                let mut state = SourceState {
                    settings: Some(settings),
                    ..Default::default()
                };
                if !validators.is_empty() {
                    state.documents.insert(document_key, validators);
                }
                for page in marks {
                    if let Some(next) = page.next {
                        state.next_pages.insert(page.url.clone(), next);
                    }
                    if !page.validators.is_empty() {
                        state.documents.insert(page.url, page.validators);
                    }
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
