//! Crash safety: `katalog harvest` killed with SIGKILL at several points of a
//! run leaves a store that holds, for the source, exactly its old state or
//! exactly its new one, once opened and repaired.

mod common;

use common::{katalog, katalog_bin, stderr, stdout, Canned, DocServer};
use katalog::store::CatalogStore;
use oxigraph::model::Term;
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const DATASETS: usize = 10_000;

/// A catalogue of datasets `ids`; those in `edited` have a " v2" title.
fn catalogue(ids: std::ops::Range<usize>, edited: &std::ops::Range<usize>) -> String {
    let mut doc = String::from(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n\
         @prefix ex: <https://big.example/> .\nex:cat a dcat:Catalog ; dct:title \"Big\" .\n",
    );
    for i in ids {
        let version = if edited.contains(&i) { " v2" } else { "" };
        doc.push_str(&format!(
            "ex:cat dcat:dataset ex:d{i} .\nex:d{i} a dcat:Dataset ; dct:title \"Dataset {i}{version}\" ; \
             dct:identifier \"{i}\" ; dct:description \"Description of dataset {i}\"@en ; dcat:keyword \"k{}\" .\n",
            i % 50
        ));
    }
    doc
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn rows(store: &CatalogStore, query: &str) -> Vec<Vec<String>> {
    let query = format!(
        "PREFIX kat: <https://w3id.org/katalog/ns#>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\n\
         PREFIX dct: <http://purl.org/dc/terms/>\n{query}"
    );
    let QueryResults::Solutions(solutions) = SparqlEvaluator::new()
        .parse_query(&query)
        .unwrap()
        .on_store(store.oxigraph())
        .execute()
        .unwrap()
    else {
        panic!("not a SELECT");
    };
    solutions
        .map(|row| {
            row.unwrap()
                .values()
                .iter()
                .map(|v| match v {
                    Some(Term::Literal(l)) => l.value().to_string(),
                    Some(Term::NamedNode(n)) => n.as_str().to_string(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                })
                .collect()
        })
        .collect()
}

fn count(store: &CatalogStore, query: &str) -> usize {
    rows(store, query)[0][0].parse().unwrap()
}

/// Which state the store holds for the source; panics on anything else.
fn check_invariants(
    data: &Path,
    old: &BTreeSet<String>,
    new: &BTreeSet<String>,
    edited: usize,
) -> &'static str {
    let store = CatalogStore::open(&data.join("store")).expect("the store opens after a kill");
    store.repair().expect("repair");
    assert_eq!(
        count(
            &store,
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:katalog:graph:records> { ?r kat:state \"published\" } \
             FILTER NOT EXISTS { GRAPH ?r { ?s ?p ?o } } }"
        ),
        0,
        "every published catalogue record has its record graph"
    );
    assert_eq!(
        count(
            &store,
            "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } \
             FILTER(STRSTARTS(STR(?g), \"urn:katalog:record:\")) \
             FILTER NOT EXISTS { GRAPH <urn:katalog:graph:records> { ?g kat:recordId ?id } } }"
        ),
        0,
        "every record graph has its catalogue record"
    );
    assert_eq!(
        count(
            &store,
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:katalog:graph:records> { ?r kat:state \"deleted\" } \
             GRAPH ?r { ?s ?p ?o } }"
        ),
        0,
        "tombstones have no content"
    );
    let published: BTreeSet<String> = rows(
        &store,
        "SELECT ?topic WHERE { GRAPH <urn:katalog:graph:records> { ?r kat:state \"published\" ; \
         foaf:primaryTopic ?topic ; kat:recordType <http://www.w3.org/ns/dcat#Dataset> } }",
    )
    .into_iter()
    .map(|row| row[0].clone())
    .collect();
    let edited_published = count(
        &store,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:katalog:graph:records> { ?r kat:state \"published\" } \
         GRAPH ?r { ?d dct:title ?t FILTER(STRENDS(?t, \" v2\")) } }",
    );
    let state = if &published == old {
        assert_eq!(edited_published, 0, "old records with new content");
        "old"
    } else if &published == new {
        assert_eq!(edited_published, edited, "new records with old content");
        "new"
    } else {
        panic!(
            "neither the old ({}) nor the new ({}) state: {} published",
            old.len(),
            new.len(),
            published.len()
        );
    };
    store.flush().unwrap();
    state
}

fn topics(ids: std::ops::Range<usize>) -> BTreeSet<String> {
    ids.map(|i| format!("https://big.example/d{i}")).collect()
}

/// Kills `katalog harvest` at several points of a run from `pristine` (the
/// old state) to the new one, and checks each store; then one full run.
fn kill_at_points(
    work: &Path,
    config: &str,
    pristine: &Path,
    old: &BTreeSet<String>,
    new: &BTreeSet<String>,
    edited: usize,
) {
    let mut seen = Vec::new();
    let mut last = None;
    for delay_ms in [150u64, 400, 800, 1500, 2500, 4000, 6000, 9000] {
        let data = work.join(format!("killed-{delay_ms}"));
        copy_dir(pristine, &data);
        let mut child = Command::new(katalog_bin())
            .arg("--data-dir")
            .arg(&data)
            .args(["harvest", "--config", config])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let state = check_invariants(&data, old, new, edited);
        seen.push(format!(
            "{delay_ms} ms: {state}{}",
            if finished { " (had finished)" } else { "" }
        ));
        last = Some(data);
    }
    eprintln!("states after kill -9: {seen:?}");
    assert!(
        seen.iter().any(|s| s.contains("old")),
        "no kill landed before the commit: {seen:?}"
    );

    // After the last kill, a full run brings the new state.
    let data = last.unwrap();
    let out = katalog(&data, &["harvest", "--config", config]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(check_invariants(&data, old, new, edited), "new");
}

#[test]
fn killed_harvests_leave_the_old_or_the_new_state() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("big.ttl");
    let config = work.path().join("katalog.toml");
    std::fs::write(
        &config,
        "[[source]]\nname = \"big\"\ncountry = \"NO\"\nurl = \"big.ttl\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap().to_string();
    let old_ids = 0..DATASETS;
    let new_ids = DATASETS / 5..DATASETS + DATASETS / 5;
    let edited = DATASETS / 2..DATASETS / 2 + DATASETS / 10;

    // The old state.
    let pristine = work.path().join("pristine");
    std::fs::write(&source, catalogue(old_ids.clone(), &(0..0))).unwrap();
    let out = katalog(&pristine, &["harvest", "--config", &config]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    // The new one removes a fifth, adds a fifth and edits a tenth: under the guard.
    std::fs::write(&source, catalogue(new_ids.clone(), &edited)).unwrap();
    let (old, new) = (topics(old_ids), topics(new_ids));
    kill_at_points(work.path(), &config, &pristine, &old, &new, edited.len());
}

/// Serves the catalogue of `ids` as Hydra pages of 500 datasets at /p/1, /p/2, ...
fn serve_pages(server: &DocServer, ids: std::ops::Range<usize>, edited: &std::ops::Range<usize>) {
    let ids: Vec<usize> = ids.collect();
    let pages: Vec<&[usize]> = ids.chunks(500).collect();
    for (n, chunk) in pages.iter().enumerate() {
        let (first, last) = (chunk[0], chunk[chunk.len() - 1] + 1);
        let mut page = catalogue(first..last, edited);
        let this = server.url(&format!("/p/{}", n + 1));
        page.push_str(&format!(
            "<{this}> a <http://www.w3.org/ns/hydra/core#PartialCollectionView> .\n"
        ));
        if n + 1 < pages.len() {
            let next = server.url(&format!("/p/{}", n + 2));
            page.push_str(&format!(
                "<{this}> <http://www.w3.org/ns/hydra/core#next> <{next}> .\n"
            ));
        }
        server.set(&format!("/p/{}", n + 1), Canned::ok("text/turtle", page));
    }
}

#[test]
fn killed_paged_harvests_leave_the_old_or_the_new_state() {
    let work = tempfile::tempdir().unwrap();
    let server = DocServer::start();
    let config = work.path().join("katalog.toml");
    std::fs::write(
        &config,
        format!(
            "[[source]]\nname = \"big\"\ncountry = \"NO\"\nurl = \"{}\"\nallow_private_network = true\n",
            server.url("/p/1")
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap().to_string();
    let old_ids = 0..DATASETS;
    let new_ids = DATASETS / 5..DATASETS + DATASETS / 5;
    let edited = DATASETS / 2..DATASETS / 2 + DATASETS / 10;

    let pristine = work.path().join("pristine");
    serve_pages(&server, old_ids.clone(), &(0..0));
    let out = katalog(&pristine, &["harvest", "--config", &config]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    serve_pages(&server, new_ids.clone(), &edited);
    let (old, new) = (topics(old_ids), topics(new_ids));
    kill_at_points(work.path(), &config, &pristine, &old, &new, edited.len());
}
