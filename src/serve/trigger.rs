//! `POST /api/sources/{name}/harvest`: a steward (or a CI job) starts a run
//! of one source. Bearer tokens are configured as `[[token]]` entries holding
//! only the token's SHA-256; a request's token is hashed and compared with
//! each configured hash in constant time.
//!
//! Answers: 401 without a token or with an unknown one, 403 when the token
//! may not trigger that source, 404 for an unknown source, 409 when a run of
//! the source is going, 202 with the run id (the run goes on in the
//! background), or 200 with the finished run's report with `?wait=true`.

use super::harvester::ClaimError;
use super::AppState;
use crate::config::{TokenConfig, TokenScope};
use crate::harvest::{new_run_id, RunOptions, SourceReport};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Debug, Default, serde::Deserialize)]
pub struct TriggerParams {
    /// Wait for the run and answer with its report.
    #[serde(default)]
    wait: bool,
    /// The steward confirms a run that removes more than
    /// `harvest.max_delete_share` of the source's records.
    #[serde(default)]
    allow_mass_delete: bool,
    /// A full run even where `modified_since` would list changes only.
    #[serde(default)]
    full: bool,
}

/// The configured token whose hash is the presented token's, if any. Every
/// configured hash is compared, in constant time, whatever matches.
pub fn find_token<'a>(tokens: &'a [TokenConfig], presented: &str) -> Option<&'a TokenConfig> {
    let digest = hex::encode(Sha256::digest(presented.as_bytes()));
    let mut found = None;
    for token in tokens {
        let configured = token.sha256.to_ascii_lowercase();
        if bool::from(configured.as_bytes().ct_eq(digest.as_bytes())) {
            found = Some(token);
        }
    }
    found
}

pub(crate) fn plain(status: StatusCode, message: String) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"katalog\""),
        );
    }
    response
}

/// A finished run as JSON.
pub fn report_json(report: &SourceReport) -> Value {
    let run = &report.run;
    json!({
        "source": report.source,
        "run": run.id,
        "outcome": run.outcome.as_str(),
        "started": run.started.to_rfc3339(),
        "ended": run.ended.to_rfc3339(),
        "new": run.counts.new,
        "changed": run.counts.changed,
        "unchanged": run.counts.unchanged,
        "deleted": run.counts.deleted,
        "quarantined": run.counts.quarantined,
        "not_modified": run.not_modified,
        "reused_verdicts": run.validation.as_ref().map_or(0, |v| v.reused),
        "error": run.error,
    })
}

pub async fn trigger(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Query<TriggerParams>,
    headers: HeaderMap,
) -> Response {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(presented) = presented else {
        return plain(
            StatusCode::UNAUTHORIZED,
            "a bearer token is required (Authorization: Bearer TOKEN; tokens are configured as [[token]] sha256 = ...)".into(),
        );
    };
    let Some(token) = find_token(&state.config.tokens, presented) else {
        tracing::warn!(source = %name, "harvest trigger with an unknown token refused");
        return plain(StatusCode::UNAUTHORIZED, "unknown token".into());
    };
    let Some(harvester) = state.harvester.clone() else {
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server does not run harvests".into(),
        );
    };
    if state.config.source(&name).is_none() {
        let known: Vec<&str> = state
            .config
            .sources
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        return plain(
            StatusCode::NOT_FOUND,
            format!(
                "no source named {name:?}; the sources are: {}",
                known.join(", ")
            ),
        );
    }
    if !token.allows(TokenScope::Harvest, &name) {
        return plain(
            StatusCode::FORBIDDEN,
            format!("token {:?} may not trigger source {name:?}", token.name),
        );
    }
    if state
        .config
        .source(&name)
        .is_some_and(|s| !s.is_harvested())
    {
        return plain(
            StatusCode::CONFLICT,
            format!("source {name:?} is of kind push: it is not harvested; its records are published with PUT /api/records/{{id}}"),
        );
    }
    let claim = match harvester.claim(&name) {
        Ok(claim) => claim,
        Err(ClaimError::Busy) => {
            return plain(
                StatusCode::CONFLICT,
                format!("a run of source {name:?} is already going; try again when it has ended"),
            )
        }
        Err(ClaimError::UnknownSource) => {
            return plain(StatusCode::NOT_FOUND, format!("no source named {name:?}"))
        }
    };
    let run_id = new_run_id(&name);
    tracing::info!(source = %name, run = %run_id, token = %token.name, "harvest triggered over HTTP");
    let options = RunOptions {
        allow_mass_delete: params.allow_mass_delete,
        full: params.full,
        run_id: Some(run_id.clone()),
        progress: None,
    };
    if params.wait {
        let report = harvester.run(claim, options).await;
        return (StatusCode::OK, Json(report_json(&report))).into_response();
    }
    tokio::spawn(async move {
        harvester.run(claim, options).await;
    });
    (
        StatusCode::ACCEPTED,
        Json(json!({
            "source": name,
            "run": run_id,
            "status": "started",
            "report": format!("/api/sources/{name}/report"),
        })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_by_hash_only() {
        let tokens = vec![
            TokenConfig {
                name: "ci".into(),
                // printf %s test | sha256sum
                sha256: "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08".into(),
                sources: None,
                scopes: None,
            },
            TokenConfig {
                name: "other".into(),
                sha256: hex::encode(Sha256::digest(b"other")),
                sources: Some(vec!["no".into()]),
                scopes: None,
            },
        ];
        assert_eq!(
            find_token(&tokens, "test").map(|t| t.name.as_str()),
            Some("ci")
        );
        assert_eq!(
            find_token(&tokens, "other").map(|t| t.name.as_str()),
            Some("other")
        );
        assert!(find_token(&tokens, "tes").is_none());
        assert!(find_token(&tokens, "").is_none());
        assert!(
            find_token(&tokens, &tokens[0].sha256).is_none(),
            "the hash is not the token"
        );
    }
}
