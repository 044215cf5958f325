//! The W3C SHACL test suite (Core and SPARQL), run against katalog's engine
//! with the suite's own rules for "full compliance":
//! <https://w3c.github.io/data-shapes/data-shapes-test-suite/>.
//!
//! The expected report is the `mf:result` node's triples, its results'
//! triples and the blank-node structures of their `sh:resultPath`s. Our
//! report keeps only the predicates the suite compares (and a
//! `sh:resultMessage` only when the expected report has that message), and
//! the two graphs must be isomorphic (compared in RDFC-1.0 canonical form).
//! A test whose `mf:result` is `sht:Failure` passes when we report an error:
//! an ill-formed shapes graph or a failure during validation.
//!
//! The suite lives in `$KATALOG_SHARED/reference/shacl-test-suite/tests`
//! (`KATALOG_SHARED` defaults to `../shared` next to the crate). Without it
//! the run is skipped, unless `CI` is set.

use katalog::validate::{DataGraph, ShapeSet, ValidationReport};
use oxigraph::io::{RdfFormat, RdfParser};
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxrdf::{Graph, NamedNodeRef, NamedOrBlankNodeRef, Term, TermRef, Triple};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The run fails when fewer tests than this pass (all 98 Core and 22 SPARQL tests).
const MIN_PASSED: usize = 120;

const MF: &str = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#";
const SHT: &str = "http://www.w3.org/ns/shacl-test#";
const SH: &str = "http://www.w3.org/ns/shacl#";
const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/// One `sht:Validate` entry.
struct TestCase {
    name: String,
    manifest: PathBuf,
    entry: Term,
    data: PathBuf,
    shapes: PathBuf,
}

fn iri(base: &str, local: &str) -> String {
    format!("{base}{local}")
}

fn load(path: &Path, cache: &mut HashMap<PathBuf, Graph>) -> Result<Graph, String> {
    if let Some(graph) = cache.get(path) {
        return Ok(graph.clone());
    }
    let base = url::Url::from_file_path(path)
        .map_err(|()| format!("{} is not absolute", path.display()))?;
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let graph: Graph = RdfParser::from_format(RdfFormat::Turtle)
        .with_base_iri(base.as_str())
        .map_err(|e| e.to_string())?
        .for_slice(&bytes)
        .map(|q| q.map(|q| Triple::new(q.subject, q.predicate, q.object)))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    cache.insert(path.to_path_buf(), graph.clone());
    Ok(graph)
}

fn file_of(term: TermRef<'_>) -> Option<PathBuf> {
    match term {
        TermRef::NamedNode(n) => url::Url::parse(n.as_str()).ok()?.to_file_path().ok(),
        _ => None,
    }
}

fn object<'g>(graph: &'g Graph, subject: TermRef<'g>, predicate: &str) -> Option<TermRef<'g>> {
    let subject: NamedOrBlankNodeRef<'_> = match subject {
        TermRef::NamedNode(n) => n.into(),
        TermRef::BlankNode(b) => b.into(),
        TermRef::Literal(_) => return None,
    };
    graph.object_for_subject_predicate(subject, NamedNodeRef::new_unchecked(predicate))
}

fn list<'g>(graph: &'g Graph, mut node: TermRef<'g>) -> Vec<TermRef<'g>> {
    let mut items = Vec::new();
    while let Some(first) = object(graph, node, &iri(RDF, "first")) {
        items.push(first);
        match object(graph, node, &iri(RDF, "rest")) {
            Some(rest) => node = rest,
            None => break,
        }
    }
    items
}

/// Every `sht:Validate` entry reachable from a manifest through `mf:include`.
fn collect(
    manifest: &Path,
    root: &Path,
    cache: &mut HashMap<PathBuf, Graph>,
    out: &mut Vec<TestCase>,
) -> Result<(), String> {
    let graph = load(manifest, cache)?;
    let include = iri(MF, "include");
    for triple in graph.triples_for_predicate(NamedNodeRef::new_unchecked(&include)) {
        let path = file_of(triple.object).ok_or("mf:include is not a file")?;
        collect(&path, root, cache, out)?;
    }
    let entries = iri(MF, "entries");
    for triple in graph.triples_for_predicate(NamedNodeRef::new_unchecked(&entries)) {
        for entry in list(&graph, triple.object) {
            let is_validate = graph.iter().any(|t| {
                TermRef::from(t.subject) == entry
                    && t.predicate.as_str() == iri(RDF, "type")
                    && t.object
                        == TermRef::NamedNode(NamedNodeRef::new_unchecked(&iri(SHT, "Validate")))
            });
            if !is_validate {
                continue;
            }
            let action =
                object(&graph, entry, &iri(MF, "action")).ok_or("entry without mf:action")?;
            let data = object(&graph, action, &iri(SHT, "dataGraph"))
                .and_then(file_of)
                .ok_or("no sht:dataGraph")?;
            let shapes = object(&graph, action, &iri(SHT, "shapesGraph"))
                .and_then(file_of)
                .ok_or("no sht:shapesGraph")?;
            let relative = manifest.strip_prefix(root).unwrap_or(manifest);
            let local = match entry {
                TermRef::NamedNode(n) => n
                    .as_str()
                    .rsplit(['/', '#'])
                    .next()
                    .unwrap_or("")
                    .to_owned(),
                other => other.to_string(),
            };
            let dir = relative
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            out.push(TestCase {
                name: format!("{dir}/{local}"),
                manifest: manifest.to_path_buf(),
                entry: entry.into_owned(),
                data,
                shapes,
            });
        }
    }
    Ok(())
}

/// The triples of `node` and, recursively, of the blank nodes it points to.
fn closure(graph: &Graph, node: TermRef<'_>, out: &mut Graph, seen: &mut HashSet<Term>) {
    if !seen.insert(node.into_owned()) {
        return;
    }
    let subject: NamedOrBlankNodeRef<'_> = match node {
        TermRef::BlankNode(b) => b.into(),
        _ => return,
    };
    for triple in graph.triples_for_subject(subject) {
        out.insert(triple);
        closure(graph, triple.object, out, seen);
    }
}

/// The part of a report graph the suite compares: the report node, its
/// results, their paths; messages only when `messages` allows them.
fn comparable(graph: &Graph, report: TermRef<'_>, messages: Option<&HashSet<Term>>) -> Graph {
    let mut out = Graph::new();
    let Some(report_subject) = (match report {
        TermRef::BlankNode(b) => Some(NamedOrBlankNodeRef::from(b)),
        TermRef::NamedNode(n) => Some(n.into()),
        TermRef::Literal(_) => None,
    }) else {
        return out;
    };
    let keep = [
        "result",
        "conforms",
        "focusNode",
        "resultSeverity",
        "sourceConstraint",
        "sourceConstraintComponent",
        "sourceShape",
        "value",
    ];
    let keeps = |predicate: &str| keep.iter().any(|k| predicate == iri(SH, k));
    let types = |object: TermRef<'_>| {
        object == TermRef::NamedNode(NamedNodeRef::new_unchecked(&iri(SH, "ValidationReport")))
            || object
                == TermRef::NamedNode(NamedNodeRef::new_unchecked(&iri(SH, "ValidationResult")))
    };
    let mut seen = HashSet::new();
    for triple in graph.triples_for_subject(report_subject) {
        let p = triple.predicate.as_str();
        if keeps(p) || (p == iri(RDF, "type") && types(triple.object)) {
            out.insert(triple);
        }
        if p != iri(SH, "result") {
            continue;
        }
        let result: NamedOrBlankNodeRef<'_> = match triple.object {
            TermRef::BlankNode(b) => b.into(),
            TermRef::NamedNode(n) => n.into(),
            TermRef::Literal(_) => continue,
        };
        for t in graph.triples_for_subject(result) {
            let p = t.predicate.as_str();
            if keeps(p) || (p == iri(RDF, "type") && types(t.object)) {
                out.insert(t);
            } else if p == iri(SH, "resultPath") {
                out.insert(t);
                closure(graph, t.object, &mut out, &mut seen);
            } else if p == iri(SH, "resultMessage")
                && messages.is_none_or(|m| m.contains(&t.object.into_owned()))
            {
                out.insert(t);
            }
        }
    }
    out
}

fn canonical(mut graph: Graph) -> BTreeSet<String> {
    graph.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
        hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
    });
    graph.iter().map(|t| t.to_string()).collect()
}

/// `KATALOG_SHACL_VERBOSE=1` also prints a line per passing test.
fn verbose() -> bool {
    std::env::var_os("KATALOG_SHACL_VERBOSE").is_some()
}

fn run(test: &TestCase, cache: &mut HashMap<PathBuf, Graph>) -> Result<(), String> {
    let manifest = load(&test.manifest, cache)?;
    let data = load(&test.data, cache)?;
    let shapes_graph = load(&test.shapes, cache)?;
    let expected_node =
        object(&manifest, test.entry.as_ref(), &iri(MF, "result")).ok_or("no mf:result")?;
    let shapes = ShapeSet::from_graph(&shapes_graph);
    let expects_failure =
        expected_node == TermRef::NamedNode(NamedNodeRef::new_unchecked(&iri(SHT, "Failure")));
    let well_formed = shapes.check_well_formed();
    let report: ValidationReport = shapes.validate(&DataGraph::from_graph(&data));
    if expects_failure {
        return if well_formed.is_err() || !report.failures.is_empty() {
            if verbose() {
                let why = well_formed
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| report.failures.join("; "));
                println!("ok   {} (failure as expected: {why})", test.name);
            }
            Ok(())
        } else {
            Err(format!(
                "expected a failure, got a report with {} result(s)",
                report.results.len()
            ))
        };
    }
    if !report.failures.is_empty() {
        return Err(format!("validation failed: {}", report.failures.join("; ")));
    }
    let expected = comparable(&manifest, expected_node, None);
    let messages: HashSet<Term> = expected
        .iter()
        .filter(|t| t.predicate.as_str() == iri(SH, "resultMessage"))
        .map(|t| t.object.into_owned())
        .collect();
    let actual_graph = report.to_graph();
    let actual_report = actual_graph
        .subject_for_predicate_object(
            NamedNodeRef::new_unchecked(&iri(RDF, "type")),
            NamedNodeRef::new_unchecked(&iri(SH, "ValidationReport")),
        )
        .ok_or("our report graph has no sh:ValidationReport")?
        .into_owned();
    let actual = comparable(
        &actual_graph,
        Term::from(actual_report).as_ref(),
        Some(&messages),
    );
    let expected_results = expected
        .iter()
        .filter(|t| t.predicate.as_str() == iri(SH, "result"))
        .count();
    let (expected, actual) = (canonical(expected), canonical(actual));
    if expected == actual {
        if verbose() {
            println!("ok   {} ({} result(s))", test.name, report.results.len());
        }
        return Ok(());
    }
    let missing: Vec<&String> = expected.difference(&actual).collect();
    let unexpected: Vec<&String> = actual.difference(&expected).collect();
    let mut why = format!(
        "report differs (expected {expected_results} result(s), got {}; conforms {})",
        report.results.len(),
        report.conforms
    );
    for line in missing.iter().take(4) {
        why.push_str(&format!("\n    missing    {line}"));
    }
    for line in unexpected.iter().take(4) {
        why.push_str(&format!("\n    unexpected {line}"));
    }
    for result in report.results.iter().take(6) {
        why.push_str(&format!("\n    ours: {result}"));
    }
    Err(why)
}

fn main() -> ExitCode {
    let shared = std::env::var_os("KATALOG_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let root = shared.join("reference/shacl-test-suite/tests");
    if !root.is_dir() {
        if std::env::var_os("CI").is_some() {
            eprintln!(
                "the SHACL test suite is missing at {} (set KATALOG_SHARED)",
                root.display()
            );
            return ExitCode::FAILURE;
        }
        println!("skipped: the SHACL test suite is not at {} (set KATALOG_SHARED to the shared directory)", root.display());
        return ExitCode::SUCCESS;
    }
    let root = match std::fs::canonicalize(&root) {
        Ok(root) => root,
        Err(e) => {
            eprintln!("cannot resolve {}: {e}", root.display());
            return ExitCode::FAILURE;
        }
    };
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut cache = HashMap::new();
    let (mut passed, mut failed) = (0, 0);
    let mut lines = Vec::new();
    for suite in ["core", "sparql"] {
        let mut tests = Vec::new();
        if let Err(e) = collect(
            &root.join(suite).join("manifest.ttl"),
            &root,
            &mut cache,
            &mut tests,
        ) {
            eprintln!("cannot read the {suite} manifests: {e}");
            return ExitCode::FAILURE;
        }
        let (mut suite_passed, mut suite_failed) = (0, 0);
        for test in &tests {
            if filter
                .as_ref()
                .is_some_and(|f| !test.name.contains(f.as_str()))
            {
                continue;
            }
            let outcome = catch_unwind(AssertUnwindSafe(|| run(test, &mut cache)))
                .unwrap_or_else(|_| Err("panicked".into()));
            match outcome {
                Ok(()) => suite_passed += 1,
                Err(why) => {
                    println!("FAIL {}: {why}", test.name);
                    suite_failed += 1;
                }
            }
        }
        lines.push(format!(
            "{suite}: {suite_passed} passed, {suite_failed} failed"
        ));
        passed += suite_passed;
        failed += suite_failed;
    }
    for line in lines {
        println!("{line}");
    }
    println!("{passed} passed, {failed} failed");
    if filter.is_none() && passed < MIN_PASSED {
        eprintln!("fewer than {MIN_PASSED} tests passed");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
