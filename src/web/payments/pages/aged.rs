//! Aged debt by payer, on a page and as CSV or XLSX.

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
    match q.format.as_str() {
        "" => {}
        "csv" | "xlsx" => {
            let all = ledger::aged_debt(&state.db, user.partnership.id, today, 1, None).await?;
            return if q.format == "csv" { aged_csv(&all) } else { aged_xlsx(&all) };
        }
        other => {
            return Err(PageError::BadRequest(format!("\"{other}\" is not a download: use csv or xlsx")));
        }
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

/// The headings of an aged-debt export.
fn headings() -> Vec<&'static str> {
    let mut h = vec!["Payer", "Invoices"];
    h.extend(AgeBand::ALL.iter().map(|b| b.label()));
    h.push("Total");
    h
}

/// A name as a spreadsheet cell: never read as a formula.
fn safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_string() }
}

fn aged_csv(all: &ledger::AgedDebtPage) -> Result<Response, PageError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| {
        tracing::error!(error = %e, "aged debt CSV failed");
        PageError::Internal
    };
    out.write_record(headings()).map_err(failed)?;
    for p in &all.payers {
        let mut record = vec![safe(&p.name), p.invoices.to_string()];
        record.extend(AgeBand::ALL.iter().map(|b| p.aged.band(*b).amount().to_string()));
        record.push(p.aged.total().amount().to_string());
        out.write_record(record).map_err(failed)?;
    }
    let bytes = out.into_inner().map_err(|_| PageError::Internal)?;
    Ok(crate::web::view::download(bytes, "text/csv; charset=utf-8", &format!("aged-debt-{}.csv", all.today)))
}

fn aged_xlsx(all: &ledger::AgedDebtPage) -> Result<Response, PageError> {
    use rust_decimal::prelude::ToPrimitive;
    use rust_xlsxwriter::{Format, Workbook};
    let failed = |e: rust_xlsxwriter::XlsxError| {
        tracing::error!(error = %e, "aged debt XLSX failed");
        PageError::Internal
    };
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Aged debt").map_err(failed)?;
    let bold = Format::new().set_bold();
    let pounds = Format::new().set_num_format("£#,##0.00;-£#,##0.00");
    for (c, h) in headings().iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(failed)?;
    }
    for (r, p) in all.payers.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, safe(&p.name)).map_err(failed)?;
        sheet.write_number(r, 1, p.invoices as f64).map_err(failed)?;
        let amounts = AgeBand::ALL.iter().map(|b| p.aged.band(*b)).chain(std::iter::once(p.aged.total()));
        for (c, m) in amounts.enumerate() {
            // Pounds and pence survive a spreadsheet's binary numbers exactly at these sizes.
            let value = m.amount().to_f64().ok_or(PageError::Internal)?;
            sheet.write_number_with_format(r, c as u16 + 2, value, &pounds).map_err(failed)?;
        }
    }
    sheet.set_column_width(0, 40).map_err(failed)?;
    sheet.set_freeze_panes(1, 0).map_err(failed)?;
    let bytes = book.save_to_buffer().map_err(failed)?;
    Ok(crate::web::view::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("aged-debt-{}.xlsx", all.today),
    ))
}
