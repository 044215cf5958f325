//! Validation profiles: the named shape sets in `shapes/` (embedded in the
//! binary) with the vocabularies from `vocab/` as their background graph, or
//! any shapes graph a user names by path or URL.

use crate::validate::{Background, DataGraph, ShapeSet, ValidationReport};
use oxigraph::io::{RdfFormat, RdfParser};
use oxrdf::{Graph, Triple};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use thiserror::Error;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The profile `katalog validate` uses when none is named.
pub const DEFAULT_PROFILE: &str = "dcat-ap-3";

#[derive(Debug, Error)]
pub enum ProfileError {
    #[error("unknown profile {name:?}; the profiles are: {known}")]
    Unknown { name: String, known: String },
    #[error("profile {profile}: {message}")]
    Broken { profile: String, message: String },
    #[error("invalid shapes in {origin}: {message}")]
    Shapes { origin: String, message: String },
}

/// A profile's manifest, `shapes/<name>/profile.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct ProfileManifest {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub spec: String,
    #[serde(default)]
    pub version: String,
    pub files: Vec<String>,
    #[serde(default)]
    pub background: Vec<String>,
}

/// A compiled profile: its shapes and the background graph records are validated with.
pub struct Profile {
    pub name: String,
    pub title: String,
    pub shapes: ShapeSet,
    pub background: Background,
}

impl Profile {
    /// Validates one record: its triples, with the types of the records it
    /// links to as context, over the profile's background graph. The linked
    /// records are validated as records of their own, so results about them
    /// are left out here.
    pub fn validate_record(&self, triples: &[Triple], linked_types: &[Triple]) -> ValidationReport {
        let data = DataGraph::with_background(&self.background, triples.iter().chain(linked_types));
        let mut report = self.shapes.validate(&data);
        if !linked_types.is_empty() {
            let linked: std::collections::HashSet<oxrdf::Term> = linked_types
                .iter()
                .map(|t| oxrdf::Term::from(t.subject.clone()))
                .collect();
            report.results.retain(|r| !linked.contains(&r.focus_node));
            report.conforms = report.results.is_empty() && report.failures.is_empty();
        }
        report
    }

    /// A profile of exactly the given shapes graph, with no background.
    pub fn from_shapes(name: &str, shapes: &Graph) -> Profile {
        Profile {
            name: name.to_string(),
            title: name.to_string(),
            shapes: ShapeSet::from_graph(shapes),
            background: Background::new(std::iter::empty::<&Triple>()),
        }
    }
}

fn embedded(path: &str) -> Option<&'static str> {
    embedded::EMBEDDED
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, content)| *content)
}

/// A file of `vocab/` as embedded in the binary (e.g. `"licence.ttl"`).
pub fn vocab_file(name: &str) -> Option<&'static str> {
    embedded(&format!("vocab/{name}"))
}

/// The embedded `vocab/*.ttl` files: (path relative to the crate, Turtle).
/// Search reads every SKOS concept in them for labels and hierarchies.
pub fn vocabulary_files() -> impl Iterator<Item = (&'static str, &'static str)> {
    embedded::EMBEDDED
        .iter()
        .filter(|(path, _)| path.starts_with("vocab/") && path.ends_with(".ttl"))
        .copied()
}

/// Names of the built-in profiles.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = embedded::EMBEDDED
        .iter()
        .filter_map(|(path, _)| {
            path.strip_prefix("shapes/")
                .and_then(|p| p.strip_suffix("/profile.toml"))
        })
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

pub fn manifest(name: &str) -> Result<ProfileManifest, ProfileError> {
    let text =
        embedded(&format!("shapes/{name}/profile.toml")).ok_or_else(|| ProfileError::Unknown {
            name: name.to_string(),
            known: names().join(", "),
        })?;
    toml::from_str(text).map_err(|e| ProfileError::Broken {
        profile: name.to_string(),
        message: e.to_string(),
    })
}

fn parse_turtle(path: &str, text: &str) -> Result<Vec<Triple>, String> {
    RdfParser::from_format(RdfFormat::Turtle)
        .rename_blank_nodes()
        .for_slice(text.as_bytes())
        .map(|q| q.map(Triple::from))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{path}: {e}"))
}

/// A digest (SHA-256, hex) of everything a built-in profile's verdicts
/// depend on: its manifest, shape files and background vocabularies as
/// embedded. A harvest compares it with the one a source's stored verdicts
/// were made with, so editing a shape file re-validates the source's records.
pub fn digest(name: &str) -> Result<String, ProfileError> {
    use sha2::{Digest, Sha256};
    let manifest = manifest(name)?;
    let mut hasher = Sha256::new();
    let paths = std::iter::once(format!("shapes/{name}/profile.toml"))
        .chain(manifest.files.iter().map(|file| format!("shapes/{file}")))
        .chain(
            manifest
                .background
                .iter()
                .map(|file| format!("vocab/{file}")),
        );
    for path in paths {
        let text = embedded(&path).unwrap_or_default();
        // Lengths first, so no two lists of files hash alike.
        for part in [path.as_bytes(), text.as_bytes()] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// Compiles a built-in profile.
pub fn compile(name: &str) -> Result<Profile, ProfileError> {
    let manifest = manifest(name)?;
    let broken = |message: String| ProfileError::Broken {
        profile: name.to_string(),
        message,
    };
    let mut shapes = Graph::new();
    for file in &manifest.files {
        let path = format!("shapes/{file}");
        let text = embedded(&path).ok_or_else(|| broken(format!("{path} is missing")))?;
        for triple in parse_turtle(&path, text).map_err(broken)? {
            shapes.insert(&triple);
        }
    }
    let mut background = Vec::new();
    for file in &manifest.background {
        let path = format!("vocab/{file}");
        let text = embedded(&path).ok_or_else(|| broken(format!("{path} is missing")))?;
        background.extend(parse_turtle(&path, text).map_err(broken)?);
    }
    Ok(Profile {
        name: manifest.name,
        title: manifest.title,
        shapes: ShapeSet::from_graph(&shapes),
        background: Background::new(&background),
    })
}

/// Built-in profiles, each compiled once on first use.
#[derive(Default)]
pub struct Profiles {
    compiled: Mutex<HashMap<String, Arc<Profile>>>,
}

impl Profiles {
    pub fn get(&self, name: &str) -> Result<Arc<Profile>, ProfileError> {
        if let Ok(compiled) = self.compiled.lock() {
            if let Some(profile) = compiled.get(name) {
                return Ok(profile.clone());
            }
        }
        let profile = Arc::new(compile(name)?);
        if let Ok(mut compiled) = self.compiled.lock() {
            compiled.insert(name.to_string(), profile.clone());
        }
        Ok(profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_compiles_cleanly() {
        let names = names();
        for expected in ["dcat-ap-3", "healthdcat-ap", "dcat-ap-no", "gdi"] {
            assert!(names.iter().any(|n| n == expected), "{names:?}");
        }
        for name in &names {
            let profile = compile(name).unwrap_or_else(|e| panic!("{e}"));
            assert!(!profile.shapes.is_empty(), "{name} has no shapes");
            assert!(
                profile.shapes.warnings().is_empty(),
                "{name}: {:?}",
                profile.shapes.warnings()
            );
        }
    }

    #[test]
    fn digests_name_each_profile_and_are_stable() {
        let names = names();
        let digests: Vec<String> = names
            .iter()
            .map(|name| digest(name).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        assert!(digests.iter().all(|d| d.len() == 64), "{digests:?}");
        let distinct: std::collections::HashSet<&String> = digests.iter().collect();
        assert_eq!(distinct.len(), names.len(), "{digests:?}");
        assert_eq!(digest(&names[0]).ok(), Some(digests[0].clone()));
        assert!(digest("dcat-ap-9").is_err());
    }

    #[test]
    fn unknown_profiles_are_named() {
        let err = compile("dcat-ap-9").err().unwrap().to_string();
        assert!(
            err.contains("dcat-ap-9") && err.contains("dcat-ap-3"),
            "{err}"
        );
    }
}

/// The disease vocabularies (`vocab/icd10.ttl`, `vocab/orphanet.ttl`) are not
/// a profile's background; search reads them. These tests check the facts a
/// search relies on: the hierarchy, the labels and the Orphanet-to-ICD-10 links.
#[cfg(test)]
mod disease_vocabulary_tests {
    use super::*;
    use oxrdf::vocab::rdf;
    use oxrdf::{NamedNode, NamedNodeRef, TermRef};

    const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
    const ICD10: &str = "http://id.who.int/icd/release/10/";
    const ORDO: &str = "http://www.orpha.net/ORDO/Orphanet_";

    fn skos(local: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{SKOS}{local}"))
    }

    fn load(paths: &[&str]) -> Graph {
        let mut graph = Graph::new();
        for path in paths {
            let text = embedded(path).unwrap_or_else(|| panic!("{path} is not embedded"));
            for triple in parse_turtle(path, text).unwrap_or_else(|e| panic!("{e}")) {
                graph.insert(&triple);
            }
        }
        graph
    }

    fn objects(graph: &Graph, subject: &str, predicate: &NamedNode) -> Vec<String> {
        let subject = NamedNode::new_unchecked(subject);
        graph
            .objects_for_subject_predicate(&subject, predicate)
            .map(|o| match o {
                TermRef::NamedNode(n) => n.as_str().to_string(),
                TermRef::Literal(l) => match l.language() {
                    Some(lang) => format!("{}@{lang}", l.value()),
                    None => l.value().to_string(),
                },
                other => other.to_string(),
            })
            .collect()
    }

    #[test]
    fn icd10_hierarchy_runs_from_subcategory_to_chapter() {
        let graph = load(&["vocab/icd10.ttl"]);
        let broader = skos("broader");
        let e11 = format!("{ICD10}E11");
        assert_eq!(
            objects(&graph, &format!("{ICD10}E11.9"), &broader),
            [format!("{ICD10}E11")]
        );
        assert_eq!(objects(&graph, &e11, &broader), [format!("{ICD10}E10-E14")]);
        assert_eq!(
            objects(&graph, &format!("{ICD10}E10-E14"), &broader),
            [format!("{ICD10}IV")]
        );
        let chapter = format!("{ICD10}IV");
        assert!(objects(&graph, &chapter, &broader).is_empty());
        assert_eq!(
            objects(&graph, &chapter, &skos("topConceptOf")),
            ["http://id.who.int/icd/release/10"]
        );
        assert_eq!(objects(&graph, &chapter, &skos("notation")), ["IV"]);
        let labels = objects(&graph, &e11, &skos("prefLabel"));
        assert!(
            labels
                .iter()
                .any(|l| l.ends_with("@en") && l.to_lowercase().contains("diabetes")),
            "{labels:?}"
        );
        let chapter_labels = objects(&graph, &chapter, &skos("prefLabel"));
        assert!(
            chapter_labels.iter().any(|l| l.ends_with("@nb")),
            "chapter IV has no Norwegian label: {chapter_labels:?}"
        );
        let chapters = graph
            .subjects_for_predicate_object(
                &skos("topConceptOf"),
                NamedNodeRef::new_unchecked("http://id.who.int/icd/release/10"),
            )
            .count();
        assert_eq!(chapters, 22);
    }

    #[test]
    fn orphanet_codes_are_labelled_and_linked_to_icd10() {
        let graph = load(&["vocab/orphanet.ttl"]);
        let marfan = format!("{ORDO}558");
        assert_eq!(objects(&graph, &marfan, &skos("notation")), ["ORPHA:558"]);
        assert_eq!(
            objects(&graph, &marfan, &skos("prefLabel")),
            ["Marfan syndrome@en"]
        );
        assert_eq!(
            objects(&graph, &marfan, &skos("exactMatch")),
            [format!("{ICD10}Q87.4")]
        );
        assert_eq!(
            objects(&graph, &format!("{ORDO}586"), &skos("prefLabel")),
            ["Cystic fibrosis@en"]
        );
    }

    #[test]
    fn every_disease_link_points_at_a_concept() {
        let graph = load(&["vocab/icd10.ttl", "vocab/orphanet.ttl"]);
        let concepts: std::collections::HashSet<String> = graph
            .subjects_for_predicate_object(rdf::TYPE, &skos("Concept"))
            .map(|s| s.to_string())
            .collect();
        assert!(concepts.len() > 12_000, "{} concepts", concepts.len());
        let mut links = 0;
        for predicate in ["broader", "exactMatch", "closeMatch"] {
            for triple in graph.triples_for_predicate(&skos(predicate)) {
                let target = triple.object.to_string();
                assert!(
                    concepts.contains(&target),
                    "{} skos:{predicate} {target}: no such concept",
                    triple.subject
                );
                links += 1;
            }
        }
        assert!(links > 12_000, "{links} links");
    }
}
