//! The configuration file (`katalog.toml`) and the built-in default that
//! harvests the national catalogues in `fixtures/`.

use serde::Deserialize;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use thiserror::Error;

/// The built-in default: the fixtures' own configuration, with paths relative
/// to the fixtures directory.
const DEFAULT_CONFIG: &str = include_str!("../fixtures/katalog.toml");

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration {origin}: {message}")]
    Syntax { origin: String, message: String },
    #[error("invalid configuration {origin}: `{key}`: {message}")]
    Value {
        origin: String,
        key: String,
        message: String,
    },
}

/// Where the built-in default configuration finds `fixtures/`.
pub fn default_fixtures_dir() -> PathBuf {
    let local = PathBuf::from("fixtures");
    if local.join("katalog.toml").is_file() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub storage: StorageConfig,
    #[serde(default)]
    pub harvest: HarvestConfig,
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceConfig>,
    /// Bearer tokens allowed to trigger harvests over HTTP, stored hashed.
    #[serde(default, rename = "token")]
    pub tokens: Vec<TokenConfig>,
    /// Directory against which relative source paths are resolved.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// Where this configuration came from, for error messages.
    #[serde(skip)]
    pub origin: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    #[serde(default = "default_bind")]
    pub bind: String,
    /// Public base URL (scheme, host and path prefix) when behind a reverse proxy.
    pub base_url: Option<String>,
    /// SPARQL query timeout in seconds; the evaluation is cancelled, not only the response.
    #[serde(default = "default_query_timeout")]
    pub query_timeout_secs: u64,
    /// Largest accepted request body (a query, a form) in bytes.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: default_bind(),
            base_url: None,
            query_timeout_secs: default_query_timeout(),
            max_body_bytes: default_max_body(),
        }
    }
}

fn default_bind() -> String {
    "127.0.0.1:8080".into()
}
fn default_query_timeout() -> u64 {
    30
}
fn default_max_body() -> usize {
    1024 * 1024
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarvestConfig {
    /// Largest document accepted from a source, after decompression, in bytes.
    #[serde(default = "default_max_document")]
    pub max_document_bytes: u64,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    #[serde(default = "default_request_timeout")]
    pub request_timeout_secs: u64,
    #[serde(default = "default_max_redirects")]
    pub max_redirects: usize,
    /// Retries of a request answered 5xx or 429, or not answered at all.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// First retry delay; it doubles on each further retry.
    #[serde(default = "default_retry_initial_delay")]
    pub retry_initial_delay_ms: u64,
    /// Longest wait before a retry, Retry-After included: a longer Retry-After fails the request.
    #[serde(default = "default_retry_max_delay")]
    pub retry_max_delay_secs: u64,
    /// A whole run (every page of a source) ends after this long; a slow-drip
    /// server cannot hold a run forever.
    #[serde(default = "default_run_timeout")]
    pub run_timeout_secs: u64,
    /// Remote JSON-LD `@context` URLs that may be fetched (exact URLs, or
    /// prefixes ending in `*`). The contexts katalog ships are never fetched.
    #[serde(default)]
    pub jsonld_context_allowlist: Vec<String>,
    /// Largest share (0..=1) of a source's records one run may tombstone;
    /// a run that would remove more removes none until a steward confirms
    /// with `katalog harvest --source NAME --allow-mass-delete`.
    #[serde(default = "default_max_delete_share")]
    pub max_delete_share: f64,
    /// How many sources `katalog serve` harvests at once.
    #[serde(default = "default_max_concurrent_sources")]
    pub max_concurrent_sources: usize,
    /// Scheduled runs start up to this many seconds after their cron time,
    /// at random, so sources sharing a schedule do not start together.
    #[serde(default = "default_schedule_jitter")]
    pub schedule_jitter_secs: u64,
}

impl Default for HarvestConfig {
    fn default() -> Self {
        Self {
            max_document_bytes: default_max_document(),
            connect_timeout_secs: default_connect_timeout(),
            request_timeout_secs: default_request_timeout(),
            max_redirects: default_max_redirects(),
            max_retries: default_max_retries(),
            retry_initial_delay_ms: default_retry_initial_delay(),
            retry_max_delay_secs: default_retry_max_delay(),
            run_timeout_secs: default_run_timeout(),
            jsonld_context_allowlist: Vec::new(),
            max_delete_share: default_max_delete_share(),
            max_concurrent_sources: default_max_concurrent_sources(),
            schedule_jitter_secs: default_schedule_jitter(),
        }
    }
}

fn default_max_document() -> u64 {
    512 * 1024 * 1024
}
fn default_connect_timeout() -> u64 {
    10
}
fn default_request_timeout() -> u64 {
    300
}
fn default_max_redirects() -> usize {
    10
}
fn default_max_retries() -> u32 {
    3
}
fn default_retry_initial_delay() -> u64 {
    1000
}
fn default_retry_max_delay() -> u64 {
    120
}
fn default_run_timeout() -> u64 {
    6 * 3600
}
/// Pages (documents) one run fetches at most, unless the source says otherwise.
pub const DEFAULT_MAX_PAGES: usize = 10_000;
fn default_max_delete_share() -> f64 {
    0.5
}
fn default_max_concurrent_sources() -> usize {
    2
}
fn default_schedule_jitter() -> u64 {
    60
}

/// One `[[token]]`: a bearer token that may trigger harvests with
/// `POST /api/sources/{name}/harvest`. Only its SHA-256 is configured
/// (`printf %s TOKEN | sha256sum`), so the file holds no secret.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Who holds it, for the logs.
    pub name: String,
    /// Lower-case hex SHA-256 of the token.
    pub sha256: String,
    /// The sources it may act on; absent: all.
    pub sources: Option<Vec<String>>,
    /// What it may do; absent: `["harvest"]` only (what every token could
    /// do before the publishing API), so no existing token gains write access.
    pub scopes: Option<Vec<TokenScope>>,
}

/// What a `[[token]]` may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    /// `POST /api/sources/{name}/harvest`.
    Harvest,
    /// `PUT` and `DELETE /api/records/{id}` on `kind = "push"` sources.
    Push,
}

impl TokenConfig {
    /// True when the token may do `scope` on the source named `source`.
    pub fn allows(&self, scope: TokenScope, source: &str) -> bool {
        let scoped = match &self.scopes {
            Some(scopes) => scopes.contains(&scope),
            None => scope == TokenScope::Harvest,
        };
        scoped && self.covers(source)
    }

    /// True when the token's `sources` include `source` (or it has no `sources`).
    pub fn covers(&self, source: &str) -> bool {
        self.sources
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == source))
    }
}

/// One `[[source]]`: a national catalogue to harvest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub name: String,
    /// ISO 3166-1 alpha-2 code of the publishing country.
    pub country: String,
    /// An http(s) URL or a local path (relative to the configuration file);
    /// none for `kind = "push"`.
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub kind: SourceKind,
    /// RDF syntax; otherwise from Content-Type, the file extension, then sniffing.
    pub format: Option<RdfSyntax>,
    /// Cron expression for scheduled harvests inside `katalog serve`.
    pub schedule: Option<String>,
    /// Allow a source on a loopback, private, link-local or unspecified address.
    #[serde(default)]
    pub allow_private_network: bool,
    /// Validation profile (dcat-ap-3, healthdcat-ap, dcat-ap-no, gdi): records
    /// that violate it are quarantined instead of published. None: no gate.
    pub profile: Option<String>,
    /// Most pages (documents, requests for `sparql`) one run fetches; more fails the run.
    pub max_pages: Option<usize>,
    /// `sparql`: the CONSTRUCT query describing the datasets bound to `?dataset`.
    pub query: Option<String>,
    /// `sparql`: the SELECT query listing the records to describe, as `?dataset`.
    pub dataset_query: Option<String>,
    /// `sparql`: datasets per page; `ckan`: packages per action-API page.
    pub page_size: Option<usize>,
    /// `ckan`: which interface to harvest.
    pub ckan_api: Option<CkanApi>,
    /// When two sources publish the same dataset, the one with the higher
    /// priority is published, the other kept as "also published by".
    #[serde(default)]
    pub priority: i64,
    /// Ask the source only for the records modified since the last
    /// successful run started (`ckan`, `sparql`, and `rdf` with
    /// `modified_since_param`). Such a run is incremental: it cannot see
    /// deletions, so it tombstones nothing; every `full_every`-th run is full.
    #[serde(default)]
    pub modified_since: bool,
    /// `rdf`: the query parameter by which the publisher filters its pages
    /// by modification time (an RFC 3339 time is passed).
    pub modified_since_param: Option<String>,
    /// With `modified_since`: one run in this many is a full run (default 7).
    pub full_every: Option<usize>,
}

/// With `modified_since`, one run in this many is full: the one that finds deletions.
pub const DEFAULT_FULL_EVERY: usize = 7;

impl SourceConfig {
    pub fn max_pages(&self) -> usize {
        self.max_pages.unwrap_or(DEFAULT_MAX_PAGES)
    }

    /// False for `kind = "push"`: its records arrive over the publishing
    /// API, and nothing fetches or schedules it.
    pub fn is_harvested(&self) -> bool {
        self.kind != SourceKind::Push
    }

    pub fn full_every(&self) -> usize {
        self.full_every.unwrap_or(DEFAULT_FULL_EVERY)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// An RDF document in any of the six syntaxes, following Hydra paging.
    #[default]
    Rdf,
    /// A SPARQL endpoint, read with paged CONSTRUCT queries.
    Sparql,
    /// A FAIR Data Point, walked from its root.
    Fdp,
    /// A CKAN portal: its DCAT endpoint when present, else the action API.
    Ckan,
    /// Nothing is fetched: stewards publish records with `PUT /api/records/{id}`.
    Push,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Rdf => "rdf",
            SourceKind::Sparql => "sparql",
            SourceKind::Fdp => "fdp",
            SourceKind::Ckan => "ckan",
            SourceKind::Push => "push",
        }
    }
}

/// The interface of a CKAN portal a `ckan` source harvests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CkanApi {
    /// The DCAT endpoint (ckanext-dcat's `/catalog.ttl`) if it answers, else the action API.
    #[default]
    Auto,
    /// Only the DCAT endpoint.
    Dcat,
    /// Only the action API (`/api/3/action/package_search`).
    Action,
}

/// The RDF syntaxes a source may declare with `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RdfSyntax {
    #[serde(rename = "turtle", alias = "ttl")]
    Turtle,
    #[serde(rename = "rdfxml", alias = "rdf/xml", alias = "xml", alias = "rdf")]
    RdfXml,
    #[serde(rename = "jsonld", alias = "json-ld")]
    JsonLd,
    #[serde(rename = "ntriples", alias = "nt", alias = "n-triples")]
    NTriples,
    #[serde(rename = "nquads", alias = "nq", alias = "n-quads")]
    NQuads,
    #[serde(rename = "trig")]
    TriG,
}

impl Config {
    /// The built-in default: harvest the national catalogues in `fixtures/`.
    pub fn builtin_default() -> Result<Self, ConfigError> {
        let dir = default_fixtures_dir();
        Self::parse(
            DEFAULT_CONFIG,
            &dir,
            "built-in default (fixtures/katalog.toml)",
        )
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Self::parse(&text, &base_dir, &path.display().to_string())
    }

    pub fn parse(text: &str, base_dir: &Path, origin: &str) -> Result<Self, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            origin: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config.base_dir = base_dir.to_path_buf();
        config.origin = origin.to_string();
        config.check()?;
        Ok(config)
    }

    fn value_error(&self, key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError::Value {
            origin: self.origin.clone(),
            key: key.into(),
            message: message.into(),
        }
    }

    fn check(&self) -> Result<(), ConfigError> {
        SocketAddr::from_str(&self.server.bind).map_err(|e| {
            self.value_error(
                "server.bind",
                format!("{e}: expected an address such as 127.0.0.1:8080"),
            )
        })?;
        if let Some(base) = &self.server.base_url {
            let url = url::Url::parse(base)
                .map_err(|e| self.value_error("server.base_url", e.to_string()))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(self.value_error("server.base_url", "must be an http(s) URL"));
            }
        }
        if self.harvest.run_timeout_secs == 0 {
            return Err(self.value_error("harvest.run_timeout_secs", "must be at least 1"));
        }
        if self.server.query_timeout_secs == 0 {
            return Err(self.value_error("server.query_timeout_secs", "must be at least 1"));
        }
        let share = self.harvest.max_delete_share;
        if !(0.0..=1.0).contains(&share) {
            return Err(self.value_error(
                "harvest.max_delete_share",
                format!("{share}: a share between 0 and 1 (0.5 is half of a source's records)"),
            ));
        }
        if self.harvest.max_concurrent_sources == 0 {
            return Err(self.value_error("harvest.max_concurrent_sources", "must be at least 1"));
        }
        let mut names = HashSet::new();
        for (i, source) in self.sources.iter().enumerate() {
            let at = |field: &str| format!("source[{i}].{field}");
            if source.name.is_empty()
                || !source
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(self.value_error(
                    at("name"),
                    format!(
                        "{:?}: use letters, digits, '-' and '_' only (the name appears in IRIs and URLs)",
                        source.name
                    ),
                ));
            }
            if !names.insert(source.name.as_str()) {
                return Err(self.value_error(
                    at("name"),
                    format!("{:?} is used by two sources", source.name),
                ));
            }
            if source.country.len() != 2 || !source.country.chars().all(|c| c.is_ascii_uppercase())
            {
                return Err(self.value_error(
                    at("country"),
                    format!(
                        "{:?} is not an ISO 3166-1 alpha-2 code (two capital letters, e.g. \"NO\")",
                        source.country
                    ),
                ));
            }
            if source.kind == SourceKind::Push {
                if !source.url.is_empty() {
                    return Err(self.value_error(
                        at("url"),
                        "a kind = \"push\" source fetches nothing: leave url out (records arrive with PUT /api/records/{id})",
                    ));
                }
                if source.schedule.is_some() {
                    return Err(self.value_error(
                        at("schedule"),
                        "a kind = \"push\" source is not harvested, so it has no schedule",
                    ));
                }
            } else if source.url.is_empty() {
                return Err(self.value_error(at("url"), "is empty"));
            } else if let Location::Remote(url) = self.location(source) {
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(self.value_error(
                        at("url"),
                        format!(
                            "{:?}: only http(s) URLs and local paths are harvested",
                            source.url
                        ),
                    ));
                }
            }
            if let Some(profile) = &source.profile {
                let known = crate::profiles::names();
                if !known.contains(profile) {
                    return Err(self.value_error(
                        at("profile"),
                        format!(
                            "{profile:?} is not a profile; the profiles are: {}",
                            known.join(", ")
                        ),
                    ));
                }
            }
            if let Some(schedule) = &source.schedule {
                check_cron(schedule).map_err(|m| self.value_error(at("schedule"), m))?;
            }
            self.check_kind_options(source, &at)?;
        }
        self.check_tokens()
    }

    /// `[[token]]`s: a well-formed hash, and only configured sources.
    fn check_tokens(&self) -> Result<(), ConfigError> {
        for (i, token) in self.tokens.iter().enumerate() {
            let at = |field: &str| format!("token[{i}].{field}");
            if token.sha256.len() != 64 || !token.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(self.value_error(
                    at("sha256"),
                    "must be the 64 hex digits of the token's SHA-256 (printf %s TOKEN | sha256sum)",
                ));
            }
            for name in token.sources.iter().flatten() {
                if self.source(name).is_none() {
                    return Err(self.value_error(
                        at("sources"),
                        format!("{name:?} is not a configured source"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Per-kind options: each only on the kinds it applies to, with sane values.
    fn check_kind_options(
        &self,
        source: &SourceConfig,
        at: &dyn Fn(&str) -> String,
    ) -> Result<(), ConfigError> {
        use SourceKind::*;
        let kind = source.kind;
        let only = |key: &str, set: bool, kinds: &[SourceKind]| {
            if set && !kinds.contains(&kind) {
                let names: Vec<String> =
                    kinds.iter().map(|k| format!("{:?}", k.as_str())).collect();
                return Err(self.value_error(
                    at(key),
                    format!(
                        "applies only to kind = {}, not to kind = {:?}",
                        names.join(" or "),
                        kind.as_str()
                    ),
                ));
            }
            Ok(())
        };
        only("query", source.query.is_some(), &[Sparql])?;
        only("dataset_query", source.dataset_query.is_some(), &[Sparql])?;
        only("page_size", source.page_size.is_some(), &[Sparql, Ckan])?;
        only("ckan_api", source.ckan_api.is_some(), &[Ckan])?;
        only("format", source.format.is_some(), &[Rdf, Fdp, Ckan])?;
        only(
            "max_pages",
            source.max_pages.is_some(),
            &[Rdf, Sparql, Fdp, Ckan],
        )?;
        only(
            "allow_private_network",
            source.allow_private_network,
            &[Rdf, Sparql, Fdp, Ckan],
        )?;
        // A FAIR Data Point has no query by modification time.
        only(
            "modified_since",
            source.modified_since,
            &[Rdf, Sparql, Ckan],
        )?;
        only(
            "modified_since_param",
            source.modified_since_param.is_some(),
            &[Rdf],
        )?;
        if source.full_every.is_some() && !source.modified_since {
            return Err(
                self.value_error(at("full_every"), "applies only with modified_since = true")
            );
        }
        if source.full_every == Some(0) {
            return Err(self.value_error(at("full_every"), "must be at least 1"));
        }
        if source.modified_since && kind == Rdf && source.modified_since_param.is_none() {
            return Err(self.value_error(
                at("modified_since"),
                "a kind = \"rdf\" source needs modified_since_param: the query parameter by which the publisher filters by modification time",
            ));
        }
        if let Some(param) = &source.modified_since_param {
            if param.is_empty() || param.contains(['&', '=', '#', '?']) {
                return Err(self.value_error(
                    at("modified_since_param"),
                    format!("{param:?} is not a query parameter name"),
                ));
            }
        }
        if source.modified_since && kind == Sparql {
            if let Some(query) = &source.dataset_query {
                if !query.contains(crate::harvest::sparql_source::MODIFIED_SINCE) {
                    return Err(self.value_error(
                        at("dataset_query"),
                        format!(
                            "with modified_since = true it must use {} (a string literal of the day to list changes from, \"\" on full runs), e.g. FILTER(STR(?modified) >= {})",
                            crate::harvest::sparql_source::MODIFIED_SINCE,
                            crate::harvest::sparql_source::MODIFIED_SINCE
                        ),
                    ));
                }
            }
        }
        if source.max_pages == Some(0) {
            return Err(self.value_error(at("max_pages"), "must be at least 1"));
        }
        if source.page_size == Some(0) {
            return Err(self.value_error(at("page_size"), "must be at least 1"));
        }
        if !matches!(kind, Rdf | Push) && matches!(self.location(source), Location::Local(_)) {
            return Err(self.value_error(
                at("url"),
                format!(
                    "{:?}: a {:?} source is harvested over http(s); only kind = \"rdf\" reads local files",
                    source.url,
                    kind.as_str()
                ),
            ));
        }
        if let Some(query) = &source.query {
            if !query.contains("?dataset") {
                return Err(self.value_error(
                    at("query"),
                    "must be a CONSTRUCT query using ?dataset (katalog binds it with VALUES)",
                ));
            }
        }
        if let Some(query) = &source.dataset_query {
            if !query.contains("?dataset") {
                return Err(self.value_error(
                    at("dataset_query"),
                    "must be a SELECT query binding ?dataset",
                ));
            }
        }
        Ok(())
    }

    /// The parsed cron schedule of a source, if it has one.
    pub fn schedule(source: &SourceConfig) -> Option<cron::Schedule> {
        let expression = source.schedule.as_deref()?;
        cron::Schedule::from_str(&normalise_cron(expression)).ok()
    }

    /// Where a source's document lives.
    pub fn location(&self, source: &SourceConfig) -> Location {
        match url::Url::parse(&source.url) {
            Ok(url) if url.scheme() == "file" => match url.to_file_path() {
                Ok(path) => Location::Local(path),
                Err(()) => Location::Remote(url),
            },
            // A one-letter scheme is a Windows drive letter, not a URL.
            Ok(url) if url.scheme().len() > 1 => Location::Remote(url),
            _ => Location::Local(self.base_dir.join(&source.url)),
        }
    }

    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// The public base URL, without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.server.base_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.server.bind),
        }
    }
}

/// A source's document: a file on this machine or a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    Remote(url::Url),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Local(path) => write!(f, "{}", path.display()),
            Location::Remote(url) => write!(f, "{url}"),
        }
    }
}

/// Five-field cron gets the seconds field the `cron` crate expects.
fn normalise_cron(expression: &str) -> String {
    if expression.split_whitespace().count() == 5 {
        format!("0 {expression}")
    } else {
        expression.to_string()
    }
}

/// Checks a cron expression: five fields (minute hour day month weekday), or
/// six/seven with seconds and year first/last as the `cron` crate reads them.
fn check_cron(expression: &str) -> Result<(), String> {
    let fields = expression.split_whitespace().count();
    if !(5..=7).contains(&fields) {
        return Err(format!(
            "{expression:?}: a cron expression has 5 fields (minute hour day month weekday), found {fields}"
        ));
    }
    cron::Schedule::from_str(&normalise_cron(expression))
        .map(|_| ())
        .map_err(|e| format!("{expression:?} is not a valid cron expression: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/katalog"), "test.toml")
    }

    #[test]
    fn builtin_default_harvests_the_fixtures() {
        let config = Config::builtin_default().expect("default config parses");
        assert!(config.sources.len() >= 4);
        for source in &config.sources {
            match config.location(source) {
                Location::Local(path) => assert!(path.is_file(), "{} missing", path.display()),
                Location::Remote(url) => panic!("default source {url} is remote"),
            }
        }
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = parse("[server]\nbnd = \"127.0.0.1:1\"\n").unwrap_err();
        assert!(err.to_string().contains("bnd"), "{err}");
        let err = parse("[[source]]\nname=\"a\"\ncountry=\"NO\"\nurl=\"x.ttl\"\nshedule=\"x\"\n")
            .unwrap_err();
        assert!(err.to_string().contains("shedule"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        let err = parse("[[source]]\nname=\"a\"\ncountry=\"Norway\"\nurl=\"x.ttl\"\n").unwrap_err();
        assert!(err.to_string().contains("source[0].country"), "{err}");
        let err = parse("[[source]]\nname=\"a\"\ncountry=\"NO\"\nurl=\"ftp://x/y\"\n").unwrap_err();
        assert!(err.to_string().contains("source[0].url"), "{err}");
        let err =
            parse("[[source]]\nname=\"a\"\ncountry=\"NO\"\nurl=\"x\"\nschedule=\"every day\"\n")
                .unwrap_err();
        assert!(err.to_string().contains("source[0].schedule"), "{err}");
        let err = parse("[server]\nbind=\"localhost\"\n").unwrap_err();
        assert!(err.to_string().contains("server.bind"), "{err}");
        let err = parse("[[source]]\nname=\"a\"\ncountry=\"NO\"\nurl=\"x\"\nformat=\"n3\"\n")
            .unwrap_err();
        assert!(err.to_string().contains("format"), "{err}");
        let err = parse(
            "[[source]]\nname=\"a\"\ncountry=\"NO\"\nurl=\"x\"\n[[source]]\nname=\"a\"\ncountry=\"SE\"\nurl=\"y\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("source[1].name"), "{err}");
    }

    #[test]
    fn kind_options_are_checked_and_named() {
        let source = |extra: &str| {
            format!(
                "[[source]]\nname=\"a\"\ncountry=\"NO\"\nurl=\"https://x.org/sparql\"\n{extra}\n"
            )
        };
        let config = parse(&source(
            "kind=\"sparql\"\npage_size=500\nmax_pages=10\nquery=\"CONSTRUCT { ?dataset ?p ?o } WHERE { ?dataset ?p ?o }\"",
        ))
        .unwrap();
        assert_eq!(config.sources[0].kind, SourceKind::Sparql);
        assert_eq!(config.sources[0].max_pages(), 10);
        let err = parse(&source(
            "query=\"CONSTRUCT { ?dataset ?p ?o } WHERE { ?dataset ?p ?o }\"",
        ))
        .unwrap_err();
        assert!(err.to_string().contains("source[0].query"), "{err}");
        let err = parse(&source("kind=\"fdp\"\nmodified_since=true")).unwrap_err();
        assert!(
            err.to_string().contains("source[0].modified_since"),
            "{err}"
        );
        let err = parse(&source("kind=\"sparql\"\nmodified_since=true\ndataset_query=\"SELECT ?dataset WHERE { ?dataset ?p ?o }\"")).unwrap_err();
        assert!(err.to_string().contains("$modified_since"), "{err}");
        let err = parse(&source("modified_since=true")).unwrap_err();
        assert!(err.to_string().contains("modified_since_param"), "{err}");
        let err = parse(&source("kind=\"ckan\"\nfull_every=3")).unwrap_err();
        assert!(err.to_string().contains("full_every"), "{err}");
        assert!(parse(&source(
            "modified_since=true\nmodified_since_param=\"since\"\nfull_every=3"
        ))
        .is_ok());
        let err = parse(&source("kind=\"fdp\"\nckan_api=\"action\"")).unwrap_err();
        assert!(err.to_string().contains("source[0].ckan_api"), "{err}");
        let err = parse(&source("kind=\"ckan\"\nckan_api=\"rest\"")).unwrap_err();
        assert!(err.to_string().contains("ckan_api"), "{err}");
        let err = parse(&source("kind=\"oai-pmh\"")).unwrap_err();
        assert!(err.to_string().contains("kind"), "{err}");
        let err = parse(&source("max_pages=0")).unwrap_err();
        assert!(err.to_string().contains("source[0].max_pages"), "{err}");
        let err =
            parse("[[source]]\nname=\"a\"\ncountry=\"NO\"\nurl=\"local.ttl\"\nkind=\"fdp\"\n")
                .unwrap_err();
        assert!(err.to_string().contains("source[0].url"), "{err}");
        let err = parse("[harvest]\nrun_timeout=5\n").unwrap_err();
        assert!(err.to_string().contains("run_timeout"), "{err}");
        let config = parse(
            "[harvest]\nrun_timeout_secs=5\nmax_retries=1\nretry_initial_delay_ms=10\nretry_max_delay_secs=2\n\
             jsonld_context_allowlist=[\"https://ctx.example.org/*\"]\n",
        )
        .unwrap();
        assert_eq!(config.harvest.run_timeout_secs, 5);
    }

    #[test]
    fn push_sources_fetch_nothing() {
        let config = parse("[[source]]\nname=\"p\"\ncountry=\"NO\"\nkind=\"push\"\n").unwrap();
        assert!(!config.sources[0].is_harvested());
        for (extra, key) in [
            ("url=\"x.ttl\"", "source[0].url"),
            ("schedule=\"0 3 * * *\"", "source[0].schedule"),
            ("format=\"turtle\"", "source[0].format"),
            ("max_pages=3", "source[0].max_pages"),
        ] {
            let err = parse(&format!(
                "[[source]]\nname=\"p\"\ncountry=\"NO\"\nkind=\"push\"\n{extra}\n"
            ))
            .unwrap_err();
            assert!(err.to_string().contains(key), "{extra}: {err}");
        }
        let err = parse("[[source]]\nname=\"a\"\ncountry=\"NO\"\n").unwrap_err();
        assert!(err.to_string().contains("source[0].url"), "{err}");
    }

    #[test]
    fn token_scopes_default_to_harvest() {
        let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let config = parse(&format!(
            "[[source]]\nname=\"p\"\ncountry=\"NO\"\nkind=\"push\"\n\
             [[token]]\nname=\"old\"\nsha256=\"{hash}\"\n\
             [[token]]\nname=\"pusher\"\nsha256=\"{hash}\"\nsources=[\"p\"]\nscopes=[\"push\"]\n"
        ))
        .unwrap();
        let (old, pusher) = (&config.tokens[0], &config.tokens[1]);
        assert!(old.allows(TokenScope::Harvest, "p"));
        assert!(
            !old.allows(TokenScope::Push, "p"),
            "no token gains write access unasked"
        );
        assert!(pusher.allows(TokenScope::Push, "p"));
        assert!(!pusher.allows(TokenScope::Harvest, "p"));
        assert!(!pusher.allows(TokenScope::Push, "q"));
        let err = parse(&format!(
            "[[token]]\nname=\"x\"\nsha256=\"{hash}\"\nscopes=[\"write\"]\n"
        ))
        .unwrap_err();
        assert!(err.to_string().contains("write"), "{err}");
    }

    #[test]
    fn locations_resolve_relative_to_the_config() {
        let config = parse(
            "[[source]]\nname=\"a\"\ncountry=\"NO\"\nurl=\"no/catalogue.ttl\"\nschedule=\"0 3 * * *\"\n\
             [[source]]\nname=\"b\"\ncountry=\"SE\"\nurl=\"https://example.org/catalog.ttl\"\n",
        )
        .unwrap();
        assert_eq!(
            config.location(&config.sources[0]),
            Location::Local(PathBuf::from("/etc/katalog/no/catalogue.ttl"))
        );
        assert!(matches!(
            config.location(&config.sources[1]),
            Location::Remote(_)
        ));
    }

    #[test]
    fn guard_concurrency_and_tokens_are_checked() {
        let config = parse("").unwrap();
        assert_eq!(config.harvest.max_delete_share, 0.5);
        assert!(config.harvest.max_concurrent_sources >= 1);
        let err = parse("[harvest]\nmax_delete_share = 1.5\n").unwrap_err();
        assert!(
            err.to_string().contains("harvest.max_delete_share"),
            "{err}"
        );
        let err = parse("[harvest]\nmax_concurrent_sources = 0\n").unwrap_err();
        assert!(err.to_string().contains("max_concurrent_sources"), "{err}");
        let source = "[[source]]\nname=\"a\"\ncountry=\"NO\"\nurl=\"x\"\npriority=3\n";
        let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let config = parse(&format!(
            "{source}[[token]]\nname=\"ci\"\nsha256=\"{hash}\"\nsources=[\"a\"]\n"
        ))
        .unwrap();
        assert_eq!(
            config.tokens[0].sources.as_deref(),
            Some(&["a".to_string()][..])
        );
        assert_eq!(config.sources[0].priority, 3);
        let err = parse(&format!("{source}[[token]]\nname=\"ci\"\nsha256=\"abc\"\n")).unwrap_err();
        assert!(err.to_string().contains("token[0].sha256"), "{err}");
        let err = parse(&format!(
            "{source}[[token]]\nname=\"ci\"\nsha256=\"{hash}\"\nsources=[\"b\"]\n"
        ))
        .unwrap_err();
        assert!(err.to_string().contains("token[0].sources"), "{err}");
    }
}
