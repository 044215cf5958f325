//! The steward dashboard over HTTP: `/sources` and `/sources/{name}` on a
//! store holding the fixtures (harvested twice, so each source has a run
//! history and a quality trend), in English and Norwegian.

mod common;

use common::{client, get, katalog, stderr, Server};
use serde_json::Value;

const EXTRA: &str =
    "<https://push.example.no/steward-test/extra> a <http://www.w3.org/ns/dcat#Dataset> ;
    <http://purl.org/dc/terms/title> \"Extra dataset\"@en ;
    <http://purl.org/dc/terms/description> \"Here for one run only.\"@en .
";

async fn page(server: &Server, path: &str, accept_language: Option<&str>) -> (u16, String) {
    let mut request = client().get(server.url(path));
    if let Some(lang) = accept_language {
        request = request.header("Accept-Language", lang);
    }
    let response = request.send().await.expect("GET");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.text().await.unwrap();
    if status == 200 {
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
    }
    (status, unescape(&body))
}

/// The page's text with minijinja's HTML escapes undone, for comparing
/// with the JSON API's values.
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_shows_sources_runs_problems_and_trend() {
    // The fixtures, with one extra Norwegian dataset in the first harvest
    // only: the second run changes the source (a quality point per run)
    // and tombstones that dataset.
    let data = tempfile::tempdir().unwrap();
    let fixtures = common::fixtures();
    let original = std::fs::read_to_string(fixtures.join("no/catalogue.ttl")).unwrap();
    let no = data.path().join("no.ttl");
    std::fs::write(&no, format!("{original}\n{EXTRA}")).unwrap();
    let config = std::fs::read_to_string(fixtures.join("katalog.toml"))
        .unwrap()
        .replace(
            "url = \"no/catalogue.ttl\"",
            &format!("url = {:?}", no.to_str().unwrap()),
        );
    let config_path = data.path().join("katalog.toml");
    std::fs::write(&config_path, config).unwrap();
    // The other sources' relative paths resolve against the config's directory.
    for name in ["se", "fi", "nl", "dk"] {
        std::os::unix::fs::symlink(fixtures.join(name), data.path().join(name)).unwrap();
    }
    let config = config_path.to_str().unwrap();
    let store = data.path().join("store");
    let harvested = katalog(&store, &["harvest", "--config", config]);
    assert!(harvested.status.success(), "{}", stderr(&harvested));
    std::fs::write(&no, &original).unwrap();
    let harvested = katalog(&store, &["harvest", "--config", config]);
    assert!(harvested.status.success(), "{}", stderr(&harvested));
    let server = Server::start(&store, &["--config", config]);

    let (status, list) = page(&server, "/sources", None).await;
    assert_eq!(status, 200);
    assert!(list.contains("<html lang=\"en\">"));
    assert!(list.contains("<h1>Sources</h1>"));
    for name in ["no", "se", "fi", "nl", "dk"] {
        assert!(
            list.contains(&format!("href=\"/sources/{name}?lang=en\"")),
            "{name} missing"
        );
    }
    assert!(list.contains("<code>0 2 * * *</code>"), "the schedule");
    assert!(list.contains(" UTC</td>"), "a next run time");
    assert!(list.contains("class=\"outcome-success\""), "the first run");
    assert!(
        list.contains("class=\"outcome-unchanged\""),
        "the second run"
    );

    // A source with quarantined records: its page groups the problems and
    // shows each record's report, as the JSON report has them.
    let mut checked = 0;
    for name in ["no", "se", "fi", "nl", "dk"] {
        let report: Value = get(&server.url(&format!("/api/sources/{name}/report")))
            .await
            .json()
            .await
            .unwrap();
        let (status, html) = page(&server, &format!("/sources/{name}"), None).await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!("<h1>Source {name}</h1>")));
        assert!(html.contains("<h2 id=\"runs\">Run history</h2>"));
        if name == "no" {
            assert!(
                html.contains("<svg class=\"sparkline\""),
                "{name}: two measured runs make a trend"
            );
            assert!(
                html.contains("Tombstones (1)"),
                "{name}: the dropped dataset"
            );
            assert!(html.contains("https://push.example.no/steward-test/extra"));
        }
        let quarantined = report["quarantined"].as_array().unwrap();
        assert!(html.contains(&format!("Quarantined records ({})", quarantined.len())));
        for record in quarantined {
            checked += 1;
            let id = record["id"].as_str().unwrap();
            let resource = record["resource"].as_str().unwrap();
            assert!(html.contains(&format!("id=\"q-{id}\"")), "{name}: {id}");
            assert!(html.contains(resource), "{name}: {resource}");
            // Each of its results is on the page, and an example link leads to it.
            assert!(
                html.contains(&format!("href=\"#q-{id}\"")),
                "{name}: {id} not an example"
            );
            for result in record["results"].as_array().unwrap() {
                if let Some(message) = result["message"].as_str() {
                    assert!(
                        html.contains(message),
                        "{name}: message {message:?} missing"
                    );
                }
            }
        }
        if !quarantined.is_empty() {
            assert!(html.contains("Problems by property"));
            assert!(html.contains("class=\"sev-Violation\""));
        }
    }
    assert_eq!(checked, 5, "the fixtures hold five deliberate defects");

    // Norwegian, by parameter and by Accept-Language; unknown source: 404.
    let (_, nb) = page(&server, "/sources?lang=nb", None).await;
    assert!(nb.contains("<html lang=\"nb\">") && nb.contains("<h1>Kilder</h1>"));
    let (_, nb) = page(&server, "/sources/no", Some("nb-NO,nb;q=0.9,en;q=0.5")).await;
    assert!(nb.contains("Kjørehistorikk") && nb.contains("Kvalitetsutvikling"));
    assert!(
        nb.contains("href=\"?lang=en\""),
        "the switch back to English"
    );
    let (status, _) = page(&server, "/sources/nope", None).await;
    assert_eq!(status, 404);
}
