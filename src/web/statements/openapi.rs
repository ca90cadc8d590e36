//! This feature's part of the OpenAPI document.

use crate::web::openapi::{
    Op, READ_ONE, READ_QUERY, WRITE, WRITE_ONE, array_of, json_body, json_content, obj, paged, path_param,
    query_param,
};
use serde_json::{Value, json};

/// The paths of bank statements and their lines.
pub fn openapi_paths() -> Value {
    let id = || path_param("id", "integer", "The record's id", json!(1));
    let column = |d: &str| json!({ "type": "string", "description": d });
    json!({
        "/bank-statements": {
            "get": Op { summary: "Imported bank statements, newest first, with their lines' states (finance, admin)", id: "listBankStatements",
                parameters: vec![query_param("page", json!({ "type": "integer", "minimum": 1 }), false, "Page number, from 1")],
                body: None, ok: (200, "One page of statements", json_content(paged("rows"))), errors: READ_QUERY }.build(),
            "post": Op { summary: "Upload a statement (Lloyds, Barclays, NatWest, HSBC CSV, OFX, camt.053, or another CSV with a column mapping); only new lines are added, credits are matched", id: "uploadBankStatement",
                parameters: vec![
                    query_param("format", json!({ "type": "string", "enum": ["lloyds", "barclays", "natwest", "hsbc", "generic", "ofx", "camt053"] }), false, "Detected from the file when left out"),
                    query_param("file_name", column("The file's name, shown on the pages"), false, "The file's name"),
                    query_param("date_column", column("Another bank's CSV: the date column"), false, "Column mapping"),
                    query_param("description_column", column("the description column"), false, "Column mapping"),
                    query_param("amount_column", column("a signed amount column"), false, "Column mapping"),
                    query_param("credit_column", column("a money-in column"), false, "Column mapping"),
                    query_param("debit_column", column("a money-out column"), false, "Column mapping"),
                    query_param("balance_column", column("a balance column"), false, "Column mapping"),
                ],
                body: Some(json!({ "required": true, "content": { "text/csv": { "schema": { "type": "string", "format": "binary" } }, "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } })),
                ok: (201, "What the import did", json_content(obj(&["statement_id", "lines", "new", "auto_matched", "suggested", "unmatched"], json!({
                    "statement_id": { "type": "integer" }, "format": { "type": "string" }, "lines": { "type": "integer" }, "new": { "type": "integer" },
                    "auto_matched": { "type": "integer" }, "suggested": { "type": "integer" }, "unmatched": { "type": "integer" }, "debits": { "type": "integer" } })))),
                errors: WRITE }.build()
        },
        "/bank-statements/{id}/lines": { "get": Op { summary: "A statement's lines in file order: state, candidates with reasons, matched payments", id: "bankStatementLines",
            parameters: vec![id(), query_param("page", json!({ "type": "integer", "minimum": 1 }), false, "Page number, from 1"),
                query_param("state", json!({ "type": "string", "enum": ["unmatched", "suggested", "matched", "ignored", "debit", "refund"] }), false, "Only lines in this state")],
            body: None, ok: (200, "One page of lines", json_content(paged("rows"))), errors: READ_ONE }.build() },
        "/bank-statement-lines/{id}/match": { "post": Op { summary: "Decide a line: confirm a suggestion, choose invoices, keep as a payer's credit, or reject, ignore, refund or undo", id: "matchBankLine",
            parameters: vec![id()],
            body: Some(json_body(obj(&[], json!({
                "suggestion": { "type": "integer", "minimum": 0 },
                "allocations": array_of(obj(&["invoice_id", "amount"], json!({ "invoice_id": { "type": "integer" }, "amount": { "type": "string" } }))),
                "payer_id": { "type": "integer" },
                "invoice_numbers": { "type": "string", "description": "Invoice numbers as typed, all one payer's" },
                "action": { "type": "string", "enum": ["reject", "ignore", "refund", "undo"] } })), Some(json!({ "suggestion": 0 })))),
            ok: (200, "The line's new state", json_content(obj(&["id", "state"], json!({ "id": { "type": "integer" }, "state": { "type": "string" } })))), errors: WRITE_ONE }.build() }
    })
}
