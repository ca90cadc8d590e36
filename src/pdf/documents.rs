//! Turning invoices and credit notes into printable documents with what HMRC VAT Notice 700
//! section 16 asks a VAT invoice to show.

use super::{Document, DocumentLine};
use crate::domain::money::Money;
use crate::domain::vat::VatRate;
use crate::services::invoices::{CreditNoteView, InvoiceView};
use crate::services::partnerships::Partnership;
use chrono::NaiveDate;

fn date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn lines_of(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// The supplier's company number and registered office in words, when it has them.
fn company_words(number: Option<&str>, office: Option<&str>) -> Option<String> {
    let office = office.map(|o| lines_of(o).join(", ")).filter(|o| !o.is_empty());
    match (number.filter(|n| !n.trim().is_empty()), office) {
        (Some(n), Some(o)) => Some(format!("Company number {n}. Registered office: {o}")),
        (Some(n), None) => Some(format!("Company number {n}")),
        (None, Some(o)) => Some(format!("Registered office: {o}")),
        (None, None) => None,
    }
}

pub(crate) fn bank_note(partnership: &Partnership, reference: &str) -> Option<String> {
    match (&partnership.bank_account_name, &partnership.bank_sort_code, &partnership.bank_account_number) {
        (Some(name), Some(sort), Some(account)) => Some(format!(
            "Pay by bank transfer (BACS) to {name}, sort code {sort}, account number {account}. Quote the invoice number {reference} as the payment reference."
        )),
        _ => None,
    }
}

/// The printable form of an issued (or held) invoice.
pub fn invoice_document(view: &InvoiceView, partnership: &Partnership) -> Document {
    let number = view.number.clone().unwrap_or_else(|| "Not yet issued".into());
    let mut details = vec![("Invoice number".to_string(), number.clone())];
    if let Some(d) = view.issue_date {
        details.push(("Date of issue".into(), date(d)));
    }
    if let Some(d) = view.supply_date {
        details.push(("Time of supply (tax point)".into(), date(d)));
    }
    if let Some(d) = view.due_date {
        details.push(("Payment due".into(), date(d)));
    }
    details.push(("Your PO number".into(), view.po_number.clone().unwrap_or_else(|| "None given".into())));
    details.push(("Period".into(), format!("{} to {}", date(view.period_start), date(view.period_end))));
    let vat_registered = view.supplier_vat_number.is_some();
    let mut totals: Vec<(String, String)> = Vec::new();
    if vat_registered {
        for rate in &view.totals.by_rate {
            totals.push((format!("Net at {}", rate.rate.label()), rate.net.to_string()));
        }
        totals.push(("Total net".into(), view.totals.net.to_string()));
        for rate in view.totals.by_rate.iter().filter(|r| !r.rate.percent().is_zero()) {
            totals.push((format!("VAT at {}", rate.rate.label()), rate.vat.to_string()));
        }
        totals.push(("Total VAT".into(), view.totals.vat.to_string()));
    }
    if view.credited > Money::ZERO {
        totals.push(("Credited".into(), format!("-{}", view.credited)));
    }
    if view.money.allocated > Money::ZERO {
        totals.push(("Paid".into(), format!("-{}", view.money.allocated)));
    }
    if view.money.written_off > Money::ZERO {
        totals.push(("Written off".into(), format!("-{}", view.money.written_off)));
    }
    totals.push(("Total due".into(), view.outstanding.to_string()));
    let mut notes =
        vec![format!("Payment terms: {} days from the date of issue.", partnership.payment_terms_days)];
    notes.extend(bank_note(partnership, &number));
    if let Some(email) = &partnership.remittance_email {
        notes.push(format!("Send remittance advice to {email}, quoting invoice number {number}."));
        notes.push(format!(
            "Questions about this invoice: email {email} or write to {} at the address above, quoting {number}.",
            view.supplier_name
        ));
    } else {
        notes.push(format!(
            "Questions about this invoice: write to {} at the address above, quoting {number}.",
            view.supplier_name
        ));
    }
    let mut remittance = vec![
        ("To".to_string(), view.supplier_name.clone()),
        ("From".to_string(), view.payer_name.clone()),
        ("Invoice number".to_string(), number.clone()),
        ("Amount".to_string(), view.outstanding.to_string()),
    ];
    if let Some(po) = &view.po_number {
        remittance.push(("Your PO number".into(), po.clone()));
    }
    remittance.push((
        "How to pay".into(),
        bank_note(partnership, &number).unwrap_or_else(|| format!("As agreed with {}.", view.supplier_name)),
    ));
    remittance.push(("Amount paid and date".into(), "______________________________".into()));
    Document {
        // A grant is not a supply: what asks for it is a request for payment, not an invoice.
        title: if !view.lines.is_empty() && view.lines.iter().all(|l| l.vat_rate == VatRate::OutsideScope) {
            "Request for payment".into()
        } else if vat_registered {
            "VAT invoice".into()
        } else {
            "Invoice".into()
        },
        supplier_name: view.supplier_name.clone(),
        supplier_address: lines_of(&view.supplier_address),
        supplier_vat_number: view.supplier_vat_number.clone(),
        supplier_company: company_words(
            view.supplier_company_number.as_deref(),
            view.supplier_registered_office.as_deref(),
        ),
        customer_heading: "Invoice to".into(),
        customer_name: view.payer_name.clone(),
        customer_address: lines_of(&view.payer_address)
            .into_iter()
            .filter(|l| *l != view.payer_name)
            .collect(),
        details,
        lines: view
            .lines
            .iter()
            .map(|l| DocumentLine {
                description: l.description.clone(),
                quantity: l.quantity.normalize().to_string(),
                unit_price: l.unit_price.to_string(),
                vat_rate: if vat_registered { l.vat_rate.label().to_string() } else { "No VAT".into() },
                net: l.net.to_string(),
            })
            .collect(),
        totals,
        notes,
        remittance,
        columns: super::LINE_COLUMNS,
    }
}

/// The printable form of a credit note.
pub fn credit_note_document(view: &CreditNoteView) -> Document {
    let vat_registered = view.supplier_vat_number.is_some();
    let mut totals = Vec::new();
    if vat_registered {
        for rate in &view.totals.by_rate {
            totals.push((format!("Net credited at {}", rate.rate.label()), rate.net.to_string()));
        }
    }
    totals.push(("Total net credited".to_string(), view.totals.net.to_string()));
    if vat_registered {
        for rate in view.totals.by_rate.iter().filter(|r| !r.rate.percent().is_zero()) {
            totals.push((format!("VAT credited at {}", rate.rate.label()), rate.vat.to_string()));
        }
        totals.push(("Total VAT credited".into(), view.totals.vat.to_string()));
    }
    totals.push(("Total credited".into(), view.totals.gross.to_string()));
    Document {
        title: "Credit note".into(),
        supplier_name: view.supplier_name.clone(),
        supplier_address: lines_of(&view.supplier_address),
        supplier_vat_number: view.supplier_vat_number.clone(),
        supplier_company: company_words(
            view.supplier_company_number.as_deref(),
            view.supplier_registered_office.as_deref(),
        ),
        customer_heading: "Credit to".into(),
        customer_name: view.payer_name.clone(),
        customer_address: lines_of(&view.payer_address)
            .into_iter()
            .filter(|l| *l != view.payer_name)
            .collect(),
        details: vec![
            ("Credit note number".into(), view.number.clone()),
            ("Date of issue".into(), date(view.issue_date)),
            ("Credits invoice".into(), view.invoice_number.clone().unwrap_or_default()),
            ("Reason".into(), view.reason.clone()),
        ],
        lines: view
            .lines
            .iter()
            .map(|(description, rate, net)| DocumentLine {
                description: description.clone(),
                quantity: "1".into(),
                unit_price: net.to_string(),
                vat_rate: if vat_registered { rate.label().to_string() } else { "No VAT".into() },
                net: net.to_string(),
            })
            .collect(),
        totals,
        notes: vec!["This credit note reduces what is owed on the invoice it credits.".into()],
        remittance: Vec::new(),
        columns: super::LINE_COLUMNS,
    }
}

/// A payer's statement of account: every document with its running balance, what is owed by
/// age, and how to pay.
pub fn statement_document(
    account: &crate::services::ledger::Account,
    partnership: &Partnership,
    today: NaiveDate,
) -> Document {
    use crate::domain::ledger::AgeBand;
    let balance_words = |m: Money| if m < Money::ZERO { format!("{} in credit", -m) } else { m.to_string() };
    let mut lines = vec![DocumentLine {
        description: "Opening balance".into(),
        quantity: String::new(),
        unit_price: String::new(),
        vat_rate: String::new(),
        net: account.opening_balance.to_string(),
    }];
    for e in &account.entries {
        let doc = if e.document.is_empty() { String::new() } else { format!(" {}", e.document) };
        lines.push(DocumentLine {
            description: format!("{} {}{doc}. {}", date(e.date), e.kind.label(), e.description),
            quantity: String::new(),
            unit_price: if e.debit > Money::ZERO { e.debit.to_string() } else { String::new() },
            vat_rate: if e.credit > Money::ZERO { e.credit.to_string() } else { String::new() },
            net: e.balance.to_string(),
        });
    }
    let mut totals: Vec<(String, String)> = AgeBand::ALL
        .iter()
        .filter(|b| account.aged.band(**b) > Money::ZERO)
        .map(|b| (b.label().to_string(), account.aged.band(*b).to_string()))
        .collect();
    if account.credit > Money::ZERO {
        totals.push(("Paid but not yet allocated (credit)".into(), account.credit.to_string()));
    }
    totals.push(("Balance".into(), balance_words(account.closing_balance)));
    let mut notes = vec!["A negative balance is money you have in credit with us.".to_string()];
    if account.overdue > Money::ZERO {
        notes
            .push(format!("{} is overdue: please pay it now, quoting the invoice numbers.", account.overdue));
    }
    notes.extend(bank_note(partnership, "the invoice numbers"));
    if let Some(email) = &partnership.remittance_email {
        notes.push(format!("Questions about this statement: email {email}."));
    }
    Document {
        title: "Statement of account".into(),
        supplier_name: partnership.name.clone(),
        supplier_address: lines_of(&partnership.address),
        supplier_vat_number: partnership.vat_number.clone().filter(|_| partnership.vat_registered()),
        supplier_company: company_words(
            partnership.company_number.as_deref(),
            partnership.registered_office.as_deref(),
        ),
        customer_heading: "Statement for".into(),
        customer_name: account.payer_name.clone(),
        customer_address: lines_of(&account.payer_address)
            .into_iter()
            .filter(|l| *l != account.payer_name)
            .collect(),
        details: vec![
            ("Statement date".into(), date(today)),
            ("Owed on invoices".into(), account.outstanding.to_string()),
            ("Overdue".into(), account.overdue.to_string()),
        ],
        lines,
        totals,
        notes,
        remittance: Vec::new(),
        columns: ["Date, document and details", "", "Charged", "Paid", "Balance"],
    }
}

/// A month's self-billing statement and remittance advice for a provider school: the
/// partnership writes it for the school (which does not invoice for these days), listing each
/// delivery, its units, the agreed rate and what is owed.
pub fn self_billing_document(
    s: &crate::services::providers::StatementView,
    school_address: &str,
    partnership: &Partnership,
) -> Document {
    let month = NaiveDate::parse_from_str(&format!("{}-01", s.month), "%Y-%m-%d")
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_else(|_| s.month.clone());
    let total = Money::parse(&s.total).unwrap_or(Money::ZERO);
    let lines = s
        .lines
        .iter()
        .map(|l| {
            let units: rust_decimal::Decimal = l.units.parse().unwrap_or_default();
            let payable = Money::parse(&l.payable).unwrap_or(Money::ZERO);
            let rate = if units.is_zero() {
                Money::ZERO
            } else {
                Money::from_decimal_rounded(payable.amount() / units)
            };
            DocumentLine {
                description: format!(
                    "{} {}: {} for {}, by {}",
                    date(l.delivered_on),
                    l.service,
                    l.units_in_words,
                    l.school,
                    l.delivered_by
                ),
                quantity: l.units.clone(),
                unit_price: rate.to_string(),
                vat_rate: String::new(),
                net: payable.to_string(),
            }
        })
        .collect();
    let mut details =
        vec![("Statement number".to_string(), s.number.clone()), ("For deliveries in".into(), month)];
    if let (Some(on), Some(r)) = (s.paid_on, &s.paid_reference) {
        details.push(("Paid".into(), format!("{} (reference {r})", date(on))));
    }
    Document {
        title: "Self-billing statement and remittance advice".into(),
        supplier_name: s.school.clone(),
        supplier_address: lines_of(school_address).into_iter().filter(|l| *l != s.school).collect(),
        supplier_vat_number: None,
        supplier_company: None,
        customer_heading: "Prepared by".into(),
        customer_name: partnership.name.clone(),
        customer_address: lines_of(&partnership.address),
        details,
        lines,
        totals: vec![("Owed to the school".into(), total.to_string())],
        notes: vec![
            format!(
                "{} prepared this statement for {} under their self-billing agreement: the school does not issue its own invoice for these deliveries.",
                partnership.name, s.school
            ),
            "Tell us within 14 days if anything on it is wrong.".into(),
        ],
        remittance: vec![],
        columns: ["Delivery", "Units", "Rate", "", "Amount"],
    }
}
