//! Invoice and credit-note PDFs: the text is extractable (checked with poppler's pdftotext),
//! long trust invoices flow onto further pages with the table header repeated.

use crate::helpers::{Backend, TestApp};
use crate::on_both_databases;
use chrono::NaiveDate;
use entity::invoice;
use partnership_billing::pdf::documents::{credit_note_document, invoice_document};
use partnership_billing::pdf::{Document, DocumentLine, render};
use partnership_billing::services::billing;
use partnership_billing::services::invoices::{self, CreditAmounts, InvoiceScope};
use partnership_billing::services::partnerships;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// The text of a PDF as `pdftotext -layout` extracts it.
pub fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, bytes).expect("write the PDF");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().expect("path"), "-"])
        .output()
        .expect("pdftotext runs (install poppler-utils)");
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_forty_school_trust_invoice_flows_over_pages() {
    let lines: Vec<DocumentLine> = (1..=40)
        .map(|i| DocumentLine {
            description: format!("Membership 2025-26, Standard: School number {i} of the trust, with a long name that wraps: 420 pupils x £11.00 + lump sum £600.00, less trust discount 5%, autumn term (4 of 12 months)"),
            quantity: "1".into(),
            unit_price: format!("£{i},234.56"),
            vat_rate: "20%".into(),
            net: format!("£{i},234.56"),
        })
        .collect();
    let doc = Document {
        title: "VAT invoice".into(),
        supplier_name: "Riverside and Hillbrook Schools Partnership".into(),
        supplier_address: vec!["12 Mill Lane".into(), "Riverside".into()],
        supplier_vat_number: Some("GB 123 4567 89".into()),
        supplier_company: Some("Company number 01234567".into()),
        columns: partnership_billing::pdf::LINE_COLUMNS,
        remittance: vec![
            ("Invoice number".into(), "RH-000042".into()),
            ("Amount".into(), "£99,999.99".into()),
        ],
        customer_heading: "Invoice to".into(),
        customer_name: "Big Trust".into(),
        customer_address: vec!["Finance team".into()],
        details: vec![("Invoice number".into(), "RH-000042".into())],
        lines,
        totals: vec![("Total due".into(), "£99,999.99".into())],
        notes: vec!["Quote invoice number RH-000042.".into()],
    };
    let text = pdf_text(&render(&doc));
    let pages = text.matches('\u{c}').count().max(1);
    assert!(pages >= 3, "40 wrapped lines need several pages: {pages}");
    // Every page names the document and counts the pages.
    for page in 1..=pages {
        assert!(
            text.contains(&format!("VAT invoice RH-000042, page {page} of {pages}")),
            "page {page}:\n{text}"
        );
    }
    assert!(text.contains("Remittance advice") && text.contains("Tear off and send with your payment"));
    assert!(text.matches("Description").count() >= pages, "the table header repeats on every page");
    assert!(text.contains("VAT invoice RH-000042, continued"));
    for i in 1..=40 {
        assert!(text.contains(&format!("School number {i} of")), "line {i} is missing");
        assert!(text.contains(&format!("£{i},234.56")), "amount {i} is missing");
    }
    assert!(text.contains("£99,999.99"));
}

async fn invoice_pdfs(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let p = partnerships::find_by_slug(&app.db, "demo").await.unwrap().unwrap();
    let today = NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
    billing::commit(
        &app.db,
        &p,
        "2025-26",
        "autumn",
        partnership_billing::services::billing::RunBy::on(today),
        &mut |_, _| {},
    )
    .await
    .unwrap();
    let trust = invoice::Entity::find()
        .filter(invoice::Column::PayerName.eq("Northgate Learning Trust"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let view = invoices::get(&app.db, p.id, trust.id, &InvoiceScope::All, today).await.unwrap();
    let bytes = render(&invoice_document(&view, &p));
    if let Ok(dir) = std::env::var("PB_SCREENSHOTS") {
        std::fs::write(std::path::Path::new(&dir).join("trust-invoice.pdf"), &bytes).expect("save the PDF");
    }
    let text = pdf_text(&bytes);
    // Words as read, whatever line the layout wrapped them onto.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let number = view.number.clone().unwrap();
    for expected in [
        "VAT invoice",
        number.as_str(),
        "Riverside and Hillbrook Schools Partnership",
        "VAT registration number: GB 123 4567 89",
        "Company number 09876543. Registered office: The Learning Centre, 12 Mill Lane, Riverside, RV1 2AB",
        "Northgate Learning Trust",
        "Date of issue",
        "1 September 2025",
        "Time of supply (tax point)",
        "1 October 2025",
        "sort code 20-45-77",
        "account number 43218765",
    ] {
        assert!(flat.contains(expected), "{expected} is missing from:\n{text}");
    }
    assert!(flat.contains(&format!("Quote the invoice number {number} as the payment reference")));
    // Each line names its school and URN; the slip to send back; whom to ask.
    assert!(view.lines.iter().all(|l| l.description.contains("(URN 99")), "{:?}", view.lines);
    let slip = &flat[flat.find("Remittance advice").expect("a remittance slip")..];
    for expected in [
        "From Northgate Learning Trust".to_string(),
        format!("Invoice number {number}"),
        format!("Amount {}", view.outstanding),
        "How to pay Pay by bank transfer".to_string(),
    ] {
        assert!(slip.contains(&expected), "{expected} is missing from the slip: {slip}");
    }
    assert!(
        flat.contains("Questions about this invoice: email finance@riverside-hillbrook.example"),
        "{flat}"
    );
    for line in &view.lines {
        let start: String = line.description.chars().take(30).collect();
        assert!(text.contains(&start), "line {start} is missing");
        assert!(text.contains(&line.net.to_string()), "{} is missing", line.net);
    }
    for total in [view.totals.net, view.totals.vat, view.outstanding] {
        assert!(text.contains(&total.to_string()), "total {total} is missing");
    }
    let note = invoices::credit(
        &app.db,
        &p,
        trust.id,
        &CreditAmounts::Everything,
        partnership_billing::services::invoices::CreditRequest {
            reason: "Membership cancelled",
            user_id: None,
            today,
            now: chrono::Utc::now(),
        },
    )
    .await
    .unwrap();
    let credit = invoices::get_credit_note(&app.db, p.id, note.id, &InvoiceScope::All).await.unwrap();
    let text = pdf_text(&render(&credit_note_document(&credit)));
    for expected in [
        "Credit note",
        note.number.as_str(),
        number.as_str(),
        "Membership cancelled",
        "Northgate Learning Trust",
    ] {
        assert!(text.contains(expected), "{expected} is missing from the credit note:\n{text}");
    }
    assert!(text.contains(&credit.totals.gross.to_string()));
    assert!(text.contains(&format!("Credit note {}, page 1 of", note.number)), "{text}");

    // A school's invoice is addressed in full: name, street, town and postcode, as GIAS has them.
    let school_paid = invoice::Entity::find()
        .filter(invoice::Column::PayerName.ne("Northgate Learning Trust"))
        .filter(
            sea_orm::Condition::any()
                .add(invoice::Column::PayerAddress.contains("Lane"))
                .add(invoice::Column::PayerAddress.contains("Road")),
        )
        .filter(invoice::Column::Number.is_not_null())
        .one(&app.db)
        .await
        .unwrap()
        .expect("an invoice to a school");
    let view = invoices::get(&app.db, p.id, school_paid.id, &InvoiceScope::All, today).await.unwrap();
    let text = pdf_text(&render(&invoice_document(&view, &p)));
    let lines: Vec<&str> = school_paid.payer_address.lines().collect();
    assert!(lines.len() >= 4, "name, street, town and postcode: {lines:?}");
    for line in lines {
        assert!(text.contains(line), "{line} is missing from:\n{text}");
    }
    app.finish().await;
}
on_both_databases!(invoice_and_credit_note_pdfs_have_extractable_text, invoice_pdfs);

#[tokio::test]
async fn a_partnership_without_vat_registration_charges_no_vat() {
    use sea_orm::{ActiveModelTrait, Set};
    let app = TestApp::with_demo(Backend::Sqlite).await;
    let model = entity::partnership::Entity::find().one(&app.db).await.unwrap().unwrap();
    let mut active: entity::partnership::ActiveModel = model.into();
    active.vat_number = Set(None);
    active.update(&app.db).await.unwrap();
    let p = partnerships::find_by_slug(&app.db, "demo").await.unwrap().unwrap();
    assert!(!p.vat_registered());
    let today = NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
    let summary = billing::commit(
        &app.db,
        &p,
        "2025-26",
        "autumn",
        partnership_billing::services::billing::RunBy::on(today),
        &mut |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.vat, partnership_billing::domain::money::Money::ZERO);
    assert_eq!(summary.total, summary.net);
    let first =
        invoice::Entity::find().filter(invoice::Column::Sequence.eq(1)).one(&app.db).await.unwrap().unwrap();
    assert_eq!((first.vat_pence, first.supplier_vat_number.clone()), (0, None));
    let view = invoices::get(&app.db, p.id, first.id, &InvoiceScope::All, today).await.unwrap();
    let text = pdf_text(&render(&invoice_document(&view, &p)));
    assert!(
        text.contains("Invoice")
            && !text.contains("VAT invoice")
            && !text.contains("VAT registration number"),
        "{text}"
    );
    assert!(text.contains("No VAT"));
    app.finish().await;
}
