//! The audit log in words: each recorded action as a sentence a finance officer reads ("Femi
//! Adeyemi credited £120.00 on RH-000062 (Yewtree Primary School)"), and what changed as a
//! list of before and after values, with no JSON, ids or internal names.

use super::fees::FeeRule;
use super::instalments::BillingPlan;
use super::money::Money;
use super::pro_rata::ProRataUnit;
use super::vat::VatRate;
use serde_json::{Map, Value};

/// One recorded action, as stored.
pub struct Entry<'a> {
    /// Who did it, by name.
    pub who: &'a str,
    pub action: &'a str,
    /// What it was done to, in words ("RH-000062 (Yewtree Primary School)"), when known.
    pub subject: Option<&'a str>,
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
}

/// One value that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub what: String,
    pub before: String,
    pub after: String,
}

/// The kinds of action a log can be filtered by: (name in the address, start of the recorded
/// action, label).
pub const KINDS: [(&str, &str, &str); 11] = [
    ("invoices", "invoice.", "Invoices and credit notes"),
    ("payments", "payment.", "Payments, refunds and allocations"),
    ("bank", "bank.", "Bank statements"),
    ("memberships", "membership.", "Memberships"),
    ("offers", "offer", "Offers and levels"),
    ("payers", "payer.", "Payers and PO numbers"),
    ("invoice-settings", "invoice_settings.", "Invoice settings"),
    ("details", "partnership.", "Partnership details"),
    ("users", "user.", "Users"),
    ("contracts", "contract.", "Contracts and grants"),
    ("renewals", "renewal.", "Renewal rounds"),
];

fn field<'a>(value: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    value.and_then(|v| v.get(key)).filter(|v| !v.is_null())
}

fn text(value: Option<&Value>, key: &str) -> String {
    field(value, key).map(plain).unwrap_or_default()
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "none".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        other => other.to_string(),
    }
}

fn money(value: Option<&Value>, key: &str) -> String {
    let raw = text(value, key);
    Money::parse(&raw).map_or(raw, |m| m.to_string())
}

fn date(value: Option<&Value>, key: &str) -> String {
    let raw = text(value, key);
    chrono::NaiveDate::parse_from_str(&raw, "%Y-%m-%d").map_or(raw, |d| d.format("%-d %B %Y").to_string())
}

/// The sentence for an entry.
pub fn sentence(e: &Entry) -> String {
    let who = e.who;
    let about = e.subject.unwrap_or("a record since removed");
    let (b, a) = (e.before, e.after);
    match e.action {
        "invoice.issued" => format!("{who} issued {about} for {}", money(a, "gross")),
        "invoice.credited" => {
            format!("{who} credited {} on {about}: {}", money(a, "gross"), text(a, "reason"))
        }
        "invoice.credited_in_full" => {
            format!("{who} credited {about} in full, {}: {}", money(a, "gross"), text(a, "reason"))
        }
        "invoice.written_off" => format!(
            "{who} wrote off {} on {about} ({}): {}",
            money(a, "amount"),
            text(a, "kind").to_lowercase(),
            text(a, "reason")
        ),
        "payment.recorded" => {
            let reference = text(a, "reference");
            let reference =
                if reference.is_empty() { String::new() } else { format!(", reference {reference}") };
            format!(
                "{who} recorded a payment of {} from {about} by {}, received {}{reference}",
                money(a, "amount"),
                text(a, "method").to_lowercase(),
                date(a, "received_on")
            )
        }
        "payment.allocated" => format!("{who} allocated {about}'s payment: {}", text(a, "allocations")),
        "payment.unallocated" => format!(
            "{who} undid {} of {about}'s payment on {}: {}",
            money(a, "amount"),
            text(a, "invoice"),
            text(a, "reason")
        ),
        "payment.reversed" => {
            format!("{who} reversed {about}'s payment of {}: {}", money(a, "amount"), text(a, "reason"))
        }
        "payment.refunded" => format!(
            "{who} refunded {} to {about} by {}: {}",
            money(a, "amount"),
            text(a, "method").to_lowercase(),
            text(a, "reason")
        ),
        "payment.settled_by_council" => format!(
            "{who} recorded {about}'s budget deduction {} settling {} invoices, {}",
            text(a, "reference"),
            text(a, "invoices"),
            money(a, "amount")
        ),
        "bank.statement_imported" => format!(
            "{who} uploaded {about}: {} lines, {} new, {} matched automatically, {} with suggestions",
            text(a, "lines"),
            text(a, "new"),
            text(a, "auto_matched"),
            text(a, "suggested")
        ),
        "bank.line_decided" => {
            format!(
                "{who} {} on line {} of {about} ({})",
                text(a, "what"),
                text(a, "line"),
                money(a, "amount")
            )
        }
        "membership.joined" => format!(
            "{who} enrolled {about} at {} for {}, from {}",
            text(a, "level"),
            text(a, "year"),
            date(a, "starts_on")
        ),
        "membership.left" => format!("{who} ended the membership of {about} on {}", date(a, "ends_on")),
        "membership.enrolled_many" => {
            format!("{who} enrolled {} schools for {}", text(a, "schools"), text(a, "year"))
        }
        "offer.created" => format!("{who} created the {} offer", text(a, "year")),
        "offer.changed" => format!("{who} changed the billing plan or discounts of {about}"),
        "offer_level.added" => {
            format!("{who} added the level {} to the {} offer", text(a, "name"), text(a, "year"))
        }
        "offer_level.changed" => {
            format!("{who} changed the level {} of the {} offer", text(a, "name"), text(a, "year"))
        }
        "offer_level.moved" => format!(
            "{who} moved the level {} of the {} offer from place {} to {}",
            text(a, "name"),
            text(a, "year"),
            text(b, "place"),
            text(a, "place")
        ),
        "offer_level.removed" => {
            format!("{who} removed the level {} from the {} offer", text(b, "name"), text(b, "year"))
        }
        "partnership.details_changed" => format!("{who} changed the partnership's details"),
        "invoice_settings.changed" => format!("{who} changed the invoice settings"),
        "payer.contact_changed" => format!("{who} changed the billing contact and address of {about}"),
        "payer.requires_po" => {
            if a.is_some_and(|v| v == &Value::Bool(true)) {
                format!("{who} said {about} needs a PO number")
            } else {
                format!("{who} said {about} no longer needs a PO number")
            }
        }
        "payer.emails_changed" => format!("{who} changed the billing email addresses of {about}"),
        "mail.sent_again" => format!("{who} sent {about} again"),
        "reminders.schedule_changed" => format!("{who} changed the reminders and emails settings"),
        "reminders.paused" => format!("{who} paused reminders of {about}: {}", text(a, "reminders_paused")),
        "reminders.resumed" => format!("{who} turned reminders of {about} back on"),
        "direct_debit.set_up_started" => format!("{who} started setting up a Direct Debit for {about}"),
        "direct_debit.resumed" => format!("{who} started Direct Debit collection again for {about}"),
        "invoice.late_payment_claimed" => format!(
            "{who} raised {about}, a late-payment claim on invoice {}: interest {} and a fixed sum of {}",
            text(a, "late_invoice"),
            text(a, "interest"),
            text(a, "fixed_sum")
        ),
        "service.created" => format!("{who} added {} to the catalogue", text(a, "name")),
        "service.prices_set" => format!("{who} set the {} prices of a service", text(a, "year")),
        "order.placed" => format!(
            "{who} ordered {} of {} for {}",
            text(a, "quantity"),
            text(a, "service"),
            text(a, "school")
        ),
        "order.confirmed" => format!("{who} confirmed an order"),
        "order.delivered" => format!("{who} recorded an order delivered"),
        "order.cancelled" => format!("{who} cancelled an order"),
        "contract.created" => format!(
            "{who} added the contract {} with {}, worth {}",
            text(a, "title"),
            text(a, "counterparty"),
            money(a, "value")
        ),
        "contract.varied" => format!(
            "{who} varied the contract {} from {}: {} to {} ({})",
            text(a, "title"),
            text(a, "from"),
            money(b, "value"),
            money(a, "value"),
            text(a, "reason")
        ),
        "contract.instalment_invoiced" => {
            format!(
                "{who} invoiced {} of the contract {} on {about}",
                money(a, "amount"),
                text(a, "contract")
            )
        }
        "contract.deliverable_done" => {
            format!("{who} signed off {}: {}", text(a, "deliverable"), text(a, "note"))
        }
        "export.made" => {
            let payments = text(a, "payments");
            let held = match payments.as_str() {
                "" | "0" => format!("{} documents", text(a, "documents")),
                n if text(a, "documents") == "0" => format!("{n} payments"),
                n => format!("{} documents, {n} payments", text(a, "documents")),
            };
            format!(
                "{who} exported the invoices, credit notes and payments of {} to {} for {} ({held})",
                date(a, "from"),
                date(a, "to"),
                text(a, "format"),
            )
        }
        "export.accounts_set" => {
            format!("{who} set the account codes of the income streams: {}", text(a, "codes"))
        }
        "renewal.opened" => format!(
            "{who} opened the {} renewal round, answers by {}: {} schools invited ({} members this year)",
            text(a, "year"),
            date(a, "answer_by"),
            text(a, "invited"),
            text(a, "members")
        ),
        "renewal.answered" => {
            format!(
                "{who} answered the {} renewal round for {}: {}",
                text(a, "year"),
                text(a, "school"),
                text(a, "answer")
            )
        }
        "renewal.chased" => {
            format!(
                "{who} reminded {} schools to answer the {} renewal round",
                text(a, "schools"),
                text(a, "year")
            )
        }
        "renewal.converted" => format!(
            "{who} made {} memberships of {} from the renewal round's answers ({} pupil numbers and {} PO numbers recorded)",
            text(a, "memberships"),
            text(a, "year"),
            text(a, "pupil_numbers"),
            text(a, "po_numbers")
        ),
        "renewal.closed" => format!("{who} closed the {} renewal round", text(a, "year")),
        "budget.set" => format!("{who} set the {} budgets: {}", text(a, "year"), text(a, "budgets")),
        "user.disabled" => format!("{who} disabled the account of {about}"),
        "user.enabled" => format!("{who} enabled the account of {about}"),
        "user.password_changed" => format!("{who} changed their password"),
        "user.password_reset" => format!("{who} gave {about} a one-time password"),
        _ => format!("{who} made a change to {about}"),
    }
}

/// How a recorded field reads.
fn label(key: &str) -> String {
    match key {
        "fee_rule" => "Fee".into(),
        "vat_rate" => "VAT rate".into(),
        "billing_plan" => "Billing plan".into(),
        "pro_rata_unit" => "Part years".into(),
        "trust_discount_percent" => "Trust discount (%)".into(),
        "first_year_discount_percent" => "First-year discount (%)".into(),
        "ends_on" => "Membership ends".into(),
        "vat_number" => "VAT registration number".into(),
        "year_kind" => "Membership year".into(),
        "outstanding" => "Outstanding".into(),
        other => {
            let words = other.replace('_', " ");
            let mut chars = words.chars();
            chars.next().map_or(String::new(), |c| c.to_uppercase().chain(chars).collect())
        }
    }
}

/// How a recorded value reads, given its field.
fn value(key: &str, v: Option<&Value>) -> String {
    let Some(v) = v.filter(|v| !v.is_null()) else { return "none".into() };
    let raw = plain(v);
    match key {
        "fee_rule" => FeeRule::from_json(&raw).map_or(raw, |r| r.describe()),
        "vat_rate" => VatRate::parse(&raw).map_or(raw, |r| r.label().to_string()),
        "billing_plan" => BillingPlan::parse(&raw).map_or(raw, |p| p.label().to_string()),
        "pro_rata_unit" => ProRataUnit::parse(&raw).map_or(raw, |u| u.label().to_string()),
        "year_kind" => super::partnership::YearKind::parse(&raw).map_or(raw, |k| k.describe().to_string()),
        "outstanding" | "gross" => Money::parse(&raw).map_or(raw, |m| m.to_string()),
        "ends_on" | "starts_on" => chrono::NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
            .map_or(raw, |d| d.format("%-d %B %Y").to_string()),
        "address" | "registered_office" => raw.lines().collect::<Vec<_>>().join(", "),
        _ => raw,
    }
}

/// Fields never listed: ids and what the sentence already says.
const UNLISTED: [&str; 6] = ["position", "place", "year", "urns", "credit_note", "reason"];

/// What changed: every field whose value differs between before and after.
pub fn changes(e: &Entry) -> Vec<Change> {
    let empty = Map::new();
    let before = e.before.and_then(Value::as_object).unwrap_or(&empty);
    let after = e.after.and_then(Value::as_object).unwrap_or(&empty);
    if e.before.is_none()
        || e.after.is_none()
        || e.action == "invoice.credited"
        || e.action == "invoice.credited_in_full"
    {
        return Vec::new();
    }
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !UNLISTED.contains(&k.as_str()))
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| Change { what: label(k), before: value(k, before.get(k)), after: value(k, after.get(k)) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_credit_reads_as_a_sentence() {
        let after = json!({"credit_note": "RHC-000001", "gross": "120.00", "reason": "Not delivered", "outstanding": "0"});
        let e = Entry {
            who: "Femi Adeyemi",
            action: "invoice.credited",
            subject: Some("RH-000062 (Yewtree Primary School)"),
            before: Some(&json!({"outstanding": "120.00"})),
            after: Some(&after),
        };
        assert_eq!(
            sentence(&e),
            "Femi Adeyemi credited £120.00 on RH-000062 (Yewtree Primary School): Not delivered"
        );
        assert!(changes(&e).is_empty(), "the sentence says it all");
    }

    #[test]
    fn a_level_change_lists_the_fee_in_words() {
        let before = json!({"year": "2025-26", "name": "Core", "fee_rule": "{\"per_pupil\":\"19.00\"}", "vat_rate": "standard", "position": 0});
        let after = json!({"year": "2025-26", "name": "Core", "fee_rule": "{\"flat\":\"1500.00\"}", "vat_rate": "zero", "position": 0});
        let e = Entry {
            who: "Ada",
            action: "offer_level.changed",
            subject: None,
            before: Some(&before),
            after: Some(&after),
        };
        assert_eq!(sentence(&e), "Ada changed the level Core of the 2025-26 offer");
        let listed = changes(&e);
        assert_eq!(listed.len(), 2, "{listed:?}");
        assert_eq!(listed[0].what, "Fee");
        assert!(
            listed[0].before.contains("£19.00 per pupil") && listed[0].after.contains("£1,500.00"),
            "{listed:?}"
        );
        assert_eq!((listed[1].before.as_str(), listed[1].after.as_str()), ("20%", "0%"));
    }

    #[test]
    fn no_action_reads_as_its_internal_name() {
        for action in
            ["invoice.issued", "membership.left", "offer.created", "payer.requires_po", "something.new"]
        {
            let e = Entry { who: "Ada", action, subject: Some("X"), before: None, after: Some(&json!(true)) };
            let s = sentence(&e);
            assert!(!s.contains('.') && !s.contains('_'), "{s}");
        }
    }
}
