//! Validation for data stewards: a document checked against a profile,
//! record by record, or against any shapes graph as a whole, and the report
//! written as a linter would (grouped by record and property, severity
//! first, plain words, capped samples) or as the standard `sh:ValidationReport`.

use crate::config::HarvestConfig;
use crate::harvest::record::RecordKind;
use crate::harvest::split::InternedDocument;
use crate::harvest::{fold_document, HarvestError};
use crate::ns;
use crate::profiles::Profile;
use crate::serve::sparql::PREFIXES;
use crate::validate::{DataGraph, DataGraphBuilder, Severity, ValidationReport, ValidationResult};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxrdf::{Graph, NamedNode, Term, Triple};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One record's verdict.
pub struct RecordVerdict {
    /// The described resource, or `None` for a whole-document check.
    pub resource: Option<NamedNode>,
    pub kind: Option<RecordKind>,
    pub title: Option<String>,
    pub report: ValidationReport,
}

/// The verdicts on one document.
pub struct DocumentReport {
    pub source: String,
    pub records: Vec<RecordVerdict>,
}

impl DocumentReport {
    pub fn violations(&self) -> usize {
        self.records.iter().map(|r| r.report.violations()).sum()
    }

    pub fn warnings(&self) -> usize {
        self.records
            .iter()
            .flat_map(|r| &r.report.results)
            .filter(|r| r.severity != Severity::Violation)
            .count()
    }

    /// True when no record has a Violation (warnings are allowed).
    pub fn conforms(&self) -> bool {
        self.violations() == 0 && self.records.iter().all(|r| r.report.failures.is_empty())
    }

    /// The standard report: one `sh:ValidationReport` over all records.
    pub fn to_graph(&self) -> Graph {
        let merged = ValidationReport {
            conforms: self.records.iter().all(|r| r.report.conforms),
            results: self
                .records
                .iter()
                .flat_map(|r| r.report.results.iter().cloned())
                .collect(),
            failures: self
                .records
                .iter()
                .flat_map(|r| r.report.failures.iter().cloned())
                .collect(),
        };
        merged.to_graph()
    }
}

/// Checks each record of the document against a profile.
pub fn validate_records(source: &str, triples: Vec<Triple>, profile: &Profile) -> DocumentReport {
    let mut document = InternedDocument::default();
    for triple in &triples {
        document.add(triple.as_ref());
    }
    drop(triples);
    validate_interned(source, document, profile)
}

/// Reads a document (path or URL) into its interned form, triple by triple
/// as it is parsed (see [`validate_interned`]).
pub async fn read_interned(
    location: &str,
    settings: &HarvestConfig,
) -> Result<(String, InternedDocument), HarvestError> {
    fold_document(
        location,
        settings,
        InternedDocument::default(),
        |document, triple| document.add(triple.as_ref()),
    )
    .await
}

/// Checks each record of an interned document against a profile, records
/// in parallel: a record's triples are made when it is validated and
/// dropped after, so only the verdicts accumulate.
pub fn validate_interned(
    source: &str,
    document: InternedDocument,
    profile: &Profile,
) -> DocumentReport {
    let records = document.split(
        "urn:katalog:validate:genid:",
        NamedNode::new_unchecked("urn:katalog:validate:unattached"),
    );
    let verdicts = (0..records.len())
        .into_par_iter()
        .filter(|&i| records.kind(i) != Some(RecordKind::Unattached))
        .filter_map(|i| records.record(i))
        .map(|record| {
            let report = profile.validate_record(&record.triples, &record.linked_types);
            RecordVerdict {
                title: title_of(&record.triples, &record.resource),
                resource: Some(record.resource),
                kind: Some(record.kind),
                report,
            }
        })
        .collect();
    DocumentReport {
        source: source.to_string(),
        records: verdicts,
    }
}

/// Checks the whole document against exactly the given shapes (the data file
/// may hold the shapes too, as in the W3C test suite).
pub fn validate_document(source: &str, triples: &[Triple], profile: &Profile) -> DocumentReport {
    validate_graph(source, &DataGraph::new(triples), profile)
}

/// Reads a document (path or URL) straight into a data graph: each triple
/// is interned as it is parsed, so a large document costs its distinct
/// terms and its triples' ids, never a list of owned triples.
pub async fn read_data_graph(
    location: &str,
    settings: &HarvestConfig,
) -> Result<(String, DataGraph<'static>), HarvestError> {
    let (location, builder) = fold_document(
        location,
        settings,
        DataGraphBuilder::new(None),
        |builder, triple| builder.add(triple.as_ref()),
    )
    .await?;
    Ok((location, builder.finish()))
}

/// Checks a whole data graph against exactly the given shapes (see [`validate_document`]).
pub fn validate_graph(source: &str, data: &DataGraph<'_>, profile: &Profile) -> DocumentReport {
    let report = profile.shapes.validate(data);
    DocumentReport {
        source: source.to_string(),
        records: vec![RecordVerdict {
            resource: None,
            kind: None,
            title: None,
            report,
        }],
    }
}

fn title_of(triples: &[Triple], resource: &NamedNode) -> Option<String> {
    let mut titles: Vec<(u8, &str)> = triples
        .iter()
        .filter(|t| t.predicate.as_str() == ns::DCT_TITLE)
        .filter(|t| matches!(&t.subject, oxrdf::NamedOrBlankNode::NamedNode(n) if n == resource))
        .filter_map(|t| match &t.object {
            Term::Literal(l) => {
                let rank = match l.language() {
                    Some("en") => 0,
                    Some("nb" | "no" | "nn") => 1,
                    _ => 2,
                };
                Some((rank, l.value()))
            }
            _ => None,
        })
        .collect();
    titles.sort();
    titles.first().map(|(_, t)| t.to_string())
}

/// `dcat:Dataset` for a known namespace, `<iri>` otherwise.
pub fn compact(iri: &str) -> String {
    for (prefix, namespace) in PREFIXES {
        if let Some(local) = iri.strip_prefix(namespace) {
            if !local.is_empty()
                && local
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            {
                return format!("{prefix}:{local}");
            }
        }
    }
    format!("<{iri}>")
}

fn term_text(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => compact(n.as_str()),
        Term::BlankNode(_) => "a blank node".to_string(),
        Term::Literal(l) => {
            let value: String = l.value().chars().take(80).collect();
            if l.language().is_some() || l.datatype().as_str().ends_with("#string") {
                format!("{value:?}")
            } else {
                format!("{value:?}^^{}", compact(l.datatype().as_str()))
            }
        }
    }
}

fn severity_label(severity: &Severity) -> &'static str {
    match severity {
        Severity::Violation => "Violation",
        Severity::Warning => "Warning",
        _ => "Info",
    }
}

/// What went wrong, in words: the shape's message, else one from the component.
fn explain(result: &ValidationResult) -> String {
    if let Some(message) = result
        .messages
        .iter()
        .find(|m| m.language() == Some("en"))
        .or_else(|| result.messages.first())
    {
        return message.value().to_string();
    }
    let component = result
        .source_constraint_component
        .as_str()
        .rsplit('#')
        .next()
        .unwrap_or("")
        .trim_end_matches("ConstraintComponent");
    match component {
        "MinCount" => "is missing".into(),
        "MaxCount" => "has too many values".into(),
        "Datatype" => "has a value of the wrong datatype, or not a valid one".into(),
        "NodeKind" => "has the wrong kind of value (IRI, blank node or literal)".into(),
        "Class" => "has a value of the wrong class".into(),
        "In" => "has a value outside the allowed list".into(),
        "Pattern" => "does not match the required pattern".into(),
        other => format!("fails the {other} constraint"),
    }
}

/// At most this many results are shown per record and property.
const SAMPLES: usize = 3;

/// One line of a report: a result on a record's property.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportLine {
    /// "Violation", "Warning" or "Info".
    pub severity: &'static str,
    /// The property (`dct:title`), or "(node)".
    pub path: String,
    /// " on <focus>" when the focus is not the record itself, else empty.
    pub focus: String,
    /// What is wrong, in the shape's words.
    pub message: String,
    /// " (value …)" when the result names one, else empty.
    pub value: String,
}

/// The results of one severity on one property: up to [`SAMPLES`] lines.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportGroup {
    pub severity: &'static str,
    pub path: String,
    pub lines: Vec<ReportLine>,
    /// How many more results there are beyond the lines.
    pub more: usize,
}

/// One record with remarks.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportSection {
    /// `Dataset <iri> "title"`, or `Document SOURCE`.
    pub heading: String,
    pub violations: usize,
    pub warnings: usize,
    /// Violations first, then warnings, then infos; by property within.
    pub groups: Vec<ReportGroup>,
    pub failures: Vec<String>,
}

/// The report grouped as the text report shows it (and the web page):
/// records with remarks, and the number of records without.
pub fn sections(report: &DocumentReport) -> (Vec<ReportSection>, usize) {
    let mut sections = Vec::new();
    let mut clean = 0;
    for record in &report.records {
        if record.report.results.is_empty() && record.report.failures.is_empty() {
            clean += 1;
            continue;
        }
        let heading = match (&record.kind, &record.resource) {
            (Some(kind), Some(resource)) => {
                let mut name = kind.label().to_string();
                if let Some(first) = name.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                let iri = resource.as_str();
                match &record.title {
                    Some(title) => format!("{name} <{iri}> {title:?}"),
                    None => format!("{name} <{iri}> (no title)"),
                }
            }
            _ => format!("Document {}", report.source),
        };
        let violations = record.report.violations();
        let warnings = record.report.results.len() - violations;
        // Group by severity (violations first), then by path.
        let mut grouped: BTreeMap<(u8, String), Vec<&ValidationResult>> = BTreeMap::new();
        for result in &record.report.results {
            let rank = match result.severity {
                Severity::Violation => 0,
                Severity::Warning => 1,
                _ => 2,
            };
            let path = result
                .path
                .as_ref()
                .and_then(|p| p.as_predicate())
                .map(|p| compact(p.as_str()))
                .unwrap_or_else(|| "(node)".to_string());
            grouped.entry((rank, path)).or_default().push(result);
        }
        let groups = grouped
            .into_iter()
            .map(|((_, path), results)| ReportGroup {
                severity: severity_label(&results[0].severity),
                lines: results
                    .iter()
                    .take(SAMPLES)
                    .map(|result| ReportLine {
                        severity: severity_label(&result.severity),
                        path: path.clone(),
                        focus: match (&result.focus_node, &record.resource) {
                            (Term::NamedNode(n), Some(r)) if n == r => String::new(),
                            (focus, _) => format!(" on {}", term_text(focus)),
                        },
                        message: explain(result),
                        value: result
                            .value
                            .as_ref()
                            .map(|v| format!(" (value {})", term_text(v)))
                            .unwrap_or_default(),
                    })
                    .collect(),
                more: results.len().saturating_sub(SAMPLES),
                path,
            })
            .collect();
        sections.push(ReportSection {
            heading,
            violations,
            warnings,
            groups,
            failures: record
                .report
                .failures
                .iter()
                .map(|f| f.to_string())
                .collect(),
        });
    }
    (sections, clean)
}

/// The closing line: `SOURCE: N records checked, … : conforms`.
pub fn summary_line(report: &DocumentReport, clean: usize) -> String {
    let total = report.records.len();
    format!(
        "{}: {total} record{} checked, {clean} without remarks; {} violation{}, {} warning{}: {}",
        report.source,
        if total == 1 { "" } else { "s" },
        report.violations(),
        if report.violations() == 1 { "" } else { "s" },
        report.warnings(),
        if report.warnings() == 1 { "" } else { "s" },
        if report.conforms() {
            "conforms"
        } else {
            "does NOT conform"
        }
    )
}

/// The linter-style text report.
pub fn to_text(report: &DocumentReport) -> String {
    let mut out = String::new();
    let (sections, clean) = sections(report);
    for section in &sections {
        let _ = writeln!(
            out,
            "{}: {} violation{}, {} warning{}",
            section.heading,
            section.violations,
            if section.violations == 1 { "" } else { "s" },
            section.warnings,
            if section.warnings == 1 { "" } else { "s" }
        );
        for group in &section.groups {
            for line in &group.lines {
                let _ = writeln!(
                    out,
                    "  {:<9} {}{}: {}{}",
                    line.severity, line.path, line.focus, line.message, line.value
                );
            }
            if group.more > 0 {
                let _ = writeln!(
                    out,
                    "            … and {} more on {}",
                    group.more, group.path
                );
            }
        }
        for failure in &section.failures {
            let _ = writeln!(out, "  Failure   {failure}");
        }
    }
    let _ = writeln!(out, "{}", summary_line(report, clean));
    out
}

/// The standard report in an RDF syntax.
pub fn to_rdf(report: &DocumentReport, format: RdfFormat) -> Result<Vec<u8>, std::io::Error> {
    let graph = report.to_graph();
    let mut serializer = crate::serve::sparql::prefixed(RdfSerializer::from_format(format))
        .with_prefix("sh", "http://www.w3.org/ns/shacl#")
        .map_err(std::io::Error::other)?
        .for_writer(Vec::new());
    for triple in graph.iter() {
        serializer.serialize_triple(triple)?;
    }
    serializer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::RdfParser;
    use std::io::Write;

    const SHAPES_AND_DATA: &str = r#"
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<#DatasetShape> sh:targetClass dcat:Dataset ;
  sh:property [ sh:path dct:title ; sh:minCount 1 ] ;
  sh:property [ sh:path dct:issued ; sh:datatype xsd:date ] ;
  sh:property [ sh:path dcat:distribution ; sh:node <#DistributionShape> ] .
<#DistributionShape> sh:property [ sh:path dcat:accessURL ; sh:minCount 1 ; sh:nodeKind sh:IRI ] .
<#d1> a dcat:Dataset ; dct:title "Kreft"@nb ; dct:issued "2021-13-01"^^xsd:date ;
  dcat:distribution [ dcat:accessURL "not an IRI" ] .
<#d2> a dcat:Dataset ; dcat:distribution <#dist> .
<#dist> dcat:accessURL <https://example.no/get> .
"#;

    fn lines(report: &DocumentReport) -> Vec<String> {
        let mut lines: Vec<String> = report
            .records
            .iter()
            .flat_map(|r| &r.report.results)
            .map(|r| {
                let mut r = r.clone();
                // Blank nodes are labelled per parse.
                if r.focus_node.is_blank_node() {
                    r.focus_node = Term::Literal(oxrdf::Literal::from("blank"));
                }
                if r.value.as_ref().is_some_and(Term::is_blank_node) {
                    r.value = Some(Term::Literal(oxrdf::Literal::from("blank")));
                }
                r.source_shape = Term::Literal(oxrdf::Literal::from("shape"));
                r.to_string()
            })
            .collect();
        lines.sort();
        lines
    }

    #[test]
    fn a_document_read_straight_into_a_graph_gets_the_same_report() {
        let mut file = tempfile::Builder::new()
            .suffix(".ttl")
            .tempfile()
            .expect("temp file");
        file.write_all(SHAPES_AND_DATA.as_bytes()).expect("write");
        let path = file.path().to_str().expect("utf-8 path").to_string();
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let (location, data) = runtime
            .block_on(read_data_graph(&path, &HarvestConfig::default()))
            .expect("the document reads");
        assert_eq!(location, path);

        let base = url::Url::from_file_path(std::path::absolute(file.path()).expect("absolute"))
            .expect("file URL")
            .to_string();
        let triples: Vec<Triple> = RdfParser::from_format(RdfFormat::Turtle)
            .with_base_iri(base)
            .expect("base")
            .for_slice(SHAPES_AND_DATA.as_bytes())
            .map(|q| q.map(Triple::from))
            .collect::<Result<_, _>>()
            .expect("parses");
        let shapes: Graph = triples.iter().collect();
        let profile = Profile::from_shapes("test", &shapes);
        let streamed = validate_graph(&location, &data, &profile);
        let whole = validate_document(&location, &triples, &profile);
        // d1's date and distribution (whose missing IRI fails sh:node), d2's title.
        assert_eq!(lines(&streamed).len(), 3, "{:?}", lines(&streamed));
        assert_eq!(lines(&streamed), lines(&whole));
        assert_eq!(to_text(&streamed), to_text(&whole));
    }

    #[test]
    fn a_broken_document_is_named_with_its_line() {
        let mut file = tempfile::Builder::new()
            .suffix(".ttl")
            .tempfile()
            .expect("temp file");
        file.write_all(b"<http://example.org/a> <http://example.org/p> 1 .\n\n<http://example.org/a> <http://example.org/p> .\n")
            .expect("write");
        let path = file.path().to_str().expect("utf-8 path").to_string();
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let error = runtime
            .block_on(read_data_graph(&path, &HarvestConfig::default()))
            .expect_err("broken Turtle");
        let text = error.to_string();
        assert!(text.contains(&path) && text.contains("line 3"), "{text}");
        let missing = runtime
            .block_on(read_data_graph(
                "/nonexistent/katalog/data.ttl",
                &HarvestConfig::default(),
            ))
            .expect_err("no such file")
            .to_string();
        assert!(
            missing.contains("/nonexistent/katalog/data.ttl"),
            "{missing}"
        );
    }
}
