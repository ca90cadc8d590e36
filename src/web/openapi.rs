//! The OpenAPI 3 description of `/api/v1`.

use axum::Json;
use serde_json::{Value, json};

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn ok(schema: &str) -> Value {
    json!({ "description": "OK", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn standard_errors() -> Value {
    json!({
        "401": error_response("Not signed in and no valid API token"),
        "403": error_response("The caller's role does not allow this"),
    })
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Some(b)) = (a.as_object_mut(), b.as_object()) {
        for (k, v) in b {
            a.insert(k.clone(), v.clone());
        }
    }
    a
}

/// Builds the OpenAPI document.
pub fn openapi() -> Value {
    let urn_param = json!({ "name": "urn", "in": "path", "required": true, "schema": { "type": "integer" }, "description": "The school's DfE URN" });
    let list_params: Vec<Value> = [
        ("q", "Part of the name, or a URN"),
        ("la", "Local authority code"),
        ("phase", "Billing phase: Nursery, Primary, Secondary, All-through, Special, Alternative provision, Post-16, Other"),
        ("type_group", "GIAS type group"),
        ("status", "open, closed, proposed_to_close, proposed_to_open"),
        ("trust", "Trust id"),
        ("needs_pupils", "true: only schools with no pupil number in force today"),
        ("page", "Page number, from 1"),
        ("per_page", "Schools per page, 1 to 500 (default 100)"),
    ]
    .iter()
    .map(|(name, d)| json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": d }))
    .collect();
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Partnership Billing API",
            "version": "1",
            "description": "The register of schools and, as they arrive, fees, invoices and reports. Authenticate with `Authorization: Bearer TOKEN` (create a token with `partnership-billing create-token`) or the session cookie; writes with the cookie need the `X-CSRF-Token` header. Every error is `{\"error\": {\"code\", \"message\"}}`."
        },
        "servers": [{ "url": "/api/v1" }],
        "components": {
            "securitySchemes": {
                "token": { "type": "http", "scheme": "bearer" },
                "session": { "type": "apiKey", "in": "cookie", "name": "pb_session" }
            },
            "schemas": {
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": {
                        "code": { "type": "string", "enum": ["unauthorized", "forbidden", "not_found", "invalid", "conflict", "bad_request", "rows_rejected", "internal"] },
                        "message": { "type": "string" },
                        "fields": { "type": "array", "items": { "$ref": "#/components/schemas/FieldError" } }
                    } } }
                },
                "FieldError": { "type": "object", "properties": { "field": { "type": "string" }, "message": { "type": "string" } } },
                "LocalAuthority": { "type": "object", "properties": { "id": { "type": "integer" }, "code": { "type": "string" }, "name": { "type": "string" } } },
                "Trust": { "type": "object", "properties": { "id": { "type": "integer" }, "name": { "type": "string" }, "companies_house_number": { "type": "string", "nullable": true } } },
                "School": { "type": "object", "properties": {
                    "urn": { "type": "integer" }, "name": { "type": "string" },
                    "local_authority": { "$ref": "#/components/schemas/LocalAuthority" },
                    "type_name": { "type": "string" }, "type_group": { "type": "string", "nullable": true },
                    "gias_phase": { "type": "string" }, "billing_phase": { "type": "string" },
                    "status": { "type": "string" }, "trust": { "allOf": [{ "$ref": "#/components/schemas/Trust" }], "nullable": true },
                    "postcode": { "type": "string", "nullable": true },
                    "pupils": { "type": "integer", "nullable": true, "description": "Number on roll in force today; null means it needs one" },
                    "needs_pupil_number": { "type": "boolean" }
                } },
                "SchoolPage": { "type": "object", "properties": {
                    "schools": { "type": "array", "items": { "$ref": "#/components/schemas/School" } },
                    "total": { "type": "integer" }, "page": { "type": "integer" }, "per_page": { "type": "integer" }, "pages": { "type": "integer" }
                } },
                "SchoolDetail": { "allOf": [{ "$ref": "#/components/schemas/School" }, { "type": "object", "properties": {
                    "establishment_number": { "type": "string", "nullable": true },
                    "low_age": { "type": "integer", "nullable": true }, "high_age": { "type": "integer", "nullable": true },
                    "open_date": { "type": "string", "format": "date", "nullable": true }, "close_date": { "type": "string", "format": "date", "nullable": true },
                    "history": { "type": "array", "items": { "type": "object", "properties": {
                        "census_date": { "type": "string", "format": "date" }, "pupils": { "type": "integer" },
                        "source": { "type": "string", "enum": ["gias_import", "manual", "demo"] },
                        "entered_by": { "type": "string", "nullable": true }, "reason": { "type": "string", "nullable": true },
                        "recorded_at": { "type": "string", "format": "date-time" }, "in_force": { "type": "boolean" }
                    } } },
                    "links": { "type": "array", "items": { "type": "object", "properties": {
                        "urn": { "type": "integer" }, "kind": { "type": "string" }, "name": { "type": "string", "nullable": true }
                    } } }
                } }] },
                "ImportSummary": { "type": "object", "properties": {
                    "committed": { "type": "boolean" }, "rows": { "type": "integer" }, "created": { "type": "integer" },
                    "updated": { "type": "integer" }, "unchanged": { "type": "integer" }, "rejected": { "type": "integer" },
                    "outside_area": { "type": "integer" }, "pupil_figures_added": { "type": "integer" },
                    "errors": { "type": "array", "items": { "type": "object", "properties": {
                        "line": { "type": "integer" }, "column": { "type": "string" }, "reason": { "type": "string" } } } }
                } },
                "Me": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "email": { "type": "string" }, "name": { "type": "string" },
                    "role": { "type": "string", "enum": ["admin", "finance", "board", "school_business_manager", "commissioner"] },
                    "partnership": { "type": "object", "properties": { "slug": { "type": "string" }, "name": { "type": "string" } } }
                } }
            }
        },
        "security": [{ "token": [] }, { "session": [] }],
        "paths": {
            "/me": { "get": { "summary": "The caller", "operationId": "me", "responses": merge(json!({ "200": ok("Me") }), standard_errors()) } },
            "/schools": { "get": {
                "summary": "The schools the caller can see (a business manager sees their school or trust)",
                "operationId": "listSchools", "parameters": list_params,
                "responses": merge(json!({ "200": ok("SchoolPage"), "422": error_response("A filter value is not valid") }), standard_errors())
            } },
            "/schools/{urn}": { "get": {
                "summary": "One school with its pupil-number history and links", "operationId": "getSchool",
                "parameters": [urn_param.clone()],
                "responses": merge(json!({ "200": ok("SchoolDetail"), "404": error_response("No such school within the caller's scope") }), standard_errors())
            } },
            "/schools/{urn}/pupil-numbers": { "post": {
                "summary": "Record a pupil number by hand (admin, finance)", "operationId": "addPupilNumber",
                "parameters": [urn_param],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["census_date", "pupils", "reason"], "properties": {
                    "census_date": { "type": "string", "example": "16-01-2025" }, "pupils": { "type": "integer" }, "reason": { "type": "string" } } } } } },
                "responses": merge(json!({ "201": ok("SchoolDetail"), "404": error_response("No such school"), "422": error_response("A field is not valid") }), standard_errors())
            } },
            "/local-authorities": { "get": { "summary": "The partnership's local authorities", "operationId": "listLocalAuthorities",
                "responses": merge(json!({ "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/LocalAuthority" } } } } } }), standard_errors()) } },
            "/trusts": { "get": { "summary": "The partnership's trusts", "operationId": "listTrusts",
                "responses": merge(json!({ "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Trust" } } } } } }), standard_errors()) } },
            "/imports/gias": { "post": {
                "summary": "Import a GIAS establishment CSV (admin). All-or-nothing unless skip_bad_rows=true.",
                "operationId": "importGias",
                "parameters": [
                    { "name": "skip_bad_rows", "in": "query", "schema": { "type": "boolean" } },
                    { "name": "census_date", "in": "query", "schema": { "type": "string" }, "description": "DD-MM-YYYY, for files without CensusDate" },
                    { "name": "la", "in": "query", "schema": { "type": "string" }, "description": "Only these LA codes, comma-separated" }
                ],
                "requestBody": { "required": true, "content": { "text/csv": { "schema": { "type": "string", "format": "binary" } } } },
                "responses": merge(json!({ "200": ok("ImportSummary"), "422": error_response("Rows were rejected; nothing was imported") }), standard_errors())
            } }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(openapi())
}
