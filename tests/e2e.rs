//! End-to-end tests: the real `katalog` binary harvests into a temporary
//! data directory, serves on a loopback port, and is queried over HTTP.

mod common;

use common::*;
use oxigraph::io::{RdfFormat, RdfParser, RdfSerializer};
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxrdf::{Graph, Triple};
use std::collections::HashMap;

const COUNT_BY_COUNTRY: &str = r#"
PREFIX kat: <https://w3id.org/katalog/ns#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
SELECT ?country (COUNT(DISTINCT ?dataset) AS ?n) WHERE {
  GRAPH <urn:katalog:graph:records> {
    ?record kat:country ?country ; kat:state "published" ; kat:recordType dcat:Dataset ;
            <http://xmlns.com/foaf/0.1/primaryTopic> ?dataset .
  }
} GROUP BY ?country ORDER BY ?country"#;

fn counts_by_country(rows: &[serde_json::Value]) -> HashMap<String, usize> {
    rows.iter()
        .map(|b| {
            (
                value(b, "country").to_string(),
                value(b, "n").parse().unwrap(),
            )
        })
        .collect()
}

fn parse_graph(bytes: &[u8], format: RdfFormat) -> Graph {
    RdfParser::from_format(format)
        .for_slice(bytes)
        .map(|q| Triple::from(q.expect("valid RDF")))
        .collect()
}

fn canonical(mut graph: Graph) -> Graph {
    graph.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
        hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
    });
    graph
}

#[tokio::test(flavor = "multi_thread")]
async fn fixtures_harvest_serve_and_round_trip() {
    let data = tempfile::tempdir().unwrap();
    let first = katalog(data.path(), &["harvest"]);
    assert!(
        first.status.success(),
        "{}\n{}",
        stdout(&first),
        stderr(&first)
    );
    for source in ["no", "se", "fi", "nl", "dk"] {
        let row = summary_row(&first, source);
        assert_eq!(row[1], "success", "{row:?}");
        assert!(row[2].parse::<usize>().unwrap() > 0, "{row:?}");
    }

    // An unchanged re-harvest rewrites nothing and says so.
    let second = katalog(data.path(), &["harvest"]);
    assert!(second.status.success(), "{}", stderr(&second));
    for source in ["no", "se", "fi", "nl", "dk"] {
        let row = summary_row(&second, source);
        assert_eq!(
            &row[1..6],
            ["unchanged", "0", "0", row[4].as_str(), "0"],
            "{row:?}"
        );
        let first_row = summary_row(&first, source);
        let seen: usize =
            first_row[2].parse::<usize>().unwrap() + first_row[7].parse::<usize>().unwrap();
        assert_eq!(row[4], seen.to_string(), "{row:?}");
    }

    let server = Server::start(data.path(), &[]);
    let health: serde_json::Value = get(&server.url("/health")).await.json().await.unwrap();
    assert_eq!(health["status"], "ok");

    let counts = counts_by_country(&select(&server, COUNT_BY_COUNTRY).await);
    for country in ["NO", "SE", "FI", "NL"] {
        assert!(
            counts.get(country).copied().unwrap_or(0) >= 20,
            "{counts:?}"
        );
    }
    assert!(counts.get("DK").copied().unwrap_or(0) >= 8, "{counts:?}");
    assert!(
        health["datasets"].as_u64().unwrap() as usize >= counts.values().sum::<usize>(),
        "{health}"
    );

    // The gate: the fixtures' deliberate defects are quarantined, out of the
    // public endpoint, and kept in the store with their reports.
    let defective = [
        "https://fdp.gdi.example.no/dataset/576ec5ba-5f9e-53c8-ab36-dc7e35807907",
        "https://fdp.gdi.example.no/dataset/f8328c86-55de-554f-88e7-37aa2c72e2e4",
        "https://data.socialstyrelsen.se/dataset/dodsorsaksregistret",
        "https://data.nivel.nl/dataset/zorgregistraties-eerste-lijn-diabetes",
    ];
    for iri in defective {
        let public = select(
            &server,
            &format!("SELECT * WHERE {{ <{iri}> ?p ?o }} LIMIT 1"),
        )
        .await;
        assert!(public.is_empty(), "{iri} is published");
        let kept = katalog(
            data.path(),
            &[
                "sparql",
                &format!(
                    "PREFIX sh: <http://www.w3.org/ns/shacl#> ASK {{ GRAPH ?g {{ <{iri}> ?p ?o . ?r sh:focusNode <{iri}> }} }}"
                ),
            ],
        );
        assert_eq!(
            stdout(&kept).trim(),
            "true",
            "{iri}: no quarantined version with its report"
        );
    }
    let quarantined: usize = ["no", "se", "fi", "nl", "dk"]
        .iter()
        .map(|s| summary_row(&first, s)[7].parse::<usize>().unwrap())
        .sum();
    assert_eq!(quarantined, 5, "{}", stdout(&first));

    // Stewards see each source's last run, its validation and what is held back.
    let sources: serde_json::Value = get(&server.url("/api/sources")).await.json().await.unwrap();
    let no = sources["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "no")
        .unwrap();
    assert_eq!(no["profile"], "dcat-ap-3");
    assert_eq!(no["last_run"]["outcome"], "unchanged");
    assert_eq!(no["last_run"]["validation"]["with_violations"], 2, "{no}");
    let report: serde_json::Value = get(&server.url("/api/sources/se/report"))
        .await
        .json()
        .await
        .unwrap();
    let held = report["quarantined"].as_array().unwrap();
    assert_eq!(held.len(), 1, "{report}");
    assert_eq!(
        held[0]["resource"],
        "https://data.socialstyrelsen.se/dataset/dodsorsaksregistret"
    );
    assert!(held[0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["severity"] == "Violation" && r["path"] == "http://purl.org/dc/terms/issued"));

    // Quality (DQV) per source and per record, returned with the report.
    let quality = &no["last_run"]["quality"];
    let overall = quality["overall"].as_f64().unwrap_or(-1.0);
    assert!((0.2..=1.0).contains(&overall), "{quality}");
    for dimension in [
        "findability",
        "accessibility",
        "interoperability",
        "reusability",
        "contextuality",
    ] {
        let x = quality[dimension].as_f64().unwrap_or(-1.0);
        assert!((0.0..=1.0).contains(&x), "{dimension}: {quality}");
    }
    assert!(quality["records"].as_u64().unwrap_or(0) >= 20, "{quality}");
    let weakest = quality["weakest"].as_array().unwrap();
    assert!(
        !weakest.is_empty() && weakest.iter().all(|w| w["advice"].is_string()),
        "{quality}"
    );
    let lowest = report["lowest_quality"].as_array().unwrap();
    assert_eq!(lowest.len(), 10, "{report}");
    assert!(lowest[0]["score"].as_f64() <= lowest[9]["score"].as_f64());
    assert!(held[0]["quality"].as_f64().is_some(), "{report}");
    // The run's sh:ValidationReport is RDF in the store, linked from the run,
    // with the violations; like the quarantined versions it is not public.
    let link = report["validation_report"].as_str().unwrap_or_default();
    assert!(link.starts_with("urn:katalog:report:se-"), "{report}");
    let in_store = katalog(
        data.path(),
        &[
            "sparql",
            &format!(
                "PREFIX sh: <http://www.w3.org/ns/shacl#> PREFIX kat: <https://w3id.org/katalog/ns#>
                 ASK {{ GRAPH <urn:katalog:graph:runs> {{ ?run kat:validationReport <{link}> }}
                        GRAPH <{link}> {{ <{link}> a sh:ValidationReport ; sh:conforms false ;
                          sh:result [ sh:focusNode <https://data.socialstyrelsen.se/dataset/dodsorsaksregistret> ] }} }}"
            ),
        ],
    );
    assert_eq!(stdout(&in_store).trim(), "true", "{}", stdout(&in_store));
    let public_reports = select(
        &server,
        "PREFIX sh: <http://www.w3.org/ns/shacl#> SELECT ?r WHERE { ?r a sh:ValidationReport } LIMIT 1",
    )
    .await;
    assert!(public_reports.is_empty(), "{public_reports:?}");
    assert_eq!(
        get(&server.url("/api/sources/nowhere/report"))
            .await
            .status(),
        404
    );
    drop(server);

    // Lossless: without a gate, the union of the Norwegian records is the document, triple for triple.
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("katalog.toml");
    std::fs::write(
        &config,
        format!(
            "[[source]]\nname = \"no\"\ncountry = \"NO\"\nurl = \"{}\"\n",
            fixtures().join("no/catalogue.ttl").display()
        ),
    )
    .unwrap();
    let harvest = katalog(
        data.path(),
        &["harvest", "--config", config.to_str().unwrap()],
    );
    assert!(harvest.status.success(), "{}", stdout(&harvest));
    let server = Server::start(data.path(), &["--config", config.to_str().unwrap()]);
    let original = std::fs::read(fixtures().join("no/catalogue.ttl")).unwrap();
    let expected = canonical(parse_graph(&original, RdfFormat::Turtle));
    let construct = r#"
        PREFIX kat: <https://w3id.org/katalog/ns#>
        CONSTRUCT { ?s ?p ?o } WHERE {
          GRAPH <urn:katalog:graph:records> { ?record kat:sourceName "no" ; kat:state "published" }
          GRAPH ?record { ?s ?p ?o }
        }"#;
    for (accept, format) in [
        ("text/turtle", RdfFormat::Turtle),
        ("application/n-triples", RdfFormat::NTriples),
        ("application/rdf+xml", RdfFormat::RdfXml),
    ] {
        let response = client()
            .post(server.url("/sparql"))
            .header("Content-Type", "application/sparql-query")
            .header("Accept", accept)
            .body(construct)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(accept));
        let body = response.bytes().await.unwrap();
        let got = canonical(parse_graph(&body, format));
        assert_eq!(got.len(), expected.len(), "{accept}: triple count differs");
        assert!(
            got == expected,
            "{accept}: the Norwegian records differ from the document"
        );
    }

    // One dataset's description, with its Norwegian letters intact.
    let rows = select(
        &server,
        r#"PREFIX dct: <http://purl.org/dc/terms/>
           PREFIX dcat: <http://www.w3.org/ns/dcat#>
           SELECT ?d ?title WHERE { ?d a dcat:Dataset ; dct:title ?title . FILTER(lang(?title) = "nb") }"#,
    )
    .await;
    assert!(rows.len() >= 20);
    assert!(
        rows.iter()
            .any(|b| value(b, "title").contains(['æ', 'ø', 'å'])),
        "no title with æøå"
    );

    // Runs are queryable.
    let runs = select(
        &server,
        r#"PREFIX kat: <https://w3id.org/katalog/ns#>
           SELECT ?run ?outcome ?new WHERE { GRAPH <urn:katalog:graph:runs> {
             ?run a kat:HarvestRun ; kat:sourceName "no" ; kat:outcome ?outcome ; kat:new ?new } }"#,
    )
    .await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(value(&runs[0], "outcome"), "success");
    assert!(value(&runs[0], "new").parse::<usize>().unwrap() >= 25);
}

#[tokio::test(flavor = "multi_thread")]
async fn sparql_protocol() {
    let data = tempfile::tempdir().unwrap();
    let harvest = katalog(data.path(), &["harvest", "--source", "no"]);
    assert!(harvest.status.success(), "{}", stderr(&harvest));
    let server = Server::start(data.path(), &[]);
    let client = common::client();
    let ask = "ASK { ?d a <http://www.w3.org/ns/dcat#Dataset> }";

    // GET, form POST and direct POST, in every results format.
    for (accept, needle) in [
        ("application/sparql-results+json", "\"boolean\":true"),
        ("application/sparql-results+xml", "<boolean>true</boolean>"),
    ] {
        let body = client
            .get(server.url("/sparql"))
            .query(&[("query", ask)])
            .header("Accept", accept)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.replace(' ', "").contains(needle), "{accept}: {body}");
    }
    let select = "SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> } LIMIT 3";
    for (accept, first_line) in [("text/csv", "d"), ("text/tab-separated-values", "?d")] {
        let response = client
            .post(server.url("/sparql"))
            .form(&[("query", select)])
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        assert_eq!(text.lines().next().unwrap().trim(), first_line, "{accept}");
        assert_eq!(text.lines().count(), 4, "{accept}: {text}");
    }
    let jsonld = client
        .get(server.url("/sparql"))
        .query(&[("query", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5")])
        .header("Accept", "application/ld+json")
        .send()
        .await
        .unwrap();
    assert_eq!(jsonld.status(), 200);
    let text = jsonld.text().await.unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_ok(),
        "{text}"
    );

    // Read-only: updates are refused with a message, in every way they can come.
    let update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }";
    for response in [
        client
            .post(server.url("/sparql"))
            .form(&[("update", update)])
            .send()
            .await
            .unwrap(),
        client
            .post(server.url("/sparql"))
            .header("Content-Type", "application/sparql-update")
            .body(update)
            .send()
            .await
            .unwrap(),
        client
            .get(server.url("/sparql"))
            .query(&[("query", update)])
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(response.status(), 403);
        assert!(response.text().await.unwrap().contains("read-only"));
    }

    // Malformed queries get 400 with the parser's message.
    let bad = client
        .get(server.url("/sparql"))
        .query(&[("query", "SELECT ?x WHERE { ?x ?y }")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("invalid SPARQL query"));

    // SERVICE cannot make the server call out.
    let service = client
        .get(server.url("/sparql"))
        .query(&[(
            "query",
            "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        )])
        .send()
        .await
        .unwrap();
    assert_ne!(service.status(), 200);

    // CORS for browser clients.
    let cors = client
        .get(server.url("/sparql"))
        .query(&[("query", ask)])
        .header("Origin", "https://data.europa.eu")
        .send()
        .await
        .unwrap();
    assert_eq!(cors.headers()["access-control-allow-origin"], "*");

    // The request body is capped.
    let huge = "#".repeat(2 * 1024 * 1024);
    let capped = client
        .post(server.url("/sparql"))
        .header("Content-Type", "application/sparql-query")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(capped.status(), 413);

    // Named graphs stay addressable.
    let graphs = common::select(
        &server,
        "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), \"urn:katalog:record:\")) }",
    )
    .await;
    assert!(value(&graphs[0], "n").parse::<usize>().unwrap() >= 20);
}

#[tokio::test(flavor = "multi_thread")]
async fn query_timeout_stops_the_work() {
    let data = tempfile::tempdir().unwrap();
    let harvest = katalog(data.path(), &["harvest", "--source", "no"]);
    assert!(harvest.status.success());
    let config = data.path().join("katalog.toml");
    std::fs::write(&config, "[server]\nquery_timeout_secs = 1\n").unwrap();
    let server = Server::start(data.path(), &["--config", config.to_str().unwrap()]);
    let started = std::time::Instant::now();
    let response = client()
        .get(server.url("/sparql"))
        .query(&[(
            "query",
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // The work stopped too: no worker process is left evaluating it.
    let marker = data.path().to_string_lossy().to_string();
    let still_running = || {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
            .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
            .any(|cmdline| cmdline.contains("sparql-worker") && cmdline.contains(&marker))
    };
    let waited = std::time::Instant::now();
    while still_running() && waited.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        !still_running(),
        "the query worker still runs after the timeout"
    );
    // The server is still answering.
    let health = get(&server.url("/health")).await;
    assert_eq!(health.status(), 200);
}

/// Every syntax, fetched over HTTP, and sources that fail in every way
/// leave the records of the previous run exactly as they were.
#[tokio::test(flavor = "multi_thread")]
async fn harvest_over_http_and_failures_keep_records() {
    let docs = DocServer::start();
    let no = std::fs::read(fixtures().join("no/catalogue.ttl")).unwrap();
    let graph = parse_graph(&no, RdfFormat::Turtle);
    let serialize = |format: RdfFormat| {
        let mut out = RdfSerializer::from_format(format).for_writer(Vec::new());
        for triple in graph.iter() {
            out.serialize_triple(triple).unwrap();
        }
        out.finish().unwrap()
    };
    docs.set(
        "/no.ttl",
        Canned::ok("text/turtle; charset=utf-8", no.clone()),
    );
    docs.set(
        "/no.nt",
        Canned::ok("application/n-triples", serialize(RdfFormat::NTriples)),
    );
    docs.set(
        "/no.nq",
        Canned::ok("application/n-quads", serialize(RdfFormat::NQuads)),
    );
    docs.set(
        "/se",
        Canned::ok(
            "application/rdf+xml",
            std::fs::read(fixtures().join("se/catalogue.rdf")).unwrap(),
        ),
    );
    docs.set(
        "/fi",
        Canned::ok(
            "application/ld+json",
            std::fs::read(fixtures().join("fi/catalogue.jsonld")).unwrap(),
        ),
    );
    docs.set(
        "/dk",
        Canned::ok(
            "application/trig",
            std::fs::read(fixtures().join("dk/catalogue.trig")).unwrap(),
        ),
    );
    // No Content-Type worth the name: sniffed.
    docs.set(
        "/sniffed",
        Canned::ok("application/octet-stream", no.clone()),
    );

    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("katalog.toml");
    let mut toml = String::new();
    for (name, path, country) in [
        ("ttl", "/no.ttl", "NO"),
        ("nt", "/no.nt", "NO"),
        ("nq", "/no.nq", "NO"),
        ("rdfxml", "/se", "SE"),
        ("jsonld", "/fi", "FI"),
        ("trig", "/dk", "DK"),
        ("sniffed", "/sniffed", "NO"),
    ] {
        toml.push_str(&format!(
            "[[source]]\nname = \"{name}\"\ncountry = \"{country}\"\nurl = \"{}\"\nallow_private_network = true\n\n",
            docs.url(path)
        ));
    }
    toml.push_str(&format!(
        "[[source]]\nname = \"guarded\"\ncountry = \"NO\"\nurl = \"{}\"\n",
        docs.url("/no.ttl")
    ));
    std::fs::write(&config, &toml).unwrap();
    let config = config.to_str().unwrap();

    let out = katalog(data.path(), &["harvest", "--config", config]);
    let expected_new = summary_row(&out, "ttl")[2].clone();
    for source in ["ttl", "nt", "nq", "rdfxml", "jsonld", "trig", "sniffed"] {
        let row = summary_row(&out, source);
        assert_eq!(row[1], "success", "{source}: {}", stdout(&out));
    }
    for source in ["nt", "nq", "sniffed"] {
        assert_eq!(summary_row(&out, source)[2], expected_new, "{source}");
    }
    // A loopback source without allow_private_network is refused, clearly.
    assert_eq!(summary_row(&out, "guarded")[1], "failed");
    assert!(
        stdout(&out).contains("allow_private_network"),
        "{}",
        stdout(&out)
    );
    assert_eq!(out.status.code(), Some(1));
    let accept = docs.requests.lock().unwrap()[0].to_ascii_lowercase();
    assert!(accept.contains("accept: text/turtle"), "{accept}");

    // Now the Turtle source breaks in each way; its records stay.
    let count_ttl = |data: &std::path::Path| {
        let out = katalog(
            data,
            &[
                "sparql",
                "--config",
                config,
                "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:katalog:graph:records> { ?r <https://w3id.org/katalog/ns#sourceName> \"ttl\" ; <https://w3id.org/katalog/ns#state> \"published\" } }",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).lines().nth(1).unwrap().trim().to_string()
    };
    let before = count_ttl(data.path());
    let mut truncated = Canned::ok("text/turtle", no.clone());
    truncated.truncate = true;
    let mut invalid = no.clone();
    invalid.extend_from_slice(
        b"\n<https://example.no/broken> <https://example.no/p> \"unterminated .\n",
    );
    for (label, canned, needle) in [
        ("HTTP 500", Canned::status(500), "HTTP 500"),
        ("truncated body", truncated, "ended early"),
        ("invalid Turtle", Canned::ok("text/turtle", invalid), "line"),
        (
            "empty document",
            Canned::ok("text/turtle", ""),
            "no DCAT record",
        ),
    ] {
        docs.set("/no.ttl", canned);
        let out = katalog(
            data.path(),
            &["harvest", "--config", config, "--source", "ttl"],
        );
        assert_eq!(out.status.code(), Some(1), "{label}");
        assert_eq!(summary_row(&out, "ttl")[1], "failed", "{label}");
        let text = stdout(&out);
        assert!(
            text.contains("source 'ttl'") && text.contains(needle),
            "{label}: {text}"
        );
        assert_eq!(count_ttl(data.path()), before, "{label}: records changed");
    }
}

/// A real SPARQL client, Python's SPARQLWrapper (and rdflib), queries the server.
#[tokio::test(flavor = "multi_thread")]
async fn python_sparqlwrapper_client() {
    let has_client = std::process::Command::new("python3")
        .args(["-c", "import SPARQLWrapper, rdflib"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !has_client {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install SPARQLWrapper and rdflib (see .ci/run)"
        );
        eprintln!("skipped: pip install SPARQLWrapper rdflib to run this test");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let harvest = katalog(
        data.path(),
        &["harvest", "--source", "no", "--source", "fi"],
    );
    assert!(harvest.status.success());
    let server = Server::start(data.path(), &[]);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients/sparqlwrapper_client.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(server.url("/sparql"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Data stewards check documents before they publish: the CLI and the API.
#[tokio::test(flavor = "multi_thread")]
async fn stewards_validate_documents() {
    let data = tempfile::tempdir().unwrap();
    let no = fixtures().join("no/catalogue.ttl");
    let no = no.to_str().unwrap();

    let bad = katalog(data.path(), &["validate", no]);
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
    let text = stdout(&bad);
    assert!(
        text.contains("<https://fdp.gdi.example.no/dataset/576ec5ba-5f9e-53c8-ab36-dc7e35807907>"),
        "{text}"
    );
    assert!(text.contains("Violation dct:description"), "{text}");
    assert!(text.contains("does NOT conform"), "{text}");
    let fi = fixtures().join("fi/catalogue.jsonld");
    let good = katalog(data.path(), &["validate", fi.to_str().unwrap()]);
    assert_eq!(good.status.code(), Some(0), "{}", stdout(&good));
    let missing = katalog(data.path(), &["validate", "/nonexistent/catalogue.ttl"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/nonexistent/catalogue.ttl"));

    // The standard report, parsed back.
    let json = katalog(data.path(), &["validate", "--format", "jsonld", no]);
    let graph = parse_graph(
        &json.stdout,
        RdfFormat::JsonLd {
            profile: Default::default(),
        },
    );
    let conforms: Vec<String> = graph
        .iter()
        .filter(|t| t.predicate.as_str() == "http://www.w3.org/ns/shacl#conforms")
        .map(|t| t.object.to_string())
        .collect();
    assert_eq!(conforms.len(), 1);
    assert!(conforms[0].starts_with("\"false\""), "{conforms:?}");

    // --shapes: exactly the given shapes graph (here the data file holds it too).
    let shapes = data.path().join("shapes.ttl");
    std::fs::write(
        &shapes,
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ex: <https://example.no/> .\n\
         ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:minCount 2 ] .\n\
         ex:a ex:p 1 .\n",
    )
    .unwrap();
    let shapes = shapes.to_str().unwrap();
    let own = katalog(data.path(), &["validate", "--shapes", shapes, "--", shapes]);
    assert_eq!(own.status.code(), Some(1), "{}", stdout(&own));
    assert!(
        stdout(&own).contains("ex:p") || stdout(&own).contains("example.no/p"),
        "{}",
        stdout(&own)
    );

    // The API, on a server with no sources.
    let config = data.path().join("katalog.toml");
    std::fs::write(&config, "").unwrap();
    let server = Server::start(data.path(), &["--config", config.to_str().unwrap()]);
    let body = std::fs::read(fixtures().join("no/catalogue.ttl")).unwrap();
    let response = client()
        .post(server.url("/api/validate"))
        .header("Content-Type", "text/turtle")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-katalog-conforms"], "false");
    assert_eq!(response.headers()["content-type"], "application/ld+json");
    let report = parse_graph(
        &response.bytes().await.unwrap(),
        RdfFormat::JsonLd {
            profile: Default::default(),
        },
    );
    assert!(report.iter().any(|t| t.object.to_string()
        == "<https://fdp.gdi.example.no/dataset/576ec5ba-5f9e-53c8-ab36-dc7e35807907>"));
    let turtle = client()
        .post(server.url("/api/validate?profile=healthdcat-ap"))
        .header("Content-Type", "text/turtle")
        .header("Accept", "text/turtle")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(turtle.status(), 200);
    assert!(turtle.text().await.unwrap().contains("sh:ValidationReport"));
    let unknown = client()
        .post(server.url("/api/validate?profile=dcat-ap-9"))
        .header("Content-Type", "text/turtle")
        .body("<https://x> a <https://y> .")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    assert!(unknown.text().await.unwrap().contains("dcat-ap-9"));
    let invalid = client()
        .post(server.url("/api/validate"))
        .header("Content-Type", "text/turtle")
        .body("<https://x> a <https://y>\n<broken .")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 400);
    assert!(invalid.text().await.unwrap().contains("line"));
}
