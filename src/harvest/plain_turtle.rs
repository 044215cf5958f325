//! A fast reader for plain Turtle: the few constructs that generated and
//! exported catalogues are written in, read straight from the bytes.
//!
//! oxttl allocates each triple's terms as owned strings and moves its parser
//! state at every token, which is most of the time of validating a large
//! catalogue. Most such documents only use: `<IRI>`s, prefixed names, `a`,
//! blank-node labels, one-line `"strings"` with a language tag or a
//! datatype, and `,` `;` `.`. This reader reads exactly that and hands out
//! triples whose IRIs and strings borrow the document's bytes; anything else
//! (directives, comments, `[ ]`, collections, numbers, booleans, long or
//! single-quoted strings, escapes, non-ASCII names, a relative IRI's base)
//! makes it give up (`None`), and the caller reads the text with oxttl. Like
//! oxttl's lenient parser it checks neither IRIs nor language tags: the
//! caller checks each distinct term once (see [`super::parallel`]).
//!
//! Cutting a window into pieces: outside this subset's IRIs and strings a
//! `.` just before a line break always ends a statement, and neither IRIs
//! nor one-line strings hold a line break, so a piece cut there that reads
//! to its end in this subset is a whole number of statements. A cut inside
//! something this reader does not know (a long string, a comment) leaves
//! the piece before it unreadable, and the window is read by oxttl.

use oxrdf::{BlankNodeRef, LiteralRef, NamedNodeRef, NamedOrBlankNodeRef, TermRef, TripleRef};

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

/// `bytes` cut into at most `pieces` runs of whole statements (see the
/// module notes), in order.
pub fn pieces(bytes: &[u8], pieces: usize) -> Vec<&[u8]> {
    let mut cuts = vec![0];
    for i in 1..pieces.max(1) {
        let from = (bytes.len() * i / pieces).max(*cuts.last().unwrap_or(&0));
        if let Some(end) = statement_end_after(bytes, from) {
            if end > *cuts.last().unwrap_or(&0) && end < bytes.len() {
                cuts.push(end);
            }
        }
    }
    cuts.push(bytes.len());
    cuts.windows(2).map(|w| &bytes[w[0]..w[1]]).collect()
}

/// Just after the first `.` from `from` on that is followed by a line break.
fn statement_end_after(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = memchr::memchr(b'.', &bytes[at..]) {
        let end = at + i + 1;
        if matches!(bytes.get(end), Some(b'\n' | b'\r')) {
            return Some(end);
        }
        at = end;
    }
    None
}

/// Reads `bytes` (whole statements) with the given prefixes, handing each
/// triple to `each` in document order. `None` when the text leaves the
/// subset, or `each` refuses a triple; what `each` was given until then is
/// to be thrown away.
pub fn read(
    bytes: &[u8],
    prefixes: &[(String, String)],
    mut each: impl FnMut(TripleRef<'_>) -> bool,
) -> Option<()> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut reader = Reader {
        text,
        bytes,
        at: 0,
        prefixes,
    };
    let mut subject = Name::default();
    let mut predicate = Name::default();
    // An IRI or blank-node object, or a literal's datatype.
    let mut object = Name::default();
    let mut language = String::new();
    loop {
        reader.skip_space()?;
        let Some(first) = reader.peek() else {
            return Some(());
        };
        if first == b'@' {
            reader.same_prefix_again()?;
            continue;
        }
        let subject_is_blank = reader.node(first, &mut subject)?;
        'predicates: loop {
            reader.skip_space()?;
            reader.verb(&mut predicate)?;
            loop {
                reader.skip_space()?;
                let kind = reader.object(&mut object, &mut language)?;
                let s: NamedOrBlankNodeRef<'_> = if subject_is_blank {
                    BlankNodeRef::new_unchecked(subject.text(text)).into()
                } else {
                    NamedNodeRef::new_unchecked(subject.text(text)).into()
                };
                let p = NamedNodeRef::new_unchecked(predicate.text(text));
                let o: TermRef<'_> = match kind {
                    Object::Iri => NamedNodeRef::new_unchecked(object.text(text)).into(),
                    Object::Blank => BlankNodeRef::new_unchecked(object.text(text)).into(),
                    Object::Simple(start, end) => {
                        LiteralRef::new_simple_literal(&text[start..end]).into()
                    }
                    Object::Tagged(start, end) => {
                        LiteralRef::new_language_tagged_literal_unchecked(
                            &text[start..end],
                            &language,
                        )
                        .into()
                    }
                    Object::Typed(start, end) => LiteralRef::new_typed_literal(
                        &text[start..end],
                        NamedNodeRef::new_unchecked(object.text(text)),
                    )
                    .into(),
                };
                if !each(TripleRef::new(s, p, o)) {
                    return None;
                }
                reader.skip_space()?;
                match reader.take()? {
                    b',' => continue,
                    b'.' => break 'predicates,
                    b';' => {
                        // `;` may repeat, and may end the statement's last pair.
                        loop {
                            reader.skip_space()?;
                            match reader.peek()? {
                                b';' => reader.at += 1,
                                b'.' => {
                                    reader.at += 1;
                                    break 'predicates;
                                }
                                _ => continue 'predicates,
                            }
                        }
                    }
                    _ => return None,
                }
            }
        }
    }
}

/// Where a name's text is: in the document, or built (a prefixed name's IRI).
#[derive(Debug, Default)]
struct Name {
    in_text: Option<(usize, usize)>,
    built: String,
}

impl Name {
    fn text<'a>(&'a self, text: &'a str) -> &'a str {
        match self.in_text {
            Some((start, end)) => &text[start..end],
            None => &self.built,
        }
    }
}

/// An object, literals with the place of their value in the text.
enum Object {
    Iri,
    Blank,
    Simple(usize, usize),
    Tagged(usize, usize),
    Typed(usize, usize),
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    prefixes: &'a [(String, String)],
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// What may follow a name, a label or a language tag here.
fn ends_name(b: Option<&u8>) -> bool {
    matches!(b, Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b';' | b'.'))
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn take(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    /// Skips white space; `None` at a comment (not in the subset).
    fn skip_space(&mut self) -> Option<()> {
        while let Some(&b) = self.bytes.get(self.at) {
            if is_space(b) {
                self.at += 1;
            } else if b == b'#' {
                return None;
            } else {
                break;
            }
        }
        Some(())
    }

    /// `@prefix name: <iri> .` declaring a prefix again as it is (as
    /// concatenated documents do); `None` for any other directive.
    fn same_prefix_again(&mut self) -> Option<()> {
        let rest = &self.bytes[self.at..];
        if !rest.starts_with(b"@prefix") || !rest.get(7).copied().is_some_and(is_space) {
            return None;
        }
        self.at += 7;
        self.skip_space()?;
        let start = self.at;
        let mut colon = start;
        while self.bytes.get(colon).copied().is_some_and(is_name_char) {
            colon += 1;
        }
        let name = &self.text[start..colon];
        if self.bytes.get(colon) != Some(&b':')
            || name
                .as_bytes()
                .first()
                .is_some_and(|b| !b.is_ascii_alphabetic())
        {
            return None;
        }
        self.at = colon + 1;
        self.skip_space()?;
        if self.peek()? != b'<' {
            return None;
        }
        let (iri_start, iri_end) = self.iri()?;
        let iri = &self.text[iri_start..iri_end];
        if !self.prefixes.iter().any(|(n, i)| n == name && i == iri) {
            return None;
        }
        self.skip_space()?;
        (self.take()? == b'.').then_some(())
    }

    /// A subject: an IRI, a prefixed name or a blank-node label; true for a blank node.
    fn node(&mut self, first: u8, into: &mut Name) -> Option<bool> {
        match first {
            b'<' => {
                into.in_text = Some(self.iri()?);
                Some(false)
            }
            b'_' => {
                into.in_text = Some(self.blank_label()?);
                Some(true)
            }
            _ => {
                self.prefixed_name(into)?;
                Some(false)
            }
        }
    }

    fn verb(&mut self, into: &mut Name) -> Option<()> {
        match self.peek()? {
            b'<' => into.in_text = Some(self.iri()?),
            b'a' if self.bytes.get(self.at + 1).copied().is_some_and(is_space) => {
                self.at += 1;
                into.in_text = None;
                into.built.clear();
                into.built.push_str(RDF_TYPE);
            }
            _ => self.prefixed_name(into)?,
        }
        Some(())
    }

    fn object(&mut self, into: &mut Name, language: &mut String) -> Option<Object> {
        match self.peek()? {
            b'<' => {
                into.in_text = Some(self.iri()?);
                Some(Object::Iri)
            }
            b'_' => {
                into.in_text = Some(self.blank_label()?);
                Some(Object::Blank)
            }
            b'"' => self.literal(into, language),
            _ => {
                self.prefixed_name(into)?;
                Some(Object::Iri)
            }
        }
    }

    /// `<…>` without escapes or characters Turtle refuses in an IRI; where its text is.
    fn iri(&mut self) -> Option<(usize, usize)> {
        let start = self.at + 1;
        let end = start + memchr::memchr(b'>', &self.bytes[start..])?;
        let refused = |b: &u8| {
            *b <= b' ' || matches!(b, b'<' | b'"' | b'{' | b'}' | b'|' | b'^' | b'`' | b'\\')
        };
        if self.bytes[start..end].iter().any(refused) {
            return None;
        }
        self.at = end + 1;
        Some((start, end))
    }

    /// `_:label` of ASCII letters, digits, `_`, `-` and inner `.`; where the label is.
    fn blank_label(&mut self) -> Option<(usize, usize)> {
        if self.bytes.get(self.at + 1) != Some(&b':') {
            return None;
        }
        let start = self.at + 2;
        let first = *self.bytes.get(start)?;
        if !(first.is_ascii_alphanumeric() || first == b'_') {
            return None;
        }
        let end = self.name_end(start);
        if end == start || !ends_name(self.bytes.get(end)) {
            return None;
        }
        self.at = end;
        Some((start, end))
    }

    /// The end of a run of name characters and `.` from `start`, without
    /// trailing `.` (a name never ends with one: it ends the statement).
    fn name_end(&self, start: usize) -> usize {
        let mut end = start;
        while let Some(&b) = self.bytes.get(end) {
            if is_name_char(b) || b == b'.' {
                end += 1;
            } else {
                break;
            }
        }
        while end > start && self.bytes[end - 1] == b'.' {
            end -= 1;
        }
        end
    }

    /// `prefix:local` with a declared prefix, ASCII letters, digits, `_`, `-`
    /// (and inner `.` in the local part); its IRI is built in `into`.
    fn prefixed_name(&mut self, into: &mut Name) -> Option<()> {
        let start = self.at;
        let mut colon = start;
        while let Some(&b) = self.bytes.get(colon) {
            if is_name_char(b) {
                colon += 1;
            } else {
                break;
            }
        }
        if self.bytes.get(colon) != Some(&b':') {
            return None;
        }
        let prefix = &self.text[start..colon];
        if prefix
            .as_bytes()
            .first()
            .is_some_and(|b| !b.is_ascii_alphabetic())
        {
            return None;
        }
        let namespace = self
            .prefixes
            .iter()
            .find(|(name, _)| name == prefix)
            .map(|(_, iri)| iri)?;
        let local_start = colon + 1;
        if let Some(&b) = self.bytes.get(local_start) {
            if b == b'-' || b == b'.' {
                return None;
            }
        }
        let end = self.name_end(local_start);
        if !ends_name(self.bytes.get(end)) {
            return None;
        }
        into.in_text = None;
        into.built.clear();
        into.built.push_str(namespace);
        into.built.push_str(&self.text[local_start..end]);
        self.at = end;
        Some(())
    }

    /// A one-line `"…"` without escapes, with an optional language tag or datatype.
    fn literal(&mut self, datatype: &mut Name, language: &mut String) -> Option<Object> {
        let start = self.at + 1;
        if self.bytes[start..].starts_with(b"\"\"") {
            // `"""`: a long string.
            return None;
        }
        let end = start + memchr::memchr(b'"', &self.bytes[start..])?;
        if memchr::memchr3(b'\\', b'\n', b'\r', &self.bytes[start..end]).is_some() {
            return None;
        }
        self.at = end + 1;
        match self.peek() {
            Some(b'@') => {
                let tag_start = self.at + 1;
                let mut tag_end = tag_start;
                while let Some(&b) = self.bytes.get(tag_end) {
                    if b.is_ascii_alphanumeric() || b == b'-' {
                        tag_end += 1;
                    } else {
                        break;
                    }
                }
                let tag = &self.text[tag_start..tag_end];
                // [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*
                let well_formed = tag.split('-').enumerate().all(|(i, part)| {
                    !part.is_empty() && (i > 0 || part.bytes().all(|b| b.is_ascii_alphabetic()))
                });
                if !well_formed || !ends_name(self.bytes.get(tag_end)) {
                    return None;
                }
                language.clear();
                language.push_str(tag);
                language.make_ascii_lowercase();
                self.at = tag_end;
                Some(Object::Tagged(start, end))
            }
            Some(b'^') => {
                if self.bytes.get(self.at + 1) != Some(&b'^') {
                    return None;
                }
                self.at += 2;
                match self.peek()? {
                    b'<' => datatype.in_text = Some(self.iri()?),
                    _ => self.prefixed_name(datatype)?,
                }
                Some(Object::Typed(start, end))
            }
            _ => Some(Object::Simple(start, end)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::Triple;

    const PREFIXES: &str = "@prefix ex: <http://example.org/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n@prefix : <http://example.org/empty#> .\n";

    fn prefixes() -> Vec<(String, String)> {
        vec![
            (String::new(), "http://example.org/empty#".into()),
            ("ex".into(), "http://example.org/".into()),
            ("xsd".into(), "http://www.w3.org/2001/XMLSchema#".into()),
        ]
    }

    fn by_oxttl(body: &str) -> Vec<Triple> {
        oxttl::TurtleParser::new()
            .for_slice(format!("{PREFIXES}{body}").as_bytes())
            .collect::<Result<_, _>>()
            .expect("valid Turtle")
    }

    fn by_plain(body: &str) -> Option<Vec<Triple>> {
        let mut triples = Vec::new();
        read(body.as_bytes(), &prefixes(), |t| {
            triples.push(t.into_owned());
            true
        })?;
        Some(triples)
    }

    #[test]
    fn the_subset_reads_as_oxttl_reads_it() {
        for body in [
            "",
            "<http://a/s> <http://a/p> <http://a/o> .",
            "<http://a/s><http://a/p><http://a/o>.<http://a/t> a ex:C.",
            "ex:s a ex:C , ex:D ; ex:p \"v\"@EN-gb , \"w\"^^xsd:date ; ex:q _:b1 .\n_:b1 ex:r \"\" .",
            "ex:s ex:p \"x\"^^<http://www.w3.org/2001/XMLSchema#string> ; .",
            "ex:s ex:p ex:o ;; ex:q ex:a.b.\n",
            ":local :p :o .\n\t\r\nex:s ex:p \"a . b # c ; d , e\" .",
            "ex:s ex:p \"Ünïcode – text\"@de ; ex:q <http://a/é> .",
            "_:x.y ex:p ex:a-b_c .",
            "ex:s ex:p ex: .",
            "ex:s ex:p ex:o .\n@prefix ex: <http://example.org/> .\n@prefix  xsd:<http://www.w3.org/2001/XMLSchema#>.ex:t ex:p ex:o .",
        ] {
            assert_eq!(by_plain(body), Some(by_oxttl(body)), "{body}");
        }
    }

    #[test]
    fn anything_else_is_left_to_oxttl() {
        for body in [
            "@prefix ex: <http://example.org/other/> .",
            "@prefix new: <http://example.org/> .",
            "@base <http://example.org/> .",
            "@prefix ex: <http://example.org/>",
            "PREFIX ex: <http://example.org/>",
            "ex:s ex:p ex:o . # comment",
            "ex:s ex:p [ ex:q ex:o ] .",
            "ex:s ex:p ( ex:a ) .",
            "ex:s ex:p 1 .",
            "ex:s ex:p true .",
            "ex:s ex:p \"\"\"long\"\"\" .",
            "ex:s ex:p 'single' .",
            "ex:s ex:p \"esc\\\"aped\" .",
            "ex:s ex:p ex:a\\~b .",
            "ex:s ex:p ex:a%41 .",
            "ex:s ex:p ex:a:b .",
            "ex:s ex:p ex:é .",
            "unknown:s ex:p ex:o .",
            "<http://a/s> <http://a/p> <http://a/o o> .",
            "ex:s ex:p \"two\nlines\" .",
            "ex:s ex:p \"x\"@en_US .",
            "ex:s ex:p \"x\"@1en .",
            "ex:s ex:p ex:o",
            "ex:s ex:p ex:o ex:q .",
            "ex:s ex:p \"x\"^ex:t .",
        ] {
            assert_eq!(by_plain(body), None, "{body}");
        }
        // A refused triple stops the reading.
        let mut seen = 0;
        let read_all = read(b"ex:s ex:p ex:o , ex:o2 .", &prefixes(), |_| {
            seen += 1;
            false
        });
        assert_eq!((read_all, seen), (None, 1));
    }

    #[test]
    fn pieces_are_whole_statements_in_order() {
        let body: String = (0..200)
            .map(|i| format!("ex:s{i} ex:p \"a.\" ;\n  ex:q ex:o{i} ,\n    ex:r.\n"))
            .collect();
        let cut = pieces(body.as_bytes(), 7);
        assert_eq!(cut.len(), 7);
        assert_eq!(cut.concat(), body.as_bytes());
        let mut triples = Vec::new();
        for piece in &cut {
            triples.extend(by_plain(std::str::from_utf8(piece).expect("UTF-8")).expect("reads"));
        }
        assert_eq!(triples, by_oxttl(&body));
        // Too short to cut: one piece.
        assert_eq!(pieces(b"ex:s ex:p ex:o .", 4).len(), 1);
    }
}
