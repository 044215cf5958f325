//! The SPARQL 1.1 Protocol endpoint, read-only.
//!
//! The default graph is the union of the named graphs (the published records
//! and their catalogue records); named graphs stay addressable. Evaluation runs
//! on a blocking thread with a cancellation token, so the timeout stops the
//! work, and results stream to the client as they are serialised.

use super::{AppState, ServeError};
use crate::store::lexical;
use axum::body::{Body, Bytes};
use axum::extract::{Query as UrlQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode, Term};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{
    CancellationToken, PreparedSparqlQuery, QueryEvaluationError, QueryResults, SparqlEvaluator,
    Variable,
};
use std::io::{self, Write};
use tokio::sync::{mpsc, oneshot};

/// Parameters of a SPARQL request, from the URL or a form body.
#[derive(Debug, Default)]
pub struct SparqlRequest {
    pub query: Option<String>,
    pub default_graphs: Vec<String>,
    pub named_graphs: Vec<String>,
    pub format: Option<String>,
}

impl SparqlRequest {
    fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Self, ServeError> {
        let mut request = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "query" => {
                    if request.query.is_some() {
                        return Err(ServeError::BadRequest(
                            "`query` is given more than once".into(),
                        ));
                    }
                    request.query = Some(value);
                }
                "default-graph-uri" => request.default_graphs.push(value),
                "named-graph-uri" => request.named_graphs.push(value),
                "format" => request.format = Some(value),
                "update" | "using-graph-uri" | "using-named-graph-uri" => {
                    return Err(ServeError::ReadOnly)
                }
                _ => {}
            }
        }
        Ok(request)
    }
}

pub async fn get(
    State(state): State<AppState>,
    UrlQuery(pairs): UrlQuery<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    // Without a query, the endpoint describes itself (SPARQL 1.1 Service Description).
    if pairs.is_empty() {
        return super::void::sparql_description(State(state), headers).await;
    }
    match SparqlRequest::from_pairs(pairs) {
        Ok(request) => run(state, request, &headers).await,
        Err(error) => error.into_response(),
    }
}

pub async fn post(
    State(state): State<AppState>,
    UrlQuery(url_pairs): UrlQuery<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let request = match content_type.as_str() {
        "application/x-www-form-urlencoded" => {
            let pairs = url::form_urlencoded::parse(&body)
                .into_owned()
                .chain(url_pairs);
            SparqlRequest::from_pairs(pairs)
        }
        "application/sparql-query" => match String::from_utf8(body.to_vec()) {
            Ok(text) => SparqlRequest::from_pairs(url_pairs).and_then(|mut request| {
                if request.query.is_some() {
                    return Err(ServeError::BadRequest(
                        "`query` is given both in the URL and as the body".into(),
                    ));
                }
                request.query = Some(text);
                Ok(request)
            }),
            Err(_) => Err(ServeError::BadRequest("the query is not UTF-8".into())),
        },
        "application/sparql-update" => Err(ServeError::ReadOnly),
        other => Err(ServeError::UnsupportedMediaType(format!(
            "POST /sparql takes application/x-www-form-urlencoded or application/sparql-query, not {:?}",
            other
        ))),
    };
    match request {
        Ok(request) => run(state, request, &headers).await,
        Err(error) => error.into_response(),
    }
}

async fn run(state: AppState, request: SparqlRequest, headers: &HeaderMap) -> Response {
    let Some(query_text) = request.query else {
        return ServeError::BadRequest(
            "missing `query` parameter (SPARQL 1.1 Protocol: GET /sparql?query=… or POST)".into(),
        )
        .into_response();
    };
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let job = QueryJob {
        query: query_text,
        default_graphs: request.default_graphs,
        named_graphs: request.named_graphs,
        accept,
        format: request.format,
    };
    // Parse here first: syntax errors and updates are answered without a worker.
    let cancel = CancellationToken::new();
    let prepared = match prepare(
        &job.query,
        &job.default_graphs,
        &job.named_graphs,
        cancel.clone(),
    ) {
        Ok(prepared) => prepared,
        Err(error) => return error.into_response(),
    };
    match &state.query_worker {
        Some(worker) => super::worker::run_in_worker(worker, &job, state.query_timeout).await,
        None => run_in_thread(&state, prepared, cancel, job).await,
    }
}

/// A query and how its results are wanted: what a worker process receives.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct QueryJob {
    pub query: String,
    pub default_graphs: Vec<String>,
    pub named_graphs: Vec<String>,
    pub accept: String,
    pub format: Option<String>,
}

/// Evaluates on a blocking thread of this process. The cancellation token
/// stops evaluation at the next read from the store; pure computation over
/// data already read (a cartesian product) is only stopped by a worker process.
async fn run_in_thread(
    state: &AppState,
    prepared: PreparedSparqlQuery,
    cancel: CancellationToken,
    job: QueryJob,
) -> Response {
    let QueryJob { accept, format, .. } = job;
    let format_param = format;
    let (head_tx, head_rx) = oneshot::channel();
    let (chunk_tx, chunk_rx) = mpsc::channel::<Result<Bytes, io::Error>>(8);
    let store = state.store.oxigraph().clone();
    tokio::task::spawn_blocking(move || {
        let mut writer = ChunkWriter {
            head: Some(head_tx),
            content_type: "",
            chunks: chunk_tx,
            buffer: Vec::with_capacity(CHUNK),
        };
        let results = match prepared.on_store(&store).execute() {
            Ok(results) => results,
            Err(error) => {
                writer.fail(evaluation_error(error));
                return;
            }
        };
        let result = write_results(results, &accept, format_param.as_deref(), &mut writer);
        match result {
            Ok(()) => {
                if let Err(e) = writer.finish() {
                    tracing::debug!(error = %e, "SPARQL client went away");
                }
            }
            Err(error) => writer.fail(error),
        }
    });
    // The timeout covers the whole evaluation, streaming included.
    let timeout = state.query_timeout;
    let deadline_token = cancel.clone();
    let deadline = tokio::spawn(async move {
        tokio::time::sleep(timeout).await;
        deadline_token.cancel();
    });
    match head_rx.await {
        Ok(Ok(content_type)) => {
            let stream = futures_util::stream::unfold((chunk_rx, deadline), |(mut rx, d)| async {
                match rx.recv().await {
                    Some(item) => Some((item, (rx, d))),
                    None => {
                        d.abort();
                        None
                    }
                }
            });
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::VARY, "Accept")
                .body(Body::from_stream(stream))
                .unwrap_or_else(|e| ServeError::Internal(e.to_string()).into_response())
        }
        Ok(Err(error)) => {
            deadline.abort();
            error.into_response()
        }
        Err(_) => {
            deadline.abort();
            ServeError::Internal("the query evaluation stopped unexpectedly".into()).into_response()
        }
    }
}

/// Parses a query for katalog's store: remote SERVICE calls are off, updates
/// are refused, and without FROM or protocol graphs the default graph is the
/// union of the named graphs.
pub fn prepare(
    query_text: &str,
    default_graphs: &[String],
    named_graphs: &[String],
    cancel: CancellationToken,
) -> Result<PreparedSparqlQuery, ServeError> {
    // Without the http-client feature SERVICE has no handler: no outbound calls.
    let mut prepared = match SparqlEvaluator::new()
        .with_cancellation_token(cancel)
        .parse_query(query_text)
    {
        Ok(prepared) => prepared,
        Err(syntax) => {
            if SparqlEvaluator::new().parse_update(query_text).is_ok() {
                return Err(ServeError::ReadOnly);
            }
            return Err(ServeError::BadRequest(format!(
                "invalid SPARQL query: {syntax}"
            )));
        }
    };
    let dataset = prepared.dataset_mut();
    if !default_graphs.is_empty() || !named_graphs.is_empty() {
        let mut default = Vec::new();
        for iri in default_graphs {
            let node = NamedNode::new(iri)
                .map_err(|e| ServeError::BadRequest(format!("default-graph-uri {iri:?}: {e}")))?;
            default.push(GraphName::NamedNode(node));
        }
        let mut named = Vec::new();
        for iri in named_graphs {
            let node = NamedNode::new(iri)
                .map_err(|e| ServeError::BadRequest(format!("named-graph-uri {iri:?}: {e}")))?;
            named.push(NamedOrBlankNode::NamedNode(node));
        }
        dataset.set_default_graph(default);
        if !named.is_empty() {
            dataset.set_available_named_graphs(named);
        }
    } else if dataset.is_default_dataset() {
        dataset.set_default_graph_as_union();
    }
    Ok(prepared)
}

pub fn evaluation_error(error: QueryEvaluationError) -> ServeError {
    match error {
        QueryEvaluationError::Cancelled => ServeError::Timeout,
        other => ServeError::Internal(format!("query evaluation failed: {other}")),
    }
}

const CHUNK: usize = 64 * 1024;

/// Collects serialised output into chunks; the first chunk decides the
/// response head, so errors before it still get a proper status.
struct ChunkWriter {
    head: Option<oneshot::Sender<Result<&'static str, ServeError>>>,
    content_type: &'static str,
    chunks: mpsc::Sender<Result<Bytes, io::Error>>,
    buffer: Vec<u8>,
}

impl ChunkWriter {
    fn send(&mut self) -> io::Result<()> {
        if let Some(head) = self.head.take() {
            head.send(Ok(self.content_type))
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))?;
        }
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.chunks
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }

    fn finish(mut self) -> io::Result<()> {
        self.send()
    }

    fn fail(mut self, error: ServeError) {
        match self.head.take() {
            Some(head) => {
                let _ = head.send(Err(error));
            }
            None => {
                // Headers are gone: abort the body so the client sees an incomplete response.
                let _ = self
                    .chunks
                    .blocking_send(Err(io::Error::other(error.to_string())));
            }
        }
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Where serialised results go: the HTTP body or a terminal.
pub trait ResultSink: Write {
    /// Called once the format is known, before any byte is written.
    fn set_content_type(&mut self, content_type: &'static str);
}

impl ResultSink for ChunkWriter {
    fn set_content_type(&mut self, content_type: &'static str) {
        self.content_type = content_type;
    }
}

/// Serialises the results in the format negotiated from `accept`, or named by
/// `format_param` (json, xml, csv, tsv for solutions; ttl, nt, rdfxml, jsonld for graphs).
pub fn write_results<W: ResultSink>(
    results: QueryResults<'_>,
    accept: &str,
    format_param: Option<&str>,
    writer: &mut W,
) -> Result<(), ServeError> {
    let io_error = |e: io::Error| ServeError::Internal(format!("cannot write results: {e}"));
    match results {
        QueryResults::Solutions(solutions) => {
            let format = negotiate_results(accept, format_param)?;
            writer.set_content_type(results_media_type(format));
            let mut serializer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(&mut *writer, solutions.variables().to_vec())
                .map_err(io_error)?;
            for solution in solutions {
                let solution = solution.map_err(evaluation_error)?;
                let restored: Vec<(&Variable, Term)> = solution
                    .iter()
                    .map(|(variable, term)| (variable, lexical::from_store(term.clone())))
                    .collect();
                serializer
                    .serialize(restored.iter().map(|(v, t)| (*v, t)))
                    .map_err(io_error)?;
            }
            serializer.finish().map_err(io_error)?;
        }
        QueryResults::Boolean(value) => {
            let format = negotiate_results(accept, format_param)?;
            writer.set_content_type(results_media_type(format));
            QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(&mut *writer, value)
                .map_err(io_error)?;
        }
        QueryResults::Graph(triples) => {
            let format = negotiate_graph(accept, format_param)?;
            writer.set_content_type(graph_media_type(format));
            let mut serializer =
                prefixed(RdfSerializer::from_format(format)).for_writer(&mut *writer);
            for triple in triples {
                let triple = lexical::triple_from_store(triple.map_err(evaluation_error)?);
                serializer.serialize_triple(&triple).map_err(io_error)?;
            }
            serializer.finish().map_err(io_error)?;
        }
    }
    Ok(())
}

/// The prefixes Turtle output uses, so that results read like DCAT-AP documents.
pub const PREFIXES: [(&str, &str); 14] = [
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("adms", "http://www.w3.org/ns/adms#"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("dcatap", "http://data.europa.eu/r5r/"),
    ("healthdcatap", "http://healthdataportal.eu/ns/health#"),
    ("dqv", "http://www.w3.org/ns/dqv#"),
    ("kat", crate::ns::KAT),
];

pub fn prefixed(mut serializer: RdfSerializer) -> RdfSerializer {
    for (prefix, iri) in PREFIXES {
        serializer = match serializer.clone().with_prefix(prefix, iri) {
            Ok(with) => with,
            Err(_) => serializer,
        };
    }
    serializer
}

/// Accepted media types, best first (q-values honoured, order kept on ties).
pub(crate) fn accepted(accept: &str) -> Vec<String> {
    let mut ranges: Vec<(f32, usize, String)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let media = pieces.next()?.trim().to_ascii_lowercase();
            if media.is_empty() {
                return None;
            }
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (q > 0.0).then_some((q, i, media))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.into_iter().map(|(_, _, m)| m).collect()
}

fn negotiate_results(accept: &str, format: Option<&str>) -> Result<QueryResultsFormat, ServeError> {
    if let Some(name) = format {
        return match name {
            "json" | "srj" => Ok(QueryResultsFormat::Json),
            "xml" | "srx" => Ok(QueryResultsFormat::Xml),
            "csv" => Ok(QueryResultsFormat::Csv),
            "tsv" => Ok(QueryResultsFormat::Tsv),
            other => QueryResultsFormat::from_media_type(other).ok_or_else(|| {
                ServeError::NotAcceptable(format!(
                    "format={other:?}: SELECT and ASK results are json, xml, csv or tsv"
                ))
            }),
        };
    }
    let ranges = accepted(accept);
    if ranges.is_empty() {
        return Ok(QueryResultsFormat::Json);
    }
    for media in &ranges {
        match media.as_str() {
            "*/*" | "application/*" | "application/json" => return Ok(QueryResultsFormat::Json),
            "text/*" => return Ok(QueryResultsFormat::Csv),
            "application/xml" | "text/xml" => return Ok(QueryResultsFormat::Xml),
            other => {
                if let Some(format) = QueryResultsFormat::from_media_type(other) {
                    return Ok(format);
                }
            }
        }
    }
    Err(ServeError::NotAcceptable(format!(
        "none of {accept:?} can carry SELECT/ASK results: use application/sparql-results+json, \
         application/sparql-results+xml, text/csv or text/tab-separated-values"
    )))
}

fn negotiate_graph(accept: &str, format: Option<&str>) -> Result<RdfFormat, ServeError> {
    let jsonld = RdfFormat::JsonLd {
        profile: JsonLdProfileSet::empty(),
    };
    if let Some(name) = format {
        return match name {
            "ttl" | "turtle" => Ok(RdfFormat::Turtle),
            "nt" | "ntriples" => Ok(RdfFormat::NTriples),
            "rdf" | "rdfxml" | "xml" => Ok(RdfFormat::RdfXml),
            "jsonld" | "json" => Ok(jsonld),
            other => RdfFormat::from_media_type(other)
                .filter(|f| !f.supports_datasets() || matches!(f, RdfFormat::JsonLd { .. }))
                .ok_or_else(|| {
                    ServeError::NotAcceptable(format!(
                        "format={other:?}: CONSTRUCT and DESCRIBE results are ttl, nt, rdfxml or jsonld"
                    ))
                }),
        };
    }
    let ranges = accepted(accept);
    if ranges.is_empty() {
        return Ok(RdfFormat::Turtle);
    }
    for media in &ranges {
        match media.as_str() {
            "*/*" | "text/*" => return Ok(RdfFormat::Turtle),
            "application/*" | "application/xml" => return Ok(RdfFormat::RdfXml),
            "application/json" | "application/ld+json" => return Ok(jsonld),
            other => {
                if let Some(format) = RdfFormat::from_media_type(other) {
                    if !format.supports_datasets() {
                        return Ok(format);
                    }
                }
            }
        }
    }
    Err(ServeError::NotAcceptable(format!(
        "none of {accept:?} can carry CONSTRUCT/DESCRIBE results: use text/turtle, \
         application/n-triples, application/rdf+xml or application/ld+json"
    )))
}

fn results_media_type(format: QueryResultsFormat) -> &'static str {
    match format {
        QueryResultsFormat::Json => "application/sparql-results+json",
        QueryResultsFormat::Xml => "application/sparql-results+xml",
        QueryResultsFormat::Csv => "text/csv; charset=utf-8",
        QueryResultsFormat::Tsv => "text/tab-separated-values; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn graph_media_type(format: RdfFormat) -> &'static str {
    match format {
        RdfFormat::Turtle => "text/turtle; charset=utf-8",
        RdfFormat::NTriples => "application/n-triples",
        RdfFormat::RdfXml => "application/rdf+xml",
        RdfFormat::JsonLd { .. } => "application/ld+json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_honours_q_values() {
        assert_eq!(
            accepted("text/csv;q=0.5, application/sparql-results+xml, */*;q=0.1"),
            vec!["application/sparql-results+xml", "text/csv", "*/*"]
        );
        assert_eq!(
            negotiate_results("text/csv;q=0.5, application/sparql-results+xml", None).unwrap(),
            QueryResultsFormat::Xml
        );
        assert_eq!(
            negotiate_graph("application/n-triples", None).unwrap(),
            RdfFormat::NTriples
        );
        assert_eq!(negotiate_graph("", None).unwrap(), RdfFormat::Turtle);
        assert!(negotiate_graph("image/png", None).is_err());
        assert_eq!(
            negotiate_results("text/html", Some("tsv")).unwrap(),
            QueryResultsFormat::Tsv
        );
    }
}
