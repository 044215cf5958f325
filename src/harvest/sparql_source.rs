//! A remote SPARQL endpoint. The records are listed first, in pages
//! (`SELECT DISTINCT ?dataset ... ORDER BY ?dataset LIMIT n OFFSET k`), and
//! each page is described with CONSTRUCT queries bound by `VALUES ?dataset`;
//! each CONSTRUCT response goes on to the run as a page as soon as it is
//! parsed, so a run holds one listing page and one response at a time.
//!
//! Endpoints cap result sizes (Virtuoso's ResultSetMaxRows and the like), so:
//! - the listing advances by the rows actually received and stops only at an
//!   empty page, so a capped page costs a request, not records;
//! - a CONSTRUCT response in which a requested record has no triple was cut
//!   short: the batch is split in halves and asked again, and responses as
//!   large as the cut one are treated as cut too (as are round-number sizes,
//!   1000, 10000, ..., the usual caps);
//! - a single record that still comes back cut fails the run.

use super::{HarvestError, PageContext, PageSink, ParsedPage};
use crate::config::{Location, SourceConfig};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Records listed by default: the four DCAT record kinds, with IRIs.
pub const DEFAULT_DATASET_QUERY: &str = "PREFIX dcat: <http://www.w3.org/ns/dcat#>
SELECT DISTINCT ?dataset WHERE {
  VALUES ?type { dcat:Dataset dcat:DatasetSeries dcat:DataService dcat:Catalog }
  ?dataset a ?type .
  FILTER(isIRI(?dataset))
}";

/// The placeholder of a configured `dataset_query` for incremental runs:
/// replaced by a string literal of the day (`"YYYY-MM-DD"`) before the last
/// successful run started, or by `""` on a full run, so that
/// `FILTER(STR(?modified) >= $modified_since)` lists changed records only
/// when the run is incremental. (`$modified_since` is a SPARQL variable
/// name, so such a query still parses as written.)
pub const MODIFIED_SINCE: &str = "$modified_since";

/// The default listing of an incremental run: the records modified since
/// the day before the last successful run (the lexical form is compared, so
/// `xsd:date` and `xsd:dateTime` values both work, time zones within a day
/// of slack), and those without `dct:modified`, which cannot be ruled out.
pub const DEFAULT_INCREMENTAL_DATASET_QUERY: &str = "PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT DISTINCT ?dataset WHERE {
  VALUES ?type { dcat:Dataset dcat:DatasetSeries dcat:DataService dcat:Catalog }
  ?dataset a ?type .
  FILTER(isIRI(?dataset))
  OPTIONAL { ?dataset dct:modified ?modified }
  FILTER(!BOUND(?modified) || STR(?modified) >= $modified_since)
}";

/// The listing query of a run, incremental when `since` is set.
pub fn listing_query(
    configured: Option<&str>,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let day = since.map(|since| {
        let day = since - chrono::Duration::days(1);
        format!("\"{}\"", day.format("%Y-%m-%d"))
    });
    match (configured, day) {
        (Some(query), Some(day)) => query.replace(MODIFIED_SINCE, &day),
        (Some(query), None) => query.replace(MODIFIED_SINCE, "\"\""),
        (None, Some(day)) => DEFAULT_INCREMENTAL_DATASET_QUERY.replace(MODIFIED_SINCE, &day),
        (None, None) => DEFAULT_DATASET_QUERY.to_string(),
    }
}

/// Each record with what it says, the blank nodes under it (two levels), and
/// the distributions, agents, contact points and the like it links to.
pub const DEFAULT_QUERY: &str = "PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX adms: <http://www.w3.org/ns/adms#>
PREFIX spdx: <http://spdx.org/rdf/terms#>
CONSTRUCT { ?dataset ?p ?o . ?o ?p2 ?o2 . ?o2 ?p3 ?o3 . }
WHERE {
  ?dataset ?p ?o .
  OPTIONAL {
    ?o ?p2 ?o2 .
    FILTER(isBlank(?o) || ?p IN (dcat:distribution, dct:publisher, dcat:contactPoint,
      dct:creator, dct:rightsHolder, dcat:qualifiedRelation, prov:qualifiedAttribution,
      adms:identifier, dct:temporal, dct:provenance, dct:rights))
    OPTIONAL { ?o2 ?p3 ?o3 . FILTER(isBlank(?o2)) }
  }
}";

pub const DEFAULT_PAGE_SIZE: usize = 1000;
/// Records per CONSTRUCT request.
const DESCRIBE_BATCH: usize = 50;

const ACCEPT_RESULTS: &str = "application/sparql-results+json";
const ACCEPT_GRAPH: &str =
    "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5, application/ld+json;q=0.4";

pub async fn collect(
    pages: &PageContext,
    source: &SourceConfig,
    location: &Location,
    progress: &AtomicUsize,
    sink: &mut PageSink,
) -> Result<(), HarvestError> {
    let Location::Remote(endpoint) = location else {
        return Err(HarvestError::Internal(
            "a sparql source needs an http(s) endpoint".into(),
        ));
    };
    let mut walk = Walk {
        pages,
        endpoint,
        construct: source.query.as_deref().unwrap_or(DEFAULT_QUERY),
        requests: 0,
        max_requests: source.max_pages(),
        suspected_cap: None,
        described: 0,
        sink,
        progress,
    };
    let incremental = pages.modified_since.is_some();
    let listing = listing_query(source.dataset_query.as_deref(), pages.modified_since);
    let page_size = source.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    let mut seen: HashSet<String> = HashSet::new();
    let mut offset = 0usize;
    loop {
        let query = format!("{listing}\nORDER BY ?dataset\nLIMIT {page_size}\nOFFSET {offset}");
        let body = walk.post(&query, ACCEPT_RESULTS).await?;
        let iris = dataset_iris(&body.bytes).map_err(|message| HarvestError::Protocol {
            location: endpoint.to_string(),
            message: format!("the record listing at OFFSET {offset}: {message}"),
        })?;
        if iris.is_empty() {
            break;
        }
        offset += iris.len();
        let fresh: Vec<String> = iris
            .into_iter()
            .filter(|i| seen.insert(i.clone()))
            .collect();
        if fresh.is_empty() {
            return Err(HarvestError::Paging {
                location: endpoint.to_string(),
                message: format!(
                    "the record listing at OFFSET {offset} repeats records already listed \
                     (does the endpoint ignore OFFSET?); the run is incomplete"
                ),
            });
        }
        for batch in fresh.chunks(DESCRIBE_BATCH) {
            walk.describe(batch.to_vec()).await?;
        }
    }
    // An incremental run may rightly find nothing changed.
    if walk.described == 0 && !incremental {
        return Err(HarvestError::NoRecords {
            location: endpoint.to_string(),
        });
    }
    Ok(())
}

struct Walk<'a> {
    pages: &'a PageContext,
    endpoint: &'a url::Url,
    construct: &'a str,
    requests: usize,
    max_requests: usize,
    suspected_cap: Option<usize>,
    /// CONSTRUCT responses handed on.
    described: usize,
    /// Where each CONSTRUCT response goes as a page of its own: a batch's
    /// records come with what they link to, so no page waits for another.
    sink: &'a mut PageSink,
    progress: &'a AtomicUsize,
}

impl Walk<'_> {
    async fn post(
        &mut self,
        query: &str,
        accept: &'static str,
    ) -> Result<super::fetch::FetchedDocument, HarvestError> {
        if self.requests >= self.max_requests {
            return Err(HarvestError::Paging {
                location: self.endpoint.to_string(),
                message: format!(
                    "more than {} requests (max_pages); the run is incomplete",
                    self.max_requests
                ),
            });
        }
        self.requests += 1;
        let page = self
            .pages
            .fetcher
            .post_form(
                self.endpoint,
                vec![("query".to_string(), query.to_string())],
                accept,
            )
            .await?;
        Ok(page.document)
    }

    /// Describes a batch of records, splitting it while responses look cut.
    async fn describe(&mut self, batch: Vec<String>) -> Result<(), HarvestError> {
        let mut queue = vec![batch];
        while let Some(batch) = queue.pop() {
            let values: String = batch.iter().map(|iri| format!("<{iri}> ")).collect();
            let query = format!("{}\nVALUES ?dataset {{ {values}}}", self.construct);
            let document = self.post(&query, ACCEPT_GRAPH).await?;
            let (document, format, triples) = self.pages.parse(document, None).await?;
            let subjects: HashSet<&str> = triples
                .iter()
                .filter_map(|t| match &t.subject {
                    oxrdf::NamedOrBlankNode::NamedNode(n) => Some(n.as_str()),
                    _ => None,
                })
                .collect();
            let missing: Vec<&String> = batch
                .iter()
                .filter(|iri| !subjects.contains(iri.as_str()))
                .collect();
            let count = triples.len();
            let cut = !missing.is_empty()
                || self.suspected_cap.is_some_and(|cap| count >= cap)
                || (count >= 1000 && count % 1000 == 0);
            if cut {
                if !missing.is_empty() {
                    self.suspected_cap = Some(self.suspected_cap.map_or(count, |c| c.min(count)));
                }
                if batch.len() > 1 {
                    let (left, right) = batch.split_at(batch.len() / 2);
                    queue.push(right.to_vec());
                    queue.push(left.to_vec());
                    continue;
                }
                if !missing.is_empty() || self.suspected_cap.is_some_and(|cap| count >= cap) {
                    return Err(HarvestError::Protocol {
                        location: self.endpoint.to_string(),
                        message: format!(
                            "the description of <{}> came back empty or cut at {count} triples \
                             (a result-size cap of the endpoint?); the run is incomplete",
                            batch[0]
                        ),
                    });
                }
            }
            self.described += 1;
            self.sink
                .push(ParsedPage {
                    location: document.location,
                    format: format.media_type().to_string(),
                    triples,
                })
                .await?;
            self.progress.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// The `?dataset` IRIs of SPARQL JSON results.
fn dataset_iris(body: &[u8]) -> Result<Vec<String>, String> {
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("not SPARQL JSON results: {e}"))?;
    let bindings = json["results"]["bindings"]
        .as_array()
        .ok_or("not SPARQL JSON results: no results.bindings")?;
    let mut iris = Vec::with_capacity(bindings.len());
    for binding in bindings {
        let term = &binding["dataset"];
        if term["type"].as_str() != Some("uri") {
            continue; // blank nodes cannot be asked for again by name
        }
        if let Some(iri) = term["value"].as_str() {
            if oxrdf::NamedNode::new(iri).is_ok() {
                iris.push(iri.to_string());
            }
        }
    }
    Ok(iris)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_queries_parse_with_values_appended() {
        let listing = format!("{DEFAULT_DATASET_QUERY}\nORDER BY ?dataset\nLIMIT 10\nOFFSET 0");
        spargebra::SparqlParser::new()
            .parse_query(&listing)
            .unwrap();
        let construct =
            format!("{DEFAULT_QUERY}\nVALUES ?dataset {{ <https://x.org/a> <https://x.org/b> }}");
        spargebra::SparqlParser::new()
            .parse_query(&construct)
            .unwrap();
    }

    #[test]
    fn incremental_listing_filters_by_the_day_before() {
        let since = chrono::DateTime::parse_from_rfc3339("2024-03-01T00:30:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let listing = listing_query(None, Some(since));
        assert!(listing.contains(">= \"2024-02-29\""), "{listing}");
        spargebra::SparqlParser::new()
            .parse_query(&format!("{listing}\nORDER BY ?dataset\nLIMIT 10\nOFFSET 0"))
            .unwrap();
        let configured = "SELECT ?dataset WHERE { ?dataset <http://purl.org/dc/terms/modified> ?m FILTER(STR(?m) >= $modified_since) }";
        assert!(listing_query(Some(configured), None).contains(">= \"\""));
        assert!(listing_query(Some(configured), Some(since)).contains(">= \"2024-02-29\""));
        assert_eq!(listing_query(None, None), DEFAULT_DATASET_QUERY);
    }

    #[test]
    fn reads_result_iris() {
        let body = br#"{"head":{"vars":["dataset"]},"results":{"bindings":[
            {"dataset":{"type":"uri","value":"https://x.org/a"}},
            {"dataset":{"type":"bnode","value":"b0"}}]}}"#;
        assert_eq!(dataset_iris(body).unwrap(), vec!["https://x.org/a"]);
        assert!(dataset_iris(b"<html>").is_err());
    }
}
