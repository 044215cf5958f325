//! The HTML page of a record (the browser's answer of `GET /datasets/{id}`
//! and of a record IRI under the base URL): every property with readable
//! names and values (concept labels from `vocab/` in the page's language,
//! not IRIs; nested descriptions inline), distributions and access, contact
//! points, provenance (source, first harvest, last change, the source's
//! last harvest), validation status and quality score, and the RDF links.

use super::{labels, Lang, Page};
use crate::index::codes::DiseaseCode;
use crate::index::vocab::{pick_label, Vocabulary};
use crate::ns;
use crate::serve::export::record_page_iri;
use crate::serve::negotiate::Syntax;
use crate::serve::AppState;
use crate::store::published::{PublicState, RecordEntry};
use crate::store::{lexical, record_iri, CatalogStore, StoreError};
use axum::response::IntoResponse;
use oxigraph::model::{GraphNameRef, NamedNode, NamedOrBlankNode, Term, Triple};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, OnceLock};

const DCAT_DISTRIBUTION: &str = "http://www.w3.org/ns/dcat#distribution";
const DCAT_CONTACT_POINT: &str = "http://www.w3.org/ns/dcat#contactPoint";
const DCT_DESCRIPTION: &str = "http://purl.org/dc/terms/description";
const DCT_PUBLISHER: &str = "http://purl.org/dc/terms/publisher";
const DCT_ACCESS_RIGHTS: &str = "http://purl.org/dc/terms/accessRights";
const DQV: &str = "http://www.w3.org/ns/dqv#";
/// Properties that name a described node, best first.
const NAMES: [&str; 6] = [
    "http://xmlns.com/foaf/0.1/name",
    "http://www.w3.org/2006/vcard/ns#fn",
    "http://purl.org/dc/terms/title",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2006/vcard/ns#organization-name",
];
/// How deep nested descriptions are shown.
const MAX_DEPTH: usize = 4;

/// Where labels come from: the search index's vocabularies, else the
/// embedded ones (loaded once).
#[derive(Clone)]
pub struct Vocabularies {
    index: Option<Arc<crate::index::SearchIndex>>,
    builtin: Option<Arc<Vocabulary>>,
}

impl Vocabularies {
    pub fn of(state: &AppState) -> Self {
        static BUILTIN: OnceLock<Option<Arc<Vocabulary>>> = OnceLock::new();
        if let Some(index) = &state.search {
            return Vocabularies {
                index: Some(index.clone()),
                builtin: None,
            };
        }
        let builtin = BUILTIN
            .get_or_init(|| match Vocabulary::builtin() {
                Ok(v) => Some(Arc::new(v)),
                Err(error) => {
                    tracing::error!(%error, "vocabularies for the record pages");
                    None
                }
            })
            .clone();
        Vocabularies {
            index: None,
            builtin,
        }
    }

    pub fn get(&self) -> Option<&Vocabulary> {
        match &self.index {
            Some(index) => Some(index.vocabulary()),
            None => self.builtin.as_deref(),
        }
    }
}

/// What the store says about a record beyond its triples.
#[derive(Debug, Default)]
pub struct RecordStatus {
    pub stale: bool,
    /// (metric local name, value 0–1).
    pub quality: Vec<(String, f64)>,
    /// The end and outcome of the source's newest harvest run.
    pub last_harvest: Option<(String, String)>,
}

/// Reads the record's stale flag, quality measurements and its source's last run.
pub fn record_status(
    store: &CatalogStore,
    id: &str,
    source: Option<&str>,
) -> Result<RecordStatus, StoreError> {
    let oxigraph = store.oxigraph();
    let records = NamedNode::new_unchecked(ns::RECORDS_GRAPH);
    let graph = GraphNameRef::NamedNode(records.as_ref());
    let node = record_iri(id);
    let mut status = RecordStatus::default();
    let has = NamedNode::new_unchecked(format!("{DQV}hasQualityMeasurement"));
    let of = NamedNode::new_unchecked(format!("{DQV}isMeasurementOf"));
    let value = NamedNode::new_unchecked(format!("{DQV}value"));
    let stale = NamedNode::new_unchecked(ns::kat("stale"));
    for quad in oxigraph.quads_for_pattern(Some(node.as_ref().into()), None, None, Some(graph)) {
        let quad = quad?;
        if quad.predicate == stale {
            status.stale = matches!(&quad.object, Term::Literal(l) if l.value() == "true");
        } else if quad.predicate == has {
            let Term::NamedNode(measurement) = &quad.object else {
                continue;
            };
            let mut metric = None;
            let mut score = None;
            for q in oxigraph.quads_for_pattern(
                Some(measurement.as_ref().into()),
                None,
                None,
                Some(graph),
            ) {
                let q = q?;
                if q.predicate == of {
                    if let Term::NamedNode(m) = &q.object {
                        metric = m.as_str().strip_prefix(ns::KAT).map(str::to_string);
                    }
                } else if q.predicate == value {
                    if let Term::Literal(l) = lexical::from_store(q.object.clone()) {
                        score = l.value().parse::<f64>().ok();
                    }
                }
            }
            if let (Some(metric), Some(score)) = (metric, score) {
                status.quality.push((metric, score));
            }
        }
    }
    if let Some(source) = source {
        status.last_harvest = last_harvest(store, source)?;
    }
    Ok(status)
}

/// The end time and outcome of a source's newest run.
fn last_harvest(
    store: &CatalogStore,
    source: &str,
) -> Result<Option<(String, String)>, StoreError> {
    let oxigraph = store.oxigraph();
    let runs = NamedNode::new_unchecked(ns::RUNS_GRAPH);
    let graph = GraphNameRef::NamedNode(runs.as_ref());
    let name = NamedNode::new_unchecked(ns::kat("sourceName"));
    let ended = NamedNode::new_unchecked(ns::PROV_ENDED);
    let outcome = NamedNode::new_unchecked(ns::kat("outcome"));
    let literal = oxigraph::model::Literal::new_simple_literal(source);
    let mut newest: Option<(String, String)> = None;
    for quad in oxigraph.quads_for_pattern(
        None,
        Some(name.as_ref()),
        Some(literal.as_ref().into()),
        Some(graph),
    ) {
        let run = quad?.subject;
        let mut end = None;
        let mut result = String::new();
        for q in oxigraph.quads_for_pattern(Some(run.as_ref()), None, None, Some(graph)) {
            let q = q?;
            if let Term::Literal(l) = lexical::from_store(q.object.clone()) {
                if q.predicate == ended {
                    end = Some(l.value().to_string());
                } else if q.predicate == outcome {
                    result = l.value().to_string();
                }
            }
        }
        if let Some(end) = end {
            if newest.as_ref().is_none_or(|(e, _)| *e < end) {
                newest = Some((end, result));
            }
        }
    }
    Ok(newest)
}

/// A date-time as people read it: `2026-11-02 09:15` (UTC as stored).
fn readable_time(value: &str) -> String {
    match value.split_once('T') {
        Some((date, time)) => format!("{date} {}", time.get(..5).unwrap_or(time)),
        None => value.to_string(),
    }
}

struct View<'a> {
    by_subject: BTreeMap<String, Vec<&'a Triple>>,
    vocab: Option<&'a Vocabulary>,
    lang: Lang,
    seen: HashSet<String>,
}

fn key_of(subject: &NamedOrBlankNode) -> String {
    subject.to_string()
}

fn term_key(term: &Term) -> Option<String> {
    match term {
        Term::NamedNode(n) => Some(format!("<{}>", n.as_str())),
        Term::BlankNode(b) => Some(format!("_:{}", b.as_str())),
        _ => None,
    }
}

impl<'a> View<'a> {
    fn new(triples: &'a [Triple], vocab: Option<&'a Vocabulary>, lang: Lang) -> Self {
        let mut by_subject: BTreeMap<String, Vec<&Triple>> = BTreeMap::new();
        for triple in triples {
            by_subject
                .entry(key_of(&triple.subject))
                .or_default()
                .push(triple);
        }
        View {
            by_subject,
            vocab,
            lang,
            seen: HashSet::new(),
        }
    }

    fn objects(&self, key: &str, predicate: &str) -> Vec<&'a Term> {
        self.by_subject
            .get(key)
            .into_iter()
            .flatten()
            .filter(|t| t.predicate.as_str() == predicate)
            .map(|t| &t.object)
            .collect()
    }

    /// The text of a language-tagged property in the page's language, with fallbacks.
    fn text(&self, key: &str, predicate: &str) -> Option<String> {
        let texts: Vec<(String, String)> = self
            .objects(key, predicate)
            .into_iter()
            .filter_map(|o| match o {
                Term::Literal(l) => Some((
                    l.language().unwrap_or("").to_ascii_lowercase(),
                    l.value().to_string(),
                )),
                _ => None,
            })
            .collect();
        pick_label(&texts, self.lang.tag()).map(str::to_string)
    }

    /// A described node's name, when it has one.
    fn name(&self, key: &str) -> Option<String> {
        NAMES.iter().find_map(|p| self.text(key, p))
    }

    /// The label of an IRI value from the vocabularies (diseases by their
    /// code's nearest labelled ancestor), the class table, or None.
    fn concept_label(&self, iri: &str) -> Option<String> {
        if let Some(class) = labels::class(iri, self.lang) {
            return Some(class.to_string());
        }
        let vocab = self.vocab?;
        if let Some(label) = vocab.label(iri, self.lang.tag()) {
            return Some(label.to_string());
        }
        let mut code = DiseaseCode::from_iri(iri);
        while let Some(current) = code {
            if let Some(label) = vocab.label(&current.iri(), self.lang.tag()) {
                return Some(format!("{} – {label}", current.display()));
            }
            code = current.truncated();
        }
        None
    }

    fn literal_value(&self, literal: &oxigraph::model::Literal) -> Value {
        let datatype = literal.datatype().as_str();
        let text = if datatype == ns::XSD_DATETIME {
            readable_time(literal.value())
        } else {
            literal.value().to_string()
        };
        let lang = literal.language().map(str::to_string);
        let is_link = (text.starts_with("http://") || text.starts_with("https://"))
            && !text.contains(char::is_whitespace);
        json!({
            "text": text,
            "lang": lang.filter(|l| Lang::from_tag(l) != Some(self.lang) || l.contains('-')),
            "href": is_link.then(|| text.clone()),
        })
    }

    fn value(&mut self, object: &Term, depth: usize) -> Value {
        match object {
            Term::Literal(literal) => self.literal_value(literal),
            Term::NamedNode(node) => {
                let iri = node.as_str();
                let safe = ["http://", "https://", "mailto:", "tel:"]
                    .iter()
                    .any(|scheme| iri.starts_with(scheme));
                let key = format!("<{iri}>");
                let label = self.concept_label(iri);
                if label.is_none()
                    && depth < MAX_DEPTH
                    && self.by_subject.contains_key(&key)
                    && self.seen.insert(key.clone())
                {
                    let name = self.name(&key);
                    let children = self.properties(&key, depth + 1, &[]);
                    return json!({
                        "text": name.clone().unwrap_or_else(|| iri.to_string()),
                        "href": safe.then(|| iri.to_string()),
                        "iri": iri,
                        "children": children,
                    });
                }
                let text = label
                    .clone()
                    .or_else(|| {
                        self.by_subject
                            .contains_key(&key)
                            .then(|| self.name(&key))
                            .flatten()
                    })
                    .unwrap_or_else(|| iri.to_string());
                json!({
                    "text": text,
                    "href": safe.then(|| iri.to_string()),
                    "iri": (text != iri).then(|| iri.to_string()),
                })
            }
            Term::BlankNode(node) => {
                let key = format!("_:{}", node.as_str());
                if depth < MAX_DEPTH
                    && self.by_subject.contains_key(&key)
                    && self.seen.insert(key.clone())
                {
                    let name = self.name(&key);
                    let children = self.properties(&key, depth + 1, &[]);
                    json!({"text": name, "children": children})
                } else {
                    json!({"text": "…"})
                }
            }
            #[allow(unreachable_patterns)]
            other => json!({"text": other.to_string()}),
        }
    }

    /// A subject's properties in the table's order, each with its values;
    /// language-tagged texts in the page's language first, the others
    /// apart (`other_values`).
    fn properties(&mut self, key: &str, depth: usize, skip: &[&str]) -> Vec<Value> {
        let Some(triples) = self.by_subject.get(key).cloned() else {
            return Vec::new();
        };
        let mut by_predicate: BTreeMap<(usize, String), Vec<&Term>> = BTreeMap::new();
        for triple in &triples {
            let iri = triple.predicate.as_str();
            if skip.contains(&iri) {
                continue;
            }
            by_predicate
                .entry((labels::rank(iri), iri.to_string()))
                .or_default()
                .push(&triple.object);
        }
        let mut out = Vec::new();
        for ((_, predicate), mut objects) in by_predicate {
            objects.sort_by_key(|o| o.to_string());
            // Texts in several languages: the best language's first.
            let tagged: Vec<(String, String)> = objects
                .iter()
                .filter_map(|o| match o {
                    Term::Literal(l) => l
                        .language()
                        .map(|t| (t.to_ascii_lowercase(), String::new())),
                    _ => None,
                })
                .collect();
            let preferred = pick_label(&tagged, self.lang.tag()).is_some().then(|| {
                let order: Vec<(String, String)> =
                    tagged.iter().map(|(l, _)| (l.clone(), l.clone())).collect();
                pick_label(&order, self.lang.tag())
                    .unwrap_or("")
                    .to_string()
            });
            let mut values = Vec::new();
            let mut others = Vec::new();
            for object in objects {
                let other = match (object, &preferred) {
                    (Term::Literal(l), Some(best)) => {
                        l.language().is_some_and(|t| !t.eq_ignore_ascii_case(best))
                    }
                    _ => false,
                };
                let value = self.value(object, depth);
                if other {
                    others.push(value);
                } else {
                    values.push(value);
                }
            }
            out.push(json!({
                "iri": predicate,
                "label": labels::property(&predicate, self.lang),
                "values": values,
                "other_values": others,
            }));
        }
        out
    }

    /// Nodes linked by `predicate` from `key`, each with its name and properties.
    fn linked(&mut self, key: &str, predicate: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for object in self.objects(key, predicate) {
            let Some(object_key) = term_key(object) else {
                continue;
            };
            let name = self.name(&object_key);
            self.seen.insert(object_key.clone());
            let properties = self.properties(&object_key, 1, &[]);
            let iri = match object {
                Term::NamedNode(n) => Some(n.as_str().to_string()),
                _ => None,
            };
            out.push(json!({"name": name, "iri": iri, "properties": properties}));
        }
        out
    }
}

/// Everything the page shows, ready for `dataset.html`.
#[allow(clippy::too_many_arguments)]
pub fn context(
    base: &str,
    entry: &RecordEntry,
    resource: &NamedNode,
    triples: &[Triple],
    vocab: Option<&Vocabulary>,
    status: &RecordStatus,
    profile: Option<&str>,
    page: &Page,
) -> Value {
    let lang = page.lang;
    let mut view = View::new(triples, vocab, lang);
    let key = format!("<{}>", resource.as_str());
    view.seen.insert(key.clone());
    let title = view
        .text(&key, ns::DCT_TITLE)
        .unwrap_or_else(|| resource.as_str().to_string());
    let description = view.text(&key, DCT_DESCRIPTION);
    let distributions = view.linked(&key, DCAT_DISTRIBUTION);
    let contacts = view.linked(&key, DCAT_CONTACT_POINT);
    let publisher = view
        .objects(&key, DCT_PUBLISHER)
        .first()
        .and_then(|o| term_key(o))
        .and_then(|k| view.name(&k));
    let access: Vec<String> = view
        .objects(&key, DCT_ACCESS_RIGHTS)
        .into_iter()
        .filter_map(|o| match o {
            Term::NamedNode(n) => Some(
                view.concept_label(n.as_str())
                    .unwrap_or_else(|| n.as_str().to_string()),
            ),
            _ => None,
        })
        .collect();
    let properties = view.properties(&key, 0, &[DCAT_DISTRIBUTION, DCAT_CONTACT_POINT]);
    let page_iri = record_page_iri(base, &entry.id);
    let rdf: Vec<Value> = Syntax::ALL
        .iter()
        .zip(["Turtle", "RDF/XML", "JSON-LD", "N-Triples"])
        .map(|(syntax, name)| {
            json!({"name": name, "href": format!("{}.{}", page_iri.as_str(), syntax.extension()),
                   "type": syntax.media_type()})
        })
        .collect();
    let country = entry.country.as_deref().map(|c| {
        vocab
            .and_then(|v| v.label(&crate::index::codes::country_iri(c), lang.tag()))
            .map(|l| format!("{l} ({c})"))
            .unwrap_or_else(|| c.to_string())
    });
    let quality: Vec<Value> = {
        let mut q: Vec<&(String, f64)> = status.quality.iter().collect();
        q.sort_by_key(|(m, _)| (m != "overallScore", m.clone()));
        q.into_iter()
            .map(|(metric, score)| {
                let label = lang
                    .lookup(&format!("quality.{metric}"))
                    .map_or_else(|| metric.clone(), str::to_string);
                json!({"metric": metric, "label": label,
                       "percent": (score * 100.0).round() as i64})
            })
            .collect()
    };
    let kind = entry.kind.map(|k| match k.label() {
        "dataset series" => "series",
        "data service" => "service",
        "catalog" => "catalog",
        _ => "dataset",
    });
    json!({
        "id": entry.id,
        "title": title,
        "description": description,
        "resource": resource.as_str(),
        "resource_href": (resource.as_str().starts_with("http://") || resource.as_str().starts_with("https://")).then(|| resource.as_str()),
        "kind": kind.map(|k| lang.text(&format!("kind.{k}"))),
        "publisher": publisher,
        "access": access,
        "country": country,
        "properties": properties,
        "distributions": distributions,
        "contacts": contacts,
        "deleted": (entry.state == PublicState::Deleted).then(|| entry.deleted_at.as_ref().map(|l| readable_time(l.value())).unwrap_or_default()),
        "source": entry.source,
        "first_harvest": entry.issued.as_ref().map(|l| readable_time(l.value())),
        "last_change": entry.modified.as_ref().map(|l| readable_time(l.value())),
        "last_harvest": status.last_harvest.as_ref().map(|(t, outcome)| json!({"time": readable_time(t), "outcome": outcome})),
        "profile": profile,
        "stale": status.stale,
        "quality": quality,
        "rdf": rdf,
        "page_iri": page_iri.as_str(),
        "api": format!("/api/datasets/{}?lang={}", entry.id, lang.tag()),
    })
}

/// The page of a record, as the answer to a browser (status and the
/// negotiation headers are the caller's).
pub async fn response(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    query: Vec<(String, String)>,
    base: &str,
    entry: &RecordEntry,
    resource: &NamedNode,
    triples: Vec<Triple>,
) -> axum::response::Response {
    let (lang, remember) = super::request_lang(&query, headers);
    let path = format!("/datasets/{}", entry.id);
    let store = state.store.clone();
    let id = entry.id.clone();
    let source = entry.source.clone();
    let status =
        tokio::task::spawn_blocking(move || record_status(&store, &id, source.as_deref())).await;
    let status = match status {
        Ok(Ok(status)) => status,
        Ok(Err(error)) => {
            tracing::warn!(%error, "record status for its page");
            RecordStatus::default()
        }
        Err(error) => return crate::serve::ServeError::Internal(error.to_string()).into_response(),
    };
    let profile = entry.source.as_deref().and_then(|name| {
        state
            .config
            .sources
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.profile.clone())
    });
    // The record checked again against its source's profile, for the
    // warnings it was published with (violations would have held it back).
    let checks = match (&profile, entry.state) {
        (Some(name), PublicState::Published) => {
            let profiles = state.profiles.clone();
            let store = state.store.clone();
            let id = entry.id.clone();
            let name = name.clone();
            tokio::task::spawn_blocking(move || -> Option<Value> {
                let profile = profiles.get(&name).ok()?;
                let triples = store.record_triples(&id).ok()?;
                let report = crate::steward::validate_records("this record", triples, &profile);
                Some(super::validate_page::report_context(&report))
            })
            .await
            .ok()
            .flatten()
        }
        _ => None,
    };
    let vocabularies = Vocabularies::of(state);
    let mut page = Page::new(lang, &path, query, String::new(), "dataset");
    let mut context = context(
        base,
        entry,
        resource,
        &triples,
        vocabularies.get(),
        &status,
        profile.as_deref(),
        &page,
    );
    page.title = context["title"].as_str().unwrap_or("").to_string();
    if let Some(checks) = checks {
        context["checks"] = checks;
    }
    super::respond(
        axum::http::StatusCode::OK,
        "dataset.html",
        &page,
        remember,
        context,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{BlankNode, Literal};

    fn n(iri: &str) -> NamedNode {
        NamedNode::new_unchecked(iri)
    }

    #[test]
    fn readable_values_nested_nodes_and_languages() {
        let dataset = n("https://example.no/d");
        let contact = BlankNode::default();
        let triples = vec![
            Triple::new(
                dataset.clone(),
                n(ns::DCT_TITLE),
                Literal::new_language_tagged_literal_unchecked("Kreftdata", "nb"),
            ),
            Triple::new(
                dataset.clone(),
                n(ns::DCT_TITLE),
                Literal::new_language_tagged_literal_unchecked("Cancer data", "en"),
            ),
            Triple::new(
                dataset.clone(),
                n(DCT_ACCESS_RIGHTS),
                n("http://publications.europa.eu/resource/authority/access-right/RESTRICTED"),
            ),
            Triple::new(dataset.clone(), n(DCAT_CONTACT_POINT), contact.clone()),
            Triple::new(
                contact.clone(),
                n("http://www.w3.org/2006/vcard/ns#fn"),
                Literal::new_simple_literal("Registeret"),
            ),
            Triple::new(
                contact,
                n("http://www.w3.org/2006/vcard/ns#hasEmail"),
                n("mailto:post@example.no"),
            ),
        ];
        let vocab = Vocabulary::builtin().unwrap();
        let page = Page::new(Lang::Nb, "/datasets/ab", Vec::new(), String::new(), "");
        let entry = RecordEntry {
            id: "ab".into(),
            state: PublicState::Published,
            kind: None,
            resource: Some(dataset.clone()),
            source: Some("no".into()),
            country: Some("NO".into()),
            issued: None,
            modified: None,
            deleted_at: None,
        };
        let ctx = context(
            "http://k",
            &entry,
            &dataset,
            &triples,
            Some(&vocab),
            &RecordStatus::default(),
            None,
            &page,
        );
        assert_eq!(ctx["title"], "Kreftdata");
        assert_eq!(ctx["country"], "Norge (NO)", "{ctx:#}");
        let access = ctx["access"][0].as_str().unwrap();
        assert!(!access.starts_with("http"), "a label, not an IRI: {access}");
        assert_eq!(ctx["contacts"][0]["name"], "Registeret");
        let title = ctx["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["iri"] == ns::DCT_TITLE)
            .unwrap();
        assert_eq!(title["label"], "Tittel");
        assert_eq!(title["values"][0]["text"], "Kreftdata");
        assert_eq!(title["other_values"][0]["text"], "Cancer data");
        assert_eq!(ctx["rdf"][0]["href"], "http://k/datasets/ab.ttl");
        let html = super::super::render_page("dataset.html", &page, ctx).unwrap();
        assert!(html.contains("<h1>Kreftdata</h1>"), "{html}");
        assert!(
            html.contains("<dt title=\"http://purl.org/dc/terms/title\">Tittel</dt>"),
            "{html}"
        );
        assert!(html.contains("<h3>Registeret</h3>"), "{html}");
        assert!(
            html.contains("href=\"mailto:post@example.no\"")
                || html.contains(">mailto:post@example.no<"),
            "{html}"
        );
        assert!(
            html.contains("Cancer data"),
            "other languages are kept: {html}"
        );
    }

    #[test]
    fn times_read_as_dates_and_minutes() {
        assert_eq!(readable_time("2026-11-02T09:15:00Z"), "2026-11-02 09:15");
        assert_eq!(readable_time("2026-11-02"), "2026-11-02");
    }
}
