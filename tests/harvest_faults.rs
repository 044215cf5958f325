//! A fault-injecting server: a Hydra-paged source is harvested once while
//! good, then while failing in each way; every failure is a clear, per-source
//! error and the records of the good run stay published.

mod common;
#[path = "support/rawhttp.rs"]
mod rawhttp;

use common::{katalog_with_config as run, output_text as text};
use rawhttp::{RawServer, Reply};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PROXIED_HOST: &str = "catalog.example.test";

/// One Hydra page (`hydra:PartialCollectionView`) with two datasets.
fn page(base: &str, n: usize, next: Option<String>) -> String {
    let mut text = format!(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n\
         @prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n\
         <{base}/catalog> a dcat:Catalog ; dct:title \"Fault catalogue\"@en ; hydra:view <{base}/catalog/{n}> ;\n\
           dcat:dataset <{base}/dataset/{n}a>, <{base}/dataset/{n}b> .\n\
         <{base}/dataset/{n}a> a dcat:Dataset ; dct:title \"Dataset {n}a\"@en ;\n\
           dcat:distribution [ a dcat:Distribution ; dcat:accessURL <{base}/files/{n}a> ] .\n\
         <{base}/dataset/{n}b> a dcat:Dataset ; dct:title \"Dataset {n}b\"@en .\n\
         <{base}/catalog/{n}> a hydra:PartialCollectionView ; hydra:first <{base}/catalog/1> ; hydra:last <{base}/catalog/3>"
    );
    if let Some(next) = next {
        text.push_str(&format!(" ; hydra:next <{next}>"));
    }
    text.push_str(" .\n");
    text
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

struct Faults {
    server: RawServer,
    mode: Arc<Mutex<&'static str>>,
}

fn start() -> Faults {
    let mode: Arc<Mutex<&'static str>> = Arc::new(Mutex::new("good"));
    let hits = Arc::new(AtomicUsize::new(0));
    let state = mode.clone();
    let server = RawServer::start(move |request| {
        let mode = *state.lock().unwrap();
        let base = format!("http://{}", request.host);
        let proxied = request.host == PROXIED_HOST;
        let path = request.path().to_string();
        let n: usize = match path.strip_prefix("/catalog/").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => {
                return match path.as_str() {
                    "/loop/a" => Reply::redirect("/loop/b"),
                    "/loop/b" => Reply::redirect("/loop/a"),
                    _ => Reply::status(404),
                }
            }
        };
        let next = |k: usize| Some(format!("{base}/catalog/{k}"));
        let turtle = |body: String| Reply::ok("text/turtle", body);
        match (mode, n) {
            ("endless", n) => turtle(page(&base, n, next(n + 1))),
            ("page-loop", 3) => turtle(page(&base, 3, next(1))),
            ("500-mid", 2) => Reply::status(500).with_header("Retry-After", "0"),
            ("flaky", 2) if hits.fetch_add(1, Ordering::SeqCst) == 0 => Reply::status(503),
            ("truncated", 2) => Reply::Truncated {
                content_type: "text/turtle".into(),
                body: page(&base, 2, next(3)).into_bytes(),
            },
            ("invalid", 2) => turtle(format!(
                "{}\n<{base}/x> <{base}/p> \"unterminated .\n",
                page(&base, 2, next(3))
            )),
            ("redirect-loop", 2) => Reply::redirect("/loop/a"),
            ("drip", 2) => Reply::Drip {
                content_type: "text/turtle".into(),
                start: b"@prefix dct: <http://purl.org/dc/terms/> .\n".to_vec(),
                interval: Duration::from_millis(200),
            },
            ("oversized", 2) => {
                let mut body = page(&base, 2, next(3));
                body.push_str(&format!("# {}\n", "x".repeat(2_000_000)));
                turtle(body)
            }
            ("gzip-bomb", 2) => {
                let mut body = page(&base, 2, next(3)).into_bytes();
                body.extend(std::iter::repeat_n(b' ', 50_000_000));
                Reply::ok("text/turtle", gzip(&body)).with_header("Content-Encoding", "gzip")
            }
            ("redirect-private", 2) if proxied => Reply::redirect("http://127.0.0.1/catalog/2"),
            ("next-private", 1) if proxied => {
                turtle(page(&base, 1, Some("http://127.0.0.1/catalog/2".into())))
            }
            (_, n @ 1..=2) => turtle(page(&base, n, next(n + 1))),
            (_, 3) => turtle(page(&base, 3, None)),
            _ => Reply::status(404),
        }
    });
    Faults { server, mode }
}

fn published(data: &Path, config: &Path, source: &str) -> String {
    let query = format!(
        "SELECT ?r WHERE {{ GRAPH <urn:katalog:graph:records> {{ ?r <https://w3id.org/katalog/ns#sourceName> \"{source}\" ; <https://w3id.org/katalog/ns#state> \"published\" }} }} ORDER BY ?r"
    );
    let out = run(data, config, &["sparql", &query], None);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn faults_end_in_clear_errors_and_keep_records() {
    let faults = start();
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("katalog.toml");
    std::fs::write(
        &config,
        format!(
            "[harvest]\nmax_document_bytes = 1000000\nrun_timeout_secs = 8\nrequest_timeout_secs = 120\n\
             max_retries = 2\nretry_initial_delay_ms = 10\n\n\
             [[source]]\nname = \"paged\"\ncountry = \"NO\"\nurl = \"{}\"\nallow_private_network = true\nmax_pages = 20\n\n\
             [[source]]\nname = \"guarded\"\ncountry = \"NO\"\nurl = \"http://{PROXIED_HOST}/catalog/1\"\n",
            faults.server.url("/catalog/1")
        ),
    )
    .unwrap();
    let proxy = format!("http://{}", faults.server.address);

    let out = run(
        data.path(),
        &config,
        &["harvest", "--source", "paged"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let good = published(data.path(), &config, "paged");
    // Three pages: a catalogue (joined across pages) and six datasets.
    assert_eq!(good.lines().count(), 1 + 7, "{good}");
    let ask = "ASK { GRAPH ?g { ?s ?p ?o FILTER(STRSTARTS(STR(?p), \"http://www.w3.org/ns/hydra/\") || STRSTARTS(STR(?o), \"http://www.w3.org/ns/hydra/\")) } }";
    let out = run(data.path(), &config, &["sparql", ask], None);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "false",
        "Hydra controls stored"
    );

    // The same host behind a proxy stands in for a public host.
    let out = run(
        data.path(),
        &config,
        &["harvest", "--source", "guarded"],
        Some(&proxy),
    );
    assert!(out.status.success(), "{}", text(&out));
    let guarded = published(data.path(), &config, "guarded");
    assert_eq!(guarded.lines().count(), 1 + 7, "{guarded}");

    // A 503 once, then good: retried, and the run succeeds.
    *faults.mode.lock().unwrap() = "flaky";
    let out = run(
        data.path(),
        &config,
        &["harvest", "--source", "paged"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));

    for (mode, source, needle) in [
        ("500-mid", "paged", "HTTP 500"),
        ("truncated", "paged", "ended early"),
        ("invalid", "paged", "invalid Turtle"),
        ("redirect-loop", "paged", "redirects"),
        ("page-loop", "paged", "page loop"),
        ("endless", "paged", "max_pages"),
        ("drip", "paged", "run_timeout_secs"),
        ("oversized", "paged", "1000000-byte limit"),
        ("gzip-bomb", "paged", "1000000-byte limit"),
        ("redirect-private", "guarded", "allow_private_network"),
        ("next-private", "guarded", "allow_private_network"),
    ] {
        *faults.mode.lock().unwrap() = mode;
        let proxy = (source == "guarded").then_some(proxy.as_str());
        let out = run(
            data.path(),
            &config,
            &["harvest", "--source", source],
            proxy,
        );
        let output = text(&out);
        assert_eq!(out.status.code(), Some(1), "{mode}: {output}");
        assert!(
            output.contains(&format!("source '{source}'")) && output.contains(needle),
            "{mode}: expected {needle:?} in:\n{output}"
        );
        let before = if source == "paged" { &good } else { &guarded };
        assert_eq!(
            &published(data.path(), &config, source),
            before,
            "{mode}: records changed"
        );
    }
}

/// A JSON-LD page naming a remote @context fails by name unless the context
/// is allowlisted (then it is fetched through the same guard); shipped
/// contexts load without a request; RDF/XML "billion laughs" fails the page;
/// a Retry-After longer than allowed fails at once.
#[test]
fn contexts_entities_and_retry_after() {
    let server = RawServer::start(|request| {
        let base = format!("http://{}", request.host);
        let jsonld = |context: &str| {
            Reply::ok(
                "application/ld+json",
                format!(
                    r#"{{"@context": "{context}", "@id": "{base}/d1", "@type": "Dataset", "title": "JSON-LD dataset"}}"#
                ),
            )
        };
        match request.path() {
            "/remote.jsonld" => jsonld(&format!("{base}/context.jsonld")),
            "/shipped.jsonld" => jsonld("https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.0/context/dcat-ap.jsonld"),
            "/context.jsonld" => Reply::ok(
                "application/ld+json",
                r#"{"@context": {"Dataset": "http://www.w3.org/ns/dcat#Dataset", "title": "http://purl.org/dc/terms/title"}}"#,
            ),
            "/laughs.rdf" => {
                let mut dtd = String::from("<!ENTITY l0 \"lol\">");
                for i in 1..=9 {
                    dtd.push_str(&format!("<!ENTITY l{i} \"{}\">", format!("&l{};", i - 1).repeat(10)));
                }
                Reply::ok(
                    "application/rdf+xml",
                    format!(
                        "<?xml version=\"1.0\"?><!DOCTYPE rdf:RDF [{dtd}]>\
                         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:dct=\"http://purl.org/dc/terms/\">\
                         <rdf:Description rdf:about=\"{base}/d\"><rdf:type rdf:resource=\"http://www.w3.org/ns/dcat#Dataset\"/><dct:title>&l9;</dct:title></rdf:Description></rdf:RDF>"
                    ),
                )
            }
            "/busy" => Reply::status(503).with_header("Retry-After", "3600"),
            _ => Reply::status(404),
        }
    });
    let data = tempfile::tempdir().unwrap();
    let write = |allowlist: &str| {
        let config = data.path().join("katalog.toml");
        let mut toml = format!("[harvest]\nmax_retries = 3\nretry_max_delay_secs = 5\njsonld_context_allowlist = [{allowlist}]\n\n");
        for (name, path) in [
            ("remote", "/remote.jsonld"),
            ("shipped", "/shipped.jsonld"),
            ("laughs", "/laughs.rdf"),
            ("busy", "/busy"),
        ] {
            toml.push_str(&format!(
                "[[source]]\nname = \"{name}\"\ncountry = \"NO\"\nurl = \"{}\"\nallow_private_network = true\n\n",
                server.url(path)
            ));
        }
        std::fs::write(&config, toml).unwrap();
        config
    };
    let config = write("");
    let out = run(data.path(), &config, &["harvest"], None);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "{output}");
    let error_of = |source: &str| {
        output
            .lines()
            .find(|l| l.contains(&format!("source '{source}'")))
            .unwrap_or_else(|| panic!("no error for {source}:\n{output}"))
            .to_string()
    };
    let remote = error_of("remote");
    assert!(
        remote.contains("context.jsonld") && remote.contains("jsonld_context_allowlist"),
        "{remote}"
    );
    assert!(
        !output.lines().any(|l| l.contains("source 'shipped'")),
        "{output}"
    );
    let laughs = error_of("laughs");
    assert!(laughs.contains("billion laughs"), "{laughs}");
    let busy = error_of("busy");
    assert!(
        busy.contains("Retry-After") || busy.contains("retry after"),
        "{busy}"
    );
    assert!(busy.contains("retry_max_delay_secs"), "{busy}");
    assert!(!server.paths().contains(&"/context.jsonld".to_string()));
    assert_eq!(server.paths().iter().filter(|p| *p == "/busy").count(), 1);

    let config = write(&format!("\"{}\"", server.url("/context.jsonld")));
    let out = run(
        data.path(),
        &config,
        &["harvest", "--source", "remote"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(server.paths().contains(&"/context.jsonld".to_string()));
}
