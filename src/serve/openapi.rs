//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the JSON API.
//!
//! Written here beside the router rather than derived with utoipa: utoipa's
//! proc-macro changes the features of build-time crates shared with bindgen,
//! which forces a rebuild of the bundled RocksDB (most of an hour on CI).
//! CI checks the document against the running server with schemathesis, so
//! a handler that drifts from it fails the build.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

fn text(description: &str) -> Value {
    json!({ "description": description, "content": { "text/plain": { "schema": { "type": "string" } } } })
}

fn object_list() -> Value {
    json!({ "type": "array", "items": { "type": "object" } })
}

fn push_answer(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PushResult" } } } })
}

fn push_error(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// What each `/api/search` parameter takes; the list itself is the search
/// module's ([`crate::index::query::PARAMETERS`]), so none can be left out.
fn search_parameter(name: &str) -> (Value, bool, &'static str) {
    let text = json!({ "type": "string" });
    let whole = json!({ "type": "integer", "minimum": 0 });
    // Dates are checked by the server (400 naming the parameter).
    let date = json!({ "type": "string" });
    match name {
        "q" => (
            text,
            false,
            "Words (all required), \"phrases\", -excluded, title:, text:, disease:, country:",
        ),
        "country" => (text, true, "Country code, NO or NOR"),
        "publisher" => (text, true, "Publisher IRI"),
        "theme" => (text, true, "EU data theme code or IRI (HEAL, ...)"),
        "health_category" => (text, true, "HealthDCAT-AP health category code or IRI"),
        "health_theme" => (text, true, "Health theme code or IRI"),
        "disease" => (
            text,
            true,
            "ICD-10 code, block or chapter, or ORPHA:n, with everything below it",
        ),
        "disease_chapter" => (text, true, "ICD-10 chapter (I..XXII)"),
        "access" => (
            text,
            true,
            "Access rights code or IRI (PUBLIC, RESTRICTED, NON_PUBLIC)",
        ),
        "format" => (text, true, "File type code or IRI (CSV, ...)"),
        "licence" => (text, true, "Licence code or IRI (CC_BY_4_0, ...)"),
        "profile" => (text, true, "Profile the record conforms to"),
        "age_from" | "age_to" => (whole, false, "Overlap with the population's typical ages"),
        "min_individuals" => (whole, false, "At least this many individuals"),
        "min_records" => (whole, false, "At least this many records"),
        "modified_after" | "temporal_from" | "temporal_to" => {
            (date, false, "YYYY, YYYY-MM or YYYY-MM-DD")
        }
        "sort" => (
            json!({ "type": "string", "enum": ["relevance", "modified", "title", ""] }),
            false,
            "Order of the hits (empty: relevance)",
        ),
        "page" => (
            json!({ "type": "integer", "minimum": 1 }),
            false,
            "Page, from 1",
        ),
        "size" => (
            json!({ "type": "integer", "minimum": 0, "maximum": 100 }),
            false,
            "Hits per page (at most 100)",
        ),
        _ => (text, false, ""),
    }
}

fn search_parameters() -> Value {
    let mut parameters: Vec<Value> = crate::index::query::PARAMETERS
        .iter()
        .map(|name| {
            let (schema, repeatable, description) = search_parameter(name);
            let schema = if repeatable {
                json!({ "type": "array", "items": schema })
            } else {
                schema
            };
            json!({ "name": name, "in": "query", "required": false, "description": description,
                    "schema": schema, "style": "form", "explode": true })
        })
        .collect();
    parameters.push(json!({ "name": "lang", "in": "query", "required": false,
        "description": "Language of titles and labels, with fallback",
        "schema": { "type": "string" } }));
    Value::Array(parameters)
}

/// The document, with `server` as its one server URL and the configured
/// source names as examples.
pub fn document(server: &str, sources: &[&str]) -> Value {
    let rdf = |description: &str| {
        let mut content = serde_json::Map::new();
        content.insert(
            "application/ld+json".into(),
            json!({ "schema": { "type": ["array", "object"] } }),
        );
        for media in [
            "text/turtle",
            "application/n-triples",
            "application/rdf+xml",
            "text/plain",
        ] {
            content.insert(media.into(), json!({ "schema": { "type": "string" } }));
        }
        json!({ "description": description, "content": content })
    };
    let examples: serde_json::Map<String, Value> = sources
        .iter()
        .map(|name| (name.to_string(), json!({ "value": name })))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "katalog JSON API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Health, search, steward, validation and publishing endpoints of katalog. The SPARQL endpoint (/sparql), the DCAT-AP export (/catalog), the record pages (/datasets/{id}) and /.well-known/void speak RDF and describe themselves; /metrics is Prometheus text.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
        },
        "servers": [ { "url": server } ],
        "paths": {
            "/health": {
                "get": {
                    "operationId": "health",
                    "tags": ["operations"],
                    "summary": "Whether the store is readable, with published counts",
                    "responses": {
                        "200": { "description": "The store is readable", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } } },
                        "503": { "description": "The store cannot be read", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } } }
                    }
                }
            },
            "/api/sources": {
                "get": {
                    "operationId": "listSources",
                    "tags": ["stewards"],
                    "summary": "Every configured source with its last run and validation summary",
                    "responses": {
                        "200": { "description": "The sources", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SourceList" } } } }
                    }
                }
            },
            "/api/sources/{name}/report": {
                "get": {
                    "operationId": "sourceReport",
                    "tags": ["stewards"],
                    "summary": "The last run's validation: top violated shapes, quarantined records with their results, lowest quality",
                    "parameters": [
                        { "name": "name", "in": "path", "required": true, "description": "The source's name in the configuration", "schema": { "type": "string" }, "examples": examples }
                    ],
                    "responses": {
                        "200": { "description": "The report", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SourceReport" } } } },
                        "404": text("No source of that name")
                    }
                }
            },
            "/api/validate": {
                "post": {
                    "operationId": "validate",
                    "tags": ["stewards"],
                    "summary": "Validate an RDF document against a profile",
                    "parameters": [
                        { "name": "profile", "in": "query", "required": false, "description": "dcat-ap-3 (default), healthdcat-ap, dcat-ap-no or gdi", "schema": { "type": "string" } }
                    ],
                    "requestBody": {
                        "description": "An RDF document in any of the six syntaxes (by Content-Type, else sniffed)",
                        "required": true,
                        "content": {
                            "text/turtle": { "schema": { "type": "string" } },
                            "application/n-triples": { "schema": { "type": "string" } },
                            "application/rdf+xml": { "schema": { "type": "string" } },
                            "application/ld+json": { "schema": { "description": "Any JSON: JSON-LD that is not an object or array is an empty document (it conforms)" } }
                        }
                    },
                    "responses": {
                        "200": rdf("The sh:ValidationReport: JSON-LD, or by Accept Turtle, N-Triples, RDF/XML or the linter's text; the X-Katalog-Conforms header says whether it conforms"),
                        "400": text("Unknown profile, or a document that does not parse"),
                        "413": text("The body is larger than server.max_body_bytes")
                    }
                }
            },
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "tags": ["researchers"],
                    "summary": "Search the published datasets, with facets",
                    "description": "Repeat a facet parameter for OR; different parameters AND. A bad value is a 400 naming the parameter.",
                    "parameters": search_parameters(),
                    "responses": {
                        "200": { "description": "One page of hits with the facet counts over the filtered result", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SearchResults" } } } },
                        "400": { "description": "A bad parameter", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ParameterError" } } } },
                        "503": text("This server has no search index")
                    }
                }
            },
            "/api/datasets/{id}": {
                "get": {
                    "operationId": "dataset",
                    "tags": ["researchers"],
                    "summary": "One published record's fields as JSON, or its RDF by Accept",
                    "parameters": [
                        { "name": "id", "in": "path", "required": true, "description": "The record id (20 hex digits)", "schema": { "type": "string" } },
                        { "name": "lang", "in": "query", "required": false, "description": "Language of titles and labels, with fallback (a language tag; otherwise 400)", "schema": { "type": "string" } }
                    ],
                    "responses": {
                        "200": {
                            "description": "The record: JSON fields, or Turtle / N-Triples / RDF/XML / JSON-LD by Accept",
                            "content": {
                                "application/json": { "schema": { "type": "object" } },
                                "text/turtle": { "schema": { "type": "string" } },
                                "application/n-triples": { "schema": { "type": "string" } },
                                "application/rdf+xml": { "schema": { "type": "string" } },
                                "application/ld+json": { "schema": { "type": ["array", "object"] } }
                            }
                        },
                        "400": { "description": "A bad lang", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ParameterError" } } } },
                        "404": { "description": "No published dataset with this id", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                        "503": text("This server has no search index")
                    }
                }
            },
            "/api/sources/{name}/harvest": {
                "post": {
                    "operationId": "triggerHarvest",
                    "tags": ["stewards"],
                    "summary": "Start a run of a harvested source",
                    "security": [ { "bearer": [] } ],
                    "parameters": [
                        { "name": "name", "in": "path", "required": true, "schema": { "type": "string" }, "examples": examples },
                        { "name": "wait", "in": "query", "required": false, "description": "Answer with the finished run", "schema": { "type": "boolean" } },
                        { "name": "allow_mass_delete", "in": "query", "required": false, "description": "Confirm a run removing more than harvest.max_delete_share", "schema": { "type": "boolean" } }
                    ],
                    "responses": {
                        "200": { "description": "The finished run (wait=true)", "content": { "application/json": { "schema": { "type": "object" } } } },
                        "202": { "description": "The run started", "content": { "application/json": { "schema": { "type": "object" } } } },
                        "400": text("A bad query parameter"),
                        "401": text("No token, or an unknown one"),
                        "403": text("The token may not trigger this source"),
                        "404": text("No source of that name"),
                        "409": text("A run of the source is going, or it is a push source"),
                        "503": text("This server does not harvest")
                    }
                }
            },
            "/api/records/{id}": {
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "description": "The publisher's local id of the record within the push source", "schema": { "type": "string", "pattern": "^[A-Za-z0-9._~-]{1,200}$" } },
                    { "name": "source", "in": "query", "required": false, "description": "The push source, when the token may write to several", "schema": { "type": "string" } }
                ],
                "put": {
                    "operationId": "putRecord",
                    "tags": ["publishers"],
                    "summary": "Publish (create or replace) one record in a push source; it is validated and gated like a harvested record",
                    "security": [ { "bearer": [] } ],
                    "requestBody": {
                        "description": "An RDF document describing exactly one dcat:Dataset, dcat:DatasetSeries, dcat:DataService or dcat:Catalog",
                        "required": true,
                        "content": {
                            "text/turtle": { "schema": { "type": "string" } },
                            "application/n-triples": { "schema": { "type": "string" } },
                            "application/rdf+xml": { "schema": { "type": "string" } },
                            "application/ld+json": { "schema": { "type": ["array", "object"] } }
                        }
                    },
                    "responses": {
                        "200": push_answer("Updated, or unchanged"),
                        "201": push_answer("Created"),
                        "422": push_answer("Quarantined: the version violates the source's profile; the report says why, and an earlier version stays published if there was one"),
                        "400": push_error("A bad id, RDF that does not parse (line and column), or not exactly one record"),
                        "401": push_error("No token, or an unknown one"),
                        "403": push_error("The token may not publish into this source"),
                        "404": push_error("No such source"),
                        "409": push_error("The id is bound to another IRI, or the IRI to another id"),
                        "413": text("The body is larger than server.max_body_bytes"),
                        "415": push_error("The Content-Type is no RDF syntax")
                    }
                },
                "delete": {
                    "operationId": "deleteRecord",
                    "tags": ["publishers"],
                    "summary": "Delete (tombstone) a pushed record",
                    "security": [ { "bearer": [] } ],
                    "responses": {
                        "200": push_answer("Deleted: tombstoned with its deletion time"),
                        "400": push_error("A bad id"),
                        "401": push_error("No token, or an unknown one"),
                        "403": push_error("The token may not publish into this source"),
                        "404": push_error("No record with this id"),
                        "410": push_error("Deleted already")
                    }
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "tags": ["operations"],
                    "summary": "This document",
                    "responses": { "200": { "description": "OpenAPI 3.1", "content": { "application/json": { "schema": { "type": "object" } } } } }
                }
            }
        },
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "A token whose SHA-256 is configured in a [[token]] (scopes harvest / push, sources)" }
            },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string" } } },
                "ParameterError": { "type": "object", "required": ["error", "parameter"], "properties": { "error": { "type": "string" }, "parameter": { "type": "string" } } },
                "PushResult": {
                    "type": "object",
                    "required": ["id", "source", "status", "record", "iri", "run", "published", "report"],
                    "properties": {
                        "id": { "type": "string" },
                        "source": { "type": "string" },
                        "status": { "type": "string", "enum": ["created", "updated", "unchanged", "quarantined", "deleted"] },
                        "record": { "type": "string" },
                        "iri": { "type": "string" },
                        "dataset": { "type": "string" },
                        "run": { "type": "string" },
                        "published": { "type": "boolean" },
                        "stale": { "type": "boolean" },
                        "quality": { "type": ["number", "null"] },
                        "violations": { "type": "integer", "minimum": 0 },
                        "report": object_list()
                    }
                },
                "Labelled": { "type": "object", "required": ["value", "label"], "properties": { "value": { "type": "string" }, "label": { "type": "string" } } },
                "SearchHit": {
                    "type": "object",
                    "required": ["id", "iri", "kind", "score", "country", "source", "access", "highlights", "health"],
                    "properties": {
                        "id": { "type": "string" },
                        "identifier": { "type": ["string", "null"] },
                        "iri": { "type": "string" },
                        "kind": { "type": "string" },
                        "score": { "type": "number" },
                        "title": { "type": ["string", "null"] },
                        "description": { "type": ["string", "null"] },
                        "country": { "type": "array", "items": { "$ref": "#/components/schemas/Labelled" } },
                        "publisher": { "oneOf": [ { "$ref": "#/components/schemas/Labelled" }, { "type": "null" } ] },
                        "source": { "type": "string" },
                        "modified": { "type": ["string", "null"] },
                        "access": { "type": "array", "items": { "$ref": "#/components/schemas/Labelled" } },
                        "highlights": { "type": "object", "properties": { "title": { "type": "string" }, "description": { "type": "string" } } },
                        "health": { "type": "object" }
                    }
                },
                "SearchResults": {
                    "type": "object",
                    "required": ["total", "took_ms", "page", "size", "sort", "lang", "fuzzy", "hits", "facets"],
                    "properties": {
                        "total": { "type": "integer", "minimum": 0 },
                        "took_ms": { "type": "number" },
                        "page": { "type": "integer", "minimum": 1 },
                        "size": { "type": "integer", "minimum": 0 },
                        "sort": { "type": "string", "enum": ["relevance", "modified", "title"] },
                        "lang": { "type": "string" },
                        "fuzzy": { "type": "boolean" },
                        "hits": { "type": "array", "items": { "$ref": "#/components/schemas/SearchHit" } },
                        "facets": { "type": "object", "additionalProperties": { "type": "array", "items": { "type": "object", "required": ["value", "label", "count"], "properties": { "value": { "type": "string" }, "label": { "type": "string" }, "count": { "type": "integer", "minimum": 0 } } } } }
                    }
                },
                "Health": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {
                        "status": { "type": "string", "enum": ["ok", "error"] },
                        "version": { "type": "string" },
                        "datasets": { "type": "integer", "minimum": 0 },
                        "sources": { "type": "object", "additionalProperties": { "type": "object", "additionalProperties": { "type": "integer", "minimum": 0 } } },
                        "error": { "type": "string" }
                    }
                },
                "SourceList": {
                    "type": "object",
                    "required": ["sources"],
                    "properties": { "sources": object_list() }
                },
                "SourceReport": {
                    "type": "object",
                    "required": ["source", "last_run", "top_violated_shapes", "quarantined"],
                    "properties": {
                        "source": { "type": "string" },
                        "last_run": { "type": ["object", "null"] },
                        "top_violated_shapes": object_list(),
                        "top_warned_shapes": object_list(),
                        "lowest_quality": object_list(),
                        "quarantined": object_list()
                    }
                }
            }
        }
    })
}

pub async fn openapi(
    axum::extract::State(state): axum::extract::State<super::AppState>,
    headers: axum::http::HeaderMap,
) -> Response {
    let server = super::negotiate::public_base(&state.config, &headers);
    let sources: Vec<&str> = state
        .config
        .sources
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    (
        [(header::CONTENT_TYPE, "application/json")],
        document(&server, &sources).to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    /// Every route the router registers is either in the document or named
    /// here as not part of the JSON API, so a new route cannot be forgotten.
    #[test]
    fn every_registered_route_is_documented_or_excluded() {
        const NOT_JSON: &[&str] = &[
            "/",
            "/validate",
            "/static/{file}",
            "/sparql",
            "/catalog",
            "/catalog.ttl",
            "/catalog.rdf",
            "/catalog.jsonld",
            "/catalog.nt",
            "/datasets/{file}",
            "/.well-known/genid/{*rest}",
            "/.well-known/void",
            "/metrics",
            "/sources",
            "/sources/{name}",
        ];
        let router = include_str!("mod.rs");
        let routes: Vec<&str> = router
            .split(".route(")
            .skip(1)
            .filter_map(|rest| rest.trim_start().strip_prefix('"')?.split('"').next())
            .collect();
        assert!(
            routes.len() > 10,
            "routes not found in serve/mod.rs: {routes:?}"
        );
        let doc = super::document("http://localhost", &["no"]);
        for route in routes {
            assert!(
                doc["paths"][route].is_object() || NOT_JSON.contains(&route),
                "route {route} is registered in serve/mod.rs but neither in the OpenAPI document nor in NOT_JSON"
            );
        }
    }

    #[test]
    fn search_parameters_come_from_the_search_module() {
        let doc = super::document("http://localhost", &["no"]);
        let documented: Vec<&str> = doc["paths"]["/api/search"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for name in crate::index::query::PARAMETERS {
            assert!(documented.contains(&name), "{name}");
            assert!(
                !super::search_parameter(name).2.is_empty(),
                "{name} undescribed"
            );
        }
    }

    #[test]
    fn the_document_names_every_json_endpoint() {
        let doc = super::document("http://localhost", &["no"]);
        for path in [
            "/health",
            "/api/sources",
            "/api/sources/{name}/report",
            "/api/validate",
            "/api/search",
            "/api/datasets/{id}",
            "/api/records/{id}",
            "/api/sources/{name}/harvest",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} missing");
        }
    }
}
