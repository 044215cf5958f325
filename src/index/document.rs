//! From a record's triples to what search keeps of it: a [`RecordSummary`]
//! (stored, shown in hits) and the indexed document (text per language,
//! labels of linked concepts, expanded disease codes, numbers, facets).

use super::analysis::{language_slot, ANY};
use super::codes::{chapter_iri, chapter_title, country_iri, country_key, DiseaseCode};
use super::schema::Fields;
use super::vocab::Vocabulary;
use oxrdf::{NamedOrBlankNode, Term, Triple};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use tantivy::schema::Facet;
use tantivy::TantivyDocument;

const DCT: &str = "http://purl.org/dc/terms/";
const DCAT: &str = "http://www.w3.org/ns/dcat#";
const FOAF_NAME: &str = "http://xmlns.com/foaf/0.1/name";
const VCARD_FN: &str = "http://www.w3.org/2006/vcard/ns#fn";
const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
const SKOS_PREF_LABEL: &str = "http://www.w3.org/2004/02/skos/core#prefLabel";

/// Scheme of each concept facet: facet values are the code after this prefix
/// (or the whole IRI for concepts outside it).
pub const THEME_SCHEME: &str = "http://publications.europa.eu/resource/authority/data-theme/";
pub const HEALTH_CATEGORY_SCHEME: &str =
    "https://hdeu-dcat.data.health.europa.eu/resource/authority/healthcategories/";
pub const HEALTH_THEME_SCHEME: &str =
    "https://hdeu-dcat.data.health.europa.eu/resource/authority/health-theme/";
pub const ACCESS_SCHEME: &str = "http://publications.europa.eu/resource/authority/access-right/";
pub const FORMAT_SCHEME: &str = "http://publications.europa.eu/resource/authority/file-type/";
pub const LICENCE_SCHEME: &str = "http://publications.europa.eu/resource/authority/licence/";

/// The facet value of a concept IRI in a scheme.
pub fn concept_key(scheme: &str, iri: &str) -> String {
    match iri.strip_prefix(scheme) {
        Some(code) if !code.is_empty() && !code.contains('/') => code.to_string(),
        _ => iri.to_string(),
    }
}

/// The concept IRI of a facet value in a scheme.
pub fn concept_iri(scheme: &str, key: &str) -> String {
    if key.contains(':') {
        key.to_string()
    } else {
        format!("{scheme}{key}")
    }
}

/// A text in a language ("" when untagged).
pub type LangText = (String, String);

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PublisherSummary {
    pub iri: String,
    pub names: Vec<LangText>,
}

/// What search keeps of a record, stored with it and shown in hits.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RecordSummary {
    pub id: String,
    pub iri: String,
    pub kind: String,
    pub source: String,
    pub countries: Vec<String>,
    pub identifiers: Vec<String>,
    pub titles: Vec<LangText>,
    pub descriptions: Vec<LangText>,
    pub keywords: Vec<LangText>,
    pub population: Vec<LangText>,
    pub publisher: Option<PublisherSummary>,
    pub themes: Vec<String>,
    pub health_categories: Vec<String>,
    pub health_themes: Vec<String>,
    pub access: Vec<String>,
    pub formats: Vec<String>,
    pub licences: Vec<String>,
    /// Other linked concepts whose labels are indexed (spatial, coding systems, type, ...).
    pub concepts: Vec<String>,
    /// Disease codes as written after normalisation: `E11.9`, `ORPHA:558`.
    pub diseases: Vec<String>,
    pub min_age: Option<u64>,
    pub max_age: Option<u64>,
    pub individuals: Option<u64>,
    pub records: Option<u64>,
    pub temporal_start: Option<String>,
    pub temporal_end: Option<String>,
    pub issued: Option<String>,
    pub modified: Option<String>,
    pub profile: Option<String>,
}

/// Where a record comes from, as the store and configuration say.
#[derive(Debug, Clone)]
pub struct RecordOrigin<'a> {
    pub id: &'a str,
    pub source: &'a str,
    pub country: &'a str,
    pub profile: Option<&'a str>,
    pub kind: &'a str,
}

fn local<'a>(predicate: &'a str, namespace: &str) -> Option<&'a str> {
    predicate.strip_prefix(namespace)
}

/// The HealthDCAT-AP property name of a predicate, in either namespace it is published under.
fn health_local(predicate: &str) -> Option<&str> {
    predicate
        .strip_prefix("http://healthdataportal.eu/ns/health#")
        .or_else(|| predicate.strip_prefix("https://w3id.org/healthdcat-ap#"))
        .or_else(|| predicate.strip_prefix("http://data.europa.eu/r5r/health#"))
}

fn lang_text(term: &Term) -> Option<LangText> {
    match term {
        Term::Literal(l) => {
            let value = l.value().trim();
            (!value.is_empty()).then(|| {
                (
                    l.language().unwrap_or("").to_ascii_lowercase(),
                    value.to_string(),
                )
            })
        }
        _ => None,
    }
}

fn iri_of(term: &Term) -> Option<String> {
    match term {
        Term::NamedNode(n) => Some(n.as_str().to_string()),
        _ => None,
    }
}

fn number(term: &Term) -> Option<u64> {
    match term {
        Term::Literal(l) => l.value().trim().parse().ok(),
        _ => None,
    }
}

/// An ISO date (`YYYY-MM-DD`) from a date, dateTime, gYearMonth or gYear.
fn iso_date(term: &Term) -> Option<String> {
    let Term::Literal(l) = term else { return None };
    let value = l.value().trim();
    let parse = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let date = if value.len() >= 10 {
        value.get(..10).and_then(parse)
    } else if value.len() == 7 {
        parse(&format!("{value}-01"))
    } else if value.len() == 4 {
        parse(&format!("{value}-01-01"))
    } else {
        None
    };
    date.map(|d| d.format("%Y-%m-%d").to_string())
}

/// Days since 1970-01-01 of an ISO date.
pub fn epoch_days(date: &str) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    Some((date - epoch).num_days())
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// Reads a record's triples into its summary.
pub fn summarise(origin: &RecordOrigin<'_>, resource: &str, triples: &[Triple]) -> RecordSummary {
    let mut by_subject: HashMap<&NamedOrBlankNode, Vec<&Triple>> = HashMap::new();
    for triple in triples {
        by_subject.entry(&triple.subject).or_default().push(triple);
    }
    let subject_of = |term: &Term| -> Option<NamedOrBlankNode> {
        match term {
            Term::NamedNode(n) => Some(NamedOrBlankNode::NamedNode(n.clone())),
            Term::BlankNode(b) => Some(NamedOrBlankNode::BlankNode(b.clone())),
            _ => None,
        }
    };
    let about = |node: &NamedOrBlankNode| by_subject.get(node).cloned().unwrap_or_default();

    let mut s = RecordSummary {
        id: origin.id.to_string(),
        iri: resource.to_string(),
        kind: origin.kind.to_string(),
        source: origin.source.to_string(),
        profile: origin.profile.map(str::to_string),
        ..Default::default()
    };
    if let Some(country) = country_key(origin.country) {
        s.countries.push(country);
    }
    let mut diseases: BTreeSet<DiseaseCode> = BTreeSet::new();
    let mut distributions = Vec::new();
    let root = NamedOrBlankNode::NamedNode(oxrdf::NamedNode::new_unchecked(resource));
    for triple in about(&root) {
        let p = triple.predicate.as_str();
        let o = &triple.object;
        if let Some(name) = local(p, DCT) {
            match name {
                "title" => s.titles.extend(lang_text(o)),
                "description" => s.descriptions.extend(lang_text(o)),
                "identifier" => {
                    if let Some((_, id)) = lang_text(o) {
                        push_unique(&mut s.identifiers, id)
                    }
                }
                "publisher" => {
                    if let Some(iri) = iri_of(o) {
                        let mut names = Vec::new();
                        if let Some(node) = subject_of(o) {
                            for t in about(&node) {
                                if matches!(
                                    t.predicate.as_str(),
                                    FOAF_NAME | VCARD_FN | SKOS_PREF_LABEL | RDFS_LABEL
                                ) {
                                    names.extend(lang_text(&t.object));
                                }
                            }
                        }
                        s.publisher = Some(PublisherSummary { iri, names });
                    }
                }
                "spatial" => {
                    if let Some(iri) = iri_of(o) {
                        if iri.contains("/authority/country/") {
                            if let Some(country) = country_key(&iri) {
                                push_unique(&mut s.countries, country);
                            }
                        }
                        push_unique(&mut s.concepts, iri);
                    }
                }
                "accessRights" => s.access.extend(iri_of(o)),
                "license" => {
                    if let Some(iri) = iri_of(o) {
                        push_unique(&mut s.licences, iri)
                    }
                }
                "type" | "conformsTo" | "accrualPeriodicity" => s.concepts.extend(iri_of(o)),
                "subject" => match o {
                    Term::NamedNode(n) => match DiseaseCode::from_iri(n.as_str()) {
                        Some(code) => {
                            diseases.insert(code);
                        }
                        None => push_unique(&mut s.concepts, n.as_str().to_string()),
                    },
                    Term::Literal(l) => {
                        diseases.extend(DiseaseCode::from_literal(l.value(), false))
                    }
                    _ => {}
                },
                "temporal" => {
                    if let Some(node) = subject_of(o) {
                        for t in about(&node) {
                            match t.predicate.as_str() {
                                "http://www.w3.org/ns/dcat#startDate"
                                | "http://schema.org/startDate" => {
                                    s.temporal_start =
                                        iso_date(&t.object).or(s.temporal_start.take())
                                }
                                "http://www.w3.org/ns/dcat#endDate"
                                | "http://schema.org/endDate" => {
                                    s.temporal_end = iso_date(&t.object).or(s.temporal_end.take())
                                }
                                _ => {}
                            }
                        }
                    }
                }
                "issued" => s.issued = iso_date(o),
                "modified" => s.modified = iso_date(o),
                _ => {}
            }
        } else if let Some(name) = local(p, DCAT) {
            match name {
                "keyword" => s.keywords.extend(lang_text(o)),
                "theme" => {
                    if let Term::NamedNode(n) = o {
                        match DiseaseCode::from_iri(n.as_str()) {
                            Some(code) => {
                                diseases.insert(code);
                            }
                            None => push_unique(&mut s.themes, n.as_str().to_string()),
                        }
                    }
                }
                "distribution" => distributions.extend(subject_of(o)),
                _ => {}
            }
        } else if let Some(name) = health_local(p) {
            match name {
                "healthCategory" => s.health_categories.extend(iri_of(o)),
                "healthTheme" => s.health_themes.extend(iri_of(o)),
                "hasCodingSystem" => s.concepts.extend(iri_of(o)),
                "hasCodeValues" | "hasCodeValue" | "disease" => match o {
                    Term::NamedNode(n) => diseases.extend(DiseaseCode::from_iri(n.as_str())),
                    Term::Literal(l) => {
                        diseases.extend(DiseaseCode::from_literal(l.value(), false))
                    }
                    _ => {}
                },
                "populationCoverage" => s.population.extend(lang_text(o)),
                "minTypicalAge" => s.min_age = number(o),
                "maxTypicalAge" => s.max_age = number(o),
                "numberOfUniqueIndividuals" => s.individuals = number(o),
                "numberOfRecords" => s.records = number(o),
                _ => {}
            }
        }
    }
    for distribution in &distributions {
        for t in about(distribution) {
            match t.predicate.as_str() {
                "http://purl.org/dc/terms/format" => {
                    if let Some(iri) = iri_of(&t.object) {
                        push_unique(&mut s.formats, iri)
                    }
                }
                "http://purl.org/dc/terms/license" => {
                    if let Some(iri) = iri_of(&t.object) {
                        push_unique(&mut s.licences, iri)
                    }
                }
                _ => {}
            }
        }
    }
    s.diseases = diseases.iter().map(DiseaseCode::display).collect();
    s.identifiers.sort();
    s
}

/// Appends a text to a language slot's field, and an unstemmed copy to the
/// neutral one.
fn add_text(doc: &mut TantivyDocument, fields: &[tantivy::schema::Field], lang: &str, text: &str) {
    let slot = language_slot(lang);
    doc.add_text(fields[slot], text);
    if slot != ANY {
        doc.add_text(fields[ANY], text);
    }
}

fn facet(dimension: &str, value: &str) -> Facet {
    Facet::from_path([dimension, value])
}

/// Builds the document the index holds for a record.
pub fn build_document(
    summary: &RecordSummary,
    hash: &str,
    fields: &Fields,
    vocab: &Vocabulary,
) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, &summary.id);
    doc.add_text(fields.source, &summary.source);
    doc.add_text(fields.hash, hash);
    doc.add_text(fields.kind, &summary.kind);
    doc.add_text(
        fields.display,
        serde_json::to_string(summary).unwrap_or_default(),
    );
    doc.add_text(fields.identifier, summary.iri.to_lowercase());
    for id in &summary.identifiers {
        doc.add_text(fields.identifier, id.to_lowercase());
        doc.add_text(fields.title[ANY], id);
    }
    for (lang, text) in summary.titles.iter().chain(&summary.keywords) {
        add_text(&mut doc, &fields.title, lang, text);
    }
    for (lang, text) in summary.descriptions.iter().chain(&summary.population) {
        add_text(&mut doc, &fields.text, lang, text);
    }
    let sort_title = super::query::pick(&summary.titles, "en").unwrap_or("");
    doc.add_text(fields.sort_title, sort_title.to_lowercase());

    for country in &summary.countries {
        doc.add_facet(fields.facets, facet("country", country));
        for (lang, label) in vocab.labels(&country_iri(country)) {
            add_text(&mut doc, &fields.text, lang, label);
        }
    }
    if let Some(publisher) = &summary.publisher {
        doc.add_facet(fields.facets, facet("publisher", &publisher.iri));
        for (lang, name) in &publisher.names {
            add_text(&mut doc, &fields.text, lang, name);
        }
    }
    let concept_facets: [(&str, &str, &Vec<String>); 6] = [
        ("theme", THEME_SCHEME, &summary.themes),
        (
            "health_category",
            HEALTH_CATEGORY_SCHEME,
            &summary.health_categories,
        ),
        ("health_theme", HEALTH_THEME_SCHEME, &summary.health_themes),
        ("access", ACCESS_SCHEME, &summary.access),
        ("format", FORMAT_SCHEME, &summary.formats),
        ("licence", LICENCE_SCHEME, &summary.licences),
    ];
    for (dimension, scheme, iris) in concept_facets {
        for iri in iris {
            doc.add_facet(fields.facets, facet(dimension, &concept_key(scheme, iri)));
            for (lang, label) in vocab.labels(iri) {
                add_text(&mut doc, &fields.text, lang, label);
            }
        }
    }
    for iri in &summary.concepts {
        for (lang, label) in vocab.labels(iri) {
            add_text(&mut doc, &fields.text, lang, label);
        }
    }
    if let Some(profile) = &summary.profile {
        doc.add_facet(fields.facets, facet("profile", profile));
    }

    let mut codes = BTreeSet::new();
    let mut concepts = BTreeSet::new();
    let mut chapters = BTreeSet::new();
    for written in &summary.diseases {
        let Some(code) = DiseaseCode::from_literal(written, true) else {
            continue;
        };
        let expansion = vocab.expand_disease(&code);
        codes.extend(expansion.codes);
        concepts.extend(expansion.concepts);
        chapters.extend(expansion.chapters);
        doc.add_text(fields.title[ANY], written);
        // The codes as the publisher wrote them (normalised), so a researcher
        // can narrow by one disease; the value is a valid `disease` filter.
        doc.add_facet(fields.facets, facet("disease", &code.display()));
    }
    for code in &codes {
        doc.add_text(fields.disease, code);
    }
    for chapter in &chapters {
        doc.add_facet(fields.facets, facet("disease_chapter", chapter));
        let iri = chapter_iri(chapter);
        if vocab.get(&iri).is_none() {
            if let Some(title) = chapter_title(chapter) {
                add_text(&mut doc, &fields.text, "en", title);
            }
        }
        concepts.insert(iri);
    }
    for iri in &concepts {
        for (lang, label) in vocab.labels(iri) {
            add_text(&mut doc, &fields.text, lang, label);
        }
    }

    // Ages: an open end of a range is unbounded, so range overlap still works.
    if summary.min_age.is_some() || summary.max_age.is_some() {
        doc.add_u64(fields.min_age, summary.min_age.unwrap_or(0));
        doc.add_u64(
            fields.max_age,
            summary.max_age.unwrap_or(u64::from(u32::MAX)),
        );
    }
    if let Some(n) = summary.individuals {
        doc.add_u64(fields.individuals, n);
    }
    if let Some(n) = summary.records {
        doc.add_u64(fields.records, n);
    }
    let start = summary.temporal_start.as_deref().and_then(epoch_days);
    let end = summary.temporal_end.as_deref().and_then(epoch_days);
    if start.is_some() || end.is_some() {
        doc.add_i64(fields.temporal_start, start.unwrap_or(i64::MIN / 2));
        doc.add_i64(fields.temporal_end, end.unwrap_or(i64::MAX / 2));
    }
    if let Some(days) = summary
        .modified
        .as_deref()
        .or(summary.issued.as_deref())
        .and_then(epoch_days)
    {
        doc.add_i64(fields.modified, days);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::{BlankNode, Literal, NamedNode};

    fn n(iri: &str) -> NamedNode {
        NamedNode::new_unchecked(iri)
    }

    #[test]
    fn summary_reads_health_fields_codes_and_distributions() {
        let d = n("https://x.example/d");
        let publisher = n("https://x.example/agent");
        let dist = BlankNode::default();
        let period = BlankNode::default();
        let h = "http://healthdataportal.eu/ns/health#";
        let triples = vec![
            Triple::new(
                d.clone(),
                n(&format!("{DCT}title")),
                Literal::new_language_tagged_literal_unchecked("Diabetesregisteret", "nb"),
            ),
            Triple::new(
                d.clone(),
                n(&format!("{DCT}title")),
                Literal::new_simple_literal("Untagged title"),
            ),
            Triple::new(d.clone(), n(&format!("{DCT}publisher")), publisher.clone()),
            Triple::new(
                publisher.clone(),
                n(FOAF_NAME),
                Literal::new_language_tagged_literal_unchecked("Helse Bergen", "nn"),
            ),
            Triple::new(
                d.clone(),
                n(&format!("{h}hasCodeValues")),
                Literal::new_simple_literal("E11.9"),
            ),
            Triple::new(
                d.clone(),
                n(&format!("{h}hasCodeValues")),
                n("http://www.orpha.net/ORDO/Orphanet_558"),
            ),
            Triple::new(
                d.clone(),
                n(&format!("{h}hasCodeValues")),
                Literal::new_simple_literal("A10BA02"),
            ),
            Triple::new(
                d.clone(),
                n(&format!("{h}minTypicalAge")),
                Literal::new_simple_literal("-1"),
            ),
            Triple::new(
                d.clone(),
                n(&format!("{h}maxTypicalAge")),
                Literal::new_simple_literal("17"),
            ),
            Triple::new(
                d.clone(),
                n(&format!("{DCT}spatial")),
                n("http://publications.europa.eu/resource/authority/country/SWE"),
            ),
            Triple::new(d.clone(), n(&format!("{DCAT}distribution")), dist.clone()),
            Triple::new(
                dist.clone(),
                n(&format!("{DCT}format")),
                n(&format!("{FORMAT_SCHEME}CSV")),
            ),
            Triple::new(d.clone(), n(&format!("{DCT}temporal")), period.clone()),
            Triple::new(
                period.clone(),
                n(&format!("{DCAT}startDate")),
                Literal::new_simple_literal("2001"),
            ),
            Triple::new(
                d.clone(),
                n(&format!("{DCT}modified")),
                Literal::new_simple_literal("2025-11-20T08:30:00"),
            ),
        ];
        let origin = RecordOrigin {
            id: "r1",
            source: "no",
            country: "NO",
            profile: Some("dcat-ap-3"),
            kind: "dataset",
        };
        let s = summarise(&origin, d.as_str(), &triples);
        assert_eq!(s.titles.len(), 2);
        assert_eq!(s.diseases, ["E11.9", "ORPHA:558"]);
        assert_eq!((s.min_age, s.max_age), (None, Some(17)));
        assert_eq!(s.countries, ["NO", "SE"]);
        assert_eq!(s.formats, [format!("{FORMAT_SCHEME}CSV")]);
        assert_eq!(s.temporal_start.as_deref(), Some("2001-01-01"));
        assert_eq!(s.modified.as_deref(), Some("2025-11-20"));
        assert_eq!(s.publisher.as_ref().map(|p| p.names.len()), Some(1));
    }

    #[test]
    fn concept_keys_round_trip() {
        let iri = format!("{THEME_SCHEME}HEAL");
        assert_eq!(concept_key(THEME_SCHEME, &iri), "HEAL");
        assert_eq!(concept_iri(THEME_SCHEME, "HEAL"), iri);
        assert_eq!(
            concept_key(THEME_SCHEME, "https://other/x"),
            "https://other/x"
        );
        assert_eq!(
            concept_iri(THEME_SCHEME, "https://other/x"),
            "https://other/x"
        );
    }
}
