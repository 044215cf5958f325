//! Metadata quality: a DQV measurement of each record along the five
//! dimensions of the European data portal's Metadata Quality Assessment
//! (findability, accessibility, interoperability, reusability,
//! contextuality), with health context added to the last one.
//!
//! Each metric checks that a recommended property is present *and* valid (a
//! well-formed URL, a value from the controlled vocabulary, a parseable date),
//! so a steward can read off what to add or fix. Distribution-level metrics
//! earn their weight in proportion to the share of distributions that pass.
//! Scores are computed from a record's own triples, in microseconds, so they
//! are recomputed on every harvest rather than kept in sync.

use crate::ns;
use crate::profiles;
use oxigraph::io::{RdfFormat, RdfParser};
use oxrdf::{Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Data Quality Vocabulary namespace.
pub const DQV: &str = "http://www.w3.org/ns/dqv#";

/// A dimension of the assessment, as `kat:` DQV dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    Findability,
    Accessibility,
    Interoperability,
    Reusability,
    Contextuality,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Dimension::Findability,
        Dimension::Accessibility,
        Dimension::Interoperability,
        Dimension::Reusability,
        Dimension::Contextuality,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dimension::Findability => "findability",
            Dimension::Accessibility => "accessibility",
            Dimension::Interoperability => "interoperability",
            Dimension::Reusability => "reusability",
            Dimension::Contextuality => "contextuality",
        }
    }

    /// The `dqv:Metric` whose value is the dimension's share of its points.
    pub fn metric_iri(self) -> NamedNode {
        NamedNode::new_unchecked(ns::kat(&format!("{}Score", self.name())))
    }
}

/// One check of the assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Metric {
    KeywordAvailability,
    ThemeAvailability,
    SpatialAvailability,
    TemporalAvailability,
    AccessUrlAvailability,
    DownloadUrlAvailability,
    UrlWellFormed,
    FormatAvailability,
    MediaTypeAvailability,
    FormatFromVocabulary,
    NonProprietaryFormat,
    MachineReadableFormat,
    ProfileConformance,
    LicenceAvailability,
    LicenceFromVocabulary,
    AccessRightsAvailability,
    AccessRightsFromVocabulary,
    ContactPointAvailability,
    PublisherAvailability,
    RightsAvailability,
    ByteSizeAvailability,
    IssuedValid,
    ModifiedValid,
    HealthCategoryAvailability,
    PopulationCoverageAvailability,
    CohortSizeAvailability,
    AgeRangeAvailability,
}

impl Metric {
    pub const ALL: [Metric; 27] = [
        Metric::KeywordAvailability,
        Metric::ThemeAvailability,
        Metric::SpatialAvailability,
        Metric::TemporalAvailability,
        Metric::AccessUrlAvailability,
        Metric::DownloadUrlAvailability,
        Metric::UrlWellFormed,
        Metric::FormatAvailability,
        Metric::MediaTypeAvailability,
        Metric::FormatFromVocabulary,
        Metric::NonProprietaryFormat,
        Metric::MachineReadableFormat,
        Metric::ProfileConformance,
        Metric::LicenceAvailability,
        Metric::LicenceFromVocabulary,
        Metric::AccessRightsAvailability,
        Metric::AccessRightsFromVocabulary,
        Metric::ContactPointAvailability,
        Metric::PublisherAvailability,
        Metric::RightsAvailability,
        Metric::ByteSizeAvailability,
        Metric::IssuedValid,
        Metric::ModifiedValid,
        Metric::HealthCategoryAvailability,
        Metric::PopulationCoverageAvailability,
        Metric::CohortSizeAvailability,
        Metric::AgeRangeAvailability,
    ];

    /// Dimension and weight. The MQA weights (405 points), plus 20 points of
    /// health context that HealthDCAT-AP recommends.
    pub fn weight(self) -> (Dimension, u32) {
        use Dimension::*;
        match self {
            Metric::KeywordAvailability => (Findability, 30),
            Metric::ThemeAvailability => (Findability, 30),
            Metric::SpatialAvailability => (Findability, 20),
            Metric::TemporalAvailability => (Findability, 20),
            Metric::AccessUrlAvailability => (Accessibility, 50),
            Metric::DownloadUrlAvailability => (Accessibility, 20),
            Metric::UrlWellFormed => (Accessibility, 30),
            Metric::FormatAvailability => (Interoperability, 20),
            Metric::MediaTypeAvailability => (Interoperability, 10),
            Metric::FormatFromVocabulary => (Interoperability, 10),
            Metric::NonProprietaryFormat => (Interoperability, 20),
            Metric::MachineReadableFormat => (Interoperability, 20),
            Metric::ProfileConformance => (Interoperability, 30),
            Metric::LicenceAvailability => (Reusability, 20),
            Metric::LicenceFromVocabulary => (Reusability, 10),
            Metric::AccessRightsAvailability => (Reusability, 10),
            Metric::AccessRightsFromVocabulary => (Reusability, 5),
            Metric::ContactPointAvailability => (Reusability, 20),
            Metric::PublisherAvailability => (Reusability, 10),
            Metric::RightsAvailability => (Contextuality, 5),
            Metric::ByteSizeAvailability => (Contextuality, 5),
            Metric::IssuedValid => (Contextuality, 5),
            Metric::ModifiedValid => (Contextuality, 5),
            Metric::HealthCategoryAvailability => (Contextuality, 5),
            Metric::PopulationCoverageAvailability => (Contextuality, 5),
            Metric::CohortSizeAvailability => (Contextuality, 5),
            Metric::AgeRangeAvailability => (Contextuality, 5),
        }
    }

    /// What a steward should do when the metric is not fully met.
    pub fn advice(self) -> &'static str {
        match self {
            Metric::KeywordAvailability => "add dcat:keyword",
            Metric::ThemeAvailability => "add dcat:theme (EU data theme)",
            Metric::SpatialAvailability => "add dct:spatial (country or region)",
            Metric::TemporalAvailability => "add dct:temporal (a dct:PeriodOfTime)",
            Metric::AccessUrlAvailability => {
                "give every distribution a dcat:accessURL (or name an access body for non-public data)"
            }
            Metric::DownloadUrlAvailability => "add dcat:downloadURL where files can be downloaded",
            Metric::UrlWellFormed => "use absolute http(s) URLs for access and download URLs",
            Metric::FormatAvailability => "add dct:format to every distribution",
            Metric::MediaTypeAvailability => "add dcat:mediaType (an IANA media type)",
            Metric::FormatFromVocabulary => {
                "take dct:format from the EU file-type vocabulary and dcat:mediaType from IANA"
            }
            Metric::NonProprietaryFormat => "offer a non-proprietary format (CSV, JSON, VCF, ...)",
            Metric::MachineReadableFormat => "offer a machine-readable format",
            Metric::ProfileConformance => "fix the profile's violations",
            Metric::LicenceAvailability => "add dct:license to every distribution",
            Metric::LicenceFromVocabulary => "take the licence from the EU licence vocabulary",
            Metric::AccessRightsAvailability => "add dct:accessRights",
            Metric::AccessRightsFromVocabulary => {
                "take dct:accessRights from the EU access-right vocabulary"
            }
            Metric::ContactPointAvailability => "add dcat:contactPoint (a vcard:Kind)",
            Metric::PublisherAvailability => "add dct:publisher",
            Metric::RightsAvailability => "add dct:rights to the distributions",
            Metric::ByteSizeAvailability => "add dcat:byteSize to the distributions",
            Metric::IssuedValid => "add dct:issued as an xsd:date or xsd:dateTime",
            Metric::ModifiedValid => "add dct:modified as an xsd:date or xsd:dateTime",
            Metric::HealthCategoryAvailability => "add healthdcatap:healthCategory",
            Metric::PopulationCoverageAvailability => "add healthdcatap:populationCoverage",
            Metric::CohortSizeAvailability => "add healthdcatap:numberOfUniqueIndividuals",
            Metric::AgeRangeAvailability => {
                "add healthdcatap:minTypicalAge and healthdcatap:maxTypicalAge"
            }
        }
    }

    pub fn name(self) -> String {
        let debug = format!("{self:?}");
        let mut chars = debug.chars();
        match chars.next() {
            Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
            None => debug,
        }
    }
}

/// How one record fared: for each metric, the share of its weight earned.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityScore {
    /// Metrics that apply, with the fraction (0..=1) earned.
    pub metrics: Vec<(Metric, f64)>,
}

impl QualityScore {
    /// Points earned and possible in a dimension.
    pub fn points(&self, dimension: Dimension) -> (f64, u32) {
        let mut earned = 0.0;
        let mut max = 0;
        for (metric, fraction) in &self.metrics {
            let (d, w) = metric.weight();
            if d == dimension {
                earned += fraction * f64::from(w);
                max += w;
            }
        }
        (earned, max)
    }

    /// Share of a dimension's points, 0..=1.
    pub fn dimension(&self, dimension: Dimension) -> f64 {
        let (earned, max) = self.points(dimension);
        if max == 0 {
            0.0
        } else {
            earned / f64::from(max)
        }
    }

    /// Share of all points, 0..=1.
    pub fn overall(&self) -> f64 {
        let (earned, max) = self.metrics.iter().fold((0.0, 0), |(e, m), (metric, f)| {
            let w = metric.weight().1;
            (e + f * f64::from(w), m + w)
        });
        if max == 0 {
            0.0
        } else {
            earned / f64::from(max)
        }
    }

    /// Metrics not fully met, worst (most points lost) first.
    pub fn shortfalls(&self) -> Vec<(Metric, f64)> {
        let mut lost: Vec<(Metric, f64)> = self
            .metrics
            .iter()
            .filter(|(_, f)| *f < 0.999)
            .map(|(m, f)| (*m, (1.0 - f) * f64::from(m.weight().1)))
            .collect();
        lost.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        lost
    }

    /// The DQV measurements of this score, for the record node `on`:
    /// `on dqv:hasQualityMeasurement m . m dqv:isMeasurementOf kat:<dim>Score ; dqv:value x`.
    /// Measurement IRIs are `{base}/quality/{dimension}` (and `/overall`),
    /// so a new score replaces the old one.
    pub fn measurement_triples(&self, on: &NamedNode, computed_on: &Term) -> Vec<Triple> {
        let mut values: Vec<(String, NamedNode, f64)> = Dimension::ALL
            .iter()
            .map(|d| (d.name().to_string(), d.metric_iri(), self.dimension(*d)))
            .collect();
        values.push((
            "overall".into(),
            NamedNode::new_unchecked(ns::kat("overallScore")),
            self.overall(),
        ));
        measurement_triples(on, computed_on, &values)
    }
}

/// Triples of DQV measurements `(local name, metric, value)` attached to `on`.
pub fn measurement_triples(
    on: &NamedNode,
    computed_on: &Term,
    values: &[(String, NamedNode, f64)],
) -> Vec<Triple> {
    let has = NamedNode::new_unchecked(format!("{DQV}hasQualityMeasurement"));
    let of = NamedNode::new_unchecked(format!("{DQV}isMeasurementOf"));
    let value = NamedNode::new_unchecked(format!("{DQV}value"));
    let computed = NamedNode::new_unchecked(format!("{DQV}computedOn"));
    let rdf_type = NamedNode::new_unchecked(ns::RDF_TYPE);
    let class = NamedNode::new_unchecked(format!("{DQV}QualityMeasurement"));
    let mut out = Vec::with_capacity(values.len() * 5);
    for (local, metric, x) in values {
        let node = measurement_iri(on, local);
        out.push(Triple::new(on.clone(), has.clone(), node.clone()));
        out.push(Triple::new(node.clone(), rdf_type.clone(), class.clone()));
        out.push(Triple::new(node.clone(), of.clone(), metric.clone()));
        out.push(Triple::new(
            node.clone(),
            computed.clone(),
            computed_on.clone(),
        ));
        out.push(Triple::new(node, value.clone(), score_literal(*x)));
    }
    out
}

/// The IRI of the measurement `local` of `on`.
pub fn measurement_iri(on: &NamedNode, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{}/quality/{local}", on.as_str()))
}

/// A score as an `xsd:decimal` with three decimals (stable across runs).
pub fn score_literal(x: f64) -> Literal {
    Literal::new_typed_literal(
        format!("{:.3}", x.clamp(0.0, 1.0)),
        NamedNode::new_unchecked("http://www.w3.org/2001/XMLSchema#decimal"),
    )
}

/// The quality of a source's records in one run: means over its records.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QualitySummary {
    /// Records scored (datasets, series and data services).
    pub records: usize,
    /// Mean share of all points, 0..=1.
    pub overall: f64,
    /// Mean share per dimension, in [`Dimension::ALL`] order.
    pub dimensions: Vec<(Dimension, f64)>,
    /// Metrics most often not met: (metric, share of records that miss it), worst first, at most 10.
    pub weakest: Vec<(Metric, f64)>,
}

impl QualitySummary {
    pub fn of<'a>(scores: impl IntoIterator<Item = &'a QualityScore>) -> QualitySummary {
        let mut n = 0usize;
        let mut overall = 0.0;
        let mut dims = [0.0f64; 5];
        let mut missed: HashMap<Metric, (f64, usize)> = HashMap::new();
        for score in scores {
            n += 1;
            overall += score.overall();
            for (i, d) in Dimension::ALL.iter().enumerate() {
                dims[i] += score.dimension(*d);
            }
            for (metric, fraction) in &score.metrics {
                let entry = missed.entry(*metric).or_default();
                entry.0 += 1.0 - fraction;
                entry.1 += 1;
            }
        }
        if n == 0 {
            return QualitySummary::default();
        }
        let mut weakest: Vec<(Metric, f64)> = missed
            .into_iter()
            .filter(|(_, (lost, _))| *lost > 0.0)
            .map(|(m, (lost, seen))| (m, lost / seen as f64))
            .collect();
        weakest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        weakest.truncate(10);
        QualitySummary {
            records: n,
            overall: overall / n as f64,
            dimensions: Dimension::ALL
                .iter()
                .zip(dims)
                .map(|(d, x)| (*d, x / n as f64))
                .collect(),
            weakest,
        }
    }

    /// `(local name, metric, value)` rows for [`measurement_triples`].
    pub fn measurements(&self) -> Vec<(String, NamedNode, f64)> {
        let mut values: Vec<(String, NamedNode, f64)> = self
            .dimensions
            .iter()
            .map(|(d, x)| (d.name().to_string(), d.metric_iri(), *x))
            .collect();
        values.push((
            "overall".into(),
            NamedNode::new_unchecked(ns::kat("overallScore")),
            self.overall,
        ));
        values
    }
}

/// The controlled vocabularies the metrics check values against.
struct Vocabularies {
    file_types: HashSet<String>,
    media_types: HashSet<String>,
    licences: HashSet<String>,
    access_rights: HashSet<String>,
}

fn vocabularies() -> &'static Vocabularies {
    static VOCABULARIES: OnceLock<Vocabularies> = OnceLock::new();
    VOCABULARIES.get_or_init(|| {
        let subjects = |file: &str| -> HashSet<String> {
            let Some(text) = profiles::vocab_file(file) else {
                tracing::warn!(file, "vocabulary missing: its quality metric never passes");
                return HashSet::new();
            };
            RdfParser::from_format(RdfFormat::Turtle)
                .for_slice(text.as_bytes())
                .filter_map(Result::ok)
                .filter_map(|q| match q.subject {
                    NamedOrBlankNode::NamedNode(n) => Some(n.into_string()),
                    NamedOrBlankNode::BlankNode(_) => None,
                })
                .collect()
        };
        Vocabularies {
            file_types: subjects("file-type.ttl"),
            media_types: subjects("media-type.ttl"),
            licences: subjects("licence.ttl"),
            access_rights: subjects("access-right.ttl"),
        }
    })
}

/// Formats anyone can read without a vendor's software (EU file-type codes,
/// upper case; genomic formats included since they are open specifications).
const NON_PROPRIETARY: &[&str] = &[
    "CSV",
    "TSV",
    "JSON",
    "JSON_LD",
    "XML",
    "RDF",
    "RDF_XML",
    "RDF_TURTLE",
    "TURTLE",
    "N3",
    "NT",
    "RDF_N_TRIPLES",
    "RDF_N_QUADS",
    "RDF_TRIG",
    "TXT",
    "HTML",
    "ODS",
    "ODT",
    "GEOJSON",
    "GML",
    "KML",
    "PDFA1A",
    "PDFA1B",
    "PDFA2A",
    "PDFA2B",
    "PNG",
    "SVG",
    "TIFF",
    "JPEG",
    "PARQUET",
    "SPARQLQ",
    "ZIP",
    "GZIP",
    "TAR",
    "YAML",
    "NETCDF",
    "HDF",
    "VCF",
    "BAM",
    "CRAM",
    "FASTQ",
    "FASTA",
    "BED",
    "GFF",
    "SAM",
    "DICOM",
    "OWL",
    "SKOS_XML",
];

/// Formats a program can parse into data (not a picture of a table).
const MACHINE_READABLE: &[&str] = &[
    "CSV",
    "TSV",
    "JSON",
    "JSON_LD",
    "XML",
    "RDF",
    "RDF_XML",
    "RDF_TURTLE",
    "TURTLE",
    "N3",
    "NT",
    "RDF_N_TRIPLES",
    "RDF_N_QUADS",
    "RDF_TRIG",
    "ODS",
    "XLS",
    "XLSX",
    "GEOJSON",
    "GML",
    "KML",
    "PARQUET",
    "SPARQLQ",
    "YAML",
    "NETCDF",
    "HDF",
    "VCF",
    "BAM",
    "CRAM",
    "FASTQ",
    "FASTA",
    "BED",
    "GFF",
    "SAM",
    "DICOM",
    "SAS",
    "SPSS",
    "DTA",
    "MDB",
    "DBF",
    "SQL",
    "OWL",
    "SKOS_XML",
];

/// Media types that stand for a machine-readable, non-proprietary format.
const OPEN_MEDIA_TYPES: &[&str] = &[
    "text/csv",
    "text/tab-separated-values",
    "application/json",
    "application/ld+json",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
    "text/turtle",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/geo+json",
    "application/vnd.apache.parquet",
    "application/x-yaml",
    "application/yaml",
    "application/sparql-results+json",
];

const DCAT: &str = ns::DCAT;
const DCT: &str = "http://purl.org/dc/terms/";
const HEALTH: &str = "http://healthdataportal.eu/ns/health#";

/// Scores one record. `resource` is the record's subject; `conforms` is the
/// profile verdict (None when the source has no profile: the conformance
/// metric is then left out rather than counted against the record).
pub fn score(triples: &[Triple], resource: &Term, conforms: Option<bool>) -> QualityScore {
    let by_subject = index(triples);
    let values =
        |node: &Term, property: &str| -> Vec<&Term> { node_values(&by_subject, node, property) };
    let has = |node: &Term, property: &str| !values(node, property).is_empty();
    let vocab = vocabularies();
    let fraction = |pass: usize, of: usize| {
        if of == 0 {
            0.0
        } else {
            pass as f64 / of as f64
        }
    };
    let all_or_none = |yes: bool| if yes { 1.0 } else { 0.0 };

    let distributions: Vec<&Term> = values(resource, &format!("{DCAT}distribution"));
    let dist_count = distributions.len();
    let per_dist = |test: &dyn Fn(&Term) -> bool| {
        fraction(distributions.iter().filter(|d| test(d)).count(), dist_count)
    };
    let mut metrics = Vec::with_capacity(Metric::ALL.len());

    metrics.push((
        Metric::KeywordAvailability,
        all_or_none(
            values(resource, &format!("{DCAT}keyword"))
                .iter()
                .any(|k| matches!(k, Term::Literal(l) if !l.value().trim().is_empty())),
        ),
    ));
    metrics.push((
        Metric::ThemeAvailability,
        all_or_none(
            values(resource, &format!("{DCAT}theme"))
                .iter()
                .any(|t| matches!(t, Term::NamedNode(_))),
        ),
    ));
    metrics.push((
        Metric::SpatialAvailability,
        all_or_none(has(resource, ns::DCT_SPATIAL)),
    ));
    metrics.push((
        Metric::TemporalAvailability,
        all_or_none(has(resource, &format!("{DCT}temporal"))),
    ));

    // Accessibility. Non-public health data is reached through an access body
    // or a contact point rather than a URL; such a route counts as access.
    let access_route = has(resource, &format!("{HEALTH}hdab"))
        || (has(resource, &format!("{DCAT}contactPoint"))
            && values(resource, &format!("{DCT}accessRights"))
                .iter()
                .any(|a| {
                    matches!(a, Term::NamedNode(n) if n.as_str().ends_with("/NON_PUBLIC") || n.as_str().ends_with("/RESTRICTED"))
                }));
    let access_url = |d: &Term| has(d, &format!("{DCAT}accessURL"));
    metrics.push((
        Metric::AccessUrlAvailability,
        if dist_count == 0 {
            all_or_none(access_route)
        } else {
            per_dist(&access_url)
        },
    ));
    metrics.push((
        Metric::DownloadUrlAvailability,
        per_dist(&|d| has(d, &format!("{DCAT}downloadURL"))),
    ));
    let urls: Vec<&Term> = distributions
        .iter()
        .flat_map(|d| {
            values(d, &format!("{DCAT}accessURL"))
                .into_iter()
                .chain(values(d, &format!("{DCAT}downloadURL")))
        })
        .collect();
    metrics.push((
        Metric::UrlWellFormed,
        if urls.is_empty() {
            all_or_none(dist_count == 0 && access_route)
        } else {
            fraction(
                urls.iter().filter(|u| well_formed_url(u)).count(),
                urls.len(),
            )
        },
    ));

    // Interoperability.
    let formats = |d: &Term| -> Vec<String> {
        values(d, &format!("{DCT}format"))
            .into_iter()
            .chain(values(d, &format!("{DCAT}mediaType")))
            .filter_map(|f| match f {
                Term::NamedNode(n) => Some(n.as_str().to_string()),
                Term::Literal(l) => Some(l.value().to_string()),
                Term::BlankNode(_) => None,
            })
            .collect()
    };
    metrics.push((
        Metric::FormatAvailability,
        per_dist(&|d| has(d, &format!("{DCT}format"))),
    ));
    metrics.push((
        Metric::MediaTypeAvailability,
        per_dist(&|d| has(d, &format!("{DCAT}mediaType"))),
    ));
    metrics.push((
        Metric::FormatFromVocabulary,
        per_dist(&|d| {
            let fs = formats(d);
            !fs.is_empty()
                && fs
                    .iter()
                    .all(|f| vocab.file_types.contains(f) || vocab.media_types.contains(f))
        }),
    ));
    metrics.push((
        Metric::NonProprietaryFormat,
        per_dist(&|d| formats(d).iter().any(|f| format_in(f, NON_PROPRIETARY))),
    ));
    metrics.push((
        Metric::MachineReadableFormat,
        per_dist(&|d| formats(d).iter().any(|f| format_in(f, MACHINE_READABLE))),
    ));
    if let Some(conforms) = conforms {
        metrics.push((Metric::ProfileConformance, all_or_none(conforms)));
    }

    // Reusability. DCAT-AP puts the licence on distributions; a dataset-level
    // licence (common in health catalogues) covers distributions without one.
    let dataset_licence: Vec<&Term> = values(resource, &format!("{DCT}license"));
    let licences_of = |d: &Term| -> Vec<&Term> {
        let own = values(d, &format!("{DCT}license"));
        if own.is_empty() {
            dataset_licence.clone()
        } else {
            own
        }
    };
    let (licence_present, licence_vocab) = if dist_count == 0 {
        (
            all_or_none(!dataset_licence.is_empty()),
            all_or_none(
                !dataset_licence.is_empty()
                    && dataset_licence.iter().all(|l| iri_in(l, &vocab.licences)),
            ),
        )
    } else {
        (
            per_dist(&|d| !licences_of(d).is_empty()),
            per_dist(&|d| {
                let l = licences_of(d);
                !l.is_empty() && l.iter().all(|x| iri_in(x, &vocab.licences))
            }),
        )
    };
    metrics.push((Metric::LicenceAvailability, licence_present));
    metrics.push((Metric::LicenceFromVocabulary, licence_vocab));
    let access = values(resource, &format!("{DCT}accessRights"));
    metrics.push((
        Metric::AccessRightsAvailability,
        all_or_none(!access.is_empty()),
    ));
    metrics.push((
        Metric::AccessRightsFromVocabulary,
        all_or_none(!access.is_empty() && access.iter().all(|a| iri_in(a, &vocab.access_rights))),
    ));
    metrics.push((
        Metric::ContactPointAvailability,
        all_or_none(has(resource, &format!("{DCAT}contactPoint"))),
    ));
    metrics.push((
        Metric::PublisherAvailability,
        all_or_none(has(resource, &format!("{DCT}publisher"))),
    ));

    // Contextuality.
    metrics.push((
        Metric::RightsAvailability,
        if dist_count == 0 {
            all_or_none(has(resource, &format!("{DCT}rights")))
        } else {
            per_dist(&|d| has(d, &format!("{DCT}rights")))
        },
    ));
    metrics.push((
        Metric::ByteSizeAvailability,
        per_dist(&|d| {
            values(d, &format!("{DCAT}byteSize"))
                .iter()
                .any(|b| matches!(b, Term::Literal(l) if l.value().trim().parse::<u64>().is_ok()))
        }),
    ));
    metrics.push((
        Metric::IssuedValid,
        all_or_none(
            values(resource, ns::DCT_ISSUED)
                .iter()
                .any(|d| valid_date(d)),
        ),
    ));
    metrics.push((
        Metric::ModifiedValid,
        all_or_none(
            values(resource, ns::DCT_MODIFIED)
                .iter()
                .any(|d| valid_date(d)),
        ),
    ));
    metrics.push((
        Metric::HealthCategoryAvailability,
        all_or_none(has(resource, &format!("{HEALTH}healthCategory"))),
    ));
    metrics.push((
        Metric::PopulationCoverageAvailability,
        all_or_none(has(resource, &format!("{HEALTH}populationCoverage"))),
    ));
    metrics.push((
        Metric::CohortSizeAvailability,
        all_or_none(
            values(resource, &format!("{HEALTH}numberOfUniqueIndividuals"))
                .iter()
                .any(|n| matches!(n, Term::Literal(l) if l.value().trim().parse::<u64>().is_ok())),
        ),
    ));
    let age = |p: &str| {
        values(resource, &format!("{HEALTH}{p}"))
            .iter()
            .any(|n| matches!(n, Term::Literal(l) if l.value().trim().parse::<u64>().is_ok()))
    };
    metrics.push((
        Metric::AgeRangeAvailability,
        (all_or_none(age("minTypicalAge")) + all_or_none(age("maxTypicalAge"))) / 2.0,
    ));
    QualityScore { metrics }
}

type SubjectIndex<'a> = HashMap<&'a NamedOrBlankNode, Vec<(&'a str, &'a Term)>>;

fn index(triples: &[Triple]) -> SubjectIndex<'_> {
    let mut by_subject: SubjectIndex<'_> = HashMap::new();
    for t in triples {
        by_subject
            .entry(&t.subject)
            .or_default()
            .push((t.predicate.as_str(), &t.object));
    }
    by_subject
}

fn node_values<'a>(index: &SubjectIndex<'a>, node: &Term, property: &str) -> Vec<&'a Term> {
    let subject = match node {
        Term::NamedNode(n) => NamedOrBlankNode::NamedNode(n.clone()),
        Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b.clone()),
        _ => return Vec::new(),
    };
    index
        .get(&subject)
        .map(|pairs| {
            pairs
                .iter()
                .filter(|(p, _)| *p == property)
                .map(|(_, o)| *o)
                .collect()
        })
        .unwrap_or_default()
}

fn iri_in(term: &Term, set: &HashSet<String>) -> bool {
    matches!(term, Term::NamedNode(n) if set.contains(n.as_str()))
}

fn well_formed_url(term: &Term) -> bool {
    let text = match term {
        Term::NamedNode(n) => n.as_str(),
        Term::Literal(l) => l.value(),
        Term::BlankNode(_) => return false,
    };
    url::Url::parse(text)
        .map(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        })
        .unwrap_or(false)
}

/// A format IRI or code in the list (EU file-type codes), or an open media type.
fn format_in(format: &str, codes: &[&str]) -> bool {
    let code = format
        .rsplit('/')
        .next()
        .unwrap_or(format)
        .to_ascii_uppercase();
    if codes.contains(&code.as_str()) {
        return true;
    }
    let media = format
        .strip_prefix("https://www.iana.org/assignments/media-types/")
        .or_else(|| format.strip_prefix("http://www.iana.org/assignments/media-types/"))
        .unwrap_or(format)
        .to_ascii_lowercase();
    // Every listed media type is both open and machine-readable.
    OPEN_MEDIA_TYPES.contains(&media.as_str())
}

fn valid_date(term: &Term) -> bool {
    let Term::Literal(l) = term else { return false };
    let value = l.value().trim();
    let datatype = l.datatype().as_str();
    let xsd = |local: &str| format!("http://www.w3.org/2001/XMLSchema#{local}");
    if datatype == xsd("date") {
        value.parse::<oxsdatatypes::Date>().is_ok()
    } else if datatype == xsd("dateTime") {
        value.parse::<oxsdatatypes::DateTime>().is_ok()
    } else if datatype == xsd("gYear") {
        value.parse::<oxsdatatypes::GYear>().is_ok()
    } else if datatype == xsd("gYearMonth") {
        value.parse::<oxsdatatypes::GYearMonth>().is_ok()
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(ttl: &str) -> Vec<Triple> {
        RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(ttl.as_bytes())
            .map(|q| Triple::from(q.expect("valid test Turtle")))
            .collect()
    }

    const PREFIXES: &str = "@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix health: <http://healthdataportal.eu/ns/health#> .
@prefix ft: <http://publications.europa.eu/resource/authority/file-type/> .
";

    fn dataset() -> Term {
        Term::NamedNode(NamedNode::new_unchecked("https://example.no/d"))
    }

    #[test]
    fn a_complete_description_earns_every_point() {
        let triples = parse(&format!(
            "{PREFIXES}
<https://example.no/d> a dcat:Dataset ; dcat:keyword \"kreft\"@nb ;
  dcat:theme <http://publications.europa.eu/resource/authority/data-theme/HEAL> ;
  dct:spatial <http://publications.europa.eu/resource/authority/country/NOR> ;
  dct:temporal [ dcat:startDate \"2000-01-01\"^^xsd:date ] ;
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
  dcat:contactPoint [ a <http://www.w3.org/2006/vcard/ns#Kind> ] ;
  dct:publisher <https://example.no/org> ;
  dct:issued \"2020-01-01\"^^xsd:date ; dct:modified \"2024-05-01T10:00:00Z\"^^xsd:dateTime ;
  health:healthCategory <https://example.org/cat> ; health:populationCoverage \"adults\"@en ;
  health:numberOfUniqueIndividuals \"1200\"^^xsd:nonNegativeInteger ;
  health:minTypicalAge \"18\"^^xsd:nonNegativeInteger ; health:maxTypicalAge \"90\"^^xsd:nonNegativeInteger ;
  dcat:distribution <https://example.no/d/csv> .
<https://example.no/d/csv> a dcat:Distribution ; dcat:accessURL <https://example.no/get> ;
  dcat:downloadURL <https://example.no/get/d.csv> ; dct:format ft:CSV ;
  dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
  dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
  dct:rights [ a dct:RightsStatement ] ; dcat:byteSize \"1024\"^^xsd:nonNegativeInteger .
"
        ));
        let score = score(&triples, &dataset(), Some(true));
        assert!(score.shortfalls().is_empty(), "{:?}", score.shortfalls());
        assert!((score.overall() - 1.0).abs() < 1e-9);
        for d in Dimension::ALL {
            assert!((score.dimension(d) - 1.0).abs() < 1e-9, "{d:?}");
        }
    }

    #[test]
    fn missing_and_invalid_values_lose_their_points() {
        let triples = parse(&format!(
            "{PREFIXES}
<https://example.no/d> a dcat:Dataset ; dct:issued \"16.05.2016\" ;
  dct:accessRights <https://example.no/my-own-rights> ;
  dcat:distribution <https://example.no/d/a> , <https://example.no/d/b> .
<https://example.no/d/a> dcat:accessURL <ftp://example.no/x> ; dct:format ft:XLSX .
<https://example.no/d/b> dct:format \"Excel\" .
"
        ));
        let score = score(&triples, &dataset(), Some(false));
        let get = |m: Metric| {
            score
                .metrics
                .iter()
                .find(|(x, _)| *x == m)
                .map(|(_, f)| *f)
                .unwrap_or(-1.0)
        };
        assert_eq!(get(Metric::KeywordAvailability), 0.0);
        assert_eq!(
            get(Metric::IssuedValid),
            0.0,
            "a plain-string date is not valid"
        );
        assert_eq!(
            get(Metric::AccessUrlAvailability),
            0.5,
            "one of two distributions"
        );
        assert_eq!(get(Metric::UrlWellFormed), 0.0, "ftp is not http(s)");
        assert_eq!(get(Metric::FormatAvailability), 1.0);
        assert_eq!(
            get(Metric::FormatFromVocabulary),
            0.5,
            "\"Excel\" is not a file type"
        );
        assert_eq!(get(Metric::MachineReadableFormat), 0.5);
        assert_eq!(
            get(Metric::NonProprietaryFormat),
            0.0,
            "XLSX is proprietary"
        );
        assert_eq!(get(Metric::AccessRightsAvailability), 1.0);
        assert_eq!(get(Metric::AccessRightsFromVocabulary), 0.0);
        assert_eq!(get(Metric::ProfileConformance), 0.0);
        let worst = score.shortfalls();
        assert!(worst[0].1 >= worst[worst.len() - 1].1);
        assert!(score.overall() > 0.0 && score.overall() < 0.5);
    }

    #[test]
    fn non_public_data_reached_through_an_access_body_is_accessible() {
        let triples = parse(&format!(
            "{PREFIXES}
<https://example.no/d> a dcat:Dataset ;
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC> ;
  health:hdab <https://helsedata.no/> .
"
        ));
        let score = score(&triples, &dataset(), None);
        assert!(!score
            .metrics
            .iter()
            .any(|(m, _)| *m == Metric::ProfileConformance));
        let access = score
            .metrics
            .iter()
            .find(|(m, _)| *m == Metric::AccessUrlAvailability);
        assert_eq!(access.map(|(_, f)| *f), Some(1.0));
    }

    #[test]
    fn summaries_average_records_and_name_the_weakest_metrics() {
        let full = QualityScore {
            metrics: vec![
                (Metric::KeywordAvailability, 1.0),
                (Metric::ThemeAvailability, 1.0),
            ],
        };
        let half = QualityScore {
            metrics: vec![
                (Metric::KeywordAvailability, 1.0),
                (Metric::ThemeAvailability, 0.0),
            ],
        };
        let summary = QualitySummary::of([&full, &half]);
        assert_eq!(summary.records, 2);
        assert!((summary.overall - 0.75).abs() < 1e-9);
        assert_eq!(summary.weakest, vec![(Metric::ThemeAvailability, 0.5)]);
        let triples = half.measurement_triples(
            &NamedNode::new_unchecked("urn:katalog:record:abc"),
            &dataset(),
        );
        assert!(triples.iter().any(|t| t.subject.to_string()
            == "<urn:katalog:record:abc/quality/findability>"
            && t.object.to_string().starts_with("\"0.500\"")));
    }
}
