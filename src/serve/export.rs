//! `GET /catalog` (and `/catalog.ttl`, `.rdf`, `.jsonld`, `.nt`): the
//! DCAT-AP export another catalogue harvests.
//!
//! Each page holds:
//! - katalog's own `dcat:Catalog` (`{base}/catalog`), linking the harvested
//!   national catalogues with `dct:hasPart` (and `dcat:catalog`), and the
//!   page's catalogue records with `dcat:record`;
//! - for each record on the page, in record-id order, every triple of the
//!   record's published graph as harvested, and its `dcat:CatalogRecord`
//!   `{base}/datasets/{id}` (`foaf:primaryTopic` the resource, `dct:issued`,
//!   `dct:modified`, `adms:status` a change type of
//!   <http://purl.org/adms/changetype/>: `created`, `updated` or `deleted`);
//! - tombstones: a record deleted at its source stays listed as a
//!   `dcat:CatalogRecord` with `adms:status <…/changetype/deleted>`,
//!   `kat:state "deleted"`, `kat:deletedAt` and `dct:modified` the deletion
//!   time, and no content, so a downstream harvester can delete its copy;
//! - Hydra paging: `{base}/catalog` is a `hydra:Collection` with
//!   `hydra:totalItems` and `hydra:view` the page, a
//!   `hydra:PartialCollectionView` with IRI `hydra:first`/`next`/`previous`/
//!   `last`. The page node is also a `hydra:PagedCollection` with the
//!   literals `hydra:firstPage`/`nextPage`/`previousPage`/`lastPage`,
//!   `hydra:totalItems` and `hydra:itemsPerPage`: what ckanext-dcat's RDF
//!   harvester (and piveau) follow. The same links go in the `Link` header.
//!
//! Quarantined versions are never read (see `store::published`).

use super::negotiate::{self, public_base, Representation, Syntax, HYDRA};
use super::{AppState, ServeError};
use crate::harvest::RecordKind;
use crate::ns;
use crate::store::published::{PageFilter, PublicState, RecordEntry, RecordPage};
use crate::store::CatalogStore;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use oxigraph::model::{Literal, NamedNode, Term, Triple};
use oxsdatatypes::{Date, DateTime};
use std::str::FromStr;

pub const DEFAULT_PAGE_SIZE: usize = 100;
pub const MAX_PAGE_SIZE: usize = 1000;
/// Far beyond any catalogue; keeps offsets from overflowing.
const MAX_PAGE: usize = 10_000_000;

const ADMS_STATUS: &str = "http://www.w3.org/ns/adms#status";
const CHANGE_TYPE: &str = "http://purl.org/adms/changetype/";
const DCAT_RECORD: &str = "http://www.w3.org/ns/dcat#record";
const DCAT_CATALOG_PROP: &str = "http://www.w3.org/ns/dcat#catalog";
const DCT_HAS_PART: &str = "http://purl.org/dc/terms/hasPart";
const DCT_DESCRIPTION: &str = "http://purl.org/dc/terms/description";
const DCT_PUBLISHER: &str = "http://purl.org/dc/terms/publisher";
const FOAF_HOMEPAGE: &str = "http://xmlns.com/foaf/0.1/homepage";
const FOAF_AGENT: &str = "http://xmlns.com/foaf/0.1/Agent";
const FOAF_NAME: &str = "http://xmlns.com/foaf/0.1/name";
const XSD_INTEGER: &str = "http://www.w3.org/2001/XMLSchema#integer";

/// The export's query parameters, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportParams {
    pub page: usize,
    pub size: usize,
    pub modified_since: Option<DateTime>,
    /// As given, to repeat it in the paging links.
    pub modified_since_text: Option<String>,
}

impl ExportParams {
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, ServeError> {
        let mut params = ExportParams {
            page: 1,
            size: DEFAULT_PAGE_SIZE,
            modified_since: None,
            modified_since_text: None,
        };
        for (key, value) in pairs {
            match key.as_str() {
                "page" => {
                    params.page = value
                        .parse::<usize>()
                        .ok()
                        .filter(|p| (1..=MAX_PAGE).contains(p))
                        .ok_or_else(|| {
                            ServeError::BadRequest(format!(
                                "page={value:?}: a page number from 1 to {MAX_PAGE}"
                            ))
                        })?
                }
                "size" => {
                    params.size = value
                        .parse::<usize>()
                        .ok()
                        .filter(|s| (1..=MAX_PAGE_SIZE).contains(s))
                        .ok_or_else(|| {
                            ServeError::BadRequest(format!(
                                "size={value:?}: records per page, from 1 to {MAX_PAGE_SIZE}"
                            ))
                        })?
                }
                "modified_since" => {
                    params.modified_since = Some(parse_since(value).ok_or_else(|| {
                        ServeError::BadRequest(format!(
                            "modified_since={value:?}: an xsd:date (2024-05-01) or xsd:dateTime \
                             (2024-05-01T12:00:00Z; UTC when no time zone is given)"
                        ))
                    })?);
                    params.modified_since_text = Some(value.clone());
                }
                _ => {}
            }
        }
        Ok(params)
    }

    fn query(&self, page: usize) -> String {
        let mut query = format!("page={page}&size={}", self.size);
        if let Some(since) = &self.modified_since_text {
            query.push_str("&modified_since=");
            query.extend(url::form_urlencoded::byte_serialize(since.as_bytes()));
        }
        query
    }
}

/// An xsd:dateTime or xsd:date; without a time zone, UTC.
pub fn parse_since(value: &str) -> Option<DateTime> {
    let value = value.trim();
    let parsed = match DateTime::from_str(value) {
        Ok(time) => time,
        Err(_) => DateTime::try_from(Date::from_str(value).ok()?).ok()?,
    };
    if parsed.timezone_offset().is_some() {
        return Some(parsed);
    }
    DateTime::from_str(&format!("{parsed}Z")).ok()
}

pub async fn catalog(
    state: State<AppState>,
    query: Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    export(state, query, headers, None).await
}

macro_rules! with_extension {
    ($name:ident, $syntax:expr) => {
        pub async fn $name(
            state: State<AppState>,
            query: Query<Vec<(String, String)>>,
            headers: HeaderMap,
        ) -> Response {
            export(state, query, headers, Some($syntax)).await
        }
    };
}
with_extension!(catalog_ttl, Syntax::Turtle);
with_extension!(catalog_rdf, Syntax::RdfXml);
with_extension!(catalog_jsonld, Syntax::JsonLd);
with_extension!(catalog_nt, Syntax::NTriples);

async fn export(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    fixed: Option<Syntax>,
) -> Response {
    let params = match ExportParams::parse(&pairs) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let syntax = match fixed {
        Some(syntax) => syntax,
        None => match negotiate::negotiate(&headers, false) {
            Ok(Representation::Rdf(syntax)) => syntax,
            Ok(Representation::Html) => Syntax::Turtle,
            Err(error) => return error.into_response(),
        },
    };
    let base = public_base(&state.config, &headers);
    let path = match fixed {
        Some(syntax) => format!("/catalog.{}", syntax.extension()),
        None => "/catalog".to_string(),
    };
    let store = state.store.clone();
    let filter = PageFilter {
        modified_since: params.modified_since,
    };
    let (page, size) = (params.page, params.size);
    let loaded = tokio::task::spawn_blocking(move || {
        let offset = (page - 1).saturating_mul(size);
        let records = store.public_page(&filter, offset, size)?;
        let catalogues = store.published_of_kind(RecordKind::Catalog)?;
        Ok::<_, crate::store::StoreError>((records, catalogues))
    })
    .await;
    let (records, catalogues) = match loaded {
        Ok(Ok(loaded)) => loaded,
        Ok(Err(error)) => return ServeError::Internal(error.to_string()).into_response(),
        Err(error) => return ServeError::Internal(error.to_string()).into_response(),
    };
    let paging = Paging::new(&base, &path, &params, records.total);
    let head = catalogue_triples(&base, &catalogues, &records, &paging);
    let link = paging.link_header();
    let store = state.store.clone();
    let body = negotiate::streamed_body(move |writer| {
        let mut out = negotiate::serializer(syntax).for_writer(writer);
        let io = |e: std::io::Error| e.to_string();
        for triple in &head {
            out.serialize_triple(triple).map_err(io)?;
        }
        for entry in &records.entries {
            if entry.state == PublicState::Published {
                for triple in store.record_triples_iter(&entry.id) {
                    let triple = triple.map_err(|e| e.to_string())?;
                    out.serialize_triple(&triple).map_err(io)?;
                }
            }
            for triple in catalogue_record(&base, entry) {
                out.serialize_triple(&triple).map_err(io)?;
            }
        }
        out.finish().map_err(io)?;
        Ok(())
    });
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(syntax.content_type()),
    );
    if fixed.is_none() {
        headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    }
    if let Ok(link) = HeaderValue::from_str(&link) {
        headers.insert(header::LINK, link);
    }
    response
}

/// The page IRIs of one request.
struct Paging {
    collection: NamedNode,
    current: String,
    first: String,
    last: String,
    next: Option<String>,
    previous: Option<String>,
    total: usize,
    size: usize,
}

impl Paging {
    fn new(base: &str, path: &str, params: &ExportParams, total: usize) -> Self {
        let last_page = total.div_ceil(params.size).max(1);
        let url = |page: usize| format!("{base}{path}?{}", params.query(page));
        Paging {
            collection: NamedNode::new_unchecked(format!("{base}/catalog")),
            current: url(params.page),
            first: url(1),
            last: url(last_page),
            next: (params.page < last_page).then(|| url(params.page + 1)),
            previous: (params.page > 1).then(|| url((params.page - 1).min(last_page))),
            total,
            size: params.size,
        }
    }

    fn link_header(&self) -> String {
        let mut links = vec![
            format!("<{}>; rel=\"first\"", self.first),
            format!("<{}>; rel=\"last\"", self.last),
        ];
        if let Some(next) = &self.next {
            links.push(format!("<{next}>; rel=\"next\""));
        }
        if let Some(previous) = &self.previous {
            links.push(format!("<{previous}>; rel=\"prev\""));
        }
        links.join(", ")
    }
}

fn iri(value: &str) -> NamedNode {
    NamedNode::new_unchecked(value)
}

fn hydra(local: &str) -> NamedNode {
    iri(&format!("{HYDRA}{local}"))
}

fn integer(n: usize) -> Literal {
    Literal::new_typed_literal(n.to_string(), iri(XSD_INTEGER))
}

/// The IRI of a record's `dcat:CatalogRecord`, also its page.
pub fn record_page_iri(base: &str, id: &str) -> NamedNode {
    iri(&format!("{base}/datasets/{id}"))
}

/// katalog's `dcat:Catalog` and the Hydra description of the page.
fn catalogue_triples(
    base: &str,
    catalogues: &[RecordEntry],
    records: &RecordPage,
    paging: &Paging,
) -> Vec<Triple> {
    let catalog = paging.collection.clone();
    let rdf_type = iri(ns::RDF_TYPE);
    let publisher = iri(&format!("{base}/#publisher"));
    let mut triples = vec![
        Triple::new(catalog.clone(), rdf_type.clone(), iri(ns::DCAT_CATALOG)),
        Triple::new(
            catalog.clone(),
            iri(ns::DCT_TITLE),
            Literal::new_language_tagged_literal_unchecked("katalog", "en"),
        ),
        Triple::new(
            catalog.clone(),
            iri(DCT_DESCRIPTION),
            Literal::new_language_tagged_literal_unchecked(
                "Health and genomic datasets harvested from national catalogues (DCAT-AP, HealthDCAT-AP).",
                "en",
            ),
        ),
        Triple::new(catalog.clone(), iri(DCT_PUBLISHER), publisher.clone()),
        Triple::new(publisher.clone(), rdf_type.clone(), iri(FOAF_AGENT)),
        Triple::new(publisher, iri(FOAF_NAME), Literal::from("katalog")),
        Triple::new(
            catalog.clone(),
            iri(FOAF_HOMEPAGE),
            iri(&format!("{base}/")),
        ),
    ];
    for part in catalogues {
        if let Some(resource) = &part.resource {
            triples.push(Triple::new(
                catalog.clone(),
                iri(DCT_HAS_PART),
                resource.clone(),
            ));
            triples.push(Triple::new(
                catalog.clone(),
                iri(DCAT_CATALOG_PROP),
                resource.clone(),
            ));
        }
    }
    for entry in &records.entries {
        if entry.resource.is_some() && entry.kind != Some(RecordKind::Unattached) {
            triples.push(Triple::new(
                catalog.clone(),
                iri(DCAT_RECORD),
                record_page_iri(base, &entry.id),
            ));
        }
    }
    let view = iri(&paging.current);
    triples.push(Triple::new(
        catalog.clone(),
        rdf_type.clone(),
        hydra("Collection"),
    ));
    triples.push(Triple::new(
        catalog.clone(),
        hydra("totalItems"),
        integer(paging.total),
    ));
    triples.push(Triple::new(catalog, hydra("view"), view.clone()));
    triples.push(Triple::new(
        view.clone(),
        rdf_type.clone(),
        hydra("PartialCollectionView"),
    ));
    triples.push(Triple::new(
        view.clone(),
        rdf_type,
        hydra("PagedCollection"),
    ));
    triples.push(Triple::new(
        view.clone(),
        hydra("totalItems"),
        integer(paging.total),
    ));
    triples.push(Triple::new(
        view.clone(),
        hydra("itemsPerPage"),
        integer(paging.size),
    ));
    let links = [
        ("first", "firstPage", Some(&paging.first)),
        ("last", "lastPage", Some(&paging.last)),
        ("next", "nextPage", paging.next.as_ref()),
        ("previous", "previousPage", paging.previous.as_ref()),
    ];
    for (link, literal, target) in links {
        if let Some(target) = target {
            triples.push(Triple::new(view.clone(), hydra(link), iri(target)));
            triples.push(Triple::new(
                view.clone(),
                hydra(literal),
                Literal::from(target.as_str()),
            ));
        }
    }
    triples
}

/// A record's `dcat:CatalogRecord`: what it is, when it changed, and for a
/// tombstone that it is gone. The unattached remainder has none.
pub fn catalogue_record(base: &str, entry: &RecordEntry) -> Vec<Triple> {
    let Some(resource) = &entry.resource else {
        return Vec::new();
    };
    if entry.kind == Some(RecordKind::Unattached) {
        return Vec::new();
    }
    let node = record_page_iri(base, &entry.id);
    let mut triples = vec![
        Triple::new(
            node.clone(),
            iri(ns::RDF_TYPE),
            iri(ns::DCAT_CATALOG_RECORD),
        ),
        Triple::new(
            node.clone(),
            iri(ns::FOAF_PRIMARY_TOPIC),
            Term::NamedNode(resource.clone()),
        ),
        Triple::new(
            node.clone(),
            iri(ns::DCT_IDENTIFIER),
            Literal::from(entry.id.as_str()),
        ),
    ];
    if let Some(issued) = &entry.issued {
        triples.push(Triple::new(
            node.clone(),
            iri(ns::DCT_ISSUED),
            issued.clone(),
        ));
    }
    let (status, modified, state) = match entry.state {
        PublicState::Deleted => ("deleted", entry.deleted_at.as_ref(), "deleted"),
        _ if entry.issued.is_some() && entry.issued == entry.modified => {
            ("created", entry.modified.as_ref(), "published")
        }
        _ => ("updated", entry.modified.as_ref(), "published"),
    };
    if let Some(modified) = modified {
        triples.push(Triple::new(
            node.clone(),
            iri(ns::DCT_MODIFIED),
            modified.clone(),
        ));
    }
    triples.push(Triple::new(
        node.clone(),
        iri(ADMS_STATUS),
        iri(&format!("{CHANGE_TYPE}{status}")),
    ));
    triples.push(Triple::new(
        node.clone(),
        iri(&ns::kat("state")),
        Literal::from(state),
    ));
    if let Some(deleted) = entry.deleted_at.as_ref().filter(|_| state == "deleted") {
        triples.push(Triple::new(
            node.clone(),
            iri(&ns::kat("deletedAt")),
            deleted.clone(),
        ));
    }
    if let Some(country) = &entry.country {
        triples.push(Triple::new(
            node,
            iri(&ns::kat("country")),
            Literal::from(country.as_str()),
        ));
    }
    triples
}

/// For other modules: read one record's entry, off the async runtime.
pub async fn entry(store: &CatalogStore, id: &str) -> Result<Option<RecordEntry>, ServeError> {
    let (store, id) = (store.clone(), id.to_string());
    tokio::task::spawn_blocking(move || store.record_entry(&id))
        .await
        .map_err(|e| ServeError::Internal(e.to_string()))?
        .map_err(|e| ServeError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parameters_are_checked_and_named() {
        let ok = ExportParams::parse(&pairs(&[("page", "3"), ("size", "10")])).unwrap();
        assert_eq!((ok.page, ok.size), (3, 10));
        for (key, value) in [
            ("page", "0"),
            ("page", "x"),
            ("size", "0"),
            ("size", "1001"),
            ("modified_since", "yesterday"),
            ("modified_since", "2024-13-01"),
        ] {
            let error = ExportParams::parse(&pairs(&[(key, value)])).unwrap_err();
            assert!(error.to_string().starts_with(key), "{error}");
        }
    }

    #[test]
    fn since_accepts_dates_and_times() {
        let day = parse_since("2024-05-01").unwrap();
        let noon = parse_since("2024-05-01T12:00:00").unwrap();
        let zoned = parse_since("2024-05-01T12:00:00+02:00").unwrap();
        assert!(day < noon && zoned < noon);
        assert_eq!(
            parse_since("2024-05-01T00:00:00Z").unwrap(),
            parse_since("2024-05-01Z").unwrap()
        );
    }

    #[test]
    fn paging_links() {
        let params = ExportParams::parse(&pairs(&[("page", "2"), ("size", "10")])).unwrap();
        let paging = Paging::new("https://k.example", "/catalog.ttl", &params, 25);
        assert_eq!(paging.last, "https://k.example/catalog.ttl?page=3&size=10");
        assert_eq!(
            paging.next.as_deref(),
            Some("https://k.example/catalog.ttl?page=3&size=10")
        );
        assert_eq!(
            paging.previous.as_deref(),
            Some("https://k.example/catalog.ttl?page=1&size=10")
        );
        let beyond = ExportParams::parse(&pairs(&[("page", "9"), ("size", "10")])).unwrap();
        let paging = Paging::new("https://k.example", "/catalog", &beyond, 25);
        assert!(paging.next.is_none());
        assert_eq!(
            paging.previous.as_deref(),
            Some("https://k.example/catalog?page=3&size=10")
        );
    }
}
