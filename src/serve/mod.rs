//! The HTTP server: the SPARQL endpoint, search, the steward APIs, the web UI and the health check.

pub mod export;
pub mod harvester;
pub mod html;
pub mod linked_data;
pub mod metrics;
pub mod negotiate;
pub mod openapi;
pub mod records;
pub mod search;
pub mod sources;
pub mod sparql;
pub mod steward;
pub mod trigger;
pub mod ui;
pub mod void;
pub mod worker;

use crate::config::Config;
use crate::profiles::Profiles;
use crate::store::CatalogStore;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: CatalogStore,
    pub config: Arc<Config>,
    pub query_timeout: Duration,
    /// When set, each SPARQL query runs in a worker process killed at the timeout.
    pub query_worker: Option<worker::QueryWorker>,
    /// Validation profiles, compiled once on first use.
    pub profiles: Arc<Profiles>,
    /// Runs harvests (scheduled and triggered); None: this server does not harvest.
    pub harvester: Option<Arc<harvester::Harvester>>,
    /// Request counts and latencies for `GET /metrics`.
    pub http_metrics: Arc<metrics::HttpMetrics>,
    /// The data directory, whose size `GET /metrics` reports.
    pub data_dir: Option<std::path::PathBuf>,
    /// The search index; `/api/search` answers 503 without one.
    pub search: Option<Arc<crate::index::SearchIndex>>,
}

impl AppState {
    pub fn new(store: CatalogStore, config: Arc<Config>) -> Self {
        let query_timeout = Duration::from_secs(config.server.query_timeout_secs);
        Self {
            store,
            config,
            query_timeout,
            query_worker: None,
            profiles: Arc::default(),
            harvester: None,
            http_metrics: Arc::default(),
            data_dir: None,
            search: None,
        }
    }
}

/// Errors a request can end with; each maps to a status and a plain message.
#[derive(Debug, Error)]
pub enum ServeError {
    #[error("{0}")]
    BadRequest(String),
    #[error("this SPARQL endpoint is read-only: updates and other writes are refused")]
    ReadOnly,
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the query ran past the time limit and was stopped; narrow it or add a LIMIT")]
    Timeout,
    #[error("{0}")]
    Internal(String),
}

impl ServeError {
    pub fn status(&self) -> StatusCode {
        match self {
            ServeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ServeError::ReadOnly => StatusCode::FORBIDDEN,
            ServeError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ServeError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ServeError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ServeError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ServeError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "request failed");
        }
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{self}\n"),
        )
            .into_response()
    }
}

pub fn router(state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION])
        .max_age(Duration::from_secs(86400));
    let max_body = state.config.server.max_body_bytes;
    Router::new()
        // The web UI (src/serve/ui).
        .route("/", get(ui::search_page::search))
        .route(
            "/validate",
            get(ui::validate_page::form).post(ui::validate_page::submit),
        )
        .route("/static/{file}", get(ui::static_file))
        .route("/health", get(health))
        .route("/sparql", get(sparql::get).post(sparql::post))
        .route("/api/validate", axum::routing::post(validate))
        .route("/catalog", get(export::catalog))
        .route("/catalog.ttl", get(export::catalog_ttl))
        .route("/catalog.rdf", get(export::catalog_rdf))
        .route("/catalog.jsonld", get(export::catalog_jsonld))
        .route("/catalog.nt", get(export::catalog_nt))
        .route("/datasets/{file}", get(linked_data::dataset))
        .route("/.well-known/genid/{*rest}", get(linked_data::genid))
        .route("/.well-known/void", get(void::void_document))
        .route("/metrics", get(metrics::metrics))
        .route("/api/openapi.json", get(openapi::openapi))
        .route("/api/search", get(search::search))
        .route("/api/datasets/{id}", get(search::dataset))
        .route("/api/sources", get(sources::list))
        .route("/api/sources/{name}/report", get(sources::report))
        .route(
            "/api/sources/{name}/harvest",
            axum::routing::post(trigger::trigger),
        )
        .route("/sources", get(steward::list))
        .route("/sources/{name}", get(steward::source))
        .route(
            "/api/records/{id}",
            axum::routing::put(records::put).delete(records::delete),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(cors)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn health(State(state): State<AppState>) -> Response {
    let store = state.store.clone();
    let counts = tokio::task::spawn_blocking(move || store.published_counts()).await;
    match counts {
        Ok(Ok(counts)) => {
            let mut sources: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
            let mut datasets = 0;
            for (source, kind, n) in counts {
                if kind == crate::harvest::RecordKind::Dataset {
                    datasets += n;
                }
                sources.entry(source).or_default().insert(kind.label(), n);
            }
            Json(json!({
                "status": "ok",
                "version": env!("CARGO_PKG_VERSION"),
                "datasets": datasets,
                "sources": sources,
            }))
            .into_response()
        }
        Ok(Err(error)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "error", "error": error.to_string()})),
        )
            .into_response(),
        Err(error) => ServeError::Internal(error.to_string()).into_response(),
    }
}

#[derive(Debug, serde::Deserialize)]
struct ValidateParams {
    profile: Option<String>,
}

/// `POST /api/validate`: an RDF document in the body (any syntax, by
/// Content-Type), checked record by record against `?profile=` (default
/// dcat-ap-3). The standard `sh:ValidationReport` comes back as JSON-LD, or
/// Turtle / N-Triples / RDF/XML by Accept, or the linter text for text/plain.
async fn validate(
    State(state): State<AppState>,
    axum::extract::Query(params): axum::extract::Query<ValidateParams>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let name = params
        .profile
        .unwrap_or_else(|| crate::profiles::DEFAULT_PROFILE.to_string());
    let profiles = state.profiles.clone();
    let profile = match tokio::task::spawn_blocking(move || profiles.get(&name)).await {
        Ok(Ok(profile)) => profile,
        Ok(Err(error)) => {
            return ServeError::BadRequest(format!("profile: {error}")).into_response()
        }
        Err(error) => return ServeError::Internal(error.to_string()).into_response(),
    };
    let header = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let content_type = header(header::CONTENT_TYPE);
    let accept = header(header::ACCEPT).to_ascii_lowercase();
    let outcome = tokio::task::spawn_blocking(move || {
        let document = crate::harvest::fetch::FetchedDocument {
            location: "the request body".into(),
            content_type: (!content_type.is_empty()).then_some(content_type),
            bytes: body.to_vec(),
        };
        let (format, _) = crate::harvest::format::detect(
            None,
            document.content_type.as_deref(),
            "",
            &document.bytes,
        );
        let triples = crate::harvest::parse_document(&document, format)?;
        Ok::<_, crate::harvest::HarvestError>(crate::steward::validate_records(
            "the request body",
            triples,
            &profile,
        ))
    })
    .await;
    let report = match outcome {
        Ok(Ok(report)) => report,
        Ok(Err(error)) => return ServeError::BadRequest(error.to_string()).into_response(),
        Err(error) => return ServeError::Internal(error.to_string()).into_response(),
    };
    let (format, media) = if accept.contains("text/turtle") {
        (
            Some(oxigraph::io::RdfFormat::Turtle),
            "text/turtle; charset=utf-8",
        )
    } else if accept.contains("application/n-triples") {
        (
            Some(oxigraph::io::RdfFormat::NTriples),
            "application/n-triples",
        )
    } else if accept.contains("application/rdf+xml") {
        (Some(oxigraph::io::RdfFormat::RdfXml), "application/rdf+xml")
    } else if accept.starts_with("text/plain") {
        (None, "text/plain; charset=utf-8")
    } else {
        (
            Some(oxigraph::io::RdfFormat::JsonLd {
                profile: oxigraph::io::JsonLdProfileSet::empty(),
            }),
            "application/ld+json",
        )
    };
    let body = match format {
        Some(format) => match crate::steward::to_rdf(&report, format) {
            Ok(bytes) => bytes,
            Err(error) => return ServeError::Internal(error.to_string()).into_response(),
        },
        None => crate::steward::to_text(&report).into_bytes(),
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, media.to_string()),
            (
                header::HeaderName::from_static("x-katalog-conforms"),
                report.conforms().to_string(),
            ),
        ],
        body,
    )
        .into_response()
}

/// Serves until ctrl-c (or SIGTERM).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
