//! Aged debt by payer, on a page and as CSV.

use super::*;

#[derive(Template)]
#[template(path = "payments/aged.html")]
struct AgedPage {
    chrome: Chrome,
    today: String,
    bands: Vec<(&'static str, String)>,
    total: String,
    count_text: String,
    rows: Vec<(i64, String, usize, Vec<String>, String)>,
    pagination: Pagination,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct AgedQuery {
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    format: String,
}

pub(super) async fn aged(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<AgedQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let today = state.clock.today();
    if q.format == "csv" {
        let all = ledger::aged_debt(&state.db, user.partnership.id, today, 1, None).await?;
        let mut csv = String::from("Payer,Invoices");
        for b in AgeBand::ALL {
            csv.push_str(&format!(",{}", b.label()));
        }
        csv.push_str(",Total\n");
        for p in &all.payers {
            csv.push_str(&format!("\"{}\",{}", p.name.replace('"', "\"\""), p.invoices));
            for b in AgeBand::ALL {
                csv.push_str(&format!(",{}", p.aged.band(b).amount()));
            }
            csv.push_str(&format!(",{}\n", p.aged.total().amount()));
        }
        return Ok(crate::web::view::download(
            csv.into_bytes(),
            "text/csv; charset=utf-8",
            &format!("aged-debt-{today}.csv"),
        ));
    }
    let page = page_param(q.page.as_deref().unwrap_or(""))?;
    let found = ledger::aged_debt(&state.db, user.partnership.id, today, page, Some(PER_PAGE)).await?;
    let view = AgedPage {
        chrome: Chrome::for_user(&user, "/payments"),
        today: long_date(today),
        bands: AgeBand::ALL.iter().map(|b| (b.label(), found.total.band(*b).to_string())).collect(),
        total: found.total.total().to_string(),
        count_text: match found.payers_owing {
            0 => "Nobody owes anything.".into(),
            1 => "1 payer owes money".into(),
            n => format!("{n} payers owe money, most overdue first"),
        },
        pagination: Pagination::new("Pages of payers", found.page, found.pages, |n| {
            format!("/aged-debt?page={n}")
        }),
        rows: found
            .payers
            .iter()
            .map(|p| {
                (
                    p.payer_id,
                    p.name.clone(),
                    p.invoices,
                    AgeBand::ALL.iter().map(|b| p.aged.band(*b).to_string()).collect(),
                    p.aged.total().to_string(),
                )
            })
            .collect(),
    };
    Ok(render(&view)?.into_response())
}
