//! The index schema: what each field holds and how it is analysed.

use super::analysis::{analyser_name, LANGUAGES};
use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
    FAST, STORED, STRING,
};

/// Bumped whenever the schema or the way documents are built changes: an
/// index built by another version is rebuilt.
pub const INDEX_FORMAT: u32 = 2;

/// The facet dimensions, as the API names them.
pub const FACETS: [&str; 11] = [
    "country",
    "publisher",
    "theme",
    "health_category",
    "health_theme",
    "disease",
    "disease_chapter",
    "access",
    "format",
    "licence",
    "profile",
];

/// Handles of every field.
#[derive(Debug, Clone)]
pub struct Fields {
    /// katalog's record id (exact; the key sync replaces and deletes by).
    pub id: Field,
    pub source: Field,
    /// The record's content hash when indexed, to tell what changed.
    pub hash: Field,
    pub kind: Field,
    /// The record's summary as JSON, for hits and `/api/datasets/{id}`.
    pub display: Field,
    /// All facet values, `/dimension/value`.
    pub facets: Field,
    /// Disease keys with every ancestor (`icd10:E11.9`, `icd10:E11`, `icd10:IV`).
    pub disease: Field,
    /// Identifiers (dct:identifier, the IRI), lower-cased, exact.
    pub identifier: Field,
    pub min_age: Field,
    pub max_age: Field,
    pub individuals: Field,
    pub records: Field,
    /// Temporal coverage as days since 1970-01-01.
    pub temporal_start: Field,
    pub temporal_end: Field,
    /// dct:modified (or issued) as seconds since the epoch.
    pub modified: Field,
    pub sort_title: Field,
    /// Titles and keywords, per language slot.
    pub title: Vec<Field>,
    /// Descriptions, population coverage, publisher names and concept labels, per slot.
    pub text: Vec<Field>,
}

fn text_options(slot: usize) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(&analyser_name(slot))
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let numeric = || NumericOptions::default().set_indexed().set_fast();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        source: b.add_text_field("source", STRING | FAST),
        hash: b.add_text_field("hash", STRING | FAST),
        kind: b.add_text_field("kind", STRING),
        display: b.add_text_field("display", STORED),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        disease: b.add_text_field("disease", STRING),
        identifier: b.add_text_field("identifier", STRING),
        min_age: b.add_u64_field("min_age", numeric()),
        max_age: b.add_u64_field("max_age", numeric()),
        individuals: b.add_u64_field("individuals", numeric()),
        records: b.add_u64_field("records", numeric()),
        temporal_start: b.add_i64_field("temporal_start", numeric()),
        temporal_end: b.add_i64_field("temporal_end", numeric()),
        modified: b.add_i64_field("modified", numeric()),
        sort_title: b.add_text_field("sort_title", STRING | FAST),
        title: (0..LANGUAGES.len())
            .map(|slot| {
                b.add_text_field(&format!("title_{}", LANGUAGES[slot].0), text_options(slot))
            })
            .collect(),
        text: (0..LANGUAGES.len())
            .map(|slot| {
                b.add_text_field(&format!("text_{}", LANGUAGES[slot].0), text_options(slot))
            })
            .collect(),
    };
    (b.build(), fields)
}
