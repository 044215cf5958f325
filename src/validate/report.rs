//! Validation reports, as Rust values and as standard `sh:ValidationReport` RDF.

use super::path::PropertyPath;
use super::vocab::{self, sh};
use oxrdf::{BlankNode, Graph, Literal, NamedNode, Term, Triple};
use std::fmt;

/// The severity of a result: SHACL's three, or any other IRI a shape names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Severity {
    Info,
    Warning,
    Violation,
    Other(NamedNode),
}

impl Severity {
    pub fn from_iri(iri: &NamedNode) -> Self {
        match iri.as_str().strip_prefix(vocab::SH) {
            Some("Info") => Severity::Info,
            Some("Warning") => Severity::Warning,
            Some("Violation") => Severity::Violation,
            _ => Severity::Other(iri.clone()),
        }
    }

    pub fn iri(&self) -> NamedNode {
        match self {
            Severity::Info => NamedNode::new_unchecked(sh("Info")),
            Severity::Warning => NamedNode::new_unchecked(sh("Warning")),
            Severity::Violation => NamedNode::new_unchecked(sh("Violation")),
            Severity::Other(iri) => iri.clone(),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Severity::Info => f.write_str("info"),
            Severity::Warning => f.write_str("warning"),
            Severity::Violation => f.write_str("violation"),
            Severity::Other(iri) => write!(f, "{iri}"),
        }
    }
}

/// One `sh:ValidationResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationResult {
    pub focus_node: Term,
    pub path: Option<PropertyPath>,
    pub value: Option<Term>,
    /// The shape whose constraint produced the result (IRI or blank node of the shapes graph).
    pub source_shape: Term,
    pub source_constraint_component: NamedNode,
    /// The `sh:sparql` node, for SPARQL-based constraints.
    pub source_constraint: Option<Term>,
    pub severity: Severity,
    pub messages: Vec<Literal>,
}

impl fmt::Display for ValidationResult {
    /// One line for logs: severity, focus node, path, value, message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity, self.focus_node)?;
        if let Some(path) = &self.path {
            write!(f, " {path}")?;
        }
        if let Some(value) = &self.value {
            write!(f, " = {value}")?;
        }
        let component = self.source_constraint_component.as_str();
        let component = component.strip_prefix(vocab::SH).unwrap_or(component);
        write!(f, " [{component}]")?;
        if let Some(message) = self.messages.first() {
            write!(f, ": {}", message.value())?;
        }
        Ok(())
    }
}

/// The outcome of validating one data graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationReport {
    /// True when there are no results (of any severity) and no failures.
    pub conforms: bool,
    pub results: Vec<ValidationResult>,
    /// What stopped parts of the validation from running (a SPARQL query
    /// that failed, a `?failure` binding). SHACL calls any of these a
    /// failure: the report is then incomplete.
    pub failures: Vec<String>,
}

impl ValidationReport {
    /// Number of results with severity `sh:Violation`.
    pub fn violations(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.severity == Severity::Violation)
            .count()
    }

    /// The report as standard SHACL RDF: a blank `sh:ValidationReport` with
    /// one blank `sh:ValidationResult` per result; each result gets its own
    /// copy of its path's blank nodes.
    pub fn to_graph(&self) -> Graph {
        let mut graph = Graph::new();
        let report = BlankNode::default();
        let rdf_type = NamedNode::new_unchecked(vocab::RDF_TYPE);
        let property = |local: &str| NamedNode::new_unchecked(sh(local));
        graph.insert(&Triple::new(
            report.clone(),
            rdf_type.clone(),
            property("ValidationReport"),
        ));
        graph.insert(&Triple::new(
            report.clone(),
            property("conforms"),
            Literal::from(self.conforms),
        ));
        for result in &self.results {
            let node = BlankNode::default();
            graph.insert(&Triple::new(
                report.clone(),
                property("result"),
                node.clone(),
            ));
            let mut add = |local: &str, object: Term| {
                graph.insert(&Triple::new(node.clone(), property(local), object));
            };
            add("focusNode", result.focus_node.clone());
            add("resultSeverity", result.severity.iri().into());
            add("sourceShape", result.source_shape.clone());
            add(
                "sourceConstraintComponent",
                result.source_constraint_component.clone().into(),
            );
            if let Some(value) = &result.value {
                add("value", value.clone());
            }
            if let Some(constraint) = &result.source_constraint {
                add("sourceConstraint", constraint.clone());
            }
            for message in &result.messages {
                add("resultMessage", message.clone().into());
            }
            graph.insert(&Triple::new(
                node.clone(),
                rdf_type.clone(),
                property("ValidationResult"),
            ));
            if let Some(path) = &result.path {
                let path_node = path.write_rdf(&mut graph);
                graph.insert(&Triple::new(
                    node.clone(),
                    property("resultPath"),
                    path_node,
                ));
            }
        }
        graph
    }
}
