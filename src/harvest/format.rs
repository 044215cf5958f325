//! Which RDF syntax a document is in: the source's `format`, else the
//! Content-Type, else the file extension, else a look at the first bytes.

use crate::config::RdfSyntax;
use oxigraph::io::{JsonLdProfileSet, RdfFormat};

impl RdfSyntax {
    pub fn rdf_format(self) -> RdfFormat {
        match self {
            RdfSyntax::Turtle => RdfFormat::Turtle,
            RdfSyntax::RdfXml => RdfFormat::RdfXml,
            RdfSyntax::JsonLd => RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
            RdfSyntax::NTriples => RdfFormat::NTriples,
            RdfSyntax::NQuads => RdfFormat::NQuads,
            RdfSyntax::TriG => RdfFormat::TriG,
        }
    }
}

/// How the syntax was decided, for the harvest report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatEvidence {
    Configured,
    ContentType,
    Extension,
    Sniffed,
}

pub fn detect(
    configured: Option<RdfSyntax>,
    content_type: Option<&str>,
    location: &str,
    bytes: &[u8],
) -> (RdfFormat, FormatEvidence) {
    if let Some(syntax) = configured {
        return (syntax.rdf_format(), FormatEvidence::Configured);
    }
    if let Some(format) = content_type.and_then(from_content_type) {
        return (format, FormatEvidence::ContentType);
    }
    if let Some(format) = from_extension(location) {
        return (format, FormatEvidence::Extension);
    }
    (sniff(bytes), FormatEvidence::Sniffed)
}

/// The syntax a Content-Type names, if it names one.
pub fn from_content_type(content_type: &str) -> Option<RdfFormat> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        // Servers label anything with these; they say nothing about the syntax.
        "text/plain" | "application/octet-stream" | "binary/octet-stream" | "" => None,
        "application/xml" | "text/xml" => Some(RdfFormat::RdfXml),
        "application/json" => Some(RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        }),
        "application/x-turtle" => Some(RdfFormat::Turtle),
        other => RdfFormat::from_media_type(other),
    }
}

fn from_extension(location: &str) -> Option<RdfFormat> {
    let path = match url::Url::parse(location) {
        Ok(url) if url.scheme().len() > 1 => url.path().to_string(),
        _ => location.to_string(),
    };
    let file = path.rsplit(['/', '\\']).next()?;
    let extension = file.rsplit_once('.')?.1.to_ascii_lowercase();
    match extension.as_str() {
        "xml" | "owl" => Some(RdfFormat::RdfXml),
        "json" => Some(RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        }),
        other => RdfFormat::from_extension(other),
    }
}

fn sniff(bytes: &[u8]) -> RdfFormat {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('<') && !text.starts_with("<http") && !text.starts_with("<urn") {
        // `<?xml`, `<rdf:RDF`, `<!DOCTYPE`, `<!--`: XML, not an N-Triples IRI.
        if text.starts_with("<?xml") || text.starts_with("<!") || text.starts_with("<rdf") {
            return RdfFormat::RdfXml;
        }
    }
    if text.starts_with('{') || text.starts_with('[') {
        return RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        };
    }
    let lower = text.to_ascii_lowercase();
    let has_directives = lower.contains("@prefix") || lower.contains("prefix ");
    if !has_directives && looks_like_nquads(text) {
        return RdfFormat::NQuads;
    }
    if lower.contains("graph ") || text.lines().any(|l| l.trim_end().ends_with('{')) {
        return RdfFormat::TriG;
    }
    RdfFormat::Turtle
}

/// A first statement line with a graph term after the object: N-Quads.
/// N-Triples lines are read by the N-Quads parser too.
fn looks_like_nquads(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| (l.starts_with('<') || l.starts_with("_:")) && l.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_wins_then_content_type_then_extension() {
        let (f, e) = detect(
            Some(RdfSyntax::TriG),
            Some("text/turtle"),
            "a.rdf",
            b"<?xml",
        );
        assert_eq!((f, e), (RdfFormat::TriG, FormatEvidence::Configured));
        let (f, e) = detect(None, Some("text/turtle; charset=utf-8"), "a.rdf", b"");
        assert_eq!((f, e), (RdfFormat::Turtle, FormatEvidence::ContentType));
        let (f, e) = detect(None, Some("text/plain"), "https://x.no/a.rdf?page=2", b"");
        assert_eq!((f, e), (RdfFormat::RdfXml, FormatEvidence::Extension));
        let (f, _) = detect(None, None, "fixtures/fi/catalogue.jsonld", b"");
        assert!(matches!(f, RdfFormat::JsonLd { .. }));
        let (f, _) = detect(None, None, "x.nq", b"");
        assert_eq!(f, RdfFormat::NQuads);
    }

    #[test]
    fn sniffs_each_syntax() {
        assert_eq!(
            sniff(b"\xef\xbb\xbf<?xml version=\"1.0\"?><rdf:RDF/>"),
            RdfFormat::RdfXml
        );
        assert!(matches!(
            sniff(b"  {\"@context\": {}}"),
            RdfFormat::JsonLd { .. }
        ));
        assert_eq!(
            sniff(b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> a dcat:Dataset ."),
            RdfFormat::Turtle
        );
        assert_eq!(
            sniff(b"<http://a> <http://b> <http://c> <http://g> .\n"),
            RdfFormat::NQuads
        );
        assert_eq!(
            sniff(b"PREFIX ex: <http://ex/>\nex:g {\n ex:a ex:b ex:c .\n}\n"),
            RdfFormat::TriG
        );
    }
}
