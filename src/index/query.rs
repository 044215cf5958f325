//! Search requests: parameters checked into a [`SearchQuery`], the query
//! text parsed by hand (plain words AND-ed, "quoted phrases", `-excluded`
//! words and a few `field:value` forms; no input can make it fail), run
//! with facet counts over the filtered result.

use super::analysis::{language_slot, slot_each_token, slot_tokens, slot_words, ANY, LANGUAGES};
use super::codes::{chapter_iri, chapter_title, country_iri, country_key, DiseaseCode};
use super::dismax::SeekingDisMaxQuery;
use super::docsets::{CachedSetQuery, CandidateQuery, ScoredClause};
use super::document::{
    concept_iri, concept_key, RecordSummary, ACCESS_SCHEME, FORMAT_SCHEME, HEALTH_CATEGORY_SCHEME,
    HEALTH_THEME_SCHEME, LICENCE_SCHEME, THEME_SCHEME,
};
use super::facets::{DimensionCounts, FacetCounter};
use super::schema::FACETS;
use super::vocab::pick_label;
use super::{FacetCounts, IndexError, SearchIndex};
use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;
use std::time::Instant;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::{DocAddress, Order, Term};

/// Largest page size.
pub const MAX_SIZE: usize = 100;
/// Deepest page reachable (offset + size), to bound the work of one request.
pub const MAX_DEPTH: usize = 10_000;
/// Longest query text and most words considered.
const MAX_QUERY_CHARS: usize = 1000;
const MAX_WORDS: usize = 32;
/// Values shown per facet.
const FACET_VALUES: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    Modified,
    Title,
}

/// A checked search request.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    /// Facet filters: dimension -> accepted values (OR within, AND across).
    pub filters: BTreeMap<&'static str, Vec<String>>,
    /// Disease keys (`icd10:E11`): any of them.
    pub diseases: Vec<String>,
    pub age_from: Option<u64>,
    pub age_to: Option<u64>,
    pub min_individuals: Option<u64>,
    pub min_records: Option<u64>,
    /// Days since the epoch.
    pub modified_after: Option<i64>,
    pub temporal_from: Option<i64>,
    pub temporal_to: Option<i64>,
    pub sort: Sort,
    /// 1-based.
    pub page: usize,
    pub size: usize,
    pub lang: String,
    /// Whether `lang` was given (else it is the default, English).
    pub lang_given: bool,
    /// Languages whose stemmed fields the text is searched in, beside the
    /// language-neutral field (which holds every text unstemmed). Empty:
    /// [`DEFAULT_TEXT_LANGUAGES`]. See [`SearchQuery::text_slots`].
    pub text_languages: Vec<String>,
}

/// The stemmed languages a query is searched in when neither `lang` nor the
/// client's Accept-Language names one: English, which most records of every
/// country carry, and Norwegian, the language of the catalogue's home users.
/// Words in any other language still match their exact (folded) forms and
/// their stems as prefixes in the language-neutral field.
pub const DEFAULT_TEXT_LANGUAGES: [&str; 2] = ["en", "nb"];

/// At most this many languages from an Accept-Language header.
const MAX_ACCEPT_LANGUAGES: usize = 3;

/// The parameters `GET /api/search` (and `katalog search`) accept.
pub const PARAMETERS: [&str; 22] = [
    "q",
    "country",
    "publisher",
    "theme",
    "health_category",
    "health_theme",
    "disease",
    "disease_chapter",
    "access",
    "format",
    "licence",
    "profile",
    "age_from",
    "age_to",
    "min_individuals",
    "min_records",
    "modified_after",
    "temporal_from",
    "temporal_to",
    "sort",
    "page",
    "size",
];

fn parse_u64(name: &str, value: &str) -> Result<u64, IndexError> {
    value
        .trim()
        .parse()
        .map_err(|_| IndexError::bad(name, format!("{value:?} is not a whole number ≥ 0")))
}

/// A date parameter (`2024`, `2024-06` or `2024-06-30`) as days since the epoch.
fn parse_day(name: &str, value: &str) -> Result<i64, IndexError> {
    let v = value.trim();
    let full = match v.len() {
        4 => format!("{v}-01-01"),
        7 => format!("{v}-01"),
        _ => v.get(..10).unwrap_or(v).to_string(),
    };
    super::document::epoch_days(&full).ok_or_else(|| {
        IndexError::bad(
            name,
            format!("{value:?} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"),
        )
    })
}

impl SearchQuery {
    /// Adds the languages of an HTTP Accept-Language header to those the text
    /// is searched in, unless `lang` named the language. What the answer is
    /// displayed in does not change (`lang`, default English).
    pub fn add_accept_language(&mut self, header: &str) {
        if self.lang_given {
            return;
        }
        let mut wanted: Vec<String> = header
            .split(',')
            .filter_map(|entry| {
                let mut parts = entry.split(';');
                let tag = parts.next()?.trim().to_ascii_lowercase();
                let refused = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                (!refused && !tag.is_empty() && tag != "*").then_some(tag)
            })
            .filter(|tag| language_slot(tag) != ANY)
            .take(MAX_ACCEPT_LANGUAGES)
            .collect();
        if wanted.is_empty() {
            return;
        }
        if self.text_languages.is_empty() {
            self.text_languages = DEFAULT_TEXT_LANGUAGES.map(str::to_string).to_vec();
        }
        self.text_languages.append(&mut wanted);
    }

    /// The stemmed language slots the text is searched in (never the
    /// neutral one, which is always searched), without repeats.
    pub fn text_slots(&self) -> Vec<usize> {
        let mut slots = Vec::new();
        let tags: Vec<&str> = if self.text_languages.is_empty() {
            DEFAULT_TEXT_LANGUAGES.to_vec()
        } else {
            self.text_languages.iter().map(String::as_str).collect()
        };
        for tag in tags {
            let slot = language_slot(tag);
            if slot != ANY && !slots.contains(&slot) {
                slots.push(slot);
            }
        }
        slots
    }

    /// Checks request parameters (repeatable where a facet is filtered).
    /// Errors name the parameter.
    pub fn from_params<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, IndexError> {
        let mut q = SearchQuery {
            page: 1,
            size: 20,
            lang: "en".into(),
            ..Default::default()
        };
        let mut texts = Vec::new();
        for (name, value) in params {
            let once = |seen: bool| {
                if seen {
                    Err(IndexError::bad(name, "given more than once"))
                } else {
                    Ok(())
                }
            };
            match name {
                "q" => texts.push(value.to_string()),
                "lang" => {
                    let lang = value.trim().to_ascii_lowercase();
                    if lang.is_empty()
                        || lang.len() > 12
                        || !lang.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        return Err(IndexError::bad(
                            name,
                            format!("{value:?} is not a language tag"),
                        ));
                    }
                    // The requested language, and English beside it: the
                    // language most records of every country also carry.
                    q.text_languages = vec![lang.clone(), "en".to_string()];
                    q.lang = lang;
                    q.lang_given = true;
                }
                "country" => {
                    let key = country_key(value).ok_or_else(|| {
                        IndexError::bad(
                            name,
                            format!("{value:?} is not a country code (NO, SE, NOR, ...)"),
                        )
                    })?;
                    q.filters.entry("country").or_default().push(key);
                }
                "publisher" => {
                    let value = value.trim();
                    if value.is_empty() {
                        return Err(IndexError::bad(name, "empty publisher"));
                    }
                    q.filters
                        .entry("publisher")
                        .or_default()
                        .push(value.to_string());
                }
                "theme" | "health_category" | "health_theme" | "access" | "format" | "licence" => {
                    let (dimension, scheme) = match name {
                        "theme" => ("theme", THEME_SCHEME),
                        "health_category" => ("health_category", HEALTH_CATEGORY_SCHEME),
                        "health_theme" => ("health_theme", HEALTH_THEME_SCHEME),
                        "access" => ("access", ACCESS_SCHEME),
                        "format" => ("format", FORMAT_SCHEME),
                        _ => ("licence", LICENCE_SCHEME),
                    };
                    let value = value.trim();
                    if value.is_empty() {
                        return Err(IndexError::bad(name, "empty value"));
                    }
                    let key = if value.contains(':') {
                        concept_key(scheme, value)
                    } else {
                        value.to_ascii_uppercase()
                    };
                    q.filters.entry(dimension).or_default().push(key);
                }
                "profile" => q
                    .filters
                    .entry("profile")
                    .or_default()
                    .push(value.trim().to_ascii_lowercase()),
                "disease" | "disease_chapter" => {
                    let code = DiseaseCode::from_literal(value, true).ok_or_else(|| {
                        IndexError::bad(
                            name,
                            format!("{value:?} is not an ICD-10 code (E11, E11.9, E10-E14, IV) or Orphanet code (ORPHA:558)"),
                        )
                    })?;
                    q.diseases.push(code.key());
                }
                "age_from" => {
                    once(q.age_from.is_some())?;
                    q.age_from = Some(parse_u64(name, value)?)
                }
                "age_to" => {
                    once(q.age_to.is_some())?;
                    q.age_to = Some(parse_u64(name, value)?)
                }
                "min_individuals" => {
                    once(q.min_individuals.is_some())?;
                    q.min_individuals = Some(parse_u64(name, value)?)
                }
                "min_records" => {
                    once(q.min_records.is_some())?;
                    q.min_records = Some(parse_u64(name, value)?)
                }
                "modified_after" => {
                    once(q.modified_after.is_some())?;
                    q.modified_after = Some(parse_day(name, value)?)
                }
                "temporal_from" => {
                    once(q.temporal_from.is_some())?;
                    q.temporal_from = Some(parse_day(name, value)?)
                }
                "temporal_to" => {
                    once(q.temporal_to.is_some())?;
                    q.temporal_to = Some(parse_day(name, value)?)
                }
                "sort" => {
                    q.sort = match value.trim() {
                        "relevance" | "" => Sort::Relevance,
                        "modified" => Sort::Modified,
                        "title" => Sort::Title,
                        other => {
                            return Err(IndexError::bad(
                                name,
                                format!("{other:?}: use relevance, modified or title"),
                            ))
                        }
                    }
                }
                "page" => {
                    let page = parse_u64(name, value)?;
                    if page == 0 {
                        return Err(IndexError::bad(name, "pages start at 1"));
                    }
                    q.page = usize::try_from(page).unwrap_or(usize::MAX);
                }
                "size" => {
                    let size = parse_u64(name, value)?;
                    if size > MAX_SIZE as u64 {
                        return Err(IndexError::bad(name, format!("at most {MAX_SIZE}")));
                    }
                    q.size = size as usize;
                }
                other => {
                    return Err(IndexError::bad(
                        other,
                        format!("unknown parameter; known: {}, lang", PARAMETERS.join(", ")),
                    ))
                }
            }
        }
        if let (Some(from), Some(to)) = (q.age_from, q.age_to) {
            if from > to {
                return Err(IndexError::bad("age_from", "is above age_to"));
            }
        }
        if q.page.saturating_mul(q.size.max(1)) > MAX_DEPTH {
            return Err(IndexError::bad(
                "page",
                format!("results beyond the first {MAX_DEPTH} are not paged; narrow the search"),
            ));
        }
        q.text = texts.join(" ");
        if q.text.chars().count() > MAX_QUERY_CHARS {
            return Err(IndexError::bad(
                "q",
                format!("longer than {MAX_QUERY_CHARS} characters"),
            ));
        }
        Ok(q)
    }
}

/// One part of the query text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryPart {
    /// Words of a plain word or a phrase, in a field group ("title", "text" or all).
    Match {
        text: String,
        field: Option<&'static str>,
        exclude: bool,
    },
    /// `disease:E11` in the text.
    Disease(String),
    /// `country:NO` in the text.
    Country(String),
}

/// Splits query text into parts. Never fails: what is not understood is
/// searched as words.
pub fn parse_text(text: &str) -> Vec<QueryPart> {
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    while parts.len() < MAX_WORDS {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let exclude = first == '-';
        if exclude {
            chars.next();
        }
        let mut word = String::new();
        let mut phrase = false;
        let mut prefix: Option<String> = None;
        while let Some(&c) = chars.peek() {
            if c == '"' {
                chars.next();
                phrase = true;
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    word.push(c);
                }
                break;
            }
            if c.is_whitespace() {
                break;
            }
            chars.next();
            if c == ':' && prefix.is_none() && !word.is_empty() {
                let name = word.to_ascii_lowercase();
                if matches!(
                    name.as_str(),
                    "title" | "text" | "description" | "disease" | "country"
                ) {
                    prefix = Some(name);
                    word.clear();
                    continue;
                }
            }
            word.push(c);
        }
        let word = word.trim().to_string();
        if word.is_empty() {
            continue;
        }
        let _ = phrase;
        let part = match prefix.as_deref() {
            Some("disease") => match DiseaseCode::from_literal(&word, true) {
                Some(code) => QueryPart::Disease(code.key()),
                None => QueryPart::Match {
                    text: word,
                    field: None,
                    exclude,
                },
            },
            Some("country") => match country_key(&word) {
                Some(key) => QueryPart::Country(key),
                None => QueryPart::Match {
                    text: word,
                    field: None,
                    exclude,
                },
            },
            Some("title") => QueryPart::Match {
                text: word,
                field: Some("title"),
                exclude,
            },
            Some(_) => QueryPart::Match {
                text: word,
                field: Some("text"),
                exclude,
            },
            None => QueryPart::Match {
                text: word,
                field: None,
                exclude,
            },
        };
        parts.push(part);
    }
    parts
}

/// Top hits (score, address), total and facet counts of one search.
type Collected = (Vec<(f32, DocAddress)>, usize, DimensionCounts);

/// Boosts: a title or keyword match outweighs one in a description.
const TITLE_BOOST: f32 = 3.0;
const DISEASE_BOOST: f32 = 4.0;
const IDENTIFIER_BOOST: f32 = 8.0;
/// Share of the other fields' scores added to the best field's.
const TIE_BREAKER: f32 = 0.1;

/// One facet value with its label in the requested language.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FacetValue {
    pub value: String,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Highlights {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Labelled {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HealthFields {
    pub min_age: Option<u64>,
    pub max_age: Option<u64>,
    pub individuals: Option<u64>,
    pub records: Option<u64>,
    pub diseases: Vec<Labelled>,
    pub health_themes: Vec<Labelled>,
    pub health_categories: Vec<Labelled>,
    pub temporal_start: Option<String>,
    pub temporal_end: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    /// The first `dct:identifier`, when there is one.
    pub identifier: Option<String>,
    pub iri: String,
    pub kind: String,
    pub score: f32,
    pub title: Option<String>,
    pub description: Option<String>,
    pub country: Vec<Labelled>,
    pub publisher: Option<Labelled>,
    pub source: String,
    pub modified: Option<String>,
    pub access: Vec<Labelled>,
    pub highlights: Highlights,
    pub health: HealthFields,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub took_ms: f64,
    pub page: usize,
    pub size: usize,
    pub sort: Sort,
    pub lang: String,
    /// True when nothing matched exactly and misspellings were allowed.
    pub fuzzy: bool,
    pub hits: Vec<Hit>,
    pub facets: FacetCounts,
}

/// The text in `lang` from (language, text) pairs, with fallbacks.
pub fn pick<'a>(texts: &'a [(String, String)], lang: &str) -> Option<&'a str> {
    pick_label(texts, lang)
}

impl SearchIndex {
    /// One query per searched language field of a group (and its neutral
    /// field): the text analysed as that field is.
    fn term_queries(
        &self,
        text: &str,
        group: &[tantivy::schema::Field],
        slots: &[usize],
        boost: f32,
        out: &mut Vec<Box<dyn Query>>,
    ) {
        for slot in slots.iter().copied().chain([ANY]) {
            let field = &group[slot];
            let words = slot_words(slot, text);
            if words.is_empty() {
                continue;
            }
            let query: Box<dyn Query> = if words.len() == 1 {
                Box::new(TermQuery::new(
                    Term::from_field_text(*field, &words[0]),
                    IndexRecordOption::WithFreqs,
                ))
            } else {
                let terms: Vec<Term> = words
                    .iter()
                    .take(16)
                    .map(|w| Term::from_field_text(*field, w))
                    .collect();
                Box::new(PhraseQuery::new(terms))
            };
            out.push(Box::new(BoostQuery::new(query, boost)));
        }
    }

    /// The query for one word or phrase: the fields of the searched
    /// languages (`slots`) and the language-neutral ones, the disease codes,
    /// the identifiers; with `fuzzy`, misspellings in the neutral fields.
    /// Only the searched languages: every further language field is one
    /// more posting list to seek for each candidate. The fields are only
    /// sought to the candidates (see [`CandidateQuery`]).
    fn match_query(
        &self,
        text: &str,
        field: Option<&str>,
        fuzzy: bool,
        slots: &[usize],
    ) -> Vec<Box<dyn Query>> {
        let f = &self.fields;
        let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
        if field != Some("text") {
            self.term_queries(text, &f.title, slots, TITLE_BOOST, &mut disjuncts);
        }
        if field != Some("title") {
            self.term_queries(text, &f.text, slots, 1.0, &mut disjuncts);
        }
        if field.is_none() {
            if let Some(code) = DiseaseCode::from_literal(text, false) {
                disjuncts.push(Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.disease, &code.key()),
                        IndexRecordOption::Basic,
                    )),
                    DISEASE_BOOST,
                )));
            }
            disjuncts.push(Box::new(BoostQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(f.identifier, &text.to_lowercase()),
                    IndexRecordOption::Basic,
                )),
                IDENTIFIER_BOOST,
            )));
        }
        // Stems as prefixes of the unstemmed words: Nordic definite and
        // compound forms the stemmers leave apart ("registret" / "register").
        let plain = slot_words(ANY, text);
        if let [plain] = plain.as_slice() {
            let mut stems: Vec<String> = Vec::new();
            for &slot in slots {
                if let [stem] = slot_tokens(slot, text).as_slice() {
                    if stem.text.chars().count() >= 5
                        && stem.text != *plain
                        && !stems.contains(&stem.text)
                    {
                        stems.push(stem.text.clone());
                    }
                }
            }
            // A prefix expands to every term it starts in each segment,
            // whose postings make one set: cached, like a filter's.
            for stem in &stems {
                let prefix = |group: &str, field: tantivy::schema::Field, boost: f32| {
                    Box::new(BoostQuery::new(
                        Box::new(CachedSetQuery::new(
                            format!("prefix {group} {stem}"),
                            Box::new(PhrasePrefixQuery::new(vec![Term::from_field_text(
                                field, stem,
                            )])),
                            self.docsets.clone(),
                        )),
                        boost,
                    )) as Box<dyn Query>
                };
                if field != Some("text") {
                    disjuncts.push(prefix("title", f.title[ANY], TITLE_BOOST * 0.5));
                }
                if field != Some("title") {
                    disjuncts.push(prefix("text", f.text[ANY], 0.5));
                }
            }
        }
        if fuzzy {
            let words = slot_tokens(ANY, text);
            if let [word] = words.as_slice() {
                let length = word.text.chars().count();
                let distance = if length >= 8 {
                    2
                } else if length >= 4 {
                    1
                } else {
                    0
                };
                if distance > 0 {
                    for group in [&f.title[ANY], &f.text[ANY]] {
                        disjuncts.push(Box::new(BoostQuery::new(
                            Box::new(FuzzyTermQuery::new(
                                Term::from_field_text(*group, &word.text),
                                distance,
                                true,
                            )),
                            0.5,
                        )));
                    }
                }
            }
        }
        disjuncts
    }

    fn facet_term(&self, dimension: &str, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_facet(self.fields.facets, &Facet::from_path([dimension, value])),
            IndexRecordOption::Basic,
        ))
    }

    fn any_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            queries.into_iter().map(|q| (Occur::Should, q)).collect(),
        ))
    }

    /// A required clause whose documents are cached per segment under `key`.
    fn cached(&self, key: String, query: Box<dyn Query>) -> CachedSetQuery {
        CachedSetQuery::new(key, query, self.docsets.clone())
    }

    /// Builds the whole query: text parts (all required) and filters, each
    /// a cached set of documents; the words are scored at the documents
    /// in every set.
    fn build_query(&self, q: &SearchQuery, fuzzy: bool) -> Box<dyn Query> {
        let f = &self.fields;
        let mut required: Vec<CachedSetQuery> = Vec::new();
        let mut excluded: Vec<CachedSetQuery> = Vec::new();
        let mut scored: Vec<ScoredClause> = Vec::new();
        let mut diseases = q.diseases.clone();
        let mut countries: Vec<String> = Vec::new();
        let slots = q.text_slots();
        for part in parse_text(&q.text) {
            match part {
                QueryPart::Match {
                    text,
                    field,
                    exclude,
                } => {
                    let fuzzy = fuzzy && !exclude;
                    let disjuncts = self.match_query(&text, field, fuzzy, &slots);
                    if disjuncts.is_empty() {
                        continue;
                    }
                    // Everything the word's documents depend on (the
                    // languages as a set: their order changes no document).
                    let mut languages = slots.clone();
                    languages.sort_unstable();
                    let key = format!("word {field:?} {fuzzy} {languages:?} {text}");
                    // Scores also depend on the order of the fields
                    // (disjuncts are summed in order).
                    let score_key = format!("score {field:?} {fuzzy} {slots:?} {text}");
                    let docs = CachedSetQuery::any_of(
                        key,
                        disjuncts.iter().map(|q| q.box_clone()).collect(),
                        self.docsets.clone(),
                    );
                    if exclude {
                        excluded.push(docs);
                    } else {
                        required.push(docs);
                        scored.push(ScoredClause {
                            key: score_key,
                            query: Box::new(SeekingDisMaxQuery::new(disjuncts, TIE_BREAKER)),
                        });
                    }
                }
                QueryPart::Disease(key) => diseases.push(key),
                QueryPart::Country(key) => countries.push(key),
            }
        }
        for (dimension, values) in &q.filters {
            let terms = values
                .iter()
                .map(|v| self.facet_term(dimension, v))
                .collect();
            required
                .push(self.cached(format!("facet {dimension} {values:?}"), Self::any_of(terms)));
        }
        if !countries.is_empty() {
            let terms = countries
                .iter()
                .map(|v| self.facet_term("country", v))
                .collect();
            required.push(self.cached(format!("facet country {countries:?}"), Self::any_of(terms)));
        }
        if !diseases.is_empty() {
            let terms = diseases
                .iter()
                .map(|key| -> Box<dyn Query> {
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.disease, key),
                        IndexRecordOption::Basic,
                    ))
                })
                .collect();
            required.push(self.cached(format!("disease {diseases:?}"), Self::any_of(terms)));
        }
        let u64_range = |field, low: Bound<u64>, high: Bound<u64>| -> Box<dyn Query> {
            let term = |v: u64| Term::from_field_u64(field, v);
            Box::new(RangeQuery::new(low.map(term), high.map(term)))
        };
        let i64_range = |field, low: Bound<i64>, high: Bound<i64>| -> Box<dyn Query> {
            let term = |v: i64| Term::from_field_i64(field, v);
            Box::new(RangeQuery::new(low.map(term), high.map(term)))
        };
        // Ranges overlap when each starts before the other ends.
        if let Some(to) = q.age_to {
            required.push(self.cached(
                format!("min_age <= {to}"),
                u64_range(f.min_age, Bound::Unbounded, Bound::Included(to)),
            ));
        }
        if let Some(from) = q.age_from {
            required.push(self.cached(
                format!("max_age >= {from}"),
                u64_range(f.max_age, Bound::Included(from), Bound::Unbounded),
            ));
        }
        if let Some(n) = q.min_individuals {
            required.push(self.cached(
                format!("individuals >= {n}"),
                u64_range(f.individuals, Bound::Included(n), Bound::Unbounded),
            ));
        }
        if let Some(n) = q.min_records {
            required.push(self.cached(
                format!("records >= {n}"),
                u64_range(f.records, Bound::Included(n), Bound::Unbounded),
            ));
        }
        if let Some(day) = q.modified_after {
            required.push(self.cached(
                format!("modified > {day}"),
                i64_range(f.modified, Bound::Excluded(day), Bound::Unbounded),
            ));
        }
        if let Some(to) = q.temporal_to {
            required.push(self.cached(
                format!("temporal_start <= {to}"),
                i64_range(f.temporal_start, Bound::Unbounded, Bound::Included(to)),
            ));
        }
        if let Some(from) = q.temporal_from {
            required.push(self.cached(
                format!("temporal_end >= {from}"),
                i64_range(f.temporal_end, Bound::Included(from), Bound::Unbounded),
            ));
        }
        Box::new(CandidateQuery::new(
            required,
            excluded,
            scored,
            self.scores.clone(),
        ))
    }

    /// Runs a search.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, IndexError> {
        let started = Instant::now();
        let searcher = self.reader.searcher();
        let facets = FacetCounter {
            field: "facets",
            tables: &self.facet_tables,
        };
        let offset = (q.page - 1) * q.size;
        let limit = q.size.max(1);
        let mut fuzzy = false;
        let run = |query: &dyn Query| -> Result<Collected, IndexError> {
            let top = TopDocs::with_limit(limit).and_offset(offset);
            Ok(match q.sort {
                Sort::Relevance => {
                    searcher.search(query, &(top.order_by_score(), Count, facets))?
                }
                Sort::Modified => {
                    let (hits, count, counts) = searcher.search(
                        query,
                        &(
                            top.order_by_fast_field::<i64>("modified", Order::Desc),
                            Count,
                            facets,
                        ),
                    )?;
                    (
                        hits.into_iter().map(|(_, a)| (0.0, a)).collect(),
                        count,
                        counts,
                    )
                }
                Sort::Title => {
                    let (hits, count, counts) = searcher.search(
                        query,
                        &(
                            top.order_by_string_fast_field("sort_title", Order::Asc),
                            Count,
                            facets,
                        ),
                    )?;
                    (
                        hits.into_iter().map(|(_, a)| (0.0, a)).collect(),
                        count,
                        counts,
                    )
                }
            })
        };
        let mut outcome = run(self.build_query(q, false).as_ref())?;
        if outcome.1 == 0
            && parse_text(&q.text)
                .iter()
                .any(|p| matches!(p, QueryPart::Match { exclude: false, .. }))
        {
            let retry = run(self.build_query(q, true).as_ref())?;
            if retry.1 > 0 {
                fuzzy = true;
                outcome = retry;
            }
        }
        let (top, total, counts) = outcome;
        let highlighter = Highlighter::new(&q.text);
        let mut hits = Vec::with_capacity(if q.size == 0 { 0 } else { top.len() });
        if q.size > 0 {
            for (score, address) in top {
                let summary = self.hit_summary(&searcher, address)?;
                hits.push(self.hit(&summary, score, &q.lang, &highlighter));
            }
        }
        let mut facet_counts = FacetCounts::new();
        for (dimension, counts) in FACETS.iter().zip(counts) {
            let mut values: Vec<(Arc<str>, u64)> = counts.into_iter().collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            values.truncate(FACET_VALUES);
            let values = values
                .into_iter()
                .map(|(value, count)| FacetValue {
                    label: self.cached_label(format!("{dimension} {value} {}", q.lang), || {
                        self.facet_label(&searcher, dimension, &value, &q.lang)
                    }),
                    value: value.to_string(),
                    count,
                })
                .collect();
            facet_counts.insert(dimension.to_string(), values);
        }
        Ok(SearchResults {
            total,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            page: q.page,
            size: q.size,
            sort: q.sort,
            lang: q.lang.clone(),
            fuzzy,
            hits,
            facets: facet_counts,
        })
    }

    /// The label of a facet value in a language.
    pub fn facet_label(
        &self,
        searcher: &tantivy::Searcher,
        dimension: &str,
        value: &str,
        lang: &str,
    ) -> String {
        let vocab = self.vocabulary();
        let concept = |scheme: &str| {
            vocab
                .label(&concept_iri(scheme, value), lang)
                .map(str::to_string)
        };
        let label = match dimension {
            "country" => vocab.label(&country_iri(value), lang).map(str::to_string),
            "publisher" => pick(&self.publisher_names(searcher, value), lang).map(str::to_string),
            "theme" => concept(THEME_SCHEME),
            "health_category" => concept(HEALTH_CATEGORY_SCHEME),
            "health_theme" => concept(HEALTH_THEME_SCHEME),
            "access" => concept(ACCESS_SCHEME),
            "format" => concept(FORMAT_SCHEME),
            "licence" => concept(LICENCE_SCHEME),
            "disease" => Some(self.disease_label(value, lang).label),
            "disease_chapter" => vocab
                .label(&chapter_iri(value), lang)
                .or_else(|| chapter_title(value))
                .map(str::to_string),
            "profile" => crate::profiles::manifest(value).ok().map(|m| m.title),
            _ => None,
        };
        label.unwrap_or_else(|| value.to_string())
    }

    fn labelled(&self, scheme: &str, iris: &[String], lang: &str) -> Vec<Labelled> {
        iris.iter()
            .map(|iri| Labelled {
                value: concept_key(scheme, iri),
                label: self
                    .vocabulary()
                    .label(iri, lang)
                    .map_or_else(|| concept_key(scheme, iri), str::to_string),
            })
            .collect()
    }

    /// A disease code with its label (its own, or its nearest labelled ancestor's).
    pub fn disease_label(&self, written: &str, lang: &str) -> Labelled {
        let vocab = self.vocabulary();
        let mut label = None;
        let mut code = DiseaseCode::from_literal(written, true);
        while let Some(current) = code {
            if let Some(found) = vocab.label(&current.iri(), lang) {
                label = Some(found.to_string());
                break;
            }
            code = current.truncated();
        }
        Labelled {
            value: written.to_string(),
            label: label.unwrap_or_else(|| written.to_string()),
        }
    }

    fn hit(&self, s: &RecordSummary, score: f32, lang: &str, highlighter: &Highlighter) -> Hit {
        let title = pick(&s.titles, lang).map(str::to_string);
        let description = pick(&s.descriptions, lang).map(str::to_string);
        Hit {
            id: s.id.clone(),
            identifier: s.identifiers.first().cloned(),
            iri: s.iri.clone(),
            kind: s.kind.clone(),
            score,
            highlights: Highlights {
                title: title.as_deref().and_then(|t| highlighter.mark(t, 400)),
                description: description
                    .as_deref()
                    .and_then(|d| highlighter.mark(d, 240)),
            },
            title,
            description,
            country: s
                .countries
                .iter()
                .map(|c| Labelled {
                    value: c.clone(),
                    label: self
                        .vocabulary()
                        .label(&country_iri(c), lang)
                        .map_or_else(|| c.clone(), str::to_string),
                })
                .collect(),
            publisher: s.publisher.as_ref().map(|p| Labelled {
                value: p.iri.clone(),
                label: pick(&p.names, lang).unwrap_or(&p.iri).to_string(),
            }),
            source: s.source.clone(),
            modified: s.modified.clone(),
            access: self.labelled(ACCESS_SCHEME, &s.access, lang),
            health: HealthFields {
                min_age: s.min_age,
                max_age: s.max_age,
                individuals: s.individuals,
                records: s.records,
                diseases: s
                    .diseases
                    .iter()
                    .map(|d| self.disease_label(d, lang))
                    .collect(),
                health_themes: self.labelled(HEALTH_THEME_SCHEME, &s.health_themes, lang),
                health_categories: self.labelled(
                    HEALTH_CATEGORY_SCHEME,
                    &s.health_categories,
                    lang,
                ),
                temporal_start: s.temporal_start.clone(),
                temporal_end: s.temporal_end.clone(),
            },
        }
    }

    /// A record as JSON for `GET /api/datasets/{id}`: every field search
    /// keeps, with labels in `lang`.
    pub fn dataset_json(
        &self,
        id: &str,
        lang: &str,
    ) -> Result<Option<serde_json::Value>, IndexError> {
        let Some(s) = self.summary(id)? else {
            return Ok(None);
        };
        let hit = self.hit(&s, 0.0, lang, &Highlighter::new(""));
        let searcher = self.reader.searcher();
        let concepts = |dimension: &str, scheme: &str, iris: &[String]| -> Vec<serde_json::Value> {
            iris.iter()
                .map(|iri| {
                    let key = concept_key(scheme, iri);
                    serde_json::json!({
                        "value": key,
                        "iri": iri,
                        "label": self.facet_label(&searcher, dimension, &key, lang),
                    })
                })
                .collect()
        };
        Ok(Some(serde_json::json!({
            "id": s.id,
            "iri": s.iri,
            "kind": s.kind,
            "source": s.source,
            "identifiers": s.identifiers,
            "title": hit.title,
            "description": hit.description,
            "titles": s.titles.iter().map(|(l, t)| serde_json::json!({"lang": l, "value": t})).collect::<Vec<_>>(),
            "descriptions": s.descriptions.iter().map(|(l, t)| serde_json::json!({"lang": l, "value": t})).collect::<Vec<_>>(),
            "keywords": s.keywords.iter().map(|(l, t)| serde_json::json!({"lang": l, "value": t})).collect::<Vec<_>>(),
            "population_coverage": pick(&s.population, lang),
            "country": hit.country,
            "publisher": hit.publisher,
            "themes": concepts("theme", THEME_SCHEME, &s.themes),
            "health_categories": concepts("health_category", HEALTH_CATEGORY_SCHEME, &s.health_categories),
            "health_themes": concepts("health_theme", HEALTH_THEME_SCHEME, &s.health_themes),
            "access": concepts("access", ACCESS_SCHEME, &s.access),
            "formats": concepts("format", FORMAT_SCHEME, &s.formats),
            "licences": concepts("licence", LICENCE_SCHEME, &s.licences),
            "diseases": hit.health.diseases,
            "min_age": s.min_age,
            "max_age": s.max_age,
            "individuals": s.individuals,
            "records": s.records,
            "temporal": {"start": s.temporal_start, "end": s.temporal_end},
            "issued": s.issued,
            "modified": s.modified,
            "profile": s.profile,
        })))
    }
}

/// Marks query words in a text: a word of the text matches when its folded
/// form starts with the stem of a query word in some language.
pub struct Highlighter {
    stems: Vec<String>,
    /// The first bytes of the stems: an ASCII word starting with none of
    /// them (lower-cased) matches none, which most words of a text show
    /// without being folded.
    first_bytes: [bool; 256],
}

impl Highlighter {
    pub fn new(text: &str) -> Self {
        let mut stems = Vec::new();
        for part in parse_text(text) {
            if let QueryPart::Match {
                text,
                exclude: false,
                ..
            } = part
            {
                for slot in 0..LANGUAGES.len() {
                    for token in slot_tokens(slot, &text) {
                        if token.text.chars().count() >= 2 && !stems.contains(&token.text) {
                            stems.push(token.text);
                        }
                    }
                }
            }
        }
        Self::from_stems(stems)
    }

    fn from_stems(stems: Vec<String>) -> Self {
        let mut first_bytes = [false; 256];
        for stem in &stems {
            if let Some(&first) = stem.as_bytes().first() {
                first_bytes[usize::from(first)] = true;
            }
        }
        Highlighter { stems, first_bytes }
    }

    /// Whether a word of a text (a run of letters and digits, as the
    /// analysers split) starts with a query stem once folded as the
    /// language-neutral field folds it. ASCII words are folded here (lower
    /// case; "aa" -> "a", "oe" -> "o"), which is what the analyser does to
    /// them, at a fraction of its cost; others go through the analyser.
    fn matches(&self, word: &str, folded: &mut String) -> bool {
        // The analysers drop words this long (RemoveLongFilter).
        if word.len() >= 48 {
            return false;
        }
        let hit = |token: &str| self.stems.iter().any(|s| token.starts_with(s.as_str()));
        if word.is_ascii() {
            // Folding keeps the first letter ("aa" -> "a", "oe" -> "o").
            let first = word.as_bytes().first().map(u8::to_ascii_lowercase);
            if !first.is_some_and(|b| self.first_bytes[usize::from(b)]) {
                return false;
            }
            folded.clear();
            folded.push_str(word);
            folded.make_ascii_lowercase();
            if folded.contains("aa") || folded.contains("oe") {
                *folded = folded.replace("aa", "a").replace("oe", "o");
            }
            return hit(folded);
        }
        let mut found = false;
        slot_each_token(ANY, word, |t| {
            found = hit(&t.text);
            !found
        });
        found
    }

    /// The text (cut to about `max` characters around the first match) with
    /// matches in `<em>`, or None when nothing matches.
    pub fn mark(&self, text: &str, max: usize) -> Option<String> {
        if self.stems.is_empty() {
            return None;
        }
        // Matches up to `max` bytes past the first: nothing later is shown.
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut folded = String::new();
        for (from, to) in words(text) {
            if spans.first().is_some_and(|(first, _)| from > first + max) {
                break;
            }
            if self.matches(&text[from..to], &mut folded) {
                spans.push((from, to));
            }
        }
        let first = spans.first()?.0;
        let mut start = first.saturating_sub(max / 3);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + max).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let mut out = String::with_capacity(end - start + 16 * spans.len() + 8);
        if start > 0 {
            out.push('…');
        }
        let mut at = start;
        for (from, to) in spans {
            if from < at || to > end {
                continue;
            }
            escape_into(&mut out, &text[at..from]);
            out.push_str("<em>");
            escape_into(&mut out, &text[from..to]);
            out.push_str("</em>");
            at = to;
        }
        escape_into(&mut out, &text[at..end]);
        if end < text.len() {
            out.push('…');
        }
        Some(out)
    }
}

/// The (start, end) byte offsets of the words of a text: runs of letters
/// and digits, as Tantivy's SimpleTokenizer splits.
fn words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = text.as_bytes();
    // Whether the character at a byte offset is a letter or digit, and its
    // length: ASCII without decoding.
    let at = move |i: usize| -> (bool, usize) {
        match bytes[i] {
            b if b.is_ascii() => (b.is_ascii_alphanumeric(), 1),
            _ => text[i..]
                .chars()
                .next()
                .map_or((false, 1), |c| (c.is_alphanumeric(), c.len_utf8())),
        }
    };
    let mut next = 0;
    std::iter::from_fn(move || {
        while next < bytes.len() {
            let (word, len) = at(next);
            if word {
                break;
            }
            next += len;
        }
        if next >= bytes.len() {
            return None;
        }
        let from = next;
        while next < bytes.len() {
            let (word, len) = at(next);
            if !word {
                break;
            }
            next += len;
        }
        Some((from, next))
    })
}

/// HTML-escapes a fragment onto `out` (highlights are meant to be
/// inserted as HTML).
fn escape_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            _ => "&gt;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> Result<SearchQuery, IndexError> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        SearchQuery::from_params(pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())))
    }

    #[test]
    fn parameters_are_checked_and_named() {
        let q = params("q=diabetes&country=no&country=SE&disease=E11&age_from=0&age_to=17&sort=modified&page=2&size=5&lang=nb").unwrap();
        assert_eq!(q.filters["country"], ["NO", "SE"]);
        assert_eq!(q.diseases, ["icd10:E11"]);
        assert_eq!(
            (q.age_from, q.age_to, q.page, q.size),
            (Some(0), Some(17), 2, 5)
        );
        for (bad, name) in [
            ("age_from=x", "age_from"),
            ("age_from=-1", "age_from"),
            ("country=Norway!", "country"),
            ("disease=diabetes", "disease"),
            ("sort=random", "sort"),
            ("page=0", "page"),
            ("size=1000", "size"),
            ("modified_after=yesterday", "modified_after"),
            ("colour=red", "colour"),
            ("lang=%3Cscript%3E", "lang"),
            ("age_from=10&age_to=5", "age_from"),
            ("page=99999999999999999999", "page"),
        ] {
            let error = params(bad).unwrap_err().to_string();
            assert!(error.starts_with(name), "{bad}: {error}");
        }
    }

    #[test]
    fn query_text_never_fails() {
        for text in [
            "",
            "\"",
            "\"\"",
            "-",
            "--",
            ":",
            "title:",
            "title:\"",
            "disease:",
            "disease:xyz",
            "AND OR NOT",
            "((((",
            "*",
            "?",
            "\\",
            "a:b:c:d",
            "\u{0}",
            "🙂",
            "title:\"breast cancer",
            "-\"",
            "country:zz9",
            "ÆØÅ æøå",
            "x".repeat(500).as_str(),
        ] {
            let _ = parse_text(text);
        }
        assert_eq!(
            parse_text("diabetes \"type 1\" -adult title:kreft disease:E11 country:NO"),
            vec![
                QueryPart::Match {
                    text: "diabetes".into(),
                    field: None,
                    exclude: false
                },
                QueryPart::Match {
                    text: "type 1".into(),
                    field: None,
                    exclude: false
                },
                QueryPart::Match {
                    text: "adult".into(),
                    field: None,
                    exclude: true
                },
                QueryPart::Match {
                    text: "kreft".into(),
                    field: Some("title"),
                    exclude: false
                },
                QueryPart::Disease("icd10:E11".into()),
                QueryPart::Country("NO".into()),
            ]
        );
    }

    /// The folding of ASCII words by hand is the analyser's.
    #[test]
    fn highlight_words_fold_as_the_analyser() {
        let text =
            "Kreftregisteret, TROMSOE og Aalborg: Tromsø-data; x1 ÆØÅ «Brustkrebs» naïve Straße";
        let ours: Vec<&str> = words(text).map(|(a, b)| &text[a..b]).collect();
        let theirs: Vec<String> = slot_tokens(ANY, text)
            .into_iter()
            .map(|t| text[t.offset_from..t.offset_to].to_string())
            .collect();
        assert_eq!(ours, theirs);
        for word in ours {
            let h = Highlighter::from_stems(slot_words(ANY, word));
            assert!(h.matches(word, &mut String::new()), "{word}");
        }
        let h = Highlighter::new("tromsø aalborg");
        let marked = h.mark("Data from Tromsoe and Ålborg", 200).unwrap();
        assert_eq!(marked, "Data from <em>Tromsoe</em> and <em>Ålborg</em>");
    }

    #[test]
    fn highlights_mark_stemmed_matches_and_escape() {
        let h = Highlighter::new("registries");
        let marked = h
            .mark("The <national> registry of births & deaths", 200)
            .unwrap();
        assert_eq!(
            marked,
            "The &lt;national&gt; <em>registry</em> of births &amp; deaths"
        );
        assert!(h.mark("nothing here", 200).is_none());
        let long = format!("{} registry {}", "å".repeat(300), "ø".repeat(300));
        assert!(h
            .mark(&long, 50)
            .is_some_and(|m| m.contains("<em>registry</em>")));
    }
}
