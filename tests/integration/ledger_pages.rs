//! Payments on the pages: finance records a payment against an invoice, undoes and re-allocates
//! it, writes off a remainder, reads aged debt (and its CSV); a business manager reads their own
//! statement of account and no one else's.

use crate::helpers::{Backend, TestApp};
use crate::on_both_databases;
use axum::http::StatusCode;
use chrono::Datelike;
use serde_json::json;

async fn payments_on_the_pages(backend: Backend) {
    let books = crate::ledger::Books::new(backend).await;
    let app: &TestApp = &books.app;
    let list = books.get("/api/v1/invoices?year=2026-27&status=issued&per_page=500").await;
    let riverside = list["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["payer_name"] == "Riverside Park Primary School")
        .expect("the business manager's school has an invoice")
        .clone();
    let invoice = riverside["id"].as_i64().unwrap();
    let detail = books.invoice(invoice).await;
    let payer = detail["payer_id"].as_i64().unwrap();
    let number = detail["number"].as_str().unwrap().to_string();

    let mut finance = app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = finance.session_csrf().await;
    let page = finance.get(&format!("/invoices/{invoice}")).await;
    assert!(
        page.text().contains(&format!("/payments/new?payer={payer}"))
            && page.text().contains(&format!("invoice={invoice}\">Record a payment")),
        "a way to record a payment"
    );
    let form = finance.get(&format!("/payments/new?payer={payer}&invoice={invoice}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains(&number), "what the payer owes is listed");

    // A mistyped date and amount are named, and nothing is recorded.
    let bad = finance
        .post_form(
            "/payments/new",
            &[
                ("csrf_token", &csrf),
                ("payer", &payer.to_string()),
                ("payer_fixed", "yes"),
                ("received_on-day", "31"),
                ("received_on-month", "2"),
                ("received_on-year", "2026"),
                ("amount", "12.345"),
                ("method", "bacs_credit"),
                ("allocate", "oldest_first"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = bad.text();
    assert!(text.contains("Date received must be a real date"), "{text}");
    assert!(text.contains("fractions of a penny"), "{text}");
    assert_eq!(books.get("/api/v1/payments").await["total"], 0);

    let owed_on_home = |page: String| -> String {
        let after = page.split("Owed on issued invoices").nth(1).unwrap_or_default();
        after.split_whitespace().find(|w| w.contains('£')).unwrap_or_default().to_string()
    };
    let owed_before = owed_on_home(finance.get("/").await.text());
    assert!(owed_before.contains('£'), "the home page says what is owed");
    let today = chrono::Utc::now().date_naive();
    let (d, m, y) = (today.day().to_string(), today.month().to_string(), today.year().to_string());
    let recorded = finance
        .post_form(
            "/payments/new",
            &[
                ("csrf_token", &csrf),
                ("payer", &payer.to_string()),
                ("payer_fixed", "yes"),
                ("received_on-day", &d),
                ("received_on-month", &m),
                ("received_on-year", &y),
                ("amount", "£1,000.00"),
                ("method", "bacs_credit"),
                ("reference", "RH PAYMENT"),
                ("allocate", "oldest_first"),
            ],
        )
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.text());
    let at = recorded.location().unwrap();
    let owed_after = owed_on_home(finance.get("/").await.text());
    assert_ne!(owed_before, owed_after, "the home page's figures are added up again after a payment");
    let payment_page = finance.get(&at).await;
    let text = payment_page.text();
    assert!(text.contains("The payment was recorded.") && text.contains(&number), "{text}");
    assert!(!text.contains("bacs_credit") && text.contains("Bacs credit"), "names, not enum values");
    let payment = books.get("/api/v1/payments").await["rows"][0].clone();
    let allocation = payment["allocations"][0]["id"].as_i64().unwrap();
    let payment_id = payment["id"].as_i64().unwrap();

    // Undoing an allocation needs a reason; then it is undone and allocated again.
    let no_reason = finance
        .post_form(
            &format!("/allocations/{allocation}/undo"),
            &[("csrf_token", &csrf), ("payment", &payment_id.to_string()), ("reason", "")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text().contains("Say why the allocation is undone"));
    let undone = finance
        .post_form(
            &format!("/allocations/{allocation}/undo"),
            &[("csrf_token", &csrf), ("payment", &payment_id.to_string()), ("reason", "Wrong school")],
        )
        .await;
    assert_eq!(undone.status, StatusCode::SEE_OTHER);
    assert!(finance.get(&undone.location().unwrap()).await.text().contains("Wrong school"));
    // Chosen amounts: a mistyped one is named; then £10.00 to the invoice, the rest oldest first.
    let field = format!("amount_{invoice}");
    let typo = finance
        .post_form(
            &format!("/payments/{payment_id}/allocate"),
            &[("csrf_token", &csrf), ("how", "chosen"), (&field, "ten")],
        )
        .await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(typo.text().contains("is not an amount of money"), "{}", typo.text());
    let chosen = finance
        .post_form(
            &format!("/payments/{payment_id}/allocate"),
            &[("csrf_token", &csrf), ("how", "chosen"), (&field, "10.00")],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.text());
    assert_eq!(books.get(&format!("/api/v1/payments/{payment_id}")).await["allocated"], "10.00");
    let again = finance
        .post_form(&format!("/payments/{payment_id}/allocate"), &[("csrf_token", &csrf), ("how", "oldest")])
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let owed = books.invoice(invoice).await;
    let outstanding = owed["outstanding"].as_str().unwrap().to_string();

    // The account page: statement, balance and ages; the invoice says part paid.
    let account = finance.get(&format!("/payers/{payer}/account")).await;
    let text = account.text();
    assert_eq!(account.status, StatusCode::OK);
    assert!(
        text.contains("Statement of account")
            && text.contains("Opening balance")
            && text.contains("Closing balance"),
        "{text}"
    );
    assert!(text.contains("Part paid") || text.contains("Paid"), "{text}");
    assert!(text.contains("£1,000.00"), "money as £1,234.56: {text}");

    // Writing off: more than the limit as a small remainder is refused in words.
    if outstanding != "0.00" {
        let refused = finance
            .post_form(
                &format!("/invoices/{invoice}/write-off"),
                &[
                    ("csrf_token", &csrf),
                    ("amount", &outstanding),
                    ("kind", "small_remainder"),
                    ("reason", "Small"),
                ],
            )
            .await;
        if outstanding.parse::<f32>().unwrap_or(0.0) > 1.0 {
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(refused.text().contains("A small remainder is at most £1.00"), "{}", refused.text());
        }
        let written = finance
            .post_form(
                &format!("/invoices/{invoice}/write-off"),
                &[
                    ("csrf_token", &csrf),
                    ("amount", &outstanding),
                    ("kind", "bad_debt"),
                    ("reason", "School cannot pay"),
                ],
            )
            .await;
        assert_eq!(written.status, StatusCode::SEE_OTHER, "{}", written.text());
        let page = finance.get(&written.location().unwrap()).await.text();
        assert!(page.contains("Written off") && page.contains("School cannot pay"), "{page}");
    }

    // Aged debt: totals, payers, CSV.
    let aged = finance.get("/aged-debt").await;
    assert_eq!(aged.status, StatusCode::OK);
    assert!(aged.text().contains("Not yet due") && aged.text().contains("Over 90 days overdue"));
    let csv = finance.get("/aged-debt?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.text().starts_with("Payer,Invoices,Not yet due,1 to 30 days overdue"), "{}", csv.text());
    let xlsx = finance.get("/aged-debt?format=xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.body.starts_with(b"PK"), "an XLSX (zip) file");
    assert_eq!(finance.get("/aged-debt?format=pdf").await.status, StatusCode::BAD_REQUEST);
    let payments = finance.get("/payments?q=RH%20PAYMENT").await;
    assert!(payments.text().contains("1 payment"), "{}", payments.text());

    // The business manager sees their own statement and nobody else's.
    let mut sbm = app.client();
    sbm.sign_in("sbm@demo.test", "demo-school-2025").await;
    let home = sbm.get("/").await.text();
    assert!(home.contains("What you owe") && home.contains(&format!("/payers/{payer}/account")), "{home}");
    let own = sbm.get(&format!("/payers/{payer}/account")).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.text().contains("Riverside Park Primary School"));
    assert!(!own.text().contains("Record a payment"), "a business manager records nothing");
    let pdf = sbm.get(&format!("/payers/{payer}/statement.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert!(pdf.body.starts_with(b"%PDF-"), "a PDF");
    let text = crate::pdf::pdf_text(&pdf.body);
    assert!(
        text.contains("Statement of account") && text.contains("Riverside Park Primary School"),
        "{text}"
    );
    assert!(text.contains("£1,000.00") && text.contains("Balance"), "{text}");
    let other = list["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["payer_name"] != "Riverside Park Primary School")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let other_payer = books.invoice(other).await["payer_id"].as_i64().unwrap();
    assert_eq!(sbm.get(&format!("/payers/{other_payer}/account")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(sbm.get(&format!("/payers/{other_payer}/statement.pdf")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(sbm.get("/payments").await.status, StatusCode::FORBIDDEN);
    books.check().await;
    books.app.finish().await;
}
on_both_databases!(payments_are_recorded_and_read_on_the_pages, payments_on_the_pages);

/// A council's budget deduction on the page: its maintained schools' open invoices, ticked,
/// settled in one go.
async fn council_deduction_on_the_page(backend: Backend) {
    let books = crate::ledger::Books::new(backend).await;
    let mut finance = books.app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = finance.session_csrf().await;
    let councils = books.get("/api/v1/local-authorities").await;
    let council = councils.as_array().unwrap()[0]["id"].as_i64().unwrap().to_string();
    let page = finance.get(&format!("/settlements/new?council={council}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    let ids: Vec<String> = text
        .split("name=\"invoice\" type=\"checkbox\" value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(String::from))
        .take(3)
        .collect();
    assert!(!ids.is_empty(), "maintained schools' invoices are listed: {text}");
    let today = chrono::Utc::now().date_naive();
    let (d, m, y) =
        (today.format("%-d").to_string(), today.format("%-m").to_string(), today.format("%Y").to_string());
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("council", council.as_str()),
        ("reference", ""),
        ("settled_on-day", &d),
        ("settled_on-month", &m),
        ("settled_on-year", &y),
    ];
    for id in &ids {
        form.push(("invoice", id.as_str()));
    }
    let missing = finance.post_form("/settlements/new", &form).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.text().contains("Enter the council&#x27;s reference")
            || missing.text().contains("Enter the council's reference"),
        "{}",
        missing.text()
    );
    form[2] = ("reference", "DEDUCTION AUTUMN 2026");
    let done = finance.post_form("/settlements/new", &form).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let list = finance.get(&done.location().unwrap()).await.text();
    assert!(list.contains("The budget deduction DEDUCTION AUTUMN 2026 was recorded."), "{list}");
    for id in &ids {
        assert_eq!(books.invoice(id.parse().unwrap()).await["payment_state"], "paid");
    }
    books.check().await;
    books.app.finish().await;
}
on_both_databases!(a_council_deduction_is_recorded_on_the_page, council_deduction_on_the_page);

/// The small-remainder limit is a setting finance changes on the invoice settings page.
async fn small_write_off_limit(backend: Backend) {
    let books = crate::ledger::Books::new(backend).await;
    let mut finance = books.app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = finance.session_csrf().await;
    let shown = finance.get("/billing/settings").await.text();
    assert!(
        shown.contains("Largest small remainder to write off") && shown.contains("value=\"1.00\""),
        "{shown}"
    );
    let base = [
        ("csrf_token", csrf.as_str()),
        ("invoice_prefix", "RH-"),
        ("credit_note_prefix", "RHC-"),
        ("payment_terms_days", "30"),
        ("bank_account_name", "Riverside and Hillbrook Schools Partnership Ltd"),
        ("bank_sort_code", "20-45-77"),
        ("bank_account_number", "43218765"),
        ("remittance_email", "finance@riverside-hillbrook.example"),
    ];
    let mut too_much = base.to_vec();
    too_much.push(("small_write_off", "250.00"));
    let refused = finance.post_form("/billing/settings", &too_much).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("£250.00 is not between £0.00 and £100.00"), "{}", refused.text());
    let mut five = base.to_vec();
    five.push(("small_write_off", "5.00"));
    assert_eq!(finance.post_form("/billing/settings", &five).await.status, StatusCode::SEE_OTHER);
    let list = books.get("/api/v1/invoices?year=2026-27&status=issued&per_page=1").await;
    let id = list["invoices"][0]["id"].as_i64().unwrap();
    let (status, body) = books
        .post(
            &format!("/api/v1/invoices/{id}/write-offs"),
            json!({ "amount": "4.00", "kind": "small_remainder", "reason": "Pennies" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "£4.00 is within the new £5.00 limit: {body}");
    let (status, _) = books
        .post(
            &format!("/api/v1/invoices/{id}/write-offs"),
            json!({ "amount": "5.01", "kind": "small_remainder", "reason": "Pennies" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    books.check().await;
    books.app.finish().await;
}
on_both_databases!(the_small_write_off_limit_is_a_setting, small_write_off_limit);
