//! Facet counts by term ordinal: for each segment, the matching documents'
//! facet ordinals are counted in a plain vector, and only ordinals with a
//! count are turned into (dimension, value). The ordinal -> (dimension,
//! value) table of a segment is read from its facet dictionary once and
//! kept while the segment lives (segments are immutable), so a search never
//! walks the dictionary. Tantivy's `FacetCollector` walks the whole facet
//! dictionary of every segment on every search and decodes each counted
//! facet from the dictionary: most of the cost of a search with facets.

use super::schema::FACETS;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;
use tantivy::schema::Facet;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// A facet value of a segment: its dimension (index in [`FACETS`]) and value.
type OrdinalValue = Option<(u8, Arc<str>)>;

/// One segment's ordinal -> (dimension, value) table.
pub struct SegmentFacets {
    values: Vec<OrdinalValue>,
}

impl SegmentFacets {
    fn read(column: &StrColumn) -> tantivy::Result<Self> {
        let mut values = Vec::with_capacity(column.num_terms());
        let mut stream = column.dictionary().stream()?;
        while stream.advance() {
            let value = Facet::from_encoded(stream.key().to_vec())
                .ok()
                .and_then(|facet| {
                    let path = facet.to_path();
                    let dimension = FACETS.iter().position(|d| Some(d) == path.first())?;
                    let value = path.get(1)?;
                    Some((dimension as u8, Arc::<str>::from(*value)))
                });
            values.push(value);
        }
        Ok(SegmentFacets { values })
    }
}

/// The tables of the segments searched, by segment id.
#[derive(Default)]
pub struct FacetTables {
    by_segment: Mutex<HashMap<SegmentId, Arc<SegmentFacets>>>,
}

impl FacetTables {
    fn get(
        &self,
        reader: &SegmentReader,
        column: &StrColumn,
    ) -> tantivy::Result<Arc<SegmentFacets>> {
        let id = reader.segment_id();
        if let Some(table) = self
            .by_segment
            .lock()
            .ok()
            .and_then(|t| t.get(&id).cloned())
        {
            return Ok(table);
        }
        // Read outside the lock: two searches may read the same table once
        // each at first, which is harmless.
        let table = Arc::new(SegmentFacets::read(column)?);
        if let Ok(mut tables) = self.by_segment.lock() {
            tables.insert(id, table.clone());
        }
        Ok(table)
    }

    /// Reads the tables of a searcher's segments now and forgets those of
    /// segments it no longer has (merged away).
    pub fn refresh(&self, searcher: &tantivy::Searcher, field: &str) -> tantivy::Result<()> {
        let live: Vec<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(SegmentReader::segment_id)
            .collect();
        if let Ok(mut tables) = self.by_segment.lock() {
            tables.retain(|id, _| live.contains(id));
        }
        for reader in searcher.segment_readers() {
            if let Some(column) = reader.fast_fields().str(field)? {
                self.get(reader, &column)?;
            }
        }
        Ok(())
    }
}

/// Counts per dimension (in [`FACETS`] order): value -> documents.
pub type DimensionCounts = Vec<HashMap<Arc<str>, u64, foldhash::fast::RandomState>>;

/// Counts the facet values of the matching documents, every dimension.
#[derive(Clone, Copy)]
pub struct FacetCounter<'a> {
    pub field: &'a str,
    pub tables: &'a FacetTables,
}

pub struct SegmentFacetCounter {
    column: StrColumn,
    table: Arc<SegmentFacets>,
    counts: Vec<u32>,
}

impl Collector for FacetCounter<'_> {
    type Fruit = DimensionCounts;
    type Child = SegmentFacetCounter;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounter> {
        let column = reader.fast_fields().str(self.field)?.ok_or_else(|| {
            tantivy::TantivyError::SchemaError(format!("no facet column {}", self.field))
        })?;
        let table = self.tables.get(reader, &column)?;
        Ok(SegmentFacetCounter {
            counts: vec![0; table.values.len()],
            column,
            table,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<DimensionCounts>) -> tantivy::Result<DimensionCounts> {
        let mut merged: DimensionCounts = vec![HashMap::default(); FACETS.len()];
        for segment in segments {
            for (into, counts) in merged.iter_mut().zip(segment) {
                if into.is_empty() {
                    *into = counts;
                } else {
                    for (value, count) in counts {
                        *into.entry(value).or_insert(0) += count;
                    }
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for SegmentFacetCounter {
    type Fruit = DimensionCounts;

    fn collect(&mut self, doc: DocId, _: Score) {
        // A document's ordinals come sorted; one holding a value twice
        // counts once.
        let mut previous = u64::MAX;
        for ordinal in self.column.ords().values_for_doc(doc) {
            if ordinal != previous {
                if let Some(count) = self.counts.get_mut(ordinal as usize) {
                    *count += 1;
                }
                previous = ordinal;
            }
        }
    }

    fn harvest(self) -> DimensionCounts {
        let mut out: DimensionCounts = vec![HashMap::default(); FACETS.len()];
        for (ordinal, &count) in self.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            if let Some(Some((dimension, value))) = self.table.values.get(ordinal) {
                if let Some(counts) = out.get_mut(*dimension as usize) {
                    *counts.entry(value.clone()).or_insert(0) += u64::from(count);
                }
            }
        }
        out
    }
}
