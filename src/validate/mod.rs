//! katalog's SHACL engine: SHACL Core and SHACL-SPARQL
//! (<https://www.w3.org/TR/shacl/>), compiled once and run record by record.
//!
//! - [`ShapeSet`] is a compiled shapes graph. Compiling is lenient: defects
//!   of published shape files (unknown `sh:` terms, property shapes without
//!   `sh:path`, bad regular expressions, broken lists, ill-formed SPARQL)
//!   skip the affected part and become [`ShapeWarning`]s;
//!   [`ShapeSet::check_well_formed`] turns the ones SHACL calls ill-formed
//!   into an error for callers that want a strict processor.
//! - [`DataGraph`] is an indexed, immutable view of the data: a record's
//!   triples over an optional shared [`Background`] (vocabularies), which is
//!   never copied.
//! - [`ShapeSet::validate`] gives a [`ValidationReport`];
//!   [`ValidationReport::to_graph`] gives the standard RDF report.
//!
//! Both `ShapeSet` and `DataGraph` are `Sync`, so records validate in
//! parallel with one compiled shape set ([`ShapeSet::validate_all`]).
//!
//! ```
//! use katalog::validate::{DataGraph, ShapeSet};
//! use oxigraph::io::{RdfFormat, RdfParser};
//! use oxrdf::{Graph, Triple};
//!
//! fn parse(turtle: &str) -> Vec<Triple> {
//!     RdfParser::from_format(RdfFormat::Turtle)
//!         .for_slice(turtle.as_bytes())
//!         .map(|q| q.map(|q| Triple::new(q.subject, q.predicate, q.object)))
//!         .collect::<Result<_, _>>()
//!         .unwrap()
//! }
//!
//! let shapes: Graph = parse(
//!     "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
//!      @prefix dct: <http://purl.org/dc/terms/> .
//!      [] sh:targetClass dcat:Dataset ; sh:property [ sh:path dct:title ; sh:minCount 1 ] .",
//! )
//! .into_iter()
//! .collect();
//! let shapes = ShapeSet::from_graph(&shapes);
//! let record = parse(
//!     "<https://example.org/d> a <http://www.w3.org/ns/dcat#Dataset> .",
//! );
//! let report = shapes.validate(&DataGraph::new(&record));
//! assert!(!report.conforms);
//! assert_eq!(report.results.len(), 1);
//! ```

mod data;
mod engine;
mod load;
mod path;
mod report;
mod shapes;
mod sparql;
mod vocab;
mod xsd;

pub use data::{Background, DataGraph, DataGraphBuilder};
pub(crate) use data::{CompactTerms, Interner};
pub use path::PropertyPath;
pub use report::{Severity, ValidationReport, ValidationResult};
pub use shapes::{ShapeSet, ShapeWarning};

use oxrdf::Triple;
use rayon::prelude::*;
use std::path::PathBuf;
use thiserror::Error;

/// Focus nodes validated by one run in [`ShapeSet::validate_in_blocks`]:
/// enough that starting a run costs nothing beside them.
const FOCUS_BLOCK: usize = 256;

/// Blocks per thread in a wave of [`ShapeSet::validate_in_blocks`]: enough
/// to even out slow blocks, few enough to keep a wave's results small.
const WAVE_BLOCKS_PER_THREAD: usize = 8;

/// A shapes or background file that could not be read.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid RDF in {path}: {message}", path = path.display())]
    Syntax {
        path: PathBuf,
        /// 1-based line of the error, when the parser knows it.
        line: Option<u64>,
        message: String,
    },
    #[error("{path}: cannot tell the RDF syntax from the file extension", path = path.display())]
    UnknownFormat { path: PathBuf },
}

/// A shapes graph that SHACL calls ill-formed (see [`ShapeSet::check_well_formed`]).
#[derive(Debug, Error)]
#[error("the shapes graph is ill-formed: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ShapesError {
    pub problems: Vec<ShapeWarning>,
}

impl ShapeSet {
    /// Validates one data graph.
    pub fn validate(&self, data: &DataGraph<'_>) -> ValidationReport {
        engine::Run::new(self, data).validate()
    }

    /// Validates one data graph on rayon's pool, in blocks of focus nodes:
    /// each block's report goes through `render` on a worker, and the
    /// rendered blocks reach `consume` in order, a wave of blocks at a time,
    /// so a large graph's results never pile up. The blocks' results, in
    /// order, are those of [`ShapeSet::validate`]; a failure may come in
    /// more than one block.
    pub fn validate_in_blocks<T: Send, E>(
        &self,
        data: &DataGraph<'_>,
        render: impl Fn(ValidationReport) -> T + Sync,
        mut consume: impl FnMut(T) -> Result<(), E>,
    ) -> Result<(), E> {
        let (pairs, extras) = engine::Run::new(self, data).targets();
        let wave = FOCUS_BLOCK * WAVE_BLOCKS_PER_THREAD * rayon::current_num_threads().max(1);
        for wave in pairs.chunks(wave) {
            let rendered: Vec<T> = wave
                .par_chunks(FOCUS_BLOCK)
                .map(|block| render(engine::Run::new(self, data).validate_targets(block, &extras)))
                .collect();
            for block in rendered {
                consume(block)?;
            }
        }
        Ok(())
    }

    /// Validates many records in parallel (on rayon's pool), each as its own
    /// data graph over the shared `background`; reports come back in the
    /// order of `records`. `triples` says where a record keeps its triples.
    pub fn validate_all<R: Sync>(
        &self,
        background: Option<&Background>,
        records: &[R],
        triples: impl Fn(&R) -> &[Triple] + Sync,
    ) -> Vec<ValidationReport> {
        records
            .par_iter()
            .map(|record| {
                let triples = triples(record);
                let data = match background {
                    Some(background) => DataGraph::with_background(background, triples),
                    None => DataGraph::new(triples),
                };
                self.validate(&data)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::{RdfFormat, RdfParser};
    use oxrdf::Graph;
    use std::io::Write;

    fn graph(turtle: &str) -> Graph {
        RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(turtle.as_bytes())
            .map(|q| q.map(Triple::from))
            .collect::<Result<_, _>>()
            .expect("test Turtle parses")
    }

    #[test]
    fn the_engine_types_cross_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<ShapeSet>();
        shareable::<Background>();
        shareable::<DataGraph<'static>>();
        shareable::<ValidationReport>();
    }

    #[test]
    fn defects_become_warnings_and_strictness_is_opt_in() {
        let shapes = ShapeSet::from_graph(&graph(
            "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
             ex:S sh:targetClass ex:C ;
                sh:shape ex:Other ;
                sh:property [ sh:minCount 1 ] ;
                sh:property [ sh:path ex:p ; sh:pattern \"(\" ] ;
                sh:property [ sh:path ex:q ; sh:in [ <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> ex:a ] ] ;
                sh:property [ sh:path ex:r ; sh:minCount 1 ] .",
        ));
        let text: Vec<String> = shapes.warnings().iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|w| w.contains("sh:shape")), "{text:?}");
        assert!(text.iter().any(|w| w.contains("no sh:path")), "{text:?}");
        assert!(text.iter().any(|w| w.contains("sh:pattern")), "{text:?}");
        assert!(
            text.iter().any(|w| w.contains("sh:in is skipped")),
            "{text:?}"
        );
        let error = shapes
            .check_well_formed()
            .expect_err("a path-less property shape is ill-formed");
        assert!(
            !error
                .problems
                .iter()
                .any(|w| w.message.contains("sh:shape")),
            "unknown terms are not ill-formed"
        );
        // What is left still validates.
        let data = graph("<http://example.org/x> a <http://example.org/C> .");
        let report = shapes.validate(&DataGraph::from_graph(&data));
        assert_eq!(report.results.len(), 1);
        assert_eq!(
            report.results[0]
                .path
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("<http://example.org/r>")
        );
    }

    #[test]
    fn shapes_files_load_and_name_their_errors() {
        let mut good = tempfile::Builder::new()
            .suffix(".ttl")
            .tempfile()
            .expect("temp file");
        writeln!(
            good,
            "@prefix sh: <http://www.w3.org/ns/shacl#> .\n<#S> sh:targetNode <#x> ; sh:nodeKind sh:Literal ."
        )
        .expect("write");
        let shapes = ShapeSet::from_files(&[good.path()]).expect("valid Turtle");
        assert_eq!(shapes.len(), 1);
        let report = shapes.validate(&DataGraph::new(&Vec::<Triple>::new()));
        assert_eq!(
            report.results.len(),
            1,
            "relative IRIs resolve against the file"
        );

        let mut bad = tempfile::Builder::new()
            .suffix(".ttl")
            .tempfile()
            .expect("temp file");
        writeln!(
            bad,
            "@prefix sh: <http://www.w3.org/ns/shacl#> .\n\n<#S> sh:targetNode ."
        )
        .expect("write");
        let error = ShapeSet::from_files(&[good.path(), bad.path()]).expect_err("broken Turtle");
        assert!(
            matches!(error, LoadError::Syntax { line: Some(3), .. }),
            "{error}"
        );
        assert!(error
            .to_string()
            .contains(&bad.path().display().to_string()));
    }

    #[test]
    fn blocks_of_focus_nodes_report_what_one_run_reports() {
        let shapes = ShapeSet::from_graph(&graph(
            "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
             ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCount 1 ] ;
                sh:property [ sh:path ex:knows ; sh:node ex:S ] .
             ex:T sh:targetObjectsOf ex:knows ; sh:targetNode ex:absent, ex:r7 ; sh:nodeKind sh:IRI ;
                sh:property [ sh:path ex:p ; sh:datatype <http://www.w3.org/2001/XMLSchema#integer> ] .",
        ));
        // More focus nodes than a few waves of blocks, linked in rings
        // (recursion through sh:node), some broken, some blank.
        let mut text = String::new();
        for i in 0..3000 {
            let node = if i % 11 == 0 {
                format!("_:b{i}")
            } else {
                format!("<http://example.org/r{i}>")
            };
            // Rings of ten.
            let next = i / 10 * 10 + (i + 1) % 10;
            let next = if next % 11 == 0 {
                format!("_:b{next}")
            } else {
                format!("<http://example.org/r{next}>")
            };
            let value = match i % 5 {
                0 => String::new(),
                1 => "; <http://example.org/p> \"x\" ".to_string(),
                _ => format!("; <http://example.org/p> {i} "),
            };
            text.push_str(&format!(
                "{node} a <http://example.org/C> ; <http://example.org/knows> {next} {value}.\n"
            ));
        }
        let data = graph(&text);
        let data = DataGraph::from_graph(&data);
        let whole = shapes.validate(&data);
        assert!(whole.results.len() > 1000, "{}", whole.results.len());
        let mut blocks = 0;
        let mut results = Vec::new();
        shapes
            .validate_in_blocks(
                &data,
                |report| report,
                |report| {
                    blocks += 1;
                    results.extend(report.results);
                    Ok::<(), ()>(())
                },
            )
            .expect("no error");
        assert!(blocks > 1, "{blocks}");
        assert_eq!(results, whole.results);
    }

    #[test]
    fn a_long_chain_is_a_failure_not_a_crash() {
        let shapes = ShapeSet::from_graph(&graph(
            "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
             ex:S sh:targetNode ex:n0 ; sh:property [ sh:path ex:next ; sh:node ex:S ] ;
                sh:property [ sh:path ex:p ; sh:maxCount 0 ] .",
        ));
        let text: String = (0..5000)
            .map(|i| format!("<http://example.org/n{i}> <http://example.org/next> <http://example.org/n{}> .\n", i + 1))
            .collect();
        let data = graph(&(text + "<http://example.org/n4000> <http://example.org/p> 1 ."));
        // On a test thread's (small) stack.
        let report = shapes.validate(&DataGraph::from_graph(&data));
        assert!(!report.conforms);
        assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
        assert!(
            report.failures[0].contains("nest deeper"),
            "{:?}",
            report.failures
        );
    }

    #[test]
    fn validate_all_keeps_the_order_of_the_records() {
        let shapes = ShapeSet::from_graph(&graph(
            "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
             ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
        ));
        let records: Vec<Vec<Triple>> = (0..50)
            .map(|i| {
                let text = if i % 3 == 0 {
                    format!("<http://example.org/r{i}> a <http://example.org/C> .")
                } else {
                    format!("<http://example.org/r{i}> a <http://example.org/C> ; <http://example.org/p> 1 .")
                };
                graph(&text).iter().map(|t| t.into_owned()).collect()
            })
            .collect();
        let reports = shapes.validate_all(None, &records, |r| r.as_slice());
        for (i, report) in reports.iter().enumerate() {
            assert_eq!(report.conforms, i % 3 != 0, "record {i}");
        }
    }
}
