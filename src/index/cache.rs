//! A cache of whole search answers (the JSON `GET /api/search` sends),
//! keyed by the checked query and valid for one index generation: every
//! commit the searchers see (a sync after a harvest, a push, a reindex)
//! empties it, so an answer is never older than the index. Like
//! Elasticsearch's request cache: repeated searches (a landing page, a
//! facet click everyone makes) cost a lookup instead of a search.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// At most this many answers, and this many bytes of them.
const MAX_ENTRIES: usize = 4096;
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// An answer as sent, with where its `took_ms` number is, so that a cached
/// answer reports the time it took to answer from the cache.
pub struct CachedAnswer {
    pub body: Vec<u8>,
    took: std::ops::Range<usize>,
}

impl CachedAnswer {
    /// Wraps a serialised [`super::SearchResults`]; None when its `took_ms`
    /// cannot be found (then it is not cached).
    pub fn new(body: Vec<u8>) -> Option<Self> {
        const FIELD: &[u8] = b"\"took_ms\":";
        // `total` comes first and `took_ms` second: the first occurrence is
        // the answer's own, before any text of a hit.
        let start = body
            .windows(FIELD.len())
            .take(64)
            .position(|w| w == FIELD)?
            + FIELD.len();
        let length = body[start..]
            .iter()
            .position(|b| !(b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'e' | b'E' | b'+')))?;
        Some(CachedAnswer {
            body,
            took: start..start + length,
        })
    }

    /// The answer with `took_ms` replaced.
    pub fn with_took(&self, took_ms: f64) -> Vec<u8> {
        let took = serde_json::to_string(&took_ms).unwrap_or_else(|_| "0.0".into());
        let mut out = Vec::with_capacity(self.body.len() + took.len());
        out.extend_from_slice(&self.body[..self.took.start]);
        out.extend_from_slice(took.as_bytes());
        out.extend_from_slice(&self.body[self.took.end..]);
        out
    }
}

#[derive(Default)]
struct Entries {
    generation: u64,
    answers: HashMap<String, Arc<CachedAnswer>>,
    /// Insertion order, oldest first: the first evicted.
    order: VecDeque<String>,
    bytes: usize,
}

#[derive(Default)]
pub struct AnswerCache {
    /// Bumped after each reload of the searchers.
    generation: AtomicU64,
    entries: Mutex<Entries>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl AnswerCache {
    /// The generation searches started now belong to.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Called after the searchers were reloaded: every answer is stale.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut entries) = self.entries.lock() {
            *entries = Entries::default();
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedAnswer>> {
        let found = self.entries.lock().ok().and_then(|entries| {
            (entries.generation == self.generation())
                .then(|| entries.answers.get(key).cloned())
                .flatten()
        });
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Lookups that found an answer, and those that did not, since start-up.
    pub fn lookups(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Keeps an answer computed by a search that started in `generation`
    /// (read before the search): an answer from before a reload is dropped.
    pub fn insert(&self, key: String, generation: u64, answer: CachedAnswer) {
        if answer.body.len() > MAX_BYTES / 16 {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let current = self.generation();
        if generation != current {
            return;
        }
        if entries.generation != current {
            *entries = Entries {
                generation: current,
                ..Default::default()
            };
        }
        if entries.answers.contains_key(&key) {
            return;
        }
        while entries.answers.len() >= MAX_ENTRIES || entries.bytes + answer.body.len() > MAX_BYTES
        {
            let Some(oldest) = entries.order.pop_front() else {
                break;
            };
            if let Some(evicted) = entries.answers.remove(&oldest) {
                entries.bytes -= evicted.body.len();
            }
        }
        entries.bytes += answer.body.len();
        entries.order.push_back(key.clone());
        entries.answers.insert(key, Arc::new(answer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn took_is_replaced_and_stale_answers_are_not_kept() {
        let body = br#"{"total":3,"took_ms":1.25,"page":1,"hits":[{"title":"\"took_ms\":9"}]}"#;
        let answer = CachedAnswer::new(body.to_vec()).unwrap();
        assert_eq!(
            String::from_utf8(answer.with_took(0.5)).unwrap(),
            r#"{"total":3,"took_ms":0.5,"page":1,"hits":[{"title":"\"took_ms\":9"}]}"#
        );

        let cache = AnswerCache::default();
        let before = cache.generation();
        cache.insert(
            "q=a".into(),
            before,
            CachedAnswer::new(body.to_vec()).unwrap(),
        );
        assert!(cache.get("q=a").is_some());
        cache.invalidate();
        assert!(cache.get("q=a").is_none(), "a reload empties the cache");
        // A search that began before the reload does not fill the new generation.
        cache.insert(
            "q=a".into(),
            before,
            CachedAnswer::new(body.to_vec()).unwrap(),
        );
        assert!(cache.get("q=a").is_none());
        cache.insert(
            "q=a".into(),
            cache.generation(),
            CachedAnswer::new(body.to_vec()).unwrap(),
        );
        assert!(cache.get("q=a").is_some());
    }
}
