//! Parsing a large Turtle or N-Triples document in parallel chunks.
//!
//! The document is read in bounded windows ([`WINDOW_BYTES`]): each window
//! is cut at a statement end, oxttl cuts it again into pieces at statement
//! ends, and each piece is folded into its own state on a rayon thread; the
//! states come back in document order and are merged before the next window
//! is read, so only one window of the file is held at a time, whatever its
//! size. The cut is a heuristic that can go wrong on some documents, so a
//! parse is only trusted when nothing could have misled it; otherwise
//! [`fold_in_windows`] answers `None` and the caller parses the document as
//! usual (which also reports any syntax error properly). The results are
//! never different, only sometimes not faster.
//!
//! What is checked:
//! - prefixes and the base: oxttl gives every piece the prefixes declared
//!   before the first statement, and later windows start with those. A piece
//!   that declares or redeclares a prefix or the base, or a first piece whose
//!   prefixes or base end up different from those the others started with,
//!   means a later piece may have read names differently: not trusted.
//! - syntax errors in any piece (a cut inside a literal leaves one piece with
//!   an unterminated string): not trusted.
//! - a comment line holding a `.`: a cut after it would turn the rest of the
//!   comment into statements without any error: not trusted.
//! - dot segments (`/./`, `/../`) or `\u` escapes in a Turtle window: the
//!   caller may parse without a base IRI (resolving every IRI against a base
//!   costs more than parsing it), and only these could make an absolute IRI
//!   resolve to something else than itself: not trusted. (An IRI that is
//!   relative does not parse without a base: not trusted either.)
//!
//! Lenient windows: checking every IRI and language tag as it is read is a
//! large part of parsing, and most of a document's IRIs repeat. So, when the
//! caller can check terms itself ([`fold_in_windows`]'s `lenient`), every
//! window after the first is parsed by oxttl's lenient parser and each
//! distinct term is checked once by the caller, as it is first interned. A
//! window is only read leniently when it holds no backslash (the lenient parser
//! also accepts escapes a strict one refuses, which no term shows
//! afterwards); the first window never is, so its declarations are checked.
//! If a term fails its check, the window is parsed again strictly, and if
//! that fails too the document is left to the caller's strict parse, which
//! reports the error with its line: the verdict and the errors are those of
//! a strict parse.
//!
//! Plain windows: a lenient window is first read by [`super::plain_turtle`],
//! which reads the plain Turtle most catalogues are written in several times
//! faster than oxttl, and gives up on anything else; the window is then read
//! by oxttl, as are all later ones. Its triples are folded by the same
//! lenient fold, so each distinct term is checked as above.
//!
//! Blank-node labels are kept as written (not renamed), so `_:x` in two
//! pieces is the same node; `[]` and collections get fresh unique ids.

use oxigraph::io::RdfFormat;
use oxrdf::TripleRef;
use oxttl::{NTriplesParser, TurtleParser};
use rayon::prelude::*;
use std::io::Read;

/// Below this a document is parsed in one piece: splitting costs more than it saves.
pub const MIN_PARALLEL_BYTES: usize = 1 << 20;

/// Bytes of the document read and parsed at a time: large enough that the
/// pieces keep every core busy, small enough that memory does not grow with
/// the document.
pub const WINDOW_BYTES: usize = 4 << 20;

/// Pieces per thread, so a slow piece does not leave the other cores idle.
const PIECES_PER_THREAD: usize = 4;

/// How far back from a window's end a statement end is looked for.
const CUT_SEARCH_BYTES: usize = 1 << 20;

/// Whether [`parse_in_chunks`] can split documents of this syntax.
pub fn splittable(format: RdfFormat) -> bool {
    matches!(format, RdfFormat::Turtle | RdfFormat::NTriples)
}

/// Folds a triple of a lenient parse into a state; false when one of its
/// terms is new to the state and not valid RDF (see the module notes).
pub type LenientFold<'f, S> = &'f (dyn Fn(&mut S, TripleRef<'_>) -> bool + Sync);

/// Reads `reader` window by window, each parsed in parallel pieces folded by
/// `each` into states made by `make`, and merged in document order into one
/// state by `merge`. With `lenient`, windows after the first are parsed
/// leniently and folded by it (see the module notes). `None` when the
/// document cannot be split safely or does not parse (see the module
/// notes); reading errors are returned as they are.
#[allow(clippy::too_many_arguments)]
pub fn fold_in_windows<S: Send>(
    mut reader: impl Read,
    window_bytes: usize,
    format: RdfFormat,
    base: Option<&str>,
    make: impl Fn() -> S + Sync,
    each: impl Fn(&mut S, TripleRef<'_>) + Sync,
    lenient: Option<LenientFold<'_, S>>,
    mut merge: impl FnMut(&mut S, S),
) -> std::io::Result<Option<S>> {
    let mut state: Option<S> = None;
    let mut buffer: Vec<u8> = Vec::with_capacity(window_bytes + CUT_SEARCH_BYTES);
    // The prefixes and base the first window's statements were read with.
    let mut declared: Option<Declarations> = None;
    let strict = |state: &mut S, triple: TripleRef<'_>| {
        each(state, triple);
        true
    };
    let mut first = true;
    // Cleared once a window leaves plain Turtle: such a document is read by
    // oxttl from then on, rather than read twice window after window.
    let mut plain = format == RdfFormat::Turtle;
    loop {
        let at_end = fill(&mut reader, &mut buffer, window_bytes)?;
        let cut = if at_end {
            buffer.len()
        } else {
            match statement_end(&buffer, format, declared.as_ref(), base) {
                Some(cut) => cut,
                None => return Ok(None),
            }
        };
        let window = &buffer[..cut];
        let parse = |mode: Mode, each: &(dyn Fn(&mut S, TripleRef<'_>) -> bool + Sync)| {
            parse_window(window, format, base, declared.as_ref(), mode, &make, each)
        };
        let lenient = lenient.filter(|_| !first && !window.contains(&b'\\'));
        let plainly = lenient.filter(|_| plain).and_then(|lenient| {
            let read = parse(Mode::Plain, lenient);
            plain = read.is_some();
            read
        });
        let leniently =
            plainly.or_else(|| lenient.and_then(|lenient| parse(Mode::Lenient, lenient)));
        let Some((pieces, after)) = leniently.or_else(|| parse(Mode::Strict, &strict)) else {
            return Ok(None);
        };
        first = false;
        declared = declared.or(after);
        for piece in pieces {
            match state.as_mut() {
                Some(state) => merge(state, piece),
                None => state = Some(piece),
            }
        }
        buffer.drain(..cut);
        if at_end {
            return Ok(Some(state.unwrap_or_else(make)));
        }
    }
}

/// Reads until `buffer` holds `len` bytes or the input ends; true at the end.
fn fill(reader: &mut impl Read, buffer: &mut Vec<u8>, len: usize) -> std::io::Result<bool> {
    let wanted = len.saturating_sub(buffer.len()) as u64;
    let read = reader.by_ref().take(wanted).read_to_end(buffer)?;
    Ok((read as u64) < wanted)
}

/// How a window is parsed (see the module notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Strict,
    Lenient,
    /// Turtle read by [`super::plain_turtle`], leniently (or not at all).
    Plain,
}

/// A parser for a window: the first reads its own declarations, later ones
/// start with those the first ended with.
fn turtle_parser(base: Option<&str>, declared: Option<&Declarations>) -> Option<TurtleParser> {
    turtle_parser_in(Mode::Strict, base, declared)
}

fn turtle_parser_in(
    mode: Mode,
    base: Option<&str>,
    declared: Option<&Declarations>,
) -> Option<TurtleParser> {
    let mut parser = TurtleParser::new();
    if mode == Mode::Lenient {
        parser = parser.lenient();
    }
    let base = declared.map_or(base, |d| d.base.as_deref());
    if let Some(base) = base {
        parser = parser.with_base_iri(base).ok()?;
    }
    for (name, iri) in declared.map_or(&[][..], |d| &d.prefixes[..]) {
        parser = parser.with_prefix(name, iri).ok()?;
    }
    Some(parser)
}

/// Where the last statement of the buffer's final stretch ends: for
/// N-Triples a line end, for Turtle a `.` after which the parser reads three
/// statements without error (oxttl's own test for its cuts).
fn statement_end(
    buffer: &[u8],
    format: RdfFormat,
    declared: Option<&Declarations>,
    base: Option<&str>,
) -> Option<usize> {
    let from = buffer.len().saturating_sub(CUT_SEARCH_BYTES);
    match format {
        RdfFormat::NTriples => buffer[from..]
            .iter()
            .rposition(|&b| b == b'\n')
            .map(|i| from + i + 1),
        RdfFormat::Turtle => {
            // The first window's declarations are only known once it is parsed.
            let parser = match declared {
                Some(_) => turtle_parser(base, declared)?,
                None => {
                    let mut parser = turtle_parser(base, None)?;
                    let mut probe = parser.clone().for_slice(buffer);
                    probe.next();
                    for (name, iri) in probe.prefixes() {
                        parser = parser.with_prefix(name, iri).ok()?;
                    }
                    parser
                }
            };
            let accepts = |rest: &[u8]| {
                let mut statements = parser.clone().for_slice(rest);
                (0..3).all(|_| matches!(statements.next(), Some(Ok(_))))
            };
            let mut at = from;
            while let Some(dot) = buffer[at..].iter().position(|&b| b == b'.') {
                let end = at + dot + 1;
                // Only a `.` ending its line is a candidate: cheaper to test,
                // and the usual layout.
                if matches!(buffer.get(end), Some(b'\n' | b'\r')) && accepts(&buffer[end..]) {
                    return Some(end);
                }
                at = end;
            }
            None
        }
        _ => None,
    }
}

/// The window parsed in pieces; with the declarations the first piece ended
/// with (for Turtle), or `None` when not trusted (or `each` refused a triple).
fn parse_window<S: Send>(
    window: &[u8],
    format: RdfFormat,
    base: Option<&str>,
    declared: Option<&Declarations>,
    mode: Mode,
    make: &(impl Fn() -> S + Sync),
    each: &(dyn Fn(&mut S, TripleRef<'_>) -> bool + Sync),
) -> Option<(Vec<S>, Option<Declarations>)> {
    let pieces = rayon::current_num_threads().max(1) * PIECES_PER_THREAD;
    match format {
        RdfFormat::NTriples => {
            let mut parser = NTriplesParser::new();
            if mode == Mode::Lenient {
                parser = parser.lenient();
            }
            let states = parser
                .split_slice_for_parallel_parsing(window, pieces)
                .into_par_iter()
                .map(|parser| {
                    let mut state = make();
                    for triple in parser {
                        if !each(&mut state, triple.ok()?.as_ref()) {
                            return None;
                        }
                    }
                    Some(state)
                })
                .collect::<Option<_>>()?;
            Some((states, None))
        }
        RdfFormat::Turtle => {
            if has_comment_with_period(window) || may_resolve_differently(window) {
                return None;
            }
            if mode == Mode::Plain {
                // Later windows only, without a base: names resolve by the
                // prefixes the first window declared.
                let declared = declared.filter(|d| d.base.is_none() && base.is_none())?;
                let states = super::plain_turtle::pieces(window, pieces)
                    .into_par_iter()
                    .map(|piece| {
                        let mut state = make();
                        super::plain_turtle::read(piece, &declared.prefixes, |triple| {
                            each(&mut state, triple)
                        })?;
                        Some(state)
                    })
                    .collect::<Option<_>>()?;
                return Some((states, None));
            }
            let parsers = turtle_parser_in(mode, base, declared)?
                .split_slice_for_parallel_parsing(window, pieces);
            let results: Vec<(S, Declarations, Declarations)> = parsers
                .into_par_iter()
                .map(|mut parser| {
                    let before = Declarations::of(&parser);
                    let mut state = make();
                    for triple in parser.by_ref() {
                        if !each(&mut state, triple.ok()?.as_ref()) {
                            return None;
                        }
                    }
                    Some((state, before, Declarations::of(&parser)))
                })
                .collect::<Option<_>>()?;
            // Pieces declared nothing after the first piece of the first window,
            // and all started with what it declared.
            let expected = match declared {
                Some(declared) => declared,
                None => &results.first()?.2,
            };
            let skip = usize::from(declared.is_none());
            let consistent = results
                .iter()
                .skip(skip)
                .all(|(_, before, after)| before == after && before == expected);
            if !consistent {
                return None;
            }
            let mut results = results.into_iter();
            let first = results.next()?;
            let after = declared.is_none().then_some(first.2);
            let states = std::iter::once(first.0)
                .chain(results.map(|(state, _, _)| state))
                .collect();
            Some((states, after))
        }
        _ => None,
    }
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
    let each = |state: &mut S, triple: TripleRef<'_>| {
        each(state, triple);
        true
    };
    parse_window(bytes, format, base, None, Mode::Strict, &make, &each).map(|(states, _)| states)
}

/// The prefixes and base a Turtle parser knows at some point.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// True when the text has a dot segment or a `\\u` / `\\U` escape (which
/// could spell one), the only things that make resolving an absolute IRI
/// against a base change it. Searched as bytes (text that is not UTF-8 does
/// not parse anyway).
fn may_resolve_differently(bytes: &[u8]) -> bool {
    use memchr::memmem;
    if bytes.contains(&b'\\')
        && (memmem::find(bytes, b"\\u").is_some() || memmem::find(bytes, b"\\U").is_some())
    {
        return true;
    }
    let ends_segment = |b: Option<&u8>| matches!(b, None | Some(b'/' | b'>' | b'?' | b'#'));
    memmem::find_iter(bytes, b"/.").any(|at| {
        let rest = &bytes[at + 2..];
        ends_segment(rest.first()) || (rest.first() == Some(&b'.') && ends_segment(rest.get(1)))
    })
}

/// Bytes looked at at once by [`has_comment_with_period`]: most spans of a
/// document have no `#`, and a span is ruled out with one fast search.
const COMMENT_SPAN: usize = 4096;

/// True when some line has a comment holding a `.` (or might: a line with a
/// long string's quotes and a `#` counts too). IRIs and one-line strings are
/// skipped, so the `#` of `<http://www.w3.org/2000/01/rdf-schema#>` is not a
/// comment. Only the lines of spans holding a `#` are looked at.
fn has_comment_with_period(bytes: &[u8]) -> bool {
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes.len().min(start + COMMENT_SPAN);
        if !bytes[start..end].contains(&b'#') {
            start = end;
            continue;
        }
        let first = bytes[..start]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let last = bytes[end..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| end + i);
        if lines_have_comment_with_period(&bytes[first..last]) {
            return true;
        }
        start = last.max(end);
    }
    false
}

fn lines_have_comment_with_period(bytes: &[u8]) -> bool {
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
        let mut long = "<a> <b> <c> .\n".repeat(1000);
        assert!(!has_comment_with_period(long.as_bytes()));
        long.push_str("# late. comment\n");
        long.push_str(&"<a> <b> <c> .\n".repeat(1000));
        assert!(has_comment_with_period(long.as_bytes()));
    }

    #[test]
    fn dot_segments_and_escapes_are_found() {
        for text in [
            "<http://a/b/./c>",
            "<http://a/b/../c>",
            "<http://a/b/.>",
            "<http://a/b/..>",
            "<http://a/b/..?q>",
            "<http://a/\\u002E/c>",
            "\"x\\U0001F600\"",
        ] {
            assert!(may_resolve_differently(text.as_bytes()), "{text}");
        }
        for text in [
            "<http://a/.well-known/genid/x>",
            "<http://a/b/c.ttl>",
            "<http://a/b/...>",
            "\"a sentence. /. Another\" .",
        ] {
            assert!(!may_resolve_differently(text.as_bytes()), "{text}");
        }
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

    fn in_windows(doc: &str, format: RdfFormat, window: usize) -> Option<Vec<oxrdf::Triple>> {
        let mut windows = 0;
        let folded = fold_in_windows(
            doc.as_bytes(),
            window,
            format,
            None,
            Vec::new,
            |v, t| v.push(t.into_owned()),
            None,
            |all: &mut Vec<oxrdf::Triple>, piece| {
                windows += 1;
                all.extend(piece)
            },
        )
        .expect("reads from memory");
        assert!(folded.is_none() || windows > 1, "{windows} merges");
        folded
    }

    #[test]
    fn windows_in_order_are_the_document() {
        let doc = document("");
        assert!(doc.len() > 4 * 16384);
        for window in [16384, 20000, 65536, doc.len(), doc.len() + 1] {
            assert_eq!(
                in_windows(&doc, RdfFormat::Turtle, window).expect("splits"),
                in_one_piece(&doc),
                "window {window}"
            );
        }
        let ntriples: String = in_one_piece(&doc)
            .iter()
            .map(|t| format!("{t} .\n"))
            .collect();
        assert_eq!(
            in_windows(&ntriples, RdfFormat::NTriples, 20000).expect("splits"),
            in_one_piece(&doc)
        );
        // A declaration in a later window is not trusted; neither is a syntax error.
        for late in [
            "@prefix ex: <http://example.org/other/> .\n",
            "@base <http://example.org/base/> .\n",
            "ex:x ex:p .\n",
        ] {
            assert!(
                in_windows(&document(late), RdfFormat::Turtle, 20000).is_none(),
                "{late}"
            );
        }
    }

    /// Folds in windows of 20000 bytes, windows after the first read leniently
    /// into a data graph; how many triples came through the lenient fold.
    fn leniently(doc: &str) -> Option<(crate::validate::DataGraph<'static>, usize)> {
        use crate::validate::DataGraphBuilder;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let lenient_triples = AtomicUsize::new(0);
        let lenient = |builder: &mut DataGraphBuilder<'static>, triple: TripleRef<'_>| {
            lenient_triples.fetch_add(1, Ordering::Relaxed);
            builder.add_lenient(triple)
        };
        let folded = fold_in_windows(
            doc.as_bytes(),
            20000,
            RdfFormat::Turtle,
            None,
            || DataGraphBuilder::new(None),
            |builder, triple| builder.add(triple),
            Some(&lenient),
            DataGraphBuilder::append,
        )
        .expect("reads from memory")?;
        Some((folded.finish(), lenient_triples.into_inner()))
    }

    #[test]
    fn windows_read_leniently_are_the_document_or_not_trusted() {
        let strict = crate::validate::DataGraph::new(&in_one_piece(&document("")));
        let (graph, lenient) = leniently(&document("")).expect("splits");
        assert!(lenient > 10_000, "{lenient} triples read leniently");
        assert_eq!(graph.len(), strict.len());
        // What the lenient parser lets through and a strict one refuses is
        // found when the term is first seen: not trusted.
        for late in [
            "<http://exa mple.org/> ex:p ex:o .\n",
            "ex:x ex:p \"x\"@toolongtagname .\n",
            "ex:x ex:p \"x\"^^<http://example.org/a b> .\n",
            "ex:x ex:p \"x\"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#langString> .\n",
            "ex:x ex:p \"two\nlines\" .\n",
            "ex:x ex:p ex:a\\n .\n",
        ] {
            assert!(leniently(&document(late)).is_none(), "{late}");
        }
        // Valid but checked again strictly: a long string's line break, a backslash.
        for late in [
            "ex:x ex:p \"\"\"two\nlines\"\"\" .\n",
            "ex:x ex:p \"a \\\"quote\\\"\" .\n",
            "ex:x ex:p ex:a\\~b .\n",
        ] {
            let doc = document(late);
            let (graph, _) = leniently(&doc).expect("splits");
            let strict = crate::validate::DataGraph::new(&in_one_piece(&doc));
            assert_eq!(graph.len(), strict.len(), "{late}");
        }
    }

    #[test]
    fn windows_read_plainly_or_by_oxttl_are_the_document() {
        let fold = |doc: &str| {
            let lenient = |triples: &mut Vec<oxrdf::Triple>, triple: TripleRef<'_>| {
                triples.push(triple.into_owned());
                true
            };
            fold_in_windows(
                doc.as_bytes(),
                20000,
                RdfFormat::Turtle,
                None,
                Vec::new,
                |triples, triple| triples.push(triple.into_owned()),
                Some(&lenient),
                |all: &mut Vec<oxrdf::Triple>, piece| all.extend(piece),
            )
            .expect("reads from memory")
        };
        // Plain Turtle throughout, then with what only oxttl reads in a late
        // window (from there on oxttl reads every window).
        for late in [
            "",
            // (Not `[ ]` nor collections: oxttl gives them random labels.)
            "ex:x ex:p 42 , true , ex:a%41 ; ex:q -1.5e3 . # a note\n",
            "ex:x ex:p \"\"\"long\nstring.\n\"\"\" ; ex:q 'single' .\n",
            "@prefix ex: <http://example.org/> .\nex:x ex:p ex:y .\n",
            "ex:x ex:p \"x\"@EN-GB , \"y\"^^<http://www.w3.org/2001/XMLSchema#string> .\n",
        ] {
            let doc = document(late);
            assert_eq!(fold(&doc), Some(in_one_piece(&doc)), "{late}");
        }
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
