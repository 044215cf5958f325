//! RDF documents with Hydra paging, in both styles in use:
//! `hydra:PartialCollectionView` with an IRI `hydra:next`, and ckanext-dcat's
//! `hydra:PagedCollection` with `hydra:nextPage` (or `hydra:next`) as a
//! string literal. Pages are followed until none is next; a page seen twice
//! (by URL or by content) or more than `max_pages` pages fail the run, which
//! is then incomplete. The paging triples are controls, not catalogue
//! content, and are dropped; everything else is kept.

use super::fetch::{FetchedPage, ACCEPT_RDF};
use super::{HarvestError, PageContext, PageSink, ParsedPage};
use crate::config::{Location, RdfSyntax};
use oxrdf::{Term, Triple};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The Hydra namespace, as published and as some servers write it.
pub const HYDRA_NAMESPACES: &[&str] = &[
    "http://www.w3.org/ns/hydra/core#",
    "https://www.w3.org/ns/hydra/core#",
];

fn is_hydra(iri: &str) -> bool {
    HYDRA_NAMESPACES.iter().any(|ns| iri.starts_with(ns))
}

fn hydra_term(iri: &str) -> Option<&str> {
    HYDRA_NAMESPACES.iter().find_map(|ns| iri.strip_prefix(ns))
}

/// Fetches a document and every page after it.
pub async fn collect(
    pages: &PageContext,
    start: &Location,
    format: Option<RdfSyntax>,
    max_pages: usize,
    first: Option<super::FirstPage>,
    progress: &AtomicUsize,
    sink: &mut PageSink,
) -> Result<(), HarvestError> {
    let url = match start {
        Location::Local(_) => {
            let document = match first {
                Some(first) => first.document,
                None => pages.fetcher.fetch(start).await?,
            };
            let (document, format, triples) = pages.parse(document, format).await?;
            progress.fetch_add(1, Ordering::Relaxed);
            return sink
                .push(ParsedPage {
                    location: document.location,
                    format: format.media_type().to_string(),
                    triples: strip_controls(triples),
                })
                .await;
        }
        Location::Remote(url) => url.clone(),
    };
    follow(pages, url, format, max_pages, first, progress, sink).await
}

/// Follows Hydra next links from `first`, handing each page to `sink` as
/// soon as it is parsed.
pub async fn follow(
    pages: &PageContext,
    first: url::Url,
    format: Option<RdfSyntax>,
    max_pages: usize,
    mut prefetched: Option<super::FirstPage>,
    progress: &AtomicUsize,
    sink: &mut PageSink,
) -> Result<(), HarvestError> {
    let mut guard = PageGuard::new(max_pages);
    let mut current = first;
    loop {
        guard.visit(&current)?;
        let page = match prefetched.take() {
            Some(page) => FetchedPage {
                document: page.document,
                next_link: page.next_link,
                validators: page.validators,
            },
            None => pages.fetcher.get_with(&current, ACCEPT_RDF).await?,
        };
        guard.content(&page.document.location, &page.document.bytes)?;
        let link_header = page.next_link.clone();
        let validators = page.validators.clone();
        let (document, syntax, triples) = pages.parse(page.document, format).await?;
        let next = next_page(&triples, &current, &document.location)
            .map_err(|message| HarvestError::Paging {
                location: document.location.clone(),
                message,
            })?
            .or(link_header);
        if let Ok(mut marks) = pages.marks.lock() {
            marks.push(super::PageMark {
                url: current.to_string(),
                validators,
                next: next.as_ref().map(|n| n.to_string()),
            });
        }
        sink.push(ParsedPage {
            location: document.location.clone(),
            format: syntax.media_type().to_string(),
            triples: strip_controls(triples),
        })
        .await?;
        progress.fetch_add(1, Ordering::Relaxed);
        match next {
            None => return Ok(()),
            Some(next) => {
                if guard.seen(&next) {
                    return Err(HarvestError::Paging {
                        location: document.location,
                        message: format!(
                            "page loop: the next page is {next}, which this run already fetched; the run is incomplete"
                        ),
                    });
                }
                current = next;
            }
        }
    }
}

/// Loop guards of a paged walk: visited URLs, repeated content, a page bound.
pub struct PageGuard {
    visited: HashSet<String>,
    hashes: HashMap<Vec<u8>, String>,
    max_pages: usize,
    fetched: usize,
}

impl PageGuard {
    pub fn new(max_pages: usize) -> Self {
        PageGuard {
            visited: HashSet::new(),
            hashes: HashMap::new(),
            max_pages,
            fetched: 0,
        }
    }

    pub fn seen(&self, url: &url::Url) -> bool {
        self.visited.contains(&normalise(url))
    }

    /// Records a URL about to be fetched; fails beyond the page bound.
    pub fn visit(&mut self, url: &url::Url) -> Result<(), HarvestError> {
        if self.fetched >= self.max_pages {
            return Err(HarvestError::Paging {
                location: url.to_string(),
                message: format!(
                    "more than {} pages (max_pages); the run is incomplete",
                    self.max_pages
                ),
            });
        }
        self.fetched += 1;
        self.visited.insert(normalise(url));
        Ok(())
    }

    /// Fails when a page's bytes repeat an earlier page's: a server that
    /// ignores the paging parameter would otherwise be read until max_pages.
    pub fn content(&mut self, location: &str, bytes: &[u8]) -> Result<(), HarvestError> {
        let hash = Sha256::digest(bytes).to_vec();
        if let Some(earlier) = self.hashes.get(&hash) {
            if earlier != location {
                return Err(HarvestError::Paging {
                    location: location.to_string(),
                    message: format!(
                        "page loop: this page has the same content as {earlier}; the run is incomplete"
                    ),
                });
            }
        }
        self.hashes.insert(hash, location.to_string());
        Ok(())
    }
}

fn normalise(url: &url::Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    url.to_string()
}

/// The next page a Hydra page links to, resolved against the page's URL.
/// With several candidates, the one said of the page itself wins.
pub fn next_page(
    triples: &[Triple],
    requested: &url::Url,
    location: &str,
) -> Result<Option<url::Url>, String> {
    let base = url::Url::parse(location).unwrap_or_else(|_| requested.clone());
    let mut candidates: Vec<(bool, url::Url)> = Vec::new();
    for triple in triples {
        if !matches!(
            hydra_term(triple.predicate.as_str()),
            Some("next" | "nextPage")
        ) {
            continue;
        }
        let target = match &triple.object {
            Term::NamedNode(iri) => iri.as_str().to_string(),
            Term::Literal(literal) => literal.value().trim().to_string(),
            _ => continue,
        };
        let next = base
            .join(&target)
            .map_err(|e| format!("hydra next link {target:?} is not a URL: {e}"))?;
        let about_page = match &triple.subject {
            oxrdf::NamedOrBlankNode::NamedNode(s) => {
                s.as_str() == requested.as_str() || s.as_str() == location
            }
            _ => false,
        };
        candidates.push((about_page, next));
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.as_str().cmp(b.1.as_str())));
    candidates.dedup_by(|a, b| a.1 == b.1);
    Ok(candidates.into_iter().next().map(|(_, url)| url))
}

/// Drops the paging controls: triples with a Hydra predicate, and Hydra typings.
pub fn strip_controls(triples: Vec<Triple>) -> Vec<Triple> {
    triples
        .into_iter()
        .filter(|t| {
            if is_hydra(t.predicate.as_str()) {
                return false;
            }
            if t.predicate.as_str() == crate::ns::RDF_TYPE {
                if let Term::NamedNode(class) = &t.object {
                    return !is_hydra(class.as_str());
                }
            }
            true
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::{RdfFormat, RdfParser};

    fn turtle(text: &str, base: &str) -> Vec<Triple> {
        RdfParser::from_format(RdfFormat::Turtle)
            .with_base_iri(base)
            .unwrap()
            .for_slice(text.as_bytes())
            .map(|q| Triple::from(q.unwrap()))
            .collect()
    }

    #[test]
    fn partial_collection_view_with_iri_next() {
        let base = "https://data.example.org/catalog?page=1";
        let triples = turtle(
            r#"@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
            <https://data.example.org/catalog> hydra:view <?page=1> ; <http://purl.org/dc/terms/title> "C" .
            <?page=1> a hydra:PartialCollectionView ; hydra:next <?page=2> ; hydra:first <?page=1> ."#,
            base,
        );
        let url = url::Url::parse(base).unwrap();
        let next = next_page(&triples, &url, base).unwrap().unwrap();
        assert_eq!(next.as_str(), "https://data.example.org/catalog?page=2");
        let kept = strip_controls(triples);
        assert_eq!(kept.len(), 1, "{kept:?}");
    }

    #[test]
    fn ckan_paged_collection_with_literal_next() {
        let base = "https://ckan.example.org/catalog.ttl?page=1";
        let triples = turtle(
            r#"@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
            <https://ckan.example.org/catalog.ttl?page=1> a hydra:PagedCollection ;
              hydra:firstPage "https://ckan.example.org/catalog.ttl?page=1" ;
              hydra:nextPage "https://ckan.example.org/catalog.ttl?page=2" ;
              hydra:itemsPerPage 100 ; hydra:totalItems 283 ."#,
            base,
        );
        let url = url::Url::parse(base).unwrap();
        assert_eq!(
            next_page(&triples, &url, base).unwrap().unwrap().as_str(),
            "https://ckan.example.org/catalog.ttl?page=2"
        );
        assert!(strip_controls(triples).is_empty());
    }

    #[test]
    fn last_page_has_no_next() {
        let base = "https://x.org/c?page=3";
        let triples = turtle(
            r#"<https://x.org/c?page=3> a <http://www.w3.org/ns/hydra/core#PagedCollection> ;
               <http://www.w3.org/ns/hydra/core#previousPage> "https://x.org/c?page=2" ."#,
            base,
        );
        let url = url::Url::parse(base).unwrap();
        assert_eq!(next_page(&triples, &url, base).unwrap(), None);
    }

    #[test]
    fn guard_stops_loops_and_runaways() {
        let mut guard = PageGuard::new(2);
        let a = url::Url::parse("https://x.org/a#frag").unwrap();
        guard.visit(&a).unwrap();
        assert!(guard.seen(&url::Url::parse("https://x.org/a").unwrap()));
        guard.content("https://x.org/a", b"same").unwrap();
        let b = url::Url::parse("https://x.org/b").unwrap();
        guard.visit(&b).unwrap();
        assert!(guard.content("https://x.org/b", b"same").is_err());
        assert!(guard
            .visit(&url::Url::parse("https://x.org/c").unwrap())
            .unwrap_err()
            .to_string()
            .contains("max_pages"));
    }
}
