//! How the search index merges its segments: Tantivy's log merge policy,
//! with every merge cut to a bounded number of documents.
//!
//! A merge maps every page of the segments it reads. Unbounded, the log
//! policy merged eight segments of ~52k documents into one of 412k, and a
//! million-document sync held about 750 MiB of index files resident for it,
//! on top of its heap. Cut at [`MAX_MERGED_DOCS`], a merge reads at most
//! about 230 MiB: a million-document reindex peaked at 865 MiB instead of
//! 1437 MiB, and ended in 17 segments (at most 103k documents each), which
//! per-segment, cached searching does not feel.

use std::collections::HashMap;
use tantivy::index::{SegmentId, SegmentMeta};
use tantivy::indexer::{LogMergePolicy, MergeCandidate, MergePolicy};

/// The most documents one merge writes.
pub const MAX_MERGED_DOCS: u32 = 128_000;

/// [`LogMergePolicy`] whose merges write at most `max_docs` documents.
#[derive(Debug)]
pub struct BoundedMergePolicy {
    log: LogMergePolicy,
    max_docs: u32,
}

impl BoundedMergePolicy {
    pub fn new(max_docs: u32) -> Self {
        let mut log = LogMergePolicy::default();
        // Segments this large are never merged again.
        log.set_max_docs_before_merge(max_docs as usize);
        BoundedMergePolicy { log, max_docs }
    }
}

impl Default for BoundedMergePolicy {
    fn default() -> Self {
        BoundedMergePolicy::new(MAX_MERGED_DOCS)
    }
}

impl MergePolicy for BoundedMergePolicy {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        let docs: HashMap<SegmentId, u32> = segments
            .iter()
            .map(|segment| (segment.id(), segment.num_docs()))
            .collect();
        let size = |id: &SegmentId| docs.get(id).copied().unwrap_or(u32::MAX);
        self.log
            .compute_merge_candidates(segments)
            .into_iter()
            .filter_map(|MergeCandidate(mut ids)| {
                // The smallest segments first: as many as fit under the bound.
                ids.sort_by_key(size);
                let mut total = 0u32;
                let kept: Vec<SegmentId> = ids
                    .into_iter()
                    .take_while(|id| {
                        total = total.saturating_add(size(id));
                        total <= self.max_docs
                    })
                    .collect();
                (kept.len() >= 2).then_some(MergeCandidate(kept))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, STRING};
    use tantivy::Index;

    fn segments(sizes: &[u32]) -> Vec<SegmentMeta> {
        let mut schema = Schema::builder();
        schema.add_text_field("id", STRING);
        let index = Index::create_in_ram(schema.build());
        sizes
            .iter()
            .map(|&size| index.new_segment_meta(SegmentId::generate_random(), size))
            .collect()
    }

    fn merged_sizes(policy: &BoundedMergePolicy, metas: &[SegmentMeta]) -> Vec<u32> {
        let docs: HashMap<SegmentId, u32> = metas.iter().map(|m| (m.id(), m.num_docs())).collect();
        policy
            .compute_merge_candidates(metas)
            .iter()
            .map(|candidate| candidate.0.iter().map(|id| docs[id]).sum())
            .collect()
    }

    #[test]
    fn eight_large_segments_merge_only_as_far_as_the_bound() {
        // What the unbounded policy merged into one 412k-document segment.
        let metas = segments(&[51_500; 8]);
        let unbounded = BoundedMergePolicy {
            log: LogMergePolicy::default(),
            max_docs: u32::MAX,
        };
        assert_eq!(merged_sizes(&unbounded, &metas), vec![412_000]);
        let bounded = merged_sizes(&BoundedMergePolicy::default(), &metas);
        assert_eq!(bounded, vec![103_000]);
    }

    #[test]
    fn small_segments_still_merge() {
        let metas = segments(&[6_500; 8]);
        assert_eq!(
            merged_sizes(&BoundedMergePolicy::default(), &metas),
            vec![52_000]
        );
    }

    #[test]
    fn segments_at_the_bound_are_left_alone() {
        let metas = segments(&[MAX_MERGED_DOCS; 8]);
        assert!(merged_sizes(&BoundedMergePolicy::default(), &metas).is_empty());
    }
}
