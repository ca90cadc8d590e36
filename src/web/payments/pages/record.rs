//! Recording a payment by hand.

use super::*;

field_errors!(NewPaymentPage);

#[derive(Template)]
#[template(path = "payments/new.html")]
struct NewPaymentPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    /// The payer chosen already (id, name), or a list to choose from.
    payer: Option<(i64, String)>,
    payer_options: Vec<SelectOption>,
    open_invoices: Vec<(String, String, String)>,
    invoice: String,
    received: DateInput,
    amount: String,
    method_options: Vec<SelectOption>,
    reference: String,
    allocate_now: bool,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct NewQuery {
    #[serde(default)]
    payer: String,
    #[serde(default)]
    invoice: String,
}

pub(super) async fn new_page(
    state: &AppState,
    user: &PageUser,
    payer_id: Option<i64>,
    invoice: &str,
    typed: Option<&FormData>,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let payer = match payer_id {
        Some(id) => {
            let p = crate::services::payers::get(&state.db, user.partnership.id, id).await?;
            Some((p.id, p.name))
        }
        None => None,
    };
    let payer_options = if payer.is_none() {
        crate::services::payers::payers_to_choose(&state.db, user.partnership.id, 100, None)
            .await?
            .into_iter()
            .map(|p| SelectOption::new(p.id.to_string(), p.name, None))
            .collect()
    } else {
        Vec::new()
    };
    let mut open_invoices = Vec::new();
    let mut suggested = String::new();
    if let Some((id, _)) = &payer {
        for (m, open) in ledger::open_invoices(&state.db, *id).await? {
            if invoice == m.id.to_string() && suggested.is_empty() {
                suggested = open.outstanding.amount().to_string();
            }
            open_invoices.push((
                open.number,
                m.due_date.map(long_date).unwrap_or_default(),
                open.outstanding.to_string(),
            ));
        }
    }
    let get = |name: &str, default: &str| typed.map_or(default.to_string(), |f| f.get(name).to_string());
    let method = get("method", PaymentMethod::BankTransfer.as_str());
    let today = state.clock.today();
    let view = NewPaymentPage {
        chrome: Chrome::for_user(user, "/payments"),
        payer,
        payer_options,
        open_invoices,
        invoice: invoice.to_string(),
        received: DateInput::new(
            "received_on",
            "Date received",
            today,
            "The day the money reached the account",
        )
        .typed(&typed.map_or_else(
            || {
                DateParts::of(
                    &today.format("%-d").to_string(),
                    &today.format("%-m").to_string(),
                    &today.format("%Y").to_string(),
                )
            },
            parts_of("received_on"),
        )),
        amount: get("amount", &suggested),
        method_options: PaymentMethod::ALL
            .iter()
            .filter(|m| !matches!(m, PaymentMethod::CouncilBudgetDeduction))
            .map(|m| SelectOption::new(m.as_str(), m.label(), Some(method.as_str())))
            .collect(),
        reference: get("reference", ""),
        allocate_now: typed.is_none_or(|f| f.get("allocate") != "none"),
        errors,
    };
    Ok(with_problems(&view.errors.clone(), render(&view)?))
}

pub(super) fn parts_of(name: &'static str) -> impl Fn(&FormData) -> DateParts {
    move |f: &FormData| {
        DateParts::of(
            f.get(&format!("{name}-day")),
            f.get(&format!("{name}-month")),
            f.get(&format!("{name}-year")),
        )
    }
}

pub(super) async fn new_form(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let payer = if q.payer.is_empty() { None } else { Some(parse_id(&q.payer)?) };
    new_page(&state, &user, payer, &q.invoice, None, Vec::new()).await
}

pub(super) async fn record(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(pairs);
    editor(&user, &form)?;
    let mut errors = Vec::new();
    let payer_id = form.get("payer").parse::<i64>().ok();
    if payer_id.is_none() {
        errors.push(FieldError { field: "payer".into(), message: "Choose who paid".into() });
    }
    let received = date_field("received_on", parts_of("received_on")(&form), "Date received", &mut errors);
    let amount = amount_field(&form, "amount", "the amount received", &mut errors);
    let method = PaymentMethod::parse(form.get("method"));
    if method.is_none() {
        errors.push(FieldError { field: "method".into(), message: "Choose how it was paid".into() });
    }
    if let (Some(payer_id), Some(received_on), Some(amount), Some(method), true) =
        (payer_id, received, amount, method, errors.is_empty())
    {
        let new = NewPayment {
            payer_id,
            received_on,
            amount,
            method,
            reference: form.get("reference").to_string(),
            source: PaymentSource::Typed,
            source_ref: None,
        };
        let how = if form.get("allocate") == "none" { Allocate::Nothing } else { Allocate::OldestFirst };
        match ledger::record(&state.db, &user.partnership, &new, &how, state.actor(user.user.id)).await {
            Ok(view) => {
                return Ok(Redirect::to(&format!("/payments/{}?done=recorded", view.id)).into_response());
            }
            Err(e) => errors = refused_as(e, &[("payer_id", "payer")])?,
        }
    }
    new_page(
        &state,
        &user,
        payer_id.filter(|_| !form.get("payer_fixed").is_empty()),
        form.get("invoice"),
        Some(&form),
        errors,
    )
    .await
}
