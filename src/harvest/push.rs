//! Records published directly into a `kind = "push"` source
//! (`PUT /api/records/{id}`, `DELETE /api/records/{id}`), gated exactly like
//! harvested ones: the same split, the source's profile (a Violation
//! quarantines the version, an earlier valid version stays published and is
//! flagged stale), quality scores, duplicate resolution, and one run (with its
//! validation summary and report) per push, so the steward sees pushes
//! beside harvests.
//!
//! `{id}` is the publisher's own *local id* of the record within the source
//! (letters, digits, `.`, `_`, `~`, `-`; at most 200). The record's resource
//! IRI comes from the body, which must describe exactly one record (one
//! `dcat:Dataset`, `dcat:DatasetSeries`, `dcat:DataService` or `dcat:Catalog`
//! with what it links to). katalog's own record id is derived from the source
//! and that IRI, as for harvested records; the catalogue record carries the
//! local id as `kat:localId`. A local id stays bound to its IRI while the
//! record is live: a PUT with another IRI is a conflict (DELETE first), and
//! so is a PUT of an IRI already live under another local id.

use super::{gate, run_report, score_records, split_pages, HarvestError, ParsedPage};
use crate::config::{Config, SourceConfig};
use crate::harvest::fetch::FetchedDocument;
use crate::harvest::RecordKind;
use crate::profiles::Profiles;
use crate::store::{
    CatalogStore, HarvestRun, PreparedRecord, RecordCounts, RunOutcome, SourceMeta, StoreError,
};
use chrono::Utc;
use oxigraph::io::RdfFormat;
use oxrdf::{NamedNode, Triple};
use std::collections::HashMap;
use thiserror::Error;

/// Why a push was refused; each maps to an HTTP status.
#[derive(Debug, Error)]
pub enum PushError {
    /// 400: the local id is not acceptable.
    #[error("the record id {0:?} must be 1 to 200 letters, digits, '.', '_', '~' or '-'")]
    BadLocalId(String),
    /// 400: the body does not parse (the message names line and column).
    #[error("{0}")]
    Parse(HarvestError),
    /// 400: the body does not describe exactly one record.
    #[error("{0}")]
    NotOneRecord(String),
    /// 409: the local id or the IRI is bound otherwise.
    #[error("{0}")]
    Conflict(String),
    /// 404: DELETE of a local id never pushed.
    #[error("no record with id {0:?} in source {1:?}")]
    Unknown(String, String),
    /// 410: DELETE of a record already deleted.
    #[error("the record with id {0:?} was deleted already")]
    Gone(String),
    #[error("cannot store the record: {0}")]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// What a push did to the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushStatus {
    Created,
    Updated,
    Unchanged,
    /// The version violates the source's profile: held back with its report.
    Quarantined,
    Deleted,
}

impl PushStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PushStatus::Created => "created",
            PushStatus::Updated => "updated",
            PushStatus::Unchanged => "unchanged",
            PushStatus::Quarantined => "quarantined",
            PushStatus::Deleted => "deleted",
        }
    }
}

/// The result of one push.
#[derive(Debug, Clone)]
pub struct PushOutcome {
    pub status: PushStatus,
    pub local_id: String,
    /// katalog's record id (`/datasets/{record}`).
    pub record: String,
    pub resource: String,
    /// For a quarantined version: whether an earlier valid version stays
    /// published (flagged stale).
    pub still_published: bool,
    /// The Violation (and Warning) results of the pushed version, as the
    /// `sh:ValidationReport` triples the gate made (empty without a profile
    /// or when the version conforms without warnings).
    pub report: Vec<Triple>,
    /// Overall quality score (0..1) of the pushed version, for datasets and series.
    pub quality: Option<f64>,
    pub run: HarvestRun,
}

/// True for an acceptable local id.
pub fn valid_local_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '-'))
}

fn meta(source: &SourceConfig) -> SourceMeta {
    SourceMeta {
        name: source.name.clone(),
        country: source.country.clone(),
        location: format!("push:{}", source.name),
    }
}

fn new_run(source: &SourceConfig, location: String, format: Option<String>) -> HarvestRun {
    let now = Utc::now();
    HarvestRun {
        id: super::new_run_id(&source.name),
        source: source.name.clone(),
        started: now,
        ended: now,
        outcome: RunOutcome::Failed,
        counts: RecordCounts::default(),
        triples: 0,
        location,
        format,
        error: None,
        validation: None,
        report: Vec::new(),
        quality: None,
        not_modified: false,
        modified_since: None,
    }
}

/// Parses, splits, gates, scores and stores one pushed record. Blocking:
/// call it off the async threads, holding the source's claim.
pub fn put_record(
    config: &Config,
    store: &CatalogStore,
    profiles: &Profiles,
    source: &SourceConfig,
    local_id: &str,
    body: Vec<u8>,
    format: RdfFormat,
) -> Result<PushOutcome, PushError> {
    if !valid_local_id(local_id) {
        return Err(PushError::BadLocalId(local_id.to_string()));
    }
    let location = format!("PUT /api/records/{local_id}");
    let document = FetchedDocument {
        location: location.clone(),
        content_type: Some(format.media_type().to_string()),
        bytes: body,
    };
    let triples = super::parse_document_with(
        &document,
        format,
        &super::contexts::ContextLoader::offline(),
        config.harvest.max_document_bytes,
    )
    .map_err(PushError::Parse)?;
    let triple_count = triples.len();
    let page = ParsedPage {
        location: location.clone(),
        format: format.media_type().to_string(),
        triples,
    };
    let genid_base = format!("{}/.well-known/genid/{}/", config.base_url(), source.name);
    let unattached = NamedNode::new_unchecked(format!("urn:katalog:unattached:{}", source.name));
    let parsed = split_pages(vec![page], &location, &source.name, &genid_base, unattached)
        .map_err(|e| match e {
            HarvestError::NoRecords { .. } => PushError::NotOneRecord(
                "the body describes no record: it needs one dcat:Dataset, dcat:DatasetSeries, dcat:DataService or dcat:Catalog".into(),
            ),
            other => PushError::Internal(other.to_string()),
        })?;
    let mut records: Vec<PreparedRecord> = Vec::new();
    let mut stray = None;
    for record in parsed.records {
        if record.graph.kind == RecordKind::Unattached {
            stray = record.graph.triples.first().map(|t| t.subject.to_string());
        } else {
            records.push(record);
        }
    }
    if records.len() != 1 {
        let resources: Vec<String> = records
            .iter()
            .map(|r| format!("<{}>", r.graph.resource.as_str()))
            .collect();
        return Err(PushError::NotOneRecord(format!(
            "the body describes {} records ({}); PUT /api/records/{{id}} takes exactly one",
            records.len(),
            resources.join(", ")
        )));
    }
    if let Some(subject) = stray {
        return Err(PushError::NotOneRecord(format!(
            "triples about {subject} are not linked from the record; put only the record and what it links to in the body"
        )));
    }
    let mut record = records.remove(0);
    record.local_id = Some(local_id.to_string());
    let meta = meta(source);
    let resource = record.graph.resource.as_str().to_string();

    // The local id and the IRI must agree with what is live.
    for bound in store.records_with_local_id(&meta, local_id)? {
        if bound.state != "deleted" && bound.id != record.id {
            return Err(PushError::Conflict(format!(
                "record id {local_id:?} is bound to <{}>, not <{resource}>; DELETE it first to publish another resource under this id",
                bound.resource
            )));
        }
    }
    if store
        .record_state(&record.id)?
        .is_some_and(|state| state != "deleted")
    {
        {
            if let Some(other) = store.local_id_of(&record.id)? {
                if other != local_id {
                    return Err(PushError::Conflict(format!(
                        "<{resource}> is published under record id {other:?}; PUT it there"
                    )));
                }
            }
        }
    }

    let mut run = new_run(source, location, Some(format.media_type().to_string()));
    run.triples = triple_count;
    let mut prepared = vec![record];
    if let Some(name) = &source.profile {
        let profile = profiles
            .get(name)
            .map_err(|e| PushError::Internal(e.to_string()))?;
        let summary = gate(&profile, &mut prepared);
        run.report = run_report(&crate::store::report_iri(&run.id), &summary, &prepared);
        run.validation = Some(summary);
    }
    run.quality = Some(score_records(&mut prepared, source.profile.is_some()));
    let before = store.record_state(&prepared[0].id)?;
    store.apply_records(&meta, &mut run, &prepared, &[])?;
    let touched: Vec<oxigraph::model::NamedNode> = prepared
        .iter()
        .map(|r| crate::store::record_iri(&r.id))
        .collect();
    resolve(config, store, &touched)?;
    let record = &prepared[0];
    let status = if record.quarantine.is_some() {
        PushStatus::Quarantined
    } else if run.counts.new > 0 {
        PushStatus::Created
    } else if run.counts.changed > 0 {
        PushStatus::Updated
    } else {
        PushStatus::Unchanged
    };
    let still_published = status == PushStatus::Quarantined
        && before.is_some_and(|state| state == "published" || state == "superseded");
    Ok(PushOutcome {
        status,
        local_id: local_id.to_string(),
        record: record.id.clone(),
        resource,
        still_published,
        report: record
            .quarantine
            .as_ref()
            .map(|q| q.report.clone())
            .unwrap_or_default(),
        quality: record.quality.as_ref().map(|q| q.overall()),
        run,
    })
}

/// Tombstones the live record pushed under `local_id`, as a harvest does
/// with a record its source dropped: the graph emptied, the catalogue record
/// kept with `kat:deletedAt`. Blocking, like [`put_record`].
pub fn delete_record(
    config: &Config,
    store: &CatalogStore,
    source: &SourceConfig,
    local_id: &str,
) -> Result<PushOutcome, PushError> {
    if !valid_local_id(local_id) {
        return Err(PushError::BadLocalId(local_id.to_string()));
    }
    let meta = meta(source);
    let bound = store.records_with_local_id(&meta, local_id)?;
    let Some(entry) = bound.first() else {
        return Err(PushError::Unknown(
            local_id.to_string(),
            source.name.clone(),
        ));
    };
    if entry.state == "deleted" {
        return Err(PushError::Gone(local_id.to_string()));
    }
    let mut run = new_run(source, format!("DELETE /api/records/{local_id}"), None);
    let node = crate::store::record_iri(&entry.id);
    // The record it was superseded by: read before the tombstone removes the link.
    let mut touched = store.superseded_winner(&node)?;
    store.apply_records(&meta, &mut run, &[], std::slice::from_ref(&entry.id))?;
    touched.push(node);
    resolve(config, store, &touched)?;
    Ok(PushOutcome {
        status: PushStatus::Deleted,
        local_id: local_id.to_string(),
        record: entry.id.clone(),
        resource: entry.resource.clone(),
        still_published: false,
        report: Vec::new(),
        quality: None,
        run,
    })
}

/// Cross-source duplicates are chosen again around the records a change
/// touched, as after a run.
fn resolve(
    config: &Config,
    store: &CatalogStore,
    touched: &[oxigraph::model::NamedNode],
) -> Result<(), StoreError> {
    let priorities: HashMap<String, i64> = config
        .sources
        .iter()
        .map(|s| (s.name.clone(), s.priority))
        .collect();
    store.resolve_duplicates_around(&priorities, touched)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Config, CatalogStore, Profiles) {
        let config = Config::parse(
            "[[source]]\nname=\"p\"\ncountry=\"NO\"\nkind=\"push\"\nprofile=\"dcat-ap-3\"\n",
            std::path::Path::new("/nonexistent"),
            "test",
        )
        .unwrap();
        (
            config,
            CatalogStore::in_memory().unwrap(),
            Profiles::default(),
        )
    }

    const GOOD: &str = r#"
        @prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
        <https://example.org/ds/1> a dcat:Dataset ; dct:title "Cohort one"@en ;
            dct:description "A cohort."@en ; dct:identifier "ds-1" ."#;

    fn put(
        (config, store, profiles): &(Config, CatalogStore, Profiles),
        id: &str,
        body: &str,
    ) -> Result<PushOutcome, PushError> {
        put_record(
            config,
            store,
            profiles,
            &config.sources[0],
            id,
            body.as_bytes().to_vec(),
            RdfFormat::Turtle,
        )
    }

    #[test]
    fn local_ids_are_checked() {
        assert!(valid_local_id("cohort-1.v2_x~"));
        assert!(!valid_local_id(""));
        assert!(!valid_local_id("a/b"));
        assert!(!valid_local_id(&"x".repeat(201)));
    }

    #[test]
    fn create_update_conflict_delete() {
        let env = setup();
        let created = put(&env, "one", GOOD).unwrap();
        assert_eq!(created.status, PushStatus::Created, "{:?}", created.report);
        assert_eq!(created.resource, "https://example.org/ds/1");
        assert_eq!(
            put(&env, "one", GOOD).unwrap().status,
            PushStatus::Unchanged
        );
        let changed = GOOD.replace("Cohort one", "Cohort 1");
        assert_eq!(
            put(&env, "one", &changed).unwrap().status,
            PushStatus::Updated
        );
        // The same IRI under another id, another IRI under this id: conflicts.
        assert!(matches!(
            put(&env, "two", GOOD),
            Err(PushError::Conflict(_))
        ));
        let other = GOOD.replace("ds/1", "ds/2");
        assert!(matches!(
            put(&env, "one", &other),
            Err(PushError::Conflict(_))
        ));
        let (config, store, _) = &env;
        let deleted = delete_record(config, store, &config.sources[0], "one").unwrap();
        assert_eq!(deleted.status, PushStatus::Deleted);
        assert!(matches!(
            delete_record(config, store, &config.sources[0], "one"),
            Err(PushError::Gone(_))
        ));
        assert!(matches!(
            delete_record(config, store, &config.sources[0], "never"),
            Err(PushError::Unknown(..))
        ));
        // After the delete the id may carry another resource.
        assert_eq!(
            put(&env, "one", &other).unwrap().status,
            PushStatus::Created
        );
    }

    #[test]
    fn bodies_with_no_or_several_records_are_refused() {
        let env = setup();
        let two =
            format!("{GOOD}\n<https://example.org/ds/2> a <http://www.w3.org/ns/dcat#Dataset> .");
        assert!(matches!(
            put(&env, "x", &two),
            Err(PushError::NotOneRecord(_))
        ));
        let none = "<https://example.org/a> <https://example.org/p> \"v\" .";
        assert!(matches!(
            put(&env, "x", none),
            Err(PushError::NotOneRecord(_))
        ));
        match put(
            &env,
            "x",
            "<https://example.org/a> <https://example.org/p> .",
        ) {
            Err(PushError::Parse(e)) => assert!(e.to_string().contains("line 1"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_violating_version_is_quarantined_and_the_valid_one_stays() {
        let env = setup();
        put(&env, "one", GOOD).unwrap();
        // dcat-ap-3: a dataset needs a description.
        let bad = GOOD.replace("dct:description \"A cohort.\"@en ;", "");
        let held = put(&env, "one", &bad).unwrap();
        assert_eq!(held.status, PushStatus::Quarantined);
        assert!(held.still_published);
        assert!(!held.report.is_empty());
        let (_, store, _) = &env;
        let entry = store.record_entry(&held.record).unwrap().unwrap();
        assert_eq!(entry.state, crate::store::published::PublicState::Published);
    }
}
