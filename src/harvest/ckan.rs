//! A CKAN portal. Its DCAT endpoint (ckanext-dcat's `/catalog.ttl`, paged
//! with Hydra) is preferred when it answers with RDF; otherwise (404, or a
//! first page that is not RDF, such as a portal's HTML error page), or with
//! `ckan_api = "action"`, the action API (`/api/3/action/package_search`,
//! paged with `rows` and `start`) is read and mapped to DCAT-AP:
//!
//! | CKAN                     | DCAT-AP                                     |
//! |--------------------------|---------------------------------------------|
//! | package                  | `dcat:Dataset` `<portal/dataset/{id}>` (or its `uri` extra) |
//! | id                       | `dct:identifier`                            |
//! | title, notes             | `dct:title`, `dct:description`              |
//! | tags                     | `dcat:keyword`                              |
//! | groups                   | `dcat:theme` when the name is an EU data theme (HEAL, ...), else `ckan:group` |
//! | license_url / license_id | `dct:license` / `ckan:license_id`           |
//! | url                      | `dcat:landingPage`                          |
//! | version                  | `dcat:version`                              |
//! | organization             | `dct:publisher` `foaf:Agent` with `foaf:name` |
//! | maintainer(_email)       | `dcat:contactPoint` `vcard:Kind`            |
//! | author(_email)           | `dct:creator` `foaf:Agent`                  |
//! | metadata_created/modified| `dct:issued` / `dct:modified`               |
//! | extras                   | `ckan:extra [ ckan:key; ckan:value ]`       |
//! | resources                | `dcat:distribution` with `dct:title`, `dct:description`, `dcat:accessURL`, `dcat:downloadURL`, `dct:format`, `dcat:mediaType`, `dcat:byteSize`, `dct:issued`, `dct:modified` |
//!
//! Every other field of a package or resource is kept as a `ckan:{field}`
//! literal (JSON text for lists and objects), where `ckan:` is
//! `https://w3id.org/katalog/ckan#`: nothing is dropped silently.

use super::fetch::FetchedDocument;
use super::{hydra, HarvestError, PageContext, PageSink, ParsedPage};
use crate::config::{CkanApi, Location, SourceConfig};
use oxrdf::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const CKAN: &str = "https://w3id.org/katalog/ckan#";
pub const DEFAULT_ROWS: usize = 100;

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
const DATA_THEME: &str = "http://publications.europa.eu/resource/authority/data-theme/";
const EU_THEMES: &[&str] = &[
    "AGRI",
    "ECON",
    "EDUC",
    "ENER",
    "ENVI",
    "GOVE",
    "HEAL",
    "INTR",
    "JUST",
    "REGI",
    "SOCI",
    "TECH",
    "TRAN",
    "OP_DATPRO",
];

pub async fn collect(
    pages: &PageContext,
    source: &SourceConfig,
    location: &Location,
    progress: &AtomicUsize,
    sink: &mut PageSink,
) -> Result<(), HarvestError> {
    let Location::Remote(url) = location else {
        return Err(HarvestError::Internal(
            "a ckan source needs an http(s) URL".into(),
        ));
    };
    let portal = portal_root(url);
    let api = source.ckan_api.unwrap_or_default();
    if api != CkanApi::Action {
        let mut catalog = join(&portal, "catalog.ttl")?;
        if let Some(since) = pages.modified_since {
            // ckanext-dcat's catalog endpoint filters by metadata_modified.
            catalog
                .query_pairs_mut()
                .append_pair("modified_since", &rfc3339(since));
        }
        let before = progress.load(Ordering::Relaxed);
        match hydra::follow(
            pages,
            catalog,
            source.format,
            source.max_pages(),
            None,
            progress,
            sink,
        )
        .await
        {
            Ok(()) => return Ok(()),
            // No DCAT endpoint: not found, or a page (HTML) that is no RDF.
            Err(
                error @ (HarvestError::Status {
                    status: 404 | 410 | 501,
                    ..
                }
                | HarvestError::Parse { .. }),
            ) if api == CkanApi::Auto && progress.load(Ordering::Relaxed) == before => {
                tracing::info!(%error, "no DCAT endpoint; reading the CKAN action API");
            }
            Err(error) => return Err(error),
        }
    }
    action_api(pages, source, &portal, progress, sink).await
}

/// The portal's root, with a trailing slash so that relative paths join under it.
fn portal_root(url: &url::Url) -> url::Url {
    let mut root = url.clone();
    root.set_query(None);
    root.set_fragment(None);
    if !root.path().ends_with('/') {
        let path = format!("{}/", root.path());
        root.set_path(&path);
    }
    root
}

fn join(base: &url::Url, path: &str) -> Result<url::Url, HarvestError> {
    base.join(path)
        .map_err(|e| HarvestError::Internal(format!("{base} + {path}: {e}")))
}

async fn action_api(
    pages: &PageContext,
    source: &SourceConfig,
    portal: &url::Url,
    progress: &AtomicUsize,
    sink: &mut PageSink,
) -> Result<(), HarvestError> {
    let rows = source.page_size.unwrap_or(DEFAULT_ROWS);
    let mut guard = hydra::PageGuard::new(source.max_pages());
    let mut seen: HashSet<String> = HashSet::new();
    let mut start = 0usize;
    loop {
        let mut url = join(portal, "api/3/action/package_search")?;
        url.query_pairs_mut()
            .append_pair("rows", &rows.to_string())
            .append_pair("start", &start.to_string())
            .append_pair("sort", "metadata_created asc");
        if let Some(since) = pages.modified_since {
            url.query_pairs_mut().append_pair(
                "fq",
                &format!("metadata_modified:[{} TO *]", rfc3339(since)),
            );
        }
        guard.visit(&url)?;
        let page = pages.fetcher.get_with(&url, "application/json").await?;
        let document = page.document;
        let (count, packages) = read_page(&document)?;
        if packages.is_empty() {
            break;
        }
        let mut fresh = 0;
        let mut triples = Vec::new();
        for package in &packages {
            let id = package["id"].as_str().unwrap_or_default().to_string();
            if seen.insert(id) {
                fresh += 1;
                triples.extend(package_triples(package, portal));
            }
        }
        if fresh == 0 {
            return Err(HarvestError::Paging {
                location: document.location,
                message: "this page repeats packages already read (does the portal ignore `start`?); the run is incomplete".into(),
            });
        }
        start += packages.len();
        sink.push(ParsedPage {
            location: document.location,
            format: "application/json".into(),
            triples,
        })
        .await?;
        progress.fetch_add(1, Ordering::Relaxed);
        if count.is_some_and(|count| start >= count) {
            break;
        }
    }
    Ok(())
}

/// A time as CKAN's Solr and ckanext-dcat take it (whole seconds, UTC; cut
/// down, so a change in the run's first second is asked for again).
pub fn rfc3339(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `result.count` and `result.results` of a package_search response.
fn read_page(document: &FetchedDocument) -> Result<(Option<usize>, Vec<Value>), HarvestError> {
    let protocol = |message: String| HarvestError::Protocol {
        location: document.location.clone(),
        message,
    };
    let json: Value = serde_json::from_slice(&document.bytes)
        .map_err(|e| protocol(format!("not a CKAN action API response: {e}")))?;
    if json["success"].as_bool() != Some(true) {
        return Err(protocol(format!(
            "the CKAN action API answered success = false: {}",
            json["error"]
        )));
    }
    let result = &json["result"];
    let packages = result["results"]
        .as_array()
        .cloned()
        .ok_or_else(|| protocol("no result.results in the CKAN response".into()))?;
    Ok((result["count"].as_u64().map(|c| c as usize), packages))
}

struct Out(Vec<Triple>);

impl Out {
    fn add(&mut self, subject: &NamedOrBlankNode, predicate: &str, object: impl Into<Term>) {
        self.0.push(Triple::new(
            subject.clone(),
            NamedNode::new_unchecked(predicate),
            object.into(),
        ));
    }
    fn text(&mut self, subject: &NamedOrBlankNode, predicate: &str, value: &Value) {
        if let Some(text) = scalar_text(value) {
            if !text.is_empty() {
                self.add(subject, predicate, Literal::new_simple_literal(text));
            }
        }
    }
    /// An IRI when the value is one, else a `ckan:{field}` literal.
    fn iri_or_literal(
        &mut self,
        subject: &NamedOrBlankNode,
        predicate: &str,
        field: &str,
        value: &Value,
    ) {
        let Some(text) = value.as_str().map(str::trim) else {
            return self.keep(subject, field, value);
        };
        if text.is_empty() {
            return;
        }
        match iri(text) {
            Some(node) => self.add(subject, predicate, node),
            None => self.keep(subject, field, value),
        }
    }
    fn date(&mut self, subject: &NamedOrBlankNode, predicate: &str, value: &Value) {
        let Some(text) = value.as_str().map(str::trim).filter(|t| !t.is_empty()) else {
            return;
        };
        let literal = if text.parse::<oxsdatatypes::DateTime>().is_ok() {
            Literal::new_typed_literal(text, NamedNode::new_unchecked(format!("{XSD}dateTime")))
        } else if text.parse::<oxsdatatypes::Date>().is_ok() {
            Literal::new_typed_literal(text, NamedNode::new_unchecked(format!("{XSD}date")))
        } else {
            Literal::new_simple_literal(text)
        };
        self.add(subject, predicate, literal);
    }
    /// Any other field, kept under katalog's CKAN namespace.
    fn keep(&mut self, subject: &NamedOrBlankNode, field: &str, value: &Value) {
        if value.is_null() {
            return;
        }
        let Some(predicate) = field_predicate(field) else {
            return;
        };
        let text = scalar_text(value).unwrap_or_else(|| value.to_string());
        self.add(subject, &predicate, Literal::new_simple_literal(text));
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn field_predicate(field: &str) -> Option<String> {
    let local: String = field
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    NamedNode::new(format!("{CKAN}{local}"))
        .ok()
        .map(|n| n.into_string())
}

fn iri(text: &str) -> Option<NamedNode> {
    let url = url::Url::parse(text).ok()?;
    if !matches!(url.scheme(), "http" | "https" | "ftp" | "mailto" | "urn") {
        return None;
    }
    NamedNode::new(url.as_str()).ok()
}

/// One package as DCAT-AP triples.
pub fn package_triples(package: &Value, portal: &url::Url) -> Vec<Triple> {
    let mut out = Out(Vec::new());
    let id = package["id"].as_str().unwrap_or_default();
    let extras: Vec<(String, Value)> = package["extras"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|e| Some((e["key"].as_str()?.to_string(), e["value"].clone())))
                .collect()
        })
        .unwrap_or_default();
    let uri_extra = extras
        .iter()
        .find(|(k, _)| k == "uri")
        .and_then(|(_, v)| v.as_str())
        .and_then(iri);
    let dataset_iri = uri_extra.unwrap_or_else(|| {
        NamedNode::new_unchecked(
            portal
                .join(&format!("dataset/{}", encode(id)))
                .map(String::from)
                .unwrap_or_else(|_| format!("{portal}dataset/{}", encode(id))),
        )
    });
    let dataset = NamedOrBlankNode::NamedNode(dataset_iri.clone());
    out.add(
        &dataset,
        crate::ns::RDF_TYPE,
        NamedNode::new_unchecked(format!("{DCAT}Dataset")),
    );
    let Some(fields) = package.as_object() else {
        return out.0;
    };
    for (field, value) in fields {
        match field.as_str() {
            "id" => out.text(&dataset, &format!("{DCT}identifier"), value),
            "title" => out.text(&dataset, &format!("{DCT}title"), value),
            "notes" => out.text(&dataset, &format!("{DCT}description"), value),
            "version" => out.text(&dataset, &format!("{DCAT}version"), value),
            "url" => out.iri_or_literal(&dataset, &format!("{DCAT}landingPage"), "url", value),
            "license_url" => {
                out.iri_or_literal(&dataset, &format!("{DCT}license"), "license_url", value)
            }
            "metadata_created" => out.date(&dataset, &format!("{DCT}issued"), value),
            "metadata_modified" => out.date(&dataset, &format!("{DCT}modified"), value),
            "tags" => {
                for tag in value.as_array().into_iter().flatten() {
                    let name = tag
                        .get("display_name")
                        .or_else(|| tag.get("name"))
                        .unwrap_or(tag);
                    out.text(&dataset, &format!("{DCAT}keyword"), name);
                }
            }
            "groups" => {
                for group in value.as_array().into_iter().flatten() {
                    let name = group["name"].as_str().unwrap_or_default();
                    let code = name.to_ascii_uppercase();
                    if EU_THEMES.contains(&code.as_str()) {
                        out.add(
                            &dataset,
                            &format!("{DCAT}theme"),
                            NamedNode::new_unchecked(format!("{DATA_THEME}{code}")),
                        );
                    } else {
                        out.keep(&dataset, "group", &group["name"]);
                    }
                }
            }
            "organization" if value.is_object() => {
                let org = &value;
                let org_iri = org["name"]
                    .as_str()
                    .or(org["id"].as_str())
                    .and_then(|n| portal.join(&format!("organization/{}", encode(n))).ok())
                    .and_then(|u| NamedNode::new(u.as_str()).ok());
                let agent = match org_iri {
                    Some(n) => NamedOrBlankNode::NamedNode(n),
                    None => NamedOrBlankNode::BlankNode(BlankNode::default()),
                };
                out.add(&dataset, &format!("{DCT}publisher"), agent.clone());
                out.add(
                    &agent,
                    crate::ns::RDF_TYPE,
                    NamedNode::new_unchecked(format!("{FOAF}Agent")),
                );
                out.text(
                    &agent,
                    &format!("{FOAF}name"),
                    org.get("title")
                        .filter(|t| t.as_str().is_some_and(|t| !t.is_empty()))
                        .unwrap_or(&org["name"]),
                );
                out.text(&agent, &format!("{DCT}description"), &org["description"]);
            }
            "maintainer" | "maintainer_email" | "author" | "author_email" => {}
            "extras" => {
                for (key, value) in &extras {
                    let extra = NamedOrBlankNode::BlankNode(BlankNode::default());
                    out.add(&dataset, &format!("{CKAN}extra"), extra.clone());
                    out.add(
                        &extra,
                        &format!("{CKAN}key"),
                        Literal::new_simple_literal(key),
                    );
                    let text = scalar_text(value).unwrap_or_else(|| value.to_string());
                    out.add(
                        &extra,
                        &format!("{CKAN}value"),
                        Literal::new_simple_literal(text),
                    );
                }
            }
            "resources" => {
                for resource in value.as_array().into_iter().flatten() {
                    resource_triples(&mut out, &dataset, id, resource, portal);
                }
            }
            other => out.keep(&dataset, other, value),
        }
    }
    contact(
        &mut out,
        &dataset,
        &format!("{DCAT}contactPoint"),
        &package["maintainer"],
        &package["maintainer_email"],
        true,
    );
    contact(
        &mut out,
        &dataset,
        &format!("{DCT}creator"),
        &package["author"],
        &package["author_email"],
        false,
    );
    out.0
}

/// maintainer → a vcard:Kind contact point; author → a foaf:Agent creator.
fn contact(
    out: &mut Out,
    dataset: &NamedOrBlankNode,
    predicate: &str,
    name: &Value,
    email: &Value,
    vcard: bool,
) {
    let name = name.as_str().map(str::trim).filter(|s| !s.is_empty());
    let email = email.as_str().map(str::trim).filter(|s| !s.is_empty());
    if name.is_none() && email.is_none() {
        return;
    }
    let node = NamedOrBlankNode::BlankNode(BlankNode::default());
    out.add(dataset, predicate, node.clone());
    let (class, name_predicate, email_predicate) = if vcard {
        (
            format!("{VCARD}Kind"),
            format!("{VCARD}fn"),
            format!("{VCARD}hasEmail"),
        )
    } else {
        (
            format!("{FOAF}Agent"),
            format!("{FOAF}name"),
            format!("{FOAF}mbox"),
        )
    };
    out.add(&node, crate::ns::RDF_TYPE, NamedNode::new_unchecked(class));
    if let Some(name) = name {
        out.add(&node, &name_predicate, Literal::new_simple_literal(name));
    }
    if let Some(email) = email {
        let mailto = if email.starts_with("mailto:") {
            email.to_string()
        } else {
            format!("mailto:{email}")
        };
        match NamedNode::new(&mailto) {
            Ok(iri) => out.add(&node, &email_predicate, iri),
            Err(_) => out.add(&node, &email_predicate, Literal::new_simple_literal(email)),
        }
    }
}

fn resource_triples(
    out: &mut Out,
    dataset: &NamedOrBlankNode,
    package_id: &str,
    resource: &Value,
    portal: &url::Url,
) {
    let rid = resource["id"].as_str().unwrap_or_default();
    let distribution = portal
        .join(&format!(
            "dataset/{}/resource/{}",
            encode(package_id),
            encode(rid)
        ))
        .ok()
        .and_then(|u| NamedNode::new(u.as_str()).ok())
        .filter(|_| !rid.is_empty())
        .map(NamedOrBlankNode::NamedNode)
        .unwrap_or_else(|| NamedOrBlankNode::BlankNode(BlankNode::default()));
    out.add(
        dataset,
        &format!("{DCAT}distribution"),
        distribution.clone(),
    );
    out.add(
        &distribution,
        crate::ns::RDF_TYPE,
        NamedNode::new_unchecked(format!("{DCAT}Distribution")),
    );
    let Some(fields) = resource.as_object() else {
        return;
    };
    for (field, value) in fields {
        match field.as_str() {
            "name" => out.text(&distribution, &format!("{DCT}title"), value),
            "description" => out.text(&distribution, &format!("{DCT}description"), value),
            "url" => out.iri_or_literal(&distribution, &format!("{DCAT}accessURL"), "url", value),
            "download_url" => out.iri_or_literal(
                &distribution,
                &format!("{DCAT}downloadURL"),
                "download_url",
                value,
            ),
            "format" => out.text(&distribution, &format!("{DCT}format"), value),
            "mimetype" => match value.as_str().map(str::trim) {
                Some(media)
                    if media.contains('/')
                        && NamedNode::new(format!(
                            "https://www.iana.org/assignments/media-types/{media}"
                        ))
                        .is_ok() =>
                {
                    out.add(
                        &distribution,
                        &format!("{DCAT}mediaType"),
                        NamedNode::new_unchecked(format!(
                            "https://www.iana.org/assignments/media-types/{media}"
                        )),
                    );
                }
                _ => out.keep(&distribution, "mimetype", value),
            },
            "size" => match value.as_u64() {
                Some(size) => out.add(
                    &distribution,
                    &format!("{DCAT}byteSize"),
                    Literal::new_typed_literal(
                        size.to_string(),
                        NamedNode::new_unchecked(crate::ns::XSD_NON_NEGATIVE_INTEGER),
                    ),
                ),
                None => out.keep(&distribution, "size", value),
            },
            "created" => out.date(&distribution, &format!("{DCT}issued"), value),
            "last_modified" | "metadata_modified" if !value.is_null() => {
                out.date(&distribution, &format!("{DCT}modified"), value)
            }
            other => out.keep(&distribution, other, value),
        }
    }
}

/// Percent-encodes a path segment.
fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_package_to_dcat_ap_and_keeps_the_rest() {
        let package: Value = serde_json::json!({
            "id": "0b9c7f1e-1", "name": "covid-cases", "title": "COVID-19 cases",
            "notes": "Daily cases", "version": "2.1", "url": "https://health.example.org/covid",
            "license_id": "cc-by", "license_url": "http://www.opendefinition.org/licenses/cc-by",
            "metadata_created": "2024-01-15T10:00:00.123456", "metadata_modified": "2024-02-01T08:30:00",
            "tags": [{"name": "covid", "display_name": "covid"}, {"name": "health"}],
            "groups": [{"name": "heal"}, {"name": "local-stats"}],
            "organization": {"name": "nipd", "title": "Institute of Public Health"},
            "maintainer": "Data desk", "maintainer_email": "data@example.org",
            "extras": [{"key": "spatial", "value": "Norway"}],
            "resources": [{"id": "r1", "name": "CSV", "url": "https://health.example.org/covid.csv",
                            "format": "CSV", "mimetype": "text/csv", "size": 1234, "hash": "abc"}],
            "state": "active", "num_resources": 1, "custom_field": {"a": 1}
        });
        let portal = url::Url::parse("https://ckan.example.org/").unwrap();
        let triples = package_triples(&package, &portal);
        let text: Vec<String> = triples.iter().map(|t| t.to_string()).collect();
        let has = |needle: &str| text.iter().any(|t| t.contains(needle));
        assert!(has("<https://ckan.example.org/dataset/0b9c7f1e-1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset>"), "{text:#?}");
        assert!(has(
            "<http://purl.org/dc/terms/description> \"Daily cases\""
        ));
        assert!(has("<http://www.w3.org/ns/dcat#keyword> \"health\""));
        assert!(has(
            "<http://publications.europa.eu/resource/authority/data-theme/HEAL>"
        ));
        assert!(has("<https://w3id.org/katalog/ckan#group> \"local-stats\""));
        assert!(has(
            "<http://purl.org/dc/terms/publisher> <https://ckan.example.org/organization/nipd>"
        ));
        assert!(has(
            "\"2024-01-15T10:00:00.123456\"^^<http://www.w3.org/2001/XMLSchema#dateTime>"
        ));
        assert!(has(
            "<http://www.w3.org/ns/dcat#accessURL> <https://health.example.org/covid.csv>"
        ));
        assert!(has("<http://www.w3.org/ns/dcat#mediaType> <https://www.iana.org/assignments/media-types/text/csv>"));
        assert!(has("<https://w3id.org/katalog/ckan#hash> \"abc\""));
        assert!(has(
            "<https://w3id.org/katalog/ckan#custom_field> \"{\\\"a\\\":1}\""
        ));
        assert!(has("<https://w3id.org/katalog/ckan#value> \"Norway\""));
        assert!(has(
            "<http://www.w3.org/2006/vcard/ns#hasEmail> <mailto:data@example.org>"
        ));
        assert!(has(
            "<http://www.w3.org/ns/dcat#landingPage> <https://health.example.org/covid>"
        ));
    }
}
