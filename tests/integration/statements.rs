//! Bank statements through the API and the command line: each bank's format (files the test
//! writes), re-imports adding only new lines, a bad file refused whole, automatic matches,
//! suggestions confirmed (and the payer's bank name learned), undone, and two people deciding
//! one line at once.

use crate::helpers::Backend;
use crate::ledger::Books;
use crate::on_both_databases;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// (amount in pence, money in positive; text)
type Row = (i64, String);

fn pounds(p: i64) -> String {
    format!("{}.{:02}", p.abs() / 100, p.abs() % 100)
}

/// A statement in `format` holding `rows`, dated `day` (DD/MM/YYYY).
pub fn statement_file(format: &str, day: chrono::NaiveDate, rows: &[Row]) -> String {
    let uk = day.format("%d/%m/%Y").to_string();
    let mut out = String::new();
    match format {
        "lloyds" => {
            out.push_str("Transaction Date,Transaction Type,Sort Code,Account Number,Transaction Description,Debit Amount,Credit Amount,Balance\n");
            for (i, (p, t)) in rows.iter().enumerate() {
                let (debit, credit) =
                    if *p < 0 { (pounds(*p), String::new()) } else { (String::new(), pounds(*p)) };
                out.push_str(&format!(
                    "{uk},BGC,'20-45-77,43218765,{t},{debit},{credit},{}.00\n",
                    10_000 + i
                ));
            }
        }
        "barclays" => {
            out.push_str("Number,Date,Account,Amount,Subcategory,Memo\n");
            for (i, (p, t)) in rows.iter().enumerate() {
                out.push_str(&format!(
                    "{},{uk},20-45-77 43218765,{}{},Bacs,{t}\n",
                    i + 1,
                    if *p < 0 { "-" } else { "" },
                    pounds(*p)
                ));
            }
        }
        "natwest" => {
            out.push_str("Date, Type, Description, Value, Balance, Account Name, Account Number\n");
            for (i, (p, t)) in rows.iter().enumerate() {
                out.push_str(&format!(
                    "{uk},BAC,\"{t}\",{}{},{}.00,RIVERSIDE,43218765\n",
                    if *p < 0 { "-" } else { "" },
                    pounds(*p),
                    20_000 + i
                ));
            }
        }
        "hsbc" => {
            out.push_str("Date,Type,Description,Paid Out,Paid In,Balance\n");
            for (p, t) in rows {
                let (paid_out, paid_in) =
                    if *p < 0 { (pounds(*p), String::new()) } else { (String::new(), pounds(*p)) };
                out.push_str(&format!("{uk},CR,{t},{paid_out},{paid_in},\n"));
            }
        }
        "ofx" => {
            let d = day.format("%Y%m%d");
            out.push_str("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n");
            out.push_str(&format!("<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>{d}120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>GBP<BANKACCTFROM><BANKID>204577<ACCTID>43218765<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>{d}<DTEND>{d}"));
            for (i, (p, t)) in rows.iter().enumerate() {
                out.push_str(&format!(
                    "<STMTTRN><TRNTYPE>{}<DTPOSTED>{d}<TRNAMT>{}{}<FITID>T{d}{i}<NAME>{t}</STMTTRN>",
                    if *p < 0 { "DEBIT" } else { "CREDIT" },
                    if *p < 0 { "-" } else { "" },
                    pounds(*p)
                ));
            }
            out.push_str(&format!("</BANKTRANLIST><LEDGERBAL><BALAMT>100.00<DTASOF>{d}</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"));
        }
        "camt053" => {
            out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>1</MsgId></GrpHdr><Stmt><Id>S1</Id>"#);
            for (i, (p, t)) in rows.iter().enumerate() {
                out.push_str(&format!(
                    r#"<Ntry><NtryRef>E{i}</NtryRef><Amt Ccy="GBP">{}</Amt><CdtDbtInd>{}</CdtDbtInd><BookgDt><Dt>{}</Dt></BookgDt><AcctSvcrRef>{}-{i}</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>{t}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"#,
                    pounds(*p),
                    if *p < 0 { "DBIT" } else { "CRDT" },
                    day.format("%Y-%m-%d"),
                    day.format("%Y%m%d")
                ));
            }
            out.push_str("</Stmt></BkToCstmrStmt></Document>");
        }
        other => panic!("no format {other}"),
    }
    out
}

async fn upload(books: &Books, query: &str, file: String) -> (StatusCode, Value) {
    let answer = books
        .app
        .client()
        .post_body(
            &format!("/api/v1/bank-statements{query}"),
            "text/csv",
            file.into_bytes(),
            &[("authorization", &books.bearer)],
        )
        .await;
    (answer.status, answer.json())
}

/// Issued invoices: (id, number without prefix as sequence, payer name, gross pence).
async fn invoices(books: &Books) -> Vec<(i64, String, String, i64)> {
    let list = books.get("/api/v1/invoices?year=2026-27&status=issued&per_page=500").await;
    list["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let gross = i["gross"].as_str().unwrap().replace('.', "").parse::<i64>().unwrap();
            (
                i["id"].as_i64().unwrap(),
                i["number"].as_str().unwrap().to_string(),
                i["payer_name"].as_str().unwrap().to_string(),
                gross,
            )
        })
        .collect()
}

async fn every_format_and_reimports(backend: Backend) {
    let books = Books::new(backend).await;
    let today = chrono::Utc::now().date_naive();
    let all = invoices(&books).await;
    let formats = ["lloyds", "barclays", "natwest", "hsbc", "ofx", "camt053"];
    for (n, format) in formats.iter().enumerate() {
        let (_, number, _, gross) = &all[n];
        let compact = number.replace('-', "");
        let rows = vec![
            (*gross, compact.clone()),
            (-1_250, format!("BANK CHARGES {n}")),
            (1_234, format!("INTEREST {n}")),
        ];
        let file = statement_file(format, today, &rows);
        let (status, summary) = upload(&books, &format!("?file_name={format}.txt"), file.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{format}: {summary}");
        assert_eq!(summary["format"], *format, "detected from the file: {summary}");
        assert_eq!(
            (summary["lines"].as_u64(), summary["new"].as_u64()),
            (Some(3), Some(3)),
            "{format}: {summary}"
        );
        assert_eq!(summary["auto_matched"], 1, "{format}: {summary}");
        assert_eq!(
            (summary["unmatched"].as_u64(), summary["debits"].as_u64()),
            (Some(1), Some(1)),
            "{format}: {summary}"
        );
        // The same file again adds nothing; with one more line, adds only that line.
        let (_, again) = upload(&books, "", file).await;
        assert_eq!(again["new"], 0, "{format}: {again}");
        let mut more = rows.clone();
        more.push((999, format!("DONATION {n}")));
        let (_, overlap) = upload(&books, "", statement_file(format, today, &more)).await;
        assert_eq!(
            (overlap["lines"].as_u64(), overlap["new"].as_u64()),
            (Some(4), Some(1)),
            "{format}: {overlap}"
        );
        let invoice = books.invoice(all[n].0).await;
        assert_eq!(invoice["payment_state"], "paid", "{format}: {invoice}");
    }
    // Two identical lines in one file are two payments, not one.
    let (_, twice) = upload(
        &books,
        "",
        statement_file("hsbc", today, &[(5_000, "GIFT AID".into()), (5_000, "GIFT AID".into())]),
    )
    .await;
    assert_eq!(twice["new"], 2, "{twice}");

    // A bad file is refused whole, naming its line; nothing is stored.
    let before = books.get("/api/v1/bank-statements").await["total"].as_u64().unwrap();
    let bad =
        "Date,Type,Description,Paid Out,Paid In,Balance\n02/11/2026,CR,A,,10.00,\n31/02/2026,CR,B,,10.00,\n";
    let (status, body) = upload(&books, "", bad.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("line 3: \"31/02/2026\" is not a date"),
        "{body}"
    );
    let (status, body) = upload(&books, "", "When,What,In\n02/11/2026,X,1.00\n".to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("map its columns"), "{body}");
    assert_eq!(books.get("/api/v1/bank-statements").await["total"].as_u64().unwrap(), before);
    // Another bank's CSV with a column mapping, which is saved for next time.
    let (_, mine) = upload(
        &books,
        "?date_column=When&description_column=What&credit_column=In",
        format!("When,What,In\n{},OTHER BANK,1.00\n", today.format("%d/%m/%Y")),
    )
    .await;
    assert_eq!(mine["new"], 1, "{mine}");
    let (_, reused) =
        upload(&books, "", format!("When,What,In\n{},OTHER BANK 2,2.00\n", today.format("%d/%m/%Y"))).await;
    assert_eq!(reused["new"], 1, "the saved mapping reads the next file: {reused}");

    // The command line, with --json.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lloyds.csv");
    let (_, number, _, gross) = &all[formats.len()];
    std::fs::write(
        &path,
        statement_file("lloyds", today, &[(*gross, number.clone()), (100, "INTEREST".into())]),
    )
    .unwrap();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_partnership-billing"))
        .args(["import-statement", path.to_str().unwrap(), "--partnership", "demo", "--json"])
        .env("DATABASE_URL", &books.app.url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    let out: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(
        (out["lines"].as_u64(), out["new"].as_u64(), out["auto_matched"].as_u64()),
        (Some(2), Some(2), Some(1)),
        "{out}"
    );
    for key in ["suggested", "unmatched"] {
        assert!(out[key].is_u64(), "{key} in {out}");
    }
    let bad_path = dir.path().join("bad.csv");
    std::fs::write(&bad_path, bad).unwrap();
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_partnership-billing"))
        .args(["import-statement", bad_path.to_str().unwrap()])
        .env("DATABASE_URL", &books.app.url)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("line 3"));
    books.check().await;
    books.app.finish().await;
}
on_both_databases!(every_bank_format_imports_and_reimports_add_only_new_lines, every_format_and_reimports);

async fn lines_of(books: &Books, statement: i64) -> Vec<Value> {
    books.get(&format!("/api/v1/bank-statements/{statement}/lines")).await["rows"].as_array().unwrap().clone()
}

async fn decide(books: &Books, line: i64, body: Value) -> (StatusCode, Value) {
    books.post(&format!("/api/v1/bank-statement-lines/{line}/match"), body).await
}

async fn deciding_lines(backend: Backend) {
    let books = Books::new(backend).await;
    let today = chrono::Utc::now().date_naive();
    let all = invoices(&books).await;
    let schools: Vec<&(i64, String, String, i64)> = all.iter().filter(|i| !i.2.contains("Trust")).collect();
    let (part_id, part_number, _, part_gross) = schools[0];
    let (named_id, _, _, named_gross) = schools[1];
    let rows = vec![(part_gross / 2, part_number.clone()), (*named_gross, "RVSD PK PRI SCH".to_string())];
    let (status, summary) = upload(&books, "", statement_file("lloyds", today, &rows)).await;
    assert_eq!(status, StatusCode::CREATED, "{summary}");
    assert_eq!(summary["auto_matched"], 0, "a part payment and a name no one knows: {summary}");
    let statement = summary["statement_id"].as_i64().unwrap();
    let lines = lines_of(&books, statement).await;
    let part = &lines[0];
    assert_eq!(part["state"], "suggested");
    let reason = part["candidates"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("reference to {part_number}")) && reason.contains("a part payment"),
        "{reason}"
    );
    assert_eq!(part["candidates"][0]["invoice_ids"][0], *part_id);

    // Two people confirm the same suggestion at once: one payment, one refusal.
    let line = part["id"].as_i64().unwrap();
    let (a, b) = tokio::join!(
        decide(&books, line, json!({ "suggestion": 0 })),
        decide(&books, line, json!({ "suggestion": 0 }))
    );
    let oks = [a.0, b.0].iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(oks, 1, "{a:?} {b:?}");
    let lost = if a.0 == StatusCode::OK { b } else { a };
    assert_eq!(lost.0, StatusCode::CONFLICT, "{lost:?}");
    let invoice = books.invoice(*part_id).await;
    assert_eq!(invoice["payment_state"], "part_paid");
    let matched = lines_of(&books, statement).await;
    assert_eq!(matched[0]["matched_invoice_ids"], json!([part_id]), "{:?}", matched[0]);
    assert_eq!(books.get("/api/v1/payments?q=").await["total"], 1);

    // Undoing the match reverses its payment; the invoice owes again.
    let (status, body) = decide(&books, line, json!({ "action": "undo" })).await;
    assert_eq!((status, body["state"].as_str()), (StatusCode::OK, Some("unmatched")), "{body}");
    assert_eq!(books.invoice(*part_id).await["payment_state"], "issued");

    // An unmatched line matched by hand teaches the service the payer's bank name.
    let named_line = lines[1]["id"].as_i64().unwrap();
    // Nothing but the amount points anywhere: at most suggestions that say so.
    for c in lines[1]["candidates"].as_array().unwrap() {
        assert!(c["reason"].as_str().unwrap().contains("check before confirming"), "{c}");
    }
    let (status, body) = decide(&books, named_line, json!({ "allocations": [{ "invoice_id": named_id, "amount": format!("{}.{:02}", named_gross / 100, named_gross % 100) }] })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(books.invoice(*named_id).await["payment_state"], "paid");
    // Next time that name pays the same payer's other invoice of that amount... it is recognised.
    let (_, next) =
        upload(&books, "", statement_file("hsbc", today, &[(*named_gross + 1, "RVSD PK PRI SCH".into())]))
            .await;
    let next_lines = lines_of(&books, next["statement_id"].as_i64().unwrap()).await;
    let first = &next_lines[0]["candidates"][0];
    assert!(first["reason"].as_str().unwrap().contains("payer's name"), "{next_lines:?}");
    let payer = books.invoice(*named_id).await["payer_id"].clone();
    assert_eq!(first["payer_id"], payer, "the learned name points to the right payer");

    // Money out can be marked a refund; a credit cannot; a stranger's line is not found.
    let (_, charges) =
        upload(&books, "", statement_file("hsbc", today, &[(-500, "REFUND ACORN".into())])).await;
    let debit = lines_of(&books, charges["statement_id"].as_i64().unwrap()).await[0]["id"].as_i64().unwrap();
    assert_eq!(decide(&books, debit, json!({ "action": "refund" })).await.0, StatusCode::OK);
    assert_eq!(decide(&books, named_line, json!({ "action": "refund" })).await.0, StatusCode::CONFLICT);
    assert_eq!(decide(&books, 987_654, json!({ "action": "ignore" })).await.0, StatusCode::NOT_FOUND);
    let (status, body) = decide(&books, debit, json!({ "suggestion": 0, "action": "undo" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    books.check().await;
    books.app.finish().await;
}
on_both_databases!(statement_lines_are_confirmed_undone_and_learned_from, deciding_lines);

/// Finance uploads a statement on the page, reads each line's evidence, confirms suggestions
/// together and sets a line aside.
async fn statements_on_the_pages(backend: Backend) {
    let books = Books::new(backend).await;
    let today = chrono::Utc::now().date_naive();
    let all = invoices(&books).await;
    let rows = vec![
        (all[0].3, all[0].1.replace('-', "")),
        (all[1].3 / 2, all[1].1.clone()),
        (all[2].3 / 4, all[2].1.clone()),
        (777, "BANK INTEREST".to_string()),
        (-2_000, "CARD FEES".to_string()),
    ];
    let mut finance = books.app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    let csrf = finance.session_csrf().await;
    let empty = finance.post_multipart("/bank-statements", &[("csrf_token", &csrf)], None).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().contains("Choose the statement file to upload"));
    let bad = finance
        .post_multipart(
            "/bank-statements",
            &[("csrf_token", &csrf)],
            Some(("bad.csv", b"Date,Type,Description,Paid Out,Paid In,Balance\n99/99/2026,CR,A,,1.00,\n")),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text().contains("Line 2: &quot;99/99/2026&quot; is not a date")
            || bad.text().contains("Line 2: \"99/99/2026\" is not a date"),
        "{}",
        bad.text()
    );
    let file = statement_file("lloyds", today, &rows);
    let uploaded = finance
        .post_multipart(
            "/bank-statements",
            &[("csrf_token", &csrf), ("file_name", "november.csv")],
            Some(("november.csv", file.as_bytes())),
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.text());
    let at = uploaded.location().unwrap();
    let page = finance.get(&at).await.text();
    assert!(
        page.contains("5 lines read, 5 new: 1 matched automatically, 2 with suggestions to check"),
        "{page}"
    );
    assert!(page.contains("a part payment"), "the evidence in words: {page}");
    assert!(!page.contains("part_paid") && !page.contains("\"score\""), "no internal names");
    let statement = at.trim_start_matches("/bank-statements/").split('?').next().unwrap().to_string();
    let home = finance.get("/").await.text();
    assert!(home.contains("3 bank statement lines to match"), "the home page says what waits: {home}");
    assert!(home.contains("Money owed to the partnership") && home.contains("Of which overdue"), "{home}");
    let lines = lines_of(&books, statement.parse().unwrap()).await;
    let suggested: Vec<String> =
        lines.iter().filter(|l| l["state"] == "suggested").map(|l| l["id"].to_string()).collect();
    assert_eq!(suggested.len(), 2);
    let mut form = vec![("csrf_token", csrf.as_str())];
    for id in &suggested {
        form.push(("line", id.as_str()));
    }
    let confirmed = finance.post_form(&format!("/bank-statements/{statement}/confirm"), &form).await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER);
    assert!(finance.get(&confirmed.location().unwrap()).await.text().contains("2 suggestions confirmed."));
    assert_eq!(books.invoice(all[1].0).await["payment_state"], "part_paid");
    let interest =
        lines.iter().find(|l| l["description"] == "BANK INTEREST").unwrap()["id"].as_i64().unwrap();
    let aside = finance
        .post_form(
            &format!("/bank-statement-lines/{interest}"),
            &[("csrf_token", &csrf), ("statement", &statement), ("line_no", "4"), ("action", "ignore")],
        )
        .await;
    assert_eq!(aside.status, StatusCode::SEE_OTHER);
    assert!(finance.get(&aside.location().unwrap()).await.text().contains("Line 4 is now ignored."));
    // A line nothing pointed to, matched by typing the invoice number.
    let (_, extra) =
        upload(&books, "", statement_file("hsbc", today, &[(1_500, "PAYMENT THANK YOU".into())])).await;
    let extra_line =
        lines_of(&books, extra["statement_id"].as_i64().unwrap()).await[0]["id"].as_i64().unwrap();
    let extra_statement = extra["statement_id"].to_string();
    let wrong = finance
        .post_form(
            &format!("/bank-statement-lines/{extra_line}"),
            &[
                ("csrf_token", &csrf),
                ("statement", &extra_statement),
                ("line_no", "1"),
                ("action", "numbers"),
                ("numbers", "RH-999999"),
            ],
        )
        .await;
    assert!(finance.get(&wrong.location().unwrap()).await.text().contains("There is no invoice RH-999999"));
    let typed = finance
        .post_form(
            &format!("/bank-statement-lines/{extra_line}"),
            &[
                ("csrf_token", &csrf),
                ("statement", &extra_statement),
                ("line_no", "1"),
                ("action", "numbers"),
                ("numbers", &all[3].1),
            ],
        )
        .await;
    assert!(finance.get(&typed.location().unwrap()).await.text().contains("Line 1 is now matched."));
    assert_eq!(books.invoice(all[3].0).await["money"]["allocated"], "15.00");
    let list = finance.get("/bank-statements").await.text();
    assert!(list.contains("november.csv") && list.contains("3 matched"), "{list}");
    books.check().await;
    books.app.finish().await;
}
on_both_databases!(statements_are_uploaded_and_decided_on_the_pages, statements_on_the_pages);

/// The demo's money: terms billed, payments of every kind, a council deduction, overdue
/// invoices, and a sample statement that imports and matches.
async fn demo_money(backend: Backend) {
    use partnership_billing::services::{demo, partnerships};
    let app = crate::helpers::TestApp::with_demo(backend).await;
    let p = partnerships::find_by_slug(&app.db, "demo").await.unwrap().unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    assert!(demo::load_demo_money(&app.db, &p, today).await.unwrap());
    assert!(!demo::load_demo_money(&app.db, &p, today).await.unwrap(), "once only");
    let check = partnership_billing::services::ledger::check_ledger(&app.db, Some("demo")).await.unwrap();
    assert!(check.breaches.is_empty(), "{:?}", check.breaches);
    let app = app.on_day(today);
    let mut finance = app.client();
    finance.sign_in("finance@demo.test", "demo-finance-2025").await;
    let mut states = std::collections::HashMap::new();
    let list = finance.get("/api/v1/invoices?year=2025-26&status=issued&per_page=500").await.json();
    for i in list["invoices"].as_array().unwrap() {
        *states.entry(i["payment_state"].as_str().unwrap().to_string()).or_insert(0) += 1;
    }
    for state in ["paid", "overdue"] {
        assert!(states.get(state).copied().unwrap_or(0) > 0, "some {state}: {states:?}");
    }
    let part_paid = list["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["paid"] != "0.00" && i["outstanding"] != "0.00")
        .count();
    assert!(part_paid > 0, "some paid in part (and now overdue)");
    let payments = finance.get("/api/v1/payments?q=RIVERSIDE%20BUDGET").await.json();
    assert!(payments["total"].as_u64().unwrap() > 1, "a council deduction settling many: {payments}");
    let credit = finance.get("/api/v1/payments?with_credit=true").await.json();
    assert!(credit["total"].as_u64().unwrap() >= 1, "an over-payment left credit: {credit}");
    let sample = finance.get("/bank-statements/sample.csv").await;
    assert_eq!(sample.status, StatusCode::OK);
    let csrf = finance.session_csrf().await;
    let uploaded = finance
        .post_multipart("/bank-statements", &[("csrf_token", &csrf)], Some(("sample.csv", &sample.body)))
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.text());
    let page = finance.get(&uploaded.location().unwrap()).await.text();
    assert!(page.contains("matched automatically") && page.contains("with suggestions to check"), "{page}");
    let matched: u32 = page
        .split("new: ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(matched >= 3, "the sample matches several invoices at once: {page}");
    let check = partnership_billing::services::ledger::check_ledger(&app.db, Some("demo")).await.unwrap();
    assert!(check.breaches.is_empty(), "{:?}", check.breaches);
    app.finish().await;
}
on_both_databases!(the_demo_has_money_and_a_sample_statement, demo_money);
