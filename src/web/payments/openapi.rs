//! This feature's part of the OpenAPI document.

use crate::web::openapi::{
    Op, READ_ONE, READ_QUERY, WRITE, WRITE_ONE, array_of, json_body, json_content, obj, paged, path_param,
    query_param,
};
use serde_json::{Value, json};

/// The paths of payments, allocations, refunds, write-offs, settlements, statements, aged debt
/// and the ledger check.
pub fn openapi_paths() -> Value {
    let id = || path_param("id", "integer", "The record's id", json!(1));
    let money = json!({ "type": "string", "example": "120.00", "description": "An amount in pounds, up to 1000000000.00" });
    let date = json!({ "type": "string", "format": "date" });
    let any = json!({ "type": "object" });
    let methods = json!({ "type": "string", "enum": ["bank_transfer", "bacs_credit", "card", "direct_debit", "cheque", "cash", "council_budget_deduction"] });
    let allocations = array_of(obj(
        &["invoice_id", "amount"],
        json!({ "invoice_id": { "type": "integer" }, "amount": money }),
    ));
    let how = json!({ "type": "string", "enum": ["oldest_first", "none"], "description": "Without `allocations`: oldest first (the default) or not yet" });
    let reason = obj(&["reason"], json!({ "reason": { "type": "string", "maxLength": 500 } }));
    let payment = obj(
        &["id", "payer_id", "amount", "allocated", "unallocated", "allocations"],
        json!({ "id": { "type": "integer" }, "payer_id": { "type": "integer" }, "amount": { "type": "string" },
                "allocated": { "type": "string" }, "refunded": { "type": "string" }, "unallocated": { "type": "string" },
                "allocations": array_of(any.clone()) }),
    );
    // A payment that came through Stripe is refunded through Stripe: 202, recorded when Stripe
    // confirms it (503 when Stripe does not answer).
    let mut refund_op = Op { summary: "Refund money of a payment that is not allocated (through Stripe when it came through Stripe)", id: "refundPayment", parameters: vec![id()],
        body: Some(json_body(obj(&["amount", "refunded_on", "method", "reason"], json!({
            "amount": money, "refunded_on": date, "method": methods, "reason": { "type": "string", "maxLength": 500 } })), None)),
        ok: (201, "The refund", json_content(obj(&["id", "amount"], json!({ "id": { "type": "integer" }, "amount": { "type": "string" } })))), errors: WRITE_ONE }.build();
    refund_op["responses"]["202"] = json!({ "description": "Asked of Stripe; recorded when Stripe confirms it",
        "content": json_content(obj(&["stripe_refund", "state", "amount"], json!({ "stripe_refund": { "type": "string" }, "state": { "type": "string", "enum": ["requested"] }, "amount": { "type": "string" } }))) });
    refund_op["responses"]["503"] = json!({ "description": "Stripe did not answer or refused; nothing was refunded", "content": json_content(crate::web::openapi::schema_ref("Error")) });
    json!({
        "/payments": {
            "get": Op { summary: "A page of payments, newest first (finance, admin)", id: "listPayments",
                parameters: vec![
                    query_param("page", json!({ "type": "integer", "minimum": 1 }), false, "Page number, from 1"),
                    query_param("payer", json!({ "type": "integer" }), false, "Only this payer's"),
                    query_param("q", json!({ "type": "string" }), false, "Part of the reference or payer's name"),
                    query_param("with_credit", json!({ "type": "boolean" }), false, "Only payments with money not yet allocated"),
                ], body: None, ok: (200, "One page of payments", json_content(paged("rows"))), errors: READ_QUERY }.build(),
            "post": Op { summary: "Record a payment and allocate it (oldest first, chosen, or not yet)", id: "recordPayment", parameters: vec![],
                body: Some(json_body(obj(&["payer_id", "received_on", "amount", "method"], json!({
                    "payer_id": { "type": "integer" }, "received_on": date, "amount": money, "method": methods,
                    "reference": { "type": "string", "maxLength": 140 }, "allocate": how, "allocations": allocations })),
                    Some(json!({ "payer_id": 1, "received_on": "2026-11-02", "amount": "120.00", "method": "bank_transfer", "reference": "RH000001" })))),
                ok: (201, "The payment with its allocations", json_content(payment.clone())), errors: WRITE }.build()
        },
        "/payments/{id}": { "get": Op { summary: "One payment with its allocations", id: "getPayment", parameters: vec![id()], body: None,
            ok: (200, "The payment", json_content(payment.clone())), errors: READ_ONE }.build() },
        "/payments/{id}/allocations": { "post": Op { summary: "Allocate what is left of a payment", id: "allocatePayment", parameters: vec![id()],
            body: Some(json_body(obj(&[], json!({ "allocate": how, "allocations": allocations })), None)),
            ok: (200, "The payment", json_content(payment.clone())), errors: WRITE_ONE }.build() },
        "/payments/{id}/reverse": { "post": Op { summary: "Reverse a payment (a bounced cheque): its allocations are undone, the record stays", id: "reversePayment",
            parameters: vec![id()], body: Some(json_body(reason.clone(), None)),
            ok: (200, "The payment", json_content(payment.clone())), errors: WRITE_ONE }.build() },
        "/payments/{id}/refunds": { "post": refund_op },
        "/allocations/{id}/undo": { "post": Op { summary: "Undo one allocation (a mis-match); it is kept, marked undone", id: "undoAllocation",
            parameters: vec![id()], body: Some(json_body(reason.clone(), None)),
            ok: (200, "The payment", json_content(payment)), errors: WRITE_ONE }.build() },
        "/invoices/{id}/write-offs": { "post": Op { summary: "Write off part or all of what an invoice owes", id: "writeOff", parameters: vec![id()],
            body: Some(json_body(obj(&["kind", "reason"], json!({
                "amount": money, "kind": { "type": "string", "enum": ["small_remainder", "bad_debt"] }, "reason": { "type": "string", "maxLength": 500 } })), None)),
            ok: (201, "The write-off", json_content(obj(&["id", "amount"], json!({ "id": { "type": "integer" }, "amount": { "type": "string" } })))), errors: WRITE_ONE }.build() },
        "/settlements": { "post": Op { summary: "A council budget deduction settling many schools' invoices in full", id: "recordSettlement", parameters: vec![],
            body: Some(json_body(obj(&["reference", "settled_on", "invoice_ids"], json!({
                "council_payer_id": { "type": "integer" }, "reference": { "type": "string", "maxLength": 140 }, "settled_on": date,
                "invoice_ids": array_of(json!({ "type": "integer" })) })), None)),
            ok: (201, "The settlement", json_content(obj(&["id", "reference"], json!({ "id": { "type": "integer" }, "reference": { "type": "string" } })))), errors: WRITE }.build() },
        "/payers/{id}/statement": { "get": Op { summary: "A payer's statement of account: opening balance, each document, closing balance, what is overdue", id: "payerStatement",
            parameters: vec![id(), query_param("from", json!({ "type": "string", "format": "date" }), false, "First day"), query_param("to", json!({ "type": "string", "format": "date" }), false, "Last day")],
            body: None, ok: (200, "The account", json_content(obj(&["payer_id", "opening_balance", "entries", "closing_balance", "outstanding", "credit"], json!({
                "payer_id": { "type": "integer" }, "opening_balance": { "type": "string" }, "entries": array_of(any.clone()),
                "closing_balance": { "type": "string" }, "outstanding": { "type": "string" }, "credit": { "type": "string" } })))), errors: READ_ONE }.build() },
        "/aged-debt": { "get": Op { summary: "What every payer owes by age: not yet due, 1-30, 31-60, 61-90, over 90 days overdue", id: "agedDebt",
            parameters: vec![query_param("page", json!({ "type": "integer", "minimum": 1 }), false, "Page number, from 1")],
            body: None, ok: (200, "The total and one page of payers", json_content(paged("rows"))), errors: READ_QUERY }.build() },
        "/ledger-check": { "get": Op { summary: "Check every account of the partnership adds up; each breach in words", id: "ledgerCheck", parameters: vec![], body: None,
            ok: (200, "The result", json_content(obj(&["ok", "breaches"], json!({ "ok": { "type": "boolean" }, "breaches": array_of(json!({ "type": "string" })) })))), errors: &[400, 401, 403] }.build() }
    })
}
