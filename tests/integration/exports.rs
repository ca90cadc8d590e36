//! Accounting exports and the VAT summary through the API: Xero's columns and rows for the
//! year's invoices and a credit note, the export recorded and made again identically, box 1 and
//! box 6 against the documents themselves, and bad ranges refused.

use crate::ledger::Books;
use crate::on_both_databases;
use axum::http::StatusCode;
use entity::{credit_note, credit_note_rate, invoice, invoice_line};
use partnership_billing::domain::exports::XERO_HEADER;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

async fn exports(backend: crate::helpers::Backend) {
    let mut books = Books::unbilled(backend).await;
    books.app = books.app.on_day(chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap());
    books.bill().await;
    let db = &books.app.db;
    let issued = invoice::Entity::find().filter(invoice::Column::Status.eq("issued")).all(db).await.unwrap();
    assert!(!issued.is_empty());
    let first = &issued[0];
    let line = invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.eq(first.id))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let (status, note) = books
        .post(
            &format!("/api/v1/invoices/{}/credit-notes", first.id),
            json!({ "reason": "pupil number corrected", "lines": [{ "line_id": line.id, "amount": "100.00" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");

    // The VAT summary against the documents themselves.
    let summary = books.get("/api/v1/vat-summary?from=2026-07-01&to=2026-09-30").await;
    let notes = credit_note::Entity::find().all(db).await.unwrap();
    let note_rates = credit_note_rate::Entity::find().all(db).await.unwrap();
    let vat: i64 =
        issued.iter().map(|i| i.vat_pence).sum::<i64>() - notes.iter().map(|n| n.vat_pence).sum::<i64>();
    let ids: Vec<i64> = issued.iter().map(|i| i.id).collect();
    let lines = invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.is_in(ids))
        .all(db)
        .await
        .unwrap();
    let net: i64 = lines.iter().filter(|l| l.vat_rate != "outside_scope").map(|l| l.net_pence).sum::<i64>()
        - note_rates.iter().filter(|r| r.vat_rate != "outside_scope").map(|r| r.net_pence).sum::<i64>();
    let pence = |v: &serde_json::Value| {
        let (p, d) = v.as_str().unwrap().split_once('.').unwrap();
        p.parse::<i64>().unwrap() * 100 + d.parse::<i64>().unwrap()
    };
    assert_eq!(pence(&summary["box1"]), vat, "{summary}");
    assert_eq!(pence(&summary["box6"]), net, "{summary}");
    let outside = books.get("/api/v1/vat-summary?from=2026-10-01&to=2026-12-31").await;
    assert_eq!(
        (outside["box1"].as_str(), outside["rates"].as_array().map(Vec::len)),
        (Some("0.00"), Some(0))
    );

    // Account codes by income stream: a bad one is refused, naming the stream.
    let (status, e) =
        books.post("/api/v1/account-codes", json!({ "codes": { "memberships": "40 00!" } })).await;
    assert_eq!(
        (status, e["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("memberships")),
        "{e}"
    );
    let (status, codes) =
        books.post("/api/v1/account-codes", json!({ "codes": { "memberships": "4000", "grant": "" } })).await;
    assert_eq!(status, StatusCode::OK, "{codes}");
    assert!(
        codes["codes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["stream"] == "memberships" && c["account_code"] == "4000")
    );

    // An export of the quarter: recorded, with its documents.
    let (status, made) = books
        .post("/api/v1/exports", json!({ "format": "xero", "from": "2026-07-01", "to": "2026-09-30" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(
        (made["invoices"].as_i64(), made["credit_notes"].as_i64(), made["files"].as_i64()),
        (Some(issued.len() as i64), Some(1), Some(1))
    );
    let listed = books.get("/api/v1/exports").await;
    assert_eq!(listed["exports"][0]["id"], made["id"]);
    let path = format!("/api/v1/exports/{}/files/1", made["id"]);
    let auth = [("authorization", books.bearer.as_str())];
    let file = books.app.client().get_with(&path, &auth).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = String::from_utf8(file.body.clone()).unwrap();
    let mut rows = text.split("\r\n").filter(|r| !r.is_empty());
    assert_eq!(rows.next().unwrap(), XERO_HEADER.join(","), "Xero's columns in Xero's order");
    let rows: Vec<&str> = rows.collect();
    assert_eq!(rows.len(), lines.len() + 1, "a row per invoice line and one for the credit note's line");
    let number = first.number.clone().unwrap();
    let invoice_row = rows.iter().find(|r| r.contains(&format!(",{number},"))).expect("the invoice's row");
    assert!(invoice_row.contains(",01/09/2026,01/10/2026,"), "dates as DD/MM/YYYY: {invoice_row}");
    assert!(
        invoice_row.contains(",4000,20% (VAT on Income),") || invoice_row.contains(",4000,Exempt Income,"),
        "the stream's account code: {invoice_row}"
    );
    let credit_row =
        rows.iter().find(|r| r.contains(&format!("Credits {number}"))).expect("the credit note's row");
    assert!(credit_row.contains(",-100.00,"), "a credit note's amount is negative: {credit_row}");
    assert!(credit_row.contains(note["number"].as_str().unwrap()), "{credit_row}");
    // Made again: the same file.
    let again = books.app.client().get_with(&path, &auth).await;
    assert_eq!(again.body, file.body);
    assert_eq!(
        books.app.client().get_with(&format!("/api/v1/exports/{}/files/2", made["id"]), &auth).await.status,
        StatusCode::NOT_FOUND
    );

    // A payment in the quarter, then the other formats.
    let (status, paid) = books
        .post(
            "/api/v1/payments",
            json!({ "payer_id": first.payer_id, "received_on": "2026-09-01", "amount": "100.00", "method": "bacs_credit", "reference": "BACS 42" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    let csv_of = |format: &'static str| {
        let books = &books;
        async move {
            let (status, made) = books
                .post(
                    "/api/v1/exports",
                    json!({ "format": format, "from": "2026-07-01", "to": "2026-09-30" }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{made}");
            let auth = [("authorization", books.bearer.as_str())];
            let file =
                books.app.client().get_with(&format!("/api/v1/exports/{}/files/1", made["id"]), &auth).await;
            assert_eq!(file.status, StatusCode::OK);
            let text = String::from_utf8(file.body.clone()).unwrap();
            csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text.as_bytes())
                .records()
                .map(|r| r.unwrap().iter().map(String::from).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        }
    };
    let sage = csv_of("sage50").await;
    assert_eq!(sage[0], partnership_billing::domain::exports::SAGE_HEADER.map(String::from).to_vec());
    let of_type = |t: &str| sage.iter().filter(|r| r[0] == t).count();
    assert!(of_type("SI") >= issued.len(), "an SI row per invoice and income account at least");
    assert_eq!((of_type("SC"), of_type("SA")), (1, 1));
    let receipt = sage.iter().find(|r| r[0] == "SA").unwrap();
    assert_eq!(
        (receipt[4].as_str(), receipt[7].as_str(), receipt[8].as_str()),
        ("01/09/2026", "100.00", "T9")
    );
    let sage_vat: i64 = sage
        .iter()
        .skip(1)
        .filter(|r| r[0] != "SA")
        .map(|r| pence(&json!(r[9])) * if r[0] == "SC" { -1 } else { 1 })
        .sum();
    assert_eq!(sage_vat, vat, "Sage's tax amounts add up to box 1");
    let qbo = csv_of("quickbooks").await;
    assert_eq!(qbo[0], partnership_billing::domain::exports::QUICKBOOKS_HEADER.map(String::from).to_vec());
    assert_eq!(qbo.len(), lines.len() + 1, "invoices only");
    let journal = csv_of("journal").await;
    assert_eq!(journal[0], partnership_billing::domain::exports::JOURNAL_HEADER.map(String::from).to_vec());
    let column = |c: usize| {
        journal.iter().skip(1).filter(|r| !r[c].is_empty()).map(|r| pence(&json!(r[c]))).sum::<i64>()
    };
    assert_eq!(column(2), column(3), "the journal balances");
    assert!(journal.iter().any(|r| r[1] == "1200" && r[2] == "100.00"), "the payment banked");
    // Xero's bank statement: the payment, naming the invoices it paid (else its own reference).
    let xero = csv_of("xero_payments").await;
    assert_eq!(
        xero[0],
        partnership_billing::domain::exports::XERO_STATEMENT_HEADER.map(String::from).to_vec()
    );
    assert_eq!(xero.len(), 2, "the one payment and no invoices: {xero:?}");
    let payment_id = paid["id"].as_i64().expect("the payment's id");
    let allocated: Vec<i64> = entity::allocation::Entity::find()
        .filter(entity::allocation::Column::PaymentId.eq(payment_id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.invoice_id)
        .collect();
    let numbers: Vec<String> =
        issued.iter().filter(|i| allocated.contains(&i.id)).filter_map(|i| i.number.clone()).collect();
    assert!(!numbers.is_empty(), "the payment was allocated, oldest invoice first");
    let reference = numbers.join(" ");
    assert_eq!(
        (xero[1][0].as_str(), xero[1][1].as_str(), xero[1][4].as_str()),
        ("01/09/2026", "100.00", reference.as_str()),
        "{xero:?}"
    );
    assert!(xero[1][3].starts_with("Payment by Bacs credit"), "{xero:?}");
    let listed = books.get("/api/v1/exports").await;
    assert_eq!(
        (listed["exports"][0]["format"].as_str(), listed["exports"][0]["payments"].as_i64()),
        (Some("xero_payments"), Some(1)),
        "{listed}"
    );

    // Bad ranges and formats name the field.
    for (body, field) in [
        (json!({ "format": "xero", "from": "2026-09-30", "to": "2026-07-01" }), "to"),
        (json!({ "format": "xero", "from": "2025-01-01", "to": "2026-09-30" }), "to"),
        (json!({ "format": "sage", "from": "2026-07-01", "to": "2026-09-30" }), "format"),
        (json!({ "format": "xero", "from": "1999-12-31", "to": "2000-01-31" }), "from"),
    ] {
        let (status, e) = books.post("/api/v1/exports", body).await;
        assert_eq!(
            (status, e["error"]["fields"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{e}"
        );
    }
    let bad = books.app.client().get_with("/api/v1/vat-summary?from=2026-13-01&to=2026-09-30", &auth).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    books.app.finish().await;
}
on_both_databases!(exports_follow_xeros_layout_and_the_vat_summary_adds_up, exports);
