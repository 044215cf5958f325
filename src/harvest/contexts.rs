//! JSON-LD remote `@context`s: a document names a URL, and a naive parser
//! fetches it, from wherever, on every document. katalog loads the contexts
//! it ships from memory and fetches others only when the configuration
//! allowlists them (`harvest.jsonld_context_allowlist`), through the run's
//! fetcher and so under its network guard. Everything else is an error that
//! names the context.

use super::fetch::Fetcher;
use oxigraph::io::{JsonLdProfile, LoadedDocument, RdfFormat};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Contexts shipped with katalog: (URLs they are published at, content).
const SHIPPED: &[(&[&str], &str)] = &[
    (
        &[
            "https://schema.org",
            "https://schema.org/",
            "http://schema.org",
            "http://schema.org/",
            "https://schema.org/docs/jsonldcontext.jsonld",
            "https://schema.org/docs/jsonldcontext.json",
        ],
        include_str!("../../contexts/schema-org.jsonld"),
    ),
    (
        &[
            "https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.0/context/dcat-ap.jsonld",
            "https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld",
            "https://semiceu.github.io/DCAT-AP/releases/3.0.0/context/dcat-ap.jsonld",
            "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld",
            "https://w3id.org/katalog/contexts/dcat-ap.jsonld",
        ],
        include_str!("../../contexts/dcat-ap.jsonld"),
    ),
];

/// The URL a shipped context is known by, if `url` is one.
pub fn shipped(url: &str) -> Option<&'static str> {
    SHIPPED
        .iter()
        .find(|(urls, _)| urls.contains(&url))
        .map(|(_, content)| *content)
}

/// Loads JSON-LD contexts for the parser: shipped, else allowlisted and
/// fetched once per run, else refused.
#[derive(Clone)]
pub struct ContextLoader {
    inner: Arc<Inner>,
}

struct Inner {
    allowlist: Vec<String>,
    fetcher: Option<(Fetcher, tokio::runtime::Handle)>,
    fetched: Mutex<HashMap<String, LoadedContext>>,
}

#[derive(Clone)]
struct LoadedContext {
    url: String,
    content: Vec<u8>,
}

type LoadError = Box<dyn std::error::Error + Send + Sync>;

impl ContextLoader {
    /// Only the shipped contexts.
    pub fn offline() -> Self {
        Self::new(Vec::new(), None)
    }

    /// Shipped contexts, and the allowlisted ones fetched with `fetcher`
    /// (which must be created inside a tokio runtime).
    pub fn new(allowlist: Vec<String>, fetcher: Option<Fetcher>) -> Self {
        let fetcher = fetcher.and_then(|f| {
            tokio::runtime::Handle::try_current()
                .ok()
                .map(|handle| (f, handle))
        });
        ContextLoader {
            inner: Arc::new(Inner {
                allowlist,
                fetcher,
                fetched: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn is_allowlisted(&self, url: &str) -> bool {
        self.inner
            .allowlist
            .iter()
            .any(|allowed| match allowed.strip_suffix('*') {
                Some(prefix) => url.starts_with(prefix),
                None => allowed == url,
            })
    }

    /// The parser's document loader. Runs on a blocking thread (the parser's).
    pub fn load(&self, url: &str) -> Result<LoadedDocument, LoadError> {
        let format = RdfFormat::JsonLd {
            profile: JsonLdProfile::Context.into(),
        };
        if let Some(content) = shipped(url) {
            return Ok(LoadedDocument {
                url: url.to_string(),
                content: content.as_bytes().to_vec(),
                format,
            });
        }
        if !self.is_allowlisted(url) {
            return Err(format!(
                "remote JSON-LD @context <{url}> is not fetched: it is not shipped with katalog \
                 and not in harvest.jsonld_context_allowlist"
            )
            .into());
        }
        if let Some(cached) = self.lock()?.get(url).cloned() {
            return Ok(LoadedDocument {
                url: cached.url,
                content: cached.content,
                format,
            });
        }
        let Some((fetcher, handle)) = &self.inner.fetcher else {
            return Err(format!("remote JSON-LD @context <{url}> cannot be fetched here").into());
        };
        let parsed = url::Url::parse(url).map_err(|e| format!("@context <{url}>: {e}"))?;
        let page = handle
            .block_on(fetcher.get_with(&parsed, "application/ld+json, application/json;q=0.9"))
            .map_err(|e| format!("cannot load the JSON-LD @context: {e}"))?;
        let loaded = LoadedContext {
            url: page.document.location,
            content: page.document.bytes,
        };
        self.lock()?.insert(url.to_string(), loaded.clone());
        Ok(LoadedDocument {
            url: loaded.url,
            content: loaded.content,
            format,
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, LoadedContext>>, LoadError> {
        self.inner
            .fetched
            .lock()
            .map_err(|_| LoadError::from("the JSON-LD context cache is unusable"))
    }
}

/// The parser wants an unwind-safe loader; a panic in it cannot leave the
/// cache half-written (entries are inserted whole).
pub(crate) struct UnwindSafeLoader(pub std::panic::AssertUnwindSafe<ContextLoader>);

impl UnwindSafeLoader {
    pub fn load(&self, url: &str) -> Result<LoadedDocument, LoadError> {
        self.0.load(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harvest::fetch::FetchedDocument;

    fn parse(json: &str, loader: &ContextLoader) -> Result<usize, String> {
        let document = FetchedDocument {
            location: "https://example.org/doc.jsonld".into(),
            bytes: json.as_bytes().to_vec(),
            content_type: Some("application/ld+json".into()),
        };
        crate::harvest::parse_document_with(
            &document,
            RdfFormat::JsonLd {
                profile: oxigraph::io::JsonLdProfileSet::empty(),
            },
            loader,
            1 << 20,
        )
        .map(|t| t.len())
        .map_err(|e| e.to_string())
    }

    #[test]
    fn shipped_contexts_load_without_network() {
        let n = parse(
            r#"{"@context": "https://schema.org/", "@id": "https://example.org/d", "@type": "Dataset", "name": "x"}"#,
            &ContextLoader::offline(),
        )
        .unwrap();
        assert_eq!(n, 2);
        let n = parse(
            r#"{"@context": "https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.0/context/dcat-ap.jsonld",
                "@id": "https://example.org/d", "@type": "Dataset", "title": {"@value": "x", "@language": "en"}}"#,
            &ContextLoader::offline(),
        )
        .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn shipped_dcat_ap_context_knows_semic_names() {
        let document = FetchedDocument {
            location: "https://example.org/doc.jsonld".into(),
            bytes: br#"{"@context": "https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld",
                "@id": "https://example.org/d", "@type": "Dataset", "releaseDate": "2024-01-01",
                "datasetDistribution": {"@id": "https://example.org/x", "@type": "Distribution", "accessUrl": "https://example.org/f"}}"#
                .to_vec(),
            content_type: None,
        };
        let triples = crate::harvest::parse_document(
            &document,
            RdfFormat::JsonLd {
                profile: oxigraph::io::JsonLdProfileSet::empty(),
            },
        )
        .unwrap();
        let text: Vec<String> = triples.iter().map(|t| t.to_string()).collect();
        for needle in [
            "<http://purl.org/dc/terms/issued> \"2024-01-01\"",
            "<http://www.w3.org/ns/dcat#distribution> <https://example.org/x>",
            "<http://www.w3.org/ns/dcat#accessURL> <https://example.org/f>",
        ] {
            assert!(
                text.iter().any(|t| t.contains(needle)),
                "{needle} in {text:#?}"
            );
        }
    }

    #[test]
    fn other_remote_contexts_are_refused_by_name() {
        let error = parse(
            r#"{"@context": "http://169.254.169.254/latest/meta-data/ctx.jsonld", "@id": "https://example.org/d", "name": "x"}"#,
            &ContextLoader::offline(),
        )
        .unwrap_err();
        assert!(
            error.contains("169.254.169.254") && error.contains("jsonld_context_allowlist"),
            "{error}"
        );
    }

    #[test]
    fn allowlist_prefixes() {
        let loader = ContextLoader::new(vec!["https://ctx.example.org/*".into()], None);
        assert!(loader.is_allowlisted("https://ctx.example.org/a.jsonld"));
        assert!(!loader.is_allowlisted("https://ctx.example.org.evil/a.jsonld"));
    }
}
