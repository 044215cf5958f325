//! Fetching a source's document: a local file or an http(s) URL, with size
//! caps (decompressed bytes counted), timeouts, bounded and re-checked
//! redirects, and the network guard.

use super::netguard::{check_host, PublicOnlyResolver};
use super::HarvestError;
use crate::config::{HarvestConfig, Location};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;

/// What katalog accepts, best first: the six RDF syntaxes it parses.
pub const ACCEPT_RDF: &str = "text/turtle, application/trig;q=0.95, application/n-quads;q=0.9, \
application/n-triples;q=0.9, application/rdf+xml;q=0.9, application/ld+json;q=0.85, \
application/x-turtle;q=0.5, application/xml;q=0.3, text/plain;q=0.1, */*;q=0.05";

/// A fetched document, before parsing.
#[derive(Debug, Clone)]
pub struct FetchedDocument {
    /// Where the bytes finally came from (after redirects).
    pub location: String,
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

/// What identifies the version of a document the store has: an HTTP ETag
/// and Last-Modified, or for a local file its modification time and size
/// (kept in `etag`, prefixed `file:`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }

    fn from_headers(headers: &reqwest::header::HeaderMap) -> Self {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        Self {
            etag: text(reqwest::header::ETAG),
            last_modified: text(reqwest::header::LAST_MODIFIED),
        }
    }

    fn of_file(metadata: &std::fs::Metadata) -> Self {
        let modified = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos());
        Self {
            etag: modified.map(|nanos| format!("file:{nanos}:{}", metadata.len())),
            last_modified: None,
        }
    }
}

/// The answer to a conditional fetch.
#[derive(Debug, Clone)]
pub enum Conditional {
    /// The document changed (or there was nothing to compare with).
    Modified {
        document: FetchedDocument,
        validators: Validators,
    },
    /// The server answered 304 Not Modified, or the file is as it was.
    NotModified,
}

/// Fetches documents for one source with that source's network policy.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    allow_private_network: bool,
    max_bytes: u64,
}

impl Fetcher {
    pub fn new(settings: &HarvestConfig, allow_private_network: bool) -> Result<Self, String> {
        install_crypto_provider();
        let max_redirects = settings.max_redirects;
        let redirect = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= max_redirects {
                return attempt.error(format!("more than {max_redirects} redirects"));
            }
            if !matches!(attempt.url().scheme(), "http" | "https") {
                let message = format!(
                    "redirect to {} refused: only http(s) is followed",
                    attempt.url()
                );
                return attempt.error(message);
            }
            if !allow_private_network {
                if let Err(message) = check_host(attempt.url()) {
                    return attempt.error(format!("redirect refused: {message}"));
                }
            }
            attempt.follow()
        });
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!(
                "katalog/",
                env!("CARGO_PKG_VERSION"),
                " (DCAT-AP harvester)"
            ))
            .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
            .timeout(Duration::from_secs(settings.request_timeout_secs))
            .read_timeout(Duration::from_secs(settings.connect_timeout_secs.max(30)))
            .redirect(redirect)
            .gzip(true);
        if !allow_private_network {
            builder = builder.dns_resolver(Arc::new(PublicOnlyResolver));
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        Ok(Self {
            client,
            allow_private_network,
            max_bytes: settings.max_document_bytes,
        })
    }

    pub async fn fetch(&self, location: &Location) -> Result<FetchedDocument, HarvestError> {
        match location {
            Location::Local(path) => self.read_file(path).await,
            Location::Remote(url) => self.get(url).await,
        }
    }

    /// Fetches `location` unless it is unchanged since `known` was taken:
    /// If-None-Match / If-Modified-Since over HTTP (a 304 is
    /// [`Conditional::NotModified`]), modification time and size for a file.
    pub async fn fetch_conditional(
        &self,
        location: &Location,
        known: Option<&Validators>,
    ) -> Result<Conditional, HarvestError> {
        let known = known.filter(|k| !k.is_empty());
        match location {
            Location::Local(path) => {
                let metadata =
                    tokio::fs::metadata(path)
                        .await
                        .map_err(|e| HarvestError::Fetch {
                            location: path.display().to_string(),
                            message: e.to_string(),
                        })?;
                let validators = Validators::of_file(&metadata);
                if known.is_some_and(|k| k.etag.is_some() && k.etag == validators.etag) {
                    return Ok(Conditional::NotModified);
                }
                let document = self.read_file(path).await?;
                Ok(Conditional::Modified {
                    document,
                    validators,
                })
            }
            Location::Remote(url) => self.get_conditional(url, known).await,
        }
    }

    async fn read_file(&self, path: &std::path::Path) -> Result<FetchedDocument, HarvestError> {
        let at = path.display().to_string();
        let io_error = |e: std::io::Error| HarvestError::Fetch {
            location: at.clone(),
            message: e.to_string(),
        };
        let metadata = tokio::fs::metadata(path).await.map_err(io_error)?;
        if metadata.len() > self.max_bytes {
            return Err(HarvestError::TooLarge {
                location: at,
                limit: self.max_bytes,
            });
        }
        let bytes = tokio::fs::read(path).await.map_err(io_error)?;
        Ok(FetchedDocument {
            location: at,
            bytes,
            content_type: None,
        })
    }

    async fn get(&self, url: &url::Url) -> Result<FetchedDocument, HarvestError> {
        match self.get_conditional(url, None).await? {
            Conditional::Modified { document, .. } => Ok(document),
            Conditional::NotModified => Err(HarvestError::Status {
                location: url.to_string(),
                status: 304,
            }),
        }
    }

    async fn get_conditional(
        &self,
        url: &url::Url,
        known: Option<&Validators>,
    ) -> Result<Conditional, HarvestError> {
        let at = url.to_string();
        if !matches!(url.scheme(), "http" | "https") {
            return Err(HarvestError::Fetch {
                location: at,
                message: "only http(s) URLs are fetched".into(),
            });
        }
        if !self.allow_private_network {
            check_host(url).map_err(|message| HarvestError::Refused {
                location: at.clone(),
                message,
            })?;
        }
        let mut request = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, ACCEPT_RDF);
        if let Some(known) = known {
            if let Some(etag) = &known.etag {
                request = request.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &known.last_modified {
                request = request.header(reqwest::header::IF_MODIFIED_SINCE, modified);
            }
        }
        let response = request.send().await.map_err(|e| HarvestError::Fetch {
            location: at.clone(),
            message: describe_reqwest_error(&e),
        })?;
        let final_url = response.url().to_string();
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED && known.is_some() {
            return Ok(Conditional::NotModified);
        }
        let validators = Validators::from_headers(response.headers());
        if !status.is_success() {
            return Err(HarvestError::Status {
                location: final_url,
                status: status.as_u16(),
            });
        }
        if let Some(length) = response.content_length() {
            if length > self.max_bytes {
                return Err(HarvestError::TooLarge {
                    location: final_url,
                    limit: self.max_bytes,
                });
            }
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut bytes = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| HarvestError::Fetch {
                location: final_url.clone(),
                message: format!(
                    "body ended early after {} bytes: {}",
                    bytes.len(),
                    describe_reqwest_error(&e)
                ),
            })?;
            if bytes.len() as u64 + chunk.len() as u64 > self.max_bytes {
                return Err(HarvestError::TooLarge {
                    location: final_url,
                    limit: self.max_bytes,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Conditional::Modified {
            document: FetchedDocument {
                location: final_url,
                bytes,
                content_type,
            },
            validators,
        })
    }
}

/// reqwest's Display hides the cause ("error sending request"); the chain says what happened.
fn describe_reqwest_error(error: &reqwest::Error) -> String {
    let mut message = if error.is_timeout() {
        "timed out".to_string()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// rustls needs one process-wide crypto provider; ring is the one built in.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only means another provider was installed first, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
