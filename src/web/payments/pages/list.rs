//! The payments list, newest first, with search.

use super::*;

struct Row {
    id: i64,
    date: String,
    payer: String,
    method: &'static str,
    reference: String,
    amount: String,
    unallocated: String,
    reversed: bool,
}

#[derive(Template)]
#[template(path = "payments/list.html")]
struct ListPage {
    chrome: Chrome,
    notice: Option<String>,
    q: String,
    with_credit: bool,
    count_text: String,
    rows: Vec<Row>,
    pagination: Pagination,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    credit: String,
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let page = page_param(q.page.as_deref().unwrap_or(""))?;
    let with_credit = q.credit == "yes";
    let filter = PaymentFilter { search: Some(q.q.clone()), with_credit, ..Default::default() };
    let found = ledger::list_payments(&state.db, user.partnership.id, &filter, page, PER_PAGE).await?;
    let search = q.q.clone();
    let href = move |n: u64| {
        format!("/payments?q={}&credit={}&page={n}", urlencode(&search), if with_credit { "yes" } else { "" })
    };
    let view = ListPage {
        chrome: Chrome::for_user(&user, "/payments"),
        notice: q.done.clone(),
        q: q.q.clone(),
        with_credit,
        count_text: match found.total {
            0 => "No payments match.".into(),
            1 => "1 payment".into(),
            n if found.pages > 1 => format!("{n} payments, page {} of {}", found.page, found.pages),
            n => format!("{n} payments"),
        },
        pagination: Pagination::new("Pages of payments", found.page, found.pages, href),
        rows: found
            .rows
            .into_iter()
            .map(|p| Row {
                id: p.id,
                date: long_date(p.received_on),
                payer: p.payer_name,
                method: p.method.label(),
                reference: p.reference,
                amount: p.amount.to_string(),
                unallocated: p.unallocated.to_string(),
                reversed: p.reversed_at.is_some(),
            })
            .collect(),
    };
    Ok(render(&view)?.into_response())
}
