//! katalog: a FAIR metadata catalogue and harvester for health and genomic datasets.
//!
//! The modules follow the pipeline, and data flows one way through them:
//! [`harvest`] fetches and splits national catalogues into [`harvest::RecordGraph`]s,
//! [`store`] keeps them in an embedded Oxigraph store with their provenance, and
//! [`serve`] publishes the store over SPARQL and HTTP, [`validate`] checks
//! records against SHACL shapes and [`quality`] scores their metadata (DQV).

pub mod config;
pub mod harvest;
pub mod index;
pub mod memory;
pub mod ns;
pub mod profiles;
pub mod quality;
pub mod serve;
pub mod steward;
pub mod store;
pub mod validate;

pub use config::Config;
