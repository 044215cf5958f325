//! TODO
use super::{HarvestError, PageContext, ParsedPage};
use crate::config::{Location, SourceConfig};
use std::sync::atomic::AtomicUsize;

pub async fn collect(
    _pages: &PageContext,
    _source: &SourceConfig,
    _location: &Location,
    _progress: &AtomicUsize,
) -> Result<Vec<ParsedPage>, HarvestError> {
    Err(HarvestError::Internal("not yet".into()))
}
