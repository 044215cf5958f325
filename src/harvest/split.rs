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

use super::record::{content_hash, RecordGraph, RecordKind};
use crate::ns;
use oxrdf::{BlankNode, NamedNode, NamedOrBlankNode, Term, Triple};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// Splits `triples` into records. `genid_base` is the IRI prefix under which
/// blank-node records get their stable IRI (for example
/// `http://host/.well-known/genid/no/`); `unattached` names the remainder record.
pub fn split_records(
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
        let iri = NamedNode::new_unchecked(format!("{genid_base}{}", hex::encode(&digest[..12])));
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

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::{RdfFormat, RdfParser};

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
        let mut covered: HashSet<String> = HashSet::new();
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
