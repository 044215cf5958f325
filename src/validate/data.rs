//! The data side of validation: an immutable, indexed view of a data graph.
//!
//! katalog validates record by record, and every record needs the same large
//! graph of vocabularies (class hierarchies, concept schemes) for its
//! `sh:class` checks. So the view has two layers: a [`Background`] built
//! once and shared by reference, and the record's own small layer built per
//! [`DataGraph`]. Terms are interned to `u32` ids; the record layer's
//! dictionary continues the background's numbering, so a term has one id in
//! the combined view and lookups never copy the background.

use super::shapes::ShapeSet;
use super::vocab;
use super::LoadError;
use oxrdf::{BlankNodeRef, Graph, LiteralRef, NamedNodeRef, Term, TermRef, TripleRef};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::path::Path;
use std::sync::OnceLock;

/// A term's id in a [`DataGraph`] (and, above the graph's range, in one
/// validation run's own dictionary of terms the data does not contain).
pub(crate) type TermId = u32;

/// What an [`Interner`] can hold: owned terms, or terms borrowed from a record.
pub(crate) trait AsTermRef {
    fn as_term_ref(&self) -> TermRef<'_>;
}

impl AsTermRef for Term {
    fn as_term_ref(&self) -> TermRef<'_> {
        self.as_ref()
    }
}

impl AsTermRef for TermRef<'_> {
    fn as_term_ref(&self) -> TermRef<'_> {
        *self
    }
}

/// A fast hash for tables whose keys are trusted (the background's terms):
/// however a record's terms are crafted, a lookup there probes no further
/// than the longest run of the trusted keys. Tables keyed by harvested data
/// use foldhash's per-process random seed ([`SeededHash`]).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

const FAST_HASH_K: u64 = 0x517c_c1b7_2722_0a95;

impl FastHasher {
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(FAST_HASH_K);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }

    fn finish(&self) -> u64 {
        // MurmurHash3's finaliser, so the high bits (used for slots) depend on every input bit.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

pub(crate) type FastHash = BuildHasherDefault<FastHasher>;

/// The hash of tables keyed by harvested data: foldhash, randomly seeded per
/// process (so colliding terms cannot be crafted ahead of time) and several
/// times faster than std's SipHash on IRIs, which interning hashes once per term
/// occurrence.
pub(crate) type SeededHash = foldhash::fast::RandomState;

/// Where an [`Interner`] keeps its terms: a vector of terms, or the
/// compact [`CompactTerms`].
pub(crate) trait TermStore: Default {
    fn count(&self) -> usize;
    /// The term at `index`, which is below `count()`.
    fn term_at(&self, index: usize) -> TermRef<'_>;
}

impl<T: AsTermRef> TermStore for Vec<T> {
    fn count(&self) -> usize {
        self.len()
    }

    fn term_at(&self, index: usize) -> TermRef<'_> {
        self[index].as_term_ref()
    }
}

/// Terms stored compactly: all their text in one buffer and 16 bytes of
/// bookkeeping per term, instead of an owned `Term` (56 bytes plus one to
/// three heap allocations, datatype IRI repeated in each typed literal).
/// A whole document's data graph is held this way, so a graph of millions
/// of triples costs little more than its distinct text.
#[derive(Debug, Default)]
pub(crate) struct CompactTerms {
    text: String,
    entries: Vec<CompactEntry>,
    /// Datatype IRIs of typed literals (a document uses few).
    datatypes: Vec<String>,
    /// Terms with no compact form (RDF 1.2 triple terms and directional
    /// literals when enabled, or text beyond 4 GiB), kept as they are.
    others: Vec<Term>,
}

#[derive(Debug, Clone, Copy)]
struct CompactEntry {
    start: u32,
    len: u32,
    /// Lang-tagged literal: length of the value (the tag follows it);
    /// typed literal: index in `datatypes`; other: index in `others`.
    aux: u32,
    kind: CompactKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CompactKind {
    NamedNode,
    BlankNode,
    SimpleLiteral,
    LanguageTaggedLiteral,
    TypedLiteral,
    Other,
}

/// More distinct datatypes than this (found by a linear scan) are kept as
/// other terms, so crafted data cannot make the scan quadratic.
const COMPACT_MAX_DATATYPES: usize = 64;

impl CompactTerms {
    pub(crate) fn push(&mut self, term: TermRef<'_>) {
        let mark = self.text.len();
        let entry = self
            .compact(term)
            .filter(|entry| self.resolve(*entry) == term);
        let entry = entry.unwrap_or_else(|| {
            self.text.truncate(mark);
            self.others.push(term.into_owned());
            CompactEntry {
                start: 0,
                len: 0,
                aux: (self.others.len() - 1) as u32,
                kind: CompactKind::Other,
            }
        });
        self.entries.push(entry);
    }

    /// Appends the term's text; `None` when it has no compact form.
    fn compact(&mut self, term: TermRef<'_>) -> Option<CompactEntry> {
        match term {
            TermRef::NamedNode(node) => self.append(&[node.as_str()], 0, CompactKind::NamedNode),
            TermRef::BlankNode(node) => self.append(&[node.as_str()], 0, CompactKind::BlankNode),
            TermRef::Literal(literal) => {
                let value = literal.value();
                if let Some(language) = literal.language() {
                    let aux = u32::try_from(value.len()).ok()?;
                    self.append(&[value, language], aux, CompactKind::LanguageTaggedLiteral)
                } else if literal.datatype() == oxrdf::vocab::xsd::STRING {
                    self.append(&[value], 0, CompactKind::SimpleLiteral)
                } else {
                    let datatype = literal.datatype().as_str();
                    let index = match self.datatypes.iter().position(|d| d == datatype) {
                        Some(index) => index,
                        None if self.datatypes.len() < COMPACT_MAX_DATATYPES => {
                            self.datatypes.push(datatype.to_string());
                            self.datatypes.len() - 1
                        }
                        None => return None,
                    };
                    self.append(&[value], index as u32, CompactKind::TypedLiteral)
                }
            }
            #[allow(unreachable_patterns)] // triple terms, with oxrdf's rdf-12 feature
            _ => None,
        }
    }

    fn append(&mut self, parts: &[&str], aux: u32, kind: CompactKind) -> Option<CompactEntry> {
        let start = u32::try_from(self.text.len()).ok()?;
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let len = u32::try_from(len).ok()?;
        start.checked_add(len)?;
        for part in parts {
            self.text.push_str(part);
        }
        Some(CompactEntry {
            start,
            len,
            aux,
            kind,
        })
    }

    fn resolve(&self, entry: CompactEntry) -> TermRef<'_> {
        let text = &self.text[entry.start as usize..(entry.start + entry.len) as usize];
        match entry.kind {
            CompactKind::NamedNode => NamedNodeRef::new_unchecked(text).into(),
            CompactKind::BlankNode => BlankNodeRef::new_unchecked(text).into(),
            CompactKind::SimpleLiteral => LiteralRef::new_simple_literal(text).into(),
            CompactKind::LanguageTaggedLiteral => {
                let (value, language) = text.split_at(entry.aux as usize);
                LiteralRef::new_language_tagged_literal_unchecked(value, language).into()
            }
            CompactKind::TypedLiteral => LiteralRef::new_typed_literal(
                text,
                NamedNodeRef::new_unchecked(&self.datatypes[entry.aux as usize]),
            )
            .into(),
            CompactKind::Other => self.others[entry.aux as usize].as_ref(),
        }
    }
}

impl TermStore for CompactTerms {
    fn count(&self) -> usize {
        self.entries.len()
    }

    fn term_at(&self, index: usize) -> TermRef<'_> {
        self.resolve(self.entries[index])
    }
}

/// Interned terms with ids `offset..end()`. An open-addressing table keyed
/// by the hash of the borrowed term, so owned and borrowed terms are looked
/// up alike and nothing is allocated per lookup.
#[derive(Debug)]
pub(crate) struct Interner<St, S = SeededHash> {
    offset: u32,
    terms: St,
    /// `hash << 32 | (index + 1)`; 0 marks an empty slot.
    slots: Vec<u64>,
    hasher: S,
}

impl<St: TermStore, S: BuildHasher + Default> Interner<St, S> {
    pub(crate) fn with_offset(offset: u32) -> Self {
        Interner {
            offset,
            terms: St::default(),
            slots: Vec::new(),
            hasher: S::default(),
        }
    }

    /// The first id after this interner's range.
    pub(crate) fn end(&self) -> u32 {
        self.offset + self.terms.count() as u32
    }

    fn hash(&self, term: TermRef<'_>) -> u32 {
        // The high half: the low half picks the slot, so both are used.
        (self.hasher.hash_one(term) >> 32) as u32
    }

    /// The slot holding `term`, or the empty slot where it would go.
    fn find(&self, term: TermRef<'_>, hash: u32) -> (usize, Option<TermId>) {
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return (i, None);
            }
            let index = (slot & 0xFFFF_FFFF) as usize - 1;
            if (slot >> 32) as u32 == hash && self.terms.term_at(index) == term {
                return (i, Some(self.offset + index as u32));
            }
            i = (i + 1) & mask;
        }
    }

    pub(crate) fn get(&self, term: TermRef<'_>) -> Option<TermId> {
        if self.slots.is_empty() {
            return None;
        }
        self.find(term, self.hash(term)).1
    }

    /// The id of `term`, adding it (with `push`) when new.
    pub(crate) fn insert_with(&mut self, term: TermRef<'_>, push: impl FnOnce(&mut St)) -> TermId {
        match self.locate(term) {
            Ok(id) => id,
            Err((slot, hash)) => {
                push(&mut self.terms);
                self.occupy(slot, hash)
            }
        }
    }

    /// The id of `term` (`Ok`), or the empty slot and hash it takes when added
    /// (`Err`), with room made for one more term.
    fn locate(&mut self, term: TermRef<'_>) -> Result<TermId, (usize, u32)> {
        if (self.terms.count() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let hash = self.hash(term);
        match self.find(term, hash) {
            (_, Some(id)) => Ok(id),
            (slot, None) => Err((slot, hash)),
        }
    }

    /// Records the term just pushed in the slot [`Self::locate`] gave; its id.
    fn occupy(&mut self, slot: usize, hash: u32) -> TermId {
        let count = self.terms.count();
        self.slots[slot] = (u64::from(hash) << 32) | count as u64;
        self.offset + count as u32 - 1
    }

    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![0; capacity]);
        let mask = capacity - 1;
        for slot in old.into_iter().filter(|s| *s != 0) {
            let mut i = (slot >> 32) as usize & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// The terms, in id order (the order they were first inserted).
    pub(crate) fn iter(&self) -> impl Iterator<Item = TermRef<'_>> + '_ {
        (0..self.terms.count()).map(|index| self.terms.term_at(index))
    }

    pub(crate) fn term(&self, id: TermId) -> Option<TermRef<'_>> {
        let index = id.checked_sub(self.offset)? as usize;
        (index < self.terms.count()).then(|| self.terms.term_at(index))
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.terms.count()
    }
}

impl<St: TermStore, S: BuildHasher + Default> Default for Interner<St, S> {
    fn default() -> Self {
        Interner::with_offset(0)
    }
}

impl<S: BuildHasher + Default> Interner<Vec<Term>, S> {
    pub(crate) fn insert(&mut self, term: TermRef<'_>) -> TermId {
        self.insert_with(term, |terms| terms.push(term.into_owned()))
    }
}

impl<S: BuildHasher + Default> Interner<CompactTerms, S> {
    pub(crate) fn insert_compact(&mut self, term: TermRef<'_>) -> TermId {
        self.insert_with(term, |terms| terms.push(term))
    }

    /// [`Self::insert_compact`] for a term read by a lenient parser (one that
    /// checks neither IRIs nor language tags): a term seen here for the first
    /// time is checked as a strict parser checks it, so each distinct term is
    /// checked once instead of at each occurrence. `None` when the check
    /// fails (the term is not added): the caller then parses strictly, which
    /// reports the error where it is.
    pub(crate) fn insert_lenient(&mut self, term: TermRef<'_>) -> Option<TermId> {
        match self.locate(term) {
            Ok(id) => Some(id),
            Err((slot, hash)) => {
                if !strictly_valid(term, &self.terms.datatypes) {
                    return None;
                }
                self.terms.push(term);
                Some(self.occupy(slot, hash))
            }
        }
    }
}

/// Whether a term read by a lenient Turtle / N-Triples parser is one the
/// strict parser (without a base IRI) accepts: an IRI absolute and valid, a
/// language tag well-formed, no `rdf:langString` without a tag. A literal
/// holding a line break is refused too, as the lenient parser also lets one
/// through in a short string, where a strict parser refuses it (a long
/// string's line break is only checked again strictly: rare, and valid).
/// `known_datatypes` were checked already.
fn strictly_valid(term: TermRef<'_>, known_datatypes: &[String]) -> bool {
    match term {
        TermRef::NamedNode(node) => NamedNodeRef::new(node.as_str()).is_ok(),
        TermRef::BlankNode(_) => true,
        TermRef::Literal(literal) => {
            if literal.value().contains(['\n', '\r']) {
                return false;
            }
            if let Some(language) = literal.language() {
                return oxrdf::Literal::new_language_tagged_literal("", language).is_ok();
            }
            let datatype = literal.datatype().as_str();
            datatype == oxrdf::vocab::xsd::STRING.as_str()
                || known_datatypes.iter().any(|known| known == datatype)
                || (datatype != oxrdf::vocab::rdf::LANG_STRING.as_str()
                    && datatype != RDF_DIR_LANG_STRING
                    && NamedNodeRef::new(datatype).is_ok())
        }
        #[allow(unreachable_patterns)] // triple terms, with oxrdf's rdf-12 feature
        _ => false,
    }
}

/// `rdf:dirLangString` (RDF 1.2), which a strict parser refuses as a datatype.
const RDF_DIR_LANG_STRING: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString";

/// Triples of one layer as ids, sorted three ways so that every lookup the
/// engine (and the SPARQL evaluator) makes is a binary search.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// (subject, predicate, object)
    spo: Vec<[TermId; 3]>,
    /// (predicate, object, subject)
    pos: Vec<[TermId; 3]>,
    /// (object, subject, predicate), built on first use: only SPARQL needs it.
    osp: OnceLock<Vec<[TermId; 3]>>,
    /// For a large layer with dense subject ids: where each subject's run
    /// starts in `spo` (indexed by subject id, one past the last at the end),
    /// so a subject's triples are found without a binary search over all of
    /// them; empty otherwise.
    subject_starts: Vec<u32>,
}

/// Below this many triples a layer has no [`Index::subject_starts`]: a
/// record's graph is small and built often, a document's large and built once.
const SUBJECT_STARTS_MIN_TRIPLES: usize = 1 << 16;

fn subject_starts(spo: &[[TermId; 3]]) -> Vec<u32> {
    let Some(last) = spo.last() else {
        return Vec::new();
    };
    let largest = last[0] as usize;
    let dense = largest <= 4 * spo.len();
    if spo.len() < SUBJECT_STARTS_MIN_TRIPLES || !dense || u32::try_from(spo.len()).is_err() {
        return Vec::new();
    }
    let mut starts = vec![0u32; largest + 2];
    for triple in spo {
        starts[triple[0] as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    starts
}

fn packed([a, b, c]: [TermId; 3]) -> u128 {
    (u128::from(a) << 64) | (u128::from(b) << 32) | u128::from(c)
}

/// The run of `sorted` whose first `key.len()` (1 to 3) components equal `key`.
fn prefix_range<'a>(sorted: &'a [[TermId; 3]], key: &[TermId]) -> &'a [[TermId; 3]] {
    let mut low = [0; 3];
    let mut high = [TermId::MAX; 3];
    low[..key.len()].copy_from_slice(key);
    high[..key.len()].copy_from_slice(key);
    let (low, high) = (packed(low), packed(high));
    let start = sorted.partition_point(|t| packed(*t) < low);
    let len = sorted[start..].partition_point(|t| packed(*t) <= high);
    &sorted[start..start + len]
}

/// `triples` stably sorted by their component `at`, by counting: every id
/// is below `bound`, and the triples fit in `u32` positions.
fn counting_sort_by(triples: &[[TermId; 3]], at: usize, bound: usize) -> Vec<[TermId; 3]> {
    let mut starts = vec![0u32; bound + 1];
    for triple in triples {
        starts[triple[at] as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut sorted = vec![[0; 3]; triples.len()];
    for triple in triples {
        let next = &mut starts[triple[at] as usize];
        sorted[*next as usize] = *triple;
        *next += 1;
    }
    sorted
}

/// Below this many triples a layer is sorted by comparison; above it, when
/// its ids are dense, by counting ([`sorted_lexicographically`]).
const COUNTING_SORT_MIN_TRIPLES: usize = 1 << 16;

/// `triples` in the lexicographic order of their components taken in
/// `order` (most significant first). A large layer with dense ids (a whole
/// document) is sorted by one counting pass per component, least
/// significant first, which is linear; others by comparison.
fn sorted_lexicographically(triples: Vec<[TermId; 3]>, order: [usize; 3]) -> Vec<[TermId; 3]> {
    let bound = triples
        .iter()
        .flat_map(|t| t.iter())
        .max()
        .map_or(0, |&id| id as usize + 1);
    let dense = bound <= 4 * triples.len();
    if triples.len() < COUNTING_SORT_MIN_TRIPLES || !dense || u32::try_from(triples.len()).is_err()
    {
        let mut triples = triples;
        let key = |t: &[TermId; 3]| packed([t[order[0]], t[order[1]], t[order[2]]]);
        // By the packed key: the same order, compared in two instructions.
        triples.sort_unstable_by_key(key);
        return triples;
    }
    let by_last = counting_sort_by(&triples, order[2], bound);
    drop(triples);
    let by_middle = counting_sort_by(&by_last, order[1], bound);
    drop(by_last);
    counting_sort_by(&by_middle, order[0], bound)
}

impl Index {
    fn new(spo: Vec<[TermId; 3]>) -> Self {
        let mut spo = sorted_lexicographically(spo, [0, 1, 2]);
        spo.dedup();
        let pos: Vec<_> = sorted_lexicographically(spo.clone(), [1, 2, 0])
            .into_iter()
            .map(|[s, p, o]| [p, o, s])
            .collect();
        Index {
            subject_starts: subject_starts(&spo),
            spo,
            pos,
            osp: OnceLock::new(),
        }
    }

    /// The triples of `s` in `spo`.
    fn subject_run(&self, s: TermId) -> &[[TermId; 3]] {
        if self.subject_starts.is_empty() {
            return prefix_range(&self.spo, &[s]);
        }
        let s = s as usize;
        match (self.subject_starts.get(s), self.subject_starts.get(s + 1)) {
            (Some(&start), Some(&end)) => &self.spo[start as usize..end as usize],
            _ => &[],
        }
    }

    fn osp(&self) -> &[[TermId; 3]] {
        self.osp.get_or_init(|| {
            let mut osp: Vec<_> = self.spo.iter().map(|&[s, p, o]| [o, s, p]).collect();
            osp.sort_unstable();
            osp
        })
    }

    fn len(&self) -> usize {
        self.spo.len()
    }

    fn contains(&self, triple: [TermId; 3]) -> bool {
        self.subject_run(triple[0]).binary_search(&triple).is_ok()
    }

    fn objects(&self, s: TermId, p: TermId) -> impl Iterator<Item = TermId> + '_ {
        prefix_range(self.subject_run(s), &[s, p])
            .iter()
            .map(|t| t[2])
    }

    fn subjects(&self, p: TermId, o: TermId) -> impl Iterator<Item = TermId> + '_ {
        prefix_range(&self.pos, &[p, o]).iter().map(|t| t[2])
    }

    /// (predicate, object) pairs of `s`.
    fn with_subject(&self, s: TermId) -> impl Iterator<Item = (TermId, TermId)> + '_ {
        self.subject_run(s).iter().map(|t| (t[1], t[2]))
    }

    /// (subject, object) pairs of `p`.
    fn with_predicate(&self, p: TermId) -> impl Iterator<Item = (TermId, TermId)> + '_ {
        prefix_range(&self.pos, &[p]).iter().map(|t| (t[2], t[1]))
    }

    /// Triples (as subject, predicate, object) matching a pattern.
    pub(crate) fn matching(
        &self,
        s: Option<TermId>,
        p: Option<TermId>,
        o: Option<TermId>,
    ) -> Box<dyn Iterator<Item = [TermId; 3]> + '_> {
        match (s, p, o) {
            (Some(s), Some(p), Some(o)) => Box::new(
                prefix_range(self.subject_run(s), &[s, p, o])
                    .iter()
                    .copied(),
            ),
            (Some(s), Some(p), None) => {
                Box::new(prefix_range(self.subject_run(s), &[s, p]).iter().copied())
            }
            (Some(s), None, None) => Box::new(self.subject_run(s).iter().copied()),
            (Some(s), None, Some(o)) => Box::new(
                prefix_range(self.osp(), &[o, s])
                    .iter()
                    .map(|&[o, s, p]| [s, p, o]),
            ),
            (None, Some(p), Some(o)) => Box::new(
                prefix_range(&self.pos, &[p, o])
                    .iter()
                    .map(|&[p, o, s]| [s, p, o]),
            ),
            (None, Some(p), None) => Box::new(
                prefix_range(&self.pos, &[p])
                    .iter()
                    .map(|&[p, o, s]| [s, p, o]),
            ),
            (None, None, Some(o)) => Box::new(
                prefix_range(self.osp(), &[o])
                    .iter()
                    .map(|&[o, s, p]| [s, p, o]),
            ),
            (None, None, None) => Box::new(self.spo.iter().copied()),
        }
    }
}

/// A large graph shared by many validations: vocabularies and authority
/// tables that records point into. Build it once; every [`DataGraph`] made
/// with it borrows it.
#[derive(Debug)]
pub struct Background {
    dictionary: Interner<Vec<Term>, FastHash>,
    index: Index,
    /// For each shape set prepared with [`Background::prepare_for`]: its id
    /// and the background id of each of its constants (or `UNRESOLVED`).
    prepared: Vec<(u64, Vec<TermId>)>,
}

/// A constant the background has no id for (a blank node: those never match a record's).
pub(crate) const UNRESOLVED: TermId = u32::MAX;

impl Background {
    pub fn new<'a>(triples: impl IntoIterator<Item = impl Into<TripleRef<'a>>>) -> Self {
        let mut dictionary: Interner<Vec<Term>, FastHash> = Interner::with_offset(0);
        let ids = triples
            .into_iter()
            .map(|t| {
                let t = t.into();
                [
                    dictionary.insert(t.subject.into()),
                    dictionary.insert(t.predicate.into()),
                    dictionary.insert(t.object),
                ]
            })
            .collect();
        Background {
            dictionary,
            index: Index::new(ids),
            prepared: Vec::new(),
        }
    }

    pub fn from_graph(graph: &Graph) -> Self {
        Self::new(graph.iter())
    }

    /// Reads RDF files (syntax from the extension) into one background graph.
    pub fn from_files(paths: &[impl AsRef<Path>]) -> Result<Self, LoadError> {
        let mut triples = Vec::new();
        for path in paths {
            triples.extend(super::load::read_triples(path.as_ref())?);
        }
        Ok(Self::new(&triples))
    }

    /// Gives every IRI and literal `shapes` mentions (predicates, classes) an
    /// id here, once, so validations with this shape set skip looking them
    /// up per record. Optional: results are the same without it.
    pub fn prepare_for(&mut self, shapes: &ShapeSet) {
        if self.prepared_for(shapes).is_some() {
            return;
        }
        let ids = shapes
            .constants
            .iter()
            .map(|term| {
                if term.is_blank_node() {
                    UNRESOLVED
                } else {
                    self.dictionary.insert(term.as_ref())
                }
            })
            .collect();
        self.prepared.push((shapes.uid, ids));
    }

    pub(crate) fn prepared_for(&self, shapes: &ShapeSet) -> Option<&[TermId]> {
        self.prepared
            .iter()
            .find(|(uid, _)| *uid == shapes.uid)
            .map(|(_, ids)| ids.as_slice())
    }

    /// Number of distinct triples.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }
}

/// The data graph of one validation: an optional shared [`Background`] plus
/// the triples of one record (or any graph), indexed, immutable, `Sync`.
/// Its own terms are stored once each, compactly ([`CompactTerms`]); the
/// background is borrowed, never copied.
///
/// With a background, blank nodes of the record never match the
/// background's (they come from different documents), and by default only
/// the record's own triples select focus nodes for `sh:targetClass`,
/// `sh:targetSubjectsOf` and `sh:targetObjectsOf`: the background answers
/// lookups (types, class hierarchy, values) but is not itself validated.
#[derive(Debug)]
pub struct DataGraph<'a> {
    background: Option<&'a Background>,
    dictionary: Interner<CompactTerms>,
    index: Index,
    targets_in_background: bool,
    pub(crate) rdf_type: Option<TermId>,
    pub(crate) sub_class_of: Option<TermId>,
}

impl<'a> DataGraph<'a> {
    /// A data graph of exactly these triples.
    pub fn new<'t>(triples: impl IntoIterator<Item = impl Into<TripleRef<'t>>>) -> Self {
        DataGraph::build(None, triples)
    }

    pub fn from_graph(graph: &Graph) -> Self {
        DataGraph::build(None, graph.iter())
    }

    /// The union of `background` and `triples`, without copying the background.
    pub fn with_background<'t>(
        background: &'a Background,
        triples: impl IntoIterator<Item = impl Into<TripleRef<'t>>>,
    ) -> Self {
        DataGraph::build(Some(background), triples)
    }

    /// Let the background's triples select focus nodes too (as if the two
    /// layers were one graph), e.g. to validate a vocabulary itself.
    pub fn with_targets_in_background(mut self, yes: bool) -> Self {
        self.targets_in_background = yes;
        self
    }

    fn build<'t>(
        background: Option<&'a Background>,
        triples: impl IntoIterator<Item = impl Into<TripleRef<'t>>>,
    ) -> Self {
        let mut builder = DataGraphBuilder::new(background);
        for triple in triples {
            builder.add(triple.into());
        }
        builder.finish()
    }

    /// Number of triples in the record layer (those not already in the background).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }

    pub fn background(&self) -> Option<&'a Background> {
        self.background
    }

    /// The first id after the graph's terms.
    pub(crate) fn end(&self) -> u32 {
        self.dictionary.end()
    }

    fn background_end(&self) -> u32 {
        self.dictionary.offset
    }

    pub(crate) fn id(&self, term: TermRef<'_>) -> Option<TermId> {
        if let (Some(bg), false) = (self.background, term.is_blank_node()) {
            if let Some(id) = bg.dictionary.get(term) {
                return Some(id);
            }
        }
        self.dictionary.get(term)
    }

    pub(crate) fn term(&self, id: TermId) -> Option<TermRef<'_>> {
        if id < self.background_end() {
            self.background.and_then(|bg| bg.dictionary.term(id))
        } else {
            self.dictionary.term(id)
        }
    }

    /// The background layer, if all of `ids` can occur in it.
    fn background_for(&self, ids: &[TermId]) -> Option<&'a Index> {
        let end = self.background_end();
        match self.background {
            Some(bg) if ids.iter().all(|&id| id < end) => Some(&bg.index),
            _ => None,
        }
    }

    pub(crate) fn push_objects(&self, s: TermId, p: TermId, out: &mut Vec<TermId>) {
        if let Some(bg) = self.background_for(&[s, p]) {
            out.extend(bg.objects(s, p));
        }
        out.extend(self.index.objects(s, p));
    }

    pub(crate) fn push_subjects(&self, p: TermId, o: TermId, out: &mut Vec<TermId>) {
        if let Some(bg) = self.background_for(&[p, o]) {
            out.extend(bg.subjects(p, o));
        }
        out.extend(self.index.subjects(p, o));
    }

    /// Calls `f(predicate, object)` for every triple of `s`.
    pub(crate) fn for_each_with_subject(&self, s: TermId, mut f: impl FnMut(TermId, TermId)) {
        if let Some(bg) = self.background_for(&[s]) {
            bg.with_subject(s).for_each(|(p, o)| f(p, o));
        }
        self.index.with_subject(s).for_each(|(p, o)| f(p, o));
    }

    /// Subjects (or objects) of the triples with predicate `p` that may select focus nodes.
    pub(crate) fn push_target_nodes(&self, p: TermId, objects: bool, out: &mut Vec<TermId>) {
        let pick = |(s, o): (TermId, TermId)| if objects { o } else { s };
        if self.targets_in_background {
            if let Some(bg) = self.background_for(&[p]) {
                out.extend(bg.with_predicate(p).map(pick));
            }
        }
        out.extend(self.index.with_predicate(p).map(pick));
    }

    /// Subjects of `rdf:type class` triples that may select focus nodes.
    pub(crate) fn push_target_instances(&self, class: TermId, out: &mut Vec<TermId>) {
        let Some(rdf_type) = self.rdf_type else {
            return;
        };
        if self.targets_in_background {
            if let Some(bg) = self.background_for(&[rdf_type, class]) {
                out.extend(bg.subjects(rdf_type, class));
            }
        }
        out.extend(self.index.subjects(rdf_type, class));
    }

    /// Both layers' triples matching a pattern, as (subject, predicate, object).
    pub(crate) fn matching(
        &self,
        s: Option<TermId>,
        p: Option<TermId>,
        o: Option<TermId>,
    ) -> impl Iterator<Item = [TermId; 3]> + '_ {
        let bound: Vec<TermId> = [s, p, o].into_iter().flatten().collect();
        let background = self
            .background_for(&bound)
            .map(|bg| bg.matching(s, p, o))
            .into_iter()
            .flatten();
        background.chain(self.index.matching(s, p, o))
    }
}

/// Builds a [`DataGraph`] triple by triple, so a document can be parsed
/// straight into it without first holding all its triples.
pub struct DataGraphBuilder<'a> {
    background: Option<&'a Background>,
    offset: TermId,
    dictionary: Interner<CompactTerms>,
    ids: Vec<[TermId; 3]>,
}

impl<'a> DataGraphBuilder<'a> {
    pub fn new(background: Option<&'a Background>) -> Self {
        let offset = background.map_or(0, |bg| bg.dictionary.end());
        DataGraphBuilder {
            background,
            offset,
            dictionary: Interner::with_offset(offset),
            ids: Vec::new(),
        }
    }

    fn intern(&mut self, term: TermRef<'_>) -> TermId {
        self.background
            .filter(|_| !term.is_blank_node())
            .and_then(|bg| bg.dictionary.get(term))
            .unwrap_or_else(|| self.dictionary.insert_compact(term))
    }

    pub fn add(&mut self, triple: TripleRef<'_>) {
        let id = [
            self.intern(triple.subject.into()),
            self.intern(triple.predicate.into()),
            self.intern(triple.object),
        ];
        self.push(id);
    }

    /// [`Self::add`] for a triple read by a lenient parser: false when one of
    /// its terms, new here, is not valid RDF (see
    /// [`Interner::insert_lenient`]); the builder is then to be dropped.
    pub fn add_lenient(&mut self, triple: TripleRef<'_>) -> bool {
        let (Some(s), Some(p), Some(o)) = (
            self.intern_lenient(triple.subject.into()),
            self.intern_lenient(triple.predicate.into()),
            self.intern_lenient(triple.object),
        ) else {
            return false;
        };
        self.push([s, p, o]);
        true
    }

    fn intern_lenient(&mut self, term: TermRef<'_>) -> Option<TermId> {
        // A term the background has was read strictly.
        match self
            .background
            .filter(|_| !term.is_blank_node())
            .and_then(|bg| bg.dictionary.get(term))
        {
            Some(id) => Some(id),
            None => self.dictionary.insert_lenient(term),
        }
    }

    /// Adds the triples of `part` (built over the same background, or none)
    /// after those already here, as if they had been added one by one: the
    /// terms get the ids they would have had, so a document built in pieces
    /// and appended in order is the document built in one go.
    pub fn append(&mut self, part: DataGraphBuilder<'_>) {
        let ids: Vec<TermId> = part
            .dictionary
            .iter()
            .map(|term| self.intern(term))
            .collect();
        let offset = part.offset;
        let map = |id: TermId| match id.checked_sub(offset) {
            Some(index) => ids[index as usize],
            None => id,
        };
        for [s, p, o] in part.ids {
            self.push([map(s), map(p), map(o)]);
        }
    }

    fn push(&mut self, id: [TermId; 3]) {
        // A triple the background already has would only duplicate answers.
        if let Some(bg) = self.background {
            if id.iter().all(|&x| x < self.offset) && bg.index.contains(id) {
                return;
            }
        }
        self.ids.push(id);
    }

    pub fn finish(self) -> DataGraph<'a> {
        let mut graph = DataGraph {
            background: self.background,
            dictionary: self.dictionary,
            index: Index::new(self.ids),
            targets_in_background: false,
            rdf_type: None,
            sub_class_of: None,
        };
        graph.rdf_type = graph.id(TermRef::NamedNode(oxrdf::NamedNodeRef::new_unchecked(
            vocab::RDF_TYPE,
        )));
        graph.sub_class_of = graph.id(TermRef::NamedNode(oxrdf::NamedNodeRef::new_unchecked(
            vocab::RDFS_SUBCLASS_OF,
        )));
        graph
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::{Literal, NamedNode, Triple};

    #[test]
    fn counting_and_comparison_sorts_agree() {
        // Dense ids, repeats, more than the counting threshold.
        let count = COUNTING_SORT_MIN_TRIPLES + 1000;
        let triples: Vec<[TermId; 3]> = (0..count as u32)
            .map(|i| {
                [
                    (i * 7919) % 5000,
                    (i * 31) % 40,
                    i.wrapping_mul(104_729) % 9000,
                ]
            })
            .collect();
        for order in [[0, 1, 2], [1, 2, 0]] {
            let mut expected = triples.clone();
            expected.sort_unstable_by_key(|t| (t[order[0]], t[order[1]], t[order[2]]));
            assert_eq!(sorted_lexicographically(triples.clone(), order), expected);
        }
        // Sparse ids are sorted by comparison, the same order.
        let sparse: Vec<[TermId; 3]> = triples.iter().map(|t| [t[0] * 1000, t[1], t[2]]).collect();
        let mut expected = sparse.clone();
        expected.sort_unstable();
        assert_eq!(sorted_lexicographically(sparse, [0, 1, 2]), expected);
    }

    fn ex(local: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("http://example.org/{local}"))
    }

    fn triple(s: &str, p: &str, o: impl Into<Term>) -> Triple {
        Triple::new(ex(s), ex(p), o)
    }

    #[test]
    fn record_layer_continues_background_ids_and_skips_duplicates() {
        let background = Background::new(&[
            triple("Agent", "label", Literal::from("Agent")),
            triple("org", "type", ex("Agent")),
        ]);
        let record = [
            triple("d", "publisher", ex("org")),
            triple("org", "type", ex("Agent")),
        ];
        let data = DataGraph::with_background(&background, &record);
        assert_eq!(
            data.len(),
            1,
            "the repeated background triple is not stored twice"
        );
        let org = data.id(ex("org").as_ref().into()).expect("org is known");
        let d = data.id(ex("d").as_ref().into()).expect("d is known");
        assert!(d >= background.dictionary.end());
        let mut types = Vec::new();
        data.push_objects(
            org,
            data.id(ex("type").as_ref().into()).expect("type"),
            &mut types,
        );
        assert_eq!(types.len(), 1);
        let mut publishers = Vec::new();
        data.push_subjects(
            data.id(ex("publisher").as_ref().into()).expect("publisher"),
            org,
            &mut publishers,
        );
        assert_eq!(publishers, vec![d]);
        assert_eq!(data.matching(None, None, None).count(), 3);
    }

    #[test]
    fn record_blank_nodes_stay_apart_from_background_ones() {
        let shared = oxrdf::BlankNode::new_unchecked("b0");
        let background = Background::new(&[Triple::new(shared.clone(), ex("p"), ex("x"))]);
        let record = [Triple::new(shared.clone(), ex("q"), ex("y"))];
        let data = DataGraph::with_background(&background, &record);
        let record_node = data.id(shared.as_ref().into()).expect("record blank node");
        assert!(record_node >= background.dictionary.end());
        assert_eq!(data.matching(Some(record_node), None, None).count(), 1);
    }

    #[test]
    fn the_interner_finds_owned_and_borrowed_terms_alike() {
        let mut interner: Interner<Vec<Term>> = Interner::with_offset(7);
        let terms: Vec<Term> = (0..1000)
            .map(|i| match i % 3 {
                0 => ex(&format!("n{i}")).into(),
                1 => Literal::new_language_tagged_literal_unchecked(format!("v{i}"), "en").into(),
                _ => oxrdf::BlankNode::new_unchecked(format!("b{i}")).into(),
            })
            .collect();
        let ids: Vec<TermId> = terms.iter().map(|t| interner.insert(t.as_ref())).collect();
        assert_eq!(ids, (7..1007).collect::<Vec<_>>());
        for (term, id) in terms.iter().zip(&ids) {
            assert_eq!(interner.get(term.as_ref()), Some(*id));
            assert_eq!(interner.insert(term.as_ref()), *id);
            assert_eq!(interner.term(*id), Some(term.as_ref()));
        }
        assert_eq!(interner.get(Literal::from("v1").as_ref().into()), None);
        assert_eq!(interner.len(), 1000);
        assert_eq!(interner.term(6), None);
    }

    #[test]
    fn compact_terms_give_back_every_kind_of_term() {
        let mut terms: Vec<Term> = vec![
            ex("n").into(),
            oxrdf::BlankNode::new_unchecked("b1").into(),
            oxrdf::BlankNode::default().into(),
            Literal::from("plain").into(),
            Literal::new_typed_literal("plain", oxrdf::vocab::xsd::STRING).into(),
            Literal::new_language_tagged_literal_unchecked("Brystkreft", "nb").into(),
            Literal::new_language_tagged_literal_unchecked("", "en-gb").into(),
            Literal::new_typed_literal("2021-01-01", oxrdf::vocab::xsd::DATE).into(),
            Literal::new_typed_literal("æøå", ex("custom")).into(),
            Literal::from("").into(),
        ];
        // More datatypes than the compact table takes: the rest are kept whole.
        terms.extend(
            (0..2 * COMPACT_MAX_DATATYPES)
                .map(|i| Term::from(Literal::new_typed_literal("1", ex(&format!("type{i}"))))),
        );
        let mut interner: Interner<CompactTerms> = Interner::with_offset(3);
        let ids: Vec<TermId> = terms
            .iter()
            .map(|t| interner.insert_compact(t.as_ref()))
            .collect();
        // "plain" and "plain"^^xsd:string are one term.
        assert_eq!(ids[3], ids[4]);
        for (term, id) in terms.iter().zip(&ids) {
            assert_eq!(interner.term(*id), Some(term.as_ref()), "{term}");
            assert_eq!(interner.get(term.as_ref()), Some(*id), "{term}");
            assert_eq!(interner.insert_compact(term.as_ref()), *id);
        }
        assert_eq!(interner.len(), terms.len() - 1);
        assert_eq!(interner.get(Literal::from("other").as_ref().into()), None);
        assert_eq!(interner.term(2), None);
        assert_eq!(interner.term(interner.end()), None);
    }

    #[test]
    fn a_graph_built_triple_by_triple_equals_one_built_at_once() {
        let background = Background::new(&[triple("org", "type", ex("Agent"))]);
        let record = [
            triple("d", "publisher", ex("org")),
            triple("org", "type", ex("Agent")),
            triple("d", "title", Literal::from("x")),
            triple("d", "title", Literal::from("x")),
        ];
        let at_once = DataGraph::with_background(&background, &record);
        let mut builder = DataGraphBuilder::new(Some(&background));
        for t in &record {
            builder.add(t.as_ref());
        }
        let built = builder.finish();
        assert_eq!(built.len(), 2, "duplicates and background triples dropped");
        let as_terms = |g: &DataGraph<'_>| {
            let mut all: Vec<String> = g
                .matching(None, None, None)
                .map(|[s, p, o]| {
                    format!(
                        "{:?} {:?} {:?}",
                        g.term(s).map(|t| t.to_string()),
                        g.term(p).map(|t| t.to_string()),
                        g.term(o).map(|t| t.to_string())
                    )
                })
                .collect();
            all.sort();
            all
        };
        assert_eq!(as_terms(&at_once), as_terms(&built));
        assert_eq!(as_terms(&built).len(), 3);
    }

    #[test]
    fn pattern_lookups_agree_with_a_scan() {
        let triples: Vec<Triple> = (0..30)
            .map(|i| {
                triple(
                    &format!("s{}", i % 5),
                    &format!("p{}", i % 3),
                    ex(&format!("o{}", i % 7)),
                )
            })
            .collect();
        let data = DataGraph::new(&triples);
        let all: Vec<[TermId; 3]> = data.matching(None, None, None).collect();
        for &[s, p, o] in &all {
            for (qs, qp, qo) in [
                (Some(s), None, None),
                (None, Some(p), None),
                (None, None, Some(o)),
                (Some(s), Some(p), None),
                (Some(s), None, Some(o)),
                (None, Some(p), Some(o)),
                (Some(s), Some(p), Some(o)),
            ] {
                let expected = all
                    .iter()
                    .filter(|t| {
                        qs.is_none_or(|x| t[0] == x)
                            && qp.is_none_or(|x| t[1] == x)
                            && qo.is_none_or(|x| t[2] == x)
                    })
                    .count();
                assert_eq!(data.matching(qs, qp, qo).count(), expected);
            }
        }
    }

    #[test]
    fn a_large_layer_finds_subjects_through_their_offsets() {
        let n = SUBJECT_STARTS_MIN_TRIPLES + 1000;
        let ids: Vec<[TermId; 3]> = (0..n as u32)
            .map(|i| [(i * 7919) % 5000, i % 11, i % 13])
            .collect();
        let index = Index::new(ids);
        assert!(!index.subject_starts.is_empty());
        let small = Index {
            spo: index.spo.clone(),
            ..Index::default()
        };
        for s in [0, 1, 17, 4999, 5000, 6000, u32::MAX] {
            assert_eq!(index.subject_run(s), small.subject_run(s), "subject {s}");
            for p in [0, 3, 10, 11] {
                assert!(index.objects(s, p).eq(small.objects(s, p)));
            }
        }
        for &triple in index.spo.iter().step_by(97) {
            assert!(index.contains(triple));
        }
        assert!(!index.contains([5000, 0, 0]));
    }
}
