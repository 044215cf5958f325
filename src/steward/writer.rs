//! Reports written as records finish: a [`ReportWriter`] takes each
//! record's (or each block of a document's) results in order, already
//! rendered on a worker thread ([`Rendered`]), writes them out and keeps
//! only counts, so a catalogue of any size is reported in bounded memory.
//!
//! The formats are the linter-style text of [`super::to_text`] and the
//! standard `sh:ValidationReport` in Turtle or expanded JSON-LD, the same
//! graph as [`super::to_rdf`] gives (results as nested blank nodes, so no
//! blank node labels need to be made up).

use super::{compact, explain, severity_label, term_text, RecordVerdict, SAMPLES};
use crate::validate::{PropertyPath, Severity, ValidationReport, ValidationResult};
use oxrdf::{Literal, NamedNode, Term};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

const SH: &str = "http://www.w3.org/ns/shacl#";
const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";

/// The formats of `katalog validate --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Text,
    Turtle,
    /// Expanded JSON-LD (`json` and `jsonld`).
    JsonLd,
}

impl ReportFormat {
    /// The format named by `--format`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "text" => Some(ReportFormat::Text),
            "turtle" => Some(ReportFormat::Turtle),
            "json" | "jsonld" => Some(ReportFormat::JsonLd),
            _ => None,
        }
    }
}

/// What a record, or a block of a whole-document check, adds to a report,
/// rendered where it was validated.
pub struct Rendered {
    violations: usize,
    results: usize,
    failures: Vec<String>,
    /// RDF: the results, separated; text of a record: its whole block.
    bytes: Vec<u8>,
    /// Text of a whole-document check: each result's group and line,
    /// grouped and capped by the writer.
    lines: Vec<(GroupKey, String)>,
    /// A record (counted as one) rather than a block of the document.
    record: bool,
}

/// Severity rank (violations first), then the path as written.
type GroupKey = (u8, String);

impl Rendered {
    /// One record's verdict, as its part of a report from `source`.
    pub fn record(format: ReportFormat, source: &str, verdict: &RecordVerdict) -> Self {
        let report = &verdict.report;
        let mut rendered = Rendered::counts(report, true);
        match format {
            ReportFormat::Text => {
                if !report.results.is_empty() || !report.failures.is_empty() {
                    let mut text = String::new();
                    record_text(&mut text, &record_heading(verdict, source), verdict);
                    rendered.bytes = text.into_bytes();
                }
            }
            ReportFormat::Turtle | ReportFormat::JsonLd => {
                rendered.bytes = rdf_results(format, &report.results);
            }
        }
        rendered
    }

    /// A block of a whole-document check (see
    /// [`crate::validate::ShapeSet::validate_in_blocks`]).
    pub fn document_block(format: ReportFormat, report: &ValidationReport) -> Self {
        let mut rendered = Rendered::counts(report, false);
        match format {
            ReportFormat::Text => {
                rendered.lines = report
                    .results
                    .iter()
                    .map(|result| result_line(result, None))
                    .collect();
            }
            ReportFormat::Turtle | ReportFormat::JsonLd => {
                rendered.bytes = rdf_results(format, &report.results);
            }
        }
        rendered
    }

    fn counts(report: &ValidationReport, record: bool) -> Self {
        Rendered {
            violations: report.violations(),
            results: report.results.len(),
            failures: report.failures.clone(),
            bytes: Vec::new(),
            lines: Vec::new(),
            record,
        }
    }
}

/// The totals of a written report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub records: usize,
    /// Records without results or failures.
    pub clean: usize,
    pub violations: usize,
    /// Results that are not violations.
    pub warnings: usize,
    pub failures: usize,
}

impl Summary {
    /// True when nothing is a Violation and nothing failed (warnings are allowed).
    pub fn conforms(&self) -> bool {
        self.violations == 0 && self.failures == 0
    }
}

/// A whole-document check's text, grouped as [`super::to_text`] does.
#[derive(Default)]
struct DocumentText {
    violations: usize,
    results: usize,
    groups: BTreeMap<GroupKey, (usize, Vec<String>)>,
    failures: Vec<String>,
}

/// Writes one report from `source` to `out`, record by record.
pub struct ReportWriter<W: Write> {
    out: W,
    format: ReportFormat,
    source: String,
    summary: Summary,
    /// Results written so far (RDF), for the separators.
    written: usize,
    document: Option<DocumentText>,
}

impl<W: Write> ReportWriter<W> {
    /// Starts a report (RDF formats write their opening now).
    pub fn new(mut out: W, format: ReportFormat, source: &str) -> io::Result<Self> {
        match format {
            ReportFormat::Text => {}
            ReportFormat::Turtle => {
                out.write_all(
                    b"@prefix sh: <http://www.w3.org/ns/shacl#> .\n\n[] a sh:ValidationReport",
                )?;
            }
            ReportFormat::JsonLd => {
                write!(out, "[{{\"@type\":[\"{SH}ValidationReport\"]")?;
            }
        }
        Ok(ReportWriter {
            out,
            format,
            source: source.to_string(),
            summary: Summary::default(),
            written: 0,
            document: None,
        })
    }

    pub fn format(&self) -> ReportFormat {
        self.format
    }

    /// Where the report's document came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Starts the whole-document check the blocks to come belong to: it
    /// counts as one record even when it has no focus nodes.
    pub fn begin_document(&mut self) {
        self.document.get_or_insert_with(DocumentText::default);
    }

    /// Adds a record's or a document block's part, in order.
    pub fn write(&mut self, part: Rendered) -> io::Result<()> {
        let summary = &mut self.summary;
        summary.violations += part.violations;
        summary.warnings += part.results - part.violations;
        if part.record {
            summary.records += 1;
            summary.failures += part.failures.len();
            if part.results == 0 && part.failures.is_empty() {
                summary.clean += 1;
            }
        } else {
            let document = self.document.get_or_insert_with(DocumentText::default);
            document.violations += part.violations;
            document.results += part.results;
            for failure in part.failures {
                if !document.failures.contains(&failure) {
                    document.failures.push(failure);
                }
            }
            for (key, line) in part.lines {
                let (count, samples) = document.groups.entry(key).or_default();
                *count += 1;
                if samples.len() < SAMPLES {
                    samples.push(line);
                }
            }
        }
        match self.format {
            ReportFormat::Text => self.out.write_all(&part.bytes)?,
            ReportFormat::Turtle | ReportFormat::JsonLd if part.results > 0 => {
                let separator: &[u8] = match (self.format, self.written) {
                    (ReportFormat::Turtle, 0) => b" ;\n  sh:result ",
                    (ReportFormat::Turtle, _) => b" , ",
                    (_, 0) => b",\n\"http://www.w3.org/ns/shacl#result\":[\n",
                    _ => b",\n",
                };
                self.out.write_all(separator)?;
                self.out.write_all(&part.bytes)?;
                self.written += part.results;
            }
            _ => {}
        }
        Ok(())
    }

    /// Closes the report and gives its totals.
    pub fn finish(mut self) -> io::Result<Summary> {
        if let Some(document) = self.document.take() {
            self.summary.records += 1;
            self.summary.failures += document.failures.len();
            if document.results == 0 && document.failures.is_empty() {
                self.summary.clean += 1;
            }
            if self.format == ReportFormat::Text {
                let mut text = String::new();
                document_text(&mut text, &self.source, &document);
                self.out.write_all(text.as_bytes())?;
            }
        }
        let summary = self.summary.clone();
        // sh:conforms: no result of any severity and nothing failed.
        let conforms = summary.violations + summary.warnings == 0 && summary.failures == 0;
        match self.format {
            ReportFormat::Text => {
                let total = summary.records;
                writeln!(
                    self.out,
                    "{}: {total} record{} checked, {} without remarks; {} violation{}, {} warning{}: {}",
                    self.source,
                    if total == 1 { "" } else { "s" },
                    summary.clean,
                    summary.violations,
                    if summary.violations == 1 { "" } else { "s" },
                    summary.warnings,
                    if summary.warnings == 1 { "" } else { "s" },
                    if summary.conforms() { "conforms" } else { "does NOT conform" }
                )?;
            }
            ReportFormat::Turtle => {
                writeln!(self.out, " ;\n  sh:conforms {conforms} .")?;
            }
            ReportFormat::JsonLd => {
                if self.written > 0 {
                    self.out.write_all(b"\n]")?;
                }
                writeln!(
                    self.out,
                    ",\n\"{SH}conforms\":[{{\"@value\":{conforms}}}]}}]"
                )?;
            }
        }
        self.out.flush()?;
        Ok(summary)
    }
}

/// "Dataset <iri> "title"", or "Document SOURCE" for a whole-document check.
pub(super) fn record_heading(record: &RecordVerdict, source: &str) -> String {
    match (&record.kind, &record.resource) {
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
        _ => format!("Document {source}"),
    }
}

/// A result's group and its sample line.
fn result_line(result: &ValidationResult, resource: Option<&NamedNode>) -> (GroupKey, String) {
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
    let focus = match (&result.focus_node, resource) {
        (Term::NamedNode(n), Some(r)) if n == r => String::new(),
        (focus, _) => format!(" on {}", term_text(focus)),
    };
    let value = result
        .value
        .as_ref()
        .map(|v| format!(" (value {})", term_text(v)))
        .unwrap_or_default();
    let line = format!(
        "  {:<9} {path}{focus}: {}{value}",
        severity_label(&result.severity),
        explain(result)
    );
    ((rank, path), line)
}

/// The heading line with counts, the groups with capped samples, the failures.
fn write_block<'a>(
    out: &mut String,
    what: &str,
    violations: usize,
    results: usize,
    groups: impl Iterator<Item = (&'a str, usize, &'a [String])>,
    failures: &[String],
) {
    let others = results - violations;
    let _ = writeln!(
        out,
        "{what}: {violations} violation{}, {others} warning{}",
        if violations == 1 { "" } else { "s" },
        if others == 1 { "" } else { "s" }
    );
    for (path, count, samples) in groups {
        for line in samples {
            let _ = writeln!(out, "{line}");
        }
        if count > samples.len() {
            let _ = writeln!(
                out,
                "            … and {} more on {path}",
                count - samples.len()
            );
        }
    }
    for failure in failures {
        let _ = writeln!(out, "  Failure   {failure}");
    }
}

fn record_text(out: &mut String, what: &str, record: &RecordVerdict) {
    let report = &record.report;
    let mut groups: BTreeMap<GroupKey, (usize, Vec<String>)> = BTreeMap::new();
    for result in &report.results {
        let (key, line) = result_line(result, record.resource.as_ref());
        let (count, samples) = groups.entry(key).or_default();
        *count += 1;
        if samples.len() < SAMPLES {
            samples.push(line);
        }
    }
    write_block(
        out,
        what,
        report.violations(),
        report.results.len(),
        groups
            .iter()
            .map(|((_, path), (count, samples))| (path.as_str(), *count, samples.as_slice())),
        &report.failures,
    );
}

fn document_text(out: &mut String, source: &str, document: &DocumentText) {
    if document.results == 0 && document.failures.is_empty() {
        return;
    }
    write_block(
        out,
        &format!("Document {source}"),
        document.violations,
        document.results,
        document
            .groups
            .iter()
            .map(|((_, path), (count, samples))| (path.as_str(), *count, samples.as_slice())),
        &document.failures,
    );
}

/// The results as Turtle blank-node property lists separated by " , ", or
/// as JSON-LD node objects separated by ",\n".
fn rdf_results(format: ReportFormat, results: &[ValidationResult]) -> Vec<u8> {
    let mut out = String::with_capacity(results.len() * 512);
    for (i, result) in results.iter().enumerate() {
        match format {
            ReportFormat::JsonLd => {
                if i > 0 {
                    out.push_str(",\n");
                }
                json_result(&mut out, result);
            }
            _ => {
                if i > 0 {
                    out.push_str(" , ");
                }
                turtle_result(&mut out, result);
            }
        }
    }
    out.into_bytes()
}

/// A term of the shacl vocabulary as `sh:Local`, any other IRI in full.
fn turtle_iri(out: &mut String, iri: &str) {
    match iri.strip_prefix(SH) {
        Some(local) if !local.is_empty() && local.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            out.push_str("sh:");
            out.push_str(local);
        }
        _ => {
            let _ = write!(out, "{}", oxrdf::NamedNodeRef::new_unchecked(iri));
        }
    }
}

fn turtle_term(out: &mut String, term: &Term) {
    match term {
        Term::NamedNode(n) => turtle_iri(out, n.as_str()),
        // N-Triples syntax, which Turtle reads alike.
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

fn turtle_path(out: &mut String, path: &PropertyPath) {
    let keyed = |out: &mut String, local: &str, inner: &PropertyPath| {
        out.push_str("[ sh:");
        out.push_str(local);
        out.push(' ');
        turtle_path(out, inner);
        out.push_str(" ]");
    };
    let list = |out: &mut String, members: &[PropertyPath]| {
        out.push('(');
        for member in members {
            out.push(' ');
            turtle_path(out, member);
        }
        out.push_str(" )");
    };
    match path {
        PropertyPath::Predicate(p) => turtle_iri(out, p.as_str()),
        PropertyPath::Inverse(inner) => keyed(out, "inversePath", inner),
        PropertyPath::ZeroOrMore(inner) => keyed(out, "zeroOrMorePath", inner),
        PropertyPath::OneOrMore(inner) => keyed(out, "oneOrMorePath", inner),
        PropertyPath::ZeroOrOne(inner) => keyed(out, "zeroOrOnePath", inner),
        PropertyPath::Sequence(members) => list(out, members),
        PropertyPath::Alternative(members) => {
            out.push_str("[ sh:alternativePath ");
            list(out, members);
            out.push_str(" ]");
        }
    }
}

fn turtle_result(out: &mut String, result: &ValidationResult) {
    out.push_str("[\n    a sh:ValidationResult ;\n    sh:focusNode ");
    turtle_term(out, &result.focus_node);
    out.push_str(" ;\n    sh:resultSeverity ");
    turtle_iri(out, result.severity.iri().as_str());
    out.push_str(" ;\n    sh:sourceShape ");
    turtle_term(out, &result.source_shape);
    out.push_str(" ;\n    sh:sourceConstraintComponent ");
    turtle_iri(out, result.source_constraint_component.as_str());
    if let Some(path) = &result.path {
        out.push_str(" ;\n    sh:resultPath ");
        turtle_path(out, path);
    }
    if let Some(value) = &result.value {
        out.push_str(" ;\n    sh:value ");
        turtle_term(out, value);
    }
    if let Some(constraint) = &result.source_constraint {
        out.push_str(" ;\n    sh:sourceConstraint ");
        turtle_term(out, constraint);
    }
    for message in &result.messages {
        out.push_str(" ;\n    sh:resultMessage ");
        let _ = write!(out, "{message}");
    }
    out.push_str("\n  ]");
}

fn json_string(out: &mut String, text: &str) {
    // Writing a &str into JSON cannot fail.
    if let Ok(quoted) = serde_json::to_string(text) {
        out.push_str(&quoted);
    }
}

fn json_id(out: &mut String, id: &str) {
    out.push_str("{\"@id\":");
    json_string(out, id);
    out.push('}');
}

fn json_term(out: &mut String, term: &Term) {
    match term {
        Term::NamedNode(n) => json_id(out, n.as_str()),
        Term::BlankNode(b) => json_id(out, &format!("_:{}", b.as_str())),
        Term::Literal(l) => json_literal(out, l),
    }
}

fn json_literal(out: &mut String, literal: &Literal) {
    out.push_str("{\"@value\":");
    json_string(out, literal.value());
    if let Some(language) = literal.language() {
        out.push_str(",\"@language\":");
        json_string(out, language);
    } else if literal.datatype().as_str() != XSD_STRING {
        out.push_str(",\"@type\":");
        json_string(out, literal.datatype().as_str());
    }
    out.push('}');
}

fn json_path(out: &mut String, path: &PropertyPath) {
    let keyed = |out: &mut String, local: &str, inner: &PropertyPath| {
        let _ = write!(out, "{{\"{SH}{local}\":[");
        json_path(out, inner);
        out.push_str("]}");
    };
    let list = |out: &mut String, members: &[PropertyPath]| {
        out.push_str("{\"@list\":[");
        for (i, member) in members.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_path(out, member);
        }
        out.push_str("]}");
    };
    match path {
        PropertyPath::Predicate(p) => json_id(out, p.as_str()),
        PropertyPath::Inverse(inner) => keyed(out, "inversePath", inner),
        PropertyPath::ZeroOrMore(inner) => keyed(out, "zeroOrMorePath", inner),
        PropertyPath::OneOrMore(inner) => keyed(out, "oneOrMorePath", inner),
        PropertyPath::ZeroOrOne(inner) => keyed(out, "zeroOrOnePath", inner),
        PropertyPath::Sequence(members) => list(out, members),
        PropertyPath::Alternative(members) => {
            let _ = write!(out, "{{\"{SH}alternativePath\":[");
            list(out, members);
            out.push_str("]}");
        }
    }
}

fn json_result(out: &mut String, result: &ValidationResult) {
    let _ = write!(out, "{{\"@type\":[\"{SH}ValidationResult\"]");
    let key = |out: &mut String, local: &str| {
        let _ = write!(out, ",\"{SH}{local}\":[");
    };
    key(out, "focusNode");
    json_term(out, &result.focus_node);
    out.push(']');
    key(out, "resultSeverity");
    json_id(out, result.severity.iri().as_str());
    out.push(']');
    key(out, "sourceShape");
    json_term(out, &result.source_shape);
    out.push(']');
    key(out, "sourceConstraintComponent");
    json_id(out, result.source_constraint_component.as_str());
    out.push(']');
    if let Some(path) = &result.path {
        key(out, "resultPath");
        json_path(out, path);
        out.push(']');
    }
    if let Some(value) = &result.value {
        key(out, "value");
        json_term(out, value);
        out.push(']');
    }
    if let Some(constraint) = &result.source_constraint {
        key(out, "sourceConstraint");
        json_term(out, constraint);
        out.push(']');
    }
    if !result.messages.is_empty() {
        key(out, "resultMessage");
        for (i, message) in result.messages.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_literal(out, message);
        }
        out.push(']');
    }
    out.push('}');
}
