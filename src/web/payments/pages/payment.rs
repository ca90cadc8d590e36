//! One payment: its allocations undone or made, refunds and reversal.

use super::*;
use crate::web::forms::page::sentence_case;

field_errors!(PaymentPage);

struct AllocationRow {
    id: i64,
    invoice_id: i64,
    invoice: String,
    amount: String,
    at: String,
    undone: Option<String>,
}

#[derive(Template)]
#[template(path = "payments/payment.html")]
struct PaymentPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    notice: Option<String>,
    p: ledger::PaymentView,
    details: Vec<(&'static str, String)>,
    allocations: Vec<AllocationRow>,
    has_left: bool,
    refund_method_options: Vec<SelectOption>,
    /// The payer's invoices still owing: id, number, due, owed (to allocate chosen amounts).
    open: Vec<(i64, String, String, String)>,
    /// Paid through Stripe: a refund is asked of Stripe, and recorded when Stripe confirms it.
    through_stripe: bool,
    /// The amount the refund form starts with.
    refund_default: String,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ShowQuery {
    done: Option<String>,
}

pub(super) fn notice_for(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "recorded" => "The payment was recorded.",
            "allocated" => "The payment was allocated.",
            "undone" => "The allocation was undone: the invoice owes that amount again.",
            "reversed" => "The payment was reversed.",
            "refunded" => "The refund was recorded.",
            "refund-requested" => "Stripe was asked to refund it. The refund is recorded here when Stripe confirms it, usually within a minute.",
            _ => return None,
        }
        .to_string(),
    )
}

pub(super) async fn payment_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let p = ledger::get_payment(&state.db, user.partnership.id, id).await?;
    let mut details = vec![
        ("Payer", p.payer_name.clone()),
        ("Received", long_date(p.received_on)),
        ("Amount", p.amount.to_string()),
        ("Method", p.method.label().to_string()),
        ("Reference", if p.reference.is_empty() { "None".into() } else { p.reference.clone() }),
        ("Recorded from", p.source.label().to_string()),
        ("Allocated", p.allocated.to_string()),
    ];
    if p.refunded > Money::ZERO {
        details.push(("Refunded", p.refunded.to_string()));
    }
    details.push(("Not yet allocated (credit)", p.unallocated.to_string()));
    if let Some(at) = p.reversed_at {
        details.push((
            "Reversed",
            format!("{}: {}", long_date(at.date_naive()), p.reversal_reason.clone().unwrap_or_default()),
        ));
    }
    let view = PaymentPage {
        chrome: Chrome::for_user(user, "/payments"),
        notice,
        allocations: p
            .allocations
            .iter()
            .map(|a| AllocationRow {
                id: a.id,
                invoice_id: a.invoice_id,
                invoice: a.invoice_number.clone(),
                amount: a.amount.to_string(),
                at: long_date(a.at.date_naive()),
                undone: a.undone_at.map(|at| {
                    format!(
                        "Undone on {}: {}",
                        long_date(at.date_naive()),
                        a.undone_reason.clone().unwrap_or_default()
                    )
                }),
            })
            .collect(),
        has_left: p.unallocated > Money::ZERO,
        open: if p.unallocated > Money::ZERO && p.reversed_at.is_none() {
            ledger::open_invoices(&state.db, p.payer_id)
                .await?
                .into_iter()
                .map(|(m, o)| {
                    (m.id, o.number, m.due_date.map(long_date).unwrap_or_default(), o.outstanding.to_string())
                })
                .collect()
        } else {
            Vec::new()
        },
        refund_method_options: [PaymentMethod::BankTransfer, PaymentMethod::Cheque, PaymentMethod::Card]
            .iter()
            .map(|m| SelectOption::new(m.as_str(), m.label(), Some("bank_transfer")))
            .collect(),
        through_stripe: p.source == PaymentSource::Provider,
        refund_default: if p.source == PaymentSource::Provider && p.unallocated == Money::ZERO {
            (p.amount - p.refunded).amount().to_string()
        } else {
            p.unallocated.amount().to_string()
        },
        details,
        errors,
        p,
    };
    Ok(with_problems(&view.errors.clone(), render(&view)?))
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    payment_page(&state, &user, parse_id(&id)?, Vec::new(), notice_for(q.done.as_deref())).await
}

/// Runs a payment action; on success goes back to the payment with a notice, on refusal shows
/// the payment page with the problems against `field`.
pub(super) async fn act<F, Fut>(
    state: &AppState,
    user: &PageUser,
    payment_id: i64,
    done: &str,
    fields: &[(&str, &str)],
    run: F,
) -> Result<Response, PageError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<i64, crate::services::ServiceError>>,
{
    match run().await {
        Ok(back) => Ok(Redirect::to(&format!("/payments/{back}?done={done}")).into_response()),
        Err(e) => {
            let errors = refused_as(e, fields)?;
            payment_page(state, user, payment_id, errors, None).await
        }
    }
}

pub(super) async fn allocate(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(pairs);
    editor(&user, &form)?;
    let id = parse_id(&id)?;
    let a = state.actor(user.user.id);
    // Amounts typed against chosen invoices (fields `amount_{invoice id}`), or oldest first.
    let mut chosen = Vec::new();
    let mut errors = Vec::new();
    for (key, value) in &form.0 {
        let Some(invoice) = key.strip_prefix("amount_").and_then(|i| i.parse::<i64>().ok()) else { continue };
        if value.trim().is_empty() {
            continue;
        }
        match Money::parse(value) {
            Ok(m) => chosen.push((invoice, m)),
            Err(e) => errors.push(FieldError { field: key.clone(), message: sentence_case(&e.to_string()) }),
        }
    }
    if !errors.is_empty() {
        return payment_page(&state, &user, id, errors, None).await;
    }
    let how = if form.get("how") == "chosen" {
        if chosen.is_empty() {
            let errors = vec![FieldError {
                field: "allocate".into(),
                message: "Type an amount against at least one invoice".into(),
            }];
            return payment_page(&state, &user, id, errors, None).await;
        }
        Allocate::Chosen(chosen)
    } else {
        Allocate::OldestFirst
    };
    act(&state, &user, id, "allocated", &[("allocations", "allocate")], || async {
        ledger::allocate(&state.db, &user.partnership, id, &how, a).await.map(|p| p.id)
    })
    .await
}

pub(super) async fn reverse(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(pairs);
    editor(&user, &form)?;
    let id = parse_id(&id)?;
    let a = state.actor(user.user.id);
    let reason = form.get("reverse_reason").to_string();
    act(&state, &user, id, "reversed", &[("reason", "reverse_reason")], || async {
        ledger::reverse(&state.db, &user.partnership, id, &reason, a).await.map(|p| p.id)
    })
    .await
}

pub(super) async fn refund(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(pairs);
    editor(&user, &form)?;
    let id = parse_id(&id)?;
    let mut errors = Vec::new();
    let amount = amount_field(&form, "refund_amount", "the amount to refund", &mut errors);
    let paid = ledger::get_payment(&state.db, user.partnership.id, id).await?;
    if paid.source == PaymentSource::Provider {
        // Back to the card or bank account it came from, through Stripe.
        let Some(amount) = amount else { return payment_page(&state, &user, id, errors, None).await };
        let asked = crate::services::stripe::refund_card(
            &state.db,
            &state.settings.payments,
            &user.partnership,
            id,
            amount,
            state.actor(user.user.id),
        )
        .await;
        return match asked {
            Ok(_) => Ok(Redirect::to(&format!("/payments/{id}?done=refund-requested")).into_response()),
            Err(e) => {
                let errors = crate::web::forms::page::refused_as(e, &[("amount", "refund_amount")])?;
                payment_page(&state, &user, id, errors, None).await
            }
        };
    }
    let method = PaymentMethod::parse(form.get("refund_method"));
    if method.is_none() {
        errors.push(FieldError {
            field: "refund_method".into(),
            message: "Choose how the money was refunded".into(),
        });
    }
    let (Some(amount), Some(method)) = (amount, method) else {
        return payment_page(&state, &user, id, errors, None).await;
    };
    let new = NewRefund {
        payment_id: id,
        amount,
        refunded_on: state.clock.today(),
        method,
        reason: form.get("refund_reason").to_string(),
    };
    let a = state.actor(user.user.id);
    act(
        &state,
        &user,
        id,
        "refunded",
        &[("amount", "refund_amount"), ("reason", "refund_reason")],
        || async { ledger::refund(&state.db, &user.partnership, &new, a).await.map(|_| id) },
    )
    .await
}

pub(super) async fn undo(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(pairs);
    editor(&user, &form)?;
    let payment_id = parse_id(form.get("payment"))?;
    let allocation = parse_id(&id)?;
    let a = state.actor(user.user.id);
    let reason = form.get("reason").to_string();
    act(&state, &user, payment_id, "undone", &[("reason", &format!("undo_{allocation}"))], || async {
        ledger::unallocate(&state.db, &user.partnership, allocation, &reason, a).await.map(|p| p.id)
    })
    .await
}
