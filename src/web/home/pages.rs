//! The home page: what each role sees first.

use crate::domain::role::{Role, SchoolScope};
use crate::services::register::{self, SchoolFilter};
use crate::web::AppState;
use crate::web::error::PageError;
use crate::web::session::PageUser;
use crate::web::view::{Chrome, render};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

/// One step of a new partnership's first-run checklist.
struct Step {
    href: &'static str,
    label: &'static str,
    hint: &'static str,
    done: bool,
}

fn checklist(p: crate::services::setup::Progress) -> Vec<Step> {
    let step = |href, label, hint, done| Step { href, label, hint, done };
    vec![
        step(
            "/settings/partnership",
            "Enter the partnership's details",
            "Name, address, VAT and company numbers, as invoices print them",
            p.details,
        ),
        step(
            "/billing/settings",
            "Set up invoices",
            "Number prefixes, payment terms and the bank account schools pay into",
            p.invoice_settings,
        ),
        step(
            "/import",
            "Import the register of schools",
            "A CSV extract from Get Information about Schools",
            p.register,
        ),
        step(
            "/billing/offers/new",
            "Create this year's membership offer",
            "Its levels, what each costs and how it is billed",
            p.offer,
        ),
        step(
            "/billing/memberships",
            "Enrol schools",
            "Which schools join, at which level, and who pays",
            p.enrolled,
        ),
        step(
            "/schools?needs_pupils=true",
            "Record pupil numbers",
            "Per-pupil fees are charged on them",
            p.pupils,
        ),
        step("/users", "Invite users", "Finance staff, board members and school business managers", p.users),
    ]
}

/// A school's latest invoice on its home page: id, summary rows, whether it is numbered.
type LatestInvoice = (i64, Vec<(&'static str, String)>, bool);

struct MySchool {
    urn: String,
    name: String,
    pupils: Option<i32>,
}

#[derive(Template)]
#[template(path = "home/home.html")]
struct HomePage {
    chrome: Chrome,
    partnership_name: String,
    heading: String,
    intro: String,
    table_caption: String,
    phase_counts: Vec<(String, u64)>,
    needs_pupils: u64,
    my_schools: Vec<MySchool>,
    links: Vec<(&'static str, &'static str)>,
    year_totals: Vec<(String, usize, String, String, usize)>,
    my_memberships: Vec<(String, String, String, String)>,
    /// What finance should act on: text and where to act.
    waiting: Vec<(String, String)>,
    /// A school's latest invoice: its id, a summary and whether it has a PDF yet.
    latest: Option<LatestInvoice>,
    how_to_pay: Option<String>,
    /// Money owed to the partnership (finance, admin, board): label and amount.
    money: Vec<(&'static str, String)>,
    /// A school business manager's accounts: payer, what it owes, what is overdue, its id.
    accounts: Vec<(String, String, String, i64)>,
    /// A new partnership's first-run checklist, until every step is done.
    checklist: Vec<Step>,
    checklist_done: usize,
}

async fn home(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    let today = state.clock.today();
    let role = user.user.role;
    let scope = user.user.school_scope();
    let pid = user.partnership.id;
    let mut page = HomePage {
        chrome: Chrome::for_user(&user, "/"),
        partnership_name: user.partnership.name.clone(),
        heading: format!("Welcome, {}", user.user.name),
        intro: String::new(),
        table_caption: "Open schools in the register".into(),
        phase_counts: Vec::new(),
        needs_pupils: 0,
        my_schools: Vec::new(),
        links: Vec::new(),
        year_totals: Vec::new(),
        my_memberships: Vec::new(),
        checklist: Vec::new(),
        checklist_done: 0,
        waiting: Vec::new(),
        money: Vec::new(),
        accounts: Vec::new(),
        latest: None,
        how_to_pay: None,
    };
    if matches!(role, Role::Admin | Role::Finance | Role::Board) {
        let f = state.home_cache.figures(&state.db, &user.partnership, today).await?;
        page.year_totals = f
            .year_totals
            .iter()
            .map(|t| (t.year.clone(), t.issued, t.gross.to_string(), t.credited.to_string(), t.held))
            .collect();
        page.phase_counts = f.phase_counts.iter().map(|(phase, n)| (phase.label().to_string(), *n)).collect();
        page.needs_pupils = f.needs_pupils;
        page.money.push(("Owed on issued invoices", f.owed.owed.to_string()));
        page.money.push(("Of which overdue", f.owed.overdue.to_string()));
        if let Some(rate) = f.collection.as_ref().and_then(|c| c.rate.map(|r| (r, c))) {
            page.money.push((
                "Collected of this year's invoices",
                format!("{}% ({} of {})", rate.0, rate.1.collected, rate.1.invoiced),
            ));
        }
        if matches!(role, Role::Admin | Role::Finance) {
            if f.owed.overdue_invoices > 0 {
                page.waiting.push((
                    format!(
                        "{} overdue on {} invoice{}",
                        f.owed.overdue,
                        f.owed.overdue_invoices,
                        if f.owed.overdue_invoices == 1 { "" } else { "s" }
                    ),
                    "/aged-debt".into(),
                ));
            }
            if f.deliverables_due > 0 {
                page.waiting.push((
                    format!(
                        "{} contract deliverable{} or report{} due within a month or overdue",
                        f.deliverables_due,
                        if f.deliverables_due == 1 { "" } else { "s" },
                        if f.deliverables_due == 1 { "" } else { "s" }
                    ),
                    "/contracts".into(),
                ));
            }
            if f.lines_to_check > 0 {
                page.waiting.push((
                    format!(
                        "{} bank statement line{} to match",
                        f.lines_to_check,
                        if f.lines_to_check == 1 { "" } else { "s" }
                    ),
                    "/bank-statements".into(),
                ));
            }
            if f.held > 0 {
                page.waiting.push((
                    format!(
                        "{} invoice{} held until a PO number is given",
                        f.held,
                        if f.held == 1 { " is" } else { "s are" }
                    ),
                    "/billing/payers?held=yes".into(),
                ));
            }
            if f.needs_pupils > 0 {
                page.waiting.push((
                    format!(
                        "{} school{} a pupil number",
                        f.needs_pupils,
                        if f.needs_pupils == 1 { " needs" } else { "s need" }
                    ),
                    "/schools?needs_pupils=true".into(),
                ));
            }
            if let Some((year, period)) = &f.due {
                page.waiting.push((
                    format!(
                        "Billing due next: {} {}, from {}",
                        year.label(),
                        period.label(),
                        crate::web::view::long_date(period.first_day)
                    ),
                    format!("/billing?year={}", year.label()),
                ));
            }
        }
    }
    let own_scope = if matches!(role, Role::SchoolBusinessManager | Role::Commissioner) {
        crate::services::invoices::scope_for(&state.db, &user.user).await?
    } else {
        None
    };
    if let Some(crate::services::invoices::InvoiceScope::Payers(ids)) = &own_scope {
        for id in ids.iter().copied() {
            let a = crate::services::ledger::account(&state.db, pid, id, None, None, today).await?;
            if a.invoices.is_empty() && a.payments.is_empty() {
                continue;
            }
            page.accounts.push((a.payer_name, a.outstanding.to_string(), a.overdue.to_string(), a.payer_id));
        }
    }
    if role == Role::SchoolBusinessManager
        && let Some(scope) = &own_scope
    {
        let found =
            crate::services::invoices::list(&state.db, pid, scope, &Default::default(), today, 1, 1).await?;
        if let Some(i) = found.invoices.into_iter().next() {
            let number = i.number.clone().unwrap_or_else(|| "Not yet numbered".into());
            let mut rows = vec![("Invoice", number.clone()), ("For", format!("{} {}", i.year, i.period))];
            rows.push(("Total", i.gross.to_string()));
            rows.push(("Still to pay", i.outstanding.to_string()));
            if let Some(due) = i.due_date {
                rows.push(("Due by", crate::web::view::long_date(due)));
            }
            let p = &user.partnership;
            page.how_to_pay = match (&p.bank_account_name, &p.bank_sort_code, &p.bank_account_number) {
                (Some(name), Some(sort), Some(account)) => Some(format!(
                    "Pay by bank transfer to {name}, sort code {sort}, account number {account}, quoting {number} as the reference."
                )),
                _ => Some(format!("Contact {} to arrange payment, quoting {number}.", p.name)),
            };
            page.latest = Some((i.id, rows, i.number.is_some()));
        }
    }
    // Renewal rounds: what a business manager has to answer, and what finance has to act on.
    if role == Role::SchoolBusinessManager && !matches!(scope, SchoolScope::Nothing) {
        for (r, answers) in crate::services::renewals::open_for(&state.db, pid, scope).await? {
            let to_answer = answers.iter().filter(|a| a.state == "waiting").count();
            if to_answer > 0 {
                page.waiting.push((
                    format!(
                        "Membership in {}: {} to answer by {}",
                        r.year,
                        if to_answer == 1 { "1 school".to_string() } else { format!("{to_answer} schools") },
                        crate::web::view::long_date(r.answer_by)
                    ),
                    "/renewal".into(),
                ));
            }
        }
    }
    if matches!(role, Role::Finance | Role::Admin) {
        for r in crate::services::renewals::rounds(&state.db, pid)
            .await?
            .into_iter()
            .filter(|r| r.closed_at.is_none())
        {
            let to_convert = r.tally.accepted - r.tally.converted;
            page.waiting.push((
                format!(
                    "Renewal round for {}: {} not answered, {} to make into memberships",
                    r.year, r.tally.waiting, to_convert
                ),
                format!("/renewals/{}", r.id),
            ));
        }
    }
    if role == Role::Admin {
        let progress =
            crate::services::setup::progress(&state.db, &user.partnership, today, page.needs_pupils).await?;
        if !progress.all_done() {
            page.checklist = checklist(progress);
            page.checklist_done = page.checklist.iter().filter(|s| s.done).count();
        }
    }
    match role {
        Role::Admin => {
            page.intro =
                "You run the partnership's set-up: the register of schools and who can use the service."
                    .into();
            page.links = vec![
                ("/billing", "Set fees, enrol schools and run billing"),
                ("/invoices", "Invoices and credit notes"),
                ("/schools", "Browse the register of schools"),
                ("/import", "Import schools from a GIAS extract"),
                ("/users", "Add users and see who has access"),
            ];
        }
        Role::Finance => {
            page.intro =
                "You keep the register's pupil numbers right: they are what per-pupil fees are charged on."
                    .into();
            page.links = vec![
                ("/billing", "Set fees, enrol schools and run billing"),
                ("/invoices", "Invoices, credit notes and overdue debt"),
                ("/contracts", "Council commissions, other contracts and grants"),
                ("/schools", "Browse the register of schools"),
            ];
        }
        Role::Board => {
            page.intro =
                "You can read the register and the partnership's reports; nothing you do here changes them."
                    .into();
            page.links = vec![
                ("/funding", "Compare funding models for the board"),
                ("/contracts#income", "Income by stream and the share from councils"),
                ("/schools", "Browse the register of schools"),
            ];
        }
        Role::SchoolBusinessManager => {
            page.intro = match scope {
                SchoolScope::Trust(_) => "You see every school of your trust.".into(),
                _ => "You see your school's details and pupil numbers.".into(),
            };
            let mine = register::list_schools(&state.db, pid, scope, &SchoolFilter::default(), today, 1, 100)
                .await?;
            let ids: Vec<i64> = mine.schools.iter().map(|s| s.id).collect();
            page.my_schools = mine
                .schools
                .into_iter()
                .map(|s| MySchool { urn: s.urn.to_string(), name: s.name, pupils: s.pupils })
                .collect();
            for offer in crate::services::offers::list(&state.db, pid).await? {
                for m in crate::services::memberships::list_for_year(&state.db, pid, &offer.year, Some(&ids))
                    .await?
                {
                    page.my_memberships.push((
                        format!("{} {}", m.school, m.year),
                        m.level,
                        m.level_description,
                        format!(
                            "from {}{}",
                            crate::web::view::long_date(m.starts_on),
                            m.ends_on
                                .map(|e| format!(" to {}", crate::web::view::long_date(e)))
                                .unwrap_or_default()
                        ),
                    ));
                }
            }
            page.links = vec![("/invoices", "Your invoices and credit notes (PDF)")];
        }
        Role::Commissioner => {
            let las = register::local_authorities(&state.db, pid).await?;
            let council = las
                .iter()
                .find(|l| Some(l.id) == user.user.local_authority_id)
                .map(|l| l.name.clone())
                .unwrap_or_default();
            page.intro = format!("You commission work from the partnership for {council}.");
            page.links = vec![
                ("/contracts", "Your council's contracts, what is invoiced and the reports due"),
                ("/invoices", "Invoices addressed to your council"),
            ];
        }
    }
    Ok(render(&page)?.into_response())
}
