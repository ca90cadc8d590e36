//! The funding report through the API: each stream's invoiced (net of a credit note), received
//! (a part payment), budget, variance and forecast (a contract's instalments still to invoice)
//! worked out here from the documents; budgets refused when wrong; the CSV; who may read it.

use crate::ledger::Books;
use crate::on_both_databases;
use axum::http::StatusCode;
use entity::{invoice, invoice_line, local_authority};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

fn pence(v: &Value) -> i64 {
    let (p, d) = v.as_str().unwrap_or_else(|| panic!("an amount, not {v}")).split_once('.').unwrap();
    p.parse::<i64>().unwrap() * 100 + d.parse::<i64>().unwrap()
}

async fn funding(backend: crate::helpers::Backend) {
    let mut books = Books::unbilled(backend).await;
    books.app = books.app.on_day(chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap());
    books.bill().await;
    let db = books.app.db.clone();
    let issued = invoice::Entity::find().filter(invoice::Column::Status.eq("issued")).all(&db).await.unwrap();
    let membership: i64 = issued.iter().map(|i| i.net_pence).sum();
    let first = &issued[0];
    let line = invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.eq(first.id))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let (status, _) = books
        .post(
            &format!("/api/v1/invoices/{}/credit-notes", first.id),
            json!({ "reason": "corrected", "lines": [{ "line_id": line.id, "amount": "100.00" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, paid) = books
        .post(
            "/api/v1/payments",
            json!({ "payer_id": first.payer_id, "received_on": "2026-09-01", "amount": "50.00", "method": "bacs_credit",
                "reference": "PART", "allocations": [{ "invoice_id": first.id, "amount": "50.00" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    // A council contract of the year: four quarters, the first invoiced.
    let la = local_authority::Entity::find()
        .filter(local_authority::Column::Code.eq("990"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let (status, c) = books
        .post(
            "/api/v1/contracts",
            json!({ "local_authority_id": la.id, "stream": "la_commission", "title": "School improvement", "start_date": "2026-09-01",
                "end_date": "2027-08-31", "schedule": "fixed", "frequency": "quarterly", "timing": "in_advance", "yearly_values": ["400000.00"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let p = partnership_billing::services::partnerships::list(&db).await.unwrap().remove(0);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    partnership_billing::services::contracts::raise_due(&db, &p, today, chrono::Utc::now()).await.unwrap();

    // Budgets: a wrong stream is refused with nothing saved; then set.
    let (status, e) = books
        .post(
            "/api/v1/budgets",
            json!({ "year": "2026-27", "budgets": { "memberships": "1.00", "bogus": "1.00" } }),
        )
        .await;
    assert_eq!(
        (status, e["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bogus")),
        "{e}"
    );
    let (status, r) = books
        .post("/api/v1/budgets", json!({ "year": "2026-27", "budgets": { "memberships": "1000.00", "la_commission": "500000.00", "grant": null } }))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");

    let r = books.get("/api/v1/reports/funding?year=2026-27").await;
    let stream =
        |key: &str| r["streams"].as_array().unwrap().iter().find(|s| s["stream"] == key).unwrap().clone();
    let m = stream("memberships");
    assert_eq!(pence(&m["invoiced"]), membership - 10_000, "net of the credit note: {m}");
    assert_eq!(m["received"], "50.00");
    assert_eq!(pence(&m["variance"]), membership - 10_000 - 100_000);
    let la = stream("la_commission");
    assert_eq!(
        (la["invoiced"].as_str(), la["forecast"].as_str()),
        (Some("100000.00"), Some("400000.00")),
        "{la}"
    );
    assert_eq!(la["variance"], "-400000.00");
    assert!(stream("grant")["budget"].is_null());
    assert_eq!(pence(&r["total"]["invoiced"]), membership - 10_000 + 10_000_000);
    assert_eq!(pence(&r["total"]["budget"]), 100_000 + 50_000_000);
    let september =
        r["months"].as_array().unwrap().iter().find(|m| m["month"] == "2026-09").expect("September");
    assert_eq!(pence(&september["total"]), membership - 10_000 + 10_000_000, "all issued on 1 September");
    assert!(r["collection_rate"].is_u64(), "{r}");
    assert!(r["council_share"].is_string(), "{r}");

    // Take-up against the register and the memberships themselves.
    let t = books.get("/api/v1/reports/take-up?year=2026-27").await;
    use entity::{membership, offer, school};
    let area: Vec<school::Model> =
        school::Entity::find().filter(school::Column::OutsideArea.eq(false)).all(&db).await.unwrap();
    let open = area.iter().filter(|s| s.status == "open" || s.status == "proposed_to_close").count() as u64;
    let members_in = |year: &'static str| {
        let db = db.clone();
        let area: std::collections::BTreeSet<i64> = area.iter().map(|s| s.id).collect();
        async move {
            let Some(o) = offer::Entity::find().filter(offer::Column::Year.eq(year)).one(&db).await.unwrap()
            else {
                return std::collections::BTreeSet::new();
            };
            membership::Entity::find()
                .filter(membership::Column::OfferId.eq(o.id))
                .all(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|m| m.school_id)
                .filter(|id| area.contains(id))
                .collect::<std::collections::BTreeSet<i64>>()
        }
    };
    let (now, before) = (members_in("2026-27").await, members_in("2025-26").await);
    assert_eq!(
        (t["total"]["open_schools"].as_u64(), t["total"]["members"].as_u64()),
        (Some(open), Some(now.len() as u64)),
        "{t}"
    );
    let by_phase: u64 =
        t["by_phase"].as_array().unwrap().iter().map(|r| r["members"].as_u64().unwrap()).sum();
    assert_eq!(by_phase, now.len() as u64);
    assert_eq!(t["previous"], "2025-26");
    assert_eq!(t["joined"].as_array().unwrap().len(), now.difference(&before).count());
    assert_eq!(t["left"].as_array().unwrap().len(), before.difference(&now).count());
    assert!(
        t["trend"].as_array().unwrap().iter().any(|y| y[0] == "2026-27" && y[1] == now.len() as u64),
        "{t}"
    );

    // The page and its CSV, for finance; the board reads, and may not set budgets.
    let mut finance = crate::cards::sign_in(&books.app, "finance@demo.test").await;
    let page = finance.get("/reports?year=2026-27").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Funding report 2026-27") && page.text().contains("£100,000.00"));
    assert!(page.text().contains("Membership take-up") && page.text().contains("Members in 2026-27"));
    let csv = finance.get("/reports/funding.csv?year=2026-27").await;
    let text = String::from_utf8(csv.body).unwrap();
    assert!(
        text.starts_with("Income stream,Budget,\"Invoiced (before VAT, net of credit notes)\",Variance,Received,Forecast\r\n"),
        "{text}"
    );
    assert!(
        text.contains("Local-authority commission,500000.00,100000.00,-400000.00,0.00,400000.00"),
        "{text}"
    );
    let book = finance.get("/reports/funding.xlsx?year=2026-27").await;
    assert_eq!(book.status, StatusCode::OK);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(book.body.clone())).unwrap();
    let mut shared = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("xl/sharedStrings.xml").unwrap(), &mut shared)
        .unwrap();
    assert!(shared.contains("Local-authority commission") && shared.contains("Take-up"), "{shared}");
    let mut sheet = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut sheet)
        .unwrap();
    assert!(
        sheet.contains("<v>100000</v>") && sheet.contains("<v>-400000</v>"),
        "amounts as numbers: {sheet}"
    );
    let mut names = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("xl/workbook.xml").unwrap(), &mut names).unwrap();
    for name in [
        "Income by stream",
        "Invoiced by month of issue",
        "Recognised by month",
        "Membership income by school",
        "Membership take-up",
        "Members by year",
        "Traded services take-up",
    ] {
        assert!(names.contains(&format!("name=\"{name}\"")), "{name} in {names}");
    }
    assert!(shared.contains("Riverside Council") && shared.contains("Per pupil"), "{shared}");

    // Every table downloads as CSV on its own; a table that does not exist is named.
    let breakdown = finance.get("/reports/funding.csv?year=2026-27&table=breakdown").await;
    let text = String::from_utf8(breakdown.body).unwrap();
    assert!(text.starts_with("Grouped by,Schools,Members,Pupils,Invoiced,Per pupil\r\n"), "{text}");
    assert!(text.contains("\r\nCouncil,Riverside Council,"), "{text}");
    let trend =
        String::from_utf8(finance.get("/reports/funding.csv?year=2026-27&table=trend").await.body).unwrap();
    assert!(trend.starts_with("Membership year,Members\r\n") && trend.contains("\r\n2026-27,"), "{trend}");
    let wrong = finance.get("/reports/funding.csv?year=2026-27&table=secrets").await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(
        wrong.text().contains("There is no table called \"secrets\" in the funding report"),
        "{}",
        wrong.text()
    );

    // The page draws its charts (labelled for screen readers) beside the tables of their figures.
    for label in [
        "Budget, invoiced and forecast by income stream",
        "Income recognised by month, by stream",
        "Member schools by year",
    ] {
        assert!(page.text().contains(&format!("<svg role=\"img\" aria-label=\"{label}\"")), "{label}");
    }

    // The board report: the same figures on paper, every chart with its table.
    let paper = finance.get("/reports/funding.pdf?year=2026-27").await;
    assert_eq!(paper.status, StatusCode::OK);
    assert!(paper.body.starts_with(b"%PDF"));
    let text = crate::pdf::pdf_text(&paper.body);
    for expected in [
        "Funding report 2026-27",
        "Budget, invoiced and forecast by income stream",
        "Local-authority commission",
        "£100,000.00",
        "Days sales outstanding",
        "Membership income by school",
        "Riverside Council",
        "Traded services take-up",
        "Funding report 2026-27, page 1 of",
    ] {
        assert!(text.contains(expected), "{expected} in the board report:\n{text}");
    }
    let la = text.lines().find(|l| l.trim_start().starts_with("Local-authority commission")).unwrap();
    assert!(
        la.contains("£500,000.00") && la.contains("£100,000.00") && la.contains("-£400,000.00"),
        "budget, invoiced and variance on the commission's row: {la}"
    );
    let mut board = crate::cards::sign_in(&books.app, "board@demo.test").await;
    assert_eq!(board.get("/api/v1/reports/funding?year=2026-27").await.status, StatusCode::OK);
    assert_eq!(board.get("/reports/budgets?year=2026-27").await.status, StatusCode::FORBIDDEN);
    let bad = finance.get("/api/v1/reports/funding?year=2026").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Recognised income: the council's first quarter (£100,000 for 1 September to 30 November,
    // 91 days) is £32,967.03 of September's income (30 days), and each membership invoice is
    // spread over its period, net of the credit note.
    let september = books.get("/api/v1/reports/income?from=2026-09-01&to=2026-09-30").await;
    let (memberships_col, council_col) = (1, 2);
    assert_eq!(september["recognised"][0]["month"], "2026-09");
    assert_eq!(september["recognised"][0]["by_stream"][council_col], "32967.03", "{september}");
    let credits: std::collections::HashMap<i64, i64> =
        entity::credit_note::Entity::find().all(&db).await.unwrap().into_iter().fold(
            Default::default(),
            |mut by, c| {
                *by.entry(c.invoice_id).or_default() += c.net_pence;
                by
            },
        );
    let memberships_in = |month: chrono::NaiveDate| -> i64 {
        issued
            .iter()
            .map(|i| {
                let net = i.net_pence - credits.get(&i.id).copied().unwrap_or(0);
                let (start, end) = (
                    i.period_start.max(month),
                    i.period_end.min(month + chrono::Months::new(1) - chrono::Days::new(1)),
                );
                if end < start {
                    return 0;
                }
                // Each invoice's share of its period's days falling in the month, to the penny
                // (the sum may differ from the report's by a penny an invoice at most).
                let days = (i.period_end - i.period_start).num_days() + 1;
                net * ((end - start).num_days() + 1) / days
            })
            .sum()
    };
    let sept = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let reported = pence(&september["recognised"][0]["by_stream"][memberships_col]);
    let worked = memberships_in(sept);
    assert!(
        (reported - worked).abs() <= issued.len() as i64,
        "memberships in September: {reported} against {worked}"
    );
    assert!(reported < membership - 10_000, "an annual fee is not all September's income");
    // A financial year: every penny of the quarter recognised inside it; the invoices issued in it.
    let fy = books.get("/api/v1/reports/income?from=2026-04-01&to=2027-03-31").await;
    assert_eq!(fy["recognised"].as_array().unwrap().len(), 12);
    assert_eq!(fy["recognised_total"][council_col], "100000.00", "{fy}");
    assert_eq!(
        pence(&fy["invoiced_total"][memberships_col]),
        membership - 10_000,
        "memberships invoiced in the year, net of the credit"
    );
    let refused = finance.get("/api/v1/reports/income?from=2027-01-01&to=2026-01-01").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Membership income by school: every member's lines, net of the credit note, in one group
    // of each breakdown.
    let b = books.get("/api/v1/reports/breakdown?year=2026-27").await;
    assert_eq!(pence(&b["total"]["invoiced"]), membership - 10_000, "{b}");
    let members: std::collections::BTreeSet<i64> = invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.is_in(issued.iter().map(|i| i.id)))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|l| l.school_id)
        .collect();
    assert_eq!(b["total"]["schools"].as_u64(), Some(members.len() as u64));
    for key in ["by_phase", "by_type", "by_local_authority", "by_trust"] {
        let groups = b[key].as_array().unwrap();
        assert_eq!(groups.iter().map(|g| pence(&g["invoiced"])).sum::<i64>(), membership - 10_000, "{key}");
        assert_eq!(groups.iter().map(|g| g["schools"].as_u64().unwrap()).sum::<u64>(), members.len() as u64);
    }
    let total_pupils = b["total"]["pupils"].as_i64().unwrap();
    assert!(total_pupils > 0 && b["total"]["per_pupil"].is_string(), "{b}");
    let page = finance.get("/reports/income?fy=2026-27").await;
    assert!(
        page.text().contains("1 April 2026 to 31 March 2027") && page.text().contains("£32,967.03"),
        "{}",
        page.text()
    );
    // Received by month: every allocation of a payment that arrived in the financial year (not
    // undone, the payment not reversed), in the month the payment arrived.
    let payments: std::collections::HashMap<i64, entity::payment::Model> =
        entity::payment::Entity::find().all(&db).await.unwrap().into_iter().map(|p| (p.id, p)).collect();
    let (fy_from, fy_to) = (
        chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
    );
    let mut by_month: std::collections::BTreeMap<String, i64> = Default::default();
    for a in entity::allocation::Entity::find().all(&db).await.unwrap() {
        let p = &payments[&a.payment_id];
        if a.undone_at.is_none() && p.reversed_at.is_none() && (fy_from..=fy_to).contains(&p.received_on) {
            *by_month.entry(p.received_on.format("%Y-%m").to_string()).or_default() += a.amount_pence;
        }
    }
    assert!(!by_month.is_empty(), "the part payment is in the year");
    let fy = books.get("/api/v1/reports/income?from=2026-04-01&to=2027-03-31").await;
    let received: std::collections::BTreeMap<String, i64> = fy["received"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| pence(&m["total"]) != 0)
        .map(|m| (m["month"].as_str().unwrap().to_string(), pence(&m["total"])))
        .collect();
    assert_eq!(received, by_month, "{fy}");
    assert_eq!(pence(&fy["received_total"][5]), by_month.values().sum::<i64>());
    assert!(page.text().contains("Received by month (VAT included)"), "{}", page.text());
    let book = finance.get("/reports/income.xlsx?fy=2026-27").await;
    assert_eq!(book.status, StatusCode::OK);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(book.body.clone())).unwrap();
    let mut names = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("xl/workbook.xml").unwrap(), &mut names).unwrap();
    for name in ["Recognised by month", "Invoiced by month of issue", "Received by month"] {
        assert!(names.contains(&format!("name=\"{name}\"")), "{name} in {names}");
    }
    // An order confirmed and not yet invoiced (adviser days are invoiced on delivery) is in the
    // traded services forecast at what it will charge.
    let adviser = entity::service::Entity::find()
        .filter(entity::service::Column::Name.eq("Adviser day"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let (status, order) = books
        .post(
            "/api/v1/orders",
            json!({ "service_id": adviser.id, "urn": "990011", "quantity": "3", "service_date": "2026-12-01" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let before = books.get("/api/v1/reports/funding?year=2026-27").await;
    let (status, confirmed) = books.post(&format!("/api/v1/orders/{}/confirm", order["id"]), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let stored =
        entity::order::Entity::find_by_id(order["id"].as_i64().unwrap()).one(&db).await.unwrap().unwrap();
    assert!(stored.invoice_id.is_none());
    let charged: rust_decimal::Decimal = stored.quantity.parse::<rust_decimal::Decimal>().unwrap()
        - stored.free_units.parse::<rust_decimal::Decimal>().unwrap();
    let charge = (charged * rust_decimal::Decimal::from(stored.unit_price_pence))
        .round()
        .to_string()
        .parse::<i64>()
        .unwrap();
    assert!(charge > 0, "three adviser days cost something");
    let after = books.get("/api/v1/reports/funding?year=2026-27").await;
    let traded = |r: &Value, k: &str| pence(&r["streams"][0][k]);
    assert_eq!(traded(&after, "forecast") - traded(&before, "forecast"), charge, "{after}");
    assert_eq!(traded(&after, "invoiced"), traded(&before, "invoiced"));
    // Budgets per traded service: the adviser day's line, refused when wrong (all or nothing),
    // then against what its delivered order invoices.
    let adviser_line = |r: &Value| -> Value {
        r["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["service_id"] == adviser.id)
            .cloned()
            .unwrap_or_else(|| panic!("the adviser day's line in {r}"))
    };
    let line = adviser_line(&after);
    assert_eq!((pence(&line["invoiced"]), pence(&line["forecast"])), (0, charge), "{line}");
    assert_eq!(line["budget"], Value::Null);
    for (services, field) in [
        (json!({ "999999": "1.00" }), "services.999999"),
        (json!({ "adviser": "1.00" }), "services.adviser"),
        (json!({ adviser.id.to_string(): "-1.00" }), &*format!("services.{}", adviser.id)),
    ] {
        let (status, e) = books
            .post(
                "/api/v1/budgets",
                json!({ "year": "2026-27", "budgets": { "grant": "7.00" }, "services": services }),
            )
            .await;
        assert_eq!(
            (status, e["error"]["fields"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{e}"
        );
    }
    let unchanged = books.get("/api/v1/reports/funding?year=2026-27").await;
    assert_eq!(unchanged["streams"][4]["budget"], Value::Null, "nothing written: {unchanged}");
    let (status, set) = books
        .post(
            "/api/v1/budgets",
            json!({ "year": "2026-27", "services": { adviser.id.to_string(): "5000.00" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(adviser_line(&set)["budget"], "5000.00");
    assert_eq!(set["streams"][2]["budget"], "500000.00", "stream budgets left as they were: {set}");
    let (status, delivered) = books
        .post(
            &format!("/api/v1/orders/{}/deliver", order["id"]),
            json!({ "delivered_on": "2026-09-01", "delivered_by": "Alex Adviser" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{delivered}");
    let invoiced = books.get("/api/v1/reports/funding?year=2026-27").await;
    let line = adviser_line(&invoiced);
    assert_eq!(
        (pence(&line["invoiced"]), pence(&line["forecast"]), pence(&line["variance"])),
        (charge, charge, charge - 500_000),
        "{line}"
    );
    // The budgets form holds a field a service: a wrong one is named, a right one saved.
    let form = finance.get("/reports/budgets?year=2026-27").await;
    let field = format!("service-{}", adviser.id);
    assert!(form.text().contains(&format!("for=\"{field}\">Adviser day</label>")), "{}", form.text());
    let csrf = form.csrf_token();
    let wrong = finance
        .post_form(
            "/reports/budgets",
            &[
                ("csrf_token", &csrf),
                ("year", "2026-27"),
                ("budget-la_commission", "500000.00"),
                (&field, "lots"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().contains(&format!("href=\"#{field}\"")), "{}", wrong.text());
    let saved = finance
        .post_form(
            "/reports/budgets",
            &[
                ("csrf_token", &csrf),
                ("year", "2026-27"),
                ("budget-la_commission", "500000.00"),
                (&field, "6000"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let page = finance.get("/reports?year=2026-27").await.text();
    assert!(page.contains("Traded services against budget") && page.contains("£6,000.00"), "{page}");
    let services_csv =
        String::from_utf8(finance.get("/reports/funding.csv?year=2026-27&table=services").await.body)
            .unwrap();
    assert!(
        services_csv.starts_with("Service,Income stream,Budget,Invoiced,Variance,Forecast\r\n"),
        "{services_csv}"
    );
    assert!(services_csv.contains("Adviser day,Traded services,6000.00,"), "{services_csv}");
    // Days sales outstanding: what is owed now against the last year's invoicing, from the ledger.
    let all = invoice::Entity::find().filter(invoice::Column::Status.eq("issued")).all(&db).await.unwrap();
    let owed: i64 = all.iter().map(|i| i.outstanding_pence).sum();
    let sales: i64 = all.iter().map(|i| i.gross_pence).sum();
    let h = &invoiced["health"];
    assert_eq!((pence(&h["owed"]), pence(&h["invoiced_last_365_days"])), (owed, sales), "{h}");
    let days = (rust_decimal::Decimal::from(owed) * rust_decimal::Decimal::from(365)
        / rust_decimal::Decimal::from(sales))
    .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    assert_eq!(h["days_sales_outstanding"].as_u64().map(rust_decimal::Decimal::from), Some(days), "{h}");
    let csv = finance.get("/reports/income.csv?fy=2026-27").await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = String::from_utf8(csv.body).unwrap();
    assert!(
        text.starts_with("Month,Basis,Traded services,Schools' memberships,Local-authority commission,"),
        "{text}"
    );
    assert!(text.contains("2026-09,Recognised,") && text.contains(",32967.03,"), "{text}");
    assert_eq!(text.lines().count(), 1 + 12 * 3, "a row a month, three ways: {text}");
    assert!(text.contains("\n2026-09,Received,"), "{text}");
    let report = finance.get("/reports?year=2026-27").await.text();
    assert!(
        report.contains("Recognised by month") && report.contains("Membership income by school"),
        "{report}"
    );
    assert!(report.contains("By council") && report.contains("Riverside Council"), "{report}");
    assert!(report.contains("Days sales outstanding") && report.contains("owed now against"), "{report}");
    assert!(report.contains("Traded services take-up") && report.contains("Adviser day"), "{report}");
    books.app.finish().await;
}
on_both_databases!(the_funding_report_adds_up_from_the_documents, funding);

/// The service's PostgreSQL connections run without the JIT compiler, which took longer to
/// compile the reports' queries than they take to run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_run_without_jit() {
    use sea_orm::ConnectionTrait;
    let app = crate::helpers::TestApp::empty(crate::helpers::Backend::Postgres).await;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Postgres, "SHOW jit"))
        .await
        .unwrap()
        .expect("a setting");
    assert_eq!(row.try_get::<String>("", "jit").unwrap(), "off");
    app.finish().await;
}
