//! The web UI: server-rendered HTML pages for researchers (search, dataset
//! pages) and stewards (validation), in English and Norwegian bokmål.
//!
//! Templates live in `templates/` and are embedded in the binary by build.rs
//! (every `.html`, `.css`, `.js` there, under its path relative to
//! `templates/`), so the server needs no source tree. Pages extend
//! `base.html` (header, navigation, language switch, footer) and get their
//! strings from [`i18n`] through the template function `t("key")`.
//!
//! Other modules add pages by dropping a template under `templates/` (e.g.
//! `templates/steward/sources.html` extending `base.html`) and calling
//! [`render_page`] with a [`Page`]: the shared environment, layout and
//! translations come with it.

pub mod dataset_page;
pub mod i18n;
pub mod labels;
pub mod search_page;
pub mod validate_page;

pub use i18n::Lang;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::value::Serde;
use minijinja::{Environment, State};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;
use thiserror::Error;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// Templates and assets embedded from `templates/`: (name, content).
pub fn templates() -> &'static [(&'static str, &'static str)] {
    embedded::TEMPLATES
}

#[derive(Debug, Error)]
pub enum UiError {
    #[error("template {template}: {message}")]
    Template { template: String, message: String },
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        super::ServeError::Internal(self.to_string()).into_response()
    }
}

/// The shared template environment: every embedded template, HTML
/// auto-escaping (by the `.html` name), chainable undefined values (an
/// absent optional field renders as nothing), and the function `t(key)`.
pub fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (name, source) in templates() {
            if name.ends_with(".html") {
                if let Err(error) = env.add_template(name, source) {
                    // Caught by the tests (every template is rendered there).
                    tracing::error!(template = name, %error, "template does not compile");
                }
            }
        }
        env.add_function("t", translate);
        env.set_formatter(format_value);
        env
    })
}

/// Writes a value: none and undefined as nothing (JSON nulls of absent
/// fields), and in HTML templates escaped with `&<>"'` only, so IRIs stay
/// readable in the source (minijinja's default escapes `/` as well).
fn format_value(
    out: &mut minijinja::Output,
    state: &mut State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if value.is_none() || value.is_undefined() {
        return Ok(());
    }
    if matches!(state.auto_escape(), minijinja::AutoEscape::Html) && !value.is_safe() {
        let text = value.to_string();
        return out
            .write_str(&super::html::escape(&text))
            .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()));
    }
    minijinja::escape_formatter(out, state, value)
}

/// `t("key")`: the UI string in the page's language (the context's `lang`).
fn translate(state: &State, key: &str) -> String {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::from_tag))
        .unwrap_or(Lang::En);
    lang.text(key).to_string()
}

/// What the shared layout needs to know about a page.
#[derive(Debug, Clone)]
pub struct Page {
    pub lang: Lang,
    /// The request path, for the language switch ("/", "/datasets/abc").
    pub path: String,
    /// The request's query pairs (the switch keeps them, with `lang` replaced).
    pub query: Vec<(String, String)>,
    /// The `<title>` (the site name is appended).
    pub title: String,
    /// Which navigation entry is current: "search", "validate" or another name.
    pub nav: &'static str,
}

impl Page {
    pub fn new(
        lang: Lang,
        path: &str,
        query: Vec<(String, String)>,
        title: String,
        nav: &'static str,
    ) -> Self {
        Page {
            lang,
            path: path.to_string(),
            query,
            title,
            nav,
        }
    }

    /// Links to this page in each language.
    fn switch(&self) -> Vec<Value> {
        Lang::ALL
            .iter()
            .map(|lang| {
                let mut query: Vec<(String, String)> = self
                    .query
                    .iter()
                    .filter(|(k, _)| k != "lang")
                    .cloned()
                    .collect();
                query.push(("lang".into(), lang.tag().into()));
                json!({
                    "tag": lang.tag(),
                    "name": lang.name(),
                    "href": href(&self.path, &query),
                    "current": *lang == self.lang,
                })
            })
            .collect()
    }
}

/// A path with a query string built from pairs.
pub fn href(path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let mut encoded = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        encoded.append_pair(k, v);
    }
    format!("{path}?{}", encoded.finish())
}

/// Renders a page template (one extending `base.html`) with the layout's
/// context (`lang`, `page_title`, `nav`, `languages`) merged into `context`
/// (an object; its own keys win).
pub fn render_page(template: &str, page: &Page, context: Value) -> Result<String, UiError> {
    let mut merged = Map::new();
    merged.insert("lang".into(), json!(page.lang.tag()));
    merged.insert("page_title".into(), json!(page.title));
    merged.insert("nav".into(), json!(page.nav));
    merged.insert("languages".into(), Value::Array(page.switch()));
    merged.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
    if let Value::Object(own) = context {
        merged.extend(own);
    }
    let failed = |e: minijinja::Error| {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        UiError::Template {
            template: template.to_string(),
            message,
        }
    };
    environment()
        .get_template(template)
        .map_err(failed)?
        .render(Serde(Value::Object(merged)))
        .map_err(failed)
}

/// An HTML response in the page's language. `remember` sets the `lang`
/// cookie, so the choice made with the switch (`?lang=`) sticks.
pub fn html_response(status: StatusCode, page: &Page, remember: bool, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(page.lang.tag()),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    if remember {
        if let Ok(cookie) = HeaderValue::from_str(&format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            page.lang.tag()
        )) {
            headers.insert(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// Renders and answers; a template failure is a 500 naming the template.
pub fn respond(
    status: StatusCode,
    template: &str,
    page: &Page,
    remember: bool,
    context: Value,
) -> Response {
    match render_page(template, page, context) {
        Ok(body) => html_response(status, page, remember, body),
        Err(error) => error.into_response(),
    }
}

/// An error page in the layout.
pub fn error_page(status: StatusCode, page: &Page, message: &str) -> Response {
    respond(
        status,
        "error.html",
        page,
        false,
        json!({"status": status.as_u16(), "message": message}),
    )
}

/// The query pairs of a raw query string.
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The language of a request and whether `?lang=` chose it (then the
/// response sets the cookie).
pub fn request_lang(query: &[(String, String)], headers: &HeaderMap) -> (Lang, bool) {
    let asked = query
        .iter()
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.as_str());
    let lang = Lang::choose(asked, headers);
    (lang, asked.and_then(Lang::from_tag).is_some())
}

/// `GET /static/{file}`: the UI's stylesheet and script, from `templates/static/`.
pub async fn static_file(Path(file): Path<String>) -> Response {
    let name = format!("static/{file}");
    let Some((_, content)) = templates().iter().find(|(n, _)| *n == name) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "not found\n",
        )
            .into_response();
    };
    let media = match file.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, media),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        *content,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(lang: Lang) -> Page {
        Page::new(
            lang,
            "/",
            vec![("q".into(), "kreft".into()), ("lang".into(), "en".into())],
            "Test".into(),
            "search",
        )
    }

    #[test]
    fn every_template_compiles() {
        let env = environment();
        for (name, _) in templates() {
            if name.ends_with(".html") {
                env.get_template(name)
                    .unwrap_or_else(|e| panic!("{name}: {e:#}"));
            }
        }
    }

    #[test]
    fn every_key_the_templates_use_is_translated() {
        let pattern = regex::Regex::new(r#"t\(\s*["']([^"']+)["']\s*\)"#).unwrap();
        let mut checked = 0;
        for (name, source) in templates() {
            for found in pattern.captures_iter(source) {
                let key = &found[1];
                assert!(
                    i18n::STRINGS.iter().any(|(k, _, _)| *k == key),
                    "{name} uses {key:?}, which has no translation"
                );
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} keys found");
    }

    #[test]
    fn layout_has_lang_skip_link_and_switch() {
        let html = render_page(
            "error.html",
            &page(Lang::Nb),
            json!({"status": 404, "message": "x <b>"}),
        )
        .unwrap();
        assert!(html.contains("<html lang=\"nb\">"), "{html}");
        assert!(html.contains("href=\"#main\""), "{html}");
        assert!(html.contains("Hopp til hovedinnholdet"));
        // The switch keeps the query and replaces lang.
        assert!(html.contains("href=\"/?q=kreft&amp;lang=en\""), "{html}");
        assert!(html.contains("x &lt;b&gt;"), "auto-escaped: {html}");
        let english = render_page(
            "error.html",
            &page(Lang::En),
            json!({"status": 404, "message": ""}),
        )
        .unwrap();
        assert!(english.contains("<html lang=\"en\">") && english.contains("Skip to main content"));
    }

    #[test]
    fn hrefs_encode_their_query() {
        assert_eq!(
            href(
                "/",
                &[
                    ("q".into(), "a&b c".into()),
                    ("country".into(), "NO".into())
                ]
            ),
            "/?q=a%26b+c&country=NO"
        );
        assert_eq!(href("/validate", &[]), "/validate");
    }
}
