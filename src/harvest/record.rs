//! The record: one DCAT resource with everything the same document says
//! about it, standing alone. It is the unit katalog stores, validates,
//! indexes and publishes.

use crate::ns;
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxrdf::{Graph, NamedNode, Term, Triple};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// What a record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Catalog,
    DatasetSeries,
    DataService,
    Dataset,
    /// The triples of a document that no record reaches (kept, so nothing is lost).
    Unattached,
}

impl RecordKind {
    /// The class IRI stored as the record's type.
    pub fn class_iri(self) -> String {
        match self {
            RecordKind::Catalog => ns::DCAT_CATALOG.to_string(),
            RecordKind::DatasetSeries => ns::DCAT_DATASET_SERIES.to_string(),
            RecordKind::DataService => ns::DCAT_DATA_SERVICE.to_string(),
            RecordKind::Dataset => ns::DCAT_DATASET.to_string(),
            RecordKind::Unattached => ns::kat("Unattached"),
        }
    }

    pub fn from_class_iri(iri: &str) -> Option<Self> {
        [
            RecordKind::Catalog,
            RecordKind::DatasetSeries,
            RecordKind::DataService,
            RecordKind::Dataset,
            RecordKind::Unattached,
        ]
        .into_iter()
        .find(|kind| kind.class_iri() == iri)
    }

    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Catalog => "catalog",
            RecordKind::DatasetSeries => "dataset series",
            RecordKind::DataService => "data service",
            RecordKind::Dataset => "dataset",
            RecordKind::Unattached => "unattached triples",
        }
    }
}

/// One record's graph, as split from a harvested document.
#[derive(Debug, Clone)]
pub struct RecordGraph {
    /// The described resource; minted (skolemised) when the document gave a blank node.
    pub resource: NamedNode,
    pub kind: RecordKind,
    pub triples: Vec<Triple>,
    /// `rdf:type` triples of the records this one links to: context for
    /// validating it alone, not part of its content.
    pub linked_types: Vec<Triple>,
    /// True when `resource` was minted for a blank node.
    pub minted: bool,
}

impl RecordGraph {
    /// The record's id within katalog: stable for a (source, resource) pair.
    pub fn id(&self, source: &str) -> String {
        record_id(source, self.resource.as_str())
    }

    /// A hash of the record's content that ignores blank-node labels and
    /// triple order: RDFC-1.0 (SHA-256) canonical form, sorted N-Triples, SHA-256.
    pub fn content_hash(&self) -> String {
        content_hash(&self.triples)
    }
}

/// Id of the record for `resource` harvested from `source`.
pub fn record_id(source: &str, resource: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(source.as_bytes());
    hasher.update(b"\n");
    hasher.update(resource.as_bytes());
    hex::encode(&hasher.finalize()[..10])
}

/// Above this many blank nodes RDFC-1.0's worst case (exponential in the
/// number of indistinguishable blank nodes) is a denial-of-service risk;
/// oxrdf's own canonical form, also label-independent, is used instead.
const RDFC_MAX_BLANK_NODES: usize = 512;

pub fn content_hash(triples: &[Triple]) -> String {
    let blank_nodes = count_blank_nodes(triples);
    let mut lines: Vec<String> = if blank_nodes == 0 {
        triples.iter().map(Triple::to_string).collect()
    } else {
        let mut graph: Graph = triples.iter().collect();
        let algorithm = if blank_nodes <= RDFC_MAX_BLANK_NODES {
            CanonicalizationAlgorithm::Rdfc10 {
                hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
            }
        } else {
            CanonicalizationAlgorithm::Unstable
        };
        graph.canonicalize(algorithm);
        graph.iter().map(|t| t.to_string()).collect()
    };
    lines.sort_unstable();
    lines.dedup();
    let mut hasher = Sha256::new();
    for line in &lines {
        hasher.update(line.as_bytes());
        hasher.update(b" .\n");
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

fn count_blank_nodes(triples: &[Triple]) -> usize {
    let mut seen = HashSet::new();
    for triple in triples {
        if let oxrdf::NamedOrBlankNode::BlankNode(b) = &triple.subject {
            seen.insert(b.as_str());
        }
        if let Term::BlankNode(b) = &triple.object {
            seen.insert(b.as_str());
        }
    }
    seen.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::{BlankNode, Literal};

    fn ex(local: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("https://example.no/{local}"))
    }

    fn sample(period: BlankNode, reversed: bool) -> Vec<Triple> {
        let mut triples = vec![
            Triple::new(
                ex("d"),
                ex("title"),
                Literal::new_language_tagged_literal_unchecked("Kreftregisteret", "nb"),
            ),
            Triple::new(ex("d"), ex("temporal"), period.clone()),
            Triple::new(period.clone(), ex("start"), Literal::from("1953-01-01")),
            Triple::new(period, ex("end"), Literal::from("2023-12-31")),
        ];
        if reversed {
            triples.reverse();
        }
        triples
    }

    #[test]
    fn hash_ignores_blank_node_labels_and_order() {
        let a = content_hash(&sample(BlankNode::new_unchecked("x1"), false));
        let b = content_hash(&sample(BlankNode::new_unchecked("other"), true));
        assert_eq!(a, b);
        assert!(a.starts_with("sha256:"));
    }

    #[test]
    fn hash_sees_content_changes() {
        let a = content_hash(&sample(BlankNode::new_unchecked("x1"), false));
        let mut changed = sample(BlankNode::new_unchecked("x1"), false);
        changed[0] = Triple::new(
            ex("d"),
            ex("title"),
            Literal::new_language_tagged_literal_unchecked("Kreftregisteret", "nn"),
        );
        assert_ne!(a, content_hash(&changed));
    }

    #[test]
    fn record_ids_are_stable_and_source_scoped() {
        assert_eq!(
            record_id("no", "https://x/d"),
            record_id("no", "https://x/d")
        );
        assert_ne!(
            record_id("no", "https://x/d"),
            record_id("se", "https://x/d")
        );
        assert_eq!(record_id("no", "https://x/d").len(), 20);
    }
}
