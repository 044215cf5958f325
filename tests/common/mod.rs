//! Helpers for the end-to-end tests: run the real `katalog` binary, start its
//! server on a loopback port, and serve documents from an in-test HTTP server.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn katalog_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_katalog"))
}

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Runs `katalog ARGS` with `--data-dir DIR` and returns its output.
pub fn katalog(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(katalog_bin())
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "katalog=warn")
        .env_remove("KATALOG_CONFIG")
        .env_remove("KATALOG_DATA")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("katalog runs")
}

/// Runs `katalog --data-dir DATA ARGS --config CONFIG` with no proxy from
/// the environment (or `proxy` as HTTP_PROXY), for harvests of in-test servers.
pub fn katalog_with_config(
    data_dir: &Path,
    config: &Path,
    args: &[&str],
    proxy: Option<&str>,
) -> Output {
    let mut command = Command::new(katalog_bin());
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "katalog=warn")
        .env_remove("KATALOG_CONFIG")
        .env_remove("KATALOG_DATA");
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        command.env_remove(var);
    }
    if let Some(proxy) = proxy {
        command.env("HTTP_PROXY", proxy).env("http_proxy", proxy);
    }
    command.output().expect("katalog runs")
}

/// Standard output and standard error together, for assertion messages.
pub fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The summary line of a source in `katalog harvest` output, split into columns.
pub fn summary_row(output: &Output, source: &str) -> Vec<String> {
    stdout(output)
        .lines()
        .find(|l| l.split_whitespace().next() == Some(source))
        .unwrap_or_else(|| panic!("no summary row for {source} in:\n{}", stdout(output)))
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// A running `katalog serve`, killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(katalog_bin())
            .arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--bind", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "katalog=info")
            .env_remove("KATALOG_CONFIG")
            .env_remove("KATALOG_DATA")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("katalog serve starts");
        let stderr = child.stderr.take().expect("stderr piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stderr).lines();
            let mut sent = false;
            let mut seen = Vec::new();
            while let Some(Ok(line)) = lines.next() {
                if !sent {
                    if let Some(rest) = line.split("serving on http://").nth(1) {
                        let address = rest.split('/').next().unwrap_or_default().to_string();
                        let _ = tx.send(Ok(address));
                        sent = true;
                    } else {
                        seen.push(line);
                    }
                }
            }
            if !sent {
                let _ = tx.send(Err(seen.join("\n")));
            }
        });
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(Ok(address)) => Server {
                child,
                base: format!("http://{address}"),
            },
            Ok(Err(log)) => {
                let _ = child.kill();
                panic!("katalog serve exited before listening:\n{log}");
            }
            Err(_) => {
                let _ = child.kill();
                panic!("katalog serve did not start listening within 120 s");
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A canned HTTP response of the in-test document server.
#[derive(Clone, Debug)]
pub struct Canned {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// Announce this many more bytes than are sent, then close: a truncated body.
    pub truncate: bool,
}

impl Canned {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Canned {
            status: 200,
            content_type: Some(content_type.to_string()),
            body: body.into(),
            truncate: false,
        }
    }
    pub fn status(status: u16) -> Self {
        Canned {
            status,
            content_type: Some("text/plain".into()),
            body: b"server error".to_vec(),
            truncate: false,
        }
    }
}

/// A minimal HTTP/1.1 server on a loopback port whose responses a test can change.
pub struct DocServer {
    pub address: SocketAddr,
    routes: Arc<Mutex<HashMap<String, Canned>>>,
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl DocServer {
    pub fn start() -> DocServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let address = listener.local_addr().unwrap();
        let routes: Arc<Mutex<HashMap<String, Canned>>> = Arc::default();
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let (r, q) = (routes.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, q) = (r.clone(), q.clone());
                std::thread::spawn(move || handle(stream, &r, &q));
            }
        });
        DocServer {
            address,
            routes,
            requests,
        }
    }

    pub fn set(&self, path: &str, canned: Canned) {
        self.routes.lock().unwrap().insert(path.to_string(), canned);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }
}

fn handle(
    mut stream: TcpStream,
    routes: &Mutex<HashMap<String, Canned>>,
    log: &Mutex<Vec<String>>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    let started = Instant::now();
    while !head.ends_with(b"\r\n\r\n") && started.elapsed() < Duration::from_secs(10) {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_string();
    log.lock().unwrap().push(head.clone());
    let canned = routes
        .lock()
        .unwrap()
        .get(&path)
        .cloned()
        .unwrap_or_else(|| Canned::status(404));
    let announced = if canned.truncate {
        canned.body.len() * 2 + 10
    } else {
        canned.body.len()
    };
    let sent = if canned.truncate {
        &canned.body[..canned.body.len() / 2]
    } else {
        &canned.body[..]
    };
    let mut response = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {announced}\r\nConnection: close\r\n",
        canned.status
    );
    if let Some(ct) = &canned.content_type {
        response.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    response.push_str("\r\n");
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.write_all(sent);
    let _ = stream.flush();
}

/// An HTTP client (rustls needs its crypto provider installed first).
pub fn client() -> reqwest::Client {
    katalog::harvest::fetch::install_crypto_provider();
    reqwest::Client::new()
}

/// GET a URL.
pub async fn get(url: &str) -> reqwest::Response {
    client().get(url).send().await.expect("GET")
}

/// A SPARQL SELECT over HTTP, returning the JSON results' bindings.
pub async fn select(server: &Server, query: &str) -> Vec<serde_json::Value> {
    let response = client()
        .get(server.url("/sparql"))
        .query(&[("query", query)])
        .header("Accept", "application/sparql-results+json")
        .send()
        .await
        .expect("SPARQL request");
    assert_eq!(response.status(), 200, "query failed: {query}");
    let json: serde_json::Value = response.json().await.expect("JSON results");
    json["results"]["bindings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

pub fn value<'a>(binding: &'a serde_json::Value, var: &str) -> &'a str {
    binding[var]["value"].as_str().unwrap_or_default()
}
