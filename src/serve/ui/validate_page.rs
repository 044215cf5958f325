//! `GET /validate` and `POST /validate`: the stewards' validation page. A
//! plain form (a textarea and a file input, the syntax or detection, the
//! profile) posted to the server, which checks the document record by record
//! like `POST /api/validate` (and within the same body cap) and shows the
//! report grouped by record and property, severity first, in the words of
//! `katalog validate`'s text report.

use super::{query_pairs, request_lang, respond, Lang, Page};
use crate::config::RdfSyntax;
use crate::serve::AppState;
use crate::steward::{self, DocumentReport};
use axum::extract::{FromRequest, Multipart, RawQuery, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

/// The syntaxes offered (value, name); "auto" detects.
const SYNTAXES: [(&str, &str); 7] = [
    ("auto", ""),
    ("turtle", "Turtle"),
    ("rdfxml", "RDF/XML"),
    ("jsonld", "JSON-LD"),
    ("ntriples", "N-Triples"),
    ("nquads", "N-Quads"),
    ("trig", "TriG"),
];

fn syntax(value: &str) -> Option<RdfSyntax> {
    match value {
        "turtle" => Some(RdfSyntax::Turtle),
        "rdfxml" => Some(RdfSyntax::RdfXml),
        "jsonld" => Some(RdfSyntax::JsonLd),
        "ntriples" => Some(RdfSyntax::NTriples),
        "nquads" => Some(RdfSyntax::NQuads),
        "trig" => Some(RdfSyntax::TriG),
        _ => None,
    }
}

/// What the form sent.
#[derive(Debug, Default)]
pub struct Submission {
    pub document: String,
    pub file_name: String,
    pub file: Vec<u8>,
    pub syntax: String,
    pub profile: String,
}

fn form_context(state: &AppState, lang: Lang, submission: &Submission) -> Value {
    let profiles: Vec<Value> = crate::profiles::names()
        .into_iter()
        .map(|name| {
            let title = crate::profiles::manifest(&name)
                .map(|m| m.title)
                .unwrap_or_default();
            let selected = if submission.profile.is_empty() {
                name == crate::profiles::DEFAULT_PROFILE
            } else {
                name == submission.profile
            };
            json!({"name": name, "title": title, "selected": selected})
        })
        .collect();
    let syntaxes: Vec<Value> = SYNTAXES
        .iter()
        .map(|(value, name)| {
            let name = if *value == "auto" {
                lang.text("validate.syntax_auto")
            } else {
                name
            };
            json!({"value": value, "name": name,
                   "selected": submission.syntax == *value || (submission.syntax.is_empty() && *value == "auto")})
        })
        .collect();
    json!({
        "document": submission.document,
        "profiles": profiles,
        "syntaxes": syntaxes,
        "max_bytes": state.config.server.max_body_bytes,
    })
}

/// `GET /validate`: the empty form.
pub async fn form(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query_pairs(raw.as_deref());
    let (lang, remember) = request_lang(&query, &headers);
    let page = Page::new(
        lang,
        "/validate",
        query,
        lang.text("validate.title").to_string(),
        "validate",
    );
    let context = form_context(&state, lang, &Submission::default());
    respond(StatusCode::OK, "validate.html", &page, remember, context)
}

/// Reads the form: multipart (with a file) or urlencoded.
async fn read_submission(state: &AppState, request: Request) -> Result<Submission, String> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut submission = Submission::default();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| e.body_text())?;
        while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
            let name = field.name().unwrap_or("").to_string();
            let file_name = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(|e| e.body_text())?;
            match name.as_str() {
                "document" => submission.document = String::from_utf8_lossy(&bytes).into_owned(),
                "file" => {
                    submission.file_name = file_name.unwrap_or_default();
                    submission.file = bytes.to_vec();
                }
                "syntax" => submission.syntax = String::from_utf8_lossy(&bytes).trim().to_string(),
                "profile" => {
                    submission.profile = String::from_utf8_lossy(&bytes).trim().to_string()
                }
                _ => {}
            }
        }
    } else {
        let limit = state.config.server.max_body_bytes;
        let bytes = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|e| format!("the form is larger than {limit} bytes or was cut: {e}"))?;
        for (k, v) in url::form_urlencoded::parse(&bytes) {
            match k.as_ref() {
                "document" => submission.document = v.into_owned(),
                "syntax" => submission.syntax = v.trim().to_string(),
                "profile" => submission.profile = v.trim().to_string(),
                _ => {}
            }
        }
    }
    Ok(submission)
}

/// Validates the submission: the report, or why it could not be checked.
async fn check(
    state: &AppState,
    submission: &Submission,
    lang: Lang,
) -> Result<DocumentReport, String> {
    let (bytes, location) = if !submission.file.is_empty() {
        (submission.file.clone(), submission.file_name.clone())
    } else if !submission.document.trim().is_empty() {
        (submission.document.clone().into_bytes(), String::new())
    } else {
        return Err(lang.text("validate.empty").to_string());
    };
    let name = if submission.profile.is_empty() {
        crate::profiles::DEFAULT_PROFILE.to_string()
    } else {
        submission.profile.clone()
    };
    let profiles = state.profiles.clone();
    let profile = tokio::task::spawn_blocking(move || profiles.get(&name))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("profile: {e}"))?;
    let configured = syntax(&submission.syntax);
    let source = if location.is_empty() {
        "the pasted document".to_string()
    } else {
        location.clone()
    };
    tokio::task::spawn_blocking(move || {
        let document = crate::harvest::fetch::FetchedDocument {
            location: source.clone(),
            content_type: None,
            bytes,
        };
        let (format, _) =
            crate::harvest::format::detect(configured, None, &location, &document.bytes);
        let triples =
            crate::harvest::parse_document(&document, format).map_err(|e| e.to_string())?;
        Ok(steward::validate_records(&source, triples, &profile))
    })
    .await
    .map_err(|e| e.to_string())?
}

/// `POST /validate`: the form again, with the report below it.
pub async fn submit(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let query = query_pairs(raw.as_deref());
    let (lang, remember) = request_lang(&query, &headers);
    let page = Page::new(
        lang,
        "/validate",
        query,
        lang.text("validate.title").to_string(),
        "validate",
    );
    let (status, submission, outcome) = match read_submission(&state, request).await {
        Ok(submission) => {
            let outcome = check(&state, &submission, lang).await;
            let status = if outcome.is_ok() {
                StatusCode::OK
            } else {
                StatusCode::BAD_REQUEST
            };
            (status, submission, outcome)
        }
        Err(error) => {
            let status = if error.contains("limit") || error.contains("larger") {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            (status, Submission::default(), Err(error))
        }
    };
    let mut context = form_context(&state, lang, &submission);
    match outcome {
        Ok(report) => {
            context["report"] = report_context(&report);
        }
        Err(error) => context["error"] = json!(error),
    }
    respond(status, "validate.html", &page, remember, context)
}

/// The report for the page: sections by record, groups by severity and
/// property, the closing line and the text report.
pub fn report_context(report: &DocumentReport) -> Value {
    let (sections, clean) = steward::sections(report);
    json!({
        "conforms": report.conforms(),
        "records": report.records.len(),
        "clean": clean,
        "violations": report.violations(),
        "warnings": report.warnings(),
        "sections": sections,
        "summary": steward::summary_line(report, clean),
        "text": steward::to_text(report),
    })
}
