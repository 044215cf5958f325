//! The HTTP server: the SPARQL endpoint and the health check.

pub mod sparql;
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
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT])
        .max_age(Duration::from_secs(86400));
    let max_body = state.config.server.max_body_bytes;
    Router::new()
        .route("/health", get(health))
        .route("/sparql", get(sparql::get).post(sparql::post))
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
