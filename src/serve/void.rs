//! `GET /sparql` without a query: the SPARQL 1.1 Service Description; and
//! `GET /.well-known/void`: the VoID description of what katalog publishes,
//! with counts per source, per country, per record class and per graph kind.
//!
//! Counts cover what the SPARQL endpoint serves: the published record graphs,
//! the catalogue records graph and the runs graph (never quarantined versions
//! or validation reports).

use super::negotiate::{self, public_base, Representation, Syntax, SD, VOID};
use super::{AppState, ServeError};
use crate::harvest::RecordKind;
use crate::ns;
use crate::store::{CatalogStore, StoreError};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use oxigraph::model::{BlankNode, GraphNameRef, Literal, NamedNode, Triple};
use std::collections::BTreeMap;

const XSD_INTEGER: &str = "http://www.w3.org/2001/XMLSchema#integer";
const FORMATS: &str = "http://www.w3.org/ns/formats/";
const DCT_TITLE: &str = "http://purl.org/dc/terms/title";
const DCT_DESCRIPTION: &str = "http://purl.org/dc/terms/description";

fn iri(value: &str) -> NamedNode {
    NamedNode::new_unchecked(value)
}
fn sd(local: &str) -> NamedNode {
    iri(&format!("{SD}{local}"))
}
fn void(local: &str) -> NamedNode {
    iri(&format!("{VOID}{local}"))
}
fn integer(n: usize) -> Literal {
    Literal::new_typed_literal(n.to_string(), iri(XSD_INTEGER))
}
fn text(value: &str) -> Literal {
    Literal::new_language_tagged_literal_unchecked(value, "en")
}

/// Answers an RDF description in the negotiated syntax.
fn rdf_response(headers: &HeaderMap, triples: &[Triple]) -> Response {
    let syntax = match negotiate::negotiate(headers, false) {
        Ok(Representation::Rdf(syntax)) => syntax,
        Ok(Representation::Html) => Syntax::Turtle,
        Err(error) => return error.into_response(),
    };
    match negotiate::to_bytes(syntax, triples) {
        Ok(body) => {
            let mut response = (StatusCode::OK, body).into_response();
            let out = response.headers_mut();
            out.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(syntax.content_type()),
            );
            out.insert(header::VARY, HeaderValue::from_static("Accept"));
            response
        }
        Err(error) => error.into_response(),
    }
}

/// The service description of `{base}/sparql`.
pub fn service_description(base: &str) -> Vec<Triple> {
    let endpoint = iri(&format!("{base}/sparql"));
    let service = iri(&format!("{base}/sparql#service"));
    let dataset = iri(&format!("{base}/sparql#dataset"));
    let default_graph = iri(&format!("{base}/sparql#default-graph"));
    let rdf_type = iri(ns::RDF_TYPE);
    let mut triples = vec![
        Triple::new(service.clone(), rdf_type.clone(), sd("Service")),
        Triple::new(service.clone(), sd("endpoint"), endpoint),
        Triple::new(service.clone(), sd("supportedLanguage"), sd("SPARQL11Query")),
        Triple::new(service.clone(), sd("feature"), sd("UnionDefaultGraph")),
        Triple::new(service.clone(), sd("feature"), sd("BasicFederatedQuery")),
        Triple::new(service.clone(), sd("defaultDataset"), dataset.clone()),
        Triple::new(dataset.clone(), rdf_type.clone(), sd("Dataset")),
        Triple::new(dataset.clone(), sd("defaultGraph"), default_graph.clone()),
        Triple::new(default_graph.clone(), rdf_type.clone(), sd("Graph")),
        Triple::new(
            default_graph.clone(),
            iri(DCT_DESCRIPTION),
            text("The union of all named graphs: every published record graph, the catalogue records and the harvest runs."),
        ),
        Triple::new(
            default_graph,
            void("inDataset"),
            iri(&format!("{base}/.well-known/void#katalog")),
        ),
        Triple::new(
            service.clone(),
            iri(DCT_DESCRIPTION),
            text("Read-only SPARQL 1.1 Query endpoint of katalog. Updates and SERVICE calls are refused; queries stop at the configured time limit."),
        ),
    ];
    // The graphs named by a fixed IRI; each published record graph is named
    // urn:katalog:record:{id} (listed in the catalogue records graph).
    for (name, description) in [
        (
            ns::RECORDS_GRAPH,
            "Catalogue records: one dcat:CatalogRecord per record with its source, country, state and dates.",
        ),
        (ns::RUNS_GRAPH, "Harvest runs with their counts and validation summaries."),
    ] {
        let named = BlankNode::default();
        let graph = BlankNode::default();
        triples.push(Triple::new(dataset.clone(), sd("namedGraph"), named.clone()));
        triples.push(Triple::new(named.clone(), rdf_type.clone(), sd("NamedGraph")));
        triples.push(Triple::new(named.clone(), sd("name"), iri(name)));
        triples.push(Triple::new(named, sd("graph"), graph.clone()));
        triples.push(Triple::new(graph.clone(), rdf_type.clone(), sd("Graph")));
        triples.push(Triple::new(graph, iri(DCT_DESCRIPTION), text(description)));
    }
    let records = BlankNode::default();
    triples.push(Triple::new(dataset, sd("namedGraph"), records.clone()));
    triples.push(Triple::new(
        records.clone(),
        rdf_type.clone(),
        sd("NamedGraph"),
    ));
    triples.push(Triple::new(
        records.clone(),
        iri(DCT_DESCRIPTION),
        text("Each published record in its own graph, named urn:katalog:record:{id}."),
    ));
    triples.push(Triple::new(
        records,
        void("uriSpace"),
        Literal::from(ns::RECORD_GRAPH_PREFIX),
    ));
    for format in [
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "RDF_XML",
        "JSON-LD",
    ] {
        triples.push(Triple::new(
            service.clone(),
            sd("resultFormat"),
            iri(&format!("{FORMATS}{format}")),
        ));
    }
    triples
}

pub async fn sparql_description(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = public_base(&state.config, &headers);
    rdf_response(&headers, &service_description(&base))
}

/// Counts of one part of what is published.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub triples: usize,
    pub entities: usize,
    pub by_class: BTreeMap<String, usize>,
}

impl Counts {
    fn add(&mut self, kind: Option<RecordKind>, triples: usize) {
        self.triples += triples;
        if let Some(kind) = kind.filter(|k| *k != RecordKind::Unattached) {
            self.entities += 1;
            *self.by_class.entry(kind.class_iri()).or_default() += 1;
        }
    }
}

/// What `/.well-known/void` and `/metrics` count.
#[derive(Debug, Default, Clone)]
pub struct Statistics {
    pub all: Counts,
    pub by_source: BTreeMap<String, (String, Counts)>,
    pub by_country: BTreeMap<String, Counts>,
    /// Graph kind (record, records, runs) → (graphs, triples).
    pub by_graph_kind: BTreeMap<&'static str, (usize, usize)>,
}

pub fn statistics(store: &CatalogStore) -> Result<Statistics, StoreError> {
    let mut stats = Statistics::default();
    store.for_each_published(|entry| {
        let graph = crate::store::record_iri(&entry.id);
        let triples = store
            .oxigraph()
            .quads_for_pattern(
                None,
                None,
                None,
                Some(GraphNameRef::NamedNode(graph.as_ref())),
            )
            .count();
        stats.all.add(entry.kind, triples);
        let source = entry.source.clone().unwrap_or_default();
        let country = entry.country.clone().unwrap_or_default();
        stats
            .by_source
            .entry(source)
            .or_insert_with(|| (country.clone(), Counts::default()))
            .1
            .add(entry.kind, triples);
        stats
            .by_country
            .entry(country)
            .or_default()
            .add(entry.kind, triples);
        let kind = stats.by_graph_kind.entry("record").or_default();
        kind.0 += 1;
        kind.1 += triples;
    })?;
    for (kind, name) in [("records", ns::RECORDS_GRAPH), ("runs", ns::RUNS_GRAPH)] {
        let graph = iri(name);
        let triples = store
            .oxigraph()
            .quads_for_pattern(
                None,
                None,
                None,
                Some(GraphNameRef::NamedNode(graph.as_ref())),
            )
            .count();
        stats.by_graph_kind.insert(kind, (1, triples));
        stats.all.triples += triples;
    }
    Ok(stats)
}

fn describe_counts(triples: &mut Vec<Triple>, node: &NamedNode, counts: &Counts) {
    triples.push(Triple::new(
        node.clone(),
        void("triples"),
        integer(counts.triples),
    ));
    triples.push(Triple::new(
        node.clone(),
        void("entities"),
        integer(counts.entities),
    ));
    for (class, n) in &counts.by_class {
        let partition = BlankNode::default();
        triples.push(Triple::new(
            node.clone(),
            void("classPartition"),
            partition.clone(),
        ));
        triples.push(Triple::new(partition.clone(), void("class"), iri(class)));
        triples.push(Triple::new(partition, void("entities"), integer(*n)));
    }
}

pub fn void_description(base: &str, stats: &Statistics) -> Vec<Triple> {
    let root = iri(&format!("{base}/.well-known/void#katalog"));
    let rdf_type = iri(ns::RDF_TYPE);
    let mut triples = vec![
        Triple::new(root.clone(), rdf_type.clone(), void("Dataset")),
        Triple::new(root.clone(), iri(DCT_TITLE), text("katalog")),
        Triple::new(
            root.clone(),
            iri(DCT_DESCRIPTION),
            text("Health and genomic dataset descriptions harvested from national catalogues (DCAT-AP, HealthDCAT-AP)."),
        ),
        Triple::new(root.clone(), void("sparqlEndpoint"), iri(&format!("{base}/sparql"))),
        Triple::new(root.clone(), void("rootResource"), iri(&format!("{base}/catalog"))),
        Triple::new(root.clone(), void("uriLookupEndpoint"), Literal::from(format!("{base}/datasets/"))),
    ];
    for extension in ["", ".ttl", ".rdf", ".jsonld", ".nt"] {
        triples.push(Triple::new(
            root.clone(),
            void("dataDump"),
            iri(&format!("{base}/catalog{extension}")),
        ));
    }
    for vocabulary in [
        "http://www.w3.org/ns/dcat#",
        "http://purl.org/dc/terms/",
        "http://xmlns.com/foaf/0.1/",
        "http://www.w3.org/2006/vcard/ns#",
        "http://healthdataportal.eu/ns/health#",
        ns::KAT,
    ] {
        triples.push(Triple::new(
            root.clone(),
            void("vocabulary"),
            iri(vocabulary),
        ));
    }
    describe_counts(&mut triples, &root, &stats.all);
    let subset = |triples: &mut Vec<Triple>, local: String| {
        let node = iri(&format!("{base}/.well-known/void#{local}"));
        triples.push(Triple::new(root.clone(), void("subset"), node.clone()));
        triples.push(Triple::new(node.clone(), rdf_type.clone(), void("Dataset")));
        node
    };
    for (source, (country, counts)) in &stats.by_source {
        let node = subset(&mut triples, format!("source-{source}"));
        triples.push(Triple::new(
            node.clone(),
            iri(DCT_TITLE),
            text(&format!("Source {source}")),
        ));
        triples.push(Triple::new(
            node.clone(),
            iri(&ns::kat("sourceName")),
            Literal::from(source.as_str()),
        ));
        triples.push(Triple::new(
            node.clone(),
            iri(&ns::kat("country")),
            Literal::from(country.as_str()),
        ));
        describe_counts(&mut triples, &node, counts);
    }
    for (country, counts) in &stats.by_country {
        let node = subset(&mut triples, format!("country-{country}"));
        triples.push(Triple::new(
            node.clone(),
            iri(DCT_TITLE),
            text(&format!("Country {country}")),
        ));
        triples.push(Triple::new(
            node.clone(),
            iri(&ns::kat("country")),
            Literal::from(country.as_str()),
        ));
        describe_counts(&mut triples, &node, counts);
    }
    for (kind, (graphs, count)) in &stats.by_graph_kind {
        let node = subset(&mut triples, format!("graphs-{kind}"));
        let description = match *kind {
            "record" => "The published record graphs, urn:katalog:record:{id}.".to_string(),
            other => format!("The graph urn:katalog:graph:{other}."),
        };
        triples.push(Triple::new(
            node.clone(),
            iri(DCT_DESCRIPTION),
            text(&description),
        ));
        triples.push(Triple::new(
            node.clone(),
            iri(&ns::kat("graphs")),
            integer(*graphs),
        ));
        triples.push(Triple::new(node.clone(), void("triples"), integer(*count)));
    }
    triples
}

pub async fn void_document(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = public_base(&state.config, &headers);
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || statistics(&store)).await {
        Ok(Ok(stats)) => rdf_response(&headers, &void_description(&base, &stats)),
        Ok(Err(error)) => ServeError::Internal(error.to_string()).into_response(),
        Err(error) => ServeError::Internal(error.to_string()).into_response(),
    }
}
