//! `GET /api/search` and `GET /api/datasets/{id}`.

use super::{AppState, ServeError};
use crate::index::cache::CachedAnswer;
use crate::index::{IndexError, SearchIndex, SearchQuery};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use std::sync::Arc;
use std::time::Instant;

fn index(state: &AppState) -> Result<Arc<SearchIndex>, Box<Response>> {
    state.search.clone().ok_or_else(|| {
        Box::new(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "search is not available on this server\n",
            )
                .into_response(),
        )
    })
}

fn error_response(error: IndexError) -> Response {
    match error {
        IndexError::BadParameter { .. } => {
            (StatusCode::BAD_REQUEST, Json(serde_json::json!({"error": error.to_string(),
                "parameter": match &error { IndexError::BadParameter { parameter, .. } => parameter.clone(), _ => String::new() }})))
                .into_response()
        }
        other => ServeError::Internal(other.to_string()).into_response(),
    }
}

/// `GET /api/search?q=...`: hits, total, query time and facet counts.
/// Without `lang`, the query text is also searched in the languages of the
/// client's Accept-Language (a browser's UI languages).
pub async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    let index = match index(&state) {
        Ok(index) => index,
        Err(response) => return *response,
    };
    let raw = raw.unwrap_or_default();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    let mut query =
        match SearchQuery::from_params(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Ok(query) => query,
            Err(error) => return error_response(error),
        };
    if let Some(accept) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    {
        query.add_accept_language(accept);
    }
    // The checked query holds everything the answer depends on (text,
    // filters, page, language, the languages searched), in a fixed order.
    let key = format!("{query:?}");
    // `Cache-Control: no-cache` asks for a fresh search (benchmarks of the
    // search itself use it).
    let fresh = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-cache"));
    if let Some(answer) = (!fresh).then(|| index.answers().get(&key)).flatten() {
        return json_body(answer.with_took(started.elapsed().as_secs_f64() * 1000.0));
    }
    let generation = index.answers().generation();
    let searched = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, IndexError> {
        let results = index.search(&query)?;
        let body = serde_json::to_vec(&results).map_err(|e| IndexError::Internal(e.to_string()))?;
        if let Some(answer) = CachedAnswer::new(body.clone()) {
            index.answers().insert(key, generation, answer);
        }
        Ok(body)
    })
    .await;
    match searched {
        Ok(Ok(body)) => json_body(body),
        Ok(Err(error)) => error_response(error),
        Err(error) => ServeError::Internal(error.to_string()).into_response(),
    }
}

fn json_body(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[derive(Debug, serde::Deserialize)]
pub struct DatasetParams {
    lang: Option<String>,
}

/// `GET /api/datasets/{id}`: the record's fields as JSON, or its RDF
/// (Turtle, N-Triples, RDF/XML, JSON-LD) by Accept.
pub async fn dataset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    axum::extract::Query(params): axum::extract::Query<DatasetParams>,
    headers: HeaderMap,
) -> Response {
    let index = match index(&state) {
        Ok(index) => index,
        Err(response) => return *response,
    };
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let rdf = [
        (
            "text/turtle",
            RdfFormat::Turtle,
            "text/turtle; charset=utf-8",
        ),
        (
            "application/n-triples",
            RdfFormat::NTriples,
            "application/n-triples",
        ),
        (
            "application/rdf+xml",
            RdfFormat::RdfXml,
            "application/rdf+xml",
        ),
        (
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
            "application/ld+json",
        ),
    ]
    .into_iter()
    .find(|(media, _, _)| accept.contains(media));
    let lang = params.lang.unwrap_or_else(|| "en".into());
    if lang.len() > 12 || !lang.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return error_response(IndexError::bad(
            "lang",
            format!("{lang:?} is not a language tag"),
        ));
    }
    let store = state.store.clone();
    let outcome =
        tokio::task::spawn_blocking(move || -> Result<Option<(Vec<u8>, String)>, IndexError> {
            // Only what search publishes: a record not in the index (deleted,
            // quarantined, a catalogue) is not found here.
            let Some(json) = index.dataset_json(&id, &lang)? else {
                return Ok(None);
            };
            match rdf {
                None => Ok(Some((
                    serde_json::to_vec_pretty(&json)
                        .map_err(|e| IndexError::Internal(e.to_string()))?,
                    "application/json".to_string(),
                ))),
                Some((_, format, media)) => {
                    let mut serializer = RdfSerializer::from_format(format).for_writer(Vec::new());
                    for triple in store.record_triples(&id)? {
                        serializer
                            .serialize_triple(&triple)
                            .map_err(|e| IndexError::Internal(e.to_string()))?;
                    }
                    let bytes = serializer
                        .finish()
                        .map_err(|e| IndexError::Internal(e.to_string()))?;
                    Ok(Some((bytes, media.to_string())))
                }
            }
        })
        .await;
    match outcome {
        Ok(Ok(Some((body, media)))) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, media)], body).into_response()
        }
        Ok(Ok(None)) => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": "no published dataset with this id"})),
        )
            .into_response(),
        Ok(Err(error)) => error_response(error),
        Err(error) => ServeError::Internal(error.to_string()).into_response(),
    }
}
