//! The data side of validation: an immutable, indexed view of a data graph.
//!
//! katalog validates record by record, and every record needs the same large
//! graph of vocabularies (class hierarchies, concept schemes) for its
//! `sh:class` checks. So the view has two layers: a [`Background`] built
//! once and shared by reference, and the record's own small layer built per
//! [`DataGraph`]. Terms are interned to `u32` ids; the record layer's
//! dictionary continues the background's numbering, so a term has one id in
//! the combined view and lookups never copy the background.

use super::vocab;
use super::LoadError;
use oxrdf::{Graph, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use std::collections::HashMap;
use std::path::Path;

/// A term's id in a [`DataGraph`] (and, above the graph's range, in one
/// validation run's own dictionary of terms the data does not contain).
pub(crate) type TermId = u32;

/// Interned terms. IRIs and blank nodes are keyed by their strings so
/// lookups from borrowed parts of triples do not allocate.
#[derive(Debug, Default)]
pub(crate) struct Dictionary {
    offset: u32,
    terms: Vec<Term>,
    iris: HashMap<String, TermId>,
    blank_nodes: HashMap<String, TermId>,
    literals: HashMap<Literal, TermId>,
}

impl Dictionary {
    pub(crate) fn with_offset(offset: u32) -> Self {
        Dictionary {
            offset,
            ..Dictionary::default()
        }
    }

    /// The first id after this dictionary's range.
    pub(crate) fn end(&self) -> u32 {
        self.offset + self.terms.len() as u32
    }

    pub(crate) fn get(&self, term: &Term) -> Option<TermId> {
        match term {
            Term::NamedNode(node) => self.iris.get(node.as_str()).copied(),
            Term::BlankNode(node) => self.blank_nodes.get(node.as_str()).copied(),
            Term::Literal(literal) => self.literals.get(literal).copied(),
        }
    }

    pub(crate) fn get_iri(&self, iri: &str) -> Option<TermId> {
        self.iris.get(iri).copied()
    }

    fn get_subject(&self, node: &NamedOrBlankNode) -> Option<TermId> {
        match node {
            NamedOrBlankNode::NamedNode(node) => self.iris.get(node.as_str()).copied(),
            NamedOrBlankNode::BlankNode(node) => self.blank_nodes.get(node.as_str()).copied(),
        }
    }

    pub(crate) fn insert(&mut self, term: &Term) -> TermId {
        if let Some(id) = self.get(term) {
            return id;
        }
        let id = self.end();
        match term {
            Term::NamedNode(node) => self.iris.insert(node.as_str().to_owned(), id),
            Term::BlankNode(node) => self.blank_nodes.insert(node.as_str().to_owned(), id),
            Term::Literal(literal) => self.literals.insert(literal.clone(), id),
        };
        self.terms.push(term.clone());
        id
    }

    fn insert_subject(&mut self, node: &NamedOrBlankNode) -> TermId {
        match self.get_subject(node) {
            Some(id) => id,
            None => self.insert(&node.clone().into()),
        }
    }

    fn insert_iri(&mut self, node: &NamedNode) -> TermId {
        match self.iris.get(node.as_str()) {
            Some(id) => *id,
            None => self.insert(&node.clone().into()),
        }
    }

    pub(crate) fn term(&self, id: TermId) -> Option<&Term> {
        id.checked_sub(self.offset)
            .and_then(|index| self.terms.get(index as usize))
    }
}

/// Triples of one layer as ids, sorted three ways so that every lookup the
/// engine (and the SPARQL evaluator) makes is a binary search.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// (subject, predicate, object)
    spo: Vec<[TermId; 3]>,
    /// (predicate, object, subject)
    pos: Vec<[TermId; 3]>,
    /// (object, subject, predicate)
    osp: Vec<[TermId; 3]>,
}

/// The run of `sorted` whose first `key.len()` components equal `key`.
fn prefix_range<'a>(sorted: &'a [[TermId; 3]], key: &[TermId]) -> &'a [[TermId; 3]] {
    let n = key.len();
    let start = sorted.partition_point(|t| &t[..n] < key);
    let len = sorted[start..].partition_point(|t| &t[..n] == key);
    &sorted[start..start + len]
}

impl Index {
    fn new(mut spo: Vec<[TermId; 3]>) -> Self {
        spo.sort_unstable();
        spo.dedup();
        let mut pos: Vec<_> = spo.iter().map(|&[s, p, o]| [p, o, s]).collect();
        pos.sort_unstable();
        let mut osp: Vec<_> = spo.iter().map(|&[s, p, o]| [o, s, p]).collect();
        osp.sort_unstable();
        Index { spo, pos, osp }
    }

    fn len(&self) -> usize {
        self.spo.len()
    }

    fn contains(&self, triple: [TermId; 3]) -> bool {
        self.spo.binary_search(&triple).is_ok()
    }

    fn objects(&self, s: TermId, p: TermId) -> impl Iterator<Item = TermId> + '_ {
        prefix_range(&self.spo, &[s, p]).iter().map(|t| t[2])
    }

    fn subjects(&self, p: TermId, o: TermId) -> impl Iterator<Item = TermId> + '_ {
        prefix_range(&self.pos, &[p, o]).iter().map(|t| t[2])
    }

    /// (predicate, object) pairs of `s`.
    fn with_subject(&self, s: TermId) -> impl Iterator<Item = (TermId, TermId)> + '_ {
        prefix_range(&self.spo, &[s]).iter().map(|t| (t[1], t[2]))
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
            (Some(s), Some(p), Some(o)) => {
                Box::new(prefix_range(&self.spo, &[s, p, o]).iter().copied())
            }
            (Some(s), Some(p), None) => Box::new(prefix_range(&self.spo, &[s, p]).iter().copied()),
            (Some(s), None, None) => Box::new(prefix_range(&self.spo, &[s]).iter().copied()),
            (Some(s), None, Some(o)) => Box::new(
                prefix_range(&self.osp, &[o, s])
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
                prefix_range(&self.osp, &[o])
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
    dictionary: Dictionary,
    index: Index,
}

impl Background {
    pub fn new<'a>(triples: impl IntoIterator<Item = &'a Triple>) -> Self {
        let mut dictionary = Dictionary::with_offset(0);
        let ids = triples
            .into_iter()
            .map(|t| {
                [
                    dictionary.insert_subject(&t.subject),
                    dictionary.insert_iri(&t.predicate),
                    dictionary.insert(&t.object),
                ]
            })
            .collect();
        Background {
            dictionary,
            index: Index::new(ids),
        }
    }

    pub fn from_graph(graph: &Graph) -> Self {
        let triples: Vec<Triple> = graph.iter().map(|t| t.into_owned()).collect();
        Self::new(&triples)
    }

    /// Reads RDF files (syntax from the extension) into one background graph.
    pub fn from_files(paths: &[impl AsRef<Path>]) -> Result<Self, LoadError> {
        let mut triples = Vec::new();
        for path in paths {
            triples.extend(super::load::read_triples(path.as_ref())?);
        }
        Ok(Self::new(&triples))
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
///
/// With a background, blank nodes of the record never match the
/// background's (they come from different documents), and by default only
/// the record's own triples select focus nodes for `sh:targetClass`,
/// `sh:targetSubjectsOf` and `sh:targetObjectsOf`: the background answers
/// lookups (types, class hierarchy, values) but is not itself validated.
#[derive(Debug)]
pub struct DataGraph<'b> {
    background: Option<&'b Background>,
    dictionary: Dictionary,
    index: Index,
    targets_in_background: bool,
    pub(crate) rdf_type: Option<TermId>,
    pub(crate) sub_class_of: Option<TermId>,
}

impl DataGraph<'static> {
    /// A data graph of exactly these triples.
    pub fn new<'t>(triples: impl IntoIterator<Item = &'t Triple>) -> Self {
        DataGraph::build(None, triples)
    }

    pub fn from_graph(graph: &Graph) -> Self {
        let triples: Vec<Triple> = graph.iter().map(|t| t.into_owned()).collect();
        DataGraph::build(None, &triples)
    }
}

impl<'b> DataGraph<'b> {
    /// The union of `background` and `triples`, without copying the background.
    pub fn with_background<'t>(
        background: &'b Background,
        triples: impl IntoIterator<Item = &'t Triple>,
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
        background: Option<&'b Background>,
        triples: impl IntoIterator<Item = &'t Triple>,
    ) -> Self {
        let offset = background.map_or(0, |bg| bg.dictionary.end());
        let mut dictionary = Dictionary::with_offset(offset);
        let mut ids = Vec::new();
        for triple in triples {
            let s = match (&triple.subject, background) {
                (NamedOrBlankNode::NamedNode(node), Some(bg)) => {
                    bg.dictionary.get_iri(node.as_str())
                }
                _ => None,
            }
            .unwrap_or_else(|| dictionary.insert_subject(&triple.subject));
            let p = background
                .and_then(|bg| bg.dictionary.get_iri(triple.predicate.as_str()))
                .unwrap_or_else(|| dictionary.insert_iri(&triple.predicate));
            let o = match (&triple.object, background) {
                (Term::BlankNode(_), _) | (_, None) => None,
                (object, Some(bg)) => bg.dictionary.get(object),
            }
            .unwrap_or_else(|| dictionary.insert(&triple.object));
            // A triple the background already has would only duplicate answers.
            if let Some(bg) = background {
                if s < offset && p < offset && o < offset && bg.index.contains([s, p, o]) {
                    continue;
                }
            }
            ids.push([s, p, o]);
        }
        let mut graph = DataGraph {
            background,
            dictionary,
            index: Index::new(ids),
            targets_in_background: false,
            rdf_type: None,
            sub_class_of: None,
        };
        graph.rdf_type = graph.iri_id(vocab::RDF_TYPE);
        graph.sub_class_of = graph.iri_id(vocab::RDFS_SUBCLASS_OF);
        graph
    }

    /// Number of triples in the record layer (those not already in the background).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }

    pub fn background(&self) -> Option<&'b Background> {
        self.background
    }

    /// The first id after the graph's terms.
    pub(crate) fn end(&self) -> u32 {
        self.dictionary.end()
    }

    fn background_end(&self) -> u32 {
        self.dictionary.offset
    }

    pub(crate) fn id(&self, term: &Term) -> Option<TermId> {
        if let (Some(bg), false) = (self.background, term.is_blank_node()) {
            if let Some(id) = bg.dictionary.get(term) {
                return Some(id);
            }
        }
        self.dictionary.get(term)
    }

    pub(crate) fn iri_id(&self, iri: &str) -> Option<TermId> {
        self.background
            .and_then(|bg| bg.dictionary.get_iri(iri))
            .or_else(|| self.dictionary.get_iri(iri))
    }

    pub(crate) fn term(&self, id: TermId) -> Option<&Term> {
        if id < self.background_end() {
            self.background.and_then(|bg| bg.dictionary.term(id))
        } else {
            self.dictionary.term(id)
        }
    }

    /// The background layer, if `id` can occur in it.
    fn background_for(&self, ids: &[TermId]) -> Option<&'b Index> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let org = data.id(&ex("org").into()).expect("org is known");
        let d = data.id(&ex("d").into()).expect("d is known");
        assert!(d >= background.dictionary.end());
        let mut types = Vec::new();
        data.push_objects(
            org,
            data.iri_id("http://example.org/type").expect("type"),
            &mut types,
        );
        assert_eq!(types.len(), 1);
        let mut publishers = Vec::new();
        data.push_subjects(
            data.iri_id("http://example.org/publisher")
                .expect("publisher"),
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
        let data = DataGraph::with_background(
            &background,
            &[Triple::new(shared.clone(), ex("q"), ex("y"))],
        );
        let record_node = data.id(&shared.into()).expect("record blank node");
        assert!(record_node >= background.dictionary.end());
        assert_eq!(data.matching(Some(record_node), None, None).count(), 1);
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
}
