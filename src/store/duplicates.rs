//! Cross-source duplicates: the same dataset published by two sources (the
//! same resource IRI, or the same `dct:identifier` / `adms:identifier` with
//! the same publisher) becomes one published record. The record of the source
//! with the highest `priority` (ties: the source name that sorts first) stays
//! published and names the others with `kat:alsoPublishedBy <source>`; the
//! others keep their content and provenance with `kat:state "superseded"` and
//! `kat:supersededBy <record>`, and are left out of public snapshots. Which
//! record wins depends only on the configuration, never on which source ran
//! last.

use super::{record_iri, remove_values, replace_value, Terms, PUBLISHED, SUPERSEDED};
use super::{CatalogStore, StoreError};
use crate::harvest::record::RecordKind;
use crate::ns;
use oxigraph::model::{
    GraphName, GraphNameRef, Literal, NamedNode, NamedNodeRef, NamedOrBlankNodeRef, Quad, Term,
};
use oxigraph::store::StorageError;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const ADMS_IDENTIFIER: &str = "http://www.w3.org/ns/adms#identifier";
const SKOS_NOTATION: &str = "http://www.w3.org/2004/02/skos/core#notation";
const DCT_PUBLISHER: &str = "http://purl.org/dc/terms/publisher";

/// What the resolution did, for logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DuplicateResolution {
    /// Groups of records that several sources publish.
    pub groups: usize,
    /// Records not published because a record of another source is.
    pub superseded: usize,
    /// Catalogue records whose state or duplicate links changed now.
    pub updated: usize,
}

struct Candidate {
    node: NamedNode,
    topic: NamedNode,
    source: String,
    state: String,
    also: BTreeSet<NamedNode>,
    superseded_by: Option<NamedNode>,
    keys: Vec<String>,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Where the store remembers the source priorities its duplicates were
/// last resolved under (in the runs graph).
const PRIORITIES_SUBJECT: &str = "urn:katalog:duplicates";
/// Written when a run was rolled forward at start-up without resolving its
/// duplicates: matches no priorities, so the next resolution is a full one.
const STALE_PRIORITIES: &str = "stale";

/// The priorities as a stable string: `name=priority` of the sources whose
/// priority is not the default 0, sorted.
fn priorities_fingerprint(priorities: &HashMap<String, i64>) -> String {
    let named: BTreeMap<&str, i64> = priorities
        .iter()
        .filter(|(_, p)| **p != 0)
        .map(|(name, p)| (name.as_str(), *p))
        .collect();
    named
        .iter()
        .map(|(name, p)| format!("{name}={p}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The predicates of the duplicate links.
struct Links {
    also: NamedNode,
    superseded_by: NamedNode,
    priorities: NamedNode,
    identifier: NamedNode,
    adms_identifier: NamedNode,
    notation: NamedNode,
}

impl Links {
    fn new() -> Self {
        Links {
            also: NamedNode::new_unchecked(ns::kat("alsoPublishedBy")),
            superseded_by: NamedNode::new_unchecked(ns::kat("supersededBy")),
            priorities: NamedNode::new_unchecked(ns::kat("duplicatePriorities")),
            identifier: NamedNode::new_unchecked(ns::DCT_IDENTIFIER),
            adms_identifier: NamedNode::new_unchecked(ADMS_IDENTIFIER),
            notation: NamedNode::new_unchecked(SKOS_NOTATION),
        }
    }
}

impl CatalogStore {
    /// Resolves cross-source duplicates over all published (and superseded)
    /// records, by source priority (`priorities`, 0 when absent), in one
    /// transaction. Cheap to call again: only records whose outcome changes
    /// are written. Remembers the priorities, so that
    /// [`CatalogStore::resolve_duplicates_around`] can work incrementally.
    pub fn resolve_duplicates(
        &self,
        priorities: &HashMap<String, i64>,
    ) -> Result<DuplicateResolution, StoreError> {
        let t = Terms::new();
        let links = Links::new();
        let candidates = self.candidates(&t, &links)?;
        self.settle(&t, &links, &candidates, priorities, true)
    }

    /// Resolves the duplicates a change can affect: those of the records
    /// `seeds` (catalogue record nodes that a run or push added, changed,
    /// quarantined or deleted, and the records deleted ones were superseded
    /// by), found by their identity keys and duplicate links. The rest of
    /// the store is not read: each seed costs a few index lookups, and only
    /// a seed that shares a key with another record, or has links, has its
    /// group read and settled. The outcome is that of a full resolution as
    /// long as the priorities are those of the last resolution; when they
    /// changed (or a run was rolled forward since), this is a full one.
    pub fn resolve_duplicates_around(
        &self,
        priorities: &HashMap<String, i64>,
        seeds: &[NamedNode],
    ) -> Result<DuplicateResolution, StoreError> {
        let t = Terms::new();
        let links = Links::new();
        if !self.priorities_match(&links, priorities)? {
            return self.resolve_duplicates(priorities);
        }
        let mut queue: std::collections::VecDeque<NamedNode> = std::collections::VecDeque::new();
        for seed in seeds {
            if self.may_have_duplicates(&t, &links, seed)? {
                queue.push_back(seed.clone());
            }
        }
        let mut visited: std::collections::HashSet<NamedNode> = std::collections::HashSet::new();
        let mut candidates = Vec::new();
        while let Some(node) = queue.pop_front() {
            if !visited.insert(node.clone()) {
                continue;
            }
            match self.candidate(&t, &links, &node)? {
                Some(candidate) => {
                    queue.extend(self.neighbours(&t, &links, &candidate)?);
                    candidates.push(candidate);
                }
                None => queue.extend(self.superseded_by(&t, &links, &node)?),
            }
        }
        if candidates.is_empty() {
            return Ok(DuplicateResolution::default());
        }
        self.settle(&t, &links, &candidates, priorities, false)
    }

    /// At start-up: a full resolution when the priorities changed since the
    /// last one (or a run was rolled forward), nothing otherwise.
    pub fn resolve_duplicates_if_stale(
        &self,
        priorities: &HashMap<String, i64>,
    ) -> Result<Option<DuplicateResolution>, StoreError> {
        let links = Links::new();
        if self.priorities_match(&links, priorities)? {
            return Ok(None);
        }
        self.resolve_duplicates(priorities).map(Some)
    }

    /// The record `node` is superseded by, if any (as a list, for seeds).
    pub fn superseded_winner(&self, node: &NamedNode) -> Result<Vec<NamedNode>, StoreError> {
        let t = Terms::new();
        let links = Links::new();
        let graph = GraphNameRef::NamedNode(t.records_graph.as_ref());
        Ok(
            match self.first_object(node, &links.superseded_by, graph)? {
                Some(Term::NamedNode(winner)) => vec![winner],
                _ => Vec::new(),
            },
        )
    }

    /// Marks the duplicate resolution stale: the next one is a full one.
    pub(super) fn mark_duplicates_stale(&self) -> Result<(), StoreError> {
        self.write_priorities(&Links::new(), STALE_PRIORITIES)
    }

    fn stored_priorities(&self, links: &Links) -> Result<Option<String>, StoreError> {
        let t = Terms::new();
        let subject = NamedNode::new_unchecked(PRIORITIES_SUBJECT);
        Ok(self
            .store
            .quads_for_pattern(
                Some(subject.as_ref().into()),
                Some(links.priorities.as_ref()),
                None,
                Some(GraphNameRef::NamedNode(t.runs_graph.as_ref())),
            )
            .next()
            .transpose()?
            .and_then(|q| match q.object {
                Term::Literal(l) => Some(l.value().to_string()),
                _ => None,
            }))
    }

    fn write_priorities(&self, links: &Links, value: &str) -> Result<(), StoreError> {
        let mut tx = self.store.start_transaction()?;
        replace_priorities(&mut tx, links, &Terms::new(), value)?;
        tx.commit()?;
        Ok(())
    }

    /// Whether the store's duplicates were resolved under `priorities`. A
    /// store that never recorded priorities (new, or written before they
    /// were recorded, when every run resolved all duplicates) takes these.
    fn priorities_match(
        &self,
        links: &Links,
        priorities: &HashMap<String, i64>,
    ) -> Result<bool, StoreError> {
        let wanted = priorities_fingerprint(priorities);
        match self.stored_priorities(links)? {
            Some(stored) => Ok(stored == wanted),
            None => {
                self.write_priorities(links, &wanted)?;
                Ok(true)
            }
        }
    }

    fn first_object(
        &self,
        subject: &NamedNode,
        predicate: &NamedNode,
        graph: GraphNameRef<'_>,
    ) -> Result<Option<Term>, StorageError> {
        self.store
            .quads_for_pattern(
                Some(subject.as_ref().into()),
                Some(predicate.as_ref()),
                None,
                Some(graph),
            )
            .next()
            .transpose()
            .map(|q| q.map(|q| q.object))
    }

    /// The records superseded by `node`.
    fn superseded_by(
        &self,
        t: &Terms,
        links: &Links,
        node: &NamedNode,
    ) -> Result<Vec<NamedNode>, StorageError> {
        let graph = GraphNameRef::NamedNode(t.records_graph.as_ref());
        let mut out = Vec::new();
        for quad in self.store.quads_for_pattern(
            None,
            Some(links.superseded_by.as_ref()),
            Some(node.as_ref().into()),
            Some(graph),
        ) {
            if let oxigraph::model::NamedOrBlankNode::NamedNode(n) = quad?.subject {
                out.push(n);
            }
        }
        Ok(out)
    }

    /// The records (record graph names) whose content has `predicate` with
    /// the value `value`.
    fn records_with_value(
        &self,
        predicate: &NamedNode,
        value: &Term,
        out: &mut Vec<NamedNode>,
    ) -> Result<(), StorageError> {
        for quad in
            self.store
                .quads_for_pattern(None, Some(predicate.as_ref()), Some(value.as_ref()), None)
        {
            if let GraphName::NamedNode(g) = quad?.graph_name {
                if g.as_str().starts_with(ns::RECORD_GRAPH_PREFIX) {
                    out.push(g);
                }
            }
        }
        Ok(())
    }

    /// Every value an identifier of `topic` may be stored with: the term
    /// itself, and the trimmed text as a plain literal.
    fn identifier_terms(
        &self,
        links: &Links,
        topic: &NamedNode,
        record: &NamedNode,
    ) -> Result<Vec<(NamedNode, Term)>, StorageError> {
        let graph = GraphNameRef::NamedNode(record.as_ref());
        let mut terms = Vec::new();
        let mut add = |predicate: &NamedNode, term: Term| {
            if let Term::Literal(l) = &term {
                let trimmed = Term::Literal(Literal::new_simple_literal(l.value().trim()));
                if trimmed != term {
                    terms.push((predicate.clone(), trimmed));
                }
            }
            terms.push((predicate.clone(), term));
        };
        for quad in self.store.quads_for_pattern(
            Some(topic.as_ref().into()),
            Some(links.identifier.as_ref()),
            None,
            Some(graph),
        ) {
            add(&links.identifier, quad?.object);
        }
        for quad in self.store.quads_for_pattern(
            Some(topic.as_ref().into()),
            Some(links.adms_identifier.as_ref()),
            None,
            Some(graph),
        ) {
            let subject = match quad?.object {
                Term::NamedNode(n) => oxigraph::model::NamedOrBlankNode::NamedNode(n),
                Term::BlankNode(b) => oxigraph::model::NamedOrBlankNode::BlankNode(b),
                _ => continue,
            };
            for notation in self.store.quads_for_pattern(
                Some(subject.as_ref()),
                Some(links.notation.as_ref()),
                None,
                Some(graph),
            ) {
                add(&links.notation, notation?.object);
            }
        }
        Ok(terms)
    }

    /// Other records an identifier of `topic` (in `record`'s graph) is
    /// also stored in, under either identifier predicate.
    fn sharing_identifiers(
        &self,
        links: &Links,
        topic: &NamedNode,
        record: &NamedNode,
    ) -> Result<Vec<NamedNode>, StorageError> {
        let mut out = Vec::new();
        for (_, term) in self.identifier_terms(links, topic, record)? {
            for predicate in [&links.identifier, &links.notation] {
                self.records_with_value(predicate, &term, &mut out)?;
            }
        }
        out.retain(|n| n != record);
        Ok(out)
    }

    /// The records whose content says `topic` is their resource.
    fn records_of_topic(&self, t: &Terms, topic: &Term) -> Result<Vec<NamedNode>, StorageError> {
        let graph = GraphNameRef::NamedNode(t.records_graph.as_ref());
        let mut out = Vec::new();
        for quad in self.store.quads_for_pattern(
            None,
            Some(t.primary_topic.as_ref()),
            Some(topic.as_ref()),
            Some(graph),
        ) {
            if let oxigraph::model::NamedOrBlankNode::NamedNode(n) = quad?.subject {
                out.push(n);
            }
        }
        Ok(out)
    }

    /// Whether a changed record may be, or have been, part of a duplicate
    /// group: it has duplicate links, is named by one, or shares its IRI or
    /// an identifier with another record. A few index lookups.
    fn may_have_duplicates(
        &self,
        t: &Terms,
        links: &Links,
        node: &NamedNode,
    ) -> Result<bool, StorageError> {
        let graph = GraphNameRef::NamedNode(t.records_graph.as_ref());
        if !self.superseded_by(t, links, node)?.is_empty()
            || self
                .first_object(node, &links.superseded_by, graph)?
                .is_some()
            || self.first_object(node, &links.also, graph)?.is_some()
        {
            return Ok(true);
        }
        let Some(topic) = self.first_object(node, &t.primary_topic, graph)? else {
            return Ok(false);
        };
        if self.records_of_topic(t, &topic)?.iter().any(|n| n != node) {
            return Ok(true);
        }
        let Term::NamedNode(topic) = topic else {
            return Ok(false);
        };
        Ok(!self.sharing_identifiers(links, &topic, node)?.is_empty())
    }

    /// The records a candidate's group may reach: those sharing its IRI or
    /// an identifier, and those its duplicate links name.
    fn neighbours(
        &self,
        t: &Terms,
        links: &Links,
        candidate: &Candidate,
    ) -> Result<Vec<NamedNode>, StorageError> {
        let mut out = self.records_of_topic(t, &Term::NamedNode(candidate.topic.clone()))?;
        out.extend(self.sharing_identifiers(links, &candidate.topic, &candidate.node)?);
        out.extend(candidate.superseded_by.iter().cloned());
        out.extend(self.superseded_by(t, links, &candidate.node)?);
        Ok(out)
    }

    /// Groups the candidates by shared keys, picks each group's record by
    /// priority, and writes the records whose outcome changes. With
    /// `remember`, the priorities are stored as those of the last full
    /// resolution.
    fn settle(
        &self,
        t: &Terms,
        links: &Links,
        candidates: &[Candidate],
        priorities: &HashMap<String, i64>,
        remember: bool,
    ) -> Result<DuplicateResolution, StoreError> {
        let also_predicate = &links.also;
        let superseded_predicate = &links.superseded_by;
        // Records sharing a key are one dataset.
        let mut parent: Vec<usize> = (0..candidates.len()).collect();
        let mut first_with: HashMap<&str, usize> = HashMap::new();
        for (i, candidate) in candidates.iter().enumerate() {
            for key in &candidate.keys {
                match first_with.get(key.as_str()) {
                    Some(&j) => {
                        let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                        parent[a] = b;
                    }
                    None => {
                        first_with.insert(key, i);
                    }
                }
            }
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..candidates.len() {
            let root = find(&mut parent, i);
            groups.entry(root).or_default().push(i);
        }

        // What each record should be: (state, also published by, superseded by).
        type Wanted = (&'static str, BTreeSet<NamedNode>, Option<NamedNode>);
        let mut wanted: Vec<Wanted> = candidates
            .iter()
            .map(|_| (PUBLISHED, BTreeSet::new(), None))
            .collect();
        let mut resolution = DuplicateResolution::default();
        for members in groups.values() {
            let sources: BTreeSet<&str> = members
                .iter()
                .map(|&i| candidates[i].source.as_str())
                .collect();
            if sources.len() < 2 {
                continue;
            }
            resolution.groups += 1;
            let priority = |s: &str| priorities.get(s).copied().unwrap_or(0);
            // Highest priority first; among equals, the name that sorts first.
            let Some(winner) = sources
                .iter()
                .copied()
                .max_by(|a, b| priority(a).cmp(&priority(b)).then(b.cmp(a)))
            else {
                continue;
            };
            let winner_node = members
                .iter()
                .map(|&i| &candidates[i])
                .filter(|c| c.source == winner)
                .map(|c| c.node.clone())
                .min();
            let others: BTreeSet<NamedNode> = sources
                .iter()
                .filter(|s| **s != winner)
                .map(|s| NamedNode::new_unchecked(format!("{}{s}", ns::SOURCE_PREFIX)))
                .collect();
            for &i in members {
                if candidates[i].source == winner {
                    wanted[i].1 = others.clone();
                } else {
                    wanted[i] = (SUPERSEDED, BTreeSet::new(), winner_node.clone());
                    resolution.superseded += 1;
                }
            }
        }

        let g = GraphName::NamedNode(t.records_graph.clone());
        let changes = candidates
            .iter()
            .zip(&wanted)
            .any(|(c, (state, also, by))| {
                c.state != *state || &c.also != also || &c.superseded_by != by
            });
        if changes {
            // Before the change: see CatalogStore::mark_changing.
            self.mark_changing()?;
        }
        let mut tx = self.store.start_transaction()?;
        for (candidate, (state, also, superseded_by)) in candidates.iter().zip(&wanted) {
            if candidate.state == *state
                && &candidate.also == also
                && &candidate.superseded_by == superseded_by
            {
                continue;
            }
            resolution.updated += 1;
            for predicate in [&t.state, also_predicate, superseded_predicate] {
                remove_values(&mut tx, &candidate.node, predicate, &t.records_graph)?;
            }
            let node = candidate.node.clone();
            tx.insert(&Quad::new(
                node.clone(),
                t.state.clone(),
                Literal::from(*state),
                g.clone(),
            ));
            for source in also {
                tx.insert(&Quad::new(
                    node.clone(),
                    also_predicate.clone(),
                    source.clone(),
                    g.clone(),
                ));
            }
            if let Some(winner) = superseded_by {
                tx.insert(&Quad::new(
                    node.clone(),
                    superseded_predicate.clone(),
                    winner.clone(),
                    g.clone(),
                ));
            }
        }
        if remember {
            replace_priorities(&mut tx, links, t, &priorities_fingerprint(priorities))?;
        }
        tx.commit()?;
        if resolution.updated > 0 {
            tracing::info!(
                groups = resolution.groups,
                superseded = resolution.superseded,
                updated = resolution.updated,
                "cross-source duplicates resolved by source priority"
            );
        }
        Ok(resolution)
    }

    /// Published and superseded records with the keys that identify their dataset.
    fn candidates(&self, t: &Terms, links: &Links) -> Result<Vec<Candidate>, StorageError> {
        let graph = GraphNameRef::NamedNode(t.records_graph.as_ref());
        let mut candidates = Vec::new();
        for state in [PUBLISHED, SUPERSEDED] {
            for quad in self.store.quads_for_pattern(
                None,
                Some(t.state.as_ref()),
                Some(Literal::from(state).as_ref().into()),
                Some(graph),
            ) {
                let oxigraph::model::NamedOrBlankNode::NamedNode(node) = quad?.subject else {
                    continue;
                };
                if let Some(candidate) = self.candidate(t, links, &node)? {
                    candidates.push(candidate);
                }
            }
        }
        Ok(candidates)
    }

    /// A record, when it is published or superseded, with its keys.
    fn candidate(
        &self,
        t: &Terms,
        links: &Links,
        node: &NamedNode,
    ) -> Result<Option<Candidate>, StorageError> {
        let graph = GraphNameRef::NamedNode(t.records_graph.as_ref());
        let unattached = RecordKind::Unattached.class_iri();
        let mut candidate = Candidate {
            node: node.clone(),
            topic: node.clone(),
            source: String::new(),
            state: String::new(),
            also: BTreeSet::new(),
            superseded_by: None,
            keys: Vec::new(),
        };
        let mut topic = None;
        let mut counted = true;
        let mut id = None;
        for value in
            self.store
                .quads_for_pattern(Some(node.as_ref().into()), None, None, Some(graph))
        {
            let value = value?;
            match value.object {
                Term::Literal(l) if value.predicate == t.source_name => {
                    candidate.source = l.value().to_string()
                }
                Term::Literal(l) if value.predicate == t.record_id => {
                    id = Some(l.value().to_string())
                }
                Term::Literal(l) if value.predicate == t.state => {
                    candidate.state = l.value().to_string()
                }
                Term::NamedNode(n) if value.predicate == t.primary_topic => topic = Some(n),
                Term::NamedNode(n) if value.predicate == t.record_type => {
                    counted = n.as_str() != unattached
                }
                Term::NamedNode(n) if value.predicate == links.also => {
                    candidate.also.insert(n);
                }
                Term::NamedNode(n) if value.predicate == links.superseded_by => {
                    candidate.superseded_by = Some(n)
                }
                _ => {}
            }
        }
        if candidate.state != PUBLISHED && candidate.state != SUPERSEDED {
            return Ok(None);
        }
        let (Some(topic), Some(id), true) = (topic, id, counted) else {
            return Ok(None);
        };
        candidate.keys = self.identity_keys(&topic, &id)?;
        candidate.topic = topic;
        Ok(Some(candidate))
    }

    /// The keys of a record's dataset: its IRI, and each identifier paired
    /// with each publisher.
    fn identity_keys(&self, topic: &NamedNode, id: &str) -> Result<Vec<String>, StorageError> {
        let record = record_iri(id);
        let graph = GraphNameRef::NamedNode(record.as_ref());
        let mut keys = vec![format!("iri {}", topic.as_str())];
        let mut identifiers = BTreeSet::new();
        let mut publishers = BTreeSet::new();
        for quad in
            self.store
                .quads_for_pattern(Some(topic.as_ref().into()), None, None, Some(graph))
        {
            let quad = quad?;
            match (quad.predicate.as_str(), &quad.object) {
                (ns::DCT_IDENTIFIER, Term::Literal(l)) => {
                    identifiers.insert(l.value().trim().to_string());
                }
                (ns::DCT_IDENTIFIER, Term::NamedNode(n)) => {
                    identifiers.insert(n.as_str().to_string());
                }
                (ADMS_IDENTIFIER, object) => {
                    let subject = match object {
                        Term::NamedNode(n) => NamedOrBlankNodeRef::NamedNode(n.as_ref()),
                        Term::BlankNode(b) => NamedOrBlankNodeRef::BlankNode(b.as_ref()),
                        _ => continue,
                    };
                    for notation in self.store.quads_for_pattern(
                        Some(subject),
                        Some(NamedNodeRef::new_unchecked(SKOS_NOTATION)),
                        None,
                        Some(graph),
                    ) {
                        if let Term::Literal(l) = notation?.object {
                            identifiers.insert(l.value().trim().to_string());
                        }
                    }
                }
                (DCT_PUBLISHER, Term::NamedNode(n)) => {
                    publishers.insert(n.as_str().to_string());
                }
                _ => {}
            }
        }
        for identifier in identifiers.iter().filter(|i| !i.is_empty()) {
            for publisher in &publishers {
                keys.push(format!("id {identifier}\u{1f}{publisher}"));
            }
        }
        Ok(keys)
    }
}

/// Records, inside `tx`, the priorities the store's duplicates are now
/// resolved under (replacing the earlier record).
fn replace_priorities(
    tx: &mut oxigraph::store::Transaction<'_>,
    links: &Links,
    t: &Terms,
    value: &str,
) -> Result<(), StoreError> {
    let subject = NamedNode::new_unchecked(PRIORITIES_SUBJECT);
    Ok(replace_value(
        tx,
        &subject,
        &links.priorities,
        Literal::from(value),
        &t.runs_graph,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harvest::split::split_records;
    use crate::store::{HarvestRun, PreparedRecord, RecordCounts, RunOutcome, SourceMeta};
    use oxigraph::io::{RdfFormat, RdfParser};
    use oxrdf::Triple;

    const NO: &str = r#"
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix adms: <http://www.w3.org/ns/adms#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://example.no/> .
ex:shared a dcat:Dataset ; dct:title "Shared by IRI" .
ex:reg a dcat:Dataset ; dct:title "Register" ; dct:identifier "REG-1" ; dct:publisher ex:fhi .
ex:only a dcat:Dataset ; dct:title "Only here" ; dct:identifier "X-9" ; dct:publisher ex:fhi .
"#;

    const SE: &str = r#"
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix adms: <http://www.w3.org/ns/adms#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://example.no/> .
ex:shared a dcat:Dataset ; dct:title "Shared by IRI, as SE has it" .
<https://example.se/register> a dcat:Dataset ; dct:title "Registret" ;
  adms:identifier [ skos:notation "REG-1" ] ; dct:publisher ex:fhi .
<https://example.se/same-id-other-publisher> a dcat:Dataset ; dct:identifier "X-9" ;
  dct:publisher <https://example.se/other> .
"#;

    fn records(source: &str, doc: &str) -> Vec<PreparedRecord> {
        let triples: Vec<Triple> = RdfParser::from_format(RdfFormat::Turtle)
            .rename_blank_nodes()
            .for_slice(doc.as_bytes())
            .map(|q| Triple::from(q.unwrap()))
            .collect();
        split_records(
            triples,
            &format!("https://k.example/.well-known/genid/{source}/"),
            NamedNode::new_unchecked(format!("urn:katalog:unattached:{source}")),
        )
        .into_iter()
        .map(|g| PreparedRecord::new(source, g))
        .collect()
    }

    fn harvest(store: &CatalogStore, source: &str, doc: &str) {
        let meta = SourceMeta {
            name: source.into(),
            country: "NO".into(),
            location: "test".into(),
        };
        let now = chrono::Utc::now();
        let mut run = HarvestRun {
            id: format!("{source}-{}", now.timestamp_nanos_opt().unwrap_or_default()),
            source: source.into(),
            started: now,
            ended: now,
            outcome: RunOutcome::Failed,
            counts: RecordCounts::default(),
            triples: 0,
            location: "test".into(),
            format: None,
            error: None,
            validation: None,
            not_modified: false,
            modified_since: None,
            report: Vec::new(),
            quality: None,
        };
        store
            .apply_source_run(&meta, &mut run, &records(source, doc))
            .unwrap();
    }

    /// (source, state, also published by, superseded by) per record topic.
    fn states(store: &CatalogStore) -> BTreeMap<(String, String), (String, Vec<String>, bool)> {
        let query = "PREFIX kat: <https://w3id.org/katalog/ns#>
            PREFIX foaf: <http://xmlns.com/foaf/0.1/>
            SELECT ?topic ?source ?state (GROUP_CONCAT(STR(?also); separator=' ') AS ?alsos) (BOUND(?by) AS ?sup)
            WHERE { GRAPH <urn:katalog:graph:records> {
              ?r a <http://www.w3.org/ns/dcat#CatalogRecord> ; foaf:primaryTopic ?topic ;
                 kat:sourceName ?source ; kat:state ?state .
              OPTIONAL { ?r kat:alsoPublishedBy ?also }
              OPTIONAL { ?r kat:supersededBy ?by } } }
            GROUP BY ?topic ?source ?state ?by";
        let results = oxigraph::sparql::SparqlEvaluator::new()
            .parse_query(query)
            .unwrap()
            .on_store(store.oxigraph())
            .execute()
            .unwrap();
        let oxigraph::sparql::QueryResults::Solutions(rows) = results else {
            panic!("not a SELECT")
        };
        let text = |t: Option<&Term>| match t {
            Some(Term::Literal(l)) => l.value().to_string(),
            Some(Term::NamedNode(n)) => n.as_str().to_string(),
            _ => String::new(),
        };
        let mut out = BTreeMap::new();
        for row in rows {
            let row = row.unwrap();
            let alsos: Vec<String> = text(row.get("alsos"))
                .split_whitespace()
                .map(|s| s.trim_start_matches(ns::SOURCE_PREFIX).to_string())
                .collect();
            out.insert(
                (text(row.get("topic")), text(row.get("source"))),
                (
                    text(row.get("state")),
                    alsos,
                    text(row.get("sup")) == "true",
                ),
            );
        }
        out
    }

    fn state_of(store: &CatalogStore, topic: &str, source: &str) -> (String, Vec<String>, bool) {
        states(store)
            .get(&(topic.to_string(), source.to_string()))
            .cloned()
            .unwrap_or_else(|| panic!("no record of {topic} from {source}: {:?}", states(store)))
    }

    #[test]
    fn one_published_record_by_priority_with_provenance_from_both() {
        let store = CatalogStore::in_memory().unwrap();
        harvest(&store, "se", SE);
        harvest(&store, "no", NO);
        let mut priorities = HashMap::from([("no".to_string(), 10), ("se".to_string(), 1)]);
        let resolution = store.resolve_duplicates(&priorities).unwrap();
        assert_eq!(
            (resolution.groups, resolution.superseded),
            (2, 2),
            "{resolution:?}"
        );

        // Same IRI: one published record, the other source named on it.
        let shared = "https://example.no/shared";
        assert_eq!(
            state_of(&store, shared, "no"),
            ("published".into(), vec!["se".into()], false)
        );
        assert_eq!(
            state_of(&store, shared, "se"),
            ("superseded".into(), vec![], true)
        );
        // Same identifier (dct:identifier vs adms:identifier) and publisher.
        assert_eq!(
            state_of(&store, "https://example.no/reg", "no"),
            ("published".into(), vec!["se".into()], false)
        );
        assert_eq!(
            state_of(&store, "https://example.se/register", "se").0,
            "superseded"
        );
        // Same identifier, another publisher: two datasets.
        assert_eq!(
            state_of(&store, "https://example.no/only", "no").0,
            "published"
        );
        assert_eq!(
            state_of(&store, "https://example.se/same-id-other-publisher", "se").0,
            "published"
        );
        // Counts and snapshots see one record per dataset.
        let datasets: usize = store
            .published_counts()
            .unwrap()
            .iter()
            .filter(|(_, kind, _)| *kind == RecordKind::Dataset)
            .map(|(_, _, n)| n)
            .sum();
        assert_eq!(datasets, 4);
        // Resolving again changes nothing.
        assert_eq!(store.resolve_duplicates(&priorities).unwrap().updated, 0);

        // Re-harvesting the loser does not flip the result (no last-writer-wins).
        harvest(&store, "se", SE);
        store.resolve_duplicates(&priorities).unwrap();
        assert_eq!(state_of(&store, shared, "se").0, "superseded");

        // Priorities decide: swap them and SE's records are the published ones.
        priorities.insert("se".into(), 20);
        store.resolve_duplicates(&priorities).unwrap();
        assert_eq!(
            state_of(&store, shared, "se"),
            ("published".into(), vec!["no".into()], false)
        );
        assert_eq!(
            state_of(&store, shared, "no"),
            ("superseded".into(), vec![], true)
        );

        // The winner's source drops the dataset: the other record is published again.
        let without_shared = SE.replace(
            "ex:shared a dcat:Dataset ; dct:title \"Shared by IRI, as SE has it\" .",
            "",
        );
        harvest(&store, "se", &without_shared);
        store.resolve_duplicates(&priorities).unwrap();
        assert_eq!(
            state_of(&store, shared, "no"),
            ("published".into(), vec![], false)
        );
        assert_eq!(state_of(&store, shared, "se").0, "deleted");
    }

    #[test]
    fn resolving_around_changed_records_matches_a_full_resolution() {
        let mut priorities = HashMap::from([("no".to_string(), 10), ("se".to_string(), 1)]);
        let seeds = |source: &str, doc: &str| -> Vec<NamedNode> {
            records(source, doc)
                .iter()
                .map(|r| record_iri(&r.id))
                .collect()
        };
        let around = CatalogStore::in_memory().unwrap();
        let full = CatalogStore::in_memory().unwrap();
        let step = |source: &str,
                    doc: &str,
                    priorities: &HashMap<String, i64>,
                    touched: Vec<NamedNode>| {
            harvest(&around, source, doc);
            harvest(&full, source, doc);
            around
                .resolve_duplicates_around(priorities, &touched)
                .unwrap();
            full.resolve_duplicates(priorities).unwrap();
            assert_eq!(states(&around), states(&full), "after {source}");
        };
        step("se", SE, &priorities, seeds("se", SE));
        step("no", NO, &priorities, seeds("no", NO));
        // A record alone is settled without reading its group.
        assert_eq!(
            around
                .resolve_duplicates_around(&priorities, &seeds("no", NO))
                .unwrap()
                .updated,
            0
        );
        // The winner's source drops the shared dataset: its tombstone is a
        // seed, and the record it had superseded is published again.
        let without_shared = NO.replace(
            "ex:shared a dcat:Dataset ; dct:title \"Shared by IRI\" .\n",
            "",
        );
        step("no", &without_shared, &priorities, seeds("no", NO));
        assert_eq!(
            state_of(&around, "https://example.no/shared", "se"),
            ("published".into(), vec![], false)
        );
        step("no", NO, &priorities, seeds("no", NO));
        // Other priorities: the resolution around nothing is a full one.
        priorities.insert("se".into(), 20);
        around.resolve_duplicates_around(&priorities, &[]).unwrap();
        full.resolve_duplicates(&priorities).unwrap();
        assert_eq!(states(&around), states(&full));
        assert_eq!(
            state_of(&around, "https://example.no/shared", "se").0,
            "published"
        );
    }
}
