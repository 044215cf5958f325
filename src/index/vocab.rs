//! The concept table search labels and expands linked concepts with: every
//! SKOS concept of every `vocab/*.ttl` file (so new vocabularies, such as the
//! disease classifications, are picked up by adding a file), with its labels
//! in every language, its notation, and its broader and matching concepts.

use super::codes::DiseaseCode;
use super::IndexError;
use oxigraph::io::{RdfFormat, RdfParser};
use oxrdf::{Term, Triple};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";

/// One concept: what search needs of it.
#[derive(Debug, Clone, Default)]
pub struct Concept {
    pub notation: Option<String>,
    /// (language tag, lower-cased; "" when untagged, label).
    pub pref_labels: Vec<(String, String)>,
    pub alt_labels: Vec<(String, String)>,
    pub broader: Vec<String>,
    /// `skos:exactMatch` / `skos:closeMatch` targets (Orphanet to ICD-10).
    pub matches: Vec<String>,
}

/// All concepts, by IRI.
#[derive(Debug, Default)]
pub struct Vocabulary {
    /// (Looked up for every label of every hit: foldhash, not SipHash.)
    concepts: HashMap<String, Concept, foldhash::fast::RandomState>,
    fingerprint: Sha256,
}

/// How far up a hierarchy search follows `skos:broader` (cycle guard).
const MAX_DEPTH: usize = 12;

impl Vocabulary {
    /// The vocabularies embedded from `vocab/`.
    pub fn builtin() -> Result<Self, IndexError> {
        let mut vocabulary = Vocabulary::default();
        for (path, text) in crate::profiles::vocabulary_files() {
            vocabulary.add_turtle(path, text)?;
        }
        Ok(vocabulary)
    }

    /// Adds the SKOS concepts of a Turtle document.
    pub fn add_turtle(&mut self, origin: &str, text: &str) -> Result<(), IndexError> {
        self.fingerprint.update(origin.as_bytes());
        self.fingerprint.update(text.as_bytes());
        for quad in RdfParser::from_format(RdfFormat::Turtle).for_slice(text.as_bytes()) {
            let quad = quad.map_err(|e| IndexError::Vocabulary {
                origin: origin.to_string(),
                message: e.to_string(),
            })?;
            self.add_triple(&Triple::from(quad));
        }
        Ok(())
    }

    fn add_triple(&mut self, triple: &Triple) {
        let Some(local) = triple.predicate.as_str().strip_prefix(SKOS) else {
            return;
        };
        let oxrdf::NamedOrBlankNode::NamedNode(subject) = &triple.subject else {
            return;
        };
        let literal = |term: &Term| match term {
            Term::Literal(l) => Some((
                l.language().unwrap_or("").to_ascii_lowercase(),
                l.value().to_string(),
            )),
            _ => None,
        };
        let iri = |term: &Term| match term {
            Term::NamedNode(n) => Some(n.as_str().to_string()),
            _ => None,
        };
        let entry = || subject.as_str().to_string();
        match local {
            "prefLabel" => {
                if let Some(label) = literal(&triple.object) {
                    self.concepts
                        .entry(entry())
                        .or_default()
                        .pref_labels
                        .push(label)
                }
            }
            "altLabel" => {
                if let Some(label) = literal(&triple.object) {
                    self.concepts
                        .entry(entry())
                        .or_default()
                        .alt_labels
                        .push(label)
                }
            }
            "notation" => {
                if let Term::Literal(l) = &triple.object {
                    self.concepts.entry(entry()).or_default().notation = Some(l.value().to_string())
                }
            }
            "broader" => {
                if let Some(target) = iri(&triple.object) {
                    self.concepts
                        .entry(entry())
                        .or_default()
                        .broader
                        .push(target)
                }
            }
            "narrower" => {
                if let Some(target) = iri(&triple.object) {
                    let broader = subject.as_str().to_string();
                    self.concepts
                        .entry(target)
                        .or_default()
                        .broader
                        .push(broader)
                }
            }
            "exactMatch" | "closeMatch" => {
                if let Some(target) = iri(&triple.object) {
                    self.concepts
                        .entry(entry())
                        .or_default()
                        .matches
                        .push(target)
                }
            }
            _ => {}
        }
    }

    /// Changes whenever a vocabulary file does: documents carry labels, so
    /// the index is rebuilt when this differs from what it was built with.
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.fingerprint.clone().finalize()[..8])
    }

    pub fn len(&self) -> usize {
        self.concepts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    pub fn get(&self, iri: &str) -> Option<&Concept> {
        self.concepts.get(iri)
    }

    /// The preferred label in `lang`, falling back to Bokmål for `nn`/`no`
    /// (and the reverse), then English, then any.
    pub fn label(&self, iri: &str, lang: &str) -> Option<&str> {
        let concept = self.concepts.get(iri)?;
        pick_label(&concept.pref_labels, lang)
    }

    /// Every label of a concept, in every language (preferred and alternative).
    pub fn labels<'a>(&'a self, iri: &str) -> impl Iterator<Item = &'a (String, String)> + 'a {
        self.concepts
            .get(iri)
            .into_iter()
            .flat_map(|c| c.pref_labels.iter().chain(&c.alt_labels))
    }

    /// The concept and all concepts above it (`skos:broader`, transitively),
    /// nearest first.
    pub fn with_ancestors(&self, iri: &str) -> Vec<String> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut out = vec![iri.to_string()];
        seen.insert(iri.to_string());
        let mut frontier = vec![iri.to_string()];
        for _ in 0..MAX_DEPTH {
            let mut next = Vec::new();
            for node in &frontier {
                for parent in self
                    .concepts
                    .get(node)
                    .map(|c| c.broader.as_slice())
                    .unwrap_or(&[])
                {
                    if seen.insert(parent.clone()) {
                        out.push(parent.clone());
                        next.push(parent.clone());
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        out
    }

    /// A disease code expanded up its hierarchy: the codes (for the disease
    /// filter) and concept IRIs (for labels) of the code itself, of its
    /// nearest known ancestor when the vocabulary stops above it (E11.9 when
    /// only E11 is known), of everything above, of the ICD-10 codes an
    /// Orphanet concept matches, and its ICD-10 chapter.
    pub fn expand_disease(&self, code: &DiseaseCode) -> DiseaseExpansion {
        let mut expansion = DiseaseExpansion::default();
        let mut pending = vec![code.clone()];
        let mut visited = HashSet::new();
        while let Some(code) = pending.pop() {
            if !visited.insert(code.clone()) || visited.len() > 64 {
                continue;
            }
            expansion.codes.insert(code.key());
            if let Some(chapter) = code.chapter() {
                expansion.chapters.insert(chapter.to_string());
                expansion
                    .codes
                    .insert(DiseaseCode::Icd10Chapter(chapter.to_string()).key());
            }
            let known = self.concepts.contains_key(&code.iri());
            if !known {
                if let Some(parent) = code.truncated() {
                    pending.push(parent);
                }
                continue;
            }
            for iri in self.with_ancestors(&code.iri()) {
                if let Some(found) = DiseaseCode::from_iri(&iri) {
                    if found != code {
                        pending.push(found);
                    }
                }
                if let Some(concept) = self.concepts.get(&iri) {
                    for target in &concept.matches {
                        if let Some(found) = DiseaseCode::from_iri(target) {
                            pending.push(found);
                        }
                    }
                }
                expansion.concepts.insert(iri);
            }
        }
        expansion
    }
}

/// What one disease code brings to a document.
#[derive(Debug, Default)]
pub struct DiseaseExpansion {
    pub codes: std::collections::BTreeSet<String>,
    pub concepts: std::collections::BTreeSet<String>,
    pub chapters: std::collections::BTreeSet<String>,
}

/// The label in `lang` from (language, label) pairs, with the fallbacks of
/// [`Vocabulary::label`].
pub fn pick_label<'a>(labels: &'a [(String, String)], lang: &str) -> Option<&'a str> {
    let lang = lang.to_ascii_lowercase();
    let find = |wanted: &str| {
        labels
            .iter()
            .find(|(l, _)| l == wanted || l.split('-').next() == Some(wanted))
            .map(|(_, v)| v.as_str())
    };
    let mut order: Vec<&str> = vec![lang.as_str()];
    if matches!(lang.as_str(), "nn" | "no") {
        order.push("nb");
    }
    if lang == "nb" {
        order.extend(["no", "nn"]);
    }
    order.extend(["en", ""]);
    order
        .into_iter()
        .find_map(find)
        .or_else(|| labels.first().map(|(_, v)| v.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://id.who.int/icd/release/10/IV> skos:notation "IV" ; skos:prefLabel "Endocrine, nutritional and metabolic diseases"@en .
<http://id.who.int/icd/release/10/E10-E14> skos:notation "E10-E14" ; skos:prefLabel "Diabetes mellitus"@en ; skos:broader <http://id.who.int/icd/release/10/IV> .
<http://id.who.int/icd/release/10/E11> skos:notation "E11" ; skos:prefLabel "Type 2 diabetes mellitus"@en , "Diabetes mellitus type 2"@nb ; skos:broader <http://id.who.int/icd/release/10/E10-E14> .
<http://id.who.int/icd/release/10/E84> skos:notation "E84" ; skos:prefLabel "Cystic fibrosis"@en .
<http://www.orpha.net/ORDO/Orphanet_586> skos:notation "ORPHA:586" ; skos:prefLabel "Cystic fibrosis"@en ; skos:exactMatch <http://id.who.int/icd/release/10/E84> .
<urn:loop:a> skos:broader <urn:loop:b> . <urn:loop:b> skos:broader <urn:loop:a> .
"#;

    fn sample() -> Vocabulary {
        let mut v = Vocabulary::default();
        v.add_turtle("sample", SAMPLE).unwrap();
        v
    }

    #[test]
    fn builtin_vocabularies_load_with_labels() {
        let v = Vocabulary::builtin().unwrap();
        let cancer = "https://hdeu-dcat.data.health.europa.eu/resource/authority/health-theme/CANCER_DISEASE";
        assert_eq!(v.label(cancer, "nb"), Some("Kreft"));
        assert_eq!(v.label(cancer, "en"), Some("Cancer"));
        assert_eq!(v.label(cancer, "nn"), Some("Kreft"));
        assert_eq!(v.label(cancer, "xx"), Some("Cancer"));
    }

    #[test]
    fn subcategories_below_the_vocabulary_expand_to_its_ancestors() {
        let v = sample();
        let e = v.expand_disease(&DiseaseCode::Icd10("E11.9".into()));
        for key in ["icd10:E11.9", "icd10:E11", "icd10:E10-E14", "icd10:IV"] {
            assert!(e.codes.contains(key), "{key} in {:?}", e.codes);
        }
        assert!(e
            .concepts
            .contains("http://id.who.int/icd/release/10/E10-E14"));
        assert_eq!(e.chapters.iter().collect::<Vec<_>>(), ["IV"]);
    }

    #[test]
    fn orphanet_codes_expand_through_their_icd10_match() {
        let v = sample();
        let e = v.expand_disease(&DiseaseCode::Orpha("586".into()));
        assert!(e.codes.contains("orpha:586"));
        assert!(e.codes.contains("icd10:E84"));
        assert!(e.chapters.contains("IV"));
    }

    #[test]
    fn broader_cycles_end() {
        let v = sample();
        assert_eq!(v.with_ancestors("urn:loop:a").len(), 2);
    }
}
