//! `GET /metrics` in the Prometheus text format.
//!
//! HTTP requests are counted and timed as they pass (by matched route, not
//! raw path, so ids do not explode the label set). Everything about the
//! catalogue is read from the store at scrape time, so it is right whichever
//! process harvested: runs by source and outcome and their durations (from
//! the runs graph), records by state per source, the last run's validation
//! counts, and the bytes on disk of each part of the data directory.

use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use oxigraph::model::{GraphNameRef, NamedNode, Term};
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// The live HTTP metrics.
pub struct HttpMetrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl HttpMetrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "katalog_http_requests_total",
                "HTTP requests by matched route, method and status",
            ),
            &["route", "method", "status"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "katalog_http_request_duration_seconds",
                "HTTP request latency until the response head, by matched route, method and status",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
            &["route", "method", "status"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition"));
        let _ = registry.register(Box::new(requests.clone()));
        let _ = registry.register(Box::new(latency.clone()));
        Self {
            registry,
            requests,
            latency,
        }
    }
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Middleware: counts and times each request under its route template.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [route.as_str(), method.as_str(), status.as_str()];
    state.http_metrics.requests.with_label_values(&labels).inc();
    state
        .http_metrics
        .latency
        .with_label_values(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}

fn rows(
    store: &oxigraph::store::Store,
    query: &str,
) -> Result<Vec<BTreeMap<String, String>>, String> {
    let results = oxigraph::sparql::SparqlEvaluator::new()
        .parse_query(query)
        .map_err(|e| e.to_string())?
        .on_store(store)
        .execute()
        .map_err(|e| e.to_string())?;
    let oxigraph::sparql::QueryResults::Solutions(solutions) = results else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for solution in solutions {
        let solution = solution.map_err(|e| e.to_string())?;
        out.push(
            solution
                .iter()
                .map(|(v, t)| {
                    let value = match t {
                        Term::Literal(l) => l.value().to_string(),
                        Term::NamedNode(n) => n.as_str().to_string(),
                        other => other.to_string(),
                    };
                    (v.as_str().to_string(), value)
                })
                .collect(),
        );
    }
    Ok(out)
}

const RUNS: &str = "PREFIX kat: <https://w3id.org/katalog/ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?source ?outcome ?start ?end ?checked ?conforming ?warnings ?violations WHERE {
  GRAPH <urn:katalog:graph:runs> {
    ?run a kat:HarvestRun ; kat:sourceName ?source ; kat:outcome ?outcome ;
         prov:startedAtTime ?start ; prov:endedAtTime ?end .
    OPTIONAL { ?run kat:checked ?checked ; kat:conforming ?conforming ;
                    kat:withWarnings ?warnings ; kat:withViolations ?violations }
  }
}";

const STATES: &str = "PREFIX kat: <https://w3id.org/katalog/ns#>
SELECT ?source ?state (COUNT(?record) AS ?n) WHERE {
  GRAPH <urn:katalog:graph:records> { ?record kat:sourceName ?source ; kat:state ?state }
} GROUP BY ?source ?state";

fn seconds(start: &str, end: &str) -> Option<f64> {
    let start = chrono::DateTime::parse_from_rfc3339(start).ok()?;
    let end = chrono::DateTime::parse_from_rfc3339(end).ok()?;
    Some((end - start).num_milliseconds().max(0) as f64 / 1000.0)
}

fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_size(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

/// The catalogue's metrics, read from the store now.
fn catalogue_registry(state: &AppState) -> Result<Registry, String> {
    let registry = Registry::new();
    let error = |e: prometheus::Error| e.to_string();
    let runs = IntCounterVec::new(
        Opts::new(
            "katalog_harvest_runs_total",
            "Harvest runs recorded in the store, by source and outcome",
        ),
        &["source", "outcome"],
    )
    .map_err(error)?;
    let durations = HistogramVec::new(
        HistogramOpts::new(
            "katalog_harvest_run_duration_seconds",
            "Duration of the recorded harvest runs, by source",
        )
        .buckets(vec![
            0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
        ]),
        &["source"],
    )
    .map_err(error)?;
    let last_run = GaugeVec::new(
        Opts::new(
            "katalog_harvest_last_run_timestamp_seconds",
            "Start of the latest harvest run, by source",
        ),
        &["source"],
    )
    .map_err(error)?;
    let records = IntGaugeVec::new(
        Opts::new(
            "katalog_records",
            "Records by source and state (published, quarantined, deleted)",
        ),
        &["source", "state"],
    )
    .map_err(error)?;
    let validation = IntGaugeVec::new(
        Opts::new(
            "katalog_validation_records",
            "Records validated in each source's latest run, by result (checked, conforming, with_warnings, with_violations)",
        ),
        &["source", "result"],
    )
    .map_err(error)?;
    let disk = IntGaugeVec::new(
        Opts::new(
            "katalog_disk_bytes",
            "Bytes on disk of each part of the data directory (store, snapshots, index, …)",
        ),
        &["part"],
    )
    .map_err(error)?;
    let graphs = IntGaugeVec::new(
        Opts::new("katalog_store_quads", "Quads in the store's fixed graphs"),
        &["graph"],
    )
    .map_err(error)?;
    let answers = IntCounterVec::new(
        Opts::new(
            "katalog_search_answer_cache_lookups_total",
            "Lookups of GET /api/search answers in the answer cache, by result (hit, miss)",
        ),
        &["result"],
    )
    .map_err(error)?;
    // The per-segment caches of query parts: document sets of filters and
    // words ("docsets"), words' scores ("scores").
    let part_lookups = IntCounterVec::new(
        Opts::new(
            "katalog_search_part_cache_lookups_total",
            "Lookups of query parts (per segment) in the search part caches, by cache (docsets, scores) and result (hit, miss)",
        ),
        &["cache", "result"],
    )
    .map_err(error)?;
    let part_entries = IntGaugeVec::new(
        Opts::new(
            "katalog_search_part_cache_entries",
            "Entries kept in the search part caches, by cache (docsets, scores)",
        ),
        &["cache"],
    )
    .map_err(error)?;
    let part_bytes = IntGaugeVec::new(
        Opts::new(
            "katalog_search_part_cache_bytes",
            "Bytes kept in the search part caches, by cache (docsets, scores)",
        ),
        &["cache"],
    )
    .map_err(error)?;
    if let Some(search) = &state.search {
        let (hits, misses) = search.answers().lookups();
        answers.with_label_values(&["hit"]).inc_by(hits);
        answers.with_label_values(&["miss"]).inc_by(misses);
        for (cache, (hits, misses), (entries, bytes)) in [
            (
                "docsets",
                search.docsets().lookups(),
                search.docsets().size(),
            ),
            ("scores", search.scores().lookups(), search.scores().size()),
        ] {
            part_lookups.with_label_values(&[cache, "hit"]).inc_by(hits);
            part_lookups
                .with_label_values(&[cache, "miss"])
                .inc_by(misses);
            part_entries
                .with_label_values(&[cache])
                .set(i64::try_from(entries).unwrap_or(i64::MAX));
            part_bytes
                .with_label_values(&[cache])
                .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
    }
    for collector in [
        Box::new(answers.clone()) as Box<dyn prometheus::core::Collector>,
        Box::new(part_lookups.clone()),
        Box::new(part_entries.clone()),
        Box::new(part_bytes.clone()),
        Box::new(runs.clone()),
        Box::new(durations.clone()),
        Box::new(last_run.clone()),
        Box::new(records.clone()),
        Box::new(validation.clone()),
        Box::new(disk.clone()),
        Box::new(graphs.clone()),
    ] {
        registry.register(collector).map_err(error)?;
    }

    let store = state.store.oxigraph();
    let mut latest: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for row in rows(store, RUNS)? {
        let source = row.get("source").cloned().unwrap_or_default();
        let outcome = row.get("outcome").cloned().unwrap_or_default();
        runs.with_label_values(&[source.as_str(), outcome.as_str()])
            .inc();
        let (start, end) = (
            row.get("start").cloned().unwrap_or_default(),
            row.get("end").cloned().unwrap_or_default(),
        );
        if let Some(seconds) = seconds(&start, &end) {
            durations
                .with_label_values(&[source.as_str()])
                .observe(seconds);
        }
        let newer = latest
            .get(&source)
            .is_none_or(|seen| seen.get("start").is_none_or(|s| *s < start));
        if newer {
            latest.insert(source, row);
        }
    }
    for (source, row) in &latest {
        if let Some(Ok(start)) = row
            .get("start")
            .map(|s| chrono::DateTime::parse_from_rfc3339(s))
        {
            last_run
                .with_label_values(&[source.as_str()])
                .set(start.timestamp_millis() as f64 / 1000.0);
        }
        for (variable, result) in [
            ("checked", "checked"),
            ("conforming", "conforming"),
            ("warnings", "with_warnings"),
            ("violations", "with_violations"),
        ] {
            if let Some(n) = row.get(variable).and_then(|v| v.parse::<i64>().ok()) {
                validation
                    .with_label_values(&[source.as_str(), result])
                    .set(n);
            }
        }
    }
    for row in rows(store, STATES)? {
        if let (Some(source), Some(state), Some(n)) = (
            row.get("source"),
            row.get("state"),
            row.get("n").and_then(|n| n.parse::<i64>().ok()),
        ) {
            records
                .with_label_values(&[source.as_str(), state.as_str()])
                .set(n);
        }
    }
    for (label, name) in [
        ("records", crate::ns::RECORDS_GRAPH),
        ("runs", crate::ns::RUNS_GRAPH),
    ] {
        let graph = NamedNode::new_unchecked(name);
        let n = store
            .quads_for_pattern(
                None,
                None,
                None,
                Some(GraphNameRef::NamedNode(graph.as_ref())),
            )
            .count();
        graphs.with_label_values(&[label]).set(n as i64);
    }
    if let Some(dir) = &state.data_dir {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.filter_map(Result::ok) {
                let path = entry.path();
                let size = if path.is_dir() {
                    dir_size(&path)
                } else {
                    entry.metadata().map(|m| m.len()).unwrap_or(0)
                };
                let part = entry.file_name().to_string_lossy().into_owned();
                disk.with_label_values(&[part.as_str()])
                    .set(i64::try_from(size).unwrap_or(i64::MAX));
            }
        }
    }
    Ok(registry)
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let for_store = state.clone();
    let catalogue = tokio::task::spawn_blocking(move || catalogue_registry(&for_store)).await;
    let mut families = state.http_metrics.registry.gather();
    match catalogue {
        Ok(Ok(registry)) => families.extend(registry.gather()),
        Ok(Err(error)) => {
            return super::ServeError::Internal(format!("cannot read the store's metrics: {error}"))
                .into_response()
        }
        Err(error) => return super::ServeError::Internal(error.to_string()).into_response(),
    }
    let encoder = TextEncoder::new();
    let mut body = Vec::new();
    if let Err(error) = encoder.encode(&families, &mut body) {
        return super::ServeError::Internal(error.to_string()).into_response();
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, encoder.format_type().to_string())],
        body,
    )
        .into_response()
}
