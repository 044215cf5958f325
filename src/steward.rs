//! Validation for data stewards: a document checked against a profile,
//! record by record, or against any shapes graph as a whole, and the report
//! written as a linter would (grouped by record and property, severity
//! first, plain words, capped samples) or as the standard `sh:ValidationReport`.

use crate::config::HarvestConfig;
use crate::harvest::record::RecordKind;
use crate::harvest::split::{InternedDocument, SplitDocument};
use crate::harvest::HarvestError;
use crate::ns;
use crate::profiles::Profile;
use crate::serve::sparql::PREFIXES;
use crate::validate::{DataGraph, DataGraphBuilder, Severity, ValidationReport, ValidationResult};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxrdf::{Graph, NamedNode, Term, Triple};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;

mod writer;
pub use writer::{Rendered, ReportFormat, ReportWriter, Summary};

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
    crate::harvest::fold_document_in_parallel(
        location,
        settings,
        InternedDocument::default,
        |document, triple| document.add(triple),
        |document, triple| document.add_lenient(triple),
        InternedDocument::append,
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
        .filter_map(|i| record_verdict(&records, i, profile))
        .collect();
    DocumentReport {
        source: source.to_string(),
        records: verdicts,
    }
}

/// Record `i` of a split document validated, unless it is the unattached rest.
fn record_verdict(records: &SplitDocument, i: usize, profile: &Profile) -> Option<RecordVerdict> {
    if records.kind(i) == Some(RecordKind::Unattached) {
        return None;
    }
    let record = records.record(i)?;
    let report = profile.validate_record(&record.triples, &record.linked_types);
    Some(RecordVerdict {
        title: title_of(&record.triples, &record.resource),
        resource: Some(record.resource),
        kind: Some(record.kind),
        report,
    })
}

/// Records validated in one wave by [`validate_interned_to`], per thread:
/// enough to keep the cores busy, few enough that a wave's reports stay small.
const RECORDS_PER_THREAD_IN_A_WAVE: usize = 64;

/// [`validate_interned`], written as it goes: records are validated in
/// parallel a wave at a time, each rendered on its worker, and written in
/// the document's order, so only the writer's counts accumulate.
pub fn validate_interned_to<W: Write>(
    document: InternedDocument,
    profile: &Profile,
    writer: &mut ReportWriter<W>,
) -> std::io::Result<()> {
    let records = document.split(
        "urn:katalog:validate:genid:",
        NamedNode::new_unchecked("urn:katalog:validate:unattached"),
    );
    let (format, source) = (writer.format(), writer.source().to_string());
    let wave = RECORDS_PER_THREAD_IN_A_WAVE * rayon::current_num_threads().max(1);
    let mut start = 0;
    while start < records.len() {
        let end = records.len().min(start + wave);
        let parts: Vec<Rendered> = (start..end)
            .into_par_iter()
            .filter_map(|i| record_verdict(&records, i, profile))
            .map(|verdict| Rendered::record(format, &source, &verdict))
            .collect();
        for part in parts {
            writer.write(part)?;
        }
        start = end;
    }
    Ok(())
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
    let (location, builder) = crate::harvest::fold_document_in_parallel(
        location,
        settings,
        || DataGraphBuilder::new(None),
        |builder, triple| builder.add(triple),
        |builder, triple| builder.add_lenient(triple),
        DataGraphBuilder::append,
    )
    .await?;
    Ok((location, builder.finish()))
}

/// [`validate_graph`], written as it goes: the focus nodes are validated in
/// parallel blocks (see [`crate::validate::ShapeSet::validate_in_blocks`]),
/// each rendered on its worker and written in order.
pub fn validate_graph_to<W: Write>(
    data: &DataGraph<'_>,
    profile: &Profile,
    writer: &mut ReportWriter<W>,
) -> std::io::Result<()> {
    let format = writer.format();
    writer.begin_document();
    profile.shapes.validate_in_blocks(
        data,
        |report| Rendered::document_block(format, &report),
        |part| writer.write(part),
    )
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

impl ReportLine {
    /// One result in the report's words, with the rank of its severity
    /// (violations 0, warnings 1, others 2) that orders the groups. The
    /// text report, the streamed writer and the web page all say it so.
    pub(crate) fn of(result: &ValidationResult, resource: Option<&NamedNode>) -> (u8, ReportLine) {
        let rank = match result.severity {
            Severity::Violation => 0,
            Severity::Warning => 1,
            _ => 2,
        };
        let line = ReportLine {
            severity: severity_label(&result.severity),
            path: result
                .path
                .as_ref()
                .and_then(|p| p.as_predicate())
                .map(|p| compact(p.as_str()))
                .unwrap_or_else(|| "(node)".to_string()),
            focus: match (&result.focus_node, resource) {
                (Term::NamedNode(n), Some(r)) if n == r => String::new(),
                (focus, _) => format!(" on {}", term_text(focus)),
            },
            message: explain(result),
            value: result
                .value
                .as_ref()
                .map(|v| format!(" (value {})", term_text(v)))
                .unwrap_or_default(),
        };
        (rank, line)
    }

    /// The line as the text report prints it.
    pub(crate) fn text(&self) -> String {
        format!(
            "  {:<9} {}{}: {}{}",
            self.severity, self.path, self.focus, self.message, self.value
        )
    }
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
        let heading = writer::record_heading(record, &report.source);
        let violations = record.report.violations();
        let warnings = record.report.results.len() - violations;
        // Group by severity (violations first), then by path.
        let mut grouped: BTreeMap<(u8, String), (usize, Vec<ReportLine>)> = BTreeMap::new();
        for result in &record.report.results {
            let (rank, line) = ReportLine::of(result, record.resource.as_ref());
            let (count, lines) = grouped.entry((rank, line.path.clone())).or_default();
            *count += 1;
            if lines.len() < SAMPLES {
                lines.push(line);
            }
        }
        let groups = grouped
            .into_iter()
            .map(|((_, path), (count, lines))| ReportGroup {
                severity: lines.first().map_or("Info", |line| line.severity),
                more: count.saturating_sub(lines.len()),
                lines,
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
    let mut out = Vec::new();
    // Writing into memory cannot fail.
    if let Ok(mut writer) = ReportWriter::new(&mut out, ReportFormat::Text, &report.source) {
        for record in &report.records {
            let part = match record.kind {
                Some(_) => Rendered::record(ReportFormat::Text, &report.source, record),
                None => {
                    writer.begin_document();
                    Rendered::document_block(ReportFormat::Text, &record.report)
                }
            };
            let _ = writer.write(part);
        }
        let _ = writer.finish();
    }
    String::from_utf8_lossy(&out).into_owned()
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
        let (file, path) = turtle_file(SHAPES_AND_DATA.as_bytes());
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
        let (_file, path) = turtle_file(b"<http://example.org/a> <http://example.org/p> 1 .\n\n<http://example.org/a> <http://example.org/p> .\n");
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

    // ---- the streamed report against the whole one ----

    use crate::harvest::record::content_hash;
    use std::collections::BTreeMap;
    use std::fmt::Write as _;

    /// The text report as it was written before reports streamed: all
    /// results held, grouped at the end (the oracle of the writer).
    fn whole_text(report: &DocumentReport) -> String {
        let mut out = String::new();
        let mut clean = 0;
        for record in &report.records {
            if record.report.results.is_empty() && record.report.failures.is_empty() {
                clean += 1;
                continue;
            }
            let what = match (&record.kind, &record.resource) {
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
            let others = record.report.results.len() - violations;
            let _ = writeln!(
                out,
                "{what}: {violations} violation{}, {others} warning{}",
                if violations == 1 { "" } else { "s" },
                if others == 1 { "" } else { "s" }
            );
            // Group by severity (violations first), then by path.
            let mut groups: BTreeMap<(u8, String), Vec<&ValidationResult>> = BTreeMap::new();
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
                groups.entry((rank, path)).or_default().push(result);
            }
            for ((_, path), results) in &groups {
                for result in results.iter().take(SAMPLES) {
                    let focus = match (&result.focus_node, &record.resource) {
                        (Term::NamedNode(n), Some(r)) if n == r => String::new(),
                        (focus, _) => format!(" on {}", term_text(focus)),
                    };
                    let value = result
                        .value
                        .as_ref()
                        .map(|v| format!(" (value {})", term_text(v)))
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "  {:<9} {path}{focus}: {}{value}",
                        severity_label(&result.severity),
                        explain(result)
                    );
                }
                if results.len() > SAMPLES {
                    let _ = writeln!(
                        out,
                        "            … and {} more on {path}",
                        results.len() - SAMPLES
                    );
                }
            }
            for failure in &record.report.failures {
                let _ = writeln!(out, "  Failure   {failure}");
            }
        }
        let total = report.records.len();
        let _ =
            writeln!(
            out,
            "{}: {total} record{} checked, {clean} without remarks; {} violation{}, {} warning{}: {}",
            report.source,
            if total == 1 { "" } else { "s" },
            report.violations(),
            if report.violations() == 1 { "" } else { "s" },
            report.warnings(),
            if report.warnings() == 1 { "" } else { "s" },
            if report.conforms() { "conforms" } else { "does NOT conform" }
        );
        out
    }

    /// Shapes with every kind of path, typed, tagged and escaped values,
    /// blank focus nodes, messages and a SPARQL constraint, and data that
    /// breaks them.
    const ODD_SHAPES_AND_DATA: &str = r#"
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:S sh:targetClass ex:C ;
  sh:property [ sh:path ( ex:p ex:q ) ; sh:minCount 1 ; sh:message "needs \"p/q\"\nsecond line"@en, "trenger p/q"@nb ] ;
  sh:property [ sh:path [ sh:inversePath ex:r ] ; sh:maxCount 0 ] ;
  sh:property [ sh:path [ sh:alternativePath ( ex:a [ sh:zeroOrMorePath ex:b ] ) ] ; sh:datatype xsd:integer ] ;
  sh:property [ sh:path [ sh:oneOrMorePath ex:n ] ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path [ sh:zeroOrOnePath ex:o ] ; sh:in ( ex:x ex:y ) ; sh:severity sh:Warning ] ;
  sh:sparql [ sh:select "SELECT $this ?value WHERE { $this <http://example.org/bad> ?value }" ; sh:message "bad {?value}" ] .
ex:one a ex:C ; ex:a "1.5"^^xsd:decimal, "tab\there"@en-GB ; ex:n "literal" ; ex:bad "x" .
ex:other ex:r ex:one .
_:anon a ex:C ; ex:b [ ex:b "deep" ] ; ex:p [ ex:q ex:z ] .
ex:two a ex:C ; ex:n [ ex:n 3 ] ; ex:bad ex:two, _:anon .
"#;

    fn parse_triples(text: &str) -> Vec<Triple> {
        RdfParser::from_format(RdfFormat::Turtle)
            .with_base_iri("http://example.org/doc.ttl")
            .expect("base IRI")
            .for_slice(text.as_bytes())
            .map(|q| q.map(Triple::from))
            .collect::<Result<_, _>>()
            .expect("test Turtle parses")
    }

    fn hash_of(bytes: &[u8], format: RdfFormat) -> String {
        let triples: Vec<Triple> = RdfParser::from_format(format)
            .for_slice(bytes)
            .map(|q| q.map(Triple::from))
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(bytes)));
        content_hash(&triples)
    }

    /// The report written part by part, as `katalog validate` does.
    fn streamed(report: &DocumentReport, format: ReportFormat) -> Vec<u8> {
        let mut out = Vec::new();
        let mut writer = ReportWriter::new(&mut out, format, &report.source).expect("starts");
        for record in &report.records {
            let part = match record.kind {
                Some(_) => Rendered::record(format, &report.source, record),
                None => {
                    writer.begin_document();
                    Rendered::document_block(format, &record.report)
                }
            };
            writer.write(part).expect("writes");
        }
        let summary = writer.finish().expect("finishes");
        assert_eq!(summary.conforms(), report.conforms());
        assert_eq!(summary.violations, report.violations());
        assert_eq!(summary.warnings, report.warnings());
        out
    }

    /// Every format of the streamed report says what the whole one says.
    fn assert_same_reports(report: &DocumentReport) {
        let whole = to_rdf(report, RdfFormat::Turtle).expect("serialises");
        let expected = hash_of(&whole, RdfFormat::Turtle);
        let turtle = streamed(report, ReportFormat::Turtle);
        assert_eq!(
            hash_of(&turtle, RdfFormat::Turtle),
            expected,
            "Turtle differs from the whole report:\n{}\n---\n{}",
            String::from_utf8_lossy(&turtle),
            String::from_utf8_lossy(&whole)
        );
        let json = streamed(report, ReportFormat::JsonLd);
        let json_format = RdfFormat::JsonLd {
            profile: oxigraph::io::JsonLdProfileSet::empty(),
        };
        assert_eq!(
            hash_of(&json, json_format),
            expected,
            "JSON-LD differs:\n{}",
            String::from_utf8_lossy(&json)
        );
        serde_json::from_slice::<serde_json::Value>(&json).expect("valid JSON");
        let text = String::from_utf8(streamed(report, ReportFormat::Text)).expect("UTF-8");
        assert_eq!(text, whole_text(report));
        assert_eq!(to_text(report), text);
    }

    #[test]
    fn streamed_reports_of_a_whole_document_match_the_whole_report() {
        for document in [SHAPES_AND_DATA, ODD_SHAPES_AND_DATA] {
            let triples = parse_triples(document);
            let shapes: Graph = triples.iter().collect();
            let profile = Profile::from_shapes("test", &shapes);
            let report = validate_document("doc.ttl", &triples, &profile);
            assert!(!report.conforms());
            if document == ODD_SHAPES_AND_DATA {
                let results = &report.records[0].report.results;
                let paths: std::collections::HashSet<String> = results
                    .iter()
                    .filter_map(|r| r.path.as_ref())
                    .filter(|p| p.as_predicate().is_none())
                    .map(|p| format!("{p:?}").chars().take(6).collect())
                    .collect();
                assert!(paths.len() >= 4, "{paths:?}");
                assert!(results.iter().any(|r| r.source_constraint.is_some()));
                assert!(results.iter().any(|r| r.focus_node.is_blank_node()));
                assert!(results.iter().any(|r| r.messages.len() == 2));
            }
            assert_same_reports(&report);
            // Validated in parallel blocks and written as they come: the same bytes.
            let data = DataGraph::new(&triples);
            for format in [
                ReportFormat::Text,
                ReportFormat::Turtle,
                ReportFormat::JsonLd,
            ] {
                let mut out = Vec::new();
                let mut writer = ReportWriter::new(&mut out, format, "doc.ttl").expect("starts");
                validate_graph_to(&data, &profile, &mut writer).expect("writes");
                let summary = writer.finish().expect("finishes");
                assert!(!summary.conforms());
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    String::from_utf8_lossy(&streamed(&report, format)),
                    "{format:?}"
                );
            }
        }
        // A conforming document, and one with nothing to check.
        let triples = parse_triples(SHAPES_AND_DATA);
        let shapes: Graph = triples.iter().collect();
        let profile = Profile::from_shapes("test", &shapes);
        for data in [
            "<http://example.org/x> <http://example.org/p> 1 .",
            "<http://example.org/d> a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> \"t\" .",
        ] {
            let report = validate_document("ok.ttl", &parse_triples(data), &profile);
            assert!(report.conforms());
            assert_same_reports(&report);
        }
    }

    #[test]
    fn streamed_reports_of_records_match_the_whole_report() {
        let Some(shared) = std::env::var_os("KATALOG_SHARED") else {
            eprintln!("KATALOG_SHARED unset: only the fixtures are checked");
            return self::check_fixture_records(None);
        };
        check_fixture_records(Some(std::path::PathBuf::from(shared)));
    }

    fn check_fixture_records(shared: Option<std::path::PathBuf>) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files: Vec<std::path::PathBuf> = [
            "no/catalogue.ttl",
            "nl/catalogue.ttl",
            "fi/catalogue.jsonld",
            "se/catalogue.rdf",
            "dk/catalogue.trig",
        ]
        .iter()
        .map(|f| root.join(f))
        .collect();
        if let Some(shared) = shared {
            let reference = shared.join("reference");
            files.push(
                reference.join("healthdcat-ap/release-8/examples/example-healthdcat-dataset.ttl"),
            );
            files.push(reference.join("dcat-ap/3.0.1/html/examples/example-bee-population.ttl"));
        }
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let settings = HarvestConfig::default();
        for name in ["dcat-ap-3", "healthdcat-ap"] {
            let profile = crate::profiles::compile(name).expect("built-in profile");
            let mut some_results = false;
            for file in &files {
                let path = file.to_str().expect("UTF-8 path");
                let Ok((location, document)) = runtime.block_on(read_interned(path, &settings))
                else {
                    continue;
                };
                let report = validate_interned(&location, document, &profile);
                some_results |= report.records.iter().any(|r| !r.report.results.is_empty());
                assert_same_reports(&report);
                for format in [ReportFormat::Text, ReportFormat::Turtle] {
                    let (_, document) = runtime
                        .block_on(read_interned(path, &settings))
                        .expect("reads again");
                    let mut out = Vec::new();
                    let mut writer =
                        ReportWriter::new(&mut out, format, &location).expect("starts");
                    validate_interned_to(document, &profile, &mut writer).expect("writes");
                    writer.finish().expect("finishes");
                    // Read again, the document's blank nodes have new labels.
                    let expected = streamed(&report, format);
                    match format {
                        ReportFormat::Text => assert_eq!(
                            String::from_utf8_lossy(&out),
                            String::from_utf8_lossy(&expected),
                            "{name} {path}"
                        ),
                        _ => assert_eq!(
                            hash_of(&out, RdfFormat::Turtle),
                            hash_of(&expected, RdfFormat::Turtle),
                            "{name} {path}"
                        ),
                    }
                }
            }
            assert!(some_results, "the fixtures break some {name} shapes");
        }
    }

    // ---- large documents parsed in parallel pieces ----

    /// A Turtle document large enough to be parsed in pieces: datasets with
    /// and without defects, distributions under labels shared between the
    /// first and the last dataset (so between pieces), anonymous valid ones,
    /// and `late` written wherever the caller puts it, near the end.
    /// A temporary Turtle file holding `doc`, and its path as text.
    fn turtle_file(doc: &[u8]) -> (tempfile::NamedTempFile, String) {
        let mut file = tempfile::Builder::new()
            .suffix(".ttl")
            .tempfile()
            .expect("temp file");
        file.write_all(doc).expect("write");
        let path = file.path().to_str().expect("utf-8 path").to_string();
        (file, path)
    }

    fn large_document(late: &str) -> String {
        large_document_of(20_000, late)
    }

    /// `count` datasets, with `late` before the last hundred.
    fn large_document_of(count: usize, late: &str) -> String {
        let mut doc = String::from(
            "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\
             @prefix dct: <http://purl.org/dc/terms/> .\n\
             @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\
             @prefix ex: <http://example.org/> .\n\
             ex:first a dcat:Dataset ; dct:title \"first\" ; dcat:distribution _:shared .\n",
        );
        for i in 0..count {
            if i == count - 100 {
                doc.push_str(late);
            }
            let title = if i % 7 == 0 {
                String::new()
            } else {
                format!("dct:title \"Dataset {i}\"@en ; ")
            };
            let month = if i % 11 == 0 { 13 } else { 1 + i % 12 };
            let distribution = if i % 5 == 0 {
                format!("dcat:distribution _:d{i} ; ")
            } else {
                "dcat:distribution [ dcat:accessURL <https://example.org/get> ] ; ".to_string()
            };
            doc.push_str(&format!(
                "ex:d{i} a dcat:Dataset ; {title}{distribution}dct:issued \"2021-{month:02}-01\"^^xsd:date .\n"
            ));
            if i % 5 == 0 {
                let url = if i % 3 == 0 {
                    "\"not an IRI\"".to_string()
                } else {
                    format!("<https://example.org/d{i}>")
                };
                doc.push_str(&format!("_:d{i} dcat:accessURL {url} .\n"));
            }
        }
        doc.push_str("ex:last a dcat:Dataset ; dcat:distribution _:shared .\n_:shared dcat:accessURL <https://example.org/shared> .\n");
        assert!(doc.len() > crate::harvest::parallel::MIN_PARALLEL_BYTES);
        doc
    }

    fn large_profile() -> Profile {
        let shapes: Graph = RdfParser::from_format(RdfFormat::Turtle)
            .with_base_iri("http://example.org/shapes")
            .expect("base")
            .for_slice(SHAPES_AND_DATA.as_bytes())
            .map(|q| q.map(Triple::from))
            .collect::<Result<Vec<_>, _>>()
            .expect("parses")
            .iter()
            .collect();
        Profile::from_shapes("test", &shapes)
    }

    /// The document parsed in one piece, blank-node labels kept.
    fn parsed_in_one_piece(doc: &str, path: &std::path::Path) -> Vec<Triple> {
        let base = url::Url::from_file_path(std::path::absolute(path).expect("absolute"))
            .expect("file URL")
            .to_string();
        oxttl::TurtleParser::new()
            .with_base_iri(base)
            .expect("base")
            .for_slice(doc.as_bytes())
            .collect::<Result<_, _>>()
            .expect("parses")
    }

    fn checked_both_ways(doc: &str) {
        let (file, path) = turtle_file(doc.as_bytes());
        let triples = parsed_in_one_piece(doc, file.path());
        let profile = large_profile();
        let runtime = tokio::runtime::Runtime::new().expect("runtime");

        let (location, data) = runtime
            .block_on(read_data_graph(&path, &HarvestConfig::default()))
            .expect("the document reads");
        assert_eq!(data.len(), DataGraph::new(&triples).len());
        let pieces = validate_graph(&location, &data, &profile);
        let whole = validate_document(&location, &triples, &profile);
        assert!(lines(&whole).len() > 3000, "{}", lines(&whole).len());
        assert_eq!(lines(&pieces), lines(&whole));
        // The first dataset's distribution gets its IRI in the last piece.
        assert!(
            !lines(&pieces)
                .iter()
                .any(|l| l.contains("example.org/first")),
            "the blank node shared across pieces is one node"
        );

        let (_, document) = runtime
            .block_on(read_interned(&path, &HarvestConfig::default()))
            .expect("the document reads");
        let pieces = validate_interned(&location, document, &profile);
        let whole = validate_records(&location, triples, &profile);
        assert_eq!(lines(&pieces), lines(&whole));
        assert_eq!(to_text(&pieces), to_text(&whole));
    }

    #[test]
    fn a_large_document_parsed_in_pieces_gets_the_same_report() {
        checked_both_ways(&large_document(""));
    }

    #[test]
    fn a_late_prefix_or_base_is_read_as_in_one_piece() {
        // A new prefix, a prefix declared again with another IRI, and a base
        // change: pieces after them would read names differently.
        checked_both_ways(&large_document(
            "@prefix late: <http://example.org/late/> .\nlate:x a dcat:Dataset .\n",
        ));
        checked_both_ways(&large_document(
            "@prefix ex: <http://example.org/other/> .\nex:x a dcat:Dataset .\n",
        ));
        checked_both_ways(&large_document(
            "@base <http://example.org/based/> .\n<x> a dcat:Dataset .\n",
        ));
        checked_both_ways(&large_document(
            "# a comment. <http://example.org/c> a <http://www.w3.org/ns/dcat#Dataset> .\n",
        ));
    }

    /// Large enough that windows after the first are read by the lenient parser.
    const MANY_WINDOWS: usize = 60_000;

    #[test]
    fn windows_read_leniently_get_the_same_report() {
        let doc = large_document_of(MANY_WINDOWS, "");
        assert!(doc.len() > 2 * crate::harvest::parallel::WINDOW_BYTES);
        checked_both_ways(&doc);
        // A backslash, or a line break in a literal, has its window read strictly.
        checked_both_ways(&large_document_of(
            MANY_WINDOWS,
            "ex:x a dcat:Dataset ; dct:title \"a \\\"quoted\\\" title\" ; \
             dct:description \"\"\"two\nlines\"\"\"@en .\n",
        ));
    }

    #[test]
    fn an_invalid_iri_or_language_tag_late_in_a_large_document_is_named_with_its_line() {
        for late in [
            "<http://exa mple.org/> a dcat:Dataset .\n",
            "ex:x dct:title \"x\"@toolongtagname .\n",
            "ex:x dct:title \"x\"^^<http://example.org/a b> .\n",
        ] {
            let doc = large_document_of(MANY_WINDOWS, late);
            let line = 1 + doc
                .lines()
                .position(|l| l == late.trim_end())
                .expect("the late line");
            assert!(
                doc.lines().take(line).map(|l| l.len() + 1).sum::<usize>()
                    > 2 * crate::harvest::parallel::WINDOW_BYTES,
                "the bad line is in a window read leniently"
            );
            let (_file, path) = turtle_file(doc.as_bytes());
            let runtime = tokio::runtime::Runtime::new().expect("runtime");
            let error = runtime
                .block_on(read_data_graph(&path, &HarvestConfig::default()))
                .expect_err("invalid RDF")
                .to_string();
            assert!(error.contains(&format!("line {line}")), "{error}");
            assert!(error.contains(&path), "{error}");
            let error = runtime
                .block_on(read_interned(&path, &HarvestConfig::default()))
                .expect_err("invalid RDF")
                .to_string();
            assert!(error.contains(&format!("line {line}")), "{error}");
        }
    }

    #[test]
    fn a_large_broken_document_is_named_with_its_line() {
        let doc = large_document("<http://example.org/a> <http://example.org/p> .\n");
        let line = 1 + doc
            .lines()
            .position(|l| l.starts_with("<http://example.org/a>"))
            .expect("the broken line");
        let (_file, path) = turtle_file(doc.as_bytes());
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let error = runtime
            .block_on(read_data_graph(&path, &HarvestConfig::default()))
            .expect_err("broken Turtle")
            .to_string();
        assert!(error.contains(&format!("line {line}")), "{error}");
    }
}
