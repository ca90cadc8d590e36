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
                "FeeRule": { "type": "object", "description": "One of {flat}, {per_pupil, lump_sum?}, {by_phase: {PHASE|default: FeeRule}}, {bands: [{up_to?, flat?, per_pupil?}], mode: volume|graduated}; each may add min and max. Amounts are decimal strings.",
                    "additionalProperties": true, "example": { "per_pupil": "19.00", "lump_sum": "300.00", "min": "1000.00" } },
                "Offer": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "year": { "type": "string" }, "billing_plan": { "type": "string", "enum": ["annual", "termly", "monthly"] },
                    "pro_rata_unit": { "type": "string", "enum": ["months", "days"] },
                    "discounts": { "type": "object", "properties": { "trust_percent": { "type": "string" }, "first_year_percent": { "type": "string" } } },
                    "levels": { "type": "array", "items": { "type": "object", "properties": {
                        "id": { "type": "integer" }, "name": { "type": "string" }, "description": { "type": "string" },
                        "rule": { "$ref": "#/components/schemas/FeeRule" },
                        "vat_rate": { "type": "string", "enum": ["standard", "reduced", "zero", "exempt", "outside_scope"] } } } }
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
            "/offers": {
                "get": { "summary": "Every membership offer with its levels and fee rules (finance, admin)", "operationId": "listOffers",
                    "responses": merge(json!({ "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Offer" } } } } } }), standard_errors()) },
                "post": { "summary": "Create a year's offer with its levels (every rule checked first; nothing written if any is wrong)", "operationId": "createOffer",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["year", "billing_plan", "levels"], "properties": {
                        "year": { "type": "string" }, "billing_plan": { "type": "string", "enum": ["annual", "termly", "monthly"] }, "pro_rata_unit": { "type": "string", "enum": ["months", "days"] },
                        "trust_discount_percent": { "type": "string" }, "first_year_discount_percent": { "type": "string" },
                        "levels": { "type": "array", "items": { "type": "object", "properties": { "name": { "type": "string" }, "description": { "type": "string" }, "fee_rule": { "$ref": "#/components/schemas/FeeRule" }, "vat_rate": { "type": "string" } } } } } } } } },
                    "responses": merge(json!({ "201": ok("Offer"), "422": error_response("A field or rule is not valid; each problem names its place") }), standard_errors()) }
            },
            "/offers/{year}/levels/{level}": { "put": { "summary": "Replace a level's fee rule, description and VAT rate (audited)", "operationId": "updateLevel",
                "parameters": [{ "name": "year", "in": "path", "required": true, "schema": { "type": "string" } }, { "name": "level", "in": "path", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["fee_rule", "vat_rate"], "properties": {
                    "description": { "type": "string" }, "fee_rule": { "$ref": "#/components/schemas/FeeRule" }, "vat_rate": { "type": "string" } } } } } },
                "responses": merge(json!({ "200": { "description": "The level as saved" }, "422": error_response("The rule or VAT rate is not valid") }), standard_errors()) } },
            "/memberships/{id}/leave": { "post": { "summary": "End a membership on a last day", "operationId": "leaveMembership",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["ends_on"], "properties": { "ends_on": { "type": "string", "format": "date" } } } } } },
                "responses": merge(json!({ "200": { "description": "The membership" }, "422": error_response("Leaving before joining") }), standard_errors()) } },
            "/memberships/{id}/change-level": { "post": { "summary": "Move to another level from a date (one transaction)", "operationId": "changeLevel",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["level", "from"], "properties": { "level": { "type": "string" }, "from": { "type": "string", "format": "date" } } } } } },
                "responses": merge(json!({ "201": { "description": "The new membership" }, "422": error_response("Not a level, or a bad date") }), standard_errors()) } },
            "/payers": { "get": { "summary": "Payers, whether they need a PO, and how many invoices are held", "operationId": "listPayers",
                "responses": merge(json!({ "200": { "description": "OK" } }), standard_errors()) } },
            "/payers/{id}/po": { "post": { "summary": "Record a payer's PO number for a year; issues their held invoices", "operationId": "recordPo",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["year", "po_number"], "properties": { "year": { "type": "string" }, "po_number": { "type": "string" } } } } } },
                "responses": merge(json!({ "200": { "description": "The numbers issued" } }), standard_errors()) } },
            "/payers/{id}/requires-po": { "post": { "summary": "Say whether a payer's invoices wait for a PO number", "operationId": "setRequiresPo",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["requires_po"], "properties": { "requires_po": { "type": "boolean" } } } } } },
                "responses": merge(json!({ "200": { "description": "OK" } }), standard_errors()) } },
            "/credit-notes/{id}/pdf": { "get": { "summary": "A credit note as a PDF", "operationId": "getCreditNotePdf",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": merge(json!({ "200": { "description": "The PDF", "content": { "application/pdf": {} } } }), standard_errors()) } },
            "/funding-models/run": { "post": { "summary": "Compare a scenario's funding options over the caller's register (board, finance, admin); the scenario format is in the README", "operationId": "runFundingModel",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["year", "costs", "options"], "properties": {
                    "year": { "type": "string" }, "schools": { "type": "object", "description": "filters: phases, type_groups, include_closed" },
                    "costs": { "type": "array", "items": { "type": "object" } }, "options": { "type": "array", "items": { "type": "object" } },
                    "council": { "type": "object" }, "baseline": { "$ref": "#/components/schemas/FeeRule" } } } } } },
                "responses": merge(json!({ "200": { "description": "Per option: income, costs_covered, surplus, break_even, by_phase, schools, sensitivity" }, "422": error_response("The scenario is not valid") }), standard_errors()) } },
            "/scenarios": { "get": { "summary": "Saved funding-model scenarios (board, finance, admin)", "operationId": "listScenarios",
                "responses": merge(json!({ "200": { "description": "name, year, options, updated_at" } }), standard_errors()) } },
            "/scenarios/{name}": {
                "get": { "summary": "One saved scenario", "operationId": "getScenario",
                    "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "responses": merge(json!({ "200": { "description": "The scenario" }, "404": error_response("No scenario of that name") }), standard_errors()) },
                "put": { "summary": "Save or replace a scenario (finance, admin); it models the partnership's register", "operationId": "putScenario",
                    "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object" } } } },
                    "responses": merge(json!({ "200": { "description": "The saved scenario" }, "422": error_response("A fee rule or the name is not valid") }), standard_errors()) }
            },
            "/scenarios/{name}/results": { "get": { "summary": "A saved scenario's results over the register as it is now", "operationId": "scenarioResults",
                "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": merge(json!({ "200": { "description": "Per option results, as /funding-models/run" } }), standard_errors()) } },
            "/audit": { "get": { "summary": "The newest 500 audit-log entries (finance, admin)", "operationId": "auditLog",
                "responses": merge(json!({ "200": { "description": "OK" } }), standard_errors()) } },
            "/offers/{year}": { "get": { "summary": "One year's offer", "operationId": "getOffer",
                "parameters": [{ "name": "year", "in": "path", "required": true, "schema": { "type": "string", "example": "2025-26" } }],
                "responses": merge(json!({ "200": ok("Offer"), "404": error_response("No offer for that year") }), standard_errors()) } },
            "/fee-rules/preview": { "post": { "summary": "What every open school would pay for a year under a fee rule (the same code billing uses)", "operationId": "previewFeeRule",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["year", "rule"], "properties": {
                    "year": { "type": "string", "example": "2025-26" }, "rule": { "$ref": "#/components/schemas/FeeRule" } } } } } },
                "responses": merge(json!({ "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "object", "properties": {
                    "total": { "type": "string" }, "schools": { "type": "array", "items": { "type": "object" } } } } } } }, "422": error_response("The rule is not valid; the message says where") }), standard_errors()) } },
            "/memberships": {
                "get": { "summary": "A year's memberships", "operationId": "listMemberships",
                    "parameters": [{ "name": "year", "in": "query", "required": true, "schema": { "type": "string" } }],
                    "responses": merge(json!({ "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "array", "items": { "type": "object" } } } } } }), standard_errors()) },
                "post": { "summary": "Enrol a school", "operationId": "joinMembership",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["urn", "year", "level", "starts_on", "paid_by"], "properties": {
                        "urn": { "type": "integer" }, "year": { "type": "string" }, "level": { "type": "string" }, "starts_on": { "type": "string", "format": "date" },
                        "ends_on": { "type": "string", "format": "date" }, "paid_by": { "type": "string", "enum": ["school", "trust", "council"] }, "first_year": { "type": "boolean" } } } } } },
                    "responses": merge(json!({ "201": { "description": "Created" }, "422": error_response("A field is not valid") }), standard_errors()) }
            },
            "/billing-runs/preview": { "get": { "summary": "Every invoice a period would raise, totals by phase and payer, schools skipped", "operationId": "previewBillingRun",
                "parameters": [{ "name": "year", "in": "query", "required": true, "schema": { "type": "string" } }, { "name": "period", "in": "query", "required": true, "schema": { "type": "string" } }],
                "responses": merge(json!({ "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } }, "422": error_response("No offer, or no such period") }), standard_errors()) } },
            "/billing-runs": { "post": { "summary": "Raise and issue a period's invoices; re-running raises nothing twice", "operationId": "commitBillingRun",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["year", "period"], "properties": { "year": { "type": "string" }, "period": { "type": "string" } } } } } },
                "responses": merge(json!({ "201": { "description": "The run's summary: invoices, issued, waiting_for_po, already_raised, net, vat, total" } }), standard_errors()) } },
            "/invoices": { "get": { "summary": "Invoices the caller may see (all for finance; a business manager's or commissioner's own)", "operationId": "listInvoices",
                "parameters": [
                    { "name": "q", "in": "query", "schema": { "type": "string" }, "description": "Invoice number, payer or school" },
                    { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["draft", "waiting_for_po", "issued"] } },
                    { "name": "year", "in": "query", "schema": { "type": "string" } },
                    { "name": "payer", "in": "query", "schema": { "type": "integer" } },
                    { "name": "overdue", "in": "query", "schema": { "type": "boolean" } }
                ],
                "responses": merge(json!({ "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "array", "items": { "type": "object" } } } } } }), standard_errors()) } },
            "/invoices/{id}": { "get": { "summary": "One invoice with lines, VAT by rate, credits and what is outstanding", "operationId": "getInvoice",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": merge(json!({ "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } }, "404": error_response("No such invoice for the caller") }), standard_errors()) } },
            "/invoices/{id}/pdf": { "get": { "summary": "The invoice as a PDF", "operationId": "getInvoicePdf",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": merge(json!({ "200": { "description": "The PDF", "content": { "application/pdf": {} } }, "409": error_response("Not numbered yet: waiting for a PO") }), standard_errors()) } },
            "/invoices/{id}/credit-notes": { "post": { "summary": "Credit an issued invoice, by line or everything left (void)", "operationId": "creditInvoice",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["reason"], "properties": {
                    "reason": { "type": "string" }, "everything": { "type": "boolean" }, "amount": { "type": "string", "example": "250.00", "description": "A net amount spread over the lines in order" },
                    "lines": { "type": "array", "items": { "type": "object", "properties": { "line_id": { "type": "integer" }, "amount": { "type": "string", "example": "100.00" } } } } } } } } },
                "responses": merge(json!({ "201": { "description": "The credit note's id, number and gross" }, "422": error_response("More than is left, or no reason"), "409": error_response("The invoice is not issued") }), standard_errors()) } },
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
