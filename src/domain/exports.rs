//! Accounting exports as rules (issue 14): issued invoices and credit notes as rows of Xero's
//! sales-invoice import (at most 500 documents a file), Sage 50's audit-trail import, QuickBooks
//! Online's invoice import and a plain journal (for councils' ledgers); and the VAT summary of a
//! quarter (the figures for boxes 1 and 6 of the VAT return).

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
    /// The payer's record id, for an account reference ("PB000123").
    pub payer_id: i64,
    /// VAT at each rate, as on the document.
    pub vat_by_rate: Vec<(VatRate, Money)>,
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

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Xero,
    XeroPayments,
    Sage50,
    Quickbooks,
    Journal,
}

impl Format {
    pub const ALL: [Format; 5] =
        [Format::Xero, Format::XeroPayments, Format::Sage50, Format::Quickbooks, Format::Journal];

    /// Whether the format holds payments received (and not invoices and credit notes).
    pub fn holds_payments_only(self) -> bool {
        self == Format::XeroPayments
    }

    /// Whether the format holds payments received.
    pub fn holds_payments(self) -> bool {
        matches!(self, Format::XeroPayments | Format::Sage50 | Format::Journal)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xero => "xero",
            Format::XeroPayments => "xero_payments",
            Format::Sage50 => "sage50",
            Format::Quickbooks => "quickbooks",
            Format::Journal => "journal",
        }
    }

    pub fn parse(text: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Xero => "Xero (sales invoices and credit notes)",
            Format::XeroPayments => "Xero bank statement (payments received, to match to the invoices)",
            Format::Sage50 => "Sage 50 (audit trail: invoices, credit notes and receipts)",
            Format::Quickbooks => "QuickBooks Online (invoices)",
            Format::Journal => "Journal (date, account, debit, credit) for a council's ledger",
        }
    }

    pub fn header(self) -> Vec<String> {
        let list: &[&str] = match self {
            Format::Xero => &XERO_HEADER,
            Format::XeroPayments => &XERO_STATEMENT_HEADER,
            Format::Sage50 => &SAGE_HEADER,
            Format::Quickbooks => &QUICKBOOKS_HEADER,
            Format::Journal => &JOURNAL_HEADER,
        };
        list.iter().map(|h| h.to_string()).collect()
    }
}

super::unknown_name::from_str_by_parse!(Format, "export format");

/// Sage 50's audit-trail transaction import columns.
pub const SAGE_HEADER: [&str; 15] = [
    "Type",
    "Account Reference",
    "Nominal A/C Ref",
    "Department Code",
    "Date",
    "Reference",
    "Details",
    "Net Amount",
    "Tax Code",
    "Tax Amount",
    "Exchange Rate",
    "Extra Reference",
    "User Name",
    "Project Refn",
    "Cost Code Refn",
];

/// QuickBooks Online's invoice import columns.
pub const QUICKBOOKS_HEADER: [&str; 16] = [
    "InvoiceNo",
    "Customer",
    "InvoiceDate",
    "DueDate",
    "Terms",
    "Location",
    "Memo",
    "Item(Product/Service)",
    "ItemDescription",
    "ItemQuantity",
    "ItemRate",
    "ItemAmount",
    "ItemTaxCode",
    "ItemTaxAmount",
    "Currency",
    "Service Date",
];

/// A journal's columns.
pub const JOURNAL_HEADER: [&str; 6] = ["Date", "Account code", "Debit", "Credit", "Description", "Reference"];

/// The accounts a journal and Sage's receipts post to, besides each line's income account.
pub const DEBTORS_ACCOUNT: &str = "1100";
pub const BANK_ACCOUNT: &str = "1200";
pub const VAT_ACCOUNT: &str = "2200";

/// Sage's UK tax code for a rate.
pub fn sage_tax_code(rate: VatRate) -> &'static str {
    match rate {
        VatRate::Standard => "T1",
        VatRate::Reduced => "T5",
        VatRate::Zero => "T0",
        VatRate::Exempt => "T2",
        VatRate::OutsideScope => "T9",
    }
}

/// QuickBooks Online's UK tax code for a rate.
pub fn quickbooks_tax_code(rate: VatRate) -> &'static str {
    match rate {
        VatRate::Standard => "20.0% S",
        VatRate::Reduced => "5.0% R",
        VatRate::Zero => "0.0% Z",
        VatRate::Exempt => "Exempt",
        VatRate::OutsideScope => "No VAT",
    }
}

/// A payer's account reference in Sage (at most eight characters).
pub fn account_reference(payer_id: i64) -> String {
    format!("PB{payer_id:06}")
}

/// Money received from a payer, for Sage's receipts, the journal and Xero's bank statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub payer_id: i64,
    pub contact: String,
    pub date: NaiveDate,
    pub reference: String,
    pub amount: Money,
    /// How it was paid, in words: "bank transfer", "card".
    pub method: String,
    /// The numbers of the invoices it is allocated to, in order.
    pub invoices: Vec<String>,
}

/// Xero's bank statement import columns (its CSV template; starred columns are required).
pub const XERO_STATEMENT_HEADER: [&str; 5] = ["*Date", "*Amount", "Payee", "Description", "Reference"];

/// Xero imports at most 1,000 statement lines a file.
pub const XERO_STATEMENT_MOST_PER_FILE: usize = 1000;

/// A receipt as a line of Xero's bank statement import. Xero has no import for payments against
/// invoices: finance imports the lines into the bank account the money arrived in, and Xero
/// suggests the matching invoice from the payee, amount and reference (the invoice numbers it
/// paid, else the payer's own reference).
pub fn xero_statement_row(r: &Receipt) -> Vec<String> {
    let paid = if r.invoices.is_empty() { String::new() } else { format!(" for {}", r.invoices.join(", ")) };
    vec![
        uk(r.date),
        r.amount.amount().round_dp(2).to_string(),
        r.contact.clone(),
        format!("Payment by {}{paid}", r.method),
        if r.invoices.is_empty() { r.reference.clone() } else { r.invoices.join(" ") },
    ]
}

/// A document's lines gathered by income account and VAT rate, each with its share of that
/// rate's VAT (shared by net, the last taking what is left, so they add up exactly).
fn by_account(d: &Document) -> Vec<(String, VatRate, Money, Money)> {
    let mut groups: Vec<(String, VatRate, Money)> = Vec::new();
    for l in &d.lines {
        let net = money_of_line(l);
        match groups.iter_mut().find(|g| g.0 == l.account_code && g.1 == l.vat_rate) {
            Some(g) => g.2 = g.2 + net,
            None => groups.push((l.account_code.clone(), l.vat_rate, net)),
        }
    }
    let mut out = Vec::new();
    for (rate, vat) in &d.vat_by_rate {
        let of_rate: Vec<&(String, VatRate, Money)> = groups.iter().filter(|g| g.1 == *rate).collect();
        let total = of_rate.iter().fold(Money::ZERO, |a, g| a + g.2);
        let mut left = *vat;
        for (i, g) in of_rate.iter().enumerate() {
            let share = if i + 1 == of_rate.len() || total == Money::ZERO {
                left
            } else {
                Money::from_decimal_rounded(vat.amount() * g.2.amount() / total.amount())
            };
            left = left - share;
            out.push((g.0.clone(), g.1, g.2, share));
        }
    }
    // Lines at a rate the document carries no VAT figure for (not VAT-registered).
    for g in &groups {
        if !d.vat_by_rate.iter().any(|(r, _)| *r == g.1) {
            out.push((g.0.clone(), g.1, g.2, Money::ZERO));
        }
    }
    out
}

fn money_of_line(l: &DocumentLine) -> Money {
    Money::from_decimal_rounded(l.quantity * l.unit_amount.amount())
}

/// A document as Sage 50 audit-trail rows: SI for an invoice, SC for a credit note; a row per
/// income account and VAT rate, amounts positive.
pub fn sage_rows(d: &Document) -> Vec<Vec<String>> {
    by_account(d)
        .into_iter()
        .map(|(account, rate, net, vat)| {
            vec![
                if d.credit_note { "SC" } else { "SI" }.into(),
                account_reference(d.payer_id),
                account,
                String::new(),
                uk(d.date),
                d.number.clone(),
                format!(
                    "{}{}",
                    d.contact,
                    d.reference.as_deref().map(|r| format!(", {r}")).unwrap_or_default()
                ),
                net.amount().to_string(),
                sage_tax_code(rate).into(),
                vat.amount().to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]
        })
        .collect()
}

/// A receipt as Sage 50's sales payment on account (SA): Sage cannot import a receipt already
/// allocated (SR), so finance allocates it there.
pub fn sage_receipt_row(r: &Receipt) -> Vec<String> {
    vec![
        "SA".into(),
        account_reference(r.payer_id),
        BANK_ACCOUNT.into(),
        String::new(),
        uk(r.date),
        r.reference.clone(),
        format!("Payment from {}", r.contact),
        r.amount.amount().to_string(),
        sage_tax_code(VatRate::OutsideScope).into(),
        "0.00".into(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    ]
}

/// An invoice as QuickBooks Online invoice rows (its import takes invoices only: a credit note
/// gives none, and is in the journal instead).
pub fn quickbooks_rows(d: &Document) -> Vec<Vec<String>> {
    if d.credit_note {
        return Vec::new();
    }
    let shares = by_account(d);
    d.lines
        .iter()
        .map(|l| {
            // Each line's VAT: its rate's VAT shared by net over that rate's lines.
            let net = money_of_line(l);
            let rate_net = d
                .lines
                .iter()
                .filter(|o| o.vat_rate == l.vat_rate)
                .fold(Money::ZERO, |a, o| a + money_of_line(o));
            let rate_vat = shares.iter().filter(|s| s.1 == l.vat_rate).fold(Money::ZERO, |a, s| a + s.3);
            let vat = if rate_net == Money::ZERO {
                Money::ZERO
            } else {
                Money::from_decimal_rounded(rate_vat.amount() * net.amount() / rate_net.amount())
            };
            vec![
                d.number.clone(),
                d.contact.clone(),
                uk(d.date),
                uk(d.due),
                String::new(),
                String::new(),
                d.reference.clone().unwrap_or_default(),
                l.stream.clone(),
                l.description.clone(),
                l.quantity.normalize().to_string(),
                l.unit_amount.amount().to_string(),
                net.amount().to_string(),
                quickbooks_tax_code(l.vat_rate).into(),
                vat.amount().to_string(),
                "GBP".into(),
                String::new(),
            ]
        })
        .collect()
}

/// A document as balanced journal rows: an invoice debits debtors with its total and credits
/// each income account and VAT; a credit note the other way round.
pub fn journal_rows(d: &Document) -> Vec<Vec<String>> {
    let groups = by_account(d);
    let gross = groups.iter().fold(Money::ZERO, |a, g| a + g.2 + g.3);
    let vat = groups.iter().fold(Money::ZERO, |a, g| a + g.3);
    let row = |account: &str, amount: Money, debit: bool, what: String| {
        let (dr, cr) = if debit != d.credit_note {
            (amount.amount().to_string(), String::new())
        } else {
            (String::new(), amount.amount().to_string())
        };
        vec![uk(d.date), account.to_string(), dr, cr, what, d.number.clone()]
    };
    let kind = if d.credit_note { "Credit note" } else { "Invoice" };
    let mut out = vec![row(DEBTORS_ACCOUNT, gross, true, format!("{kind} {} to {}", d.number, d.contact))];
    let mut by_income: Vec<(String, Money)> = Vec::new();
    for g in &groups {
        match by_income.iter_mut().find(|(a, _)| *a == g.0) {
            Some(e) => e.1 = e.1 + g.2,
            None => by_income.push((g.0.clone(), g.2)),
        }
    }
    for (account, net) in by_income {
        out.push(row(&account, net, false, format!("{kind} {}: income", d.number)));
    }
    if vat != Money::ZERO {
        out.push(row(VAT_ACCOUNT, vat, false, format!("{kind} {}: VAT", d.number)));
    }
    out
}

/// A receipt as journal rows: bank debited, debtors credited.
pub fn journal_receipt_rows(r: &Receipt) -> Vec<Vec<String>> {
    let what = format!("Payment from {}", r.contact);
    vec![
        vec![
            uk(r.date),
            BANK_ACCOUNT.into(),
            r.amount.amount().to_string(),
            String::new(),
            what.clone(),
            r.reference.clone(),
        ],
        vec![
            uk(r.date),
            DEBTORS_ACCOUNT.into(),
            String::new(),
            r.amount.amount().to_string(),
            what,
            r.reference.clone(),
        ],
    ]
}

/// An export's files: its rows under the format's header; Xero's at most 500 documents a file,
/// the others one file.
pub fn files(format: Format, documents: &[Document], receipts: &[Receipt]) -> Vec<Vec<Vec<String>>> {
    let with_header = |rows: Vec<Vec<String>>| {
        let mut all = vec![format.header()];
        all.extend(rows);
        all
    };
    match format {
        Format::Xero => {
            let files = xero_files(documents);
            if files.is_empty() { vec![with_header(Vec::new())] } else { files }
        }
        Format::XeroPayments => {
            let rows: Vec<Vec<String>> = receipts.iter().map(xero_statement_row).collect();
            if rows.is_empty() {
                vec![with_header(Vec::new())]
            } else {
                rows.chunks(XERO_STATEMENT_MOST_PER_FILE).map(|chunk| with_header(chunk.to_vec())).collect()
            }
        }
        Format::Sage50 => vec![with_header(
            documents.iter().flat_map(sage_rows).chain(receipts.iter().map(sage_receipt_row)).collect(),
        )],
        Format::Quickbooks => vec![with_header(documents.iter().flat_map(quickbooks_rows).collect())],
        Format::Journal => vec![with_header(
            documents
                .iter()
                .flat_map(journal_rows)
                .chain(receipts.iter().flat_map(journal_receipt_rows))
                .collect(),
        )],
    }
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
            payer_id: 7,
            vat_by_rate: vec![(VatRate::Standard, Money::from_pence(24_000)), (VatRate::Zero, Money::ZERO)],
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

    #[test]
    fn sage_rows_carry_the_tax_codes_and_the_vat() {
        let rows = sage_rows(&doc(false));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].len(), SAGE_HEADER.len());
        assert_eq!(
            &rows[0][..10],
            &[
                "SI",
                "PB000007",
                "200",
                "",
                "01/09/2026",
                "RH-000042",
                "Riverside Park Primary School, PO-7",
                "1200.00",
                "T1",
                "240.00"
            ]
        );
        assert_eq!((rows[1][8].as_str(), rows[1][7].as_str()), ("T0", "25.00"));
        assert_eq!(sage_rows(&doc(true))[0][0], "SC");
        let r = Receipt {
            payer_id: 7,
            contact: "X".into(),
            date: day(2026, 9, 9),
            reference: "BACS".into(),
            amount: Money::from_pence(100),
            method: "bank transfer".into(),
            invoices: Vec::new(),
        };
        assert_eq!(&sage_receipt_row(&r)[..3], &["SA", "PB000007", "1200"]);
    }

    #[test]
    fn xero_statement_lines_name_the_invoices_paid_and_split_at_a_thousand() {
        let receipt = |invoices: &[&str]| Receipt {
            payer_id: 7,
            contact: "Hillbrook Council".into(),
            date: day(2026, 9, 9),
            reference: "REMIT 77".into(),
            amount: Money::from_pence(123_450),
            method: "Bacs credit".into(),
            invoices: invoices.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            xero_statement_row(&receipt(&["RH-000042", "RH-000043"])),
            [
                "09/09/2026",
                "1234.50",
                "Hillbrook Council",
                "Payment by Bacs credit for RH-000042, RH-000043",
                "RH-000042 RH-000043"
            ]
        );
        let unallocated = xero_statement_row(&receipt(&[]));
        assert_eq!(
            (unallocated[3].as_str(), unallocated[4].as_str()),
            ("Payment by Bacs credit", "REMIT 77")
        );
        let many: Vec<Receipt> = (0..1001).map(|_| receipt(&["RH-000001"])).collect();
        let files = files(Format::XeroPayments, &[doc(false)], &many);
        assert_eq!(
            files.iter().map(Vec::len).collect::<Vec<_>>(),
            [1001, 2],
            "1,000 lines and a header, then 1"
        );
        assert_eq!(files[1][0], XERO_STATEMENT_HEADER.map(String::from).to_vec());
        assert!(files.iter().flatten().all(|row| !row.contains(&"RH-000042".to_string())), "no invoices");
    }

    #[test]
    fn quickbooks_takes_invoices_only() {
        let rows = quickbooks_rows(&doc(false));
        assert_eq!(rows[0].len(), QUICKBOOKS_HEADER.len());
        assert_eq!(
            (rows[0][11].as_str(), rows[0][12].as_str(), rows[0][13].as_str()),
            ("1200.00", "20.0% S", "240.00")
        );
        assert!(quickbooks_rows(&doc(true)).is_empty());
    }

    #[test]
    fn a_journal_balances() {
        for credit in [false, true] {
            let rows = journal_rows(&doc(credit));
            let sum =
                |col: usize| rows.iter().filter_map(|r| r[col].parse::<Decimal>().ok()).sum::<Decimal>();
            assert_eq!(sum(2), sum(3), "debits equal credits");
            assert_eq!(sum(2), dec!(1465.00), "1,200.00 + 25.00 + 240.00 VAT");
        }
        let rows = journal_rows(&doc(false));
        assert_eq!((rows[0][1].as_str(), rows[0][2].as_str()), ("1100", "1465.00"));
        assert!(rows.iter().any(|r| r[1] == "2200" && r[3] == "240.00"));
    }

    #[test]
    fn vat_shared_over_accounts_adds_up() {
        let mut d = doc(false);
        d.lines[1].vat_rate = VatRate::Standard;
        d.vat_by_rate = vec![(VatRate::Standard, Money::from_pence(24_501))];
        let total: Money = by_account(&d).iter().fold(Money::ZERO, |a, g| a + g.3);
        assert_eq!(total, Money::from_pence(24_501));
    }

    #[test]
    fn format_names_read_back() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        assert!("sage".parse::<Format>().is_err());
    }
}
