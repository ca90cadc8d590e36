//! The demo's money: the 2025-26 terms billed, most autumn invoices paid (some in part, one
//! over), spring's maintained schools settled by a council budget deduction, summer's left
//! owing (overdue), and a sample Lloyds statement that pays some of them, to import and match.

use super::super::ServiceError;
use super::super::billing::{self, RunBy};
use super::super::ledger::{self, Actor, Allocate, NewPayment, NewSettlement};
use super::super::partnerships::Partnership;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::ledger::{PaymentMethod, PaymentSource};
use crate::domain::money::Money;
use chrono::NaiveDate;
use entity::{invoice, payer};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, TransactionTrait,
};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

async fn issued_of(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    period: &str,
) -> Result<Vec<(invoice::Model, String)>, ServiceError> {
    let rows = invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .filter(invoice::Column::Year.eq("2025-26"))
        .filter(invoice::Column::Period.eq(period))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
        .order_by_asc(invoice::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for m in rows {
        let kind = payer::Entity::find_by_id(m.payer_id).one(db).await?.map(|p| p.kind).unwrap_or_default();
        out.push((m, kind));
    }
    Ok(out)
}

/// Bills the demo's 2025-26 terms and records its payments; does nothing once the demo has
/// invoices. `today` is when the payments are recorded (they carry their own received dates).
pub async fn load_demo_money<C>(
    db: &C,
    partnership: &Partnership,
    today: NaiveDate,
) -> Result<bool, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let any =
        invoice::Entity::find().filter(invoice::Column::PartnershipId.eq(partnership.id)).count(db).await?;
    if any > 0 || today < day(2026, 5, 1) {
        return Ok(false);
    }
    for (period, on) in
        [("autumn", day(2025, 9, 1)), ("spring", day(2026, 1, 5)), ("summer", day(2026, 4, 13))]
    {
        billing::commit(db, partnership, "2025-26", period, RunBy::on(on), &mut |_, _| {}).await?;
    }
    let actor = Actor { user_id: None, today, now: chrono::Utc::now() };
    for (i, (inv, kind)) in issued_of(db, partnership.id, "autumn").await?.into_iter().enumerate() {
        let gross = Money::from_pence(inv.gross_pence);
        let amount = match (kind.as_str(), i % 10) {
            ("school", 7) => Money::from_pence(inv.gross_pence / 2),
            ("school", 8) => gross + Money::from_pence(5_000),
            ("school", 9) => continue,
            _ => gross,
        };
        let payment = NewPayment {
            payer_id: inv.payer_id,
            received_on: day(2025, 10, 1 + (i % 28) as u32),
            amount,
            method: PaymentMethod::BacsCredit,
            reference: inv.number.clone().unwrap_or_default().replace('-', ""),
            source: PaymentSource::Typed,
            source_ref: None,
        };
        // Each pays its autumn invoice; what is paid over it stays as the payer's credit.
        let allocate = Allocate::Chosen(vec![(inv.id, if amount < gross { amount } else { gross })]);
        ledger::record(db, partnership, &payment, &allocate, actor).await?;
    }
    let maintained: Vec<i64> = issued_of(db, partnership.id, "spring")
        .await?
        .into_iter()
        .filter(|(_, kind)| kind == "school")
        .map(|(m, _)| m.id)
        .take(10)
        .collect();
    if !maintained.is_empty() {
        let settlement = NewSettlement {
            council_payer_id: None,
            reference: "RIVERSIDE BUDGET DEDUCTION SPRING 2026".into(),
            settled_on: day(2026, 2, 16),
            invoice_ids: maintained,
        };
        ledger::settle(db, partnership, &settlement, actor).await?;
    }
    demo_mail(db, partnership, actor.now).await?;
    super::catalogue::load_demo_orders(db, partnership, today, actor.now).await?;
    super::contracts::load_demo_contracts(db, partnership, today, actor.now).await?;
    // The year's budgets, for the funding report to compare against.
    let budgets: Vec<(String, Option<Money>)> = [
        ("memberships", 450_000),
        ("traded_services", 40_000),
        ("la_commission", 1_000_000),
        ("other_commission", 30_000),
        ("grant", 250_000),
    ]
    .into_iter()
    .map(|(stream, pounds)| (stream.to_string(), Some(Money::from_pence(pounds * 100))))
    .collect();
    super::super::reports::set_budgets(db, partnership, "2025-26", &budgets, &[], None).await?;
    Ok(true)
}

/// Gives every demo payer a made-up billing address, emails documents from now on, and turns
/// reminders on with the usual steps, so the Emails, Reminders and Jobs pages have something
/// to show (mail goes to the outbox folder unless SMTP_URL is set).
async fn demo_mail<C>(
    db: &C,
    partnership: &Partnership,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    use entity::payer;
    for p in payer::Entity::find().filter(payer::Column::PartnershipId.eq(partnership.id)).all(db).await? {
        let words: Vec<String> = p
            .name
            .to_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let address = format!("finance@{}.example", words.join("-"));
        crate::services::payers::set_billing_emails(db, partnership.id, p.id, &address, None).await?;
    }
    let mut schedule = crate::services::reminders::schedule(db, partnership.id).await?;
    schedule.on = true;
    schedule.documents_mailed = true;
    crate::services::reminders::save_schedule(db, partnership.id, &schedule, None, now).await
}

/// A Lloyds CSV statement, dated `today`, paying some of what the partnership is owed the ways
/// payers really pay: references in several forms, a name alone, a part payment, a payment of
/// two invoices, and lines that are no invoice's. For trying matching on the demo.
pub async fn sample_statement(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    today: NaiveDate,
) -> Result<String, ServiceError> {
    let open = invoice::Entity::find()
        .filter(invoice::Column::PartnershipId.eq(partnership.id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Issued.as_str()))
        .filter(invoice::Column::OutstandingPence.gt(0))
        .order_by_asc(invoice::Column::Id)
        .all(db)
        .await?;
    let date = today.format("%d/%m/%Y");
    let mut rows: Vec<(Money, String)> = Vec::new();
    let mut used_payers = std::collections::HashSet::new();
    for (i, inv) in open.iter().enumerate().take(14) {
        if !used_payers.insert(inv.payer_id) {
            continue;
        }
        let number = inv.number.clone().unwrap_or_default();
        let seq = inv.sequence.unwrap_or_default();
        let owed = Money::from_pence(inv.outstanding_pence);
        let name: String = inv.payer_name.to_uppercase().chars().take(18).collect();
        let (amount, text) = match i % 7 {
            0 => (owed, number.replace('-', "")),
            1 => (owed, format!("{name} INV {seq}")),
            2 => (owed, format!("{} {}", name.trim(), number.to_lowercase())),
            3 => (owed, name.trim().to_string()),
            4 => (Money::from_pence(inv.outstanding_pence / 2), number.clone()),
            5 => (owed, format!("{seq:06}")),
            _ => (owed + Money::from_pence(2_000), number.clone()),
        };
        rows.push((amount, text));
    }
    rows.push((Money::from_pence(1_237), "INTEREST".into()));
    rows.push((Money::from_pence(2_500_000), "DFE SSIF GRANT".into()));
    rows.push((Money::from_pence(-4_550), "BANK CHARGES".into()));
    let mut out = String::from(
        "Transaction Date,Transaction Type,Sort Code,Account Number,Transaction Description,Debit Amount,Credit Amount,Balance\n",
    );
    let mut balance = Money::from_pence(5_000_000);
    for (amount, text) in rows {
        balance = balance + amount;
        let (debit, credit) = if amount < Money::ZERO {
            ((-amount).amount().to_string(), String::new())
        } else {
            (String::new(), amount.amount().to_string())
        };
        let kind = if amount < Money::ZERO { "DEB" } else { "BGC" };
        out.push_str(&format!(
            "{date},{kind},'{},{},{},{debit},{credit},{}\n",
            partnership.bank_sort_code.as_deref().unwrap_or("20-45-77"),
            partnership.bank_account_number.as_deref().unwrap_or("43218765"),
            text.replace(',', " "),
            balance.amount()
        ));
    }
    Ok(out)
}
