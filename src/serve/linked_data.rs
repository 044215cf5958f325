//! Dereferenceable records: `GET /datasets/{id}` (and `/datasets/{id}.ttl`,
//! `.rdf`, `.jsonld`, `.nt`), and a record's own IRI when it lives under the
//! public base URL (the skolemised `/.well-known/genid/…` IRIs).
//!
//! RDF by Accept (the record's published triples as harvested, and its
//! `dcat:CatalogRecord`), an HTML page for browsers, `Link` headers naming
//! each alternate and the canonical page, `Vary: Accept` when negotiated.
//! 404 for unknown and quarantined records, 410 Gone (with the deletion time)
//! for tombstones.

use super::export::{catalogue_record, record_page_iri};
use super::negotiate::{self, public_base, Representation, Syntax};
use super::{ui, AppState, ServeError};
use crate::store::published::{PublicState, RecordEntry};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use oxigraph::model::{NamedNode, Triple};

/// A record id as katalog mints them: lowercase hex.
fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("no published record {what}\n"),
    )
        .into_response()
}

/// `GET /datasets/{id}` or `/datasets/{id}.{ext}`.
pub async fn dataset(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (id, fixed) = match file.rsplit_once('.') {
        Some((id, extension)) => match Syntax::from_extension(extension) {
            Some(syntax) => (id.to_string(), Some(syntax)),
            None => return not_found(&file),
        },
        None => (file.clone(), None),
    };
    if !valid_id(&id) {
        return not_found(&file);
    }
    let entry = match super::export::entry(&state.store, &id).await {
        Ok(Some(entry)) => entry,
        Ok(None) => return not_found(&id),
        Err(error) => return error.into_response(),
    };
    respond(&state, &headers, query.as_deref(), entry, fixed, false).await
}

/// `GET /.well-known/genid/{*rest}`: the skolemised IRI of a record minted for
/// a blank node, looked up under the configured and the requested base URL.
pub async fn genid(
    State(state): State<AppState>,
    Path(rest): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let path = format!("/.well-known/genid/{rest}");
    let mut candidates = vec![format!("{}{path}", state.config.base_url())];
    let requested = format!("{}{path}", public_base(&state.config, &headers));
    if !candidates.contains(&requested) {
        candidates.push(requested);
    }
    let store = state.store.clone();
    let found = tokio::task::spawn_blocking(move || {
        let mut best: Option<RecordEntry> = None;
        for iri in candidates {
            let Ok(node) = NamedNode::new(iri) else {
                continue;
            };
            for id in store.records_about(node.as_ref())? {
                if let Some(entry) = store.record_entry(&id)? {
                    let better = match (&best, entry.state) {
                        (_, PublicState::Quarantined) => false,
                        (None, _) => true,
                        (Some(b), PublicState::Published) => b.state != PublicState::Published,
                        _ => false,
                    };
                    if better {
                        best = Some(entry);
                    }
                }
            }
        }
        Ok::<_, crate::store::StoreError>(best)
    })
    .await;
    match found {
        Ok(Ok(Some(entry))) => respond(&state, &headers, query.as_deref(), entry, None, true).await,
        Ok(Ok(None)) => not_found(&path),
        Ok(Err(error)) => ServeError::Internal(error.to_string()).into_response(),
        Err(error) => ServeError::Internal(error.to_string()).into_response(),
    }
}

fn links(base: &str, id: &str, described: bool) -> String {
    let page = record_page_iri(base, id);
    let mut links: Vec<String> = Syntax::ALL
        .iter()
        .map(|s| {
            format!(
                "<{}.{}>; rel=\"alternate\"; type=\"{}\"",
                page.as_str(),
                s.extension(),
                s.media_type()
            )
        })
        .collect();
    links.push(format!(
        "<{}>; rel=\"alternate\"; type=\"text/html\"",
        page.as_str()
    ));
    links.push(format!("<{}>; rel=\"canonical\"", page.as_str()));
    if described {
        links.push(format!("<{}>; rel=\"describedby\"", page.as_str()));
    }
    links.join(", ")
}

async fn respond(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    entry: RecordEntry,
    fixed: Option<Syntax>,
    described: bool,
) -> Response {
    let Some(resource) = entry.resource.clone() else {
        return not_found(&entry.id);
    };
    if entry.state == PublicState::Quarantined {
        return not_found(&entry.id);
    }
    let representation = match fixed {
        Some(syntax) => Representation::Rdf(syntax),
        None => match negotiate::negotiate(headers, true) {
            Ok(representation) => representation,
            Err(error) => return error.into_response(),
        },
    };
    let base = public_base(&state.config, headers);
    let id = entry.id.clone();
    let store = state.store.clone();
    let base_for_triples = base.clone();
    let entry_for_triples = entry.clone();
    let triples = tokio::task::spawn_blocking(move || {
        let mut triples: Vec<Triple> = Vec::new();
        if entry_for_triples.state == PublicState::Published {
            for triple in store.record_triples_iter(&entry_for_triples.id) {
                triples.push(triple?);
            }
        }
        triples.extend(catalogue_record(&base_for_triples, &entry_for_triples));
        Ok::<_, crate::store::StoreError>(triples)
    })
    .await;
    let triples = match triples {
        Ok(Ok(triples)) => triples,
        Ok(Err(error)) => return ServeError::Internal(error.to_string()).into_response(),
        Err(error) => return ServeError::Internal(error.to_string()).into_response(),
    };
    let status = match entry.state {
        PublicState::Deleted => StatusCode::GONE,
        _ => StatusCode::OK,
    };
    let mut response = match representation {
        Representation::Html => {
            let mut page = ui::dataset_page::response(
                state,
                headers,
                ui::query_pairs(query),
                &base,
                &entry,
                &resource,
                triples,
            )
            .await;
            if page.status() == StatusCode::OK {
                *page.status_mut() = status;
            }
            if fixed.is_none() {
                page.headers_mut().insert(
                    header::VARY,
                    HeaderValue::from_static("Accept, Accept-Language, Cookie"),
                );
            }
            if let Ok(link) = HeaderValue::from_str(&links(&base, &id, described)) {
                page.headers_mut().insert(header::LINK, link);
            }
            return page;
        }
        Representation::Rdf(syntax) => match negotiate::to_bytes(syntax, &triples) {
            Ok(bytes) => {
                let mut response = (status, Body::from(bytes)).into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(syntax.content_type()),
                );
                response
            }
            Err(error) => return error.into_response(),
        },
    };
    let out = response.headers_mut();
    if fixed.is_none() {
        out.insert(header::VARY, HeaderValue::from_static("Accept"));
    }
    if let Ok(link) = HeaderValue::from_str(&links(&base, &id, described)) {
        out.insert(header::LINK, link);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_links() {
        assert!(valid_id("0123456789abcdef0123"));
        assert!(!valid_id("../etc"));
        assert!(!valid_id(""));
        let link = links("https://k.example", "ab12", true);
        assert!(link.contains(
            "<https://k.example/datasets/ab12.ttl>; rel=\"alternate\"; type=\"text/turtle\""
        ));
        assert!(link.contains("<https://k.example/datasets/ab12>; rel=\"canonical\""));
        assert!(link.contains("rel=\"describedby\""));
    }
}
