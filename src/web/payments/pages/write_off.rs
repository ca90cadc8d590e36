//! Writing off what an invoice owes.

use super::*;

field_errors!(WriteOffPage);

#[derive(Template)]
#[template(path = "payments/write_off.html")]
struct WriteOffPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    invoice_id: i64,
    number: String,
    payer: String,
    outstanding: String,
    limit: String,
    amount: String,
    kind: String,
    reason: String,
}

pub(super) async fn write_off_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    typed: Option<&FormData>,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let v =
        invoices::get(&state.db, user.partnership.id, id, &invoices::InvoiceScope::All, state.clock.today())
            .await?;
    let get = |name: &str, default: String| typed.map_or(default, |f| f.get(name).to_string());
    let view = WriteOffPage {
        chrome: Chrome::for_user(user, "/invoices"),
        invoice_id: v.id,
        number: v.number.clone().unwrap_or_default(),
        payer: v.payer_name.clone(),
        outstanding: v.outstanding.to_string(),
        limit: user.partnership.small_write_off.to_string(),
        amount: get("amount", v.outstanding.amount().to_string()),
        kind: get(
            "kind",
            if v.outstanding <= user.partnership.small_write_off {
                "small_remainder".into()
            } else {
                "bad_debt".into()
            },
        ),
        reason: get("reason", String::new()),
        errors,
    };
    Ok(with_problems(&view.errors.clone(), render(&view)?))
}

pub(super) async fn write_off_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    write_off_page(&state, &user, parse_id(&id)?, None, Vec::new()).await
}

pub(super) async fn write_off(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(pairs);
    editor(&user, &form)?;
    let id = parse_id(&id)?;
    let mut errors = Vec::new();
    let amount = amount_field(&form, "amount", "the amount to write off", &mut errors);
    let kind = WriteOffKind::parse(form.get("kind"));
    if kind.is_none() {
        errors.push(FieldError { field: "kind".into(), message: "Choose why it is written off".into() });
    }
    if let (Some(amount), Some(kind), true) = (amount, kind, errors.is_empty()) {
        let new = NewWriteOff {
            invoice_id: id,
            amount: Some(amount),
            kind,
            reason: form.get("reason").to_string(),
        };
        match ledger::write_off(&state.db, &user.partnership, &new, state.actor(user.user.id)).await {
            Ok(_) => {
                return Ok(Redirect::to(&format!(
                    "/invoices/{id}?done={}",
                    urlencode("The amount was written off.")
                ))
                .into_response());
            }
            Err(e) => errors = refused_as(e, &[])?,
        }
    }
    write_off_page(&state, &user, id, Some(&form), errors).await
}
