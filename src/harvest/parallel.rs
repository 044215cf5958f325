//! Parsing a large Turtle or N-Triples document in parallel chunks.
//!
//! oxttl cuts the document at statement ends and parses each piece on its
//! own; each piece is folded into its own state on a rayon thread, and the
//! states come back in document order, for the caller to merge. The cut is
//! a heuristic that can go wrong on some documents, so a parse is only
//! trusted when nothing could have misled it; otherwise [`parse_in_chunks`]
//! answers `None` and the caller parses the document as usual (which also
//! reports any syntax error properly). The results are never different, only
//! sometimes not faster.
//!
//! What is checked:
//! - prefixes and the base: oxttl gives every piece the prefixes declared
//!   before the first statement. A piece that declares or redeclares a
//!   prefix or the base, or a first piece whose prefixes or base end up
//!   different from those the others started with, means a later piece may
//!   have read names differently: not trusted.
//! - syntax errors in any piece (a cut inside a literal leaves one piece with
//!   an unterminated string): not trusted.
//! - a comment line holding a `.`: a cut after it would turn the rest of the
//!   comment into statements without any error: not trusted.
//!
//! Blank-node labels are kept as written (not renamed), so `_:x` in two
//! pieces is the same node; `[]` and collections get fresh unique ids.

use oxigraph::io::RdfFormat;
use oxrdf::TripleRef;
use oxttl::{NTriplesParser, TurtleParser};
use rayon::prelude::*;

/// Below this a document is parsed in one piece: splitting costs more than it saves.
pub const MIN_PARALLEL_BYTES: usize = 1 << 20;

/// Pieces per thread, so a slow piece does not leave the other cores idle.
const PIECES_PER_THREAD: usize = 4;

/// Whether [`parse_in_chunks`] can split documents of this syntax.
pub fn splittable(format: RdfFormat) -> bool {
    matches!(format, RdfFormat::Turtle | RdfFormat::NTriples)
}

/// Parses `bytes` in pieces, each folded into a state made by `make` with
/// `each`; the states in document order, or `None` when the document cannot
/// be split safely or a piece does not parse (see the module notes).
pub fn parse_in_chunks<S: Send>(
    bytes: &[u8],
    format: RdfFormat,
    base: Option<&str>,
    make: impl Fn() -> S + Sync,
    each: impl Fn(&mut S, TripleRef<'_>) + Sync,
) -> Option<Vec<S>> {
    let pieces = rayon::current_num_threads().max(1) * PIECES_PER_THREAD;
    match format {
        RdfFormat::NTriples => NTriplesParser::new()
            .split_slice_for_parallel_parsing(bytes, pieces)
            .into_par_iter()
            .map(|parser| {
                let mut state = make();
                for triple in parser {
                    each(&mut state, triple.ok()?.as_ref());
                }
                Some(state)
            })
            .collect(),
        RdfFormat::Turtle => {
            if has_comment_with_period(bytes) {
                return None;
            }
            let mut parser = TurtleParser::new();
            if let Some(base) = base {
                parser = parser.with_base_iri(base).ok()?;
            }
            let parsers = parser.split_slice_for_parallel_parsing(bytes, pieces);
            let results: Vec<(S, Declarations, Declarations)> = parsers
                .into_par_iter()
                .map(|mut parser| {
                    let before = Declarations::of(&parser);
                    let mut state = make();
                    for triple in parser.by_ref() {
                        each(&mut state, triple.ok()?.as_ref());
                    }
                    Some((state, before, Declarations::of(&parser)))
                })
                .collect::<Option<_>>()?;
            // Later pieces declared nothing, and started with all the first declared.
            let (first, rest) = results.split_first()?;
            let consistent = rest
                .iter()
                .all(|(_, before, after)| before == after && before == &first.2);
            consistent.then(|| results.into_iter().map(|(state, _, _)| state).collect())
        }
        _ => None,
    }
}

/// The prefixes and base a Turtle parser knows at some point.
#[derive(Debug, PartialEq, Eq)]
struct Declarations {
    prefixes: Vec<(String, String)>,
    base: Option<String>,
}

impl Declarations {
    fn of(parser: &oxttl::turtle::SliceTurtleParser<'_>) -> Self {
        let mut prefixes: Vec<(String, String)> = parser
            .prefixes()
            .map(|(name, iri)| (name.to_string(), iri.to_string()))
            .collect();
        prefixes.sort();
        Declarations {
            prefixes,
            base: parser.base_iri().map(str::to_string),
        }
    }
}

/// True when some line has a comment holding a `.` (or might: a line with a
/// long string's quotes and a `#` counts too). IRIs and one-line strings are
/// skipped, so the `#` of `<http://www.w3.org/2000/01/rdf-schema#>` is not a
/// comment.
fn has_comment_with_period(bytes: &[u8]) -> bool {
    bytes.split(|&b| b == b'\n').any(|line| {
        if !line.contains(&b'#') {
            return false;
        }
        if line.windows(3).any(|w| w == b"\"\"\"" || w == b"'''") {
            return true;
        }
        let mut quote: Option<u8> = None;
        let mut in_iri = false;
        let mut escaped = false;
        for (i, &b) in line.iter().enumerate() {
            if escaped {
                escaped = false;
                continue;
            }
            match (quote, in_iri, b) {
                (Some(_), _, b'\\') => escaped = true,
                (Some(q), _, b) if b == q => quote = None,
                (Some(_), _, _) => {}
                (None, true, b'>') => in_iri = false,
                (None, true, _) => {}
                (None, false, b'<') => in_iri = true,
                (None, false, b'"' | b'\'') => quote = Some(b),
                (None, false, b'#') => return line[i..].contains(&b'.'),
                _ => {}
            }
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_with_periods_are_found_outside_iris_and_strings() {
        assert!(!has_comment_with_period(
            b"@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n<a> <b> \"x # y.\" ."
        ));
        assert!(has_comment_with_period(
            b"<a> <b> <c> . # see <d> <e> <f> .\n"
        ));
        assert!(has_comment_with_period(b"# a. b\n"));
        assert!(!has_comment_with_period(
            b"# no period here\n<a> <b> <c> .\n"
        ));
        assert!(has_comment_with_period(b"\"\"\"long # text.\n"));
    }

    fn document(late: &str) -> String {
        let mut doc =
            String::from("@prefix ex: <http://example.org/> .\nex:first ex:p _:shared .\n");
        for i in 0..5000 {
            if i == 4000 {
                doc.push_str(late);
            }
            doc.push_str(&format!(
                "ex:s{i} ex:p \"value {i}\" ; ex:q _:b{} ; ex:r ex:o{} .\n",
                i % 50,
                i % 13
            ));
        }
        doc.push_str("_:shared ex:p ex:last .\n");
        doc
    }

    fn in_one_piece(doc: &str) -> Vec<oxrdf::Triple> {
        TurtleParser::new()
            .for_slice(doc.as_bytes())
            .collect::<Result<_, _>>()
            .expect("parses")
    }

    fn in_pieces(doc: &str, format: RdfFormat) -> Option<Vec<Vec<oxrdf::Triple>>> {
        parse_in_chunks(doc.as_bytes(), format, None, Vec::new, |v, t| {
            v.push(t.into_owned())
        })
    }

    #[test]
    fn pieces_in_order_are_the_document() {
        let doc = document("");
        let pieces = in_pieces(&doc, RdfFormat::Turtle).expect("splits");
        assert!(pieces.len() > 1, "{} pieces", pieces.len());
        assert_eq!(pieces.concat(), in_one_piece(&doc));

        // Blank-node labels are kept, so the same label is one node in every piece.
        let shared: Vec<_> = pieces
            .iter()
            .enumerate()
            .filter(|(_, p)| p.iter().any(|t| t.to_string().contains("_:shared")))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(shared, vec![0, pieces.len() - 1]);

        let ntriples: String = in_one_piece(&doc)
            .iter()
            .map(|t| format!("{t} .\n"))
            .collect();
        let pieces = in_pieces(&ntriples, RdfFormat::NTriples).expect("splits");
        assert!(pieces.len() > 1);
        assert_eq!(pieces.concat(), in_one_piece(&doc));
    }

    #[test]
    fn declarations_after_the_first_piece_are_not_split() {
        for late in [
            "@prefix late: <http://example.org/late/> .\nlate:x ex:p ex:o .\n",
            "@prefix ex: <http://example.org/other/> .\n",
            "PREFIX ex: <http://example.org/other/>\n",
            "@base <http://example.org/base/> .\n",
            "# a comment. ex:x ex:p ex:o .\n",
        ] {
            assert!(
                in_pieces(&document(late), RdfFormat::Turtle).is_none(),
                "{late}"
            );
        }
        let based = format!("@base <http://example.org/base/> .\n{}", document(""));
        assert!(in_pieces(&based, RdfFormat::Turtle).is_none());
        let broken = document("ex:x ex:p .\n");
        assert!(in_pieces(&broken, RdfFormat::Turtle).is_none());
        // The same prefix declared again with the same IRI changes nothing.
        let same = document("@prefix ex: <http://example.org/> .\n");
        assert_eq!(
            in_pieces(&same, RdfFormat::Turtle)
                .expect("splits")
                .concat(),
            in_one_piece(&same)
        );
    }
}
