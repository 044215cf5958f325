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

pub use data::{Background, DataGraph};
pub use path::PropertyPath;
pub use report::{Severity, ValidationReport, ValidationResult};
pub use shapes::{ShapeSet, ShapeWarning};

use oxrdf::Triple;
use rayon::prelude::*;
use std::path::PathBuf;
use thiserror::Error;

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
