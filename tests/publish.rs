//! End-to-end tests of what katalog publishes: the DCAT-AP export and a
//! second katalog harvesting it, the record pages, the service descriptions
//! and the operations endpoints. One harvest of the fixtures serves them all.

mod common;

use common::*;
use oxigraph::io::{RdfFormat, RdfParser};
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxrdf::{BlankNode, Graph, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use std::collections::{BTreeMap, BTreeSet};

const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";
const DCAT_DATASET: &str = "http://www.w3.org/ns/dcat#Dataset";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const PRIMARY_TOPIC: &str = "http://xmlns.com/foaf/0.1/primaryTopic";

fn parse(bytes: &[u8], format: RdfFormat) -> Graph {
    RdfParser::from_format(format)
        .for_slice(bytes)
        .map(|q| Triple::from(q.expect("valid RDF")))
        .collect()
}

fn objects(graph: &Graph, subject: &str, predicate: &str) -> Vec<Term> {
    let s = NamedNode::new_unchecked(subject);
    let p = NamedNode::new_unchecked(predicate);
    graph
        .objects_for_subject_predicate(&s, &p)
        .map(|t| t.into_owned())
        .collect()
}

fn subjects_of_type(graph: &Graph, class: &str) -> BTreeSet<String> {
    let p = NamedNode::new_unchecked(RDF_TYPE);
    let c = NamedNode::new_unchecked(class);
    graph
        .subjects_for_predicate_object(&p, &c)
        .map(|s| s.to_string())
        .collect()
}

async fn fetch(url: &str, accept: Option<&str>) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = client().get(url);
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let response = request.send().await.expect("GET");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.bytes().await.expect("body").to_vec(),
    )
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// A term of SPARQL JSON results.
fn term(binding: &serde_json::Value) -> Term {
    let value = binding["value"].as_str().unwrap_or_default();
    match binding["type"].as_str() {
        Some("uri") => NamedNode::new_unchecked(value).into(),
        Some("bnode") => BlankNode::new_unchecked(value).into(),
        _ => match (binding["xml:lang"].as_str(), binding["datatype"].as_str()) {
            (Some(lang), _) => Literal::new_language_tagged_literal_unchecked(value, lang).into(),
            (None, Some(datatype)) => {
                Literal::new_typed_literal(value, NamedNode::new_unchecked(datatype)).into()
            }
            _ => Literal::new_simple_literal(value).into(),
        },
    }
}

const RECORD_CONTENT: &str = r#"
PREFIX kat: <https://w3id.org/katalog/ns#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?res ?s ?p ?o WHERE {
  GRAPH <urn:katalog:graph:records> {
    ?g foaf:primaryTopic ?res ; kat:state "published" ; kat:recordType ?kind .
    FILTER(?kind != kat:Unattached)
  }
  GRAPH ?g { ?s ?p ?o }
}"#;

/// Every published record's graph, canonicalised, by resource IRI.
async fn record_graphs(server: &Server) -> BTreeMap<String, Graph> {
    let mut graphs: BTreeMap<String, Graph> = BTreeMap::new();
    for row in select(server, RECORD_CONTENT).await {
        let subject = match term(&row["s"]) {
            Term::NamedNode(n) => NamedOrBlankNode::NamedNode(n),
            Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b),
            other => panic!("subject {other}"),
        };
        let Term::NamedNode(predicate) = term(&row["p"]) else {
            panic!("predicate")
        };
        graphs
            .entry(value(&row, "res").to_string())
            .or_default()
            .insert(&Triple::new(subject, predicate, term(&row["o"])));
    }
    for graph in graphs.values_mut() {
        graph.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
            hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
        });
    }
    graphs
}

/// Published records per kind label, summed over sources, from /health.
async fn counts_by_kind(server: &Server) -> BTreeMap<String, u64> {
    let health: serde_json::Value = get(&server.url("/health")).await.json().await.unwrap();
    let mut counts = BTreeMap::new();
    for kinds in health["sources"].as_object().unwrap().values() {
        for (kind, n) in kinds.as_object().unwrap() {
            *counts.entry(kind.clone()).or_default() += n.as_u64().unwrap();
        }
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn export_pages_and_a_second_katalog_round_trips() {
    let data = tempfile::tempdir().unwrap();
    let harvested = katalog(data.path(), &["harvest"]);
    assert!(harvested.status.success(), "{}", stderr(&harvested));
    let server = Server::start(data.path(), &[]);
    let base = server.base.clone();

    // One page holding everything.
    let (status, headers, body) = fetch(&server.url("/catalog.ttl?size=1000"), None).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(header(&headers, "content-type").starts_with("text/turtle"));
    let all = parse(&body, RdfFormat::Turtle);
    let catalog = format!("{base}/catalog");
    let total = match objects(&all, &catalog, &format!("{HYDRA}totalItems")).first() {
        Some(Term::Literal(l)) => l.value().parse::<usize>().unwrap(),
        other => panic!("no hydra:totalItems: {other:?}"),
    };
    let view = format!("{base}/catalog.ttl?page=1&size=1000");
    assert_eq!(
        objects(&all, &catalog, &format!("{HYDRA}view")),
        vec![Term::from(NamedNode::new_unchecked(&view))]
    );
    assert!(
        subjects_of_type(&all, &format!("{HYDRA}PartialCollectionView"))
            .contains(&format!("<{view}>"))
    );
    assert!(objects(&all, &view, &format!("{HYDRA}next")).is_empty());
    let parts = objects(&all, &catalog, "http://purl.org/dc/terms/hasPart");
    assert!(parts.len() >= 5, "national catalogues: {parts:?}");
    let datasets = subjects_of_type(&all, DCAT_DATASET);
    let health: serde_json::Value = get(&server.url("/health")).await.json().await.unwrap();
    assert_eq!(datasets.len() as u64, health["datasets"].as_u64().unwrap());
    // Quarantined content never leaves.
    for iri in [
        "https://data.socialstyrelsen.se/dataset/dodsorsaksregistret",
        "https://data.nivel.nl/dataset/zorgregistraties-eerste-lijn-diabetes",
    ] {
        let node = NamedNode::new_unchecked(iri);
        assert_eq!(all.triples_for_subject(&node).count(), 0, "{iri} exported");
    }
    // Literals as harvested (xsd:nonNegativeInteger is not rewritten to xsd:integer).
    assert!(!String::from_utf8_lossy(&body).contains("urn:katalog:lexical:"));

    // Small pages: links, stable order, and together the same records.
    let mut seen = BTreeSet::new();
    let mut next = Some(server.url("/catalog.nt?size=7"));
    let mut pages = 0;
    while let Some(url) = next.take() {
        let (status, headers, body) = fetch(&url, None).await;
        assert_eq!(status, 200, "{url}");
        assert!(header(&headers, "link").contains("rel=\"first\""));
        let page = parse(&body, RdfFormat::NTriples);
        let topics: BTreeSet<String> = page
            .triples_for_predicate(&NamedNode::new_unchecked(PRIMARY_TOPIC))
            .map(|t| t.subject.to_string())
            .collect();
        assert!(topics.len() <= 7);
        for record in topics {
            assert!(seen.insert(record), "a record on two pages");
        }
        let this = url.replace("/catalog.nt?size=7", "/catalog.nt?page=1&size=7");
        let views = subjects_of_type(&page, &format!("{HYDRA}PagedCollection"));
        assert_eq!(views.len(), 1, "{views:?}");
        let view = views.into_iter().next().unwrap();
        let view = view.trim_matches(['<', '>']);
        if pages == 0 {
            assert_eq!(view, this);
        }
        next = objects(&page, view, &format!("{HYDRA}next"))
            .first()
            .map(|t| match t {
                Term::NamedNode(n) => n.as_str().to_string(),
                other => panic!("hydra:next {other}"),
            });
        // ckanext-dcat reads the literal form.
        let literal = objects(&page, view, &format!("{HYDRA}nextPage"));
        assert_eq!(literal.len(), usize::from(next.is_some()));
        pages += 1;
        assert!(pages < 1000);
    }
    assert_eq!(pages, total.div_ceil(7));
    let records_on_one_page = all
        .triples_for_predicate(&NamedNode::new_unchecked(PRIMARY_TOPIC))
        .count();
    assert_eq!(seen.len(), records_on_one_page);

    // Negotiation and parameters.
    for (accept, media) in [
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("text/turtle", "text/turtle"),
    ] {
        let (status, headers, body) = fetch(&server.url("/catalog?size=5"), Some(accept)).await;
        assert_eq!(status, 200);
        assert!(header(&headers, "content-type").starts_with(media));
        assert_eq!(header(&headers, "vary"), "Accept");
        let format = RdfFormat::from_media_type(media).unwrap();
        assert!(parse(&body, format).len() > 10, "{media}");
    }
    let (status, _, _) = fetch(&server.url("/catalog"), Some("image/png")).await;
    assert_eq!(status, 406);
    for (query, name) in [
        ("size=0", "size"),
        ("size=100000", "size"),
        ("page=-1", "page"),
        ("modified_since=last-week", "modified_since"),
    ] {
        let (status, _, body) = fetch(&server.url(&format!("/catalog?{query}")), None).await;
        assert_eq!(status, 400, "{query}");
        assert!(String::from_utf8_lossy(&body).starts_with(name), "{query}");
    }
    let (_, _, future) = fetch(&server.url("/catalog.nt?modified_since=2999-01-01"), None).await;
    let future = parse(&future, RdfFormat::NTriples);
    assert_eq!(
        objects(&future, &catalog, &format!("{HYDRA}totalItems")),
        vec![Term::from(Literal::new_typed_literal(
            "0",
            NamedNode::new_unchecked("http://www.w3.org/2001/XMLSchema#integer")
        ))]
    );
    assert_eq!(subjects_of_type(&future, DCAT_DATASET).len(), 0);
    let (_, _, past) = fetch(
        &server.url("/catalog.nt?size=1000&modified_since=2000-01-01T00:00:00Z"),
        None,
    )
    .await;
    assert_eq!(
        subjects_of_type(&parse(&past, RdfFormat::NTriples), DCAT_DATASET),
        datasets
    );

    // A second katalog harvests the first one's export (one page: until the
    // harvester follows Hydra links, the page must hold everything).
    let second_data = tempfile::tempdir().unwrap();
    let config = second_data.path().join("katalog.toml");
    std::fs::write(
        &config,
        format!(
            "[[source]]\nname = \"eu\"\ncountry = \"EU\"\nkind = \"rdf\"\nurl = \"{}\"\nallow_private_network = true\n",
            server.url("/catalog.ttl?size=1000")
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let out = katalog(second_data.path(), &["harvest", "--config", config]);
    assert_eq!(summary_row(&out, "eu")[1], "success", "{}", stdout(&out));
    let second = Server::start(second_data.path(), &["--config", config]);

    let first_graphs = record_graphs(&server).await;
    let second_graphs = record_graphs(&second).await;
    for (resource, graph) in &first_graphs {
        let Some(copy) = second_graphs.get(resource) else {
            panic!("{resource} is missing from the second katalog")
        };
        assert!(
            graph == copy,
            "{resource} differs:\nfirst:\n{graph}\nsecond:\n{copy}"
        );
    }
    let extra: Vec<&String> = second_graphs
        .keys()
        .filter(|r| !first_graphs.contains_key(*r))
        .collect();
    assert_eq!(extra, vec![&catalog], "only katalog's own catalogue is new");
    let (first_counts, mut second_counts) =
        (counts_by_kind(&server).await, counts_by_kind(&second).await);
    *second_counts.get_mut("catalog").unwrap() -= 1;
    second_counts.remove("unattached triples");
    let mut first_counts = first_counts;
    first_counts.remove("unattached triples");
    assert_eq!(first_counts, second_counts);
}
