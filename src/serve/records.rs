//! The publishing API: `PUT /api/records/{id}` (an RDF body, any syntax by
//! Content-Type) and `DELETE /api/records/{id}` for `kind = "push"` sources,
//! with bearer tokens scoped to the source (`[[token]]` with
//! `scopes = ["push"]` and `sources`). The record goes through the same gate
//! as a harvested one ([`crate::harvest::push`]).
//!
//! The source is the one push source the token may write to, or, when it may
//! write to several, the one named by `?source=`. Answers: 201 created, 200
//! updated or unchanged, 422 quarantined (stored for the steward, not
//! published; the validation results in the body), 200 deleted; 400 bad id,
//! bad RDF (line and column) or not exactly one record, 401 without or with
//! an unknown token (`WWW-Authenticate: Bearer`), 403 outside the token's
//! scope, 404 unknown id (DELETE) or source, 409 conflicting id and IRI, 410
//! already deleted, 413 body over `server.max_body_bytes`, 415 a
//! Content-Type that is no RDF syntax.

use super::AppState;
use crate::config::{SourceConfig, TokenScope};
use crate::harvest::push::{self, PushError, PushOutcome, PushStatus};
use crate::ns;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use oxrdf::{NamedOrBlankNode, Term, Triple};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

#[derive(Debug, Default, serde::Deserialize)]
pub struct RecordParams {
    /// The push source, when the token may write to more than one.
    source: Option<String>,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let mut response = (status, Json(json!({ "error": message.into() }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"katalog\""),
        );
    }
    response
}

/// The bearer token of a request, if it carries one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The push source this request writes to, or the answer refusing it.
fn authorise(
    state: &AppState,
    headers: &HeaderMap,
    params: &RecordParams,
) -> Result<SourceConfig, Box<Response>> {
    let Some(presented) = bearer(headers) else {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "a bearer token is required (Authorization: Bearer TOKEN)",
        )));
    };
    let Some(token) = super::trigger::find_token(&state.config.tokens, presented) else {
        tracing::warn!("publishing request with an unknown token refused");
        return Err(Box::new(error(StatusCode::UNAUTHORIZED, "unknown token")));
    };
    let config = &state.config;
    if let Some(name) = &params.source {
        let Some(source) = config.source(name) else {
            return Err(Box::new(error(
                StatusCode::NOT_FOUND,
                format!("no source named {name:?}"),
            )));
        };
        if source.is_harvested() {
            return Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                format!(
                    "source {name:?} is of kind {:?}: records are published only into kind = \"push\" sources",
                    source.kind.as_str()
                ),
            )));
        }
        if !token.allows(TokenScope::Push, name) {
            return Err(Box::new(error(
                StatusCode::FORBIDDEN,
                format!(
                    "token {:?} may not publish into source {name:?}",
                    token.name
                ),
            )));
        }
        return Ok(source.clone());
    }
    let writable: Vec<&SourceConfig> = config
        .sources
        .iter()
        .filter(|s| !s.is_harvested() && token.allows(TokenScope::Push, &s.name))
        .collect();
    match writable.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Box::new(error(
            StatusCode::FORBIDDEN,
            format!(
                "token {:?} may not publish into any push source (it needs scopes = [\"push\"] and a kind = \"push\" source in its sources)",
                token.name
            ),
        ))),
        several => {
            let names: Vec<&str> = several.iter().map(|s| s.name.as_str()).collect();
            Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                format!(
                    "token {:?} may publish into several sources ({}): name one with ?source=",
                    token.name,
                    names.join(", ")
                ),
            )))
        }
    }
}

fn push_error(error_value: PushError) -> Response {
    let status = match &error_value {
        PushError::BadLocalId(_) | PushError::Parse(_) | PushError::NotOneRecord(_) => {
            StatusCode::BAD_REQUEST
        }
        PushError::Conflict(_) => StatusCode::CONFLICT,
        PushError::Unknown(..) => StatusCode::NOT_FOUND,
        PushError::Gone(_) => StatusCode::GONE,
        PushError::Store(_) | PushError::Internal(_) => {
            tracing::error!(error = %error_value, "push failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    error(status, error_value.to_string())
}

/// The results of a `sh:ValidationReport` given as triples, in the shape of
/// `/api/sources/{name}/report`'s quarantined results.
pub fn report_results(report: &[Triple]) -> Vec<Value> {
    let sh = |local: &str| format!("http://www.w3.org/ns/shacl#{local}");
    let mut results: HashMap<&NamedOrBlankNode, Map<String, Value>> = HashMap::new();
    let result_class = sh("ValidationResult");
    for triple in report {
        if triple.predicate.as_str() == ns::RDF_TYPE
            && matches!(&triple.object, Term::NamedNode(n) if n.as_str() == result_class)
        {
            results.entry(&triple.subject).or_default();
        }
    }
    for triple in report {
        let Some(entry) = results.get_mut(&triple.subject) else {
            continue;
        };
        let key = match triple
            .predicate
            .as_str()
            .strip_prefix("http://www.w3.org/ns/shacl#")
        {
            Some("focusNode") => "focus_node",
            Some("resultPath") => "path",
            Some("resultSeverity") => "severity",
            Some("resultMessage") => "message",
            Some("value") => "value",
            Some("sourceShape") => "shape",
            _ => continue,
        };
        let value = match &triple.object {
            Term::NamedNode(n) if key == "severity" => {
                json!(n.as_str().rsplit('#').next().unwrap_or_default())
            }
            Term::NamedNode(n) => json!(n.as_str()),
            Term::Literal(l) => json!(l.value()),
            // A blank path is a complex path; a blank shape or node has no name.
            Term::BlankNode(_) => continue,
            #[allow(unreachable_patterns)]
            _ => continue,
        };
        entry.insert(key.to_string(), value);
    }
    let mut out: Vec<Value> = results
        .into_values()
        .map(|mut entry| {
            for key in [
                "focus_node",
                "path",
                "severity",
                "message",
                "value",
                "shape",
            ] {
                entry.entry(key.to_string()).or_insert(Value::Null);
            }
            Value::Object(entry)
        })
        .collect();
    // Violations first, then by path: a steward reads the worst first.
    out.sort_by_key(|r| {
        (
            r["severity"] != json!("Violation"),
            r["path"].as_str().unwrap_or_default().to_string(),
        )
    });
    out
}

fn outcome_json(state: &AppState, source: &str, outcome: &PushOutcome) -> Value {
    json!({
        "id": outcome.local_id,
        "source": source,
        "status": outcome.status.as_str(),
        "record": outcome.record,
        "iri": outcome.resource,
        "dataset": format!("{}/datasets/{}", state.config.base_url(), outcome.record),
        "run": outcome.run.id,
        "published": match outcome.status {
            PushStatus::Created | PushStatus::Updated | PushStatus::Unchanged => true,
            PushStatus::Quarantined => outcome.still_published,
            PushStatus::Deleted => false,
        },
        "stale": outcome.status == PushStatus::Quarantined && outcome.still_published,
        "quality": outcome.quality.map(|q| (q * 1000.0).round() / 1000.0),
        "violations": outcome.run.validation.as_ref().map_or(0, |v| v.with_violations),
        "report": report_results(&outcome.report),
    })
}

/// `PUT /api/records/{id}`.
pub async fn put(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<RecordParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let source = match authorise(&state, &headers, &params) {
        Ok(source) => source,
        Err(response) => return *response,
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(format) = crate::harvest::format::from_content_type(content_type) else {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Content-Type {content_type:?} is no RDF syntax; use text/turtle, application/rdf+xml, application/ld+json, application/n-triples, application/n-quads or application/trig"
            ),
        );
    };
    let Some(harvester) = state.harvester.clone() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server does not write records",
        );
    };
    let claim = match harvester.claim_waiting(&source.name).await {
        Ok(claim) => claim,
        Err(_) => return error(StatusCode::NOT_FOUND, "unknown source"),
    };
    let (config, store, profiles) = (
        state.config.clone(),
        state.store.clone(),
        state.profiles.clone(),
    );
    let pushed = source.clone();
    let local = id.clone();
    let result = tokio::task::spawn_blocking(move || {
        push::put_record(
            &config,
            &store,
            &profiles,
            &pushed,
            &local,
            body.to_vec(),
            format,
        )
    })
    .await;
    drop(claim);
    let outcome = match result {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => return push_error(e),
        Err(e) => return push_error(PushError::Internal(e.to_string())),
    };
    tracing::info!(source = %source.name, id = %id, record = %outcome.record, status = outcome.status.as_str(), run = %outcome.run.id, "record pushed");
    if matches!(outcome.status, PushStatus::Created | PushStatus::Updated) {
        harvester.changed(&source.name).await;
    }
    let body = outcome_json(&state, &source.name, &outcome);
    let status = match outcome.status {
        PushStatus::Created => StatusCode::CREATED,
        PushStatus::Quarantined => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::CREATED {
        if let Ok(location) = HeaderValue::from_str(&format!("/api/records/{id}")) {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    response
}

/// `DELETE /api/records/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<RecordParams>,
    headers: HeaderMap,
) -> Response {
    let source = match authorise(&state, &headers, &params) {
        Ok(source) => source,
        Err(response) => return *response,
    };
    let Some(harvester) = state.harvester.clone() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server does not write records",
        );
    };
    let claim = match harvester.claim_waiting(&source.name).await {
        Ok(claim) => claim,
        Err(_) => return error(StatusCode::NOT_FOUND, "unknown source"),
    };
    let (config, store) = (state.config.clone(), state.store.clone());
    let pushed = source.clone();
    let local = id.clone();
    let result =
        tokio::task::spawn_blocking(move || push::delete_record(&config, &store, &pushed, &local))
            .await;
    drop(claim);
    let outcome = match result {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => return push_error(e),
        Err(e) => return push_error(PushError::Internal(e.to_string())),
    };
    tracing::info!(source = %source.name, id = %id, record = %outcome.record, run = %outcome.run.id, "record deleted");
    harvester.changed(&source.name).await;
    (
        StatusCode::OK,
        Json(outcome_json(&state, &source.name, &outcome)),
    )
        .into_response()
}
