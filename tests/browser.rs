//! The web UI end to end: the real `katalog serve` over the fixtures, its
//! pages checked over HTTP (status, content type, language, links that carry
//! the query, the plain form without JavaScript, the validation form), and a
//! researcher's and a steward's path through them in headless Chromium,
//! driven over WebDriver (chromedriver) by a small client on reqwest.
//!
//! The browser test needs Debian's `chromium` and `chromium-driver` (.ci/run
//! installs them). Without them it is skipped with a message, except under
//! CI (`CI=true`), where it fails. Screenshots go to `target/screenshots/`.

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A record with violations of dcat-ap-3 (no description), pasted into the form.
const INVALID: &str = "@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://example.no/dataset/x> a dcat:Dataset ;
    dct:title \"Testdatasett\"@nb .
";

async fn page(url: &str, headers: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = client().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("GET");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("body"))
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread")]
async fn html_pages_over_http() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);

    // The search page: language from Accept-Language, the form's fields named
    // like /api/search's parameters.
    let (status, headers, html) = page(
        &server.url("/"),
        &[("Accept-Language", "nb-NO,nb;q=0.9,en;q=0.5")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert!(html.contains("<html lang=\"nb\">"), "{html}");
    assert!(html.contains("Hopp til hovedinnholdet") && html.contains("href=\"#main\""));
    for field in [
        "q",
        "disease",
        "age_from",
        "age_to",
        "min_individuals",
        "sort",
        "country",
        "access",
    ] {
        assert!(
            html.contains(&format!("name=\"{field}\"")),
            "no field {field}"
        );
    }
    for id in [
        "q",
        "disease",
        "age_from",
        "age_to",
        "min_individuals",
        "sort",
    ] {
        assert!(
            html.contains(&format!("<label for=\"{id}\"")),
            "no label for {id}"
        );
    }
    let (_, _, english) = page(&server.url("/"), &[("Accept-Language", "en-GB")]).await;
    assert!(english.contains("<html lang=\"en\">") && english.contains("Skip to main content"));

    // The same answer as the API, with labels in the UI language.
    let api: Value = get(&server.url("/api/search?q=diabetes&lang=nb"))
        .await
        .json()
        .await
        .unwrap();
    let total = api["total"].as_u64().unwrap();
    assert!(total > 1, "{api}");
    let (status, headers, html) = page(&server.url("/?q=diabetes&lang=nb"), &[]).await;
    assert_eq!(status, 200);
    assert!(
        header(&headers, "set-cookie").starts_with("lang=nb"),
        "the switch is remembered"
    );
    assert!(html.contains(&format!("{total} datasett")), "{html}");
    assert!(html.contains("<em>"), "highlights: {html}");
    let first_title = api["hits"][0]["title"].as_str().unwrap();
    assert!(
        html.contains(&first_title.replace('&', "&amp;")) || html.contains("<em>Diabetes"),
        "{first_title}"
    );

    // What a browser sends without JavaScript: every field, empty ones too.
    let (status, _, plain) = page(
        &server.url("/?q=diabetes&disease=&age_from=&age_to=&min_individuals=&min_records=&sort=relevance&lang=nb"),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert!(plain.contains(&format!("{total} datasett")), "{plain}");

    // Paging and facet links carry the whole query.
    let (_, _, paged) = page(&server.url("/?q=diabetes&size=2&lang=en"), &[]).await;
    assert!(
        paged.contains("href=\"/?q=diabetes&amp;size=2&amp;page=2&amp;lang=en\""),
        "{paged}"
    );
    let (_, _, faceted) = page(&server.url("/?q=diabetes&country=NO&lang=en"), &[]).await;
    assert!(
        faceted.contains("name=\"country\" value=\"NO\" checked"),
        "{faceted}"
    );
    assert!(
        faceted.contains("href=\"/?q=diabetes&amp;lang=en\""),
        "remove link: {faceted}"
    );
    let api_no: Value = get(&server.url("/api/search?q=diabetes&country=NO"))
        .await
        .json()
        .await
        .unwrap();
    let n = api_no["total"].as_u64().unwrap();
    assert!(
        faceted.contains(&format!("{n} datasets")) || (n == 1 && faceted.contains("1 dataset")),
        "{faceted}"
    );

    // A bad parameter: 400, named, with the form still there.
    let (status, _, bad) = page(&server.url("/?age_from=old&lang=en"), &[]).await;
    assert_eq!(status, 400);
    assert!(
        bad.contains("age_from") && bad.contains("name=\"q\""),
        "{bad}"
    );

    // A dataset page: negotiated, in the chosen language, readable labels.
    let id = api["hits"][0]["id"].as_str().unwrap().to_string();
    let (status, headers, html) = page(
        &server.url(&format!("/datasets/{id}?lang=nb")),
        &[("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert!(header(&headers, "vary").contains("Accept"));
    assert!(header(&headers, "link").contains("rel=\"canonical\""));
    assert!(html.contains("<html lang=\"nb\">"));
    for text in [
        "Alle egenskaper",
        "Distribusjoner og tilgang",
        "Opphav",
        "Validering og kvalitet",
        "Tittel</dt>",
        ".ttl\"",
        "Først høstet",
        " advarsler",
        "Samlet",
    ] {
        assert!(html.contains(text), "{text} in {html}");
    }
    assert!(
        !html.contains(">http://publications.europa.eu/resource/authority/access-right/"),
        "access rights as labels: {html}"
    );
    let (_, headers, _) = page(
        &server.url(&format!("/datasets/{id}")),
        &[("Accept", "text/turtle")],
    )
    .await;
    assert_eq!(header(&headers, "vary"), "Accept");
    assert!(header(&headers, "content-type").starts_with("text/turtle"));

    // The validation page: a plain form; a pasted document and an upload.
    let (status, _, form) = page(&server.url("/validate?lang=en"), &[]).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("name=\"document\"")
            && form.contains("type=\"file\"")
            && form.contains("name=\"profile\"")
    );
    let response = client()
        .post(server.url("/validate"))
        .header("Cookie", "lang=en")
        .form(&[
            ("document", INVALID),
            ("syntax", "turtle"),
            ("profile", "dcat-ap-3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let report = response.text().await.unwrap();
    assert!(report.contains("Does not conform"), "{report}");
    assert!(report.contains("dct:description"), "{report}");
    assert!(
        report.contains("Dataset &lt;https://example.no/dataset/x&gt;"),
        "{report}"
    );
    let boundary = "XkatalogBoundary";
    let mut body = Vec::new();
    for (name, file, value) in [
        ("document", None, ""),
        ("file", Some("x.ttl"), INVALID),
        ("syntax", None, "auto"),
        ("profile", None, "dcat-ap-3"),
    ] {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").bytes(),
        );
        if let Some(file) = file {
            body.extend(format!("; filename=\"{file}\"\r\nContent-Type: text/turtle").bytes());
        }
        body.extend(format!("\r\n\r\n{value}\r\n").bytes());
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    let response = client()
        .post(server.url("/validate?lang=nb"))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let report = response.text().await.unwrap();
    assert!(
        report.contains("Ikke gyldig") && report.contains("x.ttl"),
        "{report}"
    );
    let response = client()
        .post(server.url("/validate"))
        .form(&[("document", "  ")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let big = "#".repeat(1_200_000);
    let response = client()
        .post(server.url("/validate"))
        .form(&[("document", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413, "capped like POST /api/validate");

    let (status, headers, css) = page(&server.url("/static/katalog.css"), &[]).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").starts_with("text/css") && css.contains("--brand"));
    assert_eq!(page(&server.url("/static/nothing.css"), &[]).await.0, 404);
}

/// A WebDriver session on chromedriver, ended (and chromedriver stopped) on drop.
struct Browser {
    http: reqwest::Client,
    session: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    /// Starts chromedriver and a headless Chromium; None (after saying why)
    /// when they are not installed, outside CI.
    async fn start() -> Option<Browser> {
        let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists());
        let chromium = PathBuf::from("/usr/bin/chromium");
        let (Some(chromedriver), true) = (chromedriver, chromium.exists()) else {
            let why = "chromium or chromedriver is not installed (apt-get install chromium chromium-driver)";
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{why}; CI must run the browser test");
            }
            eprintln!("skipped: {why}");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = client();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let ready = match http.get(format!("{base}/status")).send().await {
                Ok(r) => r
                    .json::<Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == true),
                Err(_) => false,
            };
            if ready {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "chromedriver did not get ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                    "--disable-dev-shm-usage", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {"intl.accept_languages": "nb-NO,nb,en"}
            }
        }}});
        let response: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session JSON");
        let session = response["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {response}"));
        Some(Browser {
            session: format!("{base}/session/{session}"),
            http,
            driver,
            _profile: profile,
        })
    }

    async fn try_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response: Value = request
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        if response["value"].get("error").is_some() {
            return Err(format!("WebDriver {path}: {}", response["value"]));
        }
        Ok(response["value"].clone())
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn find_all(&self, css: &str) -> Vec<String> {
        let found = self
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e[ELEMENT].as_str().map(str::to_string))
            .collect()
    }

    async fn find(&self, css: &str) -> String {
        self.find_all(css)
            .await
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no element {css}"))
    }

    async fn click(&self, element: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn type_into(&self, element: &str, text: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn text(&self, element: &str) -> String {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{element}/text"),
            None,
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_string()
    }

    async fn script(&self, script: &str, args: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    async fn lang(&self) -> String {
        self.script("return document.documentElement.lang", json!([]))
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Waits (bounded) until a condition on the page holds: for navigations.
    async fn wait_for(&self, what: &str, script: &str) {
        let started = Instant::now();
        loop {
            let ok = self
                .call(
                    reqwest::Method::POST,
                    "/execute/sync",
                    Some(json!({"script": script, "args": []})),
                )
                .await;
            if ok == json!(true) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "timed out waiting for {what} (at {})",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&self, path: &Path) {
        let encoded = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = decode_base64(encoded.as_str().expect("base64 PNG"));
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
    }
}

impl Drop for Browser {
    /// Ends the session (so chromedriver closes Chromium), then chromedriver.
    fn drop(&mut self) {
        use std::io::{Read, Write};
        if let Some((address, path)) = self
            .session
            .strip_prefix("http://")
            .and_then(|rest| rest.split_once('/'))
        {
            if let Ok(mut stream) = std::net::TcpStream::connect(address) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
                let _ = write!(
                    stream,
                    "DELETE /{path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.read_to_end(&mut Vec::new());
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits: Vec<u32> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, d) in chunk.iter().enumerate() {
            n |= d << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("screenshots")
}

#[tokio::test(flavor = "multi_thread")]
async fn researcher_and_steward_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);

    // Chromium asks for Norwegian: the page answers in it.
    browser.goto(&server.url("/")).await;
    assert_eq!(browser.lang().await, "nb");
    let q = browser.find("#q").await;
    browser.type_into(&q, "kreft").await;
    browser
        .click(&browser.find(".searchbar button[type=submit]").await)
        .await;
    browser
        .wait_for(
            "the search for kreft",
            "return location.search.includes('q=kreft') && document.readyState === 'complete'",
        )
        .await;
    let hits = browser.find_all("ol.hits li.hit").await.len();
    assert!(hits > 0, "kreft finds datasets");
    let total = browser.text(&browser.find(".total").await).await;
    assert!(total.ends_with("datasett"), "{total}");

    // Two facets: a box of each submits the form (the page's script).
    browser
        .click(&browser.find("#facet-country input[type=checkbox]").await)
        .await;
    browser
        .wait_for(
            "the country facet",
            "return location.search.includes('country=') && document.readyState === 'complete'",
        )
        .await;
    browser
        .click(&browser.find("#facet-access input[type=checkbox]").await)
        .await;
    browser
        .wait_for(
            "the access facet",
            "return location.search.includes('access=') && location.search.includes('country=') && document.readyState === 'complete'",
        )
        .await;
    let url = browser.url().await;
    assert!(url.contains("q=kreft"), "the query stays in the URL: {url}");
    assert_eq!(
        browser.find_all("input[type=checkbox]:checked").await.len(),
        2,
        "{url}"
    );
    let narrowed = browser.find_all("ol.hits li.hit").await.len();
    assert!(
        narrowed > 0 && narrowed <= hits,
        "{narrowed} of {hits} at {url}"
    );
    browser.screenshot(&screenshots().join("search.png")).await;

    // A dataset page, in Norwegian, then in English through the switch.
    browser
        .click(&browser.find("ol.hits li.hit h3 a").await)
        .await;
    browser
        .wait_for("the dataset page", "return location.pathname.startsWith('/datasets/') && document.readyState === 'complete'")
        .await;
    assert_eq!(browser.lang().await, "nb");
    assert!(!browser.text(&browser.find("h1").await).await.is_empty());
    assert_eq!(
        browser.text(&browser.find("#properties").await).await,
        "Alle egenskaper"
    );
    browser
        .screenshot(&screenshots().join("dataset-nb.png"))
        .await;
    browser
        .click(&browser.find("nav.languages a[hreflang=en]").await)
        .await;
    browser
        .wait_for(
            "the English page",
            "return document.documentElement.lang === 'en' && document.readyState === 'complete'",
        )
        .await;
    assert_eq!(
        browser.text(&browser.find("#properties").await).await,
        "All properties"
    );
    browser
        .screenshot(&screenshots().join("dataset-en.png"))
        .await;

    // The steward validates a pasted document (English sticks: the cookie).
    browser
        .click(&browser.find("nav.main a[href='/validate']").await)
        .await;
    browser
        .wait_for(
            "the validation page",
            "return location.pathname === '/validate' && document.readyState === 'complete'",
        )
        .await;
    assert_eq!(browser.lang().await, "en");
    let document = browser.find("#document").await;
    browser.type_into(&document, INVALID).await;
    browser
        .click(&browser.find("form.validate button[type=submit]").await)
        .await;
    browser
        .wait_for("the report", "return document.querySelector('.report') !== null && document.readyState === 'complete'")
        .await;
    let verdict = browser.text(&browser.find(".verdict").await).await;
    assert!(verdict.starts_with("Does not conform"), "{verdict}");
    let results = browser
        .text(&browser.find(".report ul.results").await)
        .await;
    assert!(
        results.contains("Violation") && results.contains("dct:description"),
        "{results}"
    );
    browser
        .screenshot(&screenshots().join("validate.png"))
        .await;
}
