//! Splitting a harvested document into records.
//!
//! Each resource typed `dcat:Dataset`, `dcat:DatasetSeries`, `dcat:DataService`
//! or `dcat:Catalog` (or a subclass the document declares) becomes a record.
//! A record's graph is its description closed over blank nodes and over the
//! non-record resources (distributions, agents, contact points, ...) described
//! in the same document, so that each record stands alone. The records it
//! links to (a catalogue's datasets, a dataset's series) are not swallowed;
//! their `rdf:type` triples are kept beside it as validation context (so
//! `sh:class dcat:Dataset` on `dcat:dataset` holds), not stored with it.
//! Triples no record reaches are kept in one `Unattached` record, so nothing
//! is lost.

//!
//! The document is held interned ([`InternedDocument`]: each distinct term
//! stored once, triples as three ids) and split over ids; a record's
//! `oxrdf` triples are made only when it is asked for
//! ([`SplitDocument::record`]), so a large document is validated or
//! prepared record by record without a second copy of all its triples.

use super::record::{content_hash, RecordGraph, RecordKind};
use crate::ns;
use crate::validate::{CompactTerms, Interner};
use oxrdf::{NamedNode, NamedNodeRef, NamedOrBlankNode, TermRef, Triple, TripleRef};
use sha2::{Digest, Sha256};

// Keyed by term ids, hashed millions of times per document: foldhash, not SipHash.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// Splits `triples` into records. `genid_base` is the IRI prefix under which
/// blank-node records get their stable IRI (for example
/// `http://host/.well-known/genid/no/`); `unattached` names the remainder record.
pub fn split_records(
    triples: Vec<Triple>,
    genid_base: &str,
    unattached: NamedNode,
) -> Vec<RecordGraph> {
    let mut document = InternedDocument::default();
    for triple in &triples {
        document.add(triple.as_ref());
    }
    drop(triples);
    document.split(genid_base, unattached).into_records()
}

type Id = u32;

/// A document's triples with each distinct term stored once, compactly,
/// and each triple as three ids (in document order, repeats kept).
#[derive(Debug, Default)]
pub struct InternedDocument {
    terms: Interner<CompactTerms>,
    triples: Vec<[Id; 3]>,
}

impl InternedDocument {
    pub fn add(&mut self, triple: TripleRef<'_>) {
        let triple = [
            self.terms.insert_compact(triple.subject.into()),
            self.terms.insert_compact(triple.predicate.into()),
            self.terms.insert_compact(triple.object),
        ];
        self.triples.push(triple);
    }

    /// [`Self::add`] for a triple read by a lenient parser: false when one of
    /// its terms, new here, is not valid RDF (see
    /// [`Interner::insert_lenient`]); the document is then to be dropped.
    pub fn add_lenient(&mut self, triple: TripleRef<'_>) -> bool {
        let (Some(s), Some(p), Some(o)) = (
            self.terms.insert_lenient(triple.subject.into()),
            self.terms.insert_lenient(triple.predicate.into()),
            self.terms.insert_lenient(triple.object),
        ) else {
            return false;
        };
        self.triples.push([s, p, o]);
        true
    }

    /// Adds the triples of `part` after those already here, as if they had
    /// been added one by one (the terms get the ids they would have had).
    pub fn append(&mut self, part: InternedDocument) {
        let ids: Vec<Id> = part
            .terms
            .iter()
            .map(|term| self.terms.insert_compact(term))
            .collect();
        self.triples.extend(
            part.triples
                .iter()
                .map(|t| [ids[t[0] as usize], ids[t[1] as usize], ids[t[2] as usize]]),
        );
    }

    /// Drops repeated triples, keeping the first of each.
    pub fn dedup(&mut self) {
        let mut seen: HashSet<[Id; 3]> =
            HashSet::with_capacity_and_hasher(self.triples.len(), Default::default());
        self.triples.retain(|t| seen.insert(*t));
    }

    /// Number of triples (repeats included).
    pub fn len(&self) -> usize {
        self.triples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.triples.is_empty()
    }

    fn id(&self, iri: &str) -> Option<Id> {
        self.terms.get(NamedNodeRef::new_unchecked(iri).into())
    }

    fn term(&self, id: Id) -> Option<TermRef<'_>> {
        self.terms.term(id)
    }

    fn is_blank(&self, id: Id) -> bool {
        matches!(self.term(id), Some(TermRef::BlankNode(_)))
    }

    /// The `oxrdf` triple at `index` (every stored triple has one).
    fn triple(&self, index: u32) -> Option<Triple> {
        let [s, p, o] = *self.triples.get(index as usize)?;
        let subject = match self.term(s)? {
            TermRef::NamedNode(n) => NamedOrBlankNode::from(n.into_owned()),
            TermRef::BlankNode(b) => NamedOrBlankNode::from(b.into_owned()),
            _ => return None,
        };
        let TermRef::NamedNode(predicate) = self.term(p)? else {
            return None;
        };
        Some(Triple::new(
            subject,
            predicate.into_owned(),
            self.term(o)?.into_owned(),
        ))
    }

    fn triples(&self, indices: &[u32]) -> Vec<Triple> {
        indices.iter().filter_map(|&i| self.triple(i)).collect()
    }

    /// Indices of the triples, ordered by subject (document order within one).
    fn by_subject(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.triples.len() as u32).collect();
        order.sort_by_key(|&i| self.triples[i as usize][0]);
        order
    }

    /// The triples of `subject`, from an index made by [`Self::by_subject`].
    fn with_subject<'i>(&self, by_subject: &'i [u32], subject: Id) -> &'i [u32] {
        let start = by_subject.partition_point(|&i| self.triples[i as usize][0] < subject);
        let len = by_subject[start..].partition_point(|&i| self.triples[i as usize][0] == subject);
        &by_subject[start..start + len]
    }

    /// Splits the document into records, as [`split_records`] describes.
    pub fn split(mut self, genid_base: &str, unattached: NamedNode) -> SplitDocument {
        let rdf_type = self.id(ns::RDF_TYPE);
        let record_classes = self.record_classes();
        let mut kinds: HashMap<Id, RecordKind> = HashMap::default();
        for &[s, p, o] in &self.triples {
            if Some(p) != rdf_type {
                continue;
            }
            if let Some(kind) = record_classes.get(&o) {
                let entry = kinds.entry(s).or_insert(*kind);
                if priority(*kind) < priority(*entry) {
                    *entry = *kind;
                }
            }
        }

        let minted = self.skolemise(&mut kinds, genid_base);
        let by_subject = self.by_subject();

        let mut attached = vec![false; self.triples.len()];
        let mut resources: Vec<(String, Id, RecordKind)> = kinds
            .iter()
            .filter_map(|(&id, &kind)| match self.term(id)? {
                TermRef::NamedNode(iri) => Some((format!("<{}>", iri.as_str()), id, kind)),
                _ => None, // every record resource was skolemised
            })
            .collect();
        resources.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut records = Vec::with_capacity(resources.len() + 1);
        for (_, resource, kind) in resources {
            let mut included = Vec::new();
            let mut linked: HashSet<Id> = HashSet::default();
            let mut types_of_linked = Vec::new();
            let mut visited: HashSet<Id> = [resource].into_iter().collect();
            let mut stack = vec![resource];
            while let Some(node) = stack.pop() {
                for &i in self.with_subject(&by_subject, node) {
                    included.push(i);
                    attached[i as usize] = true;
                    let next = self.triples[i as usize][2];
                    // Only a resource with triples of its own leads on (never a literal).
                    if self.with_subject(&by_subject, next).is_empty() {
                        continue;
                    }
                    if kinds.contains_key(&next) {
                        if next != resource && linked.insert(next) {
                            types_of_linked.extend(
                                self.with_subject(&by_subject, next)
                                    .iter()
                                    .copied()
                                    .filter(|&j| Some(self.triples[j as usize][1]) == rdf_type),
                            );
                        }
                    } else if visited.insert(next) {
                        stack.push(next);
                    }
                }
            }
            included.sort_unstable();
            types_of_linked.sort_unstable();
            records.push(RecordIndex {
                resource,
                kind,
                triples: included,
                linked_types: types_of_linked,
                minted: minted.contains(&resource),
            });
        }
        let rest: Vec<u32> = (0..self.triples.len() as u32)
            .filter(|&i| !attached[i as usize])
            .collect();
        if !rest.is_empty() {
            let resource = self.terms.insert_compact(unattached.as_ref().into());
            records.push(RecordIndex {
                resource,
                kind: RecordKind::Unattached,
                triples: rest,
                linked_types: Vec::new(),
                minted: false,
            });
        }
        SplitDocument {
            document: self,
            records,
        }
    }

    /// The record classes and every class the document declares a subclass of one.
    fn record_classes(&self) -> HashMap<Id, RecordKind> {
        let mut classes: HashMap<Id, RecordKind> = [
            (ns::DCAT_CATALOG, RecordKind::Catalog),
            (ns::DCAT_DATASET_SERIES, RecordKind::DatasetSeries),
            (ns::DCAT_DATA_SERVICE, RecordKind::DataService),
            (ns::DCAT_DATASET, RecordKind::Dataset),
        ]
        .into_iter()
        .filter_map(|(iri, kind)| Some((self.id(iri)?, kind)))
        .collect();
        let Some(sub_class_of) = self.id(ns::RDFS_SUBCLASS_OF) else {
            return classes;
        };
        let is_iri = |id: Id| matches!(self.term(id), Some(TermRef::NamedNode(_)));
        let edges: Vec<(Id, Id)> = self
            .triples
            .iter()
            .filter(|t| t[1] == sub_class_of && is_iri(t[0]) && is_iri(t[2]))
            .map(|t| (t[0], t[2]))
            .collect();
        loop {
            let mut grown = false;
            for (sub, sup) in &edges {
                if let Some(kind) = classes.get(sup).copied() {
                    if !classes.contains_key(sub) {
                        classes.insert(*sub, kind);
                        grown = true;
                    }
                }
            }
            if !grown {
                return classes;
            }
        }
    }

    /// Gives each blank-node record a stable IRI: from its `dct:identifier` when
    /// it has one (unique in the document), else from its content. Returns the minted IRIs.
    fn skolemise(&mut self, kinds: &mut HashMap<Id, RecordKind>, genid_base: &str) -> HashSet<Id> {
        let blank_records: HashSet<Id> = kinds
            .keys()
            .copied()
            .filter(|&id| self.is_blank(id))
            .collect();
        if blank_records.is_empty() {
            return HashSet::default();
        }
        let mut identifiers: HashMap<Id, String> = HashMap::default();
        if let Some(identifier) = self.id(ns::DCT_IDENTIFIER) {
            for &[s, p, o] in &self.triples {
                if p != identifier || !blank_records.contains(&s) {
                    continue;
                }
                if let Some(TermRef::Literal(l)) = self.term(o) {
                    let entry = identifiers
                        .entry(s)
                        .or_insert_with(|| l.value().to_string());
                    // Several identifiers: the smallest, so the choice does not depend on order.
                    if l.value() < entry.as_str() {
                        *entry = l.value().to_string();
                    }
                }
            }
        }
        let mut identifier_counts: HashMap<&str, usize> = HashMap::default();
        for id in identifiers.values() {
            *identifier_counts.entry(id.as_str()).or_default() += 1;
        }

        let by_subject = self.by_subject();
        let mut mapping: Vec<(Id, String)> = Vec::with_capacity(blank_records.len());
        for &record in &blank_records {
            let key = match identifiers.get(&record) {
                Some(id) if identifier_counts.get(id.as_str()) == Some(&1) => format!("id:{id}"),
                _ => format!(
                    "content:{}",
                    content_hash(&self.triples(&self.blank_closure(&by_subject, record)))
                ),
            };
            let digest = Sha256::digest(key.as_bytes());
            mapping.push((
                record,
                format!("{genid_base}{}", hex::encode(&digest[..12])),
            ));
        }
        drop(by_subject);
        let mapping: HashMap<Id, Id> = mapping
            .into_iter()
            .map(|(blank, iri)| {
                let iri = self
                    .terms
                    .insert_compact(NamedNodeRef::new_unchecked(&iri).into());
                (blank, iri)
            })
            .collect();

        for triple in &mut self.triples {
            for position in [0, 2] {
                if let Some(iri) = mapping.get(&triple[position]) {
                    triple[position] = *iri;
                }
            }
        }
        let mut minted = HashSet::default();
        for (blank, iri) in mapping {
            if let Some(kind) = kinds.remove(&blank) {
                kinds.insert(iri, kind);
            }
            minted.insert(iri);
        }
        minted
    }

    /// The triples reachable from `start` through blank nodes: the content a
    /// blank-node record without an identifier is known by.
    fn blank_closure(&self, by_subject: &[u32], start: Id) -> Vec<u32> {
        let mut visited: HashSet<Id> = [start].into_iter().collect();
        let mut frontier = vec![start];
        let mut out = Vec::new();
        while let Some(node) = frontier.pop() {
            for &i in self.with_subject(by_subject, node) {
                out.push(i);
                let object = self.triples[i as usize][2];
                if self.is_blank(object) && visited.insert(object) {
                    frontier.push(object);
                }
            }
        }
        out
    }
}

/// Where one record's triples are in its [`InternedDocument`].
#[derive(Debug)]
struct RecordIndex {
    resource: Id,
    kind: RecordKind,
    triples: Vec<u32>,
    linked_types: Vec<u32>,
    minted: bool,
}

/// A document split into records, each made into a [`RecordGraph`] on demand.
#[derive(Debug)]
pub struct SplitDocument {
    document: InternedDocument,
    records: Vec<RecordIndex>,
}

impl SplitDocument {
    /// Number of records (the unattached remainder included).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn kind(&self, index: usize) -> Option<RecordKind> {
        self.records.get(index).map(|r| r.kind)
    }

    /// The record at `index`, with its own triples.
    pub fn record(&self, index: usize) -> Option<RecordGraph> {
        let record = self.records.get(index)?;
        let TermRef::NamedNode(resource) = self.document.term(record.resource)? else {
            return None;
        };
        Some(RecordGraph {
            resource: resource.into_owned(),
            kind: record.kind,
            triples: self.document.triples(&record.triples),
            linked_types: self.document.triples(&record.linked_types),
            minted: record.minted,
        })
    }

    pub fn into_records(self) -> Vec<RecordGraph> {
        (0..self.records.len())
            .filter_map(|i| self.record(i))
            .collect()
    }
}

/// When a resource has several record types, the most specific kind wins.
fn priority(kind: RecordKind) -> u8 {
    match kind {
        RecordKind::Catalog => 0,
        RecordKind::DatasetSeries => 1,
        RecordKind::DataService => 2,
        RecordKind::Dataset => 3,
        RecordKind::Unattached => 4,
    }
}

/// The first, owned-triple implementation, kept as the oracle the interned split is checked against.
#[cfg(test)]
mod reference {
    use super::{content_hash, priority, RecordGraph, RecordKind};
    use crate::ns;
    use oxrdf::{BlankNode, NamedNode, NamedOrBlankNode, Term, Triple};
    use sha2::{Digest, Sha256};
    use std::collections::{HashMap, HashSet};

    /// Splits `triples` into records. `genid_base` is the IRI prefix under which
    /// blank-node records get their stable IRI (for example
    /// `http://host/.well-known/genid/no/`); `unattached` names the remainder record.
    pub(super) fn split_records(
        mut triples: Vec<Triple>,
        genid_base: &str,
        unattached: NamedNode,
    ) -> Vec<RecordGraph> {
        let record_classes = record_classes(&triples);
        let mut kinds: HashMap<NamedOrBlankNode, RecordKind> = HashMap::new();
        for triple in &triples {
            if triple.predicate.as_str() != ns::RDF_TYPE {
                continue;
            }
            let Term::NamedNode(class) = &triple.object else {
                continue;
            };
            if let Some(kind) = record_classes.get(class.as_str()) {
                let entry = kinds.entry(triple.subject.clone()).or_insert(*kind);
                if priority(*kind) < priority(*entry) {
                    *entry = *kind;
                }
            }
        }

        let minted = skolemise(&mut triples, &mut kinds, genid_base);

        let mut by_subject: HashMap<&NamedOrBlankNode, Vec<usize>> = HashMap::new();
        for (i, triple) in triples.iter().enumerate() {
            by_subject.entry(&triple.subject).or_default().push(i);
        }

        let mut attached = vec![false; triples.len()];
        let mut records = Vec::with_capacity(kinds.len() + 1);
        let mut resources: Vec<(&NamedOrBlankNode, &RecordKind)> = kinds.iter().collect();
        resources.sort_by_key(|(resource, _)| resource.to_string());
        for (resource, kind) in resources {
            let NamedOrBlankNode::NamedNode(iri) = resource else {
                continue; // every record resource was skolemised above
            };
            let mut included = Vec::new();
            let mut linked: HashSet<&NamedOrBlankNode> = HashSet::new();
            let mut types_of_linked = Vec::new();
            let mut visited: HashSet<&NamedOrBlankNode> = HashSet::from([resource]);
            let mut stack = vec![resource];
            while let Some(node) = stack.pop() {
                for &i in by_subject.get(node).map(Vec::as_slice).unwrap_or(&[]) {
                    included.push(i);
                    attached[i] = true;
                    let next = match &triples[i].object {
                        Term::BlankNode(_) | Term::NamedNode(_) => {
                            let as_subject = term_as_subject(&triples[i].object);
                            by_subject.get_key_value(&as_subject).map(|(k, _)| *k)
                        }
                        _ => None,
                    };
                    if let Some(next) = next {
                        if kinds.contains_key(next) {
                            if next != resource && linked.insert(next) {
                                types_of_linked.extend(
                                    by_subject[next]
                                        .iter()
                                        .copied()
                                        .filter(|&j| triples[j].predicate.as_str() == ns::RDF_TYPE),
                                );
                            }
                        } else if visited.insert(next) {
                            stack.push(next);
                        }
                    }
                }
            }
            included.sort_unstable();
            types_of_linked.sort_unstable();
            records.push(RecordGraph {
                resource: iri.clone(),
                kind: *kind,
                triples: included.into_iter().map(|i| triples[i].clone()).collect(),
                linked_types: types_of_linked
                    .into_iter()
                    .map(|i| triples[i].clone())
                    .collect(),
                minted: minted.contains(iri),
            });
        }

        let rest: Vec<Triple> = triples
            .iter()
            .zip(&attached)
            .filter(|(_, attached)| !**attached)
            .map(|(t, _)| t.clone())
            .collect();
        if !rest.is_empty() {
            records.push(RecordGraph {
                resource: unattached,
                kind: RecordKind::Unattached,
                triples: rest,
                linked_types: Vec::new(),
                minted: false,
            });
        }
        records
    }

    fn term_as_subject(term: &Term) -> NamedOrBlankNode {
        match term {
            Term::NamedNode(n) => NamedOrBlankNode::NamedNode(n.clone()),
            Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b.clone()),
            // Only called on IRIs and blank nodes.
            _ => NamedOrBlankNode::BlankNode(BlankNode::default()),
        }
    }

    /// The record classes and every class the document declares a subclass of one.
    fn record_classes(triples: &[Triple]) -> HashMap<String, RecordKind> {
        let mut classes: HashMap<String, RecordKind> = [
            (ns::DCAT_CATALOG, RecordKind::Catalog),
            (ns::DCAT_DATASET_SERIES, RecordKind::DatasetSeries),
            (ns::DCAT_DATA_SERVICE, RecordKind::DataService),
            (ns::DCAT_DATASET, RecordKind::Dataset),
        ]
        .into_iter()
        .map(|(iri, kind)| (iri.to_string(), kind))
        .collect();
        let edges: Vec<(&str, &str)> = triples
            .iter()
            .filter(|t| t.predicate.as_str() == ns::RDFS_SUBCLASS_OF)
            .filter_map(|t| match (&t.subject, &t.object) {
                (NamedOrBlankNode::NamedNode(sub), Term::NamedNode(sup)) => {
                    Some((sub.as_str(), sup.as_str()))
                }
                _ => None,
            })
            .collect();
        loop {
            let mut grown = false;
            for (sub, sup) in &edges {
                if let Some(kind) = classes.get(*sup).copied() {
                    if !classes.contains_key(*sub) {
                        classes.insert(sub.to_string(), kind);
                        grown = true;
                    }
                }
            }
            if !grown {
                return classes;
            }
        }
    }

    /// Gives each blank-node record a stable IRI: from its `dct:identifier` when
    /// it has one (unique in the document), else from its content. Returns the minted IRIs.
    fn skolemise(
        triples: &mut [Triple],
        kinds: &mut HashMap<NamedOrBlankNode, RecordKind>,
        genid_base: &str,
    ) -> HashSet<NamedNode> {
        let blank_records: Vec<BlankNode> = kinds
            .keys()
            .filter_map(|node| match node {
                NamedOrBlankNode::BlankNode(b) => Some(b.clone()),
                _ => None,
            })
            .collect();
        if blank_records.is_empty() {
            return HashSet::new();
        }
        let mut identifiers: HashMap<&BlankNode, String> = HashMap::new();
        for triple in triples.iter() {
            if triple.predicate.as_str() != ns::DCT_IDENTIFIER {
                continue;
            }
            if let (NamedOrBlankNode::BlankNode(b), Term::Literal(l)) =
                (&triple.subject, &triple.object)
            {
                if let Some(record) = blank_records.iter().find(|r| *r == b) {
                    let entry = identifiers
                        .entry(record)
                        .or_insert_with(|| l.value().to_string());
                    // Several identifiers: the smallest, so the choice does not depend on order.
                    if l.value() < entry.as_str() {
                        *entry = l.value().to_string();
                    }
                }
            }
        }
        let mut identifier_counts: HashMap<&str, usize> = HashMap::new();
        for id in identifiers.values() {
            *identifier_counts.entry(id.as_str()).or_default() += 1;
        }

        let mut mapping: HashMap<BlankNode, NamedNode> = HashMap::new();
        for record in &blank_records {
            let key = match identifiers.get(record) {
                Some(id) if identifier_counts.get(id.as_str()) == Some(&1) => format!("id:{id}"),
                _ => format!("content:{}", content_hash(&blank_closure(triples, record))),
            };
            let digest = Sha256::digest(key.as_bytes());
            let iri =
                NamedNode::new_unchecked(format!("{genid_base}{}", hex::encode(&digest[..12])));
            mapping.insert(record.clone(), iri);
        }

        for triple in triples.iter_mut() {
            if let NamedOrBlankNode::BlankNode(b) = &triple.subject {
                if let Some(iri) = mapping.get(b) {
                    triple.subject = iri.clone().into();
                }
            }
            if let Term::BlankNode(b) = &triple.object {
                if let Some(iri) = mapping.get(b) {
                    triple.object = iri.clone().into();
                }
            }
        }
        let mut minted = HashSet::new();
        for (blank, iri) in mapping {
            if let Some(kind) = kinds.remove(&NamedOrBlankNode::BlankNode(blank)) {
                kinds.insert(iri.clone().into(), kind);
            }
            minted.insert(iri);
        }
        minted
    }

    /// The triples reachable from `start` through blank nodes: the content a
    /// blank-node record without an identifier is known by.
    fn blank_closure(triples: &[Triple], start: &BlankNode) -> Vec<Triple> {
        let mut visited: HashSet<&BlankNode> = HashSet::from([start]);
        let mut frontier = vec![start];
        let mut out = Vec::new();
        while let Some(node) = frontier.pop() {
            for triple in triples {
                if matches!(&triple.subject, NamedOrBlankNode::BlankNode(b) if b == node) {
                    out.push(triple.clone());
                    if let Term::BlankNode(next) = &triple.object {
                        if visited.insert(next) {
                            frontier.push(next);
                        }
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::{RdfFormat, RdfParser};
    use oxrdf::Term;

    const DOC: &str = r#"
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <https://example.no/> .

ex:MyDataset rdfs:subClassOf dcat:Dataset .
ex:cat a dcat:Catalog ; dct:title "Katalog"@nb ; dcat:dataset ex:d1, ex:d2, _:b ; dct:publisher ex:fhi .
ex:d1 a dcat:Dataset ; dct:title "Brystkreft"@nb ; dct:publisher ex:fhi ;
  dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "1953-01-01" ] ;
  dcat:distribution ex:dist1 .
ex:d2 a ex:MyDataset ; dct:title "Diabetes"@nb ; dct:publisher ex:fhi .
_:b a dcat:Dataset ; dct:identifier "NO-1" ; dct:title "Blank"@en .
ex:dist1 a dcat:Distribution ; dcat:accessURL <https://example.no/access> .
ex:fhi a foaf:Agent ; foaf:name "Folkehelseinstituttet"@nb .
ex:orphan rdfs:label "nobody links here" .
"#;

    fn parse(doc: &str) -> Vec<Triple> {
        RdfParser::from_format(RdfFormat::Turtle)
            .rename_blank_nodes()
            .for_slice(doc.as_bytes())
            .map(|q| Triple::from(q.unwrap()))
            .collect()
    }

    fn split(doc: &str) -> Vec<RecordGraph> {
        split_records(
            parse(doc),
            "https://k.example/.well-known/genid/no/",
            NamedNode::new_unchecked("urn:katalog:unattached:no"),
        )
    }

    #[test]
    fn one_record_per_dcat_resource_closed_over_described_resources() {
        let records = split(DOC);
        let by_iri: HashMap<&str, &RecordGraph> =
            records.iter().map(|r| (r.resource.as_str(), r)).collect();
        let d1 = by_iri["https://example.no/d1"];
        assert_eq!(d1.kind, RecordKind::Dataset);
        // d1's 5 triples, the period's 2, the distribution's 2, the publisher's 2.
        assert_eq!(d1.triples.len(), 11, "{:#?}", d1.triples);
        assert_eq!(by_iri["https://example.no/d2"].kind, RecordKind::Dataset);
        let catalog = by_iri["https://example.no/cat"];
        assert_eq!(catalog.kind, RecordKind::Catalog);
        // The catalog links to its datasets but does not swallow them: their
        // types are validation context only.
        assert!(!catalog
            .triples
            .iter()
            .any(|t| t.subject.to_string() == "<https://example.no/d1>"));
        assert!(catalog
            .linked_types
            .iter()
            .any(|t| t.subject.to_string() == "<https://example.no/d1>"
                && t.predicate.as_str() == ns::RDF_TYPE));
    }

    #[test]
    fn nothing_is_lost() {
        let triples = parse(DOC);
        let records = split(DOC);
        let mut covered: HashSet<String> = HashSet::default();
        for record in &records {
            for t in &record.triples {
                covered.insert(t.to_string());
            }
        }
        let unattached = records
            .iter()
            .find(|r| r.kind == RecordKind::Unattached)
            .expect("remainder kept");
        // Only the orphan label: the subclass declaration travels with d2, typed by it.
        assert_eq!(unattached.triples.len(), 1, "{:#?}", unattached.triples);
        let d2 = records
            .iter()
            .find(|r| r.resource.as_str() == "https://example.no/d2")
            .unwrap();
        assert!(d2
            .triples
            .iter()
            .any(|t| t.predicate.as_str() == ns::RDFS_SUBCLASS_OF));
        // Every triple is in some record (blank-node dataset renamed).
        assert_eq!(covered.len(), triples.len());
    }

    /// The interned split gives exactly the records of the owned-triple one.
    fn assert_same_as_reference(triples: Vec<Triple>, what: &str) {
        let genid = "https://k.example/.well-known/genid/x/";
        let unattached = NamedNode::new_unchecked("urn:katalog:unattached:x");
        let expected = reference::split_records(triples.clone(), genid, unattached.clone());
        let actual = split_records(triples, genid, unattached);
        assert_eq!(actual.len(), expected.len(), "{what}: number of records");
        for (a, e) in actual.iter().zip(&expected) {
            assert_eq!(a.resource, e.resource, "{what}");
            assert_eq!(a.kind, e.kind, "{what}: {}", e.resource);
            assert_eq!(a.minted, e.minted, "{what}: {}", e.resource);
            assert_eq!(a.triples, e.triples, "{what}: {}", e.resource);
            assert_eq!(a.linked_types, e.linked_types, "{what}: {}", e.resource);
        }
    }

    #[test]
    fn the_interned_split_matches_the_reference_on_the_examples() {
        assert_same_as_reference(parse(DOC), "DOC");
        let no_id = DOC.replace("dct:identifier \"NO-1\" ;", "");
        assert_same_as_reference(parse(&no_id), "DOC without identifier");
        // Nested blank nodes, a blank record inside a blank record, a shared
        // described resource, repeated triples, a record typed twice.
        let tricky = r#"
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix ex: <https://example.no/> .
ex:cat a dcat:Catalog, dcat:Dataset ; dcat:dataset [ a dcat:Dataset ; dct:title "A" ;
    dct:temporal [ dcat:startDate "2020" ; ex:p [ ex:q "deep" ] ] ;
    dcat:distribution ex:shared ; dcat:inSeries [ a dcat:DatasetSeries ; dct:title "S" ] ] .
ex:d a dcat:Dataset ; dcat:distribution ex:shared ; dct:title "B", "B" .
ex:d a dcat:Dataset .
ex:shared a dcat:Distribution ; ex:loop ex:d .
[ a dcat:Dataset ; dct:identifier "X" ] . [ a dcat:Dataset ; dct:identifier "X" ] .
"#;
        assert_same_as_reference(parse(tricky), "tricky");
    }

    #[test]
    fn the_interned_split_matches_the_reference_on_the_fixtures() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut checked = 0;
        for entry in std::fs::read_dir(&root).expect("fixtures") {
            let dir = entry.expect("entry").path();
            for file in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = file.path();
                let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                let format = match extension {
                    "ttl" => RdfFormat::Turtle,
                    "trig" => RdfFormat::TriG,
                    "rdf" => RdfFormat::RdfXml,
                    "jsonld" => RdfFormat::JsonLd {
                        profile: oxigraph::io::JsonLdProfileSet::empty(),
                    },
                    _ => continue,
                };
                let bytes = std::fs::read(&path).expect("fixture reads");
                let triples: Vec<Triple> = RdfParser::from_format(format)
                    .rename_blank_nodes()
                    .for_slice(&bytes)
                    .map(|q| Triple::from(q.expect("fixture parses")))
                    .collect();
                assert_same_as_reference(triples, &path.display().to_string());
                checked += 1;
            }
        }
        assert!(checked >= 5, "only {checked} fixtures");
    }

    /// With KATALOG_SHARED set: a generated catalogue (with defects), split both ways.
    #[test]
    fn the_interned_split_matches_the_reference_on_a_generated_catalogue() {
        let Some(shared) = std::env::var_os("KATALOG_SHARED") else {
            eprintln!("KATALOG_SHARED unset: skipped");
            return;
        };
        let out = tempfile::tempdir().expect("temp dir");
        let status = std::process::Command::new("python3")
            .arg(std::path::Path::new(&shared).join("bench/gen_catalogue.py"))
            .args(["--catalogues", "2", "--datasets-per-catalogue", "150"])
            .args(["--invalid-rate", "0.2", "--quiet", "--out"])
            .arg(out.path())
            .status();
        let Ok(status) = status else {
            eprintln!("python3 not found: skipped");
            return;
        };
        assert!(status.success(), "the generator failed");
        for country in ["NO", "SE"] {
            let path = out.path().join(country).join("catalogue.ttl");
            let bytes = std::fs::read(&path).expect("catalogue written");
            let triples: Vec<Triple> = RdfParser::from_format(RdfFormat::Turtle)
                .rename_blank_nodes()
                .for_slice(&bytes)
                .map(|q| Triple::from(q.expect("catalogue parses")))
                .collect();
            assert!(triples.len() > 5_000);
            assert_same_as_reference(triples, country);
        }
    }

    #[test]
    fn blank_node_records_get_stable_iris() {
        let first = split(DOC);
        let second = split(DOC);
        let minted = |records: &[RecordGraph]| {
            records
                .iter()
                .find(|r| r.minted)
                .map(|r| r.resource.clone())
                .unwrap()
        };
        let iri = minted(&first);
        assert!(iri
            .as_str()
            .starts_with("https://k.example/.well-known/genid/no/"));
        assert_eq!(iri, minted(&second));
        // The catalogue's link now points at the minted IRI.
        let catalog = first
            .iter()
            .find(|r| r.kind == RecordKind::Catalog)
            .unwrap();
        assert!(catalog
            .triples
            .iter()
            .any(|t| t.object == Term::NamedNode(iri.clone())));
        // Without an identifier, the IRI follows the content.
        let no_id = DOC.replace("dct:identifier \"NO-1\" ;", "");
        let a = minted(&split(&no_id));
        assert_eq!(a, minted(&split(&no_id)));
        assert_ne!(a, iri);
    }
}
