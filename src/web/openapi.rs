//! The OpenAPI 3 description of `/api/v1`: every operation with every status it can answer.
//! Schemathesis checks the running service against it in the test suite.

use axum::Json;
use serde_json::{Map, Value, json};

/// What each error status means, in the words of the document.
fn error_meaning(status: u16) -> &'static str {
    match status {
        400 => {
            "The request cannot be read: not JSON, a query or path that does not parse, a control character, or a session write without its X-CSRF-Token"
        }
        401 => "Not signed in and no valid API token",
        403 => "The caller's role does not allow this",
        404 => "Nothing of that id or name within the caller's partnership and scope",
        409 => "The request conflicts with what is stored (e.g. the invoice is not issued)",
        413 => "The body is too large",
        422 => "A field is not valid; `fields` names each one and says why",
        _ => "An error",
    }
}

pub(crate) fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

pub(crate) fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

pub(crate) fn array_of(schema: Value) -> Value {
    json!({ "type": "array", "items": schema })
}

pub(crate) fn path_param(name: &str, kind: &str, description: &str, example: Value) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": { "type": kind }, "description": description, "example": example })
}

/// A page of a list: its rows under `rows`, with the count over all pages.
pub(crate) fn paged(rows: &str) -> Value {
    json!({ "type": "object", "required": [rows, "total", "page", "pages", "per_page"], "properties": {
        rows: { "type": "array", "items": { "type": "object" } },
        "total": { "type": "integer" }, "page": { "type": "integer" }, "pages": { "type": "integer" }, "per_page": { "type": "integer" } } })
}

pub(crate) fn query_param(name: &str, schema: Value, required: bool, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": required, "schema": schema, "description": description })
}

/// One operation of the document.
pub(crate) struct Op {
    pub summary: &'static str,
    pub id: &'static str,
    pub parameters: Vec<Value>,
    pub body: Option<Value>,
    /// The success status, what it holds, and its content (JSON schema, or a PDF).
    pub ok: (u16, &'static str, Value),
    pub errors: &'static [u16],
}

impl Op {
    pub fn build(self) -> Value {
        let mut responses = Map::new();
        responses.insert(self.ok.0.to_string(), json!({ "description": self.ok.1, "content": self.ok.2 }));
        for status in self.errors {
            responses.insert(
                status.to_string(),
                json!({ "description": error_meaning(*status), "content": json_content(schema_ref("Error")) }),
            );
        }
        let mut op = json!({ "summary": self.summary, "operationId": self.id, "responses": responses });
        if !self.parameters.is_empty() {
            op["parameters"] = json!(self.parameters);
        }
        if let Some(body) = self.body {
            op["requestBody"] = body;
        }
        op
    }
}

pub(crate) fn json_body(schema: Value, example: Option<Value>) -> Value {
    let mut content = json!({ "schema": schema });
    if let Some(example) = example {
        content["example"] = example;
    }
    json!({ "required": true, "content": { "application/json": content } })
}

pub(crate) fn obj(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

/// Errors every signed-in read can answer, and those with a path id or a query too.
pub(crate) const READ: &[u16] = &[400, 401, 403];
pub(crate) const READ_ONE: &[u16] = &[400, 401, 403, 404, 422];
pub(crate) const READ_QUERY: &[u16] = &[400, 401, 403, 422];
pub(crate) const WRITE: &[u16] = &[400, 401, 403, 409, 413, 422];
pub(crate) const WRITE_ONE: &[u16] = &[400, 401, 403, 404, 409, 413, 422];

fn schemas() -> Value {
    let money = json!({ "type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$", "example": "1234.56" });
    let date = json!({ "type": "string", "format": "date" });
    let nullable_date = json!({ "type": "string", "format": "date", "nullable": true });
    let vat_rate =
        json!({ "type": "string", "enum": ["standard", "reduced", "zero", "exempt", "outside_scope"] });
    json!({
        "Error": obj(&["error"], json!({ "error": obj(&["code", "message"], json!({
            "code": { "type": "string", "enum": ["unauthorized", "forbidden", "not_found", "method_not_allowed", "invalid", "conflict", "bad_request", "payload_too_large", "unsupported_media_type", "too_many_requests", "rows_rejected", "internal"] },
            "message": { "type": "string" },
            "fields": array_of(schema_ref("FieldError")),
            "rows": array_of(json!({ "type": "object" })),
            "more_rows": { "type": "integer" }
        })) })),
        "FieldError": obj(&["field", "message"], json!({ "field": { "type": "string" }, "message": { "type": "string" } })),
        "Money": money,
        "LocalAuthority": obj(&["id", "code", "name"], json!({ "id": { "type": "integer" }, "code": { "type": "string" }, "name": { "type": "string" } })),
        "Trust": obj(&["id", "name"], json!({ "id": { "type": "integer" }, "name": { "type": "string" }, "companies_house_number": { "type": "string", "nullable": true } })),
        "School": obj(&["urn", "name", "billing_phase", "status", "needs_pupil_number"], json!({
            "urn": { "type": "integer" }, "name": { "type": "string" },
            "local_authority": schema_ref("LocalAuthority"),
            "type_name": { "type": "string" }, "type_group": { "type": "string", "nullable": true },
            "gias_phase": { "type": "string" }, "billing_phase": { "type": "string" },
            "status": { "type": "string", "enum": ["open", "closed", "proposed_to_close", "proposed_to_open"] },
            "trust": { "allOf": [schema_ref("Trust")], "nullable": true },
            "postcode": { "type": "string", "nullable": true },
            "pupils": { "type": "integer", "nullable": true, "description": "Number on roll in force today; null means it needs one" },
            "needs_pupil_number": { "type": "boolean" }
        })),
        "SchoolPage": obj(&["schools", "total", "page", "per_page", "pages"], json!({
            "schools": array_of(schema_ref("School")),
            "total": { "type": "integer" }, "page": { "type": "integer" }, "per_page": { "type": "integer" }, "pages": { "type": "integer" }
        })),
        "SchoolDetail": { "allOf": [schema_ref("School"), obj(&["history", "links"], json!({
            "establishment_number": { "type": "string", "nullable": true },
            "low_age": { "type": "integer", "nullable": true }, "high_age": { "type": "integer", "nullable": true },
            "open_date": nullable_date, "close_date": nullable_date,
            "history": array_of(obj(&["census_date", "pupils", "source", "in_force"], json!({
                "census_date": date, "pupils": { "type": "integer" },
                "source": { "type": "string", "enum": ["gias_import", "manual", "demo"] },
                "entered_by": { "type": "string", "nullable": true }, "reason": { "type": "string", "nullable": true },
                "recorded_at": { "type": "string", "format": "date-time" }, "in_force": { "type": "boolean" }
            }))),
            "links": array_of(obj(&["urn", "kind"], json!({ "urn": { "type": "integer" }, "kind": { "type": "string" }, "name": { "type": "string", "nullable": true } })))
        }))] },
        "ImportSummary": obj(&["committed", "rows", "rejected", "errors"], json!({
            "committed": { "type": "boolean" }, "rows": { "type": "integer" }, "created": { "type": "integer" },
            "updated": { "type": "integer" }, "unchanged": { "type": "integer" }, "rejected": { "type": "integer" },
            "outside_area": { "type": "integer" }, "pupil_figures_added": { "type": "integer" },
            "errors": array_of(obj(&["line", "column", "reason"], json!({ "line": { "type": "integer" }, "column": { "type": "string" }, "reason": { "type": "string" } }))),
            "errors_not_listed": { "type": "integer" }
        })),
        "FeeRule": { "type": "object", "description": "One of {flat}, {per_pupil, lump_sum?}, {by_phase: {PHASE|default: FeeRule}}, {bands: [{up_to?, flat?, per_pupil?}], mode: volume|graduated}; each may add min and max. Amounts are decimal strings of at most £1,000,000,000.00.",
            "example": { "per_pupil": "19.00", "lump_sum": "300.00", "min": "1000.00" } },
        "Level": obj(&["id", "name", "rule", "vat_rate"], json!({
            "id": { "type": "integer" }, "name": { "type": "string" }, "description": { "type": "string" },
            "rule": schema_ref("FeeRule"), "vat_rate": vat_rate })),
        "Offer": obj(&["id", "year", "billing_plan", "pro_rata_unit", "discounts", "levels"], json!({
            "id": { "type": "integer" }, "year": { "type": "string" }, "billing_plan": { "type": "string", "enum": ["annual", "termly", "monthly"] },
            "pro_rata_unit": { "type": "string", "enum": ["months", "days"] },
            "discounts": { "type": "object", "properties": { "trust_percent": { "type": "string" }, "first_year_percent": { "type": "string" } } },
            "levels": array_of(schema_ref("Level")) })),
        "Me": obj(&["id", "email", "name", "role", "partnership"], json!({
            "id": { "type": "integer" }, "email": { "type": "string" }, "name": { "type": "string" },
            "role": { "type": "string", "enum": ["admin", "finance", "board", "school_business_manager", "commissioner"] },
            "partnership": obj(&["slug", "name"], json!({ "slug": { "type": "string" }, "name": { "type": "string" } })) })),
        "InvoiceSummary": obj(&["id", "status", "payer_name", "year", "period", "gross", "credited", "outstanding", "overdue"], json!({
            "id": { "type": "integer" }, "number": { "type": "string", "nullable": true },
            "status": { "type": "string", "enum": ["draft", "waiting_for_po", "issued"] },
            "payer_name": { "type": "string" }, "year": { "type": "string" }, "period": { "type": "string" },
            "issue_date": nullable_date, "due_date": nullable_date,
            "gross": schema_ref("Money"), "credited": schema_ref("Money"), "outstanding": schema_ref("Money"), "overdue": { "type": "boolean" } })),
        "InvoicePage": obj(&["invoices", "total", "page", "per_page", "pages"], json!({
            "invoices": array_of(schema_ref("InvoiceSummary")),
            "total": { "type": "integer" }, "page": { "type": "integer" }, "per_page": { "type": "integer" }, "pages": { "type": "integer" } })),
        "Invoice": obj(&["id", "status", "payer_name", "lines", "totals", "credited", "outstanding"], json!({
            "id": { "type": "integer" }, "number": { "type": "string", "nullable": true },
            "status": { "type": "string", "enum": ["draft", "waiting_for_po", "issued"] },
            "payer_name": { "type": "string" }, "payer_address": { "type": "string" },
            "lines": array_of(obj(&["id", "description", "net", "vat_rate", "credited"], json!({
                "id": { "type": "integer" }, "description": { "type": "string" }, "net": schema_ref("Money"), "vat_rate": vat_rate, "credited": schema_ref("Money") }))),
            "totals": { "type": "object" }, "credited": schema_ref("Money"), "outstanding": schema_ref("Money"),
            "payment_state": { "type": "string", "nullable": true, "enum": ["issued", "part_paid", "paid", "overdue", "credited", "written_off", null] },
            "money": obj(&["gross", "credited", "allocated", "written_off"], json!({ "gross": schema_ref("Money"), "credited": schema_ref("Money"), "allocated": schema_ref("Money"), "written_off": schema_ref("Money") })),
            "allocations": array_of(json!({ "type": "object" })), "write_offs": array_of(json!({ "type": "object" })) })),
        "CreditNote": obj(&["id", "number", "gross"], json!({ "id": { "type": "integer" }, "number": { "type": "string" }, "gross": schema_ref("Money") })),
        "ModelResult": obj(&["year", "schools", "costs", "costs_total", "options"], json!({
            "year": { "type": "string" }, "schools": { "type": "integer" }, "costs": array_of(json!({ "type": "object" })),
            "costs_total": schema_ref("Money"), "options": array_of(json!({ "type": "object" })) })),
        "SavedScenario": obj(&["id", "name", "scenario", "updated_at"], json!({
            "id": { "type": "integer" }, "name": { "type": "string" }, "scenario": { "type": "object" }, "updated_at": { "type": "string", "format": "date-time" } })),
        "RunPlan": obj(&["year", "period", "invoices", "skipped", "net", "vat", "total"], json!({
            "year": { "type": "string" }, "period": { "type": "string" }, "invoices": array_of(json!({ "type": "object" })),
            "skipped": array_of(json!({ "type": "object" })), "already_raised": { "type": "integer" },
            "net": schema_ref("Money"), "vat": schema_ref("Money"), "total": schema_ref("Money") })),
        "RunSummary": obj(&["run_id", "invoices", "issued", "waiting_for_po", "already_raised", "total"], json!({
            "run_id": { "type": "integer" }, "year": { "type": "string" }, "period": { "type": "string" },
            "invoices": { "type": "integer" }, "issued": { "type": "integer" }, "waiting_for_po": { "type": "integer" },
            "already_raised": { "type": "integer" }, "skipped": array_of(json!({ "type": "object" })),
            "net": schema_ref("Money"), "vat": schema_ref("Money"), "total": schema_ref("Money") }))
    })
}

/// The example scenario in the document: it runs as it stands.
fn model_example() -> Value {
    json!({
        "year": "2026-27",
        "schools": { "phases": ["Primary", "Secondary"] },
        "costs": [
            { "name": "Independent chair", "kind": "core", "days": "12", "day_rate": "750.00" },
            { "name": "SLE support", "kind": "additional", "units": "10", "unit_cost": "500.00" }
        ],
        "options": [
            { "name": "Single partnership fee", "membership_fee": { "per_pupil": "12.00", "min": "1500.00" }, "covers": ["core", "additional"] },
            { "name": "Core only", "membership_fee": { "per_pupil": "6.00" }, "sign_up": "0.9", "covers": ["core"] }
        ],
        "council": { "match": "0.5", "cap": "5000.00" },
        "baseline": { "per_pupil": "10.00" }
    })
}

fn paths() -> Value {
    let urn = || path_param("urn", "integer", "The school's DfE URN", json!(990003));
    let id = || path_param("id", "integer", "The record's id", json!(1));
    let year_path = || path_param("year", "string", "A membership year", json!("2025-26"));
    let name = || path_param("name", "string", "The scenario's name", json!("2026-27 funding options"));
    let text = |d: &str| json!({ "type": "string", "description": d });
    let pdf = json!({ "application/pdf": { "schema": { "type": "string", "format": "binary" } } });
    let school_filters: Vec<Value> = [
        ("q", "Part of the name, or a URN"),
        ("la", "Local authority code"),
        ("phase", "Billing phase: Nursery, Primary, Secondary, All-through, Special, Alternative provision, Post-16, Other"),
        ("type_group", "GIAS type group"),
        ("status", "open, closed, proposed_to_close, proposed_to_open"),
    ]
    .iter()
    .map(|(n, d)| query_param(n, json!({ "type": "string" }), false, d))
    .chain([
        query_param("trust", json!({ "type": "integer" }), false, "Trust id"),
        query_param("needs_pupils", json!({ "type": "boolean" }), false, "true: only schools with no pupil number in force today"),
        query_param("page", json!({ "type": "integer", "minimum": 1 }), false, "Page number, from 1"),
        query_param("per_page", json!({ "type": "integer", "minimum": 1, "maximum": 500 }), false, "Schools per page (default 100)"),
    ])
    .collect();
    let invoice_filters = vec![
        query_param("q", json!({ "type": "string" }), false, "Invoice number, payer or school"),
        query_param(
            "status",
            json!({ "type": "string", "enum": ["draft", "waiting_for_po", "issued"] }),
            false,
            "Status",
        ),
        query_param("year", json!({ "type": "string" }), false, "Membership year"),
        query_param("payer", json!({ "type": "integer" }), false, "Payer id"),
        query_param("overdue", json!({ "type": "boolean" }), false, "true: only overdue invoices"),
        query_param("page", json!({ "type": "integer", "minimum": 1 }), false, "Page number, from 1"),
        query_param(
            "per_page",
            json!({ "type": "integer", "minimum": 1, "maximum": 500 }),
            false,
            "Invoices per page (default 50)",
        ),
    ];
    let level_body = obj(
        &["fee_rule", "vat_rate"],
        json!({
        "name": { "type": "string" }, "description": { "type": "string" }, "fee_rule": schema_ref("FeeRule"), "vat_rate": { "type": "string" } }),
    );
    let any = json!({ "type": "object" });
    json!({
        "/me": { "get": Op { summary: "The caller", id: "me", parameters: vec![], body: None,
            ok: (200, "The caller and their partnership", json_content(schema_ref("Me"))), errors: READ }.build() },
        "/schools": { "get": Op { summary: "The schools the caller can see (a business manager sees their school or trust)", id: "listSchools",
            parameters: school_filters, body: None, ok: (200, "One page of schools", json_content(schema_ref("SchoolPage"))), errors: READ_QUERY }.build() },
        "/schools/{urn}": { "get": Op { summary: "One school with its pupil-number history and links", id: "getSchool",
            parameters: vec![urn()], body: None, ok: (200, "The school", json_content(schema_ref("SchoolDetail"))), errors: READ_ONE }.build() },
        "/schools/{urn}/pupil-numbers": { "post": Op { summary: "Record a pupil number by hand (admin, finance)", id: "addPupilNumber",
            parameters: vec![urn()],
            body: Some(json_body(obj(&["census_date", "pupils", "reason"], json!({
                "census_date": { "type": "string", "example": "16-01-2025" }, "pupils": { "oneOf": [{ "type": "integer" }, { "type": "string" }] }, "reason": { "type": "string" } })), None)),
            ok: (201, "The school with its new figure", json_content(schema_ref("SchoolDetail"))), errors: WRITE_ONE }.build() },
        "/local-authorities": { "get": Op { summary: "The local authorities the caller's schools are in", id: "listLocalAuthorities",
            parameters: vec![], body: None, ok: (200, "Local authorities", json_content(array_of(schema_ref("LocalAuthority")))), errors: READ }.build() },
        "/trusts": { "get": Op { summary: "The trusts the caller's schools belong to", id: "listTrusts",
            parameters: vec![], body: None, ok: (200, "Trusts", json_content(array_of(schema_ref("Trust")))), errors: READ }.build() },
        "/imports/gias": { "post": Op { summary: "Import a GIAS establishment CSV (admin). All-or-nothing unless skip_bad_rows=true.", id: "importGias",
            parameters: vec![
                query_param("skip_bad_rows", json!({ "type": "boolean" }), false, "Import the good rows and report the bad ones"),
                query_param("census_date", json!({ "type": "string" }), false, "DD-MM-YYYY, for files without CensusDate"),
                query_param("la", json!({ "type": "string" }), false, "Only these LA codes, comma-separated"),
            ],
            body: Some(json!({ "required": true, "content": { "text/csv": { "schema": { "type": "string", "format": "binary" } } } })),
            ok: (200, "What the import did", json_content(schema_ref("ImportSummary"))), errors: WRITE }.build() },
        "/offers": {
            "get": Op { summary: "Every membership offer with its levels and fee rules (finance, admin)", id: "listOffers",
                parameters: vec![], body: None, ok: (200, "Offers", json_content(array_of(schema_ref("Offer")))), errors: READ }.build(),
            "post": Op { summary: "Create a year's offer with its levels (every rule checked first; nothing written if any is wrong)", id: "createOffer",
                parameters: vec![],
                body: Some(json_body(obj(&["year", "billing_plan", "levels"], json!({
                    "year": text("e.g. 2027-28"), "billing_plan": { "type": "string", "enum": ["annual", "termly", "monthly"] },
                    "pro_rata_unit": { "type": "string", "enum": ["months", "days"] },
                    "trust_discount_percent": { "type": "string" }, "first_year_discount_percent": { "type": "string" },
                    "levels": array_of(level_body.clone()) })), None)),
                ok: (201, "The offer", json_content(schema_ref("Offer"))), errors: WRITE }.build()
        },
        "/offers/{year}": { "get": Op { summary: "One year's offer", id: "getOffer", parameters: vec![year_path()], body: None,
            ok: (200, "The offer", json_content(schema_ref("Offer"))), errors: READ_ONE }.build() },
        "/offers/{year}/levels/{level}": { "put": Op { summary: "Replace a level's fee rule, description and VAT rate (audited)", id: "updateLevel",
            parameters: vec![year_path(), path_param("level", "string", "The level's name", json!("Core"))],
            body: Some(json_body(level_body, None)), ok: (200, "The level as saved", json_content(schema_ref("Level"))), errors: WRITE_ONE }.build() },
        "/fee-rules/preview": { "post": Op { summary: "What every open school would pay for a year under a fee rule (the same code billing uses)", id: "previewFeeRule",
            parameters: vec![],
            body: Some(json_body(obj(&["year", "rule"], json!({ "year": { "type": "string", "example": "2025-26" }, "rule": schema_ref("FeeRule") })), None)),
            ok: (200, "Each school's fee and the total", json_content(obj(&["total", "schools"], json!({ "total": schema_ref("Money"), "schools": array_of(any.clone()) })))),
            errors: WRITE }.build() },
        "/memberships": {
            "get": Op { summary: "A page of a year's memberships by school name, each with its fee for the year", id: "listMemberships",
                parameters: vec![
                    query_param("year", json!({ "type": "string" }), true, "Membership year"),
                    query_param("page", json!({ "type": "integer", "minimum": 1 }), false, "Page number, from 1"),
                    query_param("q", json!({ "type": "string" }), false, "School name or URN"),
                    query_param("level", json!({ "type": "string" }), false, "Level"),
                    query_param("paid_by", json!({ "type": "string", "enum": ["school", "trust", "council"] }), false, "Who pays"),
                    query_param("phase", json!({ "type": "string" }), false, "Billing phase"),
                ], body: None,
                ok: (200, "One page of memberships", json_content(paged("memberships"))), errors: READ_QUERY }.build(),
            "post": Op { summary: "Enrol a school", id: "joinMembership", parameters: vec![],
                body: Some(json_body(obj(&["urn", "year", "level", "starts_on", "paid_by"], json!({
                    "urn": { "type": "integer" }, "year": { "type": "string" }, "level": { "type": "string" }, "starts_on": { "type": "string", "format": "date" },
                    "ends_on": { "type": "string", "format": "date" }, "paid_by": { "type": "string", "enum": ["school", "trust", "council"] }, "first_year": { "type": "boolean" } })), None)),
                ok: (201, "The new membership's id", json_content(obj(&["id"], json!({ "id": { "type": "integer" } })))), errors: WRITE }.build()
        },
        "/memberships/{id}/leave": { "post": Op { summary: "End a membership on a last day", id: "leaveMembership", parameters: vec![id()],
            body: Some(json_body(obj(&["ends_on"], json!({ "ends_on": { "type": "string", "format": "date" } })), None)),
            ok: (200, "The membership", json_content(any.clone())), errors: WRITE_ONE }.build() },
        "/memberships/{id}/change-level": { "post": Op { summary: "Move to another level from a date (one transaction)", id: "changeLevel", parameters: vec![id()],
            body: Some(json_body(obj(&["level", "from"], json!({ "level": { "type": "string" }, "from": { "type": "string", "format": "date" } })), None)),
            ok: (201, "The new membership", json_content(any.clone())), errors: WRITE_ONE }.build() },
        "/payers": { "get": Op { summary: "A page of payers by name: whether they need a PO, and how many invoices are held", id: "listPayers",
            parameters: vec![
                query_param("page", json!({ "type": "integer", "minimum": 1 }), false, "Page number, from 1"),
                query_param("q", json!({ "type": "string" }), false, "Part of the payer's name"),
                query_param("held", json!({ "type": "boolean" }), false, "true: only payers with held invoices"),
            ], body: None, ok: (200, "One page of payers", json_content(paged("payers"))), errors: READ_QUERY }.build() },
        "/payers/{id}/po": { "post": Op { summary: "Record a payer's PO number for a year; issues their held invoices", id: "recordPo", parameters: vec![id()],
            body: Some(json_body(obj(&["year", "po_number"], json!({ "year": { "type": "string" }, "po_number": { "type": "string" } })), None)),
            ok: (200, "The numbers issued", json_content(obj(&["issued"], json!({ "issued": array_of(json!({ "type": "string" })) })))), errors: WRITE_ONE }.build() },
        "/payers/{id}/requires-po": { "post": Op { summary: "Say whether a payer's invoices wait for a PO number", id: "setRequiresPo", parameters: vec![id()],
            body: Some(json_body(obj(&["requires_po"], json!({ "requires_po": { "type": "boolean" } })), None)),
            ok: (200, "The payer", json_content(any.clone())), errors: WRITE_ONE }.build() },
        "/billing-runs/preview": { "get": Op { summary: "Every invoice a period would raise, totals by phase and payer, schools skipped", id: "previewBillingRun",
            parameters: vec![query_param("year", json!({ "type": "string" }), true, "Membership year"), query_param("period", json!({ "type": "string" }), true, "Billing period")],
            body: None, ok: (200, "The plan", json_content(schema_ref("RunPlan"))), errors: READ_QUERY }.build() },
        "/billing-runs": { "post": Op { summary: "Raise and issue a period's invoices; re-running raises nothing twice", id: "commitBillingRun", parameters: vec![],
            body: Some(json_body(obj(&["year", "period"], json!({ "year": { "type": "string" }, "period": { "type": "string" } })), None)),
            ok: (201, "What the run did", json_content(schema_ref("RunSummary"))), errors: WRITE }.build() },
        "/invoices": { "get": Op { summary: "Invoices the caller may see (all for finance; a business manager's or commissioner's own)", id: "listInvoices",
            parameters: invoice_filters, body: None, ok: (200, "One page of invoices", json_content(schema_ref("InvoicePage"))), errors: READ_QUERY }.build() },
        "/invoices/{id}": { "get": Op { summary: "One invoice with lines, VAT by rate, credits and what is outstanding", id: "getInvoice",
            parameters: vec![id()], body: None, ok: (200, "The invoice", json_content(schema_ref("Invoice"))), errors: READ_ONE }.build() },
        "/invoices/{id}/pdf": { "get": Op { summary: "The invoice as a PDF", id: "getInvoicePdf", parameters: vec![id()], body: None,
            ok: (200, "The PDF", pdf.clone()), errors: &[400, 401, 403, 404, 409, 422] }.build() },
        "/invoices/{id}/credit-notes": { "post": Op { summary: "Credit an issued invoice: chosen lines (each once), an amount, or everything left (void)", id: "creditInvoice",
            parameters: vec![id()],
            body: Some(json_body(obj(&["reason"], json!({
                "reason": { "type": "string", "maxLength": 500 }, "everything": { "type": "boolean" },
                "amount": { "type": "string", "example": "250.00", "description": "A net amount spread over the lines in order" },
                "lines": array_of(obj(&["line_id", "amount"], json!({ "line_id": { "type": "integer" }, "amount": { "type": "string", "example": "100.00" } }))) })), None)),
            ok: (201, "The credit note", json_content(schema_ref("CreditNote"))), errors: WRITE_ONE }.build() },
        "/credit-notes/{id}/pdf": { "get": Op { summary: "A credit note as a PDF", id: "getCreditNotePdf", parameters: vec![id()], body: None,
            ok: (200, "The PDF", pdf), errors: READ_ONE }.build() },
        "/audit": { "get": Op { summary: "A page of the audit log, newest first, each entry in words (finance, admin)", id: "auditLog",
            parameters: vec![
                query_param("page", json!({ "type": "integer", "minimum": 1 }), false, "Page number, from 1"),
                query_param("kind", json!({ "type": "string", "enum": ["invoices", "payments", "bank", "memberships", "offers", "payers", "invoice-settings", "details", "users", "contracts"] }), false, "Kind of change"),
                query_param("from", json!({ "type": "string" }), false, "From this day (DD-MM-YYYY)"),
                query_param("to", json!({ "type": "string" }), false, "To this day (DD-MM-YYYY)"),
                query_param("invoice", json!({ "type": "string" }), false, "An invoice number"),
                query_param("school", json!({ "type": "string" }), false, "A school's URN or part of its name"),
            ], body: None,
            ok: (200, "One page of entries", json_content(paged("entries"))), errors: READ_QUERY }.build() },
        "/funding-models/run": { "post": Op { summary: "Compare a scenario's funding options over the caller's register (board, finance, admin); the format is in the README", id: "runFundingModel",
            parameters: vec![],
            body: Some(json_body(obj(&["year", "costs", "options"], json!({
                "year": { "type": "string" }, "schools": { "type": "object", "description": "filters: phases, type_groups, include_closed" },
                "costs": array_of(any.clone()), "options": array_of(any.clone()),
                "council": { "type": "object" }, "baseline": schema_ref("FeeRule") })), Some(model_example()))),
            ok: (200, "Per option: income, costs covered, surplus, break-even, by phase, schools, sensitivity", json_content(schema_ref("ModelResult"))), errors: WRITE }.build() },
        "/scenarios": { "get": Op { summary: "Saved funding-model scenarios (board, finance, admin)", id: "listScenarios", parameters: vec![], body: None,
            ok: (200, "name, year, options, updated_at", json_content(array_of(any.clone()))), errors: READ }.build() },
        "/scenarios/{name}": {
            "get": Op { summary: "One saved scenario", id: "getScenario", parameters: vec![name()], body: None,
                ok: (200, "The scenario", json_content(schema_ref("SavedScenario"))), errors: READ_ONE }.build(),
            "put": Op { summary: "Save or replace a scenario (finance, admin); it models the partnership's register", id: "putScenario",
                parameters: vec![name()], body: Some(json_body(any.clone(), Some(model_example()))),
                ok: (200, "The saved scenario", json_content(schema_ref("SavedScenario"))), errors: WRITE_ONE }.build()
        },
        "/scenarios/{name}/results": { "get": Op { summary: "A saved scenario's results over the register as it is now", id: "scenarioResults",
            parameters: vec![name()], body: None, ok: (200, "Per option results, as /funding-models/run", json_content(schema_ref("ModelResult"))), errors: READ_ONE }.build() }
    })
}

/// Every path: the core ones and each feature's own.
fn all_paths() -> Value {
    let mut all = paths();
    for more in [
        crate::web::payments::openapi_paths(),
        crate::web::statements::openapi_paths(),
        crate::web::catalogue::openapi_paths(),
        crate::web::contracts::openapi_paths(),
        crate::web::exports::openapi_paths(),
        crate::web::reports::openapi_paths(),
        crate::web::renewals::openapi_paths(),
    ] {
        if let (Some(map), Value::Object(more)) = (all.as_object_mut(), more) {
            map.extend(more);
        }
    }
    all
}

/// Builds the OpenAPI document.
pub fn openapi() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Partnership Billing API",
            "version": "1",
            "description": "The register of schools, membership fees, billing runs, invoices, credit notes and funding models. Authenticate with `Authorization: Bearer TOKEN` (create a token with `partnership-billing create-token`) or the session cookie; writes with the cookie need the `X-CSRF-Token` header. Every error is `{\"error\": {\"code\", \"message\"}}`, with `fields` naming each invalid field. Amounts are decimal strings; no amount may exceed 1000000000.00."
        },
        "servers": [{ "url": "/api/v1" }],
        "components": {
            "securitySchemes": {
                "token": { "type": "http", "scheme": "bearer" },
                "session": { "type": "apiKey", "in": "cookie", "name": "pb_session" }
            },
            "schemas": schemas()
        },
        "security": [{ "token": [] }, { "session": [] }],
        "paths": all_paths()
    })
}

pub async fn document() -> Json<Value> {
    Json(openapi())
}
