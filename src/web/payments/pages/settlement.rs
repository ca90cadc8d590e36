//! A council budget deduction: the council's maintained schools' invoices it settles, ticked,
//! with its reference and date, recorded as one settlement.

use super::*;

field_errors!(SettlementPage);

#[derive(Template)]
#[template(path = "payments/settlement.html")]
struct SettlementPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    council_options: Vec<SelectOption>,
    council: Option<i64>,
    /// (invoice id, number, school, due, owed, ticked)
    invoices: Vec<(i64, String, String, String, String, bool)>,
    reference: String,
    settled: DateInput,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct SettlementQuery {
    #[serde(default)]
    council: String,
}

async fn settlement_page(
    state: &AppState,
    user: &PageUser,
    council: Option<i64>,
    typed: Option<&FormData>,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let councils = crate::services::register::local_authorities(&state.db, user.partnership.id).await?;
    let chosen = council.map(|c| c.to_string());
    let ticked: Vec<String> = typed
        .map(|f| f.0.iter().filter(|(k, _)| k == "invoice").map(|(_, v)| v.clone()).collect())
        .unwrap_or_default();
    let invoices = match council {
        Some(c) if councils.iter().any(|l| l.id == c) => {
            ledger::deductible(&state.db, user.partnership.id, c)
                .await?
                .into_iter()
                .map(|d| {
                    let tick = typed.is_none() || ticked.contains(&d.invoice_id.to_string());
                    (
                        d.invoice_id,
                        d.number,
                        d.school,
                        d.due.map(long_date).unwrap_or_default(),
                        d.outstanding.to_string(),
                        tick,
                    )
                })
                .collect()
        }
        Some(_) => return Err(PageError::NotFound),
        None => Vec::new(),
    };
    let today = state.clock.today();
    let parts = typed.map_or_else(
        || {
            DateParts::of(
                &today.format("%-d").to_string(),
                &today.format("%-m").to_string(),
                &today.format("%Y").to_string(),
            )
        },
        |f| DateParts::of(f.get("settled_on-day"), f.get("settled_on-month"), f.get("settled_on-year")),
    );
    let view = SettlementPage {
        chrome: Chrome::for_user(user, "/payments"),
        council_options: councils
            .iter()
            .map(|l| {
                SelectOption::new(l.id.to_string(), format!("{} ({})", l.name, l.code), chosen.as_deref())
            })
            .collect(),
        council,
        invoices,
        reference: typed.map(|f| f.get("reference").to_string()).unwrap_or_default(),
        settled: DateInput::new("settled_on", "Date of the deduction", today, "").typed(&parts),
        errors,
    };
    Ok(with_problems(&view.errors.clone(), render(&view)?))
}

pub(super) async fn settlement_form(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<SettlementQuery>,
) -> Result<Response, PageError> {
    let council = if q.council.is_empty() { None } else { Some(parse_id(&q.council)?) };
    settlement_page(&state, &user, council, None, Vec::new()).await
}

pub(super) async fn settle(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = form_of(pairs);
    editor(&user, &form)?;
    let council = parse_id(form.get("council"))?;
    let mut errors = Vec::new();
    let settled_on = date_field(
        "settled_on",
        DateParts::of(form.get("settled_on-day"), form.get("settled_on-month"), form.get("settled_on-year")),
        "Date of the deduction",
        &mut errors,
    );
    let invoice_ids: Vec<i64> =
        form.0.iter().filter(|(k, _)| k == "invoice").filter_map(|(_, v)| v.parse().ok()).collect();
    if let (Some(settled_on), true) = (settled_on, errors.is_empty()) {
        let new = ledger::NewSettlement {
            council_payer_id: None,
            reference: form.get("reference").to_string(),
            settled_on,
            invoice_ids,
        };
        match ledger::settle(&state.db, &user.partnership, &new, state.actor(user.user.id)).await {
            Ok(row) => {
                let done = format!("The budget deduction {} was recorded.", row.reference);
                return Ok(Redirect::to(&format!(
                    "/payments?q={}&done={}",
                    urlencode(&row.reference),
                    urlencode(&done)
                ))
                .into_response());
            }
            Err(e) => errors = refused_as(e, &[("invoice_ids", "invoices")])?,
        }
    }
    settlement_page(&state, &user, Some(council), Some(&form), errors).await
}
