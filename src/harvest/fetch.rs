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
// One value per run, moved once: boxing the document would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Conditional {
    /// The document changed (or there was nothing to compare with).
    Modified {
        document: FetchedDocument,
        validators: Validators,
        /// A `Link: rel="next"` header (Hydra paging by headers).
        next_link: Option<url::Url>,
    },
    /// The server answered 304 Not Modified, or the file is as it was.
    NotModified,
    /// Nothing was fetched: the source is not compared by document.
    Unconditional,
}

/// Fetches documents for one source with that source's network policy.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    allow_private_network: bool,
    max_bytes: u64,
    retry: RetryPolicy,
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
            retry: RetryPolicy {
                max_retries: settings.max_retries,
                initial_delay: Duration::from_millis(settings.retry_initial_delay_ms),
                max_delay: Duration::from_secs(settings.retry_max_delay_secs),
            },
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
                    next_link: None,
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
        self.request(url, &Request::get(ACCEPT_RDF))
            .await
            .map(|page| page.document)
    }

    /// GETs an http(s) URL with its own Accept header (a JSON API, SPARQL
    /// results), with the same guard, caps and retries as `fetch`.
    pub async fn get_with(
        &self,
        url: &url::Url,
        accept: &'static str,
    ) -> Result<FetchedPage, HarvestError> {
        self.request(url, &Request::get(accept)).await
    }

    /// POSTs an HTML form (a SPARQL query) to an http(s) URL.
    pub async fn post_form(
        &self,
        url: &url::Url,
        form: Vec<(String, String)>,
        accept: &'static str,
    ) -> Result<FetchedPage, HarvestError> {
        self.request(
            url,
            &Request {
                accept,
                form: Some(form),
                known: None,
            },
        )
        .await
    }

    /// One request, retried on 5xx, 429 and failures to connect, with
    /// exponentially growing delays (or the server's Retry-After), bounded.
    async fn request(
        &self,
        url: &url::Url,
        request: &Request,
    ) -> Result<FetchedPage, HarvestError> {
        self.request_maybe(url, request)
            .await?
            .ok_or_else(|| HarvestError::Status {
                location: url.to_string(),
                status: 304,
            })
    }

    /// [`Fetcher::request`], with `None` for a 304 to a conditional request.
    async fn request_maybe(
        &self,
        url: &url::Url,
        request: &Request,
    ) -> Result<Option<FetchedPage>, HarvestError> {
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
        let mut attempt: u32 = 0;
        loop {
            let outcome = self.attempt(url, request).await;
            let retry_after = match &outcome {
                Attempt::Done(_) | Attempt::NotModified => None,
                Attempt::Failed { retry_after, .. } => Some(*retry_after),
            };
            let error = match outcome {
                Attempt::Done(page) => return Ok(Some(page)),
                Attempt::NotModified => return Ok(None),
                Attempt::Failed {
                    error,
                    retryable: false,
                    ..
                } => return Err(error),
                Attempt::Failed { error, .. } => error,
            };
            if attempt >= self.retry.max_retries {
                return Err(if attempt == 0 {
                    error
                } else {
                    HarvestError::Retried {
                        attempts: attempt + 1,
                        last: Box::new(error),
                    }
                });
            }
            let backoff = self
                .retry
                .initial_delay
                .saturating_mul(2u32.saturating_pow(attempt));
            let delay = match retry_after.flatten() {
                Some(wait) if wait > self.retry.max_delay => {
                    return Err(HarvestError::Fetch {
                        location: at,
                        message: format!(
                            "{error}; the server asks to retry after {} s, longer than harvest.retry_max_delay_secs ({} s)",
                            wait.as_secs(),
                            self.retry.max_delay.as_secs()
                        ),
                    })
                }
                Some(wait) => wait,
                None => backoff.min(self.retry.max_delay),
            };
            tracing::warn!(location = %at, attempt = attempt + 1, delay_ms = delay.as_millis() as u64, %error, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, url: &url::Url, request: &Request) -> Attempt {
        let at = url.to_string();
        let builder = match &request.form {
            Some(form) => self.client.post(url.clone()).form(form),
            None => self.client.get(url.clone()),
        };
        let mut builder = builder.header(reqwest::header::ACCEPT, request.accept);
        if let Some(known) = &request.known {
            if let Some(etag) = &known.etag {
                builder = builder.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &known.last_modified {
                builder = builder.header(reqwest::header::IF_MODIFIED_SINCE, modified);
            }
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(e) => {
                // A refused redirect or address is final; a connection that failed may not be.
                let retryable = (e.is_connect() || e.is_timeout()) && !e.is_redirect();
                let message = describe_reqwest_error(&e);
                let error = if message.contains("allow_private_network") {
                    HarvestError::Refused {
                        location: at,
                        message,
                    }
                } else {
                    HarvestError::Fetch {
                        location: at,
                        message,
                    }
                };
                let retryable = retryable && !matches!(error, HarvestError::Refused { .. });
                return Attempt::Failed {
                    error,
                    retryable,
                    retry_after: None,
                };
            }
        };
        let final_url = response.url().clone();
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED && request.known.is_some() {
            return Attempt::NotModified;
        }
        let validators = Validators::from_headers(response.headers());
        if !status.is_success() {
            let retryable = status.is_server_error() || status.as_u16() == 429;
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            return Attempt::Failed {
                error: HarvestError::Status {
                    location: final_url.to_string(),
                    status: status.as_u16(),
                },
                retryable,
                retry_after,
            };
        }
        let next_link = response
            .headers()
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| next_link(v, &final_url));
        match self.read_body(response).await {
            Ok(document) => Attempt::Done(FetchedPage {
                document,
                next_link,
                validators,
            }),
            Err(error) => Attempt::Failed {
                error,
                retryable: false,
                retry_after: None,
            },
        }
    }

    async fn read_body(
        &self,
        response: reqwest::Response,
    ) -> Result<FetchedDocument, HarvestError> {
        let final_url = response.url().to_string();
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
        Ok(FetchedDocument {
            location: final_url,
            bytes,
            content_type,
        })
    }

    /// GETs `url` with If-None-Match / If-Modified-Since from `known`.
    async fn get_conditional(
        &self,
        url: &url::Url,
        known: Option<&Validators>,
    ) -> Result<Conditional, HarvestError> {
        let request = Request {
            accept: ACCEPT_RDF,
            form: None,
            known: known.cloned(),
        };
        Ok(match self.request_maybe(url, &request).await? {
            None => Conditional::NotModified,
            Some(page) => Conditional::Modified {
                document: page.document,
                validators: page.validators,
                next_link: page.next_link,
            },
        })
    }
}

/// A fetched http(s) response with what paging needs from its headers.
#[derive(Debug, Clone)]
pub struct FetchedPage {
    pub document: FetchedDocument,
    /// The `Link: <...>; rel="next"` header, resolved against the final URL.
    pub next_link: Option<url::Url>,
    /// The response's ETag and Last-Modified, for a conditional GET next time.
    pub validators: Validators,
}

/// What to send: the Accept header, and a form to POST (else a GET).
struct Request {
    accept: &'static str,
    form: Option<Vec<(String, String)>>,
    /// Validators of the version we have: sent as If-None-Match / If-Modified-Since.
    known: Option<Validators>,
}

impl Request {
    fn get(accept: &'static str) -> Self {
        Request {
            accept,
            form: None,
            known: None,
        }
    }
}

enum Attempt {
    Done(FetchedPage),
    /// 304 to a conditional request.
    NotModified,
    Failed {
        error: HarvestError,
        retryable: bool,
        retry_after: Option<Duration>,
    },
}

/// The retry policy of one fetcher.
#[derive(Debug, Clone, Copy)]
struct RetryPolicy {
    max_retries: u32,
    initial_delay: Duration,
    max_delay: Duration,
}

/// Retry-After: delay-seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// The `rel="next"` target of one Link header value, resolved against `base`.
fn next_link(header: &str, base: &url::Url) -> Option<url::Url> {
    for link in header.split(',') {
        let (target, params) = link.split_once(';').unwrap_or((link, ""));
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|param| {
            let Some((key, value)) = param.split_once('=') else {
                return false;
            };
            key.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return base.join(target).ok();
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_link_headers() {
        let base =
            url::Url::parse("https://fdp.example.org/catalog/1/page/dataset?page=0").unwrap();
        assert_eq!(
            next_link(r#"<?page=1>; rel="next", <?page=0>; rel="first""#, &base)
                .unwrap()
                .as_str(),
            "https://fdp.example.org/catalog/1/page/dataset?page=1"
        );
        assert_eq!(
            next_link(
                r#"<https://x.org/a>; rel="prev", <https://x.org/b>; rel=next"#,
                &base
            )
            .unwrap()
            .as_str(),
            "https://x.org/b"
        );
        assert!(next_link(r#"<https://x.org/a>; rel="last""#, &base).is_none());
    }

    #[test]
    fn reads_retry_after() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
