//! One end-to-end harvest per source kind, each against an in-test server
//! that answers like the real thing: Hydra pages in both styles, a SPARQL
//! endpoint that caps its results, a FAIR Data Point tree with paged
//! children, a CKAN DCAT endpoint and a CKAN action API.

mod common;
#[path = "support/rawhttp.rs"]
mod rawhttp;

use common::output_text as text;

/// The harvest tests' katalog: no proxy from the environment.
fn run(data: &Path, config: &Path, args: &[&str]) -> Output {
    common::katalog_with_config(data, config, args, None)
}
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use rawhttp::{RawServer, Reply};
use std::path::Path;
use std::process::Output;

const PREFIXES: &str =
    "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n\
@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .\n\
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n@prefix ldp: <http://www.w3.org/ns/ldp#> .\n\
@prefix fdp: <https://w3id.org/fdp/fdp-o#> .\n";

/// Harvests one source from a fresh store and returns (data dir, config path).
fn harvest(source_toml: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("katalog.toml");
    std::fs::write(
        &config,
        format!("[harvest]\nmax_retries = 0\nrun_timeout_secs = 120\n\n{source_toml}"),
    )
    .unwrap();
    let out = run(data.path(), &config, &["harvest"]);
    assert!(out.status.success(), "{}", text(&out));
    (data, config)
}

/// Rows of a SELECT over the store (TSV, header dropped).
fn select(data: &Path, config: &Path, query: &str) -> Vec<String> {
    let out = run(data, config, &["sparql", query]);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// Published records of a source, as their resource IRIs, sorted.
fn published(data: &Path, config: &Path, source: &str) -> Vec<String> {
    select(
        data,
        config,
        &format!(
            "SELECT ?resource WHERE {{ GRAPH <urn:katalog:graph:records> {{ ?r <https://w3id.org/katalog/ns#sourceName> \"{source}\" ; \
             <https://w3id.org/katalog/ns#state> \"published\" ; <http://xmlns.com/foaf/0.1/primaryTopic> ?resource }} }} ORDER BY ?resource"
        ),
    )
}

fn ask(data: &Path, config: &Path, query: &str) -> bool {
    let out = run(data, config, &["sparql", query]);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim() == "true"
}

fn datasets(base: &str, range: std::ops::Range<usize>) -> String {
    range
        .map(|i| {
            format!(
                "<{base}/dataset/{i}> a dcat:Dataset ; dct:title \"Dataset {i}\"@en ;\n\
                 dcat:distribution <{base}/dataset/{i}/dist> ; dct:publisher <{base}/org> ;\n\
                 dcat:contactPoint [ a vcard:Kind ; vcard:fn \"Desk {i}\" ] .\n\
                 <{base}/dataset/{i}/dist> a dcat:Distribution ; dcat:accessURL <{base}/files/{i}.csv> .\n"
            )
        })
        .collect()
}

#[test]
fn rdf_kind_follows_ckan_style_literal_next_pages() {
    let server = RawServer::start(|request| {
        let base = format!("http://{}", request.host);
        let page: usize = request
            .query("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        if request.path() != "/catalog.ttl" || page > 3 {
            return Reply::status(404);
        }
        let mut body = format!(
            "{PREFIXES}<{base}/catalog.ttl?page={page}> a hydra:PagedCollection ;\n\
             hydra:firstPage \"{base}/catalog.ttl?page=1\" ; hydra:lastPage \"{base}/catalog.ttl?page=3\" ;\n\
             hydra:itemsPerPage 2 ; hydra:totalItems 6"
        );
        if page < 3 {
            body.push_str(&format!(
                " ; hydra:nextPage \"{base}/catalog.ttl?page={}\"",
                page + 1
            ));
        }
        body.push_str(" .\n");
        body.push_str(&datasets(&base, (page * 2 - 2)..(page * 2)));
        body.push_str(&format!(
            "<{base}/org> a foaf:Agent ; foaf:name \"Org\" .\n"
        ));
        Reply::ok("text/turtle", body)
    });
    let (data, config) = harvest(&format!(
        "[[source]]\nname = \"paged\"\ncountry = \"NO\"\nurl = \"{}\"\nallow_private_network = true\n",
        server.url("/catalog.ttl?page=1")
    ));
    assert_eq!(published(data.path(), &config, "paged").len(), 6);
    assert!(!ask(
        data.path(),
        &config,
        "ASK { GRAPH ?g { ?s ?p ?o FILTER(STRSTARTS(STR(?p), \"http://www.w3.org/ns/hydra/\")) } }"
    ));
    assert_eq!(server.paths().len(), 3);
}

/// An in-memory SPARQL endpoint that answers at most 7 rows per SELECT and
/// 45 triples per CONSTRUCT, as capped public endpoints do.
fn sparql_endpoint(store: Store) -> RawServer {
    sparql_endpoint_with(store, false)
}

/// `ignore_offset`: answers every listing page from the start, as a broken endpoint would.
fn sparql_endpoint_with(store: Store, ignore_offset: bool) -> RawServer {
    RawServer::start(move |request| {
        if request.path() != "/sparql" {
            return Reply::status(404);
        }
        let Some(mut query) = request.form("query").or_else(|| request.query("query")) else {
            return Reply::status(400);
        };
        if ignore_offset {
            if let Some(at) = query.rfind("OFFSET") {
                query.truncate(at);
            }
        }
        let prepared = match SparqlEvaluator::new().parse_query(&query) {
            Ok(p) => p,
            Err(e) => {
                return Reply::Full {
                    status: 400,
                    headers: vec![],
                    body: e.to_string().into_bytes(),
                }
            }
        };
        match prepared.on_store(&store).execute() {
            Ok(QueryResults::Solutions(solutions)) => {
                let mut serializer = QueryResultsSerializer::from_format(QueryResultsFormat::Json)
                    .serialize_solutions_to_writer(Vec::new(), solutions.variables().to_vec())
                    .unwrap();
                for solution in solutions.take(7) {
                    serializer.serialize(&solution.unwrap()).unwrap();
                }
                Reply::ok(
                    "application/sparql-results+json",
                    serializer.finish().unwrap(),
                )
            }
            Ok(QueryResults::Graph(triples)) => {
                let mut serializer =
                    RdfSerializer::from_format(RdfFormat::NTriples).for_writer(Vec::new());
                for triple in triples.take(45) {
                    serializer.serialize_triple(&triple.unwrap()).unwrap();
                }
                Reply::ok("application/n-triples", serializer.finish().unwrap())
            }
            Ok(QueryResults::Boolean(_)) => Reply::status(400),
            Err(e) => Reply::Full {
                status: 500,
                headers: vec![],
                body: e.to_string().into_bytes(),
            },
        }
    })
}

#[test]
fn sparql_kind_pages_past_result_caps() {
    let store = Store::new().unwrap();
    let base = "https://data.example.org";
    let document = format!(
        "{PREFIXES}<{base}/catalog> a dcat:Catalog ; dct:title \"Endpoint catalogue\"@en .\n{}\
         <{base}/org> a foaf:Agent ; foaf:name \"Org\" .\n<{base}/other> a foaf:Document .\n",
        datasets(base, 0..20)
    );
    store
        .load_from_slice(RdfFormat::Turtle, document.as_bytes())
        .unwrap();
    let endpoint = sparql_endpoint(store);
    let (data, config) = harvest(&format!(
        "[[source]]\nname = \"endpoint\"\nkind = \"sparql\"\ncountry = \"NL\"\nurl = \"{}\"\nallow_private_network = true\npage_size = 10\n",
        endpoint.url("/sparql")
    ));
    let records = published(data.path(), &config, "endpoint");
    assert_eq!(records.len(), 21, "{records:#?}");
    // Each dataset came with its distribution, publisher and contact point.
    for i in [0, 7, 13, 19] {
        let rows = select(
            data.path(),
            &config,
            &format!(
                "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/> \
                 PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX vcard: <http://www.w3.org/2006/vcard/ns#> \
                 SELECT ?url ?name ?fn WHERE {{ GRAPH ?g {{ <{base}/dataset/{i}> dcat:distribution ?d ; dct:publisher ?p ; dcat:contactPoint ?c . \
                 ?d dcat:accessURL ?url . ?p foaf:name ?name . ?c vcard:fn ?fn }} }}"
            ),
        );
        assert_eq!(rows.len(), 1, "dataset {i}: {rows:?}");
        assert!(rows[0].contains(&format!("Desk {i}")), "{rows:?}");
    }
    // The capped responses were noticed and asked again in smaller batches.
    let requests = endpoint.requests.lock().unwrap();
    let constructs = requests
        .iter()
        .filter(|r| r.form("query").is_some_and(|q| q.contains("CONSTRUCT")))
        .count();
    let listings = requests.len() - constructs;
    assert!(
        constructs > listings,
        "{constructs} CONSTRUCT, {listings} SELECT requests"
    );
}

#[test]
fn fdp_kind_walks_the_tree_and_drops_generated_defaults() {
    let server = RawServer::start(|request| {
        let base = format!("http://{}", request.host);
        let defaults = |iri: &str| {
            format!(
                "<{iri}> dct:accessRights <{iri}#accessRights> ; dct:conformsTo <{base}/profile/2f08228e-1789-40f8-84cd-28e3288c3604> .\n\
                 <{iri}#accessRights> a dct:RightsStatement ; dct:description \"This resource has no access restriction\" .\n"
            )
        };
        let body = match (request.path(), request.query("page").as_deref()) {
            ("/", _) => format!(
                "{PREFIXES}<{base}/> a fdp:FAIRDataPoint , fdp:MetadataService ; dct:title \"Test FDP\" ;\n\
                 fdp:metadataCatalog <{base}/catalog/c1> .\n{}\
                 <{base}/#catalogs> a ldp:DirectContainer ; dct:title \"Catalogs\" ; ldp:membershipResource <{base}/> ;\n\
                 ldp:hasMemberRelation fdp:metadataCatalog ; ldp:contains <{base}/catalog/c1> .\n",
                defaults(&format!("{base}/"))
            ),
            ("/catalog/c1", _) => format!(
                "{PREFIXES}<{base}/catalog/c1> a dcat:Catalog ; dct:title \"FDP catalogue\"@en ;\n\
                 dct:isPartOf <{base}/> ; dcat:dataset <{base}/dataset/d1> .\n{}\
                 <{base}/catalog/c1#datasets> a ldp:DirectContainer ; dct:title \"Datasets\" ;\n\
                 ldp:membershipResource <{base}/catalog/c1> ; ldp:hasMemberRelation dcat:dataset ;\n\
                 ldp:contains <{base}/catalog/c1/page/dataset?page=0> .\n",
                defaults(&format!("{base}/catalog/c1"))
            ),
            ("/catalog/c1/page/dataset", Some("0")) => {
                return Reply::ok(
                    "text/turtle",
                    format!(
                        "{PREFIXES}<{base}/catalog/c1/page/dataset?page=0> a ldp:DirectContainer ;\n\
                         ldp:contains <{base}/dataset/d1> , <{base}/dataset/d2> .\n"
                    ),
                )
                .with_header("Link", "</catalog/c1/page/dataset?page=1>; rel=\"next\"")
            }
            ("/catalog/c1/page/dataset", Some("1")) => format!(
                "{PREFIXES}<{base}/catalog/c1/page/dataset?page=1> a ldp:DirectContainer ;\n\
                 ldp:contains <{base}/dataset/d3> .\n"
            ),
            (path, _) if path.starts_with("/dataset/") => {
                let d = path.trim_start_matches("/dataset/");
                format!(
                    "{PREFIXES}<{base}/dataset/{d}> a dcat:Dataset ; dct:title \"FDP dataset {d}\"@en ;\n\
                     dct:isPartOf <{base}/catalog/c1> ; dct:publisher <https://ror.example.org/01> ;\n\
                     dcat:distribution <{base}/distribution/{d}x> {} .\n{}",
                    // d2 and d3 share one more distribution.
                    if d == "d1" { String::new() } else { format!(", <{base}/distribution/shared>") },
                    defaults(&format!("{base}/dataset/{d}"))
                )
            }
            (path, _) if path.starts_with("/distribution/") => {
                let x = path.trim_start_matches("/distribution/");
                format!(
                    "{PREFIXES}<{base}/distribution/{x}> a dcat:Distribution ; dct:title \"Distribution {x}\" ;\n\
                     dcat:accessURL <https://files.example.org/{x}> ; dct:isPartOf <{base}/dataset/{x}> .\n{}",
                    defaults(&format!("{base}/distribution/{x}"))
                )
            }
            _ => return Reply::status(404),
        };
        Reply::ok("text/turtle", body)
    });
    let (data, config) = harvest(&format!(
        "[[source]]\nname = \"fdp\"\nkind = \"fdp\"\ncountry = \"NL\"\nurl = \"{}\"\nallow_private_network = true\n",
        server.url("/")
    ));
    let records = published(data.path(), &config, "fdp");
    assert_eq!(records.len(), 4, "{records:#?}"); // c1, d1, d2, d3
    let base = server.url("");
    // A distribution two datasets share is in both records (fetched once).
    for d in ["d2", "d3"] {
        assert!(ask(
            data.path(),
            &config,
            &format!("ASK {{ GRAPH ?g {{ <{base}/dataset/{d}> <http://www.w3.org/ns/dcat#distribution> <{base}/distribution/shared> . <{base}/distribution/shared> <http://www.w3.org/ns/dcat#accessURL> <https://files.example.org/shared> }} }}")
        ), "{d} lacks the shared distribution");
    }
    // The distributions (their own documents) are inside the dataset records.
    assert!(ask(
        data.path(),
        &config,
        &format!("ASK {{ GRAPH ?g {{ <{base}/dataset/d3> <http://www.w3.org/ns/dcat#distribution> ?x . ?x <http://www.w3.org/ns/dcat#accessURL> <https://files.example.org/d3x> }} }}")
    ));
    assert!(!ask(
        data.path(),
        &config,
        "ASK { GRAPH ?g { ?s <http://purl.org/dc/terms/accessRights> ?o } }"
    ));
    assert!(!ask(
        data.path(),
        &config,
        "ASK { GRAPH ?g { ?s <http://purl.org/dc/terms/conformsTo> ?o } }"
    ));
    assert!(!ask(
        data.path(),
        &config,
        "ASK { GRAPH ?g { ?s ?p ?o FILTER(STRSTARTS(STR(?p), \"http://www.w3.org/ns/ldp#\")) } }"
    ));
    // Each document once, the paged children included.
    let mut paths = server.paths();
    let total = paths.len();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), total, "{paths:?}");
    assert!(paths.contains(&"/catalog/c1/page/dataset?page=1".to_string()));
}

#[test]
fn ckan_kind_prefers_the_dcat_endpoint() {
    let server = RawServer::start(|request| {
        let base = format!("http://{}", request.host);
        if request.path().starts_with("/api/") {
            return Reply::status(500); // must not be asked
        }
        let page: usize = request
            .query("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        if request.path() != "/catalog.ttl" || page > 2 {
            return Reply::status(404);
        }
        let mut body = format!(
            "{PREFIXES}<{base}/catalog.ttl?page={page}> a hydra:PagedCollection ; hydra:totalItems 4 ; hydra:itemsPerPage 2"
        );
        if page == 1 {
            body.push_str(&format!(" ; hydra:nextPage \"{base}/catalog.ttl?page=2\""));
        }
        body.push_str(&format!(
            " .\n<{base}> a dcat:Catalog ; dct:title \"CKAN\" .\n{}<{base}/org> a foaf:Agent ; foaf:name \"Org\" .\n",
            datasets(&base, (page * 2 - 2)..(page * 2))
        ));
        Reply::ok("text/turtle", body)
    });
    let (data, config) = harvest(&format!(
        "[[source]]\nname = \"ckan\"\nkind = \"ckan\"\ncountry = \"DE\"\nurl = \"{}\"\nallow_private_network = true\n",
        server.url("/")
    ));
    assert_eq!(published(data.path(), &config, "ckan").len(), 5);
    assert!(!server.paths().iter().any(|p| p.starts_with("/api/")));
}

#[test]
fn ckan_kind_maps_the_action_api() {
    let server = RawServer::start(|request| {
        if request.path() != "/api/3/action/package_search" {
            return Reply::status(404);
        }
        let rows: usize = request
            .query("rows")
            .and_then(|r| r.parse().ok())
            .unwrap_or(10);
        let start: usize = request
            .query("start")
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        let packages: Vec<serde_json::Value> = (start..(start + rows).min(5))
            .map(|i| {
                serde_json::json!({
                    "id": format!("pkg-{i}"), "name": format!("package-{i}"), "title": format!("Package {i}"),
                    "notes": "Notes", "tags": [{"name": "health"}], "groups": [{"name": "heal"}],
                    "license_id": "cc-by", "license_url": "https://creativecommons.org/licenses/by/4.0/",
                    "organization": {"name": "inst", "title": "Institute"},
                    "metadata_created": "2024-01-15T10:00:00", "metadata_modified": "2024-02-01T08:30:00",
                    "extras": [{"key": "population", "value": "adults"}],
                    "resources": [{"id": format!("res-{i}"), "name": "CSV", "url": format!("https://files.example.org/{i}.csv"), "format": "CSV", "mimetype": "text/csv"}],
                    "unmapped_field": "kept"
                })
            })
            .collect();
        Reply::ok(
            "application/json",
            serde_json::json!({"success": true, "result": {"count": 5, "results": packages}})
                .to_string(),
        )
    });
    let (data, config) = harvest(&format!(
        "[[source]]\nname = \"ckanapi\"\nkind = \"ckan\"\ncountry = \"DE\"\nurl = \"{}\"\nallow_private_network = true\npage_size = 2\n",
        server.url("/")
    ));
    let records = published(data.path(), &config, "ckanapi");
    assert_eq!(records.len(), 5, "{records:#?}");
    let base = server.url("");
    let rows = select(
        data.path(),
        &config,
        &format!(
            "SELECT ?title ?keyword ?url ?kept WHERE {{ GRAPH ?g {{ <{base}/dataset/pkg-3> <http://purl.org/dc/terms/title> ?title ; \
             <http://www.w3.org/ns/dcat#keyword> ?keyword ; <http://www.w3.org/ns/dcat#distribution> [ <http://www.w3.org/ns/dcat#accessURL> ?url ] ; \
             <https://w3id.org/katalog/ckan#unmapped_field> ?kept ; <http://www.w3.org/ns/dcat#theme> <http://publications.europa.eu/resource/authority/data-theme/HEAL> }} }}"
        ),
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].contains("Package 3") && rows[0].contains("kept"),
        "{rows:?}"
    );
    // The DCAT endpoint was tried first, then three API pages.
    let paths = server.paths();
    assert_eq!(paths[0], "/catalog.ttl");
    assert_eq!(paths.len(), 4, "{paths:?}");
}

#[test]
fn sparql_kind_fails_when_the_endpoint_ignores_offset() {
    let store = Store::new().unwrap();
    let document = format!("{PREFIXES}{}", datasets("https://data.example.org", 0..12));
    store
        .load_from_slice(RdfFormat::Turtle, document.as_bytes())
        .unwrap();
    let endpoint = sparql_endpoint_with(store, true);
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("katalog.toml");
    std::fs::write(
        &config,
        format!(
            "[harvest]\nmax_retries = 0\n\n[[source]]\nname = \"broken\"\nkind = \"sparql\"\ncountry = \"NL\"\nurl = \"{}\"\nallow_private_network = true\npage_size = 5\n",
            endpoint.url("/sparql")
        ),
    )
    .unwrap();
    let out = run(data.path(), &config, &["harvest"]);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "{output}");
    assert!(
        output.contains("source 'broken'") && output.contains("ignore OFFSET"),
        "{output}"
    );
}

/// The `prov:startedAtTime` of a source's runs, oldest first.
fn run_starts(data: &Path, config: &Path, source: &str) -> Vec<chrono::DateTime<chrono::Utc>> {
    select(
        data,
        config,
        &format!(
            "SELECT ?started WHERE {{ GRAPH <urn:katalog:graph:runs> {{ ?r <https://w3id.org/katalog/ns#sourceName> \"{source}\" ; \
             <http://www.w3.org/ns/prov#startedAtTime> ?started }} }} ORDER BY ?started"
        ),
    )
    .iter()
    .map(|row| {
        let value = row.trim().trim_start_matches('"');
        let value = &value[..value.find('"').unwrap()];
        chrono::DateTime::parse_from_rfc3339(value)
            .unwrap()
            .with_timezone(&chrono::Utc)
    })
    .collect()
}

/// Runs `katalog harvest` on an existing store, which must succeed.
fn harvest_again(data: &Path, config: &Path) -> String {
    let out = run(data, config, &["harvest"]);
    assert!(out.status.success(), "{}", text(&out));
    text(&out)
}

#[test]
fn ckan_incremental_runs_ask_for_changes_and_tombstone_only_on_full_runs() {
    // (number, title, metadata_modified) of the portal's packages.
    type Packages = Vec<(usize, String, String)>;
    let packages: std::sync::Arc<std::sync::Mutex<Packages>> =
        std::sync::Arc::new(std::sync::Mutex::new(
            (0..5)
                .map(|i| (i, format!("Package {i}"), "2024-02-01T08:30:00".to_string()))
                .collect(),
        ));
    let served = packages.clone();
    let server = RawServer::start(move |request| {
        if request.path() != "/api/3/action/package_search" {
            return Reply::status(404);
        }
        let number = |key: &str, default: usize| {
            request
                .query(key)
                .and_then(|r| r.parse().ok())
                .unwrap_or(default)
        };
        let (rows, start) = (number("rows", 10), number("start", 0));
        // CKAN's Solr filter `metadata_modified:[FROM TO *]`.
        let from = request.query("fq").map(|fq| {
            fq.trim_start_matches("metadata_modified:[")
                .split(' ')
                .next()
                .unwrap_or_default()
                .trim_end_matches('Z')
                .to_string()
        });
        let matching: Packages = served
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, _, modified)| from.as_ref().is_none_or(|from| modified >= from))
            .cloned()
            .collect();
        let page: Vec<serde_json::Value> = matching
            .iter()
            .skip(start)
            .take(rows)
            .map(|(i, title, modified)| {
                serde_json::json!({
                    "id": format!("pkg-{i}"), "name": format!("package-{i}"), "title": title,
                    "notes": "Notes", "metadata_created": "2024-01-15T10:00:00", "metadata_modified": modified,
                    "resources": [{"id": format!("res-{i}"), "url": format!("https://files.example.org/{i}.csv"), "format": "CSV"}]
                })
            })
            .collect();
        Reply::ok(
            "application/json",
            serde_json::json!({"success": true, "result": {"count": matching.len(), "results": page}})
                .to_string(),
        )
    });
    let (data, config) = harvest(&format!(
        "[[source]]\nname = \"ckanapi\"\nkind = \"ckan\"\ncountry = \"DE\"\nurl = \"{}\"\nallow_private_network = true\n\
         ckan_api = \"action\"\npage_size = 2\nmodified_since = true\nfull_every = 2\n",
        server.url("/")
    ));
    let (data, config) = (data.path(), config.as_path());
    assert_eq!(published(data, config, "ckanapi").len(), 5);
    let first = server.requests.lock().unwrap().len();
    assert!(server
        .requests
        .lock()
        .unwrap()
        .iter()
        .all(|r| r.query("fq").is_none()));

    // Package 1 is edited, package 4 deleted.
    {
        let mut packages = packages.lock().unwrap();
        packages[1].1 = "Package 1 edited".into();
        packages[1].2 = "2999-01-01T00:00:00".into();
        packages.pop();
    }
    let output = harvest_again(data, config);
    assert!(output.contains("incremental run"), "{output}");
    let since = run_starts(data, config, "ckanapi")[0];
    let asked: Vec<Option<String>> = server.requests.lock().unwrap()[first..]
        .iter()
        .map(|r| r.query("fq"))
        .collect();
    let expected = format!(
        "metadata_modified:[{} TO *]",
        since.format("%Y-%m-%dT%H:%M:%SZ")
    );
    assert_eq!(asked, vec![Some(expected)], "one page of changes");
    let base = server.url("");
    assert!(ask(
        data,
        config,
        &format!("ASK {{ GRAPH ?g {{ <{base}/dataset/pkg-1> <http://purl.org/dc/terms/title> \"Package 1 edited\" }} }}")
    ));
    // The incremental run could not see the deletion: nothing was tombstoned.
    assert_eq!(published(data, config, "ckanapi").len(), 5);
    assert!(ask(
        data,
        config,
        "ASK { GRAPH <urn:katalog:graph:runs> { ?run <https://w3id.org/katalog/ns#modifiedSince> ?since } }"
    ));

    // full_every = 2: this run is full, and finds the deletion.
    let second = server.requests.lock().unwrap().len();
    let output = harvest_again(data, config);
    assert!(!output.contains("incremental run"), "{output}");
    assert!(server.requests.lock().unwrap()[second..]
        .iter()
        .all(|r| r.query("fq").is_none()));
    let records = published(data, config, "ckanapi");
    assert_eq!(records.len(), 4, "{records:#?}");
    assert!(!records.iter().any(|r| r.contains("pkg-4")));

    // The next run would be incremental again; --full makes it full now.
    packages.lock().unwrap().pop();
    let third = server.requests.lock().unwrap().len();
    let output = run(data, config, &["harvest", "--full"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(!stdout.contains("incremental run"), "{stdout}");
    assert!(server.requests.lock().unwrap()[third..]
        .iter()
        .all(|r| r.query("fq").is_none()));
    let records = published(data, config, "ckanapi");
    assert_eq!(records.len(), 3, "{records:#?}");
    assert!(!records.iter().any(|r| r.contains("pkg-3")));
}

#[test]
fn sparql_incremental_runs_list_changed_records_only() {
    let base = "https://data.example.org";
    let document = |edited: bool| {
        let mut text = format!(
            "{PREFIXES}<{base}/catalog> a dcat:Catalog ; dct:title \"Endpoint catalogue\"@en ; dct:modified \"2020-01-01\"^^<http://www.w3.org/2001/XMLSchema#date> .\n{}\
             <{base}/org> a foaf:Agent ; foaf:name \"Org\" .\n",
            datasets(base, 0..8)
        );
        for i in 0..8 {
            let modified = if edited && i == 3 {
                "2999-01-01T00:00:00Z"
            } else {
                "2020-01-01T00:00:00Z"
            };
            text.push_str(&format!(
                "<{base}/dataset/{i}> dct:modified \"{modified}\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n"
            ));
        }
        if edited {
            text = text
                .replace("\"Dataset 3\"@en", "\"Dataset 3 edited\"@en")
                .replace(
                    &format!("<{base}/dataset/5> a dcat:Dataset"),
                    &format!("<{base}/dataset/5> a dcat:Distribution"),
                );
        }
        text
    };
    let store = Store::new().unwrap();
    store
        .load_from_slice(RdfFormat::Turtle, document(false).as_bytes())
        .unwrap();
    let endpoint = sparql_endpoint(store.clone());
    let (data, config) = harvest(&format!(
        "[[source]]\nname = \"endpoint\"\nkind = \"sparql\"\ncountry = \"NL\"\nurl = \"{}\"\nallow_private_network = true\nmodified_since = true\n",
        endpoint.url("/sparql")
    ));
    let (data, config) = (data.path(), config.as_path());
    assert_eq!(published(data, config, "endpoint").len(), 9);
    let first = endpoint.requests.lock().unwrap().len();

    // Dataset 3 is edited; dataset 5 is no longer a dataset.
    store.clear().unwrap();
    store
        .load_from_slice(RdfFormat::Turtle, document(true).as_bytes())
        .unwrap();
    let output = harvest_again(data, config);
    assert!(output.contains("incremental run"), "{output}");
    let since = run_starts(data, config, "endpoint")[0] - chrono::Duration::days(1);
    let requests = endpoint.requests.lock().unwrap()[first..].to_vec();
    let queries: Vec<String> = requests.iter().filter_map(|r| r.form("query")).collect();
    let filter = format!("STR(?modified) >= \"{}\"", since.format("%Y-%m-%d"));
    let listings: Vec<&String> = queries.iter().filter(|q| q.contains("SELECT")).collect();
    assert!(!listings.is_empty());
    assert!(
        listings.iter().all(|q| q.contains(&filter)),
        "{listings:#?}"
    );
    // Only the changed record was described.
    let described: Vec<&String> = queries.iter().filter(|q| q.contains("CONSTRUCT")).collect();
    assert!(!described.is_empty());
    assert!(
        described
            .iter()
            .all(|q| q.contains(&format!("<{base}/dataset/3>")) && !q.contains("/dataset/0>")),
        "{described:#?}"
    );
    assert!(ask(
        data,
        config,
        &format!("ASK {{ GRAPH ?g {{ <{base}/dataset/3> <http://purl.org/dc/terms/title> \"Dataset 3 edited\"@en }} }}")
    ));
    // Dataset 5 was not listed, and an incremental run tombstones nothing.
    assert_eq!(published(data, config, "endpoint").len(), 9);
}

/// A FAIR Data Point of `count` datasets, each with a distribution document.
fn large_fdp(count: usize) -> RawServer {
    RawServer::start(move |request| {
        let base = format!("http://{}", request.host);
        let body = match request.path() {
            "/" => format!(
                "{PREFIXES}<{base}/> a fdp:FAIRDataPoint ; dct:title \"Large FDP\" ; fdp:metadataCatalog <{base}/catalog/c1> .\n"
            ),
            "/catalog/c1" => {
                let mut body = format!(
                    "{PREFIXES}<{base}/org> a foaf:Agent ; foaf:name \"Org\" .\n\
                     <{base}/catalog/c1> a dcat:Catalog ; dct:title \"Large catalogue\"@en ;\n\
                     dct:description \"Every dataset\"@en ; dct:publisher <{base}/org> "
                );
                for i in 0..count {
                    body.push_str(&format!("; dcat:dataset <{base}/dataset/d{i}> "));
                }
                body + ".\n"
            }
            path if path.starts_with("/dataset/") => {
                let d = path.trim_start_matches("/dataset/");
                format!(
                    "{PREFIXES}<{base}/dataset/{d}> a dcat:Dataset ; dct:title \"FDP dataset {d}\"@en ;\n\
                     dct:description \"Dataset {d}\"@en ; dct:isPartOf <{base}/catalog/c1> ;\n\
                     dcat:distribution <{base}/distribution/{d}x> .\n"
                )
            }
            path if path.starts_with("/distribution/") => {
                let x = path.trim_start_matches("/distribution/");
                format!(
                    "{PREFIXES}<{base}/distribution/{x}> a dcat:Distribution ; dcat:accessURL <https://files.example.org/{x}> .\n"
                )
            }
            _ => return Reply::status(404),
        };
        Reply::ok("text/turtle", body)
    })
}

#[test]
fn fdp_kind_stages_records_page_by_page() {
    let count = 150;
    let server = large_fdp(count);
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("katalog.toml");
    std::fs::write(
        &config,
        format!(
            "[harvest]\nmax_retries = 0\n\n[[source]]\nname = \"fdp\"\nkind = \"fdp\"\ncountry = \"NL\"\nurl = \"{}\"\nallow_private_network = true\nprofile = \"dcat-ap-3\"\n",
            server.url("/")
        ),
    )
    .unwrap();
    let out = std::process::Command::new(common::katalog_bin())
        .arg("--data-dir")
        .arg(data.path())
        .args(["harvest", "--config"])
        .arg(&config)
        .env("RUST_LOG", "katalog=info")
        .env("NO_COLOR", "1")
        .env_remove("KATALOG_CONFIG")
        .env_remove("KATALOG_DATA")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .output()
        .unwrap();
    let output = text(&out);
    assert!(out.status.success(), "{output}");
    // Every 100 pages the run logs what it staged: at page 100 (the root,
    // the catalogue, then one page per dataset with its distribution) 98
    // datasets were already split, validated and staged while the walk went on.
    let line = output
        .lines()
        .find(|l| l.contains("pages staged") && l.contains("pages=100 "))
        .unwrap_or_else(|| panic!("no progress line at page 100: {output}"));
    assert!(line.contains("records=98 "), "{line}");
    let violations = select(
        data.path(),
        &config,
        "SELECT ?focus ?message WHERE { GRAPH ?g { ?result <http://www.w3.org/ns/shacl#focusNode> ?focus ; \
         <http://www.w3.org/ns/shacl#resultMessage> ?message } }",
    );
    assert!(
        !violations.iter().any(|v| v.contains("(dcat:dataset)")),
        "{violations:#?}"
    );
    // The datasets, the catalogue and the FDP root's triples (no DCAT record).
    assert_eq!(
        published(data.path(), &config, "fdp").len(),
        count + 2,
        "{violations:#?}"
    );
    // The catalogue, validated at the end, got its datasets' types: no
    // sh:class violation for dcat:dataset, so it is published, not quarantined.
    let base = server.url("");
    assert!(published(data.path(), &config, "fdp").contains(&format!("<{base}/catalog/c1>")));
    // A dataset's record holds its distribution, fetched as another document.
    assert!(ask(
        data.path(),
        &config,
        &format!("ASK {{ GRAPH ?g {{ <{base}/dataset/d120> <http://www.w3.org/ns/dcat#distribution> ?x . ?x <http://www.w3.org/ns/dcat#accessURL> <https://files.example.org/d120x> }} }}")
    ));
}
