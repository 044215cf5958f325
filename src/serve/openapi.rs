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
            "description": "Health, steward and validation endpoints of katalog. The SPARQL endpoint (/sparql), the DCAT-AP export (/catalog), the record pages (/datasets/{id}) and /.well-known/void speak RDF and describe themselves; /metrics is Prometheus text.",
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
                            "application/ld+json": { "schema": { "type": ["array", "object"] } }
                        }
                    },
                    "responses": {
                        "200": rdf("The sh:ValidationReport: JSON-LD, or by Accept Turtle, N-Triples, RDF/XML or the linter's text; the X-Katalog-Conforms header says whether it conforms"),
                        "400": text("Unknown profile, or a document that does not parse"),
                        "413": text("The body is larger than server.max_body_bytes")
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
            "schemas": {
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
    #[test]
    fn the_document_names_every_json_endpoint() {
        let doc = super::document("http://localhost", &["no"]);
        for path in [
            "/health",
            "/api/sources",
            "/api/sources/{name}/report",
            "/api/validate",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} missing");
        }
    }
}
