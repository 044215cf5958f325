//! Search end to end: the real binary harvests the fixtures, `katalog
//! search` and `katalog reindex` run against the data directory, and
//! `katalog serve` answers `/api/search` and `/api/datasets/{id}` over HTTP.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn search_cli_and_http_api() {
    let data = tempfile::tempdir().unwrap();
    let harvest = katalog(data.path(), &["harvest"]);
    assert!(harvest.status.success(), "{}", stderr(&harvest));

    // The CLI: a readable table, JSON, filters, and flags checked.
    let table = katalog(data.path(), &["search", "diabetes", "--country", "NO"]);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    assert!(
        text.contains("Norwegian Diabetes Register for Adults"),
        "{text}"
    );
    assert!(!text.contains("Swedish"), "{text}");
    let json = katalog(
        data.path(),
        &["search", "", "--disease", "E11", "--json", "--size", "100"],
    );
    assert!(json.status.success(), "{}", stderr(&json));
    let results: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let hits = results["hits"].as_array().unwrap();
    assert!(hits.len() >= 10, "{results}");
    assert!(hits.iter().any(|h| h["identifier"] == "FI-HUS-0001"));
    let bad = katalog(data.path(), &["search", "x", "--age-from", "old"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("age-from"), "{}", stderr(&bad));
    let none = katalog(data.path(), &["search", "zzzzqqqq"]);
    assert_eq!(none.status.code(), Some(1), "no hits: exit status 1");

    let reindex = katalog(data.path(), &["reindex"]);
    assert!(reindex.status.success(), "{}", stderr(&reindex));
    assert!(stdout(&reindex).contains("rebuilt"), "{}", stdout(&reindex));

    // A stale index (removed behind the server's back) is rebuilt at start-up.
    std::fs::remove_dir_all(data.path().join("index")).unwrap();
    let server = Server::start(data.path(), &[]);
    let response =
        get(&server.url("/api/search?q=kreft&lang=nb&country=NO&country=FI&size=5")).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["total"].as_u64().unwrap() >= 5, "{body}");
    assert!(body["took_ms"].is_number());
    let hit = &body["hits"][0];
    for field in [
        "id",
        "iri",
        "title",
        "description",
        "country",
        "publisher",
        "highlights",
        "health",
    ] {
        assert!(hit.get(field).is_some(), "{field} missing from {hit}");
    }
    let countries: Vec<&str> = body["facets"]["country"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert!(
        countries.iter().all(|c| *c == "NO" || *c == "FI"),
        "{countries:?}"
    );
    let themes = body["facets"]["health_theme"].as_array().unwrap();
    assert!(themes.iter().any(|t| t["label"] == "Kreft"), "{themes:?}");

    // One record: JSON, and its RDF by Accept.
    let id = hit["id"].as_str().unwrap();
    let record: serde_json::Value = get(&server.url(&format!("/api/datasets/{id}?lang=nb")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(record["id"], id);
    assert!(
        record["titles"].as_array().is_some_and(|t| !t.is_empty()),
        "{record}"
    );
    let turtle = client()
        .get(server.url(&format!("/api/datasets/{id}")))
        .header("Accept", "text/turtle")
        .send()
        .await
        .unwrap();
    assert_eq!(turtle.status(), 200);
    assert!(turtle.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/turtle"));
    let text = turtle.text().await.unwrap();
    assert!(text.contains(hit["iri"].as_str().unwrap()), "{text}");
    assert_eq!(get(&server.url("/api/datasets/nope")).await.status(), 404);

    // Bad parameters: 400 naming the parameter; no input gives a 500.
    for (query, parameter) in [
        ("age_from=abc", "age_from"),
        ("size=5000", "size"),
        ("sort=random", "sort"),
        ("disease=sugar", "disease"),
        ("country=Narnia", "country"),
        ("frobnicate=1", "frobnicate"),
        ("modified_after=2024-13-45", "modified_after"),
    ] {
        let response = get(&server.url(&format!("/api/search?{query}"))).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["parameter"], parameter, "{query}: {body}");
        assert!(body["error"].as_str().unwrap().contains(parameter));
    }
    for q in [
        "%22",
        "title%3A",
        "((((",
        "-",
        "%F0%9F%99%82",
        "%00",
        "disease%3A",
        "a%3Ab%3Ac",
        "%5C",
    ] {
        let response = get(&server.url(&format!("/api/search?q={q}"))).await;
        assert_eq!(response.status(), 200, "q={q}");
    }

    // The searches above filled the part caches: /metrics shows them.
    let metrics = get(&server.url("/metrics")).await.text().await.unwrap();
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from:\n{metrics}"))
    };
    for cache in ["docsets", "scores"] {
        let misses =
            format!("katalog_search_part_cache_lookups_total{{cache=\"{cache}\",result=\"miss\"}}");
        assert!(value(&misses) > 0.0, "{misses}");
        let bytes = format!("katalog_search_part_cache_bytes{{cache=\"{cache}\"}}");
        assert!(value(&bytes) > 0.0, "{bytes}");
    }
}
