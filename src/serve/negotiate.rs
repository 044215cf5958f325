//! What the publishing endpoints share: the RDF syntaxes they answer in
//! (chosen by a file extension or by Accept), the public base URL, and a
//! body that streams serialised triples as they are produced.

use super::ServeError;
use crate::config::Config;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use oxigraph::model::Triple;
use std::io::{self, Write};
use tokio::sync::mpsc;

/// The RDF syntaxes katalog publishes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Turtle,
    RdfXml,
    JsonLd,
    NTriples,
}

/// A representation: RDF, or a page for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    Rdf(Syntax),
    Html,
}

impl Syntax {
    pub const ALL: [Syntax; 4] = [
        Syntax::Turtle,
        Syntax::RdfXml,
        Syntax::JsonLd,
        Syntax::NTriples,
    ];

    pub fn extension(self) -> &'static str {
        match self {
            Syntax::Turtle => "ttl",
            Syntax::RdfXml => "rdf",
            Syntax::JsonLd => "jsonld",
            Syntax::NTriples => "nt",
        }
    }

    pub fn from_extension(extension: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.extension() == extension)
    }

    /// The media type without parameters.
    pub fn media_type(self) -> &'static str {
        match self {
            Syntax::Turtle => "text/turtle",
            Syntax::RdfXml => "application/rdf+xml",
            Syntax::JsonLd => "application/ld+json",
            Syntax::NTriples => "application/n-triples",
        }
    }

    /// The Content-Type header value.
    pub fn content_type(self) -> &'static str {
        match self {
            Syntax::Turtle => "text/turtle; charset=utf-8",
            other => other.media_type(),
        }
    }

    pub fn format(self) -> RdfFormat {
        match self {
            Syntax::Turtle => RdfFormat::Turtle,
            Syntax::RdfXml => RdfFormat::RdfXml,
            Syntax::JsonLd => RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
            Syntax::NTriples => RdfFormat::NTriples,
        }
    }
}

/// Picks a representation from Accept (q-values honoured). Without Accept, or
/// with `*/*`, the answer is Turtle; `text/html` only when `html` is offered.
pub fn negotiate(headers: &HeaderMap, html: bool) -> Result<Representation, ServeError> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ranges = super::sparql::accepted(accept);
    if ranges.is_empty() {
        return Ok(Representation::Rdf(Syntax::Turtle));
    }
    for media in &ranges {
        let found = match media.as_str() {
            "text/turtle" | "application/x-turtle" | "*/*" | "text/*" => Some(Syntax::Turtle),
            "application/rdf+xml" | "application/xml" | "text/xml" | "application/*" => {
                Some(Syntax::RdfXml)
            }
            "application/ld+json" | "application/json" => Some(Syntax::JsonLd),
            "application/n-triples" | "text/plain" => Some(Syntax::NTriples),
            "text/html" | "application/xhtml+xml" if html => return Ok(Representation::Html),
            _ => None,
        };
        if let Some(syntax) = found {
            return Ok(Representation::Rdf(syntax));
        }
    }
    let offered: Vec<&str> = Syntax::ALL.iter().map(|s| s.media_type()).collect();
    Err(ServeError::NotAcceptable(format!(
        "none of {accept:?} is offered here: use {}{}",
        offered.join(", "),
        if html { " or text/html" } else { "" }
    )))
}

/// The public base URL (no trailing slash): `[server] base_url` when set
/// (behind a reverse proxy), otherwise the Host the request was sent to.
pub fn public_base(config: &Config, headers: &HeaderMap) -> String {
    if let Some(base) = &config.server.base_url {
        return base.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
    match host {
        Some(host) => format!("http://{host}"),
        None => config.base_url(),
    }
}

/// The prefixes of katalog's published documents.
pub fn serializer(syntax: Syntax) -> RdfSerializer {
    let mut serializer = super::sparql::prefixed(RdfSerializer::from_format(syntax.format()));
    for (prefix, iri) in [
        ("hydra", HYDRA),
        ("void", VOID),
        ("sd", SD),
        ("owl", "http://www.w3.org/2002/07/owl#"),
    ] {
        serializer = match serializer.clone().with_prefix(prefix, iri) {
            Ok(with) => with,
            Err(_) => serializer,
        };
    }
    serializer
}

pub const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";
pub const VOID: &str = "http://rdfs.org/ns/void#";
pub const SD: &str = "http://www.w3.org/ns/sparql-service-description#";

/// Serialises all triples into memory: for small documents.
pub fn to_bytes(syntax: Syntax, triples: &[Triple]) -> Result<Vec<u8>, ServeError> {
    let io_error = |e: io::Error| ServeError::Internal(format!("cannot serialise: {e}"));
    let mut out = serializer(syntax).for_writer(Vec::new());
    for triple in triples {
        out.serialize_triple(triple).map_err(io_error)?;
    }
    out.finish().map_err(io_error)
}

const CHUNK: usize = 64 * 1024;

/// Writes into a response body chunk by chunk; the producer blocks while the
/// client reads, so memory stays at a few chunks whatever the document size.
pub struct BodyWriter {
    chunks: mpsc::Sender<Result<Bytes, io::Error>>,
    buffer: Vec<u8>,
}

impl BodyWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.chunks
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }

    /// Ends the body with an error: the client sees a truncated response.
    pub fn fail(self, error: &str) {
        let _ = self
            .chunks
            .blocking_send(Err(io::Error::other(error.to_string())));
    }
}

impl Write for BodyWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// A body whose bytes `produce` writes on a blocking thread.
pub fn streamed_body(
    produce: impl FnOnce(&mut BodyWriter) -> Result<(), String> + Send + 'static,
) -> Body {
    let (tx, rx) = mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let mut writer = BodyWriter {
            chunks: tx,
            buffer: Vec::with_capacity(CHUNK),
        };
        match produce(&mut writer).and_then(|()| writer.flush().map_err(|e| e.to_string())) {
            Ok(()) => {}
            Err(error) => {
                tracing::debug!(%error, "streamed response stopped");
                writer.fail(&error);
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async {
        rx.recv().await.map(|item| (item, rx))
    });
    Body::from_stream(stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn negotiation() {
        assert_eq!(
            negotiate(&HeaderMap::new(), true).unwrap(),
            Representation::Rdf(Syntax::Turtle)
        );
        assert_eq!(
            negotiate(
                &accept("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                true
            )
            .unwrap(),
            Representation::Html
        );
        assert_eq!(
            negotiate(&accept("text/html, application/rdf+xml;q=0.5"), false).unwrap(),
            Representation::Rdf(Syntax::RdfXml)
        );
        assert_eq!(
            negotiate(&accept("application/ld+json"), true).unwrap(),
            Representation::Rdf(Syntax::JsonLd)
        );
        assert!(negotiate(&accept("image/png"), true).is_err());
    }
}
