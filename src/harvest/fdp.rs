//! A FAIR Data Point, walked from its root: `fdp-o:metadataCatalog` (and the
//! older `r3d:dataCatalog`), `ldp:contains` of the LDP containers,
//! `dcat:dataset`, `dcat:distribution`, and the `Link: <…>; rel="next"` pages
//! of the `/page/…` children listings, each document once.
//!
//! Each document goes on to the run as a page when it is parsed, except
//! that a dataset's document takes the documents it links to (its
//! distributions) into its page: a record is whole within one page, and a
//! run holds one page at a time whatever the FAIR Data Point's size.
//!
//! Only links on the FAIR Data Point's own origin are followed: a dataset's
//! distribution or publisher elsewhere is data, not a child document.
//!
//! An FDP adds defaults that no publisher wrote, and that would pass for
//! publisher metadata downstream: a `dct:accessRights <…#accessRights>`
//! statement ("This resource has no access restriction") on every resource,
//! and `dct:conformsTo <…/profile/…>` naming the FDP's internal metadata
//! schema. Both are dropped, with the statement's own triples. The LDP
//! containers are navigation and are dropped too (as Hydra controls are).

use super::fetch::ACCEPT_RDF;
use super::hydra::PageGuard;
use super::{HarvestError, PageContext, PageSink, ParsedPage};
use crate::config::{Location, SourceConfig};
use oxrdf::{NamedOrBlankNode, Term, Triple};
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const FDP_O: &str = "https://w3id.org/fdp/fdp-o#";
pub const LDP: &str = "http://www.w3.org/ns/ldp#";
const R3D_DATA_CATALOG: &str = "http://www.re3data.org/schema/3-0#dataCatalog";
const DCT_ACCESS_RIGHTS: &str = "http://purl.org/dc/terms/accessRights";
const DCT_CONFORMS_TO: &str = "http://purl.org/dc/terms/conformsTo";

/// Predicates from a metadata document to its children.
const CHILD_LINKS: &[&str] = &[
    "https://w3id.org/fdp/fdp-o#metadataCatalog",
    R3D_DATA_CATALOG,
    "http://www.w3.org/ns/dcat#dataset",
    "http://www.w3.org/ns/dcat#distribution",
    "http://www.w3.org/ns/dcat#service",
    "http://www.w3.org/ns/dcat#catalog",
];

/// Documents fetched with the record document that links them (its
/// distributions), joined into its page; further links wait in the queue.
const GROUP_DOCUMENTS: usize = 64;

pub async fn collect(
    pages: &PageContext,
    source: &SourceConfig,
    location: &Location,
    progress: &AtomicUsize,
    sink: &mut PageSink,
) -> Result<(), HarvestError> {
    let Location::Remote(root) = location else {
        return Err(HarvestError::Internal(
            "an fdp source needs an http(s) URL".into(),
        ));
    };
    let mut walk = Walk {
        pages,
        source,
        origin: root.origin(),
        guard: PageGuard::new(source.max_pages()),
        queued: HashSet::from([without_fragment(root)]),
        progress,
        parts: SharedParts::default(),
    };
    let mut queue: VecDeque<url::Url> = VecDeque::from([root.clone()]);
    while let Some(url) = queue.pop_front() {
        let document = walk.fetch(&url).await?;
        let location = document.location;
        let format = document.format;
        let mut triples = document.triples;
        if !describes_member(&triples) {
            // The root, a catalogue or a listing page: a page of its own.
            queue.extend(document.children);
        } else {
            // A dataset (series, service) comes with the documents it links
            // to, its distributions, so that its record holds them as it
            // would in one document; a page is one record's documents.
            let mut group: VecDeque<url::Url> = document.children.into();
            let mut known: Vec<String> = document.known;
            let mut joined = 0;
            while let Some(child) = group.pop_front() {
                if joined == GROUP_DOCUMENTS {
                    queue.push_back(child);
                    queue.extend(group.drain(..));
                    break;
                }
                joined += 1;
                let document = walk.fetch(&child).await?;
                walk.parts.keep(
                    without_fragment(&child),
                    &document.triples,
                    &document.children,
                    &document.known,
                );
                triples.extend(document.triples);
                group.extend(document.children);
                known.extend(document.known);
            }
            // Parts fetched already for an earlier record (a distribution two
            // datasets share) are joined from memory: each document is
            // fetched once, and each record still holds all of its parts.
            walk.parts.join_known(known, &mut triples);
        }
        sink.push(ParsedPage {
            location,
            format,
            triples,
        })
        .await?;
    }
    Ok(())
}

/// One fetched FDP document: its triples (without the FDP's defaults) and
/// the children not queued yet.
struct Document {
    location: String,
    format: String,
    triples: Vec<Triple>,
    children: Vec<url::Url>,
    /// Links on the FAIR Data Point to documents queued or fetched already.
    known: Vec<String>,
}

/// The documents last joined into a record as its parts (distributions),
/// by URL, so that a part linked from another record later is joined there
/// too without fetching it again. Bounded: the oldest are forgotten first.
#[derive(Default)]
struct SharedParts {
    documents: std::collections::HashMap<String, PartDocument>,
    order: VecDeque<String>,
}

struct PartDocument {
    triples: Vec<Triple>,
    links: Vec<String>,
}

/// Part documents remembered (a distribution document is a few dozen triples).
const SHARED_PARTS: usize = 4096;

impl SharedParts {
    fn keep(&mut self, url: String, triples: &[Triple], children: &[url::Url], known: &[String]) {
        let links = children
            .iter()
            .map(without_fragment)
            .chain(known.iter().cloned())
            .collect();
        let part = PartDocument {
            triples: triples.to_vec(),
            links,
        };
        if self.documents.insert(url.clone(), part).is_none() {
            self.order.push_back(url);
        }
        while self.order.len() > SHARED_PARTS {
            if let Some(old) = self.order.pop_front() {
                self.documents.remove(&old);
            }
        }
    }

    /// Adds the remembered parts among `links` (and their own parts) to `triples`.
    fn join_known(&self, links: Vec<String>, triples: &mut Vec<Triple>) {
        let mut pending = links;
        let mut joined: HashSet<String> = HashSet::new();
        while let Some(link) = pending.pop() {
            if joined.len() >= GROUP_DOCUMENTS || !joined.insert(link.clone()) {
                continue;
            }
            if let Some(part) = self.documents.get(&link) {
                triples.extend(part.triples.iter().cloned());
                pending.extend(part.links.iter().cloned());
            }
        }
    }
}

struct Walk<'a> {
    pages: &'a PageContext,
    source: &'a SourceConfig,
    origin: url::Origin,
    guard: PageGuard,
    /// Every document queued or fetched, without fragment: each once.
    queued: HashSet<String>,
    progress: &'a AtomicUsize,
    parts: SharedParts,
}

impl Walk<'_> {
    async fn fetch(&mut self, url: &url::Url) -> Result<Document, HarvestError> {
        self.guard.visit(url)?;
        let page = self.pages.fetcher.get_with(url, ACCEPT_RDF).await?;
        let next = page.next_link.clone();
        let (document, format, triples) =
            self.pages.parse(page.document, self.source.format).await?;
        let mut links: Vec<url::Url> = child_links(&triples)
            .into_iter()
            .filter_map(|iri| url::Url::parse(&iri).ok())
            .collect();
        links.extend(next);
        let mut children = Vec::new();
        let mut known = Vec::new();
        for mut child in links {
            if child.origin() != self.origin {
                tracing::debug!(link = %child, "not followed: outside the FAIR Data Point");
                continue;
            }
            let key = without_fragment(&child);
            if self.queued.insert(key.clone()) {
                child.set_fragment(None);
                children.push(child);
            } else {
                known.push(key);
            }
        }
        self.progress.fetch_add(1, Ordering::Relaxed);
        Ok(Document {
            location: document.location,
            format: format.media_type().to_string(),
            triples: drop_defaults(triples, &self.origin),
            children,
            known,
        })
    }
}

/// Whether a document describes a dataset, series or data service and no
/// catalogue: its links lead to its own parts, not to more records.
fn describes_member(triples: &[Triple]) -> bool {
    let typed = |class: &str| {
        triples.iter().any(|t| {
            t.predicate.as_str() == crate::ns::RDF_TYPE
                && matches!(&t.object, Term::NamedNode(c) if c.as_str() == class)
        })
    };
    !typed(crate::ns::DCAT_CATALOG)
        && (typed(crate::ns::DCAT_DATASET)
            || typed(crate::ns::DCAT_DATASET_SERIES)
            || typed(crate::ns::DCAT_DATA_SERVICE))
}

fn without_fragment(url: &url::Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    url.to_string()
}

fn is_container(triples: &[Triple]) -> HashSet<NamedOrBlankNode> {
    triples
        .iter()
        .filter(|t| t.predicate.as_str() == crate::ns::RDF_TYPE)
        .filter(|t| matches!(&t.object, Term::NamedNode(c) if c.as_str().starts_with(LDP)))
        .map(|t| t.subject.clone())
        .collect()
}

/// The children a metadata document links to.
fn child_links(triples: &[Triple]) -> Vec<String> {
    let containers = is_container(triples);
    let mut links = Vec::new();
    for triple in triples {
        let Term::NamedNode(object) = &triple.object else {
            continue;
        };
        let predicate = triple.predicate.as_str();
        let follow = CHILD_LINKS.contains(&predicate)
            || (predicate == "http://www.w3.org/ns/ldp#contains"
                && containers.contains(&triple.subject));
        if follow {
            links.push(object.as_str().to_string());
        }
    }
    links.sort();
    links.dedup();
    links
}

/// Drops the FDP's generated defaults and its LDP navigation.
fn drop_defaults(triples: Vec<Triple>, origin: &url::Origin) -> Vec<Triple> {
    let same_origin = |iri: &str| url::Url::parse(iri).is_ok_and(|u| &u.origin() == origin);
    let generated_rights: HashSet<NamedOrBlankNode> = triples
        .iter()
        .filter(|t| t.predicate.as_str() == DCT_ACCESS_RIGHTS)
        .filter_map(|t| match &t.object {
            Term::NamedNode(n)
                if n.as_str().ends_with("#accessRights") && same_origin(n.as_str()) =>
            {
                Some(NamedOrBlankNode::NamedNode(n.clone()))
            }
            _ => None,
        })
        .collect();
    let containers = is_container(&triples);
    triples
        .into_iter()
        .filter(|t| {
            if generated_rights.contains(&t.subject) || containers.contains(&t.subject) {
                return false;
            }
            if t.predicate.as_str().starts_with(LDP) {
                return false;
            }
            match (&t.object, t.predicate.as_str()) {
                (Term::NamedNode(n), DCT_ACCESS_RIGHTS) => {
                    !generated_rights.contains(&NamedOrBlankNode::NamedNode(n.clone()))
                }
                (Term::NamedNode(n), DCT_CONFORMS_TO) => {
                    !(same_origin(n.as_str())
                        && url::Url::parse(n.as_str())
                            .is_ok_and(|u| u.path().contains("/profile/")))
                }
                _ => true,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::{RdfFormat, RdfParser};

    #[test]
    fn follows_children_and_drops_generated_defaults() {
        let text = r#"
            @prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
            @prefix ldp: <http://www.w3.org/ns/ldp#> . @prefix fdp: <https://w3id.org/fdp/fdp-o#> .
            <https://fdp.example.org/catalog/c1> a dcat:Catalog ; dct:title "C1" ;
              dcat:dataset <https://fdp.example.org/dataset/d1> ;
              dct:accessRights <https://fdp.example.org/catalog/c1#accessRights> ;
              dct:conformsTo <https://fdp.example.org/profile/a0949e72-4466-4d53-8900-9436d1049a4b> ,
                <http://data.europa.eu/r5r/> .
            <https://fdp.example.org/catalog/c1#accessRights> a dct:RightsStatement ;
              dct:description "This resource has no access restriction" .
            <https://fdp.example.org/catalog/c1#datasets> a ldp:DirectContainer ; dct:title "Datasets" ;
              ldp:membershipResource <https://fdp.example.org/catalog/c1> ;
              ldp:hasMemberRelation dcat:dataset ;
              ldp:contains <https://fdp.example.org/dataset/d2> .
        "#;
        let triples: Vec<Triple> = RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(text.as_bytes())
            .map(|q| Triple::from(q.unwrap()))
            .collect();
        assert_eq!(
            child_links(&triples),
            vec![
                "https://fdp.example.org/dataset/d1".to_string(),
                "https://fdp.example.org/dataset/d2".to_string()
            ]
        );
        let origin = url::Url::parse("https://fdp.example.org/")
            .unwrap()
            .origin();
        let kept = drop_defaults(triples, &origin);
        let text: Vec<String> = kept.iter().map(|t| t.to_string()).collect();
        assert_eq!(kept.len(), 4, "{text:#?}");
        assert!(text.iter().any(|t| t.contains("data.europa.eu/r5r")));
        assert!(!text
            .iter()
            .any(|t| t.contains("accessRights") || t.contains("/profile/") || t.contains("ldp#")));
    }
}
