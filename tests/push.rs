//! The publishing API against the real server: `PUT` and `DELETE
//! /api/records/{id}` into `kind = "push"` sources, with scoped tokens, the
//! same gate as harvested records, and the record's fate in search and in
//! the DCAT-AP export.

mod common;

use common::{client, get, Server};
use serde_json::Value;
use std::path::Path;

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

fn write_config(dir: &Path) -> String {
    let body = format!(
        "[server]\nmax_body_bytes = 65536\n\n\
         [[source]]\nname = \"p\"\ncountry = \"NO\"\nkind = \"push\"\nprofile = \"dcat-ap-3\"\n\n\
         [[source]]\nname = \"q\"\ncountry = \"SE\"\nkind = \"push\"\n\n\
         [[token]]\nname = \"pusher\"\nsha256 = \"{}\"\nsources = [\"p\"]\nscopes = [\"push\"]\n\n\
         [[token]]\nname = \"q-pusher\"\nsha256 = \"{}\"\nsources = [\"q\"]\nscopes = [\"push\", \"harvest\"]\n\n\
         [[token]]\nname = \"old-style\"\nsha256 = \"{}\"\n",
        sha256_hex("p-token"),
        sha256_hex("q-token"),
        sha256_hex("harvest-token"),
    );
    let path = dir.join("katalog.toml");
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_string()
}

const DATASET: &str = r#"@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://push.example.no/dataset/zanzibar> a dcat:Dataset ;
    dct:title "Zanzibarcohort of adult diabetes"@en ;
    dct:description "Adults with type 2 diabetes followed for ten years."@en ;
    dct:identifier "zanzibar-1" .
"#;

async fn put(
    server: &Server,
    path: &str,
    token: Option<&str>,
    ct: &str,
    body: &str,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = client()
        .put(server.url(path))
        .header("Content-Type", ct)
        .body(body.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("PUT");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        headers,
    )
}

async fn delete(server: &Server, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = client().delete(server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("DELETE");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn search_ids(server: &Server, q: &str) -> Vec<String> {
    let response = client()
        .get(server.url("/api/search"))
        .query(&[("q", q)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn export(server: &Server) -> String {
    get(&server.url("/catalog.nt?size=1000"))
        .await
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn push_api_publishes_gates_and_deletes() {
    let data = tempfile::tempdir().unwrap();
    let config = write_config(data.path());
    let server = Server::start(data.path(), &["--config", &config]);
    let ttl = "text/turtle";
    let path = "/api/records/zanzibar";

    // Who may write.
    let (status, _, headers) = put(&server, path, None, ttl, DATASET).await;
    assert_eq!(status, 401);
    assert!(headers
        .get("www-authenticate")
        .is_some_and(|v| v.to_str().unwrap().starts_with("Bearer")));
    let (status, _, headers) = put(&server, path, Some("guess"), ttl, DATASET).await;
    assert_eq!(status, 401);
    assert!(headers.contains_key("www-authenticate"));
    let (status, body, _) = put(&server, path, Some("harvest-token"), ttl, DATASET).await;
    assert_eq!(status, 403, "a token without the push scope: {body}");
    let (status, _, _) = put(
        &server,
        &format!("{path}?source=p"),
        Some("q-token"),
        ttl,
        DATASET,
    )
    .await;
    assert_eq!(status, 403, "a token for another source");
    let (status, _) = delete(&server, &format!("{path}?source=p"), Some("q-token")).await;
    assert_eq!(status, 403);

    // What may be written.
    let (status, _, _) = put(&server, path, Some("p-token"), "text/plain", DATASET).await;
    assert_eq!(status, 415);
    let (status, body, _) = put(
        &server,
        path,
        Some("p-token"),
        ttl,
        "<https://x.example/a> <https://x.example/p> .\n",
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("line 1, column"),
        "{body}"
    );
    let two = format!("{DATASET}<https://push.example.no/dataset/other> a <http://www.w3.org/ns/dcat#Dataset> .\n");
    let (status, body, _) = put(&server, path, Some("p-token"), ttl, &two).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("2 records"),
        "{body}"
    );
    let big = format!("{DATASET}# {}\n", "x".repeat(70_000));
    let (status, _, _) = put(&server, path, Some("p-token"), ttl, &big).await;
    assert_eq!(status, 413);
    let (status, _, _) = put(
        &server,
        "/api/records/bad%2Fid",
        Some("p-token"),
        ttl,
        DATASET,
    )
    .await;
    assert_eq!(status, 400);

    // Create: published, searchable, exported.
    let (status, created, headers) = put(&server, path, Some("p-token"), ttl, DATASET).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(headers.get("location").unwrap(), "/api/records/zanzibar");
    assert_eq!(created["status"], "created");
    assert_eq!(created["source"], "p");
    assert_eq!(created["iri"], "https://push.example.no/dataset/zanzibar");
    let record = created["record"].as_str().unwrap().to_string();
    assert_eq!(
        get(&server.url(&format!("/datasets/{record}")))
            .await
            .status(),
        200
    );
    assert_eq!(
        search_ids(&server, "zanzibarcohort").await,
        vec![record.clone()]
    );
    assert!(export(&server)
        .await
        .contains("Zanzibarcohort of adult diabetes"));

    // The same again: unchanged; a new title: updated.
    let (status, body, _) = put(&server, path, Some("p-token"), ttl, DATASET).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("unchanged")));
    let renamed = DATASET.replace("Zanzibarcohort of adult", "Pembacohort of adult");
    let (status, body, _) = put(&server, path, Some("p-token"), ttl, &renamed).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("updated")),
        "{body}"
    );
    assert_eq!(
        search_ids(&server, "pembacohort").await,
        vec![record.clone()]
    );

    // Conflicts: the IRI under another id; another IRI under this id.
    let (status, _, _) = put(
        &server,
        "/api/records/other-id",
        Some("p-token"),
        ttl,
        DATASET,
    )
    .await;
    assert_eq!(status, 409);
    let moved = DATASET.replace("dataset/zanzibar", "dataset/moved");
    let (status, _, _) = put(&server, path, Some("p-token"), ttl, &moved).await;
    assert_eq!(status, 409);

    // A version violating dcat-ap-3 (no description): quarantined with its
    // report; the earlier version stays published, flagged stale.
    let broken = renamed.replace(
        "dct:description \"Adults with type 2 diabetes followed for ten years.\"@en ;",
        "",
    );
    let (status, held, _) = put(&server, path, Some("p-token"), ttl, &broken).await;
    assert_eq!(status, 422, "{held}");
    assert_eq!(held["status"], "quarantined");
    assert_eq!(held["published"], true);
    assert_eq!(held["stale"], true);
    let results = held["report"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["severity"] == "Violation"
                && r["path"] == "http://purl.org/dc/terms/description"),
        "{held}"
    );
    assert_eq!(
        get(&server.url(&format!("/datasets/{record}")))
            .await
            .status(),
        200
    );
    let report: Value = get(&server.url("/api/sources/p/report"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["quarantined"][0]["id"], record.as_str(), "{report}");
    assert_eq!(report["quarantined"][0]["stale"], true);
    assert_eq!(report["last_run"]["quarantined"], 1);

    // The dashboard's API lists the push source with its last run.
    let sources: Value = get(&server.url("/api/sources")).await.json().await.unwrap();
    let p = sources["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "p")
        .unwrap()
        .clone();
    assert_eq!(p["kind"], "push");
    assert!(p["last_run"]["run"].as_str().is_some(), "{p}");

    // A push source is not harvested.
    let response = client()
        .post(server.url("/api/sources/q/harvest"))
        .bearer_auth("q-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);

    // Delete: tombstoned, gone from search, announced in the export.
    let (status, _) = delete(&server, "/api/records/never-pushed", Some("p-token")).await;
    assert_eq!(status, 404);
    let (status, deleted) = delete(&server, path, None).await;
    assert_eq!(status, 401, "{deleted}");
    let (status, deleted) = delete(&server, path, Some("p-token")).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["status"], "deleted");
    assert_eq!(deleted["record"], record.as_str());
    assert_eq!(
        get(&server.url(&format!("/datasets/{record}")))
            .await
            .status(),
        410
    );
    assert!(search_ids(&server, "pembacohort").await.is_empty());
    let exported = export(&server).await;
    assert!(!exported.contains("Pembacohort"), "{exported}");
    assert!(exported.contains("http://purl.org/adms/changetype/deleted"));
    let (status, _) = delete(&server, path, Some("p-token")).await;
    assert_eq!(status, 410);

    // The dashboard shows the pushes as runs, the held-back version's
    // report and the tombstone.
    let html = get(&server.url("/sources/p"))
        .await
        .text()
        .await
        .unwrap()
        .replace("&#x2f;", "/");
    assert!(
        html.contains("PUT /api/records/zanzibar"),
        "pushes are runs"
    );
    assert!(html.contains("DELETE /api/records/zanzibar"));
    assert!(html.contains("Tombstones (1)"));
    assert!(html.contains("https://push.example.no/dataset/zanzibar"));
    let list = get(&server.url("/sources"))
        .await
        .text()
        .await
        .unwrap()
        .replace("&#x2f;", "/");
    assert!(list.contains("records are pushed (PUT /api/records/{id})"));

    // JSON-LD too, into the other source (named, as the token allows only it).
    let jsonld = r#"{"@id": "https://push.example.se/ds/1", "@type": "http://www.w3.org/ns/dcat#Dataset",
        "http://purl.org/dc/terms/title": "Swedish register"}"#;
    let (status, body, _) = put(
        &server,
        "/api/records/se-1?source=q",
        Some("q-token"),
        "application/ld+json",
        jsonld,
    )
    .await;
    assert_eq!(status, 201, "{body}");
}
