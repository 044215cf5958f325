//! `GET /`: the search page. A plain GET form whose fields carry the names
//! of `/api/search`'s parameters, so the URL holds the whole query (a search
//! can be shared or bookmarked) and the page works without JavaScript;
//! facets are checkboxes of that form, with links to remove each active
//! filter; paging links keep the query.

use super::{href, query_pairs, request_lang, respond, Lang, Page};
use crate::index::query::{SearchResults, MAX_DEPTH};
use crate::index::{IndexError, SearchQuery};
use crate::serve::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

/// The facets the page shows, in order.
pub const FACETS: [&str; 10] = [
    "country",
    "disease",
    "disease_chapter",
    "health_category",
    "health_theme",
    "theme",
    "access",
    "publisher",
    "format",
    "licence",
];

/// Parameters that are inputs of their own in the form (not facet boxes).
const FIELDS: [&str; 8] = [
    "q",
    "disease",
    "age_from",
    "age_to",
    "min_individuals",
    "min_records",
    "sort",
    "size",
];

/// The query as the page keeps it: non-empty pairs, without `lang` and `page`
/// (a new filter starts at page 1; the language goes with the cookie, or
/// with `lang` when the URL had it).
#[derive(Debug, Clone)]
pub struct PageQuery {
    pub pairs: Vec<(String, String)>,
    /// `lang` as the URL gave it, kept in links.
    pub lang_param: Option<String>,
    pub page: usize,
}

impl PageQuery {
    pub fn from_pairs(all: &[(String, String)]) -> Self {
        let mut pairs = Vec::new();
        let mut lang_param = None;
        let mut page = 1;
        for (k, v) in all {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match k.as_str() {
                "lang" => lang_param = Some(v.to_string()),
                "page" => page = v.parse().unwrap_or(0),
                _ => {
                    if !pairs.iter().any(|(pk, pv)| pk == k && pv == v) {
                        pairs.push((k.clone(), v.to_string()))
                    }
                }
            }
        }
        PageQuery {
            pairs,
            lang_param,
            page,
        }
    }

    fn with_lang(&self, mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
        if let Some(lang) = &self.lang_param {
            pairs.push(("lang".into(), lang.clone()));
        }
        pairs
    }

    /// The link to this query's page `n`.
    pub fn page_href(&self, n: usize) -> String {
        let mut pairs = self.pairs.clone();
        if n > 1 {
            pairs.push(("page".into(), n.to_string()));
        }
        href("/", &self.with_lang(pairs))
    }

    fn has(&self, name: &str, value: &str) -> bool {
        self.pairs
            .iter()
            .any(|(k, v)| k == name && v.eq_ignore_ascii_case(value))
    }

    /// The link with one filter value removed.
    pub fn without(&self, name: &str, value: &str) -> String {
        let pairs = self
            .pairs
            .iter()
            .filter(|(k, v)| !(k == name && v.eq_ignore_ascii_case(value)))
            .cloned()
            .collect();
        href("/", &self.with_lang(pairs))
    }

    /// The link with one filter value added, or removed when it is there.
    pub fn toggled(&self, name: &str, value: &str) -> String {
        if self.has(name, value) {
            return self.without(name, value);
        }
        let mut pairs = self.pairs.clone();
        pairs.push((name.to_string(), value.to_string()));
        href("/", &self.with_lang(pairs))
    }

    fn first(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The checked search request in `lang`.
    pub fn search_query(&self, lang: Lang) -> Result<SearchQuery, IndexError> {
        let mut pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let page = self.page.to_string();
        pairs.push(("page", &page));
        pairs.push(("lang", lang.tag()));
        SearchQuery::from_params(pairs)
    }
}

/// `GET /`.
pub async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let all = query_pairs(raw.as_deref());
    let (lang, remember) = request_lang(&all, &headers);
    let query = PageQuery::from_pairs(&all);
    let title = match query.first("q") {
        Some(q) => format!("{q} – {}", lang.text("search.title")),
        None => lang.text("search.title").to_string(),
    };
    let page = Page::new(lang, "/", all.clone(), title, "search");
    let Some(index) = state.search.clone() else {
        return super::error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            &page,
            lang.text("error.no_search"),
        );
    };
    let outcome = match query.search_query(lang) {
        Ok(checked) => tokio::task::spawn_blocking(move || index.search(&checked))
            .await
            .unwrap_or_else(|e| Err(IndexError::Internal(e.to_string()))),
        Err(error) => Err(error),
    };
    let (status, results, error) = match outcome {
        Ok(results) => (StatusCode::OK, Some(results), None),
        Err(error @ IndexError::BadParameter { .. }) => {
            (StatusCode::BAD_REQUEST, None, Some(error.to_string()))
        }
        Err(error) => {
            tracing::error!(%error, "search page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                Some(error.to_string()),
            )
        }
    };
    let context = context(&query, lang, results.as_ref(), error);
    respond(status, "search.html", &page, remember, context)
}

/// The page's template context.
pub fn context(
    query: &PageQuery,
    lang: Lang,
    results: Option<&SearchResults>,
    error: Option<String>,
) -> Value {
    let mut facets = Vec::new();
    let mut shown: Vec<(String, String)> = Vec::new();
    if let Some(results) = results {
        for name in FACETS {
            let mut values: Vec<Value> = Vec::new();
            let mut listed: Vec<String> = Vec::new();
            for value in results.facets.get(name).into_iter().flatten() {
                let selected = query.has(name, &value.value);
                listed.push(value.value.to_ascii_uppercase());
                if selected {
                    shown.push((name.to_string(), value.value.clone()));
                }
                values.push(json!({
                    "value": value.value,
                    "label": value.label,
                    "count": value.count,
                    "selected": selected,
                    "href": query.toggled(name, &value.value),
                }));
            }
            // A selected value the result no longer counts stays a checked box.
            for (k, v) in &query.pairs {
                if k == name && !listed.contains(&v.to_ascii_uppercase()) {
                    shown.push((k.clone(), v.clone()));
                    values.insert(
                        0,
                        json!({"value": v, "label": v, "count": 0, "selected": true,
                               "href": query.without(name, v)}),
                    );
                }
            }
            if !values.is_empty() {
                facets.push(json!({
                    "name": name,
                    "title": lang.text(&format!("facet.{name}")),
                    "values": values,
                }));
            }
        }
    }
    // Active filters, each with a link that removes it; labels from the facets.
    let label_of = |name: &str, value: &str| -> String {
        results
            .and_then(|r| r.facets.get(name))
            .and_then(|values| {
                values
                    .iter()
                    .find(|v| v.value.eq_ignore_ascii_case(value))
                    .map(|v| v.label.clone())
            })
            .unwrap_or_else(|| value.to_string())
    };
    let active: Vec<Value> = query
        .pairs
        .iter()
        .filter(|(k, _)| k != "sort" && k != "size")
        .map(|(k, v)| {
            let kind = if FACETS.contains(&k.as_str()) {
                lang.text(&format!("facet.{k}")).to_string()
            } else {
                lang.lookup(&format!("filter.{k}_value"))
                    .map_or_else(|| k.clone(), str::to_string)
            };
            json!({"name": k, "kind": kind, "label": label_of(k, v), "href": query.without(k, v)})
        })
        .collect();
    // Everything the visible inputs do not carry goes along as hidden fields.
    let hidden: Vec<Value> = query
        .pairs
        .iter()
        .filter(|(k, v)| {
            !FIELDS.contains(&k.as_str())
                && !shown
                    .iter()
                    .any(|(sk, sv)| sk == k && sv.eq_ignore_ascii_case(v))
        })
        .map(|(k, v)| json!({"name": k, "value": v}))
        .chain(
            query
                .lang_param
                .iter()
                .map(|l| json!({"name": "lang", "value": l})),
        )
        .collect();
    let field = |name: &str| query.first(name).unwrap_or("").to_string();
    let mut results_json = Value::Null;
    let mut paging = Value::Null;
    if let Some(r) = results {
        let size = r.size.max(1);
        let last = r.total.div_ceil(size).clamp(1, MAX_DEPTH / size);
        let window: Vec<Value> = (r.page.saturating_sub(2).max(1)..=(r.page + 2).min(last))
            .map(|n| json!({"n": n, "href": query.page_href(n), "current": n == r.page}))
            .collect();
        paging = json!({
            "page": r.page,
            "last": last,
            "previous": (r.page > 1).then(|| query.page_href(r.page - 1)),
            "next": (r.page < last).then(|| query.page_href(r.page + 1)),
            "first": (r.page > 3).then(|| query.page_href(1)),
            "final": (r.page + 2 < last).then(|| query.page_href(last)),
            "window": window,
        });
        let dataset_link = |id: &str| match &query.lang_param {
            Some(l) => href(&format!("/datasets/{id}"), &[("lang".into(), l.clone())]),
            None => format!("/datasets/{id}"),
        };
        let hits: Vec<Value> = r
            .hits
            .iter()
            .map(|hit| {
                let description = hit.description.as_deref().map(|d| shorten(d, 320));
                json!({
                    "id": hit.id,
                    "href": dataset_link(&hit.id),
                    "kind": lang.text(&format!("kind.{}", kind_key(&hit.kind))),
                    "title": hit.title,
                    "title_html": hit.highlights.title,
                    "description": description,
                    "description_html": hit.highlights.description,
                    "country": hit.country,
                    "publisher": hit.publisher,
                    "access": hit.access,
                    "modified": hit.modified.as_deref().map(|m| m.get(..10).unwrap_or(m)),
                    "health": hit.health,
                })
            })
            .collect();
        results_json = json!({
            "total": r.total,
            "took_ms": format!("{:.0}", r.took_ms),
            "fuzzy": r.fuzzy,
            "hits": hits,
            "sort": r.sort,
        });
    }
    let sorts: Vec<Value> = ["relevance", "modified", "title"]
        .iter()
        .map(|s| {
            json!({"value": s, "label": lang.text(&format!("sort.{s}")),
                   "selected": field("sort") == *s})
        })
        .collect();
    json!({
        "q": field("q"),
        // Every `disease` of the query is a checked box of the disease facet;
        // the text input is for adding another code.
        "disease": "",
        "age_from": field("age_from"),
        "age_to": field("age_to"),
        "min_individuals": field("min_individuals"),
        "min_records": field("min_records"),
        "size": field("size"),
        "sorts": sorts,
        "facets": facets,
        "active": active,
        "clear": href("/", &query.with_lang(Vec::new())),
        "hidden": hidden,
        "results": results_json,
        "paging": paging,
        "error": error,
    })
}

/// The translation key of a record kind ("dataset series" → "series").
fn kind_key(kind: &str) -> &'static str {
    match kind {
        "dataset series" | "series" | "DatasetSeries" => "series",
        "data service" | "service" | "DataService" => "service",
        "catalog" | "Catalog" => "catalog",
        _ => "dataset",
    }
}

/// A text cut at a word boundary near `max` characters.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > max / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(raw: &str) -> Vec<(String, String)> {
        query_pairs(Some(raw))
    }

    #[test]
    fn empty_fields_are_dropped_and_links_keep_the_query() {
        let q = PageQuery::from_pairs(&pairs(
            "q=kreft&country=NO&age_from=&disease=&sort=&page=3&lang=nb",
        ));
        assert_eq!(
            q.pairs,
            vec![
                ("q".to_string(), "kreft".to_string()),
                ("country".to_string(), "NO".to_string())
            ]
        );
        assert_eq!(q.page, 3);
        assert_eq!(q.page_href(4), "/?q=kreft&country=NO&page=4&lang=nb");
        assert_eq!(q.page_href(1), "/?q=kreft&country=NO&lang=nb");
        assert_eq!(q.toggled("country", "no"), "/?q=kreft&lang=nb");
        assert_eq!(
            q.toggled("theme", "HEAL"),
            "/?q=kreft&country=NO&theme=HEAL&lang=nb"
        );
        let checked = q.search_query(Lang::Nb).unwrap();
        assert_eq!(checked.page, 3);
        assert_eq!(checked.lang, "nb");
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let q = PageQuery::from_pairs(&pairs("age_from=ten"));
        let error = q.search_query(Lang::En).unwrap_err();
        assert!(error.to_string().contains("age_from"), "{error}");
    }

    #[test]
    fn shortening() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("one two three four", 10), "one two…");
    }
}
