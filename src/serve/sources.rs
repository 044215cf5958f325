//! Steward endpoints: `GET /api/sources` (every source with its last run and
//! validation summary) and `GET /api/sources/{name}/report` (the last run's
//! validation: top violated shapes and the quarantined records with their
//! results).

use super::{AppState, ServeError};
use crate::store::lexical;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use oxigraph::model::Term;
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const PREFIXES: &str = "PREFIX kat: <https://w3id.org/katalog/ns#>\n\
PREFIX prov: <http://www.w3.org/ns/prov#>\n\
PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n\
PREFIX sh: <http://www.w3.org/ns/shacl#>\n\
PREFIX dqv: <http://www.w3.org/ns/dqv#>\n";

/// Most quarantined records listed in one report.
const MAX_RECORDS: usize = 200;

pub(crate) fn select(store: &Store, query: &str) -> Result<Vec<HashMap<String, Term>>, ServeError> {
    let results = SparqlEvaluator::new()
        .parse_query(&format!("{PREFIXES}{query}"))
        .map_err(|e| ServeError::Internal(format!("steward query: {e}")))?
        .on_store(store)
        .execute()
        .map_err(|e| ServeError::Internal(format!("steward query: {e}")))?;
    let QueryResults::Solutions(solutions) = results else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    for solution in solutions {
        let solution = solution.map_err(|e| ServeError::Internal(e.to_string()))?;
        rows.push(
            solution
                .iter()
                .map(|(v, t)| (v.as_str().to_string(), lexical::from_store(t.clone())))
                .collect(),
        );
    }
    Ok(rows)
}

pub(crate) fn text(term: Option<&Term>) -> Value {
    match term {
        Some(Term::Literal(l)) => match l.value().parse::<u64>() {
            Ok(n)
                if l.datatype().as_str().ends_with("Integer")
                    || l.datatype().as_str().ends_with("#integer") =>
            {
                json!(n)
            }
            _ => json!(l.value()),
        },
        Some(Term::NamedNode(n)) => json!(n.as_str()),
        Some(Term::BlankNode(b)) => json!(format!("_:{}", b.as_str())),
        None => Value::Null,
    }
}

pub(crate) fn last_run(store: &Store, source: &str) -> Result<Value, ServeError> {
    let rows = select(
        store,
        &format!(
            "SELECT * WHERE {{ GRAPH <urn:katalog:graph:runs> {{
               ?run a kat:HarvestRun ; kat:sourceName \"{source}\" ; prov:startedAtTime ?started ;
                    prov:endedAtTime ?ended ; kat:outcome ?outcome ; kat:new ?new ; kat:changed ?changed ;
                    kat:unchanged ?unchanged ; kat:deleted ?deleted ; kat:failed ?failed .
               OPTIONAL {{ ?run kat:quarantined ?quarantined }}
               OPTIONAL {{ ?run kat:error ?error }}
               OPTIONAL {{ ?run kat:notModified ?not_modified }}
               OPTIONAL {{ ?run kat:modifiedSince ?modified_since }}
               OPTIONAL {{ ?run kat:reusedVerdicts ?reused }}
               OPTIONAL {{ ?run kat:profile ?profile ; kat:checked ?checked ; kat:conforming ?conforming ;
                               kat:withWarnings ?with_warnings ; kat:withViolations ?with_violations }}
             }} }} ORDER BY DESC(?started) LIMIT 1"
        ),
    )?;
    let Some(row) = rows.first() else {
        return Ok(Value::Null);
    };
    let mut run = Map::new();
    for key in [
        "run",
        "started",
        "ended",
        "outcome",
        "new",
        "changed",
        "unchanged",
        "deleted",
        "failed",
        "quarantined",
        "error",
        "modified_since",
    ] {
        run.insert(key.to_string(), text(row.get(key)));
    }
    run.insert(
        "not_modified".into(),
        json!(row.contains_key("not_modified")),
    );
    if row.contains_key("profile") {
        let mut validation = Map::new();
        for key in [
            "profile",
            "checked",
            "conforming",
            "with_warnings",
            "with_violations",
            "reused",
        ] {
            validation.insert(key.to_string(), text(row.get(key)));
        }
        run.insert("validation".into(), Value::Object(validation));
    }
    // A run that found the source not modified measured nothing: the
    // quality is that of the newest run that did.
    let measured = select(
        store,
        &format!(
            "SELECT ?run WHERE {{ GRAPH <urn:katalog:graph:runs> {{
               ?run a kat:HarvestRun ; kat:sourceName \"{source}\" ; prov:startedAtTime ?started ;
                    dqv:hasQualityMeasurement ?m }} }} ORDER BY DESC(?started) LIMIT 1"
        ),
    )?;
    if let Some(Term::NamedNode(node)) = measured.first().and_then(|r| r.get("run")) {
        run.insert("quality".into(), run_quality(store, node.as_str())?);
    }
    Ok(Value::Object(run))
}

pub(crate) fn number(term: Option<&Term>) -> Value {
    match term {
        Some(Term::Literal(l)) => l
            .value()
            .parse::<f64>()
            .map(|x| json!((x * 1000.0).round() / 1000.0))
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// A run's DQV quality measurements: the mean score overall and per
/// dimension (0..1), and the metrics its records miss most, with advice.
pub(crate) fn run_quality(store: &Store, run: &str) -> Result<Value, ServeError> {
    let rows = select(
        store,
        &format!(
            "SELECT ?metric ?value WHERE {{ GRAPH <urn:katalog:graph:runs> {{
               <{run}> dqv:hasQualityMeasurement ?m . ?m dqv:isMeasurementOf ?metric ; dqv:value ?value }} }}"
        ),
    )?;
    if rows.is_empty() {
        return Ok(Value::Null);
    }
    let mut quality = Map::new();
    for row in &rows {
        if let Some(Term::NamedNode(metric)) = row.get("metric") {
            let name = metric.as_str().rsplit('#').next().unwrap_or_default();
            let name = name.strip_suffix("Score").unwrap_or(name);
            quality.insert(name.to_string(), number(row.get("value")));
        }
    }
    let scored = select(
        store,
        &format!("SELECT ?n WHERE {{ GRAPH <urn:katalog:graph:runs> {{ <{run}> kat:scoredRecords ?n }} }}"),
    )?;
    quality.insert(
        "records".into(),
        text(scored.first().and_then(|r| r.get("n"))),
    );
    let weak = select(
        store,
        &format!(
            "SELECT ?metric ?missing WHERE {{ GRAPH <urn:katalog:graph:runs> {{
               <{run}> kat:weakMetric ?w . ?w kat:metric ?metric ; kat:missingShare ?missing }} }}
             ORDER BY DESC(?missing) ?metric"
        ),
    )?;
    let weakest: Vec<Value> = weak
        .iter()
        .filter_map(|row| {
            let Some(Term::NamedNode(metric)) = row.get("metric") else {
                return None;
            };
            let name = metric.as_str().rsplit('#').next().unwrap_or_default();
            let metric = crate::quality::Metric::ALL
                .into_iter()
                .find(|m| m.name() == name)?;
            Some(json!({
                "metric": name,
                "dimension": metric.weight().0,
                "missing_share": number(row.get("missing")),
                "advice": metric.advice(),
            }))
        })
        .collect();
    quality.insert("weakest".into(), Value::Array(weakest));
    Ok(Value::Object(quality))
}

/// Cross-source duplicates of a source: how many of its published records
/// other sources also publish (by source), and how many of its records are
/// not published because another source's record is (by that source).
fn duplicates(store: &Store, source: &str) -> Result<(Value, Value), ServeError> {
    let count_by = |query: &str| -> Result<Value, ServeError> {
        let mut out = Map::new();
        for row in select(store, query)? {
            if let (Some(Term::Literal(other)), n) = (row.get("other"), text(row.get("n"))) {
                out.insert(other.value().to_string(), n);
            }
        }
        Ok(Value::Object(out))
    };
    let also = count_by(&format!(
        "SELECT ?other (COUNT(?r) AS ?n) WHERE {{ GRAPH <urn:katalog:graph:records> {{
           ?r kat:sourceName \"{source}\" ; kat:alsoPublishedBy ?s }}
           BIND(STRAFTER(STR(?s), \"urn:katalog:source:\") AS ?other) }} GROUP BY ?other"
    ))?;
    let superseded = count_by(&format!(
        "SELECT ?other (COUNT(?r) AS ?n) WHERE {{ GRAPH <urn:katalog:graph:records> {{
           ?r kat:sourceName \"{source}\" ; kat:state \"superseded\" ; kat:supersededBy ?w .
           ?w kat:sourceName ?other }} }} GROUP BY ?other"
    ))?;
    Ok((also, superseded))
}

pub async fn list(State(state): State<AppState>) -> Response {
    let store = state.store.clone();
    let config = state.config.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let counts = store
            .published_counts()
            .map_err(|e| ServeError::Internal(e.to_string()))?;
        let mut sources = Vec::new();
        for source in &config.sources {
            let mut published = Map::new();
            for (name, kind, n) in &counts {
                if name == &source.name {
                    published.insert(kind.label().to_string(), json!(n));
                }
            }
            let (also, superseded) = duplicates(store.oxigraph(), &source.name)?;
            sources.push(json!({
                "name": source.name,
                "priority": source.priority,
                "also_published_by": also,
                "superseded_by": superseded,
                "country": source.country,
                "url": source.is_harvested().then(|| config.location(source).to_string()),
                "kind": source.kind.as_str(),
                "profile": source.profile,
                "schedule": source.schedule,
                "published": published,
                "last_run": last_run(store.oxigraph(), &source.name)?,
            }));
        }
        Ok::<_, ServeError>(json!({ "sources": sources }))
    })
    .await;
    match outcome {
        Ok(Ok(body)) => Json(body).into_response(),
        Ok(Err(error)) => error.into_response(),
        Err(error) => ServeError::Internal(error.to_string()).into_response(),
    }
}

pub async fn report(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    if state.config.source(&name).is_none() {
        let known: Vec<&str> = state
            .config
            .sources
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        return (
            axum::http::StatusCode::NOT_FOUND,
            format!(
                "no source named {name:?}; the sources are: {}\n",
                known.join(", ")
            ),
        )
            .into_response();
    }
    let store = state.store.clone();
    let outcome = tokio::task::spawn_blocking(move || report_json(store.oxigraph(), &name)).await;
    match outcome {
        Ok(Ok(body)) => Json(body).into_response(),
        Ok(Err(error)) => error.into_response(),
        Err(error) => ServeError::Internal(error.to_string()).into_response(),
    }
}

/// The body of `GET /api/sources/{name}/report` (also read by the steward pages).
pub(crate) fn report_json(store: &Store, name: &str) -> Result<Value, ServeError> {
    {
        let run = last_run(store, name)?;
        let top = select(
            store,
            &format!(
                "SELECT ?shape ?violations WHERE {{ GRAPH <urn:katalog:graph:runs> {{
                   {{ SELECT ?run WHERE {{ ?run a kat:HarvestRun ; kat:sourceName \"{name}\" ;
                        prov:startedAtTime ?started }} ORDER BY DESC(?started) LIMIT 1 }}
                   ?run kat:violatedShape ?entry . ?entry kat:shape ?shape ; kat:violations ?violations
                 }} }} ORDER BY DESC(?violations)"
            ),
        )?;
        let top: Vec<Value> = top
            .iter()
            .map(|row| json!({ "shape": text(row.get("shape")), "violations": text(row.get("violations")) }))
            .collect();
        let warned = select(
            store,
            &format!(
                "SELECT ?shape ?warnings ?report WHERE {{ GRAPH <urn:katalog:graph:runs> {{
                   {{ SELECT ?run WHERE {{ ?run a kat:HarvestRun ; kat:sourceName \"{name}\" ;
                        prov:startedAtTime ?started ; kat:validationReport ?any }}
                      ORDER BY DESC(?started) LIMIT 1 }}
                   OPTIONAL {{ ?run kat:warnedShape ?entry . ?entry kat:shape ?shape ; kat:warnings ?warnings }}
                   OPTIONAL {{ ?run kat:validationReport ?report }}
                 }} }} ORDER BY DESC(?warnings)"
            ),
        )?;
        let validation_report = text(warned.first().and_then(|row| row.get("report")));
        let warned: Vec<Value> = warned
            .iter()
            .filter(|row| row.contains_key("shape"))
            .map(|row| json!({ "shape": text(row.get("shape")), "warnings": text(row.get("warnings")) }))
            .collect();
        let lowest = select(
            store,
            &format!(
                "SELECT ?id ?resource ?score WHERE {{ GRAPH <urn:katalog:graph:records> {{
                   ?record kat:sourceName \"{name}\" ; kat:recordId ?id ; foaf:primaryTopic ?resource ;
                           kat:state \"published\" ; dqv:hasQualityMeasurement ?m .
                   ?m dqv:isMeasurementOf kat:overallScore ; dqv:value ?score
                 }} }} ORDER BY ?score ?resource LIMIT 10"
            ),
        )?;
        let lowest: Vec<Value> = lowest
            .iter()
            .map(|row| {
                json!({
                    "id": text(row.get("id")),
                    "resource": text(row.get("resource")),
                    "score": number(row.get("score")),
                })
            })
            .collect();
        let held = select(
            store,
            &format!(
                "SELECT ?id ?resource ?state ?stale WHERE {{ GRAPH <urn:katalog:graph:records> {{
                   ?record kat:sourceName \"{name}\" ; kat:recordId ?id ; foaf:primaryTopic ?resource ;
                           kat:state ?state ; kat:quarantinedHash ?hash .
                   OPTIONAL {{ ?record kat:stale ?stale }}
                 }} }} ORDER BY ?resource LIMIT {MAX_RECORDS}"
            ),
        )?;
        let mut records = Vec::new();
        for row in &held {
            let Some(Term::Literal(id)) = row.get("id") else {
                continue;
            };
            let id = id.value();
            if !id.chars().all(|c| c.is_ascii_hexdigit()) {
                continue;
            }
            let results = select(
                store,
                &format!(
                    "SELECT ?focus ?path ?severity ?message ?value ?shape WHERE {{
                       GRAPH <urn:katalog:quarantine:{id}> {{
                         ?r a sh:ValidationResult ; sh:focusNode ?focus ; sh:resultSeverity ?severity ;
                            sh:sourceShape ?shape .
                         OPTIONAL {{ ?r sh:resultPath ?path FILTER(isIRI(?path)) }}
                         OPTIONAL {{ ?r sh:resultMessage ?message }}
                         OPTIONAL {{ ?r sh:value ?value }}
                       }} }}"
                ),
            )?;
            let results: Vec<Value> = results
                .iter()
                .map(|r| {
                    json!({
                        "severity": text(r.get("severity")).as_str().and_then(|s| s.rsplit('#').next()).unwrap_or(""),
                        "focus_node": text(r.get("focus")),
                        "path": text(r.get("path")),
                        "message": text(r.get("message")),
                        "value": text(r.get("value")),
                        "shape": text(r.get("shape")),
                    })
                })
                .collect();
            let score = select(
                store,
                &format!(
                    "SELECT ?score WHERE {{ GRAPH <urn:katalog:quarantine:{id}> {{
                       ?record dqv:hasQualityMeasurement ?m .
                       ?m dqv:isMeasurementOf kat:overallScore ; dqv:value ?score }} }}"
                ),
            )?;
            records.push(json!({
                "id": id,
                "resource": text(row.get("resource")),
                "state": text(row.get("state")),
                "stale": row.contains_key("stale"),
                "quality": number(score.first().and_then(|r| r.get("score"))),
                "results": results,
            }));
        }
        Ok::<_, ServeError>(json!({
            "source": name,
            "last_run": run,
            "top_violated_shapes": top,
            "top_warned_shapes": warned,
            "validation_report": validation_report,
            "lowest_quality": lowest,
            "quarantined": records,
        }))
    }
}
