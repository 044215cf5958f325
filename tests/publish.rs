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

const SMALL: &str = r#"
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://example.no/cat> a dcat:Catalog ; dct:title "Katalog"@nb ;
  dcat:dataset <https://example.no/a>, <https://example.no/b>, _:c .
<https://example.no/a> a dcat:Dataset ; dct:title "Alpha"@en ;
  <https://example.no/n> "105"^^xsd:nonNegativeInteger .
<https://example.no/b> a dcat:Dataset ; dct:title "Beta"@en .
_:c a dcat:Dataset ; dct:title "Gamma <script>"@en .
"#;

#[tokio::test(flavor = "multi_thread")]
async fn records_dereference_and_services_describe_themselves() {
    let data = tempfile::tempdir().unwrap();
    let document = data.path().join("small.ttl");
    std::fs::write(&document, SMALL).unwrap();
    let config = data.path().join("katalog.toml");
    std::fs::write(
        &config,
        "[[source]]\nname = \"t\"\ncountry = \"NO\"\nurl = \"small.ttl\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let out = katalog(data.path(), &["harvest", "--config", config]);
    assert_eq!(summary_row(&out, "t")[1], "success", "{}", stdout(&out));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let between = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    std::thread::sleep(std::time::Duration::from_millis(20));
    // b disappears from the source: a tombstone.
    std::fs::write(
        &document,
        SMALL.replace("<https://example.no/b>, ", "").replace(
            "<https://example.no/b> a dcat:Dataset ; dct:title \"Beta\"@en .",
            "",
        ),
    )
    .unwrap();
    let out = katalog(data.path(), &["harvest", "--config", config]);
    assert_eq!(summary_row(&out, "t")[1], "success", "{}", stdout(&out));
    let server = Server::start(data.path(), &["--config", config]);
    let a = katalog::harvest::record::record_id("t", "https://example.no/a");
    let b = katalog::harvest::record::record_id("t", "https://example.no/b");

    // A record by Accept, with its alternates.
    let (status, headers, body) =
        fetch(&server.url(&format!("/datasets/{a}")), Some("text/turtle")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "vary"), "Accept");
    let link = header(&headers, "link");
    for extension in ["ttl", "rdf", "jsonld", "nt"] {
        assert!(
            link.contains(&format!("/datasets/{a}.{extension}>; rel=\"alternate\"")),
            "{link}"
        );
    }
    assert!(
        link.contains(&format!("{}/datasets/{a}>; rel=\"canonical\"", server.base)),
        "{link}"
    );
    let graph = parse(&body, RdfFormat::Turtle);
    assert_eq!(
        objects(&graph, "https://example.no/a", "https://example.no/n"),
        vec![Term::from(Literal::new_typed_literal(
            "105",
            NamedNode::new_unchecked("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")
        ))]
    );
    assert_eq!(
        objects(
            &graph,
            &format!("{}/datasets/{a}", server.base),
            PRIMARY_TOPIC
        ),
        vec![Term::from(NamedNode::new_unchecked("https://example.no/a"))]
    );
    for (accept, format) in [
        ("application/rdf+xml", RdfFormat::RdfXml),
        ("application/n-triples", RdfFormat::NTriples),
        (
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: oxigraph::io::JsonLdProfileSet::empty(),
            },
        ),
    ] {
        let (status, headers, body) =
            fetch(&server.url(&format!("/datasets/{a}")), Some(accept)).await;
        assert_eq!(status, 200);
        assert!(header(&headers, "content-type").starts_with(accept));
        assert_eq!(parse(&body, format), graph, "{accept}");
    }
    let (status, headers, body) = fetch(&server.url(&format!("/datasets/{a}.nt")), None).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "vary"), "");
    assert_eq!(parse(&body, RdfFormat::NTriples), graph);
    // Browsers get a page.
    let (status, headers, body) = fetch(
        &server.url(&format!("/datasets/{a}")),
        Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").starts_with("text/html"));
    let html = String::from_utf8_lossy(&body);
    assert!(
        html.contains("<h1>Alpha</h1>")
            && html.contains("<dt title=\"http://purl.org/dc/terms/title\">Title</dt>"),
        "{html}"
    );
    // Unknown, malformed and deleted.
    for path in [
        "/datasets/0123456789abcdef0123",
        "/datasets/..%2Fetc",
        "/datasets/zz",
    ] {
        assert_eq!(fetch(&server.url(path), None).await.0, 404, "{path}");
    }
    let (status, _, body) = fetch(&server.url(&format!("/datasets/{b}")), None).await;
    assert_eq!(status, 410);
    let tombstone = parse(&body, RdfFormat::Turtle);
    let record = format!("{}/datasets/{b}", server.base);
    assert_eq!(
        objects(&tombstone, &record, "http://www.w3.org/ns/adms#status"),
        vec![Term::from(NamedNode::new_unchecked(
            "http://purl.org/adms/changetype/deleted"
        ))]
    );
    assert_eq!(
        objects(&tombstone, &record, "https://w3id.org/katalog/ns#deletedAt").len(),
        1
    );

    // The export announces the tombstone; modified_since lists only what changed.
    let (_, _, body) = fetch(
        &server.url(&format!(
            "/catalog.nt?modified_since={}",
            between.replace('+', "%2B")
        )),
        None,
    )
    .await;
    let changed = parse(&body, RdfFormat::NTriples);
    let topics: BTreeSet<String> = changed
        .triples_for_predicate(&NamedNode::new_unchecked(PRIMARY_TOPIC))
        .map(|t| t.object.to_string())
        .collect();
    assert!(topics.contains("<https://example.no/b>"), "{topics:?}");
    assert!(topics.contains("<https://example.no/cat>"), "{topics:?}");
    assert!(!topics.contains("<https://example.no/a>"), "{topics:?}");
    assert_eq!(
        objects(&changed, &record, "https://w3id.org/katalog/ns#state").len(),
        1
    );

    // The blank-node dataset's skolem IRI dereferences under the base URL.
    let (_, _, body) = fetch(&server.url("/catalog.nt"), None).await;
    let all = parse(&body, RdfFormat::NTriples);
    let gamma = all
        .triples_for_predicate(&NamedNode::new_unchecked("http://purl.org/dc/terms/title"))
        .find(|t| matches!(&t.object, oxrdf::TermRef::Literal(l) if l.value().starts_with("Gamma")))
        .map(|t| t.subject.to_string())
        .expect("Gamma exported");
    let gamma = gamma.trim_matches(['<', '>']);
    let path = &gamma[gamma.find("/.well-known/genid/").expect("skolem IRI")..];
    let (status, headers, body) = fetch(&server.url(path), Some("text/html")).await;
    assert_eq!(status, 200, "{path}");
    assert!(header(&headers, "link").contains("rel=\"describedby\""));
    let html = String::from_utf8_lossy(&body);
    assert!(
        html.contains("Gamma &lt;script&gt;") && !html.contains("<script>"),
        "{html}"
    );

    // SPARQL Service Description and VoID.
    let (status, headers, body) = fetch(&server.url("/sparql"), None).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").starts_with("text/turtle"));
    let sd = parse(&body, RdfFormat::Turtle);
    let sdns = "http://www.w3.org/ns/sparql-service-description#";
    let service = format!("{}/sparql#service", server.base);
    assert_eq!(
        objects(&sd, &service, &format!("{sdns}endpoint")),
        vec![Term::from(NamedNode::new_unchecked(server.url("/sparql")))]
    );
    assert_eq!(
        objects(&sd, &service, &format!("{sdns}supportedLanguage")),
        vec![Term::from(NamedNode::new_unchecked(format!(
            "{sdns}SPARQL11Query"
        )))]
    );
    let (_, _, body) = fetch(&server.url("/sparql"), Some("application/ld+json")).await;
    assert!(!parse(
        &body,
        RdfFormat::JsonLd {
            profile: oxigraph::io::JsonLdProfileSet::empty()
        }
    )
    .is_empty());
    let (status, _, body) = fetch(&server.url("/.well-known/void"), None).await;
    assert_eq!(status, 200);
    let void = parse(&body, RdfFormat::Turtle);
    let vns = "http://rdfs.org/ns/void#";
    let root = format!("{}/.well-known/void#katalog", server.base);
    let number = |subject: &str, local: &str| match objects(
        &void,
        subject,
        &format!("{vns}{local}"),
    )
    .first()
    {
        Some(Term::Literal(l)) => l.value().parse::<usize>().unwrap(),
        other => panic!("{subject} {local}: {other:?}"),
    };
    assert_eq!(number(&root, "entities"), 3, "cat, a and Gamma");
    assert_eq!(
        number(
            &format!("{}/.well-known/void#country-NO", server.base),
            "entities"
        ),
        3
    );
    assert_eq!(
        number(
            &format!("{}/.well-known/void#source-t", server.base),
            "entities"
        ),
        3
    );
    assert!(
        number(
            &format!("{}/.well-known/void#graphs-record", server.base),
            "triples"
        ) >= 8
    );
    assert!(
        number(&root, "triples")
            > number(
                &format!("{}/.well-known/void#graphs-record", server.base),
                "triples"
            )
    );
    assert_eq!(
        objects(&void, &root, &format!("{vns}sparqlEndpoint")),
        vec![Term::from(NamedNode::new_unchecked(server.url("/sparql")))]
    );

    // Operations.
    let metrics = String::from_utf8(fetch(&server.url("/metrics"), None).await.2).unwrap();
    for expected in [
        "katalog_http_requests_total{method=\"GET\",route=\"/datasets/{file}\",status=\"200\"}",
        "katalog_http_requests_total{method=\"GET\",route=\"/datasets/{file}\",status=\"410\"}",
        "katalog_http_request_duration_seconds_bucket{method=\"GET\",route=\"/catalog.nt\"",
        "katalog_harvest_runs_total{outcome=\"success\",source=\"t\"} 2",
        "katalog_harvest_run_duration_seconds_count{source=\"t\"} 2",
        "katalog_records{source=\"t\",state=\"deleted\"} 1",
        "katalog_records{source=\"t\",state=\"published\"} 3",
        "katalog_disk_bytes{part=\"store\"}",
    ] {
        assert!(
            metrics.contains(expected),
            "{expected} missing from:\n{metrics}"
        );
    }
    let openapi: serde_json::Value = get(&server.url("/api/openapi.json"))
        .await
        .json()
        .await
        .unwrap();
    assert!(openapi["paths"]["/api/sources/{name}/report"].is_object());
}

/// Whether schemathesis stopped on errors of its own (its "Runtime Error"s)
/// while every test case it generated passed against the server: its
/// summary's line under "Test cases:" reads "N generated, N passed".
fn crashed_inside_schemathesis(report: &str) -> bool {
    let all_passed = report
        .lines()
        .skip_while(|line| line.trim() != "Test cases:")
        .nth(1)
        .and_then(|line| {
            let (generated, passed) = line.trim().split_once(" generated, ")?;
            let passed = passed.strip_suffix(" passed")?;
            Some(generated == passed)
        })
        .unwrap_or(false);
    report.contains("Runtime Error") && all_passed
}

/// The OpenAPI document against the running server, with schemathesis
/// (`pip install schemathesis`; `.ci/run` installs it).
#[tokio::test(flavor = "multi_thread")]
async fn openapi_document_holds_against_the_server() {
    let found = std::process::Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "SKIPPED: schemathesis is not installed (pip install schemathesis); CI installs it"
        );
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let harvested = katalog(data.path(), &["harvest"]);
    assert!(harvested.status.success(), "{}", stderr(&harvested));
    let server = Server::start(data.path(), &[]);
    let run = || {
        std::process::Command::new("schemathesis")
            .args(["run", &server.url("/api/openapi.json")])
            .args(["--checks", "all", "--max-examples", "25", "--workers", "2"])
            // Random text is not RDF: a 400 for a "valid" string body is right.
            .args(["--exclude-checks", "positive_data_acceptance"])
            .env("SCHEMATHESIS_HOOKS", "")
            .output()
            .expect("schemathesis runs")
    };
    let mut out = run();
    if crashed_inside_schemathesis(&stdout(&out)) {
        // Seen once in about ten runs: a CPython "AST constructor recursion
        // depth mismatch" and a KeyError in its coverage phase, with every
        // test case passing. Its own crash says nothing about the API.
        eprintln!("schemathesis crashed on its own; running it once more");
        out = run();
    }
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
}
