//! A payer's statement of account, on a page and as a PDF.

use super::*;

struct EntryRow {
    date: String,
    kind: &'static str,
    document: String,
    link: Option<String>,
    description: String,
    debit: String,
    credit: String,
    balance: String,
}

#[derive(Template)]
#[template(path = "payments/account.html")]
struct AccountPage {
    chrome: Chrome,
    a: ledger::Account,
    finance: bool,
    summary: Vec<(&'static str, String)>,
    bands: Vec<(&'static str, String)>,
    invoices: Vec<(i64, String, String, String, &'static str, &'static str)>,
    entries: Vec<EntryRow>,
    opening: String,
    closing: String,
    notice: Option<String>,
    /// The payer's billing email addresses, in words.
    emails: String,
    /// The user may change them (finance, or the payer's own business manager).
    can_edit_emails: bool,
    /// The user may pay the payer's invoices by card from here.
    card: bool,
    /// The Direct Debit, in words, when the payer has one.
    direct_debit: Option<String>,
    /// Why automatic collection is stopped, for finance to start it again.
    dd_stopped: Option<String>,
    /// The user may set up a Direct Debit for the payer.
    can_set_up_dd: bool,
    /// Invoices to be collected by Direct Debit, and when.
    planned: Vec<(String, String)>,
    /// Card and Direct Debit payments pending or failed, in words.
    provider_states: Vec<String>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct AccountQuery {
    done: Option<String>,
}

pub(super) async fn account(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<AccountQuery>,
) -> Result<Response, PageError> {
    let payer_id = parse_id(&id)?;
    if !crate::web::payments::may_read_account(&state, &user.user, payer_id).await? {
        return Err(PageError::NotFound);
    }
    let finance = user.require(Action::ManageBilling).is_ok();
    let payer = crate::services::payers::get(&state.db, user.partnership.id, payer_id).await?;
    let stripe_on =
        crate::services::stripe::card_payments_on(&state.db, &state.settings.payments, user.partnership.id)
            .await?;
    let mandate =
        crate::services::stripe::direct_debit::mandate_of(&state.db, user.partnership.id, payer_id).await?;
    let a =
        ledger::account(&state.db, user.partnership.id, payer_id, None, None, state.clock.today()).await?;
    let words = |m: Money| if m < Money::ZERO { format!("{} in credit", -m) } else { m.to_string() };
    let view = AccountPage {
        chrome: Chrome::for_user(&user, if finance { "/payments" } else { "/invoices" }),
        summary: vec![
            ("Balance", words(a.closing_balance)),
            ("Owed on invoices", a.outstanding.to_string()),
            ("Overdue", a.overdue.to_string()),
            ("Paid but not yet allocated (credit)", a.credit.to_string()),
        ],
        bands: AgeBand::ALL.iter().map(|b| (b.label(), a.aged.band(*b).to_string())).collect(),
        invoices: a
            .invoices
            .iter()
            .map(|i| {
                let (label, class) = crate::web::invoices::pages::status_tag(
                    crate::domain::invoice::InvoiceStatus::Issued,
                    Some(i.state),
                );
                (
                    i.id,
                    i.number.clone(),
                    i.due_date.map(long_date).unwrap_or_default(),
                    i.outstanding.to_string(),
                    label,
                    class,
                )
            })
            .collect(),
        entries: a
            .entries
            .iter()
            .map(|e| EntryRow {
                date: long_date(e.date),
                kind: e.kind.label(),
                link: match (e.kind, e.invoice_id, e.payment_id) {
                    (ledger::EntryKind::Invoice, Some(id), _) => Some(format!("/invoices/{id}")),
                    (ledger::EntryKind::CreditNote, _, _) => {
                        e.credit_note_id.map(|id| format!("/credit-notes/{id}/pdf"))
                    }
                    (_, _, Some(id)) if finance => Some(format!("/payments/{id}")),
                    (ledger::EntryKind::WriteOff, Some(id), _) => Some(format!("/invoices/{id}")),
                    _ => None,
                },
                document: e.document.clone(),
                description: e.description.clone(),
                debit: if e.debit > Money::ZERO { e.debit.to_string() } else { String::new() },
                credit: if e.credit > Money::ZERO { e.credit.to_string() } else { String::new() },
                balance: e.balance.to_string(),
            })
            .collect(),
        opening: a.opening_balance.to_string(),
        closing: a.closing_balance.to_string(),
        notice: q.done,
        emails: payer.email.clone().unwrap_or_else(|| "None given: nothing is emailed".into()),
        can_edit_emails: crate::web::mail::emails::may_change(&state, &user, payer_id).await?,
        card: user.require(Action::ViewOwnInvoices).is_ok() && a.outstanding > Money::ZERO && stripe_on,
        direct_debit: mandate.as_ref().map(|m| {
            let mut words = format!("{} since {}", m.state.label(), long_date(m.since.date_naive()));
            if let Some(r) = &m.reference {
                words.push_str(&format!(", reference {r}"));
            }
            words
        }),
        dd_stopped: mandate.as_ref().and_then(|m| m.stopped_reason.clone()),
        can_set_up_dd: user.require(Action::ViewOwnInvoices).is_ok()
            && stripe_on
            && mandate.as_ref().is_none_or(|m| {
                matches!(
                    m.state,
                    crate::domain::direct_debit::MandateState::SettingUp
                        | crate::domain::direct_debit::MandateState::Inactive
                )
            }),
        provider_states: crate::services::stripe::payments_of_payer(&state.db, user.partnership.id, payer_id)
            .await?
            .into_iter()
            .filter(|p| p.worth_showing())
            .map(|p| p.in_words())
            .collect(),
        planned: {
            let planned = crate::services::stripe::direct_debit::planned_collections(
                &state.db,
                user.partnership.id,
                payer_id,
            )
            .await?;
            a.invoices
                .iter()
                .filter_map(|i| {
                    planned
                        .iter()
                        .find(|(id, _)| *id == i.id)
                        .map(|(_, on)| (i.number.clone(), long_date(*on)))
                })
                .collect()
        },
        finance,
        a,
    };
    Ok(render(&view)?.into_response())
}

/// The statement of account as a PDF, for the payer's own people and finance.
pub(super) async fn statement_pdf(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let payer_id = parse_id(&id)?;
    if !crate::web::payments::may_read_account(&state, &user.user, payer_id).await? {
        return Err(PageError::NotFound);
    }
    let today = state.clock.today();
    let a = ledger::account(&state.db, user.partnership.id, payer_id, None, None, today).await?;
    let bytes = crate::pdf::render(&crate::pdf::documents::statement_document(&a, &user.partnership, today));
    Ok(crate::web::view::download(bytes, "application/pdf", &format!("statement-{today}.pdf")))
}
