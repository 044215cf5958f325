//! The minimal server-rendered HTML of a record page, for browsers that
//! dereference a record. Kept in this one module so that the researcher UI's
//! templates can replace it.

use super::export::record_page_iri;
use super::negotiate::Syntax;
use crate::ns;
use crate::store::published::{PublicState, RecordEntry};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Term, Triple};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

/// Readable labels of the properties DCAT-AP and HealthDCAT-AP records use most.
const LABELS: [(&str, &str); 40] = [
    (ns::RDF_TYPE, "Type"),
    ("http://purl.org/dc/terms/title", "Title"),
    ("http://purl.org/dc/terms/description", "Description"),
    ("http://purl.org/dc/terms/identifier", "Identifier"),
    ("http://purl.org/dc/terms/issued", "Issued"),
    ("http://purl.org/dc/terms/modified", "Modified"),
    ("http://purl.org/dc/terms/publisher", "Publisher"),
    ("http://purl.org/dc/terms/creator", "Creator"),
    ("http://purl.org/dc/terms/spatial", "Spatial coverage"),
    ("http://purl.org/dc/terms/temporal", "Temporal coverage"),
    ("http://purl.org/dc/terms/accessRights", "Access rights"),
    ("http://purl.org/dc/terms/license", "Licence"),
    ("http://purl.org/dc/terms/language", "Language"),
    ("http://purl.org/dc/terms/format", "Format"),
    ("http://purl.org/dc/terms/conformsTo", "Conforms to"),
    ("http://purl.org/dc/terms/provenance", "Provenance"),
    ("http://purl.org/dc/terms/hasPart", "Has part"),
    ("http://purl.org/dc/terms/isPartOf", "Part of"),
    ("http://purl.org/dc/terms/accrualPeriodicity", "Frequency"),
    ("http://www.w3.org/ns/dcat#keyword", "Keyword"),
    ("http://www.w3.org/ns/dcat#theme", "Theme"),
    ("http://www.w3.org/ns/dcat#contactPoint", "Contact point"),
    ("http://www.w3.org/ns/dcat#distribution", "Distribution"),
    ("http://www.w3.org/ns/dcat#dataset", "Dataset"),
    ("http://www.w3.org/ns/dcat#landingPage", "Landing page"),
    ("http://www.w3.org/ns/dcat#accessURL", "Access URL"),
    ("http://www.w3.org/ns/dcat#downloadURL", "Download URL"),
    ("http://www.w3.org/ns/dcat#mediaType", "Media type"),
    ("http://www.w3.org/ns/dcat#startDate", "Start"),
    ("http://www.w3.org/ns/dcat#endDate", "End"),
    ("http://www.w3.org/ns/dcat#inSeries", "In series"),
    ("http://www.w3.org/ns/dcat#accessService", "Access service"),
    ("http://www.w3.org/ns/dcat#endpointURL", "Endpoint URL"),
    ("http://xmlns.com/foaf/0.1/name", "Name"),
    ("http://xmlns.com/foaf/0.1/homepage", "Home page"),
    ("http://xmlns.com/foaf/0.1/primaryTopic", "Describes"),
    ("http://www.w3.org/2006/vcard/ns#fn", "Name"),
    ("http://www.w3.org/2006/vcard/ns#hasEmail", "E-mail"),
    ("http://www.w3.org/ns/adms#status", "Status"),
    ("http://www.w3.org/2000/01/rdf-schema#label", "Label"),
];

/// A property's label: from the table, else its local name in words
/// (`numberOfRecords` → "Number of records").
pub fn label(iri: &str) -> String {
    if let Some((_, label)) = LABELS.iter().find(|(p, _)| *p == iri) {
        return (*label).to_string();
    }
    let local = iri
        .rsplit(['#', '/'])
        .find(|part| !part.is_empty())
        .unwrap_or(iri);
    let mut words = String::new();
    for (i, c) in local.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            words.push(' ');
            words.extend(c.to_lowercase());
        } else if i == 0 {
            words.extend(c.to_uppercase());
        } else {
            words.push(c);
        }
    }
    words
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn link(iri: &str, text: &str) -> String {
    let safe = iri.starts_with("http://") || iri.starts_with("https://") || iri.starts_with('/');
    if safe {
        format!("<a href=\"{}\">{}</a>", escape(iri), escape(text))
    } else {
        escape(text)
    }
}

type BySubject<'a> = BTreeMap<String, Vec<&'a Triple>>;

fn subject_key(subject: &NamedOrBlankNode) -> String {
    subject.to_string()
}

fn render_object(
    out: &mut String,
    object: &Term,
    by_subject: &BySubject<'_>,
    seen: &mut HashSet<String>,
    depth: usize,
) {
    match object {
        Term::Literal(literal) => {
            out.push_str(&escape(literal.value()));
            if let Some(language) = literal.language() {
                let _ = write!(out, " <small lang=\"en\">({})</small>", escape(language));
            }
        }
        Term::NamedNode(node) => {
            let key = format!("<{}>", node.as_str());
            if depth < 4 && by_subject.contains_key(&key) && seen.insert(key.clone()) {
                out.push_str(&link(node.as_str(), node.as_str()));
                render_properties(out, &by_subject[&key], by_subject, seen, depth + 1);
            } else {
                out.push_str(&link(node.as_str(), &label_of_value(node)));
            }
        }
        Term::BlankNode(node) => {
            let key = format!("_:{}", node.as_str());
            match by_subject.get(&key) {
                Some(triples) if depth < 4 && seen.insert(key.clone()) => {
                    render_properties(out, triples, by_subject, seen, depth + 1)
                }
                _ => out.push('…'),
            }
        }
        #[allow(unreachable_patterns)]
        _ => out.push_str(&escape(&object.to_string())),
    }
}

/// How an IRI value reads: vocabulary terms by their local name, others whole.
fn label_of_value(node: &NamedNode) -> String {
    let iri = node.as_str();
    if iri.starts_with("http://www.w3.org/") || iri.starts_with("http://purl.org/") {
        label(iri)
    } else {
        iri.to_string()
    }
}

fn render_properties(
    out: &mut String,
    triples: &[&Triple],
    by_subject: &BySubject<'_>,
    seen: &mut HashSet<String>,
    depth: usize,
) {
    let mut by_predicate: BTreeMap<(usize, String), Vec<&Term>> = BTreeMap::new();
    for triple in triples {
        let iri = triple.predicate.as_str();
        let rank = LABELS
            .iter()
            .position(|(p, _)| *p == iri)
            .unwrap_or(LABELS.len());
        by_predicate
            .entry((rank, iri.to_string()))
            .or_default()
            .push(&triple.object);
    }
    out.push_str("<dl>\n");
    for ((_, predicate), objects) in by_predicate {
        let _ = writeln!(
            out,
            "<dt title=\"{}\">{}</dt>",
            escape(&predicate),
            escape(&label(&predicate))
        );
        for object in objects {
            out.push_str("<dd>");
            render_object(out, object, by_subject, seen, depth);
            out.push_str("</dd>\n");
        }
    }
    out.push_str("</dl>\n");
}

/// The page of one record: its title, its properties with labels (nested
/// descriptions inline), its catalogue record, and links to its RDF.
pub fn record_page(
    base: &str,
    entry: &RecordEntry,
    resource: &NamedNode,
    triples: &[Triple],
) -> String {
    let mut by_subject: BySubject<'_> = BTreeMap::new();
    for triple in triples {
        by_subject
            .entry(subject_key(&triple.subject))
            .or_default()
            .push(triple);
    }
    let key = format!("<{}>", resource.as_str());
    let title = by_subject
        .get(&key)
        .and_then(|ts| {
            let titles: Vec<&oxigraph::model::Literal> = ts
                .iter()
                .filter(|t| t.predicate.as_str() == ns::DCT_TITLE)
                .filter_map(|t| match &t.object {
                    Term::Literal(l) => Some(l),
                    _ => None,
                })
                .collect();
            titles
                .iter()
                .find(|l| l.language() == Some("en"))
                .or(titles.first())
                .map(|l| l.value().to_string())
        })
        .unwrap_or_else(|| resource.as_str().to_string());
    let page = record_page_iri(base, &entry.id);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} – katalog</title>\n<link rel=\"canonical\" href=\"{page}\">\n",
        title = escape(&title),
        page = escape(page.as_str())
    );
    for syntax in Syntax::ALL {
        let _ = writeln!(
            out,
            "<link rel=\"alternate\" type=\"{}\" href=\"{}.{}\">",
            syntax.media_type(),
            escape(page.as_str()),
            syntax.extension()
        );
    }
    let _ = write!(
        out,
        "<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;color:#111;background:#fff}}\
         dt{{font-weight:bold;margin-top:.5rem}}dd{{margin-left:1.5rem}}dl dl{{border-left:2px solid #ccc;padding-left:.75rem}}\
         a{{color:#0645ad}}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n<p>{}</p>\n",
        escape(&title),
        link(resource.as_str(), resource.as_str())
    );
    if entry.state == PublicState::Deleted {
        let when = entry
            .deleted_at
            .as_ref()
            .map(|l| l.value().to_string())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<p role=\"status\"><strong>This record was deleted at its source on {}.</strong></p>",
            escape(&when)
        );
    }
    let mut seen = HashSet::from([key.clone()]);
    if let Some(own) = by_subject.get(&key) {
        out.push_str(
            "<section aria-labelledby=\"properties\">\n<h2 id=\"properties\">Properties</h2>\n",
        );
        render_properties(&mut out, own, &by_subject, &mut seen, 0);
        out.push_str("</section>\n");
    }
    out.push_str(
        "<section aria-labelledby=\"record\">\n<h2 id=\"record\">Catalogue record</h2>\n<dl>\n",
    );
    for (name, value) in [
        ("Source", entry.source.clone()),
        ("Country", entry.country.clone()),
        (
            "First harvested",
            entry.issued.as_ref().map(|l| l.value().to_string()),
        ),
        (
            "Last changed",
            entry.modified.as_ref().map(|l| l.value().to_string()),
        ),
    ] {
        if let Some(value) = value {
            let _ = writeln!(out, "<dt>{name}</dt><dd>{}</dd>", escape(&value));
        }
    }
    out.push_str(
        "</dl>\n</section>\n<section aria-labelledby=\"rdf\">\n<h2 id=\"rdf\">RDF</h2>\n<ul>\n",
    );
    for (syntax, name) in Syntax::ALL
        .iter()
        .zip(["Turtle", "RDF/XML", "JSON-LD", "N-Triples"])
    {
        let _ = writeln!(
            out,
            "<li><a href=\"{}.{}\" type=\"{}\">{name}</a></li>",
            escape(page.as_str()),
            syntax.extension(),
            syntax.media_type()
        );
    }
    out.push_str("</ul>\n</section>\n</main>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_escaping() {
        assert_eq!(label("http://purl.org/dc/terms/title"), "Title");
        assert_eq!(
            label("http://healthdataportal.eu/ns/health#numberOfRecords"),
            "Number of records"
        );
        assert_eq!(
            escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
        assert_eq!(link("javascript:alert(1)", "x"), "x");
    }
}
