//! The catalogue on finance's pages: every service with this year's prices in words; a new
//! service with its first prices; one service with its price lists, what each level includes
//! and what each kind of school pays; and the price editor for a year, previewed before saving.

use crate::domain::billing_phase::BillingPhase;
use crate::domain::fees::FeeRule;
use crate::domain::role::Action;
use crate::domain::traded::{self, Category, Invoicing, PriceList, Unit};
use crate::domain::vat::VatRate;
use crate::services::traded::{self as catalogue, NewService, ServiceView, YearPrices};
use crate::services::{FieldError, ServiceError, offers};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::forms::date::{DateInput, DateParts, date_field};
use crate::web::forms::fee_rule::RuleForm;
use crate::web::forms::fields::{FormData, Problems};
use crate::web::forms::page::{editor, refused_as, with_problems};
use crate::web::session::PageUser;
use crate::web::view::{Chrome, FieldErrors, SelectOption, field_errors, page_id, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::BTreeMap;

field_errors!(NewServicePage, PricesPage, CustomerPage);

/// The sizes the preview prices a school of each phase at, so a per-pupil price shows.
fn typical_pupils(phase: BillingPhase) -> u32 {
    match phase {
        BillingPhase::Secondary | BillingPhase::AllThrough => 1000,
        BillingPhase::Primary => 250,
        _ => 120,
    }
}

/// The membership year today falls in, e.g. "2026-27".
pub(super) fn this_year(user: &PageUser, today: chrono::NaiveDate) -> Result<String, PageError> {
    user.partnership.year_kind.year_containing(today).map(|y| y.label()).ok_or(PageError::NotFound)
}

/// One row of the catalogue.
struct Row {
    id: i64,
    name: String,
    category: &'static str,
    prices: String,
    invoicing: &'static str,
    active: bool,
}

#[derive(Template)]
#[template(path = "services/catalogue.html")]
struct CataloguePage {
    chrome: Chrome,
    notice: Option<String>,
    year: String,
    rows: Vec<Row>,
}

fn prices_in_words(s: &ServiceView, year: &str) -> String {
    match s.prices.iter().find(|p| p.year == year) {
        None => format!("No prices for {year} yet"),
        Some(p) => {
            let mut words = format!("Members {}", p.member_in_words);
            match &p.non_member_in_words {
                Some(n) => words.push_str(&format!("; non-members {n}")),
                None => words.push_str("; members only"),
            }
            if !p.by_level.is_empty() {
                let levels: Vec<&str> = p.by_level.keys().map(String::as_str).collect();
                words.push_str(&format!("; own prices for {}", levels.join(", ")));
            }
            words
        }
    }
}

fn invoicing_label(s: &ServiceView) -> &'static str {
    Invoicing::parse(s.invoicing).map_or("", Invoicing::label)
}

#[derive(serde::Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

/// The catalogue for finance; a school's business manager sees the services page with their
/// own prices instead.
pub(super) async fn catalogue(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<super::school::ServicesQuery>,
) -> Result<Response, PageError> {
    if user.require(Action::ManageBilling).is_err() {
        return super::school::services(state, user, q).await;
    }
    let today = state.clock.today();
    let year = this_year(&user, today)?;
    let services = catalogue::list(&state.db, user.partnership.id).await?;
    let page = CataloguePage {
        chrome: Chrome::for_user(&user, "/services"),
        notice: match q.done.as_str() {
            "added" => Some("The service is added to the catalogue.".to_string()),
            "customer" => Some(format!(
                "The school is added as a customer from outside the area. Order for it with its URN, {}.",
                q.urn.trim()
            )),
            _ => None,
        },
        rows: services
            .iter()
            .map(|s| Row {
                id: s.id,
                name: s.name.clone(),
                category: s.category_label,
                prices: prices_in_words(s, &year),
                invoicing: invoicing_label(s),
                active: s.active_from <= today && s.active_to.is_none_or(|to| to >= today),
            })
            .collect(),
        year,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "services/new.html")]
struct NewServicePage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    year: String,
    name: String,
    description: String,
    accounting_code: String,
    categories: Vec<SelectOption>,
    units: Vec<SelectOption>,
    vat: Vec<SelectOption>,
    streams: Vec<SelectOption>,
    invoicing: Vec<(&'static str, &'static str, bool)>,
    active_from: DateInput,
    member: RuleForm,
    non_member: RuleForm,
}

fn options<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> String,
    chosen: &str,
) -> Vec<SelectOption> {
    all.iter().map(|x| SelectOption::new(value(*x), label(*x), Some(chosen))).collect()
}

fn stream_options(chosen: &str) -> Vec<SelectOption> {
    traded::INCOME_STREAMS.iter().map(|(k, l)| SelectOption::new(*k, *l, Some(chosen))).collect()
}

fn unit_label(u: Unit) -> String {
    let one = u.singular();
    if u == Unit::PerPupilPerYear {
        "Per pupil per year".into()
    } else {
        crate::web::forms::page::sentence_case(one)
    }
}

impl NewServicePage {
    fn empty(
        user: &PageUser,
        year: String,
        today: chrono::NaiveDate,
        phases: &[BillingPhase],
    ) -> NewServicePage {
        NewServicePage {
            chrome: Chrome::for_user(user, "/services"),
            errors: vec![],
            year,
            name: String::new(),
            description: String::new(),
            accounting_code: String::new(),
            categories: options(&Category::ALL, Category::as_str, |c| c.label().into(), ""),
            units: options(&Unit::ALL, Unit::as_str, unit_label, Unit::Day.as_str()),
            vat: options(&VatRate::ALL, VatRate::as_str, |v| v.label().into(), VatRate::Standard.as_str()),
            streams: stream_options("traded_services"),
            invoicing: Invoicing::ALL
                .iter()
                .map(|i| (i.as_str(), i.label(), *i == Invoicing::OnDelivery))
                .collect(),
            active_from: DateInput::new("active_from", "Offered from", today, ""),
            member: RuleForm::new("member", "Member price", None, phases),
            non_member: RuleForm::new("nonmember", "Non-member price", None, phases)
                .optional("None: only member schools can buy it"),
        }
    }
}

pub(super) async fn new_form(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let today = state.clock.today();
    let phases = crate::web::offers::levels::register_phases(&state, &user).await?;
    let page = NewServicePage::empty(&user, this_year(&user, today)?, today, &phases);
    Ok(render(&page)?.into_response())
}

/// The service's names for the new-service fields, and the ids of the form's fields.
const SERVICE_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("description", "description"),
    ("category", "category"),
    ("unit", "unit"),
    ("vat_rate", "vat_rate"),
    ("invoicing", "invoicing"),
    ("income_stream", "income_stream"),
    ("active_from", "active_from"),
    ("accounting_code", "accounting_code"),
    ("prices[0].member", "member-shape"),
    ("prices[0].non_member", "nonmember-shape"),
];

pub(super) async fn create(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let today = state.clock.today();
    let phases = crate::web::offers::levels::register_phases(&state, &user).await?;
    let mut page = NewServicePage::empty(&user, this_year(&user, today)?, today, &phases);
    let mut problems = Problems::default();
    let parts = DateParts::of(
        form.get("active_from-day"),
        form.get("active_from-month"),
        form.get("active_from-year"),
    );
    let active_from = date_field("active_from", parts.clone(), "Date it is offered from", &mut problems.0);
    let member = page.member.read(&form, &mut problems).flatten();
    let non_member = page.non_member.read(&form, &mut problems);
    page.name = form.get("name").to_string();
    page.description = form.get("description").to_string();
    page.accounting_code = form.get("accounting_code").to_string();
    page.categories = options(&Category::ALL, Category::as_str, |c| c.label().into(), form.get("category"));
    page.units = options(&Unit::ALL, Unit::as_str, unit_label, form.get("unit"));
    page.vat = options(&VatRate::ALL, VatRate::as_str, |v| v.label().into(), form.get("vat_rate"));
    page.streams = stream_options(form.get("income_stream"));
    page.invoicing =
        Invoicing::ALL.iter().map(|i| (i.as_str(), i.label(), form.has("invoicing", i.as_str()))).collect();
    page.active_from = page.active_from.typed(&parts);
    page.member.posted(&form);
    page.non_member.posted(&form);
    if form.get("category").is_empty() {
        problems.add("category", "Choose the kind of service");
    }
    if form.get("invoicing").is_empty() {
        problems.add("invoicing", "Choose when the service is invoiced");
    }
    let (Some(active_from), Some(member), Some(non_member), true) =
        (active_from, member, non_member, problems.0.is_empty())
    else {
        page.errors = problems.0;
        return Ok(with_problems(&page.errors.clone(), render(&page)?));
    };
    let new = NewService {
        name: page.name.clone(),
        description: page.description.clone(),
        category: form.get("category").to_string(),
        unit: form.get("unit").to_string(),
        vat_rate: form.get("vat_rate").to_string(),
        invoicing: form.get("invoicing").to_string(),
        income_stream: Some(form.get("income_stream").to_string()),
        active_from,
        active_to: None,
        accounting_code: Some(page.accounting_code.clone()),
        prices: vec![catalogue::NewPrices {
            year: page.year.clone(),
            member: rule_value(&member),
            non_member: non_member.as_ref().map(rule_value),
            by_level: BTreeMap::new(),
        }],
        entitlements: vec![],
    };
    match catalogue::create(&state.db, &user.partnership, &new, Some(user.user.id), state.clock.now()).await {
        Ok(made) => Ok(Redirect::to(&format!("/services/{}?done=added", made.id)).into_response()),
        Err(e) => {
            page.errors = refused_as(e, SERVICE_FIELDS)?;
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
    }
}

fn rule_value(rule: &FeeRule) -> serde_json::Value {
    serde_json::to_value(rule).unwrap_or(serde_json::Value::Null)
}

/// A preview table: a header per column and a row per kind of school.
pub(super) struct Preview {
    pub unit: &'static str,
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

fn preview(list: &PriceList, levels: &[String], phases: &[BillingPhase], unit: Unit) -> Preview {
    let columns: Vec<(BillingPhase, u32)> = phases.iter().map(|p| (*p, typical_pupils(*p))).collect();
    Preview {
        unit: unit.singular(),
        columns: columns.iter().map(|(p, n)| format!("{} ({n} pupils)", p.label())).collect(),
        rows: traded::price_table(list, levels, &columns)
            .into_iter()
            .map(|(label, cells)| {
                (
                    label,
                    cells
                        .into_iter()
                        .map(|c| c.map_or_else(|| "Cannot buy it".to_string(), |p| p.amount.to_string()))
                        .collect(),
                )
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "services/service.html")]
struct ServicePage {
    chrome: Chrome,
    notice: Option<String>,
    id: i64,
    name: String,
    facts: Vec<(&'static str, String)>,
    years: Vec<YearView>,
    next_year: String,
    preview: Option<Preview>,
    this_year: String,
    has_this_year: bool,
    has_next_year: bool,
}

struct YearView {
    year: String,
    lines: Vec<(String, String)>,
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let id = page_id(&id)?;
    let today = state.clock.today();
    let year = this_year(&user, today)?;
    let s = catalogue::get(&state.db, user.partnership.id, id).await?;
    let unit = Unit::parse(s.unit).unwrap_or(Unit::Item);
    let included = catalogue::entitlements(&state.db, user.partnership.id, id).await?;
    let mut facts = vec![
        ("Kind of service", s.category_label.to_string()),
        ("Sold by the", unit.singular().to_string()),
        ("VAT", VatRate::parse(s.vat_rate).map_or("", VatRate::label).to_string()),
        ("Invoiced", invoicing_label(&s).to_string()),
        (
            "Income stream",
            traded::INCOME_STREAMS
                .iter()
                .find(|(k, _)| *k == s.income_stream)
                .map_or("", |(_, l)| l)
                .to_string(),
        ),
        (
            "Offered",
            match s.active_to {
                Some(to) => format!("{} to {}", s.active_from.format("%-d %B %Y"), to.format("%-d %B %Y")),
                None => format!("From {}", s.active_from.format("%-d %B %Y")),
            },
        ),
    ];
    if !s.description.is_empty() {
        facts.insert(0, ("Description", s.description.clone()));
    }
    if let Some(code) = &s.accounting_code {
        facts.push(("Accounting code", code.clone()));
    }
    let mut years: Vec<YearView> = s
        .prices
        .iter()
        .map(|p| {
            let mut lines = vec![("Members".to_string(), p.member_in_words.clone())];
            lines.push((
                "Non-members".into(),
                p.non_member_in_words.clone().unwrap_or_else(|| "Cannot buy it: members only".into()),
            ));
            for (level, rule) in &p.by_level {
                let words =
                    FeeRule::from_json(&rule.to_string()).map(|r| unit.describe(&r)).unwrap_or_default();
                lines.push((format!("{level} members"), words));
            }
            for e in included.iter().filter(|e| e.year == p.year) {
                lines.push((format!("Included in {}", e.level), format!("{} a year", unit.count(e.units))));
            }
            YearView { year: p.year.clone(), lines }
        })
        .collect();
    years.sort_by(|a, b| b.year.cmp(&a.year));
    let phases = crate::web::offers::levels::register_phases(&state, &user).await?;
    let preview = match catalogue::price_list_for(&state.db, id, &year).await? {
        Some(list) => {
            let levels = level_names(&state, &user, &year).await?;
            Some(preview(&list, &levels, &phases, unit))
        }
        None => None,
    };
    let next_year = user
        .partnership
        .year_kind
        .year_containing(today)
        .and_then(|y| y.next())
        .map(|y| y.label())
        .unwrap_or_default();
    let page = ServicePage {
        chrome: Chrome::for_user(&user, "/services"),
        notice: match q.done.as_str() {
            "added" => Some(format!("{} is added to the catalogue.", s.name)),
            "prices" => Some("The prices are saved. Orders already placed keep their prices.".into()),
            _ => None,
        },
        id,
        name: s.name.clone(),
        facts,
        has_this_year: years.iter().any(|y| y.year == year),
        has_next_year: years.iter().any(|y| y.year == next_year),
        years,
        next_year,
        preview,
        this_year: year,
    };
    Ok(render(&page)?.into_response())
}

async fn level_names(state: &AppState, user: &PageUser, year: &str) -> Result<Vec<String>, PageError> {
    Ok(offers::find(&state.db, user.partnership.id, year)
        .await?
        .map(|o| o.levels.into_iter().map(|l| l.name).collect())
        .unwrap_or_default())
}

/// One level's fields on the price editor: its own price and what it includes.
struct LevelPrice {
    name: String,
    rule: RuleForm,
    included_id: String,
    included: String,
}

#[derive(Template)]
#[template(path = "services/prices.html")]
struct PricesPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    id: i64,
    name: String,
    year: String,
    unit: &'static str,
    member: RuleForm,
    non_member: RuleForm,
    levels: Vec<LevelPrice>,
    preview: Option<Preview>,
}

async fn prices_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    year: &str,
) -> Result<(PricesPage, Vec<BillingPhase>, Unit), PageError> {
    if crate::domain::partnership::MembershipYear::parse(user.partnership.year_kind, year).is_none() {
        return Err(PageError::NotFound);
    }
    let s = catalogue::get(&state.db, user.partnership.id, id).await?;
    let unit = Unit::parse(s.unit).unwrap_or(Unit::Item);
    let phases = crate::web::offers::levels::register_phases(state, user).await?;
    let list = catalogue::price_list_for(&state.db, id, year).await?;
    // A new year starts from the latest year before it.
    let list = match list {
        Some(l) => Some(l),
        None => match s.prices.iter().rev().find(|p| p.year.as_str() < year) {
            Some(p) => catalogue::price_list_for(&state.db, id, &p.year).await?,
            None => None,
        },
    };
    let included = catalogue::entitlements(&state.db, user.partnership.id, id).await?;
    let levels = level_names(state, user, year)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let own = list.as_ref().and_then(|l| l.by_level.iter().find(|(n, _)| n == &name)).map(|(_, r)| r);
            LevelPrice {
                rule: RuleForm::new(&format!("level{i}"), &format!("{name} member price"), own, &phases)
                    .optional("None: the member price"),
                included_id: format!("level{i}-included"),
                included: included
                    .iter()
                    .find(|e| e.year == year && e.level == name)
                    .map(|e| e.units.normalize().to_string())
                    .unwrap_or_default(),
                name,
            }
        })
        .collect();
    let page = PricesPage {
        chrome: Chrome::for_user(user, "/services"),
        errors: vec![],
        id,
        name: s.name,
        year: year.to_string(),
        unit: unit.singular(),
        member: RuleForm::new("member", "Member price", list.as_ref().map(|l| &l.member), &phases),
        non_member: RuleForm::new(
            "nonmember",
            "Non-member price",
            list.as_ref().and_then(|l| l.non_member.as_ref()),
            &phases,
        )
        .optional("None: only member schools can buy it"),
        levels,
        preview: None,
    };
    Ok((page, phases, unit))
}

pub(super) async fn prices_form(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, year)): Path<(String, String)>,
) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    let id = page_id(&id)?;
    let (page, _, _) = prices_page(&state, &user, id, &year).await?;
    Ok(render(&page)?.into_response())
}

pub(super) async fn save_prices(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, year)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let id = page_id(&id)?;
    let (mut page, phases, unit) = prices_page(&state, &user, id, &year).await?;
    let mut problems = Problems::default();
    let member = page.member.read(&form, &mut problems).flatten();
    let non_member = page.non_member.read(&form, &mut problems);
    page.member.posted(&form);
    page.non_member.posted(&form);
    let mut by_level = Vec::new();
    let mut units = Vec::new();
    for level in &mut page.levels {
        if let Some(Some(rule)) = level.rule.read(&form, &mut problems) {
            by_level.push((level.name.clone(), rule));
        }
        level.rule.posted(&form);
        level.included = form.get(&level.included_id).to_string();
        let what = format!("What the {} level includes", level.name);
        match level.included.trim() {
            "" => units.push((level.name.clone(), rust_decimal::Decimal::ZERO)),
            text => match text.parse::<rust_decimal::Decimal>() {
                Ok(n)
                    if n >= rust_decimal::Decimal::ZERO
                        && n <= rust_decimal::Decimal::from(1000)
                        && n.scale() <= 2 =>
                {
                    units.push((level.name.clone(), n))
                }
                _ => problems.add(
                    &level.included_id,
                    format!(
                        "{what} must be a number of {}s from 0 to 1000, like 2 or 1.5 (you wrote \"{text}\")",
                        unit.singular()
                    ),
                ),
            },
        }
    }
    let (Some(member), Some(non_member), true) = (member, non_member, problems.0.is_empty()) else {
        page.errors = problems.0;
        return Ok(with_problems(&page.errors.clone(), render(&page)?));
    };
    if form.get("action") == "preview" {
        let list = PriceList { member, non_member, by_level };
        let names: Vec<String> = page.levels.iter().map(|l| l.name.clone()).collect();
        page.preview = Some(preview(&list, &names, &phases, unit));
        return Ok(render(&page)?.into_response());
    }
    let prices = YearPrices {
        member: rule_value(&member),
        non_member: non_member.as_ref().map(rule_value),
        by_level: by_level.iter().map(|(n, r)| (n.clone(), rule_value(r))).collect(),
    };
    let saved =
        catalogue::set_prices(&state.db, &user.partnership, id, &year, &prices, Some(user.user.id)).await;
    let saved = match saved {
        Ok(_) if !page.levels.is_empty() => {
            catalogue::set_entitlements(&state.db, &user.partnership, id, &year, &units, Some(user.user.id))
                .await
        }
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to(&format!("/services/{id}?done=prices")).into_response()),
        Err(ServiceError::Invalid(list)) => {
            page.errors = list
                .into_iter()
                .map(|f| FieldError {
                    field: "member-shape".into(),
                    message: crate::web::forms::page::sentence_case(&f.message),
                })
                .collect();
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "services/customer.html")]
struct CustomerPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    urn: String,
    name: String,
    address: String,
    postcode: String,
    phases: Vec<SelectOption>,
}

fn customer_page(user: &PageUser, form: Option<&FormData>) -> CustomerPage {
    let get = |k: &str| form.map(|f| f.get(k).to_string()).unwrap_or_default();
    CustomerPage {
        chrome: Chrome::for_user(user, "/services"),
        errors: vec![],
        urn: get("urn"),
        name: get("name"),
        address: get("address"),
        postcode: get("postcode"),
        phases: BillingPhase::ALL
            .iter()
            .map(|p| {
                SelectOption::new(p.label(), p.label(), Some(form.map_or("Primary", |f| f.get("phase"))))
            })
            .collect(),
    }
}

pub(super) async fn customer_form(user: PageUser) -> Result<Response, PageError> {
    user.require(Action::ManageBilling)?;
    Ok(render(&customer_page(&user, None))?.into_response())
}

pub(super) async fn add_customer(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormData(pairs);
    editor(&user, &form)?;
    let new = catalogue::NewCustomer {
        urn: form.get("urn").to_string(),
        name: form.get("name").to_string(),
        address: form.get("address").to_string(),
        postcode: form.get("postcode").to_string(),
        phase: form.get("phase").to_string(),
    };
    match catalogue::add_customer(&state.db, &user.partnership, &new, Some(user.user.id), state.clock.now())
        .await
    {
        Ok(made) => Ok(Redirect::to(&format!("/services?done=customer&urn={}", made.urn)).into_response()),
        Err(e) => {
            let mut page = customer_page(&user, Some(&form));
            page.errors = refused_as(
                e,
                &[
                    ("urn", "urn"),
                    ("name", "name"),
                    ("address", "address"),
                    ("postcode", "postcode"),
                    ("phase", "phase"),
                ],
            )?;
            Ok(with_problems(&page.errors.clone(), render(&page)?))
        }
    }
}
