//! Reading shapes and background files from disk.

use super::LoadError;
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfParseError, RdfParser};
use oxrdf::Triple;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// The syntax of a file from its extension.
pub(crate) fn format_for(path: &Path) -> Option<RdfFormat> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "xml" | "owl" => Some(RdfFormat::RdfXml),
        "json" => Some(RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        }),
        other => RdfFormat::from_extension(other),
    }
}

/// All triples of an RDF file (quads of a dataset file are merged into one
/// graph). Relative IRIs resolve against the file's own `file:` URL.
pub(crate) fn read_triples(path: &Path) -> Result<Vec<Triple>, LoadError> {
    let format = format_for(path).ok_or_else(|| LoadError::UnknownFormat {
        path: path.to_path_buf(),
    })?;
    let file = File::open(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let base = std::path::absolute(path)
        .ok()
        .and_then(|absolute| url::Url::from_file_path(absolute).ok());
    // A file URL is always a valid base IRI; were it not, relative IRIs would just stay unresolvable.
    let parser = match base.map(|base| RdfParser::from_format(format).with_base_iri(base.as_str()))
    {
        Some(Ok(parser)) => parser,
        _ => RdfParser::from_format(format),
    };
    let mut triples = Vec::new();
    for quad in parser.for_reader(BufReader::new(file)) {
        let quad = quad.map_err(|error| match error {
            RdfParseError::Io(source) => LoadError::Io {
                path: path.to_path_buf(),
                source,
            },
            RdfParseError::Syntax(error) => LoadError::Syntax {
                path: path.to_path_buf(),
                line: error.location().map(|range| range.start.line + 1),
                message: error.to_string(),
            },
        })?;
        triples.push(Triple::new(quad.subject, quad.predicate, quad.object));
    }
    Ok(triples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn syntax_errors_name_the_file_and_line() {
        let mut file = tempfile::Builder::new()
            .suffix(".ttl")
            .tempfile()
            .expect("temp file");
        writeln!(
            file,
            "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b ."
        )
        .expect("write");
        let error = read_triples(file.path()).expect_err("the third line is broken");
        match &error {
            LoadError::Syntax { line, .. } => assert_eq!(*line, Some(3)),
            other => panic!("expected a syntax error, got {other:?}"),
        }
        let text = error.to_string();
        assert!(text.contains(&file.path().display().to_string()), "{text}");
        assert!(text.contains("line 3"), "{text}");
    }

    #[test]
    fn unknown_extensions_are_refused() {
        let error = read_triples(Path::new("shapes.docx")).expect_err("no RDF syntax");
        assert!(matches!(error, LoadError::UnknownFormat { .. }));
    }
}
