//! Accounting exports as rules (issue 14): issued invoices and credit notes as rows of Xero's
//! sales-invoice import (at most 500 documents a file), and the VAT summary of a quarter (the
//! figures for boxes 1 and 6 of the VAT return).

use super::money::Money;
use super::vat::VatRate;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Xero's sales-invoice import columns, in its order (starred columns are required by Xero).
pub const XERO_HEADER: [&str; 27] = [
    "*ContactName",
    "EmailAddress",
    "POAddressLine1",
    "POAddressLine2",
    "POAddressLine3",
    "POAddressLine4",
    "POCity",
    "PORegion",
    "POPostalCode",
    "POCountry",
    "*InvoiceNumber",
    "Reference",
    "*InvoiceDate",
    "*DueDate",
    "InventoryItemCode",
    "*Description",
    "*Quantity",
    "*UnitAmount",
    "Discount",
    "*AccountCode",
    "*TaxType",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
    "Currency",
    "BrandingTheme",
];

/// The most documents Xero takes in one import file.
pub const XERO_MOST_PER_FILE: usize = 500;

/// Xero's name for a UK VAT rate on income.
pub fn xero_tax_type(rate: VatRate) -> &'static str {
    match rate {
        VatRate::Standard => "20% (VAT on Income)",
        VatRate::Reduced => "5% (VAT on Income)",
        VatRate::Zero => "Zero Rated Income",
        VatRate::Exempt => "Exempt Income",
        VatRate::OutsideScope => "No VAT",
    }
}

/// An issued invoice or credit note to export.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub credit_note: bool,
    pub number: String,
    pub contact: String,
    pub email: Option<String>,
    /// The postal address under the contact's name, a line each (the last is the postcode).
    pub address: Vec<String>,
    /// The PO number, or the invoice a credit note credits.
    pub reference: Option<String>,
    pub date: NaiveDate,
    pub due: NaiveDate,
    pub lines: Vec<DocumentLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DocumentLine {
    pub description: String,
    pub quantity: Decimal,
    pub unit_amount: Money,
    pub vat_rate: VatRate,
    pub account_code: String,
    /// The income stream, as a tracking option ("Memberships").
    pub stream: String,
}

fn uk(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Whether a line looks like a UK postcode ("RV1 2AB").
fn is_postcode(text: &str) -> bool {
    let t: String = text.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_uppercase();
    let parts: Vec<&str> = t.split(' ').collect();
    parts.len() == 2
        && (2..=4).contains(&parts[0].len())
        && parts[1].len() == 3
        && parts[0].chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && parts[1].chars().next().is_some_and(|c| c.is_ascii_digit())
        && t.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
}

/// The document's rows in Xero's layout: one per line, dates as DD/MM/YYYY, a credit note's
/// amounts negative (Xero imports a document whose total is below zero as a credit note).
pub fn xero_rows(d: &Document) -> Vec<Vec<String>> {
    let mut address = d.address.clone();
    let postcode = match address.last() {
        Some(last) if is_postcode(last) => address.pop(),
        _ => None,
    };
    let city = if address.len() > 1 { address.pop() } else { None };
    address.truncate(4);
    let line = |i: usize| address.get(i).cloned().unwrap_or_default();
    d.lines
        .iter()
        .map(|l| {
            let unit = if d.credit_note { -l.unit_amount } else { l.unit_amount };
            vec![
                d.contact.clone(),
                d.email.clone().unwrap_or_default(),
                line(0),
                line(1),
                line(2),
                line(3),
                city.clone().unwrap_or_default(),
                String::new(),
                postcode.clone().unwrap_or_default(),
                "United Kingdom".into(),
                d.number.clone(),
                d.reference.clone().unwrap_or_default(),
                uk(d.date),
                uk(d.due),
                String::new(),
                l.description.clone(),
                l.quantity.normalize().to_string(),
                unit.amount().to_string(),
                String::new(),
                l.account_code.clone(),
                xero_tax_type(l.vat_rate).into(),
                "Income stream".into(),
                l.stream.clone(),
                String::new(),
                String::new(),
                "GBP".into(),
                String::new(),
            ]
        })
        .collect()
}

/// The documents in files of at most [`XERO_MOST_PER_FILE`], each file's rows with the header.
pub fn xero_files(documents: &[Document]) -> Vec<Vec<Vec<String>>> {
    documents
        .chunks(XERO_MOST_PER_FILE)
        .map(|chunk| {
            let mut rows = vec![XERO_HEADER.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
            rows.extend(chunk.iter().flat_map(xero_rows));
            rows
        })
        .collect()
}

/// Rows as CSV text (RFC 4180: a field with a comma, quote or line break is quoted).
pub fn csv(rows: &[Vec<String>]) -> String {
    let field = |f: &String| {
        // A field that a spreadsheet would run as a formula is written as text.
        let f = if f.starts_with(['=', '+', '@']) || (f.starts_with('-') && f.parse::<Decimal>().is_err()) {
            format!("'{f}")
        } else {
            f.clone()
        };
        if f.contains([',', '"', '\n', '\r']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f }
    };
    let mut out = String::new();
    for row in rows {
        out.push_str(&row.iter().map(field).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// Output VAT and net sales at one rate in a quarter: invoices less credit notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RateSummary {
    pub rate: VatRate,
    pub net: Money,
    pub vat: Money,
}

/// A quarter's VAT summary: each rate, box 1 (VAT due on sales) and box 6 (sales excluding
/// VAT). Box 6 leaves out what is outside the scope of VAT (grants, late-payment claims): it
/// is not a supply.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VatSummary {
    pub rates: Vec<RateSummary>,
    pub box1: Money,
    pub box6: Money,
}

/// Adds up each document's VAT by rate (invoices positive, credit notes negative).
pub fn vat_summary(by_rate: &[(VatRate, Money, Money)]) -> VatSummary {
    let mut rates: Vec<RateSummary> = Vec::new();
    for (rate, net, vat) in by_rate {
        match rates.iter_mut().find(|r| r.rate == *rate) {
            Some(r) => {
                r.net = r.net + *net;
                r.vat = r.vat + *vat;
            }
            None => rates.push(RateSummary { rate: *rate, net: *net, vat: *vat }),
        }
    }
    rates.sort_by_key(|r| r.rate);
    let box1 = rates.iter().fold(Money::ZERO, |a, r| a + r.vat);
    let box6 = rates.iter().filter(|r| r.rate != VatRate::OutsideScope).fold(Money::ZERO, |a, r| a + r.net);
    VatSummary { rates, box1, box6 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn doc(credit_note: bool) -> Document {
        Document {
            credit_note,
            number: if credit_note { "RHC-000001".into() } else { "RH-000042".into() },
            contact: "Riverside Park Primary School".into(),
            email: Some("office@riverside.example".into()),
            address: vec!["12 Mill Lane".into(), "Riverside".into(), "RV1 2AB".into()],
            reference: Some("PO-7".into()),
            date: day(2026, 9, 1),
            due: day(2026, 10, 1),
            lines: vec![
                DocumentLine {
                    description: "Membership, Standard, autumn".into(),
                    quantity: dec!(1),
                    unit_amount: Money::from_pence(120_000),
                    vat_rate: VatRate::Standard,
                    account_code: "200".into(),
                    stream: "Memberships".into(),
                },
                DocumentLine {
                    description: "Books, \"phonics\" set".into(),
                    quantity: dec!(2.5),
                    unit_amount: Money::from_pence(1_000),
                    vat_rate: VatRate::Zero,
                    account_code: "210".into(),
                    stream: "Traded services".into(),
                },
            ],
        }
    }

    #[test]
    fn an_invoice_in_xeros_layout() {
        let rows = xero_rows(&doc(false));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].len(), XERO_HEADER.len());
        let at = |name: &str| XERO_HEADER.iter().position(|h| *h == name).unwrap();
        assert_eq!(rows[0][at("*ContactName")], "Riverside Park Primary School");
        assert_eq!(rows[0][at("POAddressLine1")], "12 Mill Lane");
        assert_eq!(rows[0][at("POCity")], "Riverside");
        assert_eq!(rows[0][at("POPostalCode")], "RV1 2AB");
        assert_eq!(rows[0][at("*InvoiceDate")], "01/09/2026");
        assert_eq!(rows[0][at("*DueDate")], "01/10/2026");
        assert_eq!(rows[0][at("*UnitAmount")], "1200.00");
        assert_eq!(rows[0][at("*TaxType")], "20% (VAT on Income)");
        assert_eq!(rows[1][at("*TaxType")], "Zero Rated Income");
        assert_eq!(rows[1][at("*Quantity")], "2.5");
        assert_eq!(rows[0][at("TrackingOption1")], "Memberships");
    }

    #[test]
    fn a_credit_note_is_negative() {
        let rows = xero_rows(&doc(true));
        let at = XERO_HEADER.iter().position(|h| *h == "*UnitAmount").unwrap();
        assert_eq!(rows[0][at], "-1200.00");
    }

    #[test]
    fn files_hold_at_most_500_documents() {
        let docs: Vec<Document> = (0..1001).map(|_| doc(false)).collect();
        let files = xero_files(&docs);
        assert_eq!(files.len(), 3);
        assert_eq!(files[0].len(), 1 + 500 * 2, "the header and two lines a document");
        assert_eq!(files[2].len(), 1 + 2);
        assert_eq!(files[1][0][0], "*ContactName");
    }

    #[test]
    fn csv_quotes_what_needs_it_and_defuses_formulas() {
        let text = csv(&[vec!["a,b".into(), "say \"hi\"".into(), "=SUM(A1)".into(), "-12.50".into()]]);
        assert_eq!(text, "\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),-12.50\r\n");
    }

    #[test]
    fn the_vat_summary_nets_credit_notes_and_leaves_grants_out_of_box_6() {
        let s = vat_summary(&[
            (VatRate::Standard, Money::from_pence(100_000), Money::from_pence(20_000)),
            (VatRate::Standard, Money::from_pence(-10_000), Money::from_pence(-2_000)),
            (VatRate::Exempt, Money::from_pence(50_000), Money::ZERO),
            (VatRate::OutsideScope, Money::from_pence(900_000), Money::ZERO),
        ]);
        assert_eq!(s.box1, Money::from_pence(18_000));
        assert_eq!(s.box6, Money::from_pence(140_000));
        assert_eq!(s.rates.len(), 3);
    }
}
