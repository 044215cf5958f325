//! What the publishing API (`PUT` / `DELETE /api/records/{id}`) needs of the
//! store: records found by their publisher's local id, and runs that touch
//! only the records they name (a push never tombstones the source's others).

use super::{
    record_iri, stored_records, ApplyOptions, CatalogStore, HarvestRun, PreparedRecord, SourceMeta,
    StoreError, Terms,
};
use oxigraph::model::{GraphNameRef, Literal, NamedNode, Term};

/// A catalogue record bound to a local id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedEntry {
    /// katalog's record id (20 hex digits).
    pub id: String,
    /// The described resource.
    pub resource: String,
    /// `published`, `quarantined`, `deleted` or `superseded`.
    pub state: String,
}

impl CatalogStore {
    /// The records of `source` bound to `local_id`, live ones first.
    pub fn records_with_local_id(
        &self,
        source: &SourceMeta,
        local_id: &str,
    ) -> Result<Vec<PushedEntry>, StoreError> {
        let t = Terms::new();
        let graph = GraphNameRef::NamedNode(t.records_graph.as_ref());
        let local = Literal::from(local_id);
        let source_iri = source.iri();
        let mut found = Vec::new();
        for quad in self.oxigraph().quads_for_pattern(
            None,
            Some(t.local_id.as_ref()),
            Some(local.as_ref().into()),
            Some(graph),
        ) {
            let node = quad?.subject;
            let of_source = self
                .oxigraph()
                .quads_for_pattern(
                    Some(node.as_ref()),
                    Some(t.source.as_ref()),
                    Some(source_iri.as_ref().into()),
                    Some(graph),
                )
                .next()
                .is_some();
            if !of_source {
                continue;
            }
            let value =
                |predicate| super::single_value(self.oxigraph(), node.as_ref(), predicate, graph);
            let (Some(Term::Literal(id)), Some(Term::NamedNode(resource))) =
                (value(&t.record_id)?, value(&t.primary_topic)?)
            else {
                continue;
            };
            let state = match value(&t.state)? {
                Some(Term::Literal(state)) => state.value().to_string(),
                _ => String::new(),
            };
            found.push(PushedEntry {
                id: id.value().to_string(),
                resource: resource.as_str().to_string(),
                state,
            });
        }
        found.sort_by_key(|e| (e.state == super::DELETED, e.id.clone()));
        Ok(found)
    }

    /// A record's `kat:state` (`published`, `quarantined`, `deleted`,
    /// `superseded`), None when the store has no such record.
    pub fn record_state(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.record_literal(id, &Terms::new().state)
    }

    /// The local id a record was pushed under, if it was pushed.
    pub fn local_id_of(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.record_literal(id, &Terms::new().local_id)
    }

    /// A literal value of a record's catalogue record.
    fn record_literal(
        &self,
        id: &str,
        predicate: &NamedNode,
    ) -> Result<Option<String>, StoreError> {
        let graph = Terms::new().records_graph;
        let value = super::single_value(
            self.oxigraph(),
            record_iri(id).as_ref().into(),
            predicate,
            GraphNameRef::NamedNode(graph.as_ref()),
        )?;
        Ok(match value {
            Some(Term::Literal(l)) => Some(l.value().to_string()),
            _ => None,
        })
    }

    /// A run of `source` that stores `records` (each published, updated or
    /// quarantined as by a harvest) and tombstones the records `tombstone`
    /// names; the source's other records are left alone. No mass-delete guard:
    /// the caller names what it deletes.
    pub fn apply_records(
        &self,
        source: &SourceMeta,
        run: &mut HarvestRun,
        records: &[PreparedRecord],
        tombstone: &[String],
    ) -> Result<(), StoreError> {
        let t = Terms::new();
        let mut existing = stored_records(self.oxigraph(), &t, &source.iri())?;
        existing.retain(|id, _| {
            records.iter().any(|r| &r.id == id) || tombstone.iter().any(|d| d == id)
        });
        self.apply_planned(source, run, records, &ApplyOptions::default(), &existing)
    }
}
