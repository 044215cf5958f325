//! End-to-end tests of incremental and safe harvesting: conditional GET
//! (ETag / Last-Modified, file mtime), verdicts reused for unchanged records,
//! the mass-delete guard and tombstones, against an in-test HTTP server that
//! counts requests and answers 304 on matching validators.

mod common;

use common::{katalog, stderr, stdout, summary_row};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A document the server holds, with the validators it announces.
#[derive(Clone)]
struct Doc {
    body: Vec<u8>,
    etag: Option<String>,
    last_modified: Option<String>,
}

/// One request the server saw.
#[derive(Clone, Debug)]
struct Hit {
    path: String,
    status: u16,
    if_none_match: Option<String>,
    if_modified_since: Option<String>,
}

/// An HTTP/1.1 server with conditional GET: 304 when If-None-Match equals the
/// document's ETag, or (without If-None-Match) If-Modified-Since equals its
/// Last-Modified.
struct CondServer {
    address: SocketAddr,
    docs: Arc<Mutex<HashMap<String, Doc>>>,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl CondServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let docs: Arc<Mutex<HashMap<String, Doc>>> = Arc::default();
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let (d, h) = (docs.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (d, h) = (d.clone(), h.clone());
                std::thread::spawn(move || answer(stream, &d, &h));
            }
        });
        CondServer {
            address,
            docs,
            hits,
        }
    }

    fn set(
        &self,
        path: &str,
        body: impl Into<Vec<u8>>,
        etag: Option<&str>,
        modified: Option<&str>,
    ) {
        self.docs.lock().unwrap().insert(
            path.to_string(),
            Doc {
                body: body.into(),
                etag: etag.map(str::to_string),
                last_modified: modified.map(str::to_string),
            },
        );
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    fn take_hits(&self) -> Vec<Hit> {
        std::mem::take(&mut *self.hits.lock().unwrap())
    }
}

fn answer(stream: TcpStream, docs: &Mutex<HashMap<String, Doc>>, hits: &Mutex<Vec<Hit>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line.trim().is_empty() => break,
            Ok(_) => {
                if let Some((name, value)) = line.split_once(':') {
                    headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
                }
            }
        }
    }
    let doc = docs.lock().unwrap().get(&path).cloned();
    let inm = headers.get("if-none-match").cloned();
    let ims = headers.get("if-modified-since").cloned();
    let (status, body, doc) = match doc {
        None => (404, b"not found".to_vec(), None),
        Some(doc) => {
            let not_modified = match (&inm, &doc.etag) {
                (Some(sent), Some(etag)) => sent == etag,
                (Some(_), None) => false,
                (None, _) => ims.is_some() && ims == doc.last_modified,
            };
            if not_modified {
                (304, Vec::new(), Some(doc))
            } else {
                (200, doc.body.clone(), Some(doc))
            }
        }
    };
    hits.lock().unwrap().push(Hit {
        path,
        status,
        if_none_match: inm,
        if_modified_since: ims,
    });
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Type: text/turtle\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(doc) = &doc {
        if let Some(etag) = &doc.etag {
            head.push_str(&format!("ETag: {etag}\r\n"));
        }
        if let Some(modified) = &doc.last_modified {
            head.push_str(&format!("Last-Modified: {modified}\r\n"));
        }
    }
    head.push_str("\r\n");
    let mut stream = stream;
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}

/// A catalogue of datasets `ids`; `edited` datasets get another title. Every
/// fifth dataset names a publisher that is not a foaf:Agent, so it violates
/// DCAT-AP 3 and is quarantined under that profile.
fn catalogue(ids: impl IntoIterator<Item = usize>, edited: &[usize]) -> String {
    let ids: Vec<usize> = ids.into_iter().collect();
    let mut doc = String::from(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\
         @prefix dct: <http://purl.org/dc/terms/> .\n\
         @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n\
         @prefix ex: <https://example.org/> .\n\
         ex:publisher a foaf:Agent ; foaf:name \"Publisher\" .\n\
         ex:cat a dcat:Catalog ; dct:title \"Test catalogue\"@en ; dct:description \"A test\"@en ;\n  \
         dct:publisher ex:publisher",
    );
    if !ids.is_empty() {
        doc.push_str(" ;\n  dcat:dataset ");
        let list: Vec<String> = ids.iter().map(|i| format!("ex:d{i}")).collect();
        doc.push_str(&list.join(", "));
    }
    doc.push_str(" .\n");
    for i in ids {
        let title = if edited.contains(&i) {
            format!("Dataset {i} (edited)")
        } else {
            format!("Dataset {i}")
        };
        let publisher = if i % 5 == 0 { "unknown" } else { "publisher" };
        doc.push_str(&format!(
            "ex:d{i} a dcat:Dataset ; dct:title \"{title}\"@en ; dct:description \"About {i}\"@en ;\n  \
             dct:identifier \"id-{i}\" ; dct:publisher ex:{publisher} .\n"
        ));
    }
    doc
}

fn write_config(dir: &Path, body: &str) -> String {
    let path = dir.join("katalog.toml");
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_string()
}

/// One SELECT through `katalog sparql`, first column of the first row.
fn sparql_value(data: &Path, config: &str, query: &str) -> String {
    let out = katalog(data, &["sparql", "--config", config, query]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .nth(1)
        .unwrap_or_default()
        .trim()
        .trim_matches('"')
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn published(data: &Path, config: &str, source: &str) -> usize {
    let n = sparql_value(
        data,
        config,
        &format!(
            "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <urn:katalog:graph:records> {{ ?r \
             <https://w3id.org/katalog/ns#sourceName> \"{source}\" ; \
             <https://w3id.org/katalog/ns#recordType> <http://www.w3.org/ns/dcat#Dataset> ; \
             <https://w3id.org/katalog/ns#state> \"published\" }} }}"
        ),
    );
    n.parse().unwrap_or_else(|_| panic!("count {n:?}"))
}

fn column(out: &std::process::Output, source: &str, index: usize) -> String {
    summary_row(out, source)[index].clone()
}

#[test]
fn conditional_get_and_reused_verdicts() {
    let server = CondServer::start();
    server.set(
        "/cat.ttl",
        catalogue(1..=20, &[]),
        Some("\"v1\""),
        Some("Sun, 29 Nov 2026 06:00:00 GMT"),
    );
    server.set(
        "/lm.ttl",
        catalogue(1..=5, &[]),
        None,
        Some("Sun, 29 Nov 2026 06:00:00 GMT"),
    );
    let data = tempfile::tempdir().unwrap();
    let local = data.path().join("local.ttl");
    std::fs::write(&local, catalogue(1..=3, &[])).unwrap();
    let config = write_config(
        data.path(),
        &format!(
            "[[source]]\nname = \"etag\"\ncountry = \"NO\"\nurl = \"{}\"\nallow_private_network = true\nprofile = \"dcat-ap-3\"\n\n\
             [[source]]\nname = \"lm\"\ncountry = \"SE\"\nurl = \"{}\"\nallow_private_network = true\n\n\
             [[source]]\nname = \"local\"\ncountry = \"DK\"\nurl = \"local.ttl\"\n",
            server.url("/cat.ttl"),
            server.url("/lm.ttl")
        ),
    );

    // First run: everything is new, fetched in full, validated.
    let out = katalog(data.path(), &["harvest", "--config", &config]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(column(&out, "etag", 1), "success");
    assert_eq!(column(&out, "etag", 2), "17", "{}", stdout(&out));
    assert_eq!(
        column(&out, "etag", 7),
        "4",
        "quarantined: {}",
        stdout(&out)
    );
    assert_eq!(column(&out, "etag", 10), "0", "nothing to reuse yet");
    let hits = server.take_hits();
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert!(hits
        .iter()
        .all(|h| h.status == 200 && h.if_none_match.is_none()));

    // Second run: both servers answer 304, the file is unchanged.
    let out = katalog(data.path(), &["harvest", "--config", &config]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    for source in ["etag", "lm", "local"] {
        assert_eq!(
            column(&out, source, 1),
            "unchanged",
            "{source}: {}",
            stdout(&out)
        );
        assert_eq!(column(&out, source, 2), "0", "{source}");
    }
    assert_eq!(
        column(&out, "etag", 4),
        "21",
        "unchanged records are counted"
    );
    let hits = server.take_hits();
    assert_eq!(hits.len(), 2, "one request per source: {hits:?}");
    let etag_hit = hits.iter().find(|h| h.path == "/cat.ttl").unwrap();
    assert_eq!(
        (etag_hit.status, etag_hit.if_none_match.as_deref()),
        (304, Some("\"v1\""))
    );
    let lm_hit = hits.iter().find(|h| h.path == "/lm.ttl").unwrap();
    assert_eq!(lm_hit.status, 304);
    assert_eq!(
        lm_hit.if_modified_since.as_deref(),
        Some("Sun, 29 Nov 2026 06:00:00 GMT")
    );
    let not_modified = sparql_value(
        data.path(),
        &config,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:katalog:graph:runs> { ?run <https://w3id.org/katalog/ns#notModified> true } }",
    );
    assert_eq!(not_modified, "3");

    // A new ETag with the same content: fetched, nothing rewritten, and every
    // verdict reused instead of validating again.
    server.set("/cat.ttl", catalogue(1..=20, &[]), Some("\"v2\""), None);
    let out = katalog(
        data.path(),
        &["harvest", "--config", &config, "--source", "etag"],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(column(&out, "etag", 1), "unchanged", "{}", stdout(&out));
    assert_eq!(column(&out, "etag", 10), "21", "{}", stdout(&out));
    assert_eq!(server.take_hits()[0].status, 200);

    // One dataset edited: only it is validated and rewritten.
    server.set("/cat.ttl", catalogue(1..=20, &[7]), Some("\"v3\""), None);
    let out = katalog(
        data.path(),
        &["harvest", "--config", &config, "--source", "etag"],
    );
    assert_eq!(column(&out, "etag", 1), "success", "{}", stdout(&out));
    assert_eq!(column(&out, "etag", 3), "1", "changed: {}", stdout(&out));
    assert_eq!(column(&out, "etag", 10), "20", "{}", stdout(&out));
    let title = sparql_value(
        data.path(),
        &config,
        "SELECT ?t WHERE { GRAPH ?g { <https://example.org/d7> <http://purl.org/dc/terms/title> ?t } }",
    );
    assert_eq!(title, "Dataset 7 (edited)");

    // The local file changes: its new content is harvested.
    std::fs::write(&local, catalogue(1..=4, &[])).unwrap();
    let out = katalog(
        data.path(),
        &["harvest", "--config", &config, "--source", "local"],
    );
    assert_eq!(column(&out, "local", 1), "success", "{}", stdout(&out));
    assert_eq!(column(&out, "local", 2), "1", "{}", stdout(&out));
}

#[test]
fn mass_delete_guard_and_tombstones() {
    let server = CondServer::start();
    server.set("/cat.ttl", catalogue(1..=10, &[]), None, None);
    let data = tempfile::tempdir().unwrap();
    let config = write_config(
        data.path(),
        &format!(
            "[harvest]\nmax_delete_share = 0.5\n\n[[source]]\nname = \"src\"\ncountry = \"NO\"\nurl = \"{}\"\nallow_private_network = true\n",
            server.url("/cat.ttl")
        ),
    );
    let out = katalog(data.path(), &["harvest", "--config", &config]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(published(data.path(), &config, "src"), 10);

    // 3 of 11 records gone: under half, tombstoned.
    server.set("/cat.ttl", catalogue(1..=7, &[]), None, None);
    let out = katalog(data.path(), &["harvest", "--config", &config]);
    assert_eq!(column(&out, "src", 1), "success", "{}", stdout(&out));
    assert_eq!(column(&out, "src", 5), "3");
    assert_eq!(published(data.path(), &config, "src"), 7);
    let tombstones = sparql_value(
        data.path(),
        &config,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:katalog:graph:records> { ?r \
         <https://w3id.org/katalog/ns#state> \"deleted\" ; <https://w3id.org/katalog/ns#deletedAt> ?at ; \
         <http://xmlns.com/foaf/0.1/primaryTopic> ?topic } \
         FILTER NOT EXISTS { GRAPH ?r { ?s ?p ?o } } }",
    );
    assert_eq!(
        tombstones, "3",
        "tombstones keep their time and lose their content"
    );

    // The source suddenly lists 1 dataset: 6 of 8 would go. Nothing changes.
    server.set("/cat.ttl", catalogue(1..=1, &[]), None, None);
    let out = katalog(data.path(), &["harvest", "--config", &config]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(column(&out, "src", 1), "guarded", "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("mass-delete guard")
            && text.contains("would remove 6 of the source's 8 records")
            && text.contains("katalog harvest --source src --allow-mass-delete"),
        "{text}"
    );
    assert_eq!(published(data.path(), &config, "src"), 7);
    let guarded = sparql_value(
        data.path(),
        &config,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:katalog:graph:runs> { ?run <https://w3id.org/katalog/ns#outcome> \"guarded\" ; <https://w3id.org/katalog/ns#error> ?e } }",
    );
    assert_eq!(guarded, "1");

    // The flag needs --source.
    let out = katalog(
        data.path(),
        &["harvest", "--config", &config, "--allow-mass-delete"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // A steward confirms.
    let out = katalog(
        data.path(),
        &[
            "harvest",
            "--config",
            &config,
            "--source",
            "src",
            "--allow-mass-delete",
        ],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(column(&out, "src", 1), "success");
    assert_eq!(column(&out, "src", 5), "6");
    assert_eq!(published(data.path(), &config, "src"), 1);
}
