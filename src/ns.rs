//! IRIs of the vocabularies katalog reads and writes.

/// Namespace of katalog's own terms (catalogue records, harvest runs).
pub const KAT: &str = "https://w3id.org/katalog/ns#";

pub const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
pub const RDFS_SUBCLASS_OF: &str = "http://www.w3.org/2000/01/rdf-schema#subClassOf";
pub const XSD_DATETIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";
pub const XSD_NON_NEGATIVE_INTEGER: &str = "http://www.w3.org/2001/XMLSchema#nonNegativeInteger";

pub const DCAT: &str = "http://www.w3.org/ns/dcat#";
pub const DCAT_DATASET: &str = "http://www.w3.org/ns/dcat#Dataset";
pub const DCAT_DATASET_SERIES: &str = "http://www.w3.org/ns/dcat#DatasetSeries";
pub const DCAT_DATA_SERVICE: &str = "http://www.w3.org/ns/dcat#DataService";
pub const DCAT_CATALOG: &str = "http://www.w3.org/ns/dcat#Catalog";
pub const DCAT_CATALOG_RECORD: &str = "http://www.w3.org/ns/dcat#CatalogRecord";

pub const DCT_IDENTIFIER: &str = "http://purl.org/dc/terms/identifier";
pub const DCT_ISSUED: &str = "http://purl.org/dc/terms/issued";
pub const DCT_MODIFIED: &str = "http://purl.org/dc/terms/modified";
pub const DCT_TITLE: &str = "http://purl.org/dc/terms/title";
pub const DCT_SPATIAL: &str = "http://purl.org/dc/terms/spatial";
pub const FOAF_PRIMARY_TOPIC: &str = "http://xmlns.com/foaf/0.1/primaryTopic";

pub const PROV_ACTIVITY: &str = "http://www.w3.org/ns/prov#Activity";
pub const PROV_STARTED: &str = "http://www.w3.org/ns/prov#startedAtTime";
pub const PROV_ENDED: &str = "http://www.w3.org/ns/prov#endedAtTime";
pub const PROV_WAS_GENERATED_BY: &str = "http://www.w3.org/ns/prov#wasGeneratedBy";
pub const PROV_USED: &str = "http://www.w3.org/ns/prov#used";

/// The record classes: each resource typed with one of these (or a subclass
/// declared in the harvested document) becomes a record of its own.
pub const RECORD_CLASSES: [&str; 4] = [
    DCAT_DATASET,
    DCAT_DATASET_SERIES,
    DCAT_DATA_SERVICE,
    DCAT_CATALOG,
];

/// Named graph holding one `dcat:CatalogRecord` per harvested record.
pub const RECORDS_GRAPH: &str = "urn:katalog:graph:records";
/// Named graph holding the harvest runs and their counts.
pub const RUNS_GRAPH: &str = "urn:katalog:graph:runs";
/// Prefix of the named graph (and catalogue record IRI) of each record.
pub const RECORD_GRAPH_PREFIX: &str = "urn:katalog:record:";
/// Prefix of the named graph holding a quarantined record version and its
/// validation report: never part of what the public endpoint serves.
pub const QUARANTINE_GRAPH_PREFIX: &str = "urn:katalog:quarantine:";
/// Prefix of the named graph holding a run's `sh:ValidationReport` (its
/// results name quarantined content, so it is never public either).
pub const REPORT_GRAPH_PREFIX: &str = "urn:katalog:report:";
/// Prefix of the IRI of each configured source.
pub const SOURCE_PREFIX: &str = "urn:katalog:source:";
/// Prefix of the IRI of each harvest run.
pub const RUN_PREFIX: &str = "urn:katalog:run:";

/// `kat:` term.
pub fn kat(local: &str) -> String {
    format!("{KAT}{local}")
}
