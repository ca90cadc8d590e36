//! The words of each message: a new invoice or credit note, a payment receipt, a statement and a
//! reminder. Each names the partnership, the document and the money, and links to the page
//! where it can be read (and paid).

use super::{Attachment, Letter, NewMessage};
use crate::domain::mail::MessageKind;
use crate::domain::money::Money;
use crate::services::partnerships::Partnership;
use chrono::NaiveDate;
use entity::{credit_note, invoice, payer, payment};

pub(crate) fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn greeting(p: &payer::Model) -> String {
    match p.contact_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => format!("Dear {name},"),
        None => format!("Dear {} finance team,", p.name),
    }
}

fn sign_off(partnership: &Partnership) -> String {
    format!("Thank you, {} finance team", partnership.name)
}

fn footer(partnership: &Partnership, reference: &str) -> Vec<String> {
    let mut lines: Vec<String> =
        crate::pdf::documents::bank_note(partnership, reference).into_iter().collect();
    if let Some(email) = &partnership.remittance_email {
        lines.push(format!("Questions, or a remittance advice: reply to this email or write to {email}."));
    }
    lines.push(format!("{}, {}", partnership.name, partnership.address.replace('\n', ", ")));
    lines
}

/// A newly issued invoice, with its PDF.
pub fn invoice(
    partnership: &Partnership,
    public_url: &str,
    p: &payer::Model,
    i: &invoice::Model,
) -> NewMessage {
    let number = i.number.clone().unwrap_or_default();
    let gross = Money::from_pence(i.gross_pence);
    let due = i.due_date.map(long_date).unwrap_or_default();
    let mut facts = vec![
        ("Invoice number".to_string(), number.clone()),
        ("Amount".to_string(), gross.to_string()),
        ("Payment due".to_string(), due.clone()),
        ("Period".to_string(), format!("{} to {}", long_date(i.period_start), long_date(i.period_end))),
    ];
    if let Some(po) = &i.po_number {
        facts.push(("Your PO number".into(), po.clone()));
    }
    NewMessage {
        kind: MessageKind::Invoice,
        dedupe_key: format!("invoice:{}", i.id),
        payer_id: Some(p.id),
        document_id: Some(i.id),
        subject: format!("Invoice {number} from {}: {gross} due {due}", partnership.name),
        letter: Letter {
            greeting: greeting(p),
            paragraphs: vec![
                format!("Please find attached invoice {number} for {gross}, addressed to {}.", i.payer_name),
                format!("Please pay it by {due}."),
            ],
            facts_caption: "Invoice".into(),
            facts,
            link: Some((
                format!("{public_url}/invoices/{}", i.id),
                format!("View or pay invoice {number} online"),
            )),
            sign_off: sign_off(partnership),
            footer: footer(partnership, &number),
        },
        attachment: Some(Attachment::Invoice),
        queued_by: None,
        to: Vec::new(),
    }
}

/// A credit note, with its PDF.
pub fn credit_note(
    partnership: &Partnership,
    public_url: &str,
    p: &payer::Model,
    note: &credit_note::Model,
    invoice_number: &str,
) -> NewMessage {
    let gross = Money::from_pence(note.gross_pence);
    NewMessage {
        kind: MessageKind::CreditNote,
        dedupe_key: format!("credit_note:{}", note.id),
        payer_id: Some(p.id),
        document_id: Some(note.id),
        subject: format!(
            "Credit note {} from {}: {gross} off invoice {invoice_number}",
            note.number, partnership.name
        ),
        letter: Letter {
            greeting: greeting(p),
            paragraphs: vec![
                format!(
                    "Please find attached credit note {} for {gross}. It reduces what is owed on invoice {invoice_number}.",
                    note.number
                ),
                format!("The reason: {}", note.reason),
            ],
            facts_caption: "Credit note".into(),
            facts: vec![
                ("Credit note number".into(), note.number.clone()),
                ("Amount".into(), gross.to_string()),
                ("Date".into(), long_date(note.issue_date)),
                ("Invoice credited".into(), invoice_number.to_string()),
            ],
            link: Some((
                format!("{public_url}/invoices/{}", note.invoice_id),
                format!("View invoice {invoice_number} online"),
            )),
            sign_off: sign_off(partnership),
            footer: footer(partnership, invoice_number),
        },
        attachment: Some(Attachment::CreditNote),
        queued_by: None,
        to: Vec::new(),
    }
}

/// A receipt for a payment received.
pub fn receipt(
    partnership: &Partnership,
    public_url: &str,
    p: &payer::Model,
    pay: &payment::Model,
    method: &str,
    paid_off: &[(String, Money)],
) -> NewMessage {
    let amount = Money::from_pence(pay.amount_pence);
    let mut paragraphs = vec![format!(
        "Thank you: we received {amount} from {} on {} ({}).",
        p.name,
        long_date(pay.received_on),
        method.to_lowercase()
    )];
    if paid_off.is_empty() {
        paragraphs.push(
            "We will match it to your invoices; your statement of account shows how it is used.".into(),
        );
    } else {
        paragraphs.push("It pays the invoices below.".into());
    }
    NewMessage {
        kind: MessageKind::Receipt,
        dedupe_key: format!("receipt:{}", pay.id),
        payer_id: Some(p.id),
        document_id: Some(pay.id),
        subject: format!("Payment received by {}: {amount}, thank you", partnership.name),
        letter: Letter {
            greeting: greeting(p),
            paragraphs,
            facts_caption: if paid_off.is_empty() { "Payment".into() } else { "Invoices paid".into() },
            facts: if paid_off.is_empty() {
                vec![("Amount".into(), amount.to_string()), ("Reference".into(), pay.reference.clone())]
            } else {
                paid_off.iter().map(|(number, m)| (format!("Invoice {number}"), m.to_string())).collect()
            },
            link: Some((
                format!("{public_url}/payers/{}/account", p.id),
                "See your statement of account".into(),
            )),
            sign_off: sign_off(partnership),
            footer: footer(partnership, "the invoice numbers"),
        },
        attachment: None,
        queued_by: None,
        to: Vec::new(),
    }
}

/// A statement of account (PDF made when sent), asked for by finance on `today`.
pub fn statement(
    partnership: &Partnership,
    public_url: &str,
    p: &payer::Model,
    owed: Money,
    overdue: Money,
    today: NaiveDate,
    sequence: u64,
) -> NewMessage {
    let mut paragraphs =
        vec![format!("Please find attached {}'s statement of account at {}.", p.name, long_date(today))];
    if overdue > Money::ZERO {
        paragraphs
            .push(format!("{overdue} of it is overdue: please pay it now, quoting the invoice numbers."));
    }
    NewMessage {
        kind: MessageKind::Statement,
        dedupe_key: format!("statement:{}:{today}:{sequence}", p.id),
        payer_id: Some(p.id),
        document_id: None,
        subject: format!("Statement of account from {}: {owed} owed", partnership.name),
        letter: Letter {
            greeting: greeting(p),
            paragraphs,
            facts_caption: "Balance".into(),
            facts: vec![("Owed".into(), owed.to_string()), ("Overdue".into(), overdue.to_string())],
            link: Some((
                format!("{public_url}/payers/{}/account", p.id),
                "See your statement of account online".into(),
            )),
            sign_off: sign_off(partnership),
            footer: footer(partnership, "the invoice numbers"),
        },
        attachment: Some(Attachment::Statement),
        queued_by: None,
        to: Vec::new(),
    }
}

/// A reminder of an unpaid invoice at the step of the schedule it is due (with the claim that
/// could be made, on the final step when claims are on).
pub fn reminder(
    partnership: &Partnership,
    public_url: &str,
    d: &crate::services::reminders::Due,
    today: NaiveDate,
    claim: Option<&crate::domain::late_payment::Claim>,
) -> NewMessage {
    let (p, i, step, owed) = (&d.payer, &d.invoice, &d.step, d.owed);
    let number = i.number.clone().unwrap_or_default();
    let due = i.due_date.unwrap_or(today);
    let overdue = due < today;
    let mut paragraphs = vec![
        step.wording.clone(),
        "If you have paid in the last few days, thank you, and please ignore this reminder.".into(),
    ];
    if let Some(c) = claim {
        paragraphs.push(format!(
            "If it stays unpaid, we may claim statutory interest ({}% a year, {} so far) and a fixed sum of {} for the cost of recovering the debt, under the Late Payment of Commercial Debts (Interest) Act 1998.",
            c.rate, c.interest, c.fixed_sum
        ));
    }
    NewMessage {
        kind: MessageKind::Reminder,
        dedupe_key: format!("reminder:{}:{}", i.id, step.days_from_due),
        payer_id: Some(p.id),
        document_id: Some(i.id),
        subject: if overdue {
            format!("Overdue: invoice {number} from {}, {owed} to pay", partnership.name)
        } else {
            format!("Reminder: invoice {number} from {}, {owed} due {}", partnership.name, long_date(due))
        },
        letter: Letter {
            greeting: greeting(p),
            paragraphs,
            facts_caption: format!("Invoice {number}"),
            facts: vec![
                ("Invoice number".into(), number.clone()),
                ("Issued".into(), i.issue_date.map(long_date).unwrap_or_default()),
                ("Payment due".into(), long_date(due)),
                ("Still to pay".into(), owed.to_string()),
            ],
            link: Some((
                format!("{public_url}/invoices/{}", i.id),
                format!("View or pay invoice {number} online"),
            )),
            sign_off: sign_off(partnership),
            footer: footer(partnership, &number),
        },
        attachment: Some(Attachment::Invoice),
        queued_by: None,
        to: Vec::new(),
    }
}

/// Advance notice of a Direct Debit: how much will be collected, from which mandate, and when.
pub fn direct_debit_notice(
    partnership: &Partnership,
    public_url: &str,
    p: &payer::Model,
    i: &invoice::Model,
    amount: Money,
    collect_on: NaiveDate,
    mandate_reference: Option<&str>,
) -> NewMessage {
    let number = i.number.clone().unwrap_or_default();
    let mut facts = vec![
        ("Invoice number".to_string(), number.clone()),
        ("Amount".to_string(), amount.to_string()),
        ("Collected on or just after".to_string(), long_date(collect_on)),
    ];
    if let Some(reference) = mandate_reference {
        facts.push(("Direct Debit reference".into(), reference.to_string()));
    }
    NewMessage {
        kind: MessageKind::DirectDebitNotice,
        dedupe_key: format!("dd_notice:{}", i.id),
        payer_id: Some(p.id),
        document_id: Some(i.id),
        subject: format!(
            "Direct Debit notice from {}: {amount} will be collected on {}",
            partnership.name,
            long_date(collect_on)
        ),
        letter: Letter {
            greeting: greeting(p),
            paragraphs: vec![
                format!(
                    "This is advance notice that {amount} for invoice {number} will be collected by Direct Debit from your bank account on or just after {}.",
                    long_date(collect_on)
                ),
                "You do not need to do anything. If you think this is wrong, reply to this email at once. Your payments are protected by the Direct Debit Guarantee.".into(),
            ],
            facts_caption: "Direct Debit".into(),
            facts,
            link: Some((format!("{public_url}/invoices/{}", i.id), format!("View invoice {number} online"))),
            sign_off: sign_off(partnership),
            footer: footer(partnership, &number),
        },
        attachment: None,
        queued_by: None,
        to: Vec::new(),
    }
}
