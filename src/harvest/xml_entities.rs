//! RDF/XML entity expansion guard. The RDF/XML parser expands the internal
//! DTD's `<!ENTITY name "value">` declarations eagerly, each one with the
//! entities declared before it, so ten nested declarations of ten references
//! ("billion laughs") build a gigabyte string before the first triple.
//! External entities (`SYSTEM`, `PUBLIC`) are not read by the parser at all.
//! This module measures the expansion from the declarations, without
//! expanding anything, and refuses a document whose entities would expand
//! beyond a bound.

use std::collections::HashMap;

/// No single entity expands beyond this: real documents declare namespace
/// IRIs of a few dozen bytes.
pub const MAX_ENTITY_BYTES: u64 = 64 * 1024;

/// Checks the declared entities of an RDF/XML document: each expands to at
/// most `MAX_ENTITY_BYTES`, and all their uses together add at most
/// `max_expanded_bytes`.
pub fn check(bytes: &[u8], max_expanded_bytes: u64) -> Result<(), String> {
    let Some(start) = find(bytes, b"<!DOCTYPE") else {
        return Ok(());
    };
    let rest = &bytes[start..];
    // The internal subset ends at `]>`; a DOCTYPE without one declares nothing.
    let Some(open) = rest.iter().position(|&b| b == b'[' || b == b'>') else {
        return Ok(());
    };
    if rest[open] == b'>' {
        return Ok(());
    }
    let Some(close) = find(&rest[open..], b"]>") else {
        return Err("the DOCTYPE's internal subset does not end (no `]>`)".into());
    };
    let subset = String::from_utf8_lossy(&rest[open + 1..open + close]);
    let mut sizes: HashMap<String, u64> = HashMap::new();
    for declaration in subset.split('<').skip(1) {
        let Some(input) = declaration.strip_prefix("!ENTITY") else {
            continue;
        };
        let input = input.trim_start();
        let input = input.strip_prefix('%').unwrap_or(input).trim_start();
        let Some((name, input)) = input.split_once(|c: char| c.is_ascii_whitespace()) else {
            continue; // the parser reports the malformed declaration
        };
        let Some(value) = input
            .trim_start()
            .strip_prefix('"')
            .and_then(|v| v.split_once('"'))
            .map(|(v, _)| v)
        else {
            continue;
        };
        let size = expanded_size(value, &sizes);
        if size > MAX_ENTITY_BYTES {
            return Err(format!(
                "the XML entity `{name}` would expand to {size} bytes (more than {MAX_ENTITY_BYTES}); \
                 entity expansion is bounded (\"billion laughs\")"
            ));
        }
        sizes.insert(name.to_string(), size);
    }
    if sizes.is_empty() {
        return Ok(());
    }
    let body = &rest[open + close..];
    let mut total: u64 = 0;
    let mut i = 0;
    while let Some(offset) = body[i..].iter().position(|&b| b == b'&') {
        let at = i + offset + 1;
        let end = body[at..]
            .iter()
            .take(256)
            .position(|&b| b == b';')
            .map(|p| at + p);
        if let Some(end) = end {
            if let Some(size) = std::str::from_utf8(&body[at..end])
                .ok()
                .and_then(|name| sizes.get(name))
            {
                total = total.saturating_add(*size);
                if total > max_expanded_bytes {
                    return Err(format!(
                        "the document's XML entity references would expand to more than {max_expanded_bytes} bytes \
                         (harvest.max_document_bytes)"
                    ));
                }
            }
        }
        i = at;
    }
    Ok(())
}

/// Size of an entity value with the references to earlier entities expanded.
fn expanded_size(value: &str, sizes: &HashMap<String, u64>) -> u64 {
    let mut size: u64 = 0;
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        size = size.saturating_add(amp as u64);
        let after = &rest[amp + 1..];
        match after.find(';') {
            Some(semi) => {
                let name = &after[..semi];
                size = size.saturating_add(match sizes.get(name) {
                    Some(n) => *n,
                    None => semi as u64 + 2,
                });
                rest = &after[semi + 1..];
            }
            None => {
                size = size.saturating_add(after.len() as u64 + 1);
                rest = "";
            }
        }
    }
    size.saturating_add(rest.len() as u64)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harvest::fetch::FetchedDocument;
    use oxigraph::io::RdfFormat;

    fn laughs(levels: usize) -> String {
        let mut dtd = String::from("<!ENTITY lol0 \"lol\">\n");
        for level in 1..=levels {
            let refs = format!("&lol{};", level - 1).repeat(10);
            dtd.push_str(&format!("<!ENTITY lol{level} \"{refs}\">\n"));
        }
        format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE rdf:RDF [\n{dtd}]>\n\
             <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:dct=\"http://purl.org/dc/terms/\">\n\
             <rdf:Description rdf:about=\"https://example.org/d\"><dct:title>&lol{levels};</dct:title></rdf:Description>\n</rdf:RDF>\n"
        )
    }

    #[test]
    fn billion_laughs_is_refused_before_parsing() {
        let document = FetchedDocument {
            location: "https://example.org/laughs.rdf".into(),
            bytes: laughs(9).into_bytes(),
            content_type: None,
        };
        let error = crate::harvest::parse_document(&document, RdfFormat::RdfXml)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("billion laughs") && error.contains("lol"),
            "{error}"
        );
    }

    #[test]
    fn namespace_entities_and_small_nesting_parse() {
        let document = FetchedDocument {
            location: "https://example.org/ok.rdf".into(),
            bytes: laughs(2).into_bytes(),
            content_type: None,
        };
        let triples = crate::harvest::parse_document(&document, RdfFormat::RdfXml).unwrap();
        assert_eq!(triples.len(), 1);
        assert!(triples[0].object.to_string().contains(&"lol".repeat(100)));
        let xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY dct \"http://purl.org/dc/terms/\"> ]>\n\
             <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:dct=\"&dct;\">\n\
             <rdf:Description rdf:about=\"https://example.org/d\"><dct:title>t</dct:title></rdf:Description></rdf:RDF>";
        assert!(check(xml.as_bytes(), 1 << 20).is_ok());
    }

    #[test]
    fn many_uses_of_a_large_entity_are_bounded() {
        let big = "x".repeat(60_000);
        let uses = "&big;".repeat(100);
        let xml = format!("<!DOCTYPE r [ <!ENTITY big \"{big}\"> ]><r>{uses}</r>");
        assert!(check(xml.as_bytes(), 1 << 20).is_err());
        assert!(check(xml.as_bytes(), 1 << 30).is_ok());
    }

    #[test]
    fn external_entities_are_not_read() {
        let xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n\
             <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:dct=\"http://purl.org/dc/terms/\">\n\
             <rdf:Description rdf:about=\"https://example.org/d\"><dct:title>&xxe;</dct:title></rdf:Description></rdf:RDF>";
        let document = FetchedDocument {
            location: "https://example.org/xxe.rdf".into(),
            bytes: xml.as_bytes().to_vec(),
            content_type: None,
        };
        match crate::harvest::parse_document(&document, RdfFormat::RdfXml) {
            Err(_) => {}
            Ok(triples) => assert!(
                !triples
                    .iter()
                    .any(|t| t.object.to_string().contains("root:")),
                "{triples:?}"
            ),
        }
    }
}
