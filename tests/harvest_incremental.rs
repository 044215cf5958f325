//! End-to-end tests of incremental and safe harvesting: conditional GET
//! (ETag / Last-Modified, file mtime), verdicts reused for unchanged records,
//! the mass-delete guard and tombstones, against an in-test HTTP server that
//! counts requests and answers 304 on matching validators.

mod common;

use common::{katalog, stderr, stdout, summary_row};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

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
    traffic: Arc<Traffic>,
}

/// Paths whose requests wait until released, and how many requests of each
/// path are (and were at most) in flight at once.
#[derive(Default)]
struct Traffic {
    held: Mutex<HashSet<String>>,
    released: Condvar,
    active: Mutex<HashMap<String, (usize, usize)>>,
}

impl Traffic {
    fn enter(&self, path: &str) {
        let mut active = self.active.lock().unwrap();
        let entry = active.entry(path.to_string()).or_default();
        entry.0 += 1;
        entry.1 = entry.1.max(entry.0);
        drop(active);
        let mut held = self.held.lock().unwrap();
        while held.contains(path) {
            held = self.released.wait(held).unwrap();
        }
    }

    fn leave(&self, path: &str) {
        if let Some(entry) = self.active.lock().unwrap().get_mut(path) {
            entry.0 -= 1;
        }
    }
}

impl CondServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let docs: Arc<Mutex<HashMap<String, Doc>>> = Arc::default();
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let traffic: Arc<Traffic> = Arc::default();
        let (d, h, t) = (docs.clone(), hits.clone(), traffic.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (d, h, t) = (d.clone(), h.clone(), t.clone());
                std::thread::spawn(move || answer(stream, &d, &h, &t));
            }
        });
        CondServer {
            address,
            docs,
            hits,
            traffic,
        }
    }

    /// Requests of `path` wait from now on, until [`CondServer::release`].
    fn hold(&self, path: &str) {
        self.traffic.held.lock().unwrap().insert(path.to_string());
    }

    fn release(&self, path: &str) {
        self.traffic.held.lock().unwrap().remove(path);
        self.traffic.released.notify_all();
    }

    /// (in flight now, most ever in flight at once) for `path`.
    fn in_flight(&self, path: &str) -> (usize, usize) {
        self.traffic
            .active
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or_default()
    }

    fn requests_of(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.path == path)
            .count()
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

fn answer(
    stream: TcpStream,
    docs: &Mutex<HashMap<String, Doc>>,
    hits: &Mutex<Vec<Hit>>,
    traffic: &Traffic,
) {
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
    traffic.enter(&path);
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
        path: path.clone(),
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
    traffic.leave(&path);
}

/// A catalogue of datasets `ids`; `edited` datasets get another title. Every
/// fifth dataset names a publisher that is not a foaf:Agent, so it violates
/// DCAT-AP 3 and is quarantined under that profile.
fn catalogue(ids: impl IntoIterator<Item = usize>, edited: &[usize]) -> String {
    catalogue_in("https://example.org/", ids, edited)
}

/// [`catalogue`] with its IRIs in another namespace.
fn catalogue_in(namespace: &str, ids: impl IntoIterator<Item = usize>, edited: &[usize]) -> String {
    let ids: Vec<usize> = ids.into_iter().collect();
    let mut doc = String::from(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\
         @prefix dct: <http://purl.org/dc/terms/> .\n\
         @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n\
         @prefix ex: <NAMESPACE> .\n\
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
    doc.replace("NAMESPACE", namespace)
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

/// Polls `check` every 100 ms until it holds; panics after two minutes.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_schedules_and_triggers_runs() {
    let docs = CondServer::start();
    docs.set(
        "/a.ttl",
        catalogue_in("https://a.example/", 1..=3, &[]),
        Some("\"a1\""),
        None,
    );
    docs.set(
        "/b.ttl",
        catalogue_in("https://b.example/", 1..=2, &[]),
        Some("\"b1\""),
        None,
    );
    let data = tempfile::tempdir().unwrap();
    let config = write_config(
        data.path(),
        &format!(
            "[harvest]\nschedule_jitter_secs = 0\nmax_concurrent_sources = 2\n\n\
             [[source]]\nname = \"a\"\ncountry = \"NO\"\nurl = \"{}\"\nallow_private_network = true\n\n\
             [[source]]\nname = \"b\"\ncountry = \"SE\"\nurl = \"{}\"\nallow_private_network = true\n\
             schedule = \"* * * * * *\"\n\n\
             [[token]]\nname = \"steward\"\nsha256 = \"{}\"\n\n\
             [[token]]\nname = \"b-only\"\nsha256 = \"{}\"\nsources = [\"b\"]\n",
            docs.url("/a.ttl"),
            docs.url("/b.ttl"),
            sha256_hex("s3cret"),
            sha256_hex("b-token"),
        ),
    );
    let server = common::Server::start(data.path(), &["--config", &config]);
    let client = common::client();
    let trigger = |source: &str, token: Option<&str>, query: &str| {
        let mut request = client.post(server.url(&format!("/api/sources/{source}/harvest{query}")));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };

    // Tokens: none, wrong, not for this source; unknown source.
    assert_eq!(trigger("a", None, "").await.unwrap().status(), 401);
    let wrong = trigger("a", Some("guess"), "").await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().contains_key("www-authenticate"));
    assert_eq!(
        trigger("a", Some(&sha256_hex("s3cret")), "")
            .await
            .unwrap()
            .status(),
        401,
        "the hash is not the token"
    );
    assert_eq!(
        trigger("a", Some("b-token"), "").await.unwrap().status(),
        403
    );
    assert_eq!(
        trigger("zz", Some("s3cret"), "").await.unwrap().status(),
        404
    );

    // A triggered run: 202 with its id; while it runs, another is refused.
    docs.set(
        "/a.ttl",
        catalogue_in("https://a.example/", 1..=4, &[]),
        Some("\"a2\""),
        None,
    );
    docs.hold("/a.ttl");
    let started = trigger("a", Some("s3cret"), "").await.unwrap();
    assert_eq!(started.status(), 202);
    let body: serde_json::Value = started.json().await.unwrap();
    let run_id = body["run"].as_str().unwrap().to_string();
    assert!(run_id.starts_with("a-"), "{body}");
    assert_eq!(
        trigger("a", Some("s3cret"), "").await.unwrap().status(),
        409
    );
    docs.release("/a.ttl");
    eventually("the triggered run is recorded", async || {
        let sources: serde_json::Value = common::get(&server.url("/api/sources"))
            .await
            .json()
            .await
            .unwrap();
        let a = sources["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "a")
            .cloned()
            .unwrap();
        a["last_run"]["run"]
            .as_str()
            .unwrap_or("")
            .ends_with(&run_id)
            && a["last_run"]["outcome"] == "success"
    })
    .await;
    // Queries read the snapshot written after the run (just after it is recorded).
    eventually("queries see the new dataset", async || {
        let rows = common::select(
            &server,
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?d a <http://www.w3.org/ns/dcat#Dataset> } FILTER(STRSTARTS(STR(?d), \"https://a.example/\")) }",
        )
        .await;
        common::value(&rows[0], "n") == "4"
    })
    .await;

    // Waiting for the report: the source answers 304.
    let done = trigger("a", Some("s3cret"), "?wait=true").await.unwrap();
    assert_eq!(done.status(), 200);
    let report: serde_json::Value = done.json().await.unwrap();
    assert_eq!(report["outcome"], "unchanged", "{report}");
    assert_eq!(report["not_modified"], true, "{report}");

    // b runs on its schedule (every second), one run at a time.
    let before = docs.requests_of("/b.ttl");
    eventually("b runs on its schedule", async || {
        docs.requests_of("/b.ttl") >= before + 2
    })
    .await;
    docs.hold("/b.ttl");
    eventually(
        "a scheduled run of b is waiting on the server",
        async || docs.in_flight("/b.ttl").0 == 1,
    )
    .await;
    // Several schedule ticks pass while that run hangs.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(
        docs.in_flight("/b.ttl"),
        (1, 1),
        "never two runs of b at once"
    );
    docs.release("/b.ttl");
    let scheduled: Vec<Hit> = docs
        .take_hits()
        .into_iter()
        .filter(|h| h.path == "/b.ttl")
        .collect();
    // Once the start-up run has stored the source's validators, every later
    // run is conditional: only the first request of b is unconditional. (It
    // once was not, one start in five: the start-up runs of a and b marked
    // the store changing at once through one temporary token file, one of
    // them failed, and its source was fetched in full again.)
    let first_conditional = scheduled
        .iter()
        .position(|h| h.if_none_match.is_some())
        .unwrap_or_else(|| panic!("no conditional request: {scheduled:?}"));
    assert_eq!(
        first_conditional, 1,
        "the source was fetched unconditionally after its first run: {scheduled:?}"
    );
    assert!(
        scheduled[first_conditional..]
            .iter()
            .all(|h| h.status == 304 && h.if_none_match.as_deref() == Some("\"b1\"")),
        "an unchanged source costs only requests: {scheduled:?}"
    );
    // The trigger answers 409 for a scheduled run too: the lock is shared.
    docs.hold("/b.ttl");
    eventually("b is running again", async || {
        docs.in_flight("/b.ttl").0 == 1
    })
    .await;
    assert_eq!(
        trigger("b", Some("b-token"), "").await.unwrap().status(),
        409
    );
    docs.release("/b.ttl");
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_source_duplicates_publish_once_by_priority() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("no.ttl"), catalogue(1..=5, &[])).unwrap();
    std::fs::write(data.path().join("se.ttl"), catalogue(4..=8, &[4])).unwrap();
    let config = write_config(
        data.path(),
        "[[source]]\nname = \"no\"\ncountry = \"NO\"\nurl = \"no.ttl\"\npriority = 1\n\n\
         [[source]]\nname = \"se\"\ncountry = \"SE\"\nurl = \"se.ttl\"\npriority = 5\n",
    );
    let out = katalog(data.path(), &["harvest", "--config", &config]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    // Datasets 4 and 5 and the catalogue come from both: SE (priority 5) publishes them.
    assert_eq!(published(data.path(), &config, "no"), 3);
    assert_eq!(published(data.path(), &config, "se"), 5);
    let also = sparql_value(
        data.path(),
        &config,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:katalog:graph:records> { ?r \
         <https://w3id.org/katalog/ns#sourceName> \"se\" ; <https://w3id.org/katalog/ns#state> \"published\" ; \
         <https://w3id.org/katalog/ns#alsoPublishedBy> <urn:katalog:source:no> } }",
    );
    assert_eq!(also, "3");
    // Harvesting NO again (last) changes nothing: no last-writer-wins.
    std::fs::write(data.path().join("no.ttl"), catalogue(1..=5, &[5])).unwrap();
    let out = katalog(
        data.path(),
        &["harvest", "--config", &config, "--source", "no"],
    );
    assert_eq!(column(&out, "no", 3), "1", "{}", stdout(&out));
    assert_eq!(published(data.path(), &config, "no"), 3);

    let server = common::Server::start(data.path(), &["--config", &config]);
    let sources: serde_json::Value = common::get(&server.url("/api/sources"))
        .await
        .json()
        .await
        .unwrap();
    let by_name = |name: &str| {
        sources["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_name("se")["also_published_by"]["no"], 3, "{sources}");
    assert_eq!(by_name("no")["superseded_by"]["se"], 3, "{sources}");
    // The public endpoint has one record graph for dataset 4: SE's version.
    let rows = common::select(
        &server,
        "SELECT ?title WHERE { GRAPH ?g { <https://example.org/d4> <http://purl.org/dc/terms/title> ?title } }",
    )
    .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(common::value(&rows[0], "title"), "Dataset 4 (edited)");
}

/// Graphs outside the quarantine holding a title of `dataset`: where it is published.
fn public_graphs_with_title(data: &Path, config: &str, dataset: &str) -> usize {
    let n = sparql_value(
        data,
        config,
        &format!(
            "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{ <{dataset}> \
             <http://purl.org/dc/terms/title> ?t }} \
             FILTER(!STRSTARTS(STR(?g), \"urn:katalog:quarantine:\")) }}"
        ),
    );
    n.parse().unwrap_or_else(|_| panic!("count {n:?}"))
}

#[test]
fn a_changed_profile_revalidates_unchanged_records() {
    let server = CondServer::start();
    server.set("/cat.ttl", catalogue(1..=10, &[]), Some("\"v1\""), None);
    let data = tempfile::tempdir().unwrap();
    let source = format!(
        "[[source]]\nname = \"src\"\ncountry = \"NO\"\nurl = \"{}\"\nallow_private_network = true\n",
        server.url("/cat.ttl")
    );
    let lenient = write_config(data.path(), &source);
    let run = |config: &str| {
        let out = katalog(data.path(), &["harvest", "--config", config]);
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
        out
    };
    let violating = "https://example.org/d5";

    // No profile: every dataset is published, d5 and d10 included.
    run(&lenient);
    assert_eq!(published(data.path(), &lenient, "src"), 10);
    assert_eq!(
        public_graphs_with_title(data.path(), &lenient, violating),
        1
    );
    server.take_hits();

    // The same document (it would answer 304) under DCAT-AP 3: d5 and d10
    // violate it, so they are withdrawn and quarantined.
    let strict = write_config(data.path(), &format!("{source}profile = \"dcat-ap-3\"\n"));
    let out = run(&strict);
    let hits = server.take_hits();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(
        (hits[0].status, hits[0].if_none_match.as_deref()),
        (200, None),
        "the document is fetched again in full"
    );
    assert_eq!(column(&out, "src", 7), "2", "quarantined: {}", stdout(&out));
    assert_eq!(
        column(&out, "src", 10),
        "0",
        "no verdict reused: {}",
        stdout(&out)
    );
    assert_eq!(published(data.path(), &strict, "src"), 8);
    assert_eq!(public_graphs_with_title(data.path(), &strict, violating), 0);
    let quarantined = sparql_value(
        data.path(),
        &strict,
        &format!(
            "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ <{violating}> \
             <http://purl.org/dc/terms/title> ?t }} \
             FILTER(STRSTARTS(STR(?g), \"urn:katalog:quarantine:\")) }}"
        ),
    );
    assert_eq!(quarantined, "1");

    // The next run with the same profile: 304, every verdict stands.
    let out = run(&strict);
    assert_eq!(column(&out, "src", 1), "unchanged", "{}", stdout(&out));
    assert_eq!(server.take_hits()[0].status, 304);
    assert_eq!(published(data.path(), &strict, "src"), 8);

    // And back: without the profile, d5 and d10 are published again.
    let lenient = write_config(data.path(), &source);
    run(&lenient);
    assert_eq!(server.take_hits()[0].status, 200);
    assert_eq!(published(data.path(), &lenient, "src"), 10);
    assert_eq!(
        public_graphs_with_title(data.path(), &lenient, violating),
        1
    );
}
