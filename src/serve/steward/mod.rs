//! The steward dashboard, server-rendered HTML (minijinja, no JavaScript):
//! `GET /sources` lists every source with its kind, schedule, next run, last
//! runs and quality; `GET /sources/{name}` shows one source's run history,
//! its validation problems grouped by shape and by property with example
//! records, the quarantined records with their reports, the tombstones and
//! the quality trend over the kept runs (an inline SVG). English or Norwegian
//! (`?lang=nb`, or Accept-Language).
//!
//! The pages read what `/api/sources` and `/api/sources/{name}/report` read
//! (the runs graph, catalogue records and quarantine graphs), with the same
//! queries where they exist.

pub mod i18n;

use super::sources::{last_run, report_json, select, text};
use super::{AppState, ServeError};
use crate::config::{Config, SourceConfig};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use i18n::Lang;
use minijinja::{context, Environment};
use oxigraph::model::Term;
use oxigraph::store::Store;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// Runs shown in a source's history (and its quality trend).
const HISTORY: usize = 30;
/// Runs shown per source on the list.
const LIST_RUNS: usize = 3;
/// Tombstones listed on a source's page.
const TOMBSTONES: usize = 100;
/// Example records named per validation group.
const EXAMPLES: usize = 3;

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in [
            (
                "steward/layout.html",
                include_str!("../../../templates/steward/layout.html"),
            ),
            (
                "steward/sources.html",
                include_str!("../../../templates/steward/sources.html"),
            ),
            (
                "steward/source.html",
                include_str!("../../../templates/steward/source.html"),
            ),
        ] {
            // The templates are compiled into the binary and tested: a
            // syntax error is a bug caught by the unit tests, not input.
            if let Err(error) = env.add_template(name, source) {
                tracing::error!(template = name, %error, "steward template does not compile");
            }
        }
        env
    })
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PageParams {
    lang: Option<String>,
}

fn render(name: &str, ctx: minijinja::Value) -> Response {
    match templates()
        .get_template(name)
        .and_then(|template| template.render(ctx))
    {
        Ok(html) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::VARY, "Accept-Language"),
            ],
            html,
        )
            .into_response(),
        Err(error) => ServeError::Internal(format!("rendering {name}: {error}")).into_response(),
    }
}

/// One run as the pages show it.
#[derive(Debug, Clone, Serialize)]
struct RunRow {
    run: String,
    started: String,
    outcome: String,
    duration: String,
    new: u64,
    changed: u64,
    unchanged: u64,
    deleted: u64,
    quarantined: u64,
    not_modified: bool,
    error: Option<String>,
    /// Mean overall quality 0..100, when the run measured it.
    quality: Option<f64>,
    checked: Option<u64>,
    with_violations: Option<u64>,
    /// A push (`PUT`/`DELETE /api/records/…`) rather than a harvest.
    pushed: bool,
    /// What the run read: the source's URL, or the push request.
    location: String,
}

fn literal(term: Option<&Term>) -> Option<String> {
    match term {
        Some(Term::Literal(l)) => Some(l.value().to_string()),
        Some(Term::NamedNode(n)) => Some(n.as_str().to_string()),
        _ => None,
    }
}

fn count(term: Option<&Term>) -> u64 {
    literal(term).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// "2026-11-29 09:30 UTC".
fn readable_time(text: &str) -> String {
    parse_time(text)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| text.to_string())
}

fn duration(started: &str, ended: &str) -> String {
    match (parse_time(started), parse_time(ended)) {
        (Some(a), Some(b)) => {
            let ms = (b - a).num_milliseconds().max(0);
            if ms < 1000 {
                format!("{ms} ms")
            } else if ms < 120_000 {
                format!("{:.1} s", ms as f64 / 1000.0)
            } else {
                format!("{} min {} s", ms / 60_000, (ms / 1000) % 60)
            }
        }
        _ => String::new(),
    }
}

/// The newest `limit` runs of a source, newest first.
fn runs(store: &Store, source: &str, limit: usize) -> Result<Vec<RunRow>, ServeError> {
    let rows = select(
        store,
        &format!(
            "SELECT * WHERE {{ GRAPH <urn:katalog:graph:runs> {{
               ?run a kat:HarvestRun ; kat:sourceName {source:?} ; prov:startedAtTime ?started ;
                    prov:endedAtTime ?ended ; kat:outcome ?outcome .
               OPTIONAL {{ ?run kat:new ?new }} OPTIONAL {{ ?run kat:changed ?changed }}
               OPTIONAL {{ ?run kat:unchanged ?unchanged }} OPTIONAL {{ ?run kat:deleted ?deleted }}
               OPTIONAL {{ ?run kat:quarantined ?quarantined }}
               OPTIONAL {{ ?run kat:error ?error }}
               OPTIONAL {{ ?run kat:notModified ?not_modified }}
               OPTIONAL {{ ?run kat:checked ?checked ; kat:withViolations ?with_violations }}
               OPTIONAL {{ ?run prov:used ?used }}
               OPTIONAL {{ ?run dqv:hasQualityMeasurement ?m .
                           ?m dqv:isMeasurementOf kat:overallScore ; dqv:value ?overall }}
             }} }} ORDER BY DESC(?started) LIMIT {limit}"
        ),
    )?;
    Ok(rows
        .iter()
        .map(|row| {
            let started = literal(row.get("started")).unwrap_or_default();
            let ended = literal(row.get("ended")).unwrap_or_default();
            RunRow {
                run: literal(row.get("run"))
                    .map(|r| r.trim_start_matches(crate::ns::RUN_PREFIX).to_string())
                    .unwrap_or_default(),
                duration: duration(&started, &ended),
                started: readable_time(&started),
                outcome: literal(row.get("outcome")).unwrap_or_default(),
                new: count(row.get("new")),
                changed: count(row.get("changed")),
                unchanged: count(row.get("unchanged")),
                deleted: count(row.get("deleted")),
                quarantined: count(row.get("quarantined")),
                not_modified: literal(row.get("not_modified")).as_deref() == Some("true"),
                error: literal(row.get("error")),
                quality: literal(row.get("overall"))
                    .and_then(|v| v.parse::<f64>().ok())
                    .map(|v| (v * 1000.0).round() / 10.0),
                checked: row.get("checked").map(|t| count(Some(t))),
                with_violations: row.get("with_violations").map(|t| count(Some(t))),
                pushed: literal(row.get("used"))
                    .is_some_and(|u| u.starts_with("PUT ") || u.starts_with("DELETE ")),
                location: literal(row.get("used")).unwrap_or_default(),
            }
        })
        .collect())
}

fn next_run(source: &SourceConfig) -> Option<String> {
    Config::schedule(source)?
        .upcoming(Utc)
        .next()
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// A serialisable value for the templates.
fn v<T: Serialize>(value: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

/// Where a request's language choice keeps the page in that language.
fn lang_context(lang: Lang) -> minijinja::Value {
    context! {
        lang => lang.code(),
        t => v(i18n::words(lang)),
        other_lang => if lang == Lang::Nb { "en" } else { "nb" },
        other_lang_name => if lang == Lang::Nb { "English" } else { "Norsk bokmål" },
    }
}

/// `GET /sources`.
pub async fn list(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::choose(params.lang.as_deref(), &headers);
    let store = state.store.clone();
    let config = state.config.clone();
    let built = tokio::task::spawn_blocking(move || {
        let counts = store
            .published_counts()
            .map_err(|e| ServeError::Internal(e.to_string()))?;
        let mut sources = Vec::new();
        for source in &config.sources {
            let published: usize = counts
                .iter()
                .filter(|(name, _, _)| name == &source.name)
                .map(|(_, _, n)| n)
                .sum();
            let recent = runs(store.oxigraph(), &source.name, LIST_RUNS)?;
            let quality = runs(store.oxigraph(), &source.name, HISTORY)?
                .into_iter()
                .find_map(|r| r.quality);
            sources.push(json!({
                "name": source.name,
                "kind": source.kind.as_str(),
                "country": source.country,
                "profile": source.profile,
                "schedule": source.schedule,
                "next_run": next_run(source),
                "harvested": source.is_harvested(),
                "published": published,
                "runs": recent,
                "quality": quality,
            }));
        }
        Ok::<_, ServeError>(sources)
    })
    .await;
    let sources = match built {
        Ok(Ok(sources)) => sources,
        Ok(Err(error)) => return error.into_response(),
        Err(error) => return ServeError::Internal(error.to_string()).into_response(),
    };
    render(
        "steward/sources.html",
        context! { sources => v(sources), ..lang_context(lang) },
    )
}

/// Validation results of the source's quarantined versions, grouped by
/// `group` (`?shape` or `?path`) and severity, with counts and examples.
fn grouped(store: &Store, source: &str, group: &str) -> Result<Vec<Value>, ServeError> {
    let rows = select(
        store,
        &format!(
            "SELECT ?key ?severity (COUNT(?r) AS ?results) (COUNT(DISTINCT ?id) AS ?records)
                    (GROUP_CONCAT(DISTINCT ?id; separator=\" \") AS ?ids)
                    (SAMPLE(?message) AS ?example_message) WHERE {{
               GRAPH <urn:katalog:graph:records> {{
                 ?record kat:sourceName {source:?} ; kat:recordId ?id ; kat:quarantinedHash ?hash }}
               BIND(IRI(CONCAT(\"urn:katalog:quarantine:\", ?id)) AS ?graph)
               GRAPH ?graph {{
                 ?r a sh:ValidationResult ; sh:resultSeverity ?severity ; sh:sourceShape ?shape .
                 OPTIONAL {{ ?r sh:resultPath ?path FILTER(isIRI(?path)) }}
                 OPTIONAL {{ ?r sh:resultMessage ?message }}
               }}
               BIND(COALESCE(STR({group}), \"\") AS ?key)
             }} GROUP BY ?key ?severity
             ORDER BY DESC(?severity = sh:Violation) DESC(?results) ?key LIMIT 50"
        ),
    )?;
    Ok(rows
        .iter()
        .map(|row| {
            let key = literal(row.get("key")).unwrap_or_default();
            let ids = literal(row.get("ids")).unwrap_or_default();
            let examples: Vec<&str> = ids.split_whitespace().take(EXAMPLES).collect();
            let severity = literal(row.get("severity")).unwrap_or_default();
            json!({
                "key": key,
                "label": label(&key),
                "severity": severity.rsplit('#').next().unwrap_or_default(),
                "results": count(row.get("results")),
                "records": count(row.get("records")),
                "examples": examples,
                "message": literal(row.get("example_message")),
            })
        })
        .collect())
}

/// A readable name for an IRI: its prefixed form (`dct:title`), else its
/// local name (a shape's `Dataset-title-mandatory`); "—" for none.
fn label(iri: &str) -> String {
    if iri.is_empty() {
        return "—".into();
    }
    if !iri.starts_with("http") {
        return iri.to_string();
    }
    let compact = crate::steward::compact(iri);
    if !compact.starts_with('<') {
        return compact;
    }
    iri.rsplit(['#', '/'])
        .find(|part| !part.is_empty())
        .unwrap_or(iri)
        .to_string()
}

fn tombstones(store: &Store, source: &str) -> Result<(u64, Vec<Value>), ServeError> {
    let total = select(
        store,
        &format!(
            "SELECT (COUNT(?r) AS ?n) WHERE {{ GRAPH <urn:katalog:graph:records> {{
               ?r kat:sourceName {source:?} ; kat:state \"deleted\" ; kat:contentHash ?hash }} }}"
        ),
    )?;
    let rows = select(
        store,
        &format!(
            "SELECT ?id ?resource ?deleted ?local WHERE {{ GRAPH <urn:katalog:graph:records> {{
               ?r kat:sourceName {source:?} ; kat:recordId ?id ; foaf:primaryTopic ?resource ;
                  kat:state \"deleted\" ; kat:contentHash ?hash ; kat:deletedAt ?deleted .
               OPTIONAL {{ ?r kat:localId ?local }} }} }}
             ORDER BY DESC(?deleted) ?id LIMIT {TOMBSTONES}"
        ),
    )?;
    let list = rows
        .iter()
        .map(|row| {
            json!({
                "id": literal(row.get("id")),
                "resource": literal(row.get("resource")),
                "local_id": literal(row.get("local")),
                "deleted_at": literal(row.get("deleted")).map(|t| readable_time(&t)),
            })
        })
        .collect();
    Ok((count(total.first().and_then(|r| r.get("n"))), list))
}

/// An inline SVG sparkline of quality scores (0..100), oldest first, with a
/// text alternative; None with fewer than two points.
fn sparkline(points: &[(String, f64)], label: &str) -> Option<String> {
    if points.len() < 2 {
        return None;
    }
    let (width, height, pad) = (320.0, 80.0, 6.0);
    let step = (width - 2.0 * pad) / (points.len() - 1) as f64;
    let y = |v: f64| pad + (height - 2.0 * pad) * (1.0 - v.clamp(0.0, 100.0) / 100.0);
    let coords: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{:.1},{:.1}", pad + step * i as f64, y(*v)))
        .collect();
    let dots: String = points
        .iter()
        .enumerate()
        .map(|(i, (when, v))| {
            format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>{}: {v:.1}</title></circle>",
                pad + step * i as f64,
                y(*v),
                html_escape(when)
            )
        })
        .collect();
    let first = points.first().map_or(0.0, |p| p.1);
    let last = points.last().map_or(0.0, |p| p.1);
    Some(format!(
        "<svg class=\"sparkline\" role=\"img\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" \
         aria-label=\"{}: {first:.1} → {last:.1}\">\
         <line x1=\"{pad}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" class=\"axis\"/>\
         <polyline fill=\"none\" stroke-width=\"2\" points=\"{}\"/>{dots}</svg>",
        html_escape(label),
        y(0.0),
        width - pad,
        y(0.0),
        coords.join(" ")
    ))
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /sources/{name}`.
pub async fn source(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Query<PageParams>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::choose(params.lang.as_deref(), &headers);
    let Some(source) = state.config.source(&name).cloned() else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("no source named {name:?}\n"),
        )
            .into_response();
    };
    let store = state.store.clone();
    let words = i18n::words(lang);
    let built = tokio::task::spawn_blocking(move || {
        let oxigraph = store.oxigraph();
        let report = report_json(oxigraph, &source.name)?;
        let history = runs(oxigraph, &source.name, HISTORY)?;
        let trend: Vec<(String, f64)> = history
            .iter()
            .rev()
            .filter_map(|r| r.quality.map(|q| (r.started.clone(), q)))
            .collect();
        let by_shape = grouped(oxigraph, &source.name, "?shape")?;
        let by_property = grouped(oxigraph, &source.name, "?path")?;
        let (tombstone_total, tombstone_list) = tombstones(oxigraph, &source.name)?;
        let last = last_run(oxigraph, &source.name)?;
        let published = select(
            oxigraph,
            &format!(
                "SELECT (COUNT(?r) AS ?n) WHERE {{ GRAPH <urn:katalog:graph:records> {{
                   ?r kat:sourceName {:?} ; kat:state \"published\" }} }}",
                source.name
            ),
        )?;
        Ok::<_, ServeError>(context! {
            source => v(json!({
                "name": source.name,
                "kind": source.kind.as_str(),
                "country": source.country,
                "profile": source.profile,
                "schedule": source.schedule,
                "next_run": next_run(&source),
                "harvested": source.is_harvested(),
                "published": text(published.first().and_then(|r| r.get("n"))),
            })),
            last_run => v(last),
            quality => v(report["last_run"]["quality"].clone()),
            runs => v(history),
            sparkline => v(sparkline(&trend, words.get("quality_trend").copied().unwrap_or("quality"))),
            trend => v(trend.iter().map(|(when, v)| json!({"started": when, "quality": v})).collect::<Vec<_>>()),
            by_shape => v(by_shape),
            by_property => v(by_property),
            warned => v(report["top_warned_shapes"].as_array().cloned().unwrap_or_default().into_iter().map(|mut w| {
                let shape = w["shape"].as_str().map(label);
                w["label"] = json!(shape);
                w
            }).collect::<Vec<_>>()),
            quarantined => v(report["quarantined"].as_array().cloned().unwrap_or_default().into_iter().map(|mut r| {
                if let Some(results) = r["results"].as_array_mut() {
                    for result in results {
                        for key in ["path", "shape", "focus_node", "value"] {
                            if let Some(iri) = result[key].as_str().filter(|v| v.starts_with("http")) {
                                result[format!("{key}_label")] = json!(label(iri));
                            }
                        }
                    }
                }
                r
            }).collect::<Vec<_>>()),
            lowest => v(report["lowest_quality"].clone()),
            tombstone_total => v(tombstone_total),
            tombstones => v(tombstone_list),
        })
    })
    .await;
    let page = match built {
        Ok(Ok(page)) => page,
        Ok(Err(error)) => return error.into_response(),
        Err(error) => return ServeError::Internal(error.to_string()).into_response(),
    };
    render(
        "steward/source.html",
        context! { ..page, ..lang_context(lang) },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_compile() {
        for name in [
            "steward/layout.html",
            "steward/sources.html",
            "steward/source.html",
        ] {
            assert!(templates().get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn sparkline_needs_two_points_and_escapes() {
        assert!(sparkline(&[("a".into(), 50.0)], "q").is_none());
        let svg = sparkline(&[("a<b".into(), 50.0), ("c".into(), 75.0)], "q&q").unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("polyline"));
        assert!(svg.contains("a&lt;b") && svg.contains("q&amp;q"));
        assert!(svg.contains("50.0 → 75.0"));
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(label("http://purl.org/dc/terms/title"), "dct:title");
        assert_eq!(
            label("https://w3id.org/katalog/shapes/dcat-ap-3#Dataset-issued-datatype"),
            "Dataset-issued-datatype"
        );
        assert_eq!(label(""), "—");
        assert_eq!(label("_:b0"), "_:b0");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(
            duration("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.250Z"),
            "250 ms"
        );
        assert_eq!(
            duration("2026-01-01T00:00:00Z", "2026-01-01T00:00:02.5Z"),
            "2.5 s"
        );
        assert_eq!(
            duration("2026-01-01T00:00:00Z", "2026-01-01T00:03:05Z"),
            "3 min 5 s"
        );
    }
}
