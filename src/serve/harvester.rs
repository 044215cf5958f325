//! Harvests inside `katalog serve`: each source on its cron schedule (with
//! jitter), on demand from `POST /api/sources/{name}/harvest`, and the first
//! harvest of a new store. All of them go through one [`Harvester`], which
//! holds a lock per source (never two runs of one source at once) and a
//! bounded number of run slots (`harvest.max_concurrent_sources`). After a
//! run that changed records it writes a new snapshot and points the SPARQL
//! worker at it, so queries see the new data.

use super::worker::QueryWorker;
use crate::config::{Config, SourceConfig};
use crate::harvest::{harvest_source_with, RunOptions, SourceReport};
use crate::profiles::Profiles;
use crate::store::{CatalogStore, RunOutcome};
use chrono::Utc;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard, Semaphore};

/// Where the SPARQL worker reads, refreshed after each run that changed records.
#[derive(Debug, Clone)]
pub struct SnapshotTarget {
    pub dir: PathBuf,
    pub worker: QueryWorker,
}

/// Why a run could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimError {
    UnknownSource,
    /// A run of the source is going; its id when known.
    Busy,
}

/// The right to run one source: held for the whole run.
pub struct SourceClaim {
    source: SourceConfig,
    _guard: OwnedMutexGuard<()>,
}

impl SourceClaim {
    pub fn source(&self) -> &SourceConfig {
        &self.source
    }
}

pub struct Harvester {
    config: Arc<Config>,
    store: CatalogStore,
    profiles: Arc<Profiles>,
    locks: HashMap<String, Arc<Mutex<()>>>,
    slots: Arc<Semaphore>,
    snapshots: OnceLock<SnapshotTarget>,
    /// One snapshot at a time: each prunes the older ones.
    snapshotting: Mutex<()>,
    /// The search index kept in step after each run that changed records.
    search: OnceLock<Arc<crate::index::SearchIndex>>,
}

impl Harvester {
    pub fn new(config: Arc<Config>, store: CatalogStore, profiles: Arc<Profiles>) -> Arc<Self> {
        let locks = config
            .sources
            .iter()
            .map(|s| (s.name.clone(), Arc::new(Mutex::new(()))))
            .collect();
        let slots = Arc::new(Semaphore::new(config.harvest.max_concurrent_sources));
        Arc::new(Self {
            config,
            store,
            profiles,
            locks,
            slots,
            snapshots: OnceLock::new(),
            snapshotting: Mutex::new(()),
            search: OnceLock::new(),
        })
    }

    /// From now on, runs that change records refresh the worker's snapshot.
    pub fn publish_snapshots(&self, target: SnapshotTarget) {
        let _ = self.snapshots.set(target);
    }

    /// From now on, runs that change records update the search index.
    pub fn publish_search(&self, index: Arc<crate::index::SearchIndex>) {
        let _ = self.search.set(index);
    }

    /// Claims a source, waiting while another run (or push) holds it: a push
    /// of one record is short, and pushes of one source go one at a time.
    pub async fn claim_waiting(&self, name: &str) -> Result<SourceClaim, ClaimError> {
        let source = self.config.source(name).ok_or(ClaimError::UnknownSource)?;
        let lock = self.locks.get(name).ok_or(ClaimError::UnknownSource)?;
        let guard = lock.clone().lock_owned().await;
        Ok(SourceClaim {
            source: source.clone(),
            _guard: guard,
        })
    }

    /// After records of `source` changed outside a harvest run (a push): the
    /// SPARQL snapshot and the search index catch up, as after a run.
    pub async fn changed(&self, source: &str) {
        self.refresh_snapshot(source).await;
        self.sync_search(source).await;
    }

    /// Claims a source for a run, without waiting.
    pub fn claim(&self, name: &str) -> Result<SourceClaim, ClaimError> {
        let source = self.config.source(name).ok_or(ClaimError::UnknownSource)?;
        let lock = self.locks.get(name).ok_or(ClaimError::UnknownSource)?;
        let guard = lock
            .clone()
            .try_lock_owned()
            .map_err(|_| ClaimError::Busy)?;
        Ok(SourceClaim {
            source: source.clone(),
            _guard: guard,
        })
    }

    /// Runs a claimed source once a run slot is free, then refreshes the snapshot.
    pub async fn run(&self, claim: SourceClaim, options: RunOptions) -> SourceReport {
        let _slot = self.slots.clone().acquire_owned().await;
        let report = harvest_source_with(
            &self.config,
            &self.store,
            &self.profiles,
            &claim.source,
            &options,
        )
        .await;
        let changed = report.run.outcome == RunOutcome::Success;
        if changed {
            self.refresh_snapshot(&report.source).await;
        }
        drop(claim);
        // The source is free again while the index catches up: a search
        // sync reads the store, not the source.
        if changed {
            self.sync_search(&report.source).await;
        }
        report
    }

    async fn sync_search(&self, source: &str) {
        let Some(index) = self.search.get().cloned() else {
            return;
        };
        let store = self.store.clone();
        let profiles = crate::index::SourceProfiles::from_config(&self.config);
        let _one = self.snapshotting.lock().await;
        match tokio::task::spawn_blocking(move || index.sync(&store, &profiles)).await {
            Ok(Ok(report)) => tracing::info!(
                source,
                added = report.added,
                replaced = report.replaced,
                deleted = report.deleted,
                "search index updated"
            ),
            Ok(Err(error)) => {
                tracing::error!(source, %error, "cannot update the search index: search keeps the old state")
            }
            Err(error) => {
                tracing::error!(source, %error, "cannot update the search index: search keeps the old state")
            }
        }
    }

    async fn refresh_snapshot(&self, source: &str) {
        let Some(target) = self.snapshots.get() else {
            return;
        };
        let _one = self.snapshotting.lock().await;
        let store = self.store.clone();
        let dir = target.dir.clone();
        match tokio::task::spawn_blocking(move || store.snapshot(&dir)).await {
            Ok(Ok(path)) => {
                tracing::info!(source, snapshot = %path.display(), "queries now read the new snapshot");
                target.worker.set_snapshot(path);
            }
            Ok(Err(error)) => {
                tracing::error!(source, %error, "cannot write a snapshot: queries keep the old one")
            }
            Err(error) => {
                tracing::error!(source, %error, "cannot write a snapshot: queries keep the old one")
            }
        }
    }

    /// Starts one task per scheduled source, for the life of the runtime.
    pub fn start_schedules(self: &Arc<Self>) {
        for source in self.config.sources.iter().filter(|s| s.is_harvested()) {
            let Some(schedule) = Config::schedule(source) else {
                continue;
            };
            let harvester = self.clone();
            let name = source.name.clone();
            let jitter = self.config.harvest.schedule_jitter_secs;
            tracing::info!(source = %name, schedule = source.schedule.as_deref().unwrap_or(""), "scheduled");
            tokio::spawn(async move {
                loop {
                    let Some(next) = schedule.upcoming(Utc).next() else {
                        tracing::info!(source = %name, "the schedule has no further time");
                        break;
                    };
                    let wait =
                        (next - Utc::now()).to_std().unwrap_or_default() + jitter_delay(jitter);
                    tokio::time::sleep(wait).await;
                    match harvester.claim(&name) {
                        Ok(claim) => {
                            harvester.run(claim, RunOptions::default()).await;
                        }
                        Err(ClaimError::Busy) => tracing::info!(
                            source = %name,
                            "scheduled run skipped: the previous run of this source is still going"
                        ),
                        Err(ClaimError::UnknownSource) => break,
                    }
                }
            });
        }
    }
}

/// A random delay of up to `max_secs` seconds (millisecond steps).
fn jitter_delay(max_secs: u64) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    if max_secs == 0 {
        return Duration::ZERO;
    }
    // RandomState is seeded randomly per instance: enough to spread starts.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_i64(Utc::now().timestamp_nanos_opt().unwrap_or_default());
    Duration::from_millis(hasher.finish() % (max_secs * 1000 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn harvester() -> Arc<Harvester> {
        let config = Config::parse(
            "[harvest]\nmax_concurrent_sources = 1\n\
             [[source]]\nname=\"a\"\ncountry=\"NO\"\nurl=\"a.ttl\"\n\
             [[source]]\nname=\"b\"\ncountry=\"SE\"\nurl=\"b.ttl\"\n",
            std::path::Path::new("/nonexistent"),
            "test",
        )
        .unwrap();
        Harvester::new(
            Arc::new(config),
            CatalogStore::in_memory().unwrap(),
            Arc::default(),
        )
    }

    #[tokio::test]
    async fn one_run_per_source_at_a_time() {
        let harvester = harvester();
        let claim = harvester.claim("a").unwrap();
        assert_eq!(harvester.claim("a").err(), Some(ClaimError::Busy));
        assert!(harvester.claim("b").is_ok(), "other sources are free");
        assert_eq!(
            harvester.claim("nope").err(),
            Some(ClaimError::UnknownSource)
        );
        // The run fails (no such file) and releases the source.
        let report = harvester.run(claim, RunOptions::default()).await;
        assert!(report.failed());
        assert!(harvester.claim("a").is_ok());
    }

    #[test]
    fn jitter_stays_within_its_bound() {
        assert_eq!(jitter_delay(0), Duration::ZERO);
        for _ in 0..100 {
            assert!(jitter_delay(2) <= Duration::from_secs(2));
        }
    }
}
