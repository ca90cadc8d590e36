//! The role and scope sweep: every route, as every role that must be refused, as a user of
//! another partnership, and signed out. Allowed roles are checked too, so the sweep can fail.

use crate::helpers::{Answer, Backend, Client, TestApp};
use crate::import::new_partnership;
use crate::on_both_databases;
use axum::http::StatusCode;
use partnership_billing::domain::role::Role;
use partnership_billing::services::demo::DEMO_LOGINS;
use partnership_billing::services::import::{ImportOptions, import_schools};
use partnership_billing::services::users::{self, NewUser};
use secrecy::SecretString;

/// The demo's business manager's school, and a school of the demo trust (not theirs).
const OWN_SCHOOL: &str = "990003";
const TRUST_SCHOOL: &str = "990149";
/// A demo school no business manager looks after, and which the other partnership lacks.
const DEMO_ONLY_SCHOOL: &str = "990011";

#[derive(Clone, Copy, PartialEq)]
enum Surface {
    Page,
    Api,
}

#[derive(Clone, Copy)]
enum Delivery {
    Get,
    PageForm(&'static [(&'static str, &'static str)]),
    Upload,
    Json(&'static str),
    Put(&'static str),
    Csv,
}

struct Route {
    path: String,
    surface: Surface,
    send: Delivery,
    /// Emails of the demo users allowed through.
    allowed: Vec<&'static str>,
}

const ADMIN: &str = "admin@demo.test";
const FINANCE: &str = "finance@demo.test";
const BOARD: &str = "board@demo.test";
const SBM: &str = "sbm@demo.test";
const TRUST: &str = "trust@demo.test";
const COUNCIL: &str = "council@demo.test";

const PUPIL_FORM: &[(&str, &str)] = &[
    ("census_date-day", "16"),
    ("census_date-month", "1"),
    ("census_date-year", "2025"),
    ("pupils", "300"),
    ("reason", "sweep"),
];
const USER_FORM: &[(&str, &str)] = &[("name", ""), ("email", ""), ("password", ""), ("role", "board")];
const PUPIL_JSON: &str = r#"{"census_date": "16-01-2025", "pupils": 300, "reason": "sweep"}"#;
const ONE_SCHOOL_CSV: &str = "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),EstablishmentStatus (name)\n990003,990,Riverside,Other Partnership School,Community school,Primary,Open\n";
/// What the demo admin uploads during the sweep: a new school, so the demo's own stay as they are.
const NEW_SCHOOL_CSV: &str = "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),EstablishmentStatus (name)\n990500,990,Riverside,Sweep New School,Community school,Primary,Open\n";

/// Ids of billing records the sweep needs, made before it starts.
struct Ids {
    school_invoice: i64,
    trust_invoice: i64,
    credit_note: i64,
    membership: i64,
    payer: i64,
    /// The demo's board member (an account admins manage).
    board_user: i64,
    /// A payment from the school invoice's payer, and its allocation.
    payment: i64,
    allocation: i64,
    /// A bank statement and one of its lines.
    statement: i64,
    bank_line: i64,
    /// A demo service, an order for the business manager's school and one for a school no
    /// business manager looks after.
    service: i64,
    own_order: i64,
    other_order: i64,
    /// A CPD event with a place for the business manager's school and one for another school.
    event: i64,
    own_place: i64,
    other_place: i64,
    /// A contract with the commissioner's council (Riverside), one of its instalments and
    /// deliverables, and a contract with another council (Hillbrook).
    own_contract: i64,
    own_instalment: i64,
    own_deliverable: i64,
    other_contract: i64,
    /// An accounting export.
    export: i64,
    /// A renewal round for 2027-28 (every demo school invited).
    round: i64,
}

const CREDIT_FORM: &[(&str, &str)] = &[("reason", "sweep"), ("what", "lines"), ("line_0", "")];
const JOIN_FORM: &[(&str, &str)] =
    &[("year", "2025-26"), ("urn", ""), ("level", "Core"), ("starts_on", ""), ("paid_by", "school")];
const RULE_FORM: &[(&str, &str)] = &[
    ("level-name", "Core"),
    ("fee-shape", "flat"),
    ("fee-flat", "100.00"),
    ("description", "x"),
    ("vat_rate", "standard"),
    ("action", "preview"),
];
const SCENARIO: &str = "/funding/2026-27%20funding%20options";
const RUN_FORM: &[(&str, &str)] = &[("year", "2025-26"), ("period", "spring")];
const PO_FORM: &[(&str, &str)] = &[("year", "2025-26"), ("po_number", "")];
const SETTINGS_FORM: &[(&str, &str)] =
    &[("invoice_prefix", "bad prefix!"), ("credit_note_prefix", "CN-"), ("payment_terms_days", "30")];
const LEVEL_JSON: &str =
    r#"{"fee_rule": {"flat": "1000.00"}, "vat_rate": "standard", "description": "Core"}"#;
const LEAVE_JSON: &str = r#"{"ends_on": "2026-08-31"}"#;
const PO_JSON: &str = r#"{"year": "2025-26", "po_number": "PO-SWEEP"}"#;
const REQUIRES_JSON: &str = r#"{"requires_po": false}"#;
const MODEL_JSON: &str = r#"{"year": "2026-27", "schools": {}, "costs": [{"name": "Core", "kind": "core", "amount": "100000.00"}], "options": [{"name": "Fee", "membership_fee": {"per_pupil": "5.00"}, "covers": ["core"]}]}"#;
const RUN_JSON: &str = r#"{"year": "2025-26", "period": "summer"}"#;
const RULE_JSON: &str = r#"{"year": "2025-26", "rule": {"flat": "100.00"}}"#;
const CREDIT_JSON: &str = r#"{"reason": "sweep", "lines": []}"#;

fn billing_routes(ids: &Ids) -> Vec<Route> {
    let billing = vec![ADMIN, FINANCE];
    let r = |path: String, surface, send, allowed: Vec<&'static str>| Route { path, surface, send, allowed };
    use Delivery::*;
    use Surface::*;
    let everyone = vec![ADMIN, FINANCE, BOARD, SBM, TRUST, COUNCIL];
    let admin = vec![ADMIN];
    let board = ids.board_user;
    vec![
        r("/account/sessions".into(), Page, Get, everyone.clone()),
        r("/account/password".into(), Page, Get, everyone.clone()),
        r(
            "/account/password".into(),
            Page,
            PageForm(&[("current", "x"), ("new", "y"), ("confirm", "y")]),
            everyone,
        ),
        r(format!("/users/{board}"), Page, Get, admin.clone()),
        r(format!("/users/{board}/disabled"), Page, PageForm(&[("disabled", "no")]), admin.clone()),
        r(format!("/users/{board}/password"), Page, PageForm(&[("password", "short")]), admin.clone()),
        r(format!("/users/{board}/tokens"), Page, PageForm(&[("name", "")]), admin),
        r("/billing".into(), Page, Get, billing.clone()),
        r("/funding".into(), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r(
            "/funding/2026-27%20funding%20options?option=1&phase=Primary".into(),
            Page,
            Get,
            vec![ADMIN, FINANCE, BOARD],
        ),
        r(format!("{SCENARIO}/schools.csv?option=0"), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r(format!("{SCENARIO}/schools.xlsx?option=1&sort=charge"), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r(format!("{SCENARIO}/board-paper.pdf"), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/funding/new".into(), Page, Get, billing.clone()),
        r("/funding/new".into(), Page, PageForm(&[("name", ""), ("year", "2027-28")]), billing.clone()),
        r(format!("{SCENARIO}/edit"), Page, Get, billing.clone()),
        r(format!("{SCENARIO}/paper"), Page, Get, billing.clone()),
        r(format!("{SCENARIO}/paper"), Page, PageForm(&[("purpose", "x")]), billing.clone()),
        r(format!("{SCENARIO}/settings"), Page, Get, billing.clone()),
        r(format!("{SCENARIO}/settings"), Page, PageForm(&[("year", "next year")]), billing.clone()),
        r(format!("{SCENARIO}/costs/0"), Page, Get, billing.clone()),
        r(format!("{SCENARIO}/costs/new"), Page, PageForm(&[("line-name", "")]), billing.clone()),
        r(format!("{SCENARIO}/options/0"), Page, Get, billing.clone()),
        r(format!("{SCENARIO}/options/new"), Page, PageForm(&[("option-name", "")]), billing.clone()),
        r(format!("{SCENARIO}/duplicate"), Page, Get, billing.clone()),
        r(format!("{SCENARIO}/duplicate"), Page, PageForm(&[("new-name", "")]), billing.clone()),
        r(format!("{SCENARIO}/delete"), Page, Get, billing.clone()),
        r("/billing/preview?year=2025-26&period=spring".into(), Page, Get, billing.clone()),
        r("/billing/runs".into(), Page, PageForm(RUN_FORM), billing.clone()),
        r("/billing/offers/2025-26".into(), Page, Get, billing.clone()),
        r("/billing/offers/2025-26/levels/Core".into(), Page, PageForm(RULE_FORM), billing.clone()),
        r("/billing/offers/2025-26/levels/Core".into(), Page, Get, billing.clone()),
        r("/billing/offers/new".into(), Page, Get, billing.clone()),
        r("/settings/partnership".into(), Page, Get, billing.clone()),
        r("/settings/partnership".into(), Page, PageForm(&[("name", "")]), billing.clone()),
        r("/billing/offers/new".into(), Page, PageForm(&[("year", "")]), billing.clone()),
        r("/billing/offers/2025-26/terms".into(), Page, Get, billing.clone()),
        r("/billing/offers/2025-26/terms".into(), Page, PageForm(&[("billing_plan", "x")]), billing.clone()),
        r("/billing/offers/2025-26/add-level".into(), Page, Get, billing.clone()),
        r("/billing/offers/2025-26/add-level".into(), Page, PageForm(&[("level-name", "")]), billing.clone()),
        r("/billing/offers/2025-26/levels/Core/remove".into(), Page, Get, billing.clone()),
        r("/billing/offers/2025-26/levels/Core/remove".into(), Page, PageForm(&[]), billing.clone()),
        r(
            "/billing/offers/2025-26/levels/Core/move".into(),
            Page,
            PageForm(&[("direction", "x")]),
            billing.clone(),
        ),
        r("/billing/memberships".into(), Page, Get, billing.clone()),
        r("/billing/memberships".into(), Page, PageForm(JOIN_FORM), billing.clone()),
        r("/billing/memberships/enrol".into(), Page, Get, billing.clone()),
        r("/billing/memberships/enrol".into(), Page, Upload, billing.clone()),
        r(format!("/billing/memberships/{}", ids.membership), Page, Get, billing.clone()),
        r("/billing/payers".into(), Page, Get, billing.clone()),
        r(format!("/billing/payers/{}/po", ids.payer), Page, PageForm(PO_FORM), billing.clone()),
        r(format!("/billing/payers/{}", ids.payer), Page, Get, billing.clone()),
        r(format!("/billing/payers/{}/contact", ids.payer), Page, Get, billing.clone()),
        r(
            format!("/billing/payers/{}/contact", ids.payer),
            Page,
            PageForm(&[("address", "")]),
            billing.clone(),
        ),
        r("/billing/audit".into(), Page, Get, billing.clone()),
        r("/billing/settings".into(), Page, Get, billing.clone()),
        r("/billing/settings".into(), Page, PageForm(SETTINGS_FORM), billing.clone()),
        r("/billing/runs".into(), Page, Get, billing.clone()),
        r("/invoices".into(), Page, Get, vec![ADMIN, FINANCE, SBM, TRUST, COUNCIL]),
        r(format!("/invoices/{}", ids.school_invoice), Page, Get, vec![ADMIN, FINANCE, SBM]),
        r(format!("/invoices/{}/pdf", ids.school_invoice), Page, Get, vec![ADMIN, FINANCE, SBM]),
        r(format!("/invoices/{}", ids.trust_invoice), Page, Get, vec![ADMIN, FINANCE, TRUST]),
        r(
            format!("/invoices/{}/credit-notes", ids.school_invoice),
            Page,
            PageForm(CREDIT_FORM),
            billing.clone(),
        ),
        r(format!("/credit-notes/{}/pdf", ids.credit_note), Page, Get, vec![ADMIN, FINANCE, TRUST]),
        r("/api/v1/offers".into(), Api, Get, billing.clone()),
        r("/api/v1/offers/2025-26".into(), Api, Get, billing.clone()),
        r("/api/v1/fee-rules/preview".into(), Api, Json(RULE_JSON), billing.clone()),
        r("/api/v1/memberships?year=2025-26".into(), Api, Get, billing.clone()),
        r("/api/v1/billing-runs/preview?year=2025-26&period=summer".into(), Api, Get, billing.clone()),
        r("/api/v1/billing-runs".into(), Api, Json(RUN_JSON), billing.clone()),
        r("/api/v1/invoices".into(), Api, Get, vec![ADMIN, FINANCE, SBM, TRUST, COUNCIL]),
        r(format!("/api/v1/invoices/{}", ids.school_invoice), Api, Get, vec![ADMIN, FINANCE, SBM]),
        r(format!("/api/v1/invoices/{}/pdf", ids.trust_invoice), Api, Get, vec![ADMIN, FINANCE, TRUST]),
        r(
            format!("/api/v1/invoices/{}/credit-notes", ids.trust_invoice),
            Api,
            Json(CREDIT_JSON),
            billing.clone(),
        ),
        r("/api/v1/offers/2025-26/levels/Core".into(), Api, Put(LEVEL_JSON), billing.clone()),
        r(format!("/api/v1/memberships/{}/leave", ids.membership), Api, Json(LEAVE_JSON), billing.clone()),
        r("/api/v1/payers".into(), Api, Get, billing.clone()),
        r(format!("/api/v1/payers/{}/po", ids.payer), Api, Json(PO_JSON), billing.clone()),
        r(format!("/api/v1/payers/{}/requires-po", ids.payer), Api, Json(REQUIRES_JSON), billing.clone()),
        r(format!("/api/v1/credit-notes/{}/pdf", ids.credit_note), Api, Get, vec![ADMIN, FINANCE, TRUST]),
        r("/api/v1/audit".into(), Api, Get, billing.clone()),
        r("/api/v1/funding-models/run".into(), Api, Json(MODEL_JSON), vec![ADMIN, FINANCE, BOARD]),
        r("/api/v1/scenarios/Sweep".into(), Api, Put(MODEL_JSON), billing.clone()),
        r("/api/v1/scenarios".into(), Api, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/api/v1/scenarios/Sweep".into(), Api, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/api/v1/scenarios/Sweep/results".into(), Api, Get, vec![ADMIN, FINANCE, BOARD]),
    ]
    .into_iter()
    .chain(ledger_routes(ids))
    .collect()
}

fn ledger_routes(ids: &Ids) -> Vec<Route> {
    let billing = vec![ADMIN, FINANCE];
    let own = vec![ADMIN, FINANCE, SBM];
    let r = |path: String, surface, send, allowed: Vec<&'static str>| Route { path, surface, send, allowed };
    use Delivery::*;
    use Surface::*;
    let (payment, allocation, invoice, payer) = (ids.payment, ids.allocation, ids.school_invoice, ids.payer);
    let statement_form: &'static [(&'static str, &'static str)] = Box::leak(
        vec![("statement", &*Box::leak(ids.statement.to_string().into_boxed_str())), ("action", "nothing")]
            .into_boxed_slice(),
    );
    let undo_form: &'static [(&'static str, &'static str)] = Box::leak(
        vec![("payment", &*Box::leak(payment.to_string().into_boxed_str())), ("reason", "")]
            .into_boxed_slice(),
    );
    vec![
        r("/payments".into(), Page, Get, billing.clone()),
        r("/payments/new".into(), Page, Get, billing.clone()),
        r(format!("/payments/new?payer={payer}"), Page, Get, billing.clone()),
        r("/payments/new".into(), Page, PageForm(&[("payer", ""), ("amount", "")]), billing.clone()),
        r(format!("/payments/{payment}"), Page, Get, billing.clone()),
        r(format!("/payments/{payment}/allocate"), Page, PageForm(&[]), billing.clone()),
        r(format!("/payments/{payment}/reverse"), Page, PageForm(&[("reverse_reason", "")]), billing.clone()),
        r(format!("/payments/{payment}/refund"), Page, PageForm(&[("refund_amount", "")]), billing.clone()),
        r(format!("/allocations/{allocation}/undo"), Page, PageForm(undo_form), billing.clone()),
        r(format!("/payers/{payer}/account"), Page, Get, own.clone()),
        r(format!("/payers/{payer}/statement.pdf"), Page, Get, own.clone()),
        r("/aged-debt".into(), Page, Get, billing.clone()),
        r("/aged-debt?format=csv".into(), Page, Get, billing.clone()),
        r("/aged-debt?format=xlsx".into(), Page, Get, billing.clone()),
        r("/settlements/new".into(), Page, Get, billing.clone()),
        r("/settlements/new".into(), Page, PageForm(&[("council", "1"), ("reference", "")]), billing.clone()),
        r(format!("/invoices/{invoice}/write-off"), Page, Get, billing.clone()),
        r(format!("/invoices/{invoice}/write-off"), Page, PageForm(&[("amount", "")]), billing.clone()),
        r("/api/v1/payments".into(), Api, Get, billing.clone()),
        r("/api/v1/payments".into(), Api, Json("{}"), billing.clone()),
        r(format!("/api/v1/payments/{payment}"), Api, Get, billing.clone()),
        r(
            format!("/api/v1/payments/{payment}/allocations"),
            Api,
            Json(r#"{"allocate": "x"}"#),
            billing.clone(),
        ),
        r(format!("/api/v1/payments/{payment}/reverse"), Api, Json(r#"{"reason": ""}"#), billing.clone()),
        r(format!("/api/v1/payments/{payment}/refunds"), Api, Json("{}"), billing.clone()),
        r(format!("/api/v1/allocations/{allocation}/undo"), Api, Json(r#"{"reason": ""}"#), billing.clone()),
        r(
            format!("/api/v1/invoices/{invoice}/write-offs"),
            Api,
            Json(r#"{"kind": "x", "reason": ""}"#),
            billing.clone(),
        ),
        r(
            "/api/v1/settlements".into(),
            Api,
            Json(r#"{"reference": "", "settled_on": "2025-09-01", "invoice_ids": []}"#),
            billing.clone(),
        ),
        r(format!("/api/v1/payers/{payer}/statement"), Api, Get, own.clone()),
        r("/api/v1/aged-debt".into(), Api, Get, billing.clone()),
        r("/api/v1/ledger-check".into(), Api, Get, billing.clone()),
        r("/bank-statements".into(), Page, Get, billing.clone()),
        r("/bank-statements".into(), Page, Upload, billing.clone()),
        r(format!("/bank-statements/{}", ids.statement), Page, Get, billing.clone()),
        r(format!("/bank-statements/{}/confirm", ids.statement), Page, PageForm(&[]), billing.clone()),
        r(
            format!("/bank-statement-lines/{}", ids.bank_line),
            Page,
            PageForm(statement_form),
            billing.clone(),
        ),
        r("/api/v1/services".into(), Api, Get, vec![ADMIN, FINANCE, SBM, TRUST, COUNCIL]),
        r("/api/v1/services".into(), Api, Json("{}"), billing.clone()),
        r("/api/v1/orders".into(), Api, Get, vec![ADMIN, FINANCE, SBM, TRUST]),
        r("/api/v1/orders".into(), Api, Json("{}"), vec![ADMIN, FINANCE, SBM, TRUST]),
        r("/api/v1/events".into(), Api, Get, vec![ADMIN, FINANCE, SBM, TRUST]),
        r("/api/v1/events".into(), Api, Json("{}"), billing.clone()),
        r(format!("/api/v1/events/{}", ids.event), Api, Get, vec![ADMIN, FINANCE, SBM, TRUST]),
        r(
            format!("/api/v1/events/{}/bookings", ids.event),
            Api,
            Json("{}"),
            vec![ADMIN, FINANCE, SBM, TRUST],
        ),
        r(
            format!("/api/v1/events/{}/attendance", ids.event),
            Api,
            Json(r#"{"attended": [0]}"#),
            billing.clone(),
        ),
        r(
            format!("/api/v1/bookings/{}/delegate", ids.own_place),
            Api,
            Json(r#"{"delegate": ""}"#),
            vec![ADMIN, FINANCE, SBM],
        ),
        r(
            format!("/api/v1/bookings/{}/delegate", ids.other_place),
            Api,
            Json(r#"{"delegate": ""}"#),
            billing.clone(),
        ),
        r(format!("/api/v1/bookings/{}/accept", ids.other_place), Api, Json("{}"), billing.clone()),
        r("/services".into(), Page, Get, vec![ADMIN, FINANCE, SBM, TRUST]),
        r("/events".into(), Page, Get, vec![ADMIN, FINANCE, SBM, TRUST]),
        r("/providers".into(), Page, Get, billing.clone()),
        r("/services/customers/new".into(), Page, Get, billing.clone()),
        r("/services/customers/new".into(), Page, PageForm(&[("urn", "")]), billing.clone()),
        r("/api/v1/customers".into(), Api, Json("{}"), billing.clone()),
        r("/providers/rates".into(), Page, PageForm(&[("urn", "")]), billing.clone()),
        r("/providers/statements".into(), Page, PageForm(&[("month", "")]), billing.clone()),
        r("/deliveries".into(), Page, Get, billing.clone()),
        r("/services/margin".into(), Page, Get, billing.clone()),
        r("/services/take-up".into(), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/api/v1/traded-take-up?year=2026-27".into(), Api, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/api/v1/provider-rates".into(), Api, Get, billing.clone()),
        r("/api/v1/provider-rates".into(), Api, Json("{}"), billing.clone()),
        r("/api/v1/provider-statements".into(), Api, Get, billing.clone()),
        r("/api/v1/provider-statements".into(), Api, Json("{}"), billing.clone()),
        r("/api/v1/deliveries?month=2026-10".into(), Api, Get, billing.clone()),
        r("/api/v1/traded-margin?year=2026-27".into(), Api, Get, billing.clone()),
        r("/events/new".into(), Page, Get, billing.clone()),
        r("/events/new".into(), Page, PageForm(&[("title", "")]), billing.clone()),
        r(format!("/events/{}", ids.event), Page, Get, vec![ADMIN, FINANCE, SBM, TRUST]),
        r(
            format!("/events/{}/book", ids.event),
            Page,
            PageForm(&[("delegates", "")]),
            vec![ADMIN, FINANCE, SBM, TRUST],
        ),
        r(format!("/events/{}/attendance", ids.event), Page, PageForm(&[]), billing.clone()),
        r(
            format!("/bookings/{}/delegate", ids.own_place),
            Page,
            PageForm(&[("delegate", "")]),
            vec![ADMIN, FINANCE, SBM],
        ),
        r(
            format!("/bookings/{}/delegate", ids.other_place),
            Page,
            PageForm(&[("delegate", "")]),
            billing.clone(),
        ),
        r("/services/new".into(), Page, Get, billing.clone()),
        r("/services/new".into(), Page, PageForm(&[("name", "")]), billing.clone()),
        r(format!("/services/{}", ids.service), Page, Get, billing.clone()),
        r(format!("/services/{}/prices/2026-27", ids.service), Page, Get, billing.clone()),
        r(
            format!("/services/{}/prices/2026-27", ids.service),
            Page,
            PageForm(&[("action", "preview")]),
            billing.clone(),
        ),
        r(format!("/services/{}/order", ids.service), Page, Get, vec![ADMIN, FINANCE, SBM, TRUST]),
        r(
            format!("/services/{}/order", ids.service),
            Page,
            PageForm(&[("quantity", "")]),
            vec![ADMIN, FINANCE, SBM, TRUST],
        ),
        r("/orders".into(), Page, Get, vec![ADMIN, FINANCE, SBM, TRUST]),
        r(format!("/orders/{}", ids.own_order), Page, Get, vec![ADMIN, FINANCE, SBM]),
        r(format!("/orders/{}", ids.other_order), Page, Get, billing.clone()),
        r(
            format!("/orders/{}/cancel", ids.own_order),
            Page,
            PageForm(&[("cancel_reason", "")]),
            billing.clone(),
        ),
        r(format!("/orders/{}/schedule", ids.own_order), Page, PageForm(&[]), billing.clone()),
        r(format!("/api/v1/orders/{}/schedule", ids.own_order), Api, Json("{}"), billing.clone()),
        r(format!("/api/v1/orders/{}/deliver", ids.own_order), Api, Json("{}"), billing.clone()),
        r(format!("/api/v1/orders/{}/cancel", ids.own_order), Api, Json("{}"), billing.clone()),
        r("/reports".into(), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/reports?year=2025-26".into(), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/reports/funding.csv?year=2025-26".into(), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/reports/funding.xlsx?year=2025-26".into(), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/reports/funding.pdf?year=2025-26".into(), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/reports/income.xlsx?fy=2026-27".into(), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/reports/funding.csv?year=2025-26&table=breakdown".into(), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/reports/budgets?year=2025-26".into(), Page, Get, billing.clone()),
        r(
            "/reports/budgets".into(),
            Page,
            PageForm(&[("year", "2025-26"), ("budget-grant", "x")]),
            billing.clone(),
        ),
        r("/api/v1/reports/funding?year=2025-26".into(), Api, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/api/v1/reports/take-up?year=2025-26".into(), Api, Get, vec![ADMIN, FINANCE, BOARD]),
        r(
            "/api/v1/reports/income?from=2026-04-01&to=2027-03-31".into(),
            Api,
            Get,
            vec![ADMIN, FINANCE, BOARD],
        ),
        r("/reports/income".into(), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/api/v1/reports/breakdown?year=2025-26".into(), Api, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/reports/income?fy=2025-26".into(), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/reports/income.csv?fy=2025-26".into(), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r("/api/v1/budgets".into(), Api, Json("{}"), billing.clone()),
        r("/exports".into(), Page, Get, billing.clone()),
        r("/exports?vat_from-day=1&vat_from-month=7&vat_from-year=2025".into(), Page, Get, billing.clone()),
        r("/exports".into(), Page, PageForm(&[("from-day", "")]), billing.clone()),
        r(format!("/exports/{}/files/1", ids.export), Page, Get, billing.clone()),
        r("/renewals".into(), Page, Get, billing.clone()),
        r("/renewals".into(), Page, PageForm(&[("year", "2027-28")]), billing.clone()),
        r(format!("/renewals/{}", ids.round), Page, Get, billing.clone()),
        r(format!("/renewals/{}?state=waiting&q=primary", ids.round), Page, Get, billing.clone()),
        r(format!("/renewals/{}/schools/{OWN_SCHOOL}", ids.round), Page, Get, vec![ADMIN, FINANCE, SBM]),
        r(format!("/renewals/{}/schools/{TRUST_SCHOOL}", ids.round), Page, Get, vec![ADMIN, FINANCE, TRUST]),
        r(
            format!("/renewals/{}/schools/{OWN_SCHOOL}", ids.round),
            Page,
            PageForm(&[("choice", "")]),
            vec![ADMIN, FINANCE, SBM],
        ),
        r("/renewal".into(), Page, Get, vec![ADMIN, FINANCE, SBM, TRUST]),
        r(format!("/renewals/{}/chase", ids.round), Page, PageForm(&[]), billing.clone()),
        r(format!("/renewals/{}/convert", ids.round), Page, Get, billing.clone()),
        r(format!("/renewals/{}/convert", ids.round), Page, PageForm(&[]), billing.clone()),
        r("/api/v1/renewals".into(), Api, Get, vec![ADMIN, FINANCE, SBM, TRUST]),
        r("/api/v1/renewals".into(), Api, Json("{}"), billing.clone()),
        r(format!("/api/v1/renewals/{}", ids.round), Api, Get, billing.clone()),
        r(format!("/api/v1/renewals/{}/answers", ids.round), Api, Get, billing.clone()),
        r(
            format!("/api/v1/renewals/{}/answers/{OWN_SCHOOL}", ids.round),
            Api,
            Get,
            vec![ADMIN, FINANCE, SBM],
        ),
        r(
            format!("/api/v1/renewals/{}/answers/{TRUST_SCHOOL}", ids.round),
            Api,
            Put("{}"),
            vec![ADMIN, FINANCE, TRUST],
        ),
        r(format!("/api/v1/renewals/{}/chase", ids.round), Api, Json("{}"), billing.clone()),
        r(format!("/api/v1/renewals/{}/convert", ids.round), Api, Json("{}"), billing.clone()),
        r(format!("/renewals/{}/close", ids.round), Page, Get, billing.clone()),
        r(format!("/renewals/{}/close", ids.round), Page, PageForm(&[]), billing.clone()),
        r(format!("/api/v1/renewals/{}/close", ids.round), Api, Json("{}"), billing.clone()),
        r("/api/v1/exports".into(), Api, Get, billing.clone()),
        r("/api/v1/exports".into(), Api, Json("{}"), billing.clone()),
        r(format!("/api/v1/exports/{}/files/1", ids.export), Api, Get, billing.clone()),
        r("/api/v1/vat-summary?from=2025-07-01&to=2025-09-30".into(), Api, Get, billing.clone()),
        r("/api/v1/account-codes".into(), Api, Get, billing.clone()),
        r("/api/v1/account-codes".into(), Api, Json(r#"{"codes": {"bogus": "1"}}"#), billing.clone()),
        r(
            "/exports/accounts".into(),
            Page,
            PageForm(&[("account-grant", "no spaces allowed")]),
            billing.clone(),
        ),
        r("/contracts".into(), Page, Get, vec![ADMIN, FINANCE, BOARD, COUNCIL]),
        r("/contracts?stream=grant&page=2".into(), Page, Get, vec![ADMIN, FINANCE, BOARD, COUNCIL]),
        r("/contracts/new".into(), Page, Get, billing.clone()),
        r("/contracts/new".into(), Page, PageForm(&[("title", ""), ("action", "preview")]), billing.clone()),
        r(format!("/contracts/{}", ids.own_contract), Page, Get, vec![ADMIN, FINANCE, BOARD, COUNCIL]),
        r(format!("/contracts/{}", ids.other_contract), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r(
            format!("/contracts/{}/vary", ids.own_contract),
            Page,
            PageForm(&[("reason", "")]),
            billing.clone(),
        ),
        r(
            format!("/contracts/{}/instalments/{}/invoice", ids.own_contract, ids.own_instalment),
            Page,
            PageForm(&[]),
            billing.clone(),
        ),
        r(
            format!("/contracts/{}/deliverables/{}/sign-off", ids.own_contract, ids.own_deliverable),
            Page,
            PageForm(&[("note", "")]),
            billing.clone(),
        ),
        r("/api/v1/contracts".into(), Api, Get, vec![ADMIN, FINANCE, BOARD, COUNCIL]),
        r("/api/v1/contracts".into(), Api, Json("{}"), billing.clone()),
        r("/api/v1/contracts/preview".into(), Api, Json("{}"), billing.clone()),
        r("/api/v1/contracts/summary".into(), Api, Get, vec![ADMIN, FINANCE, BOARD]),
        r(format!("/api/v1/contracts/{}", ids.own_contract), Api, Get, vec![ADMIN, FINANCE, BOARD, COUNCIL]),
        r(format!("/api/v1/contracts/{}", ids.other_contract), Api, Get, vec![ADMIN, FINANCE, BOARD]),
        r(
            format!("/api/v1/contracts/{}/schedule/preview", ids.own_contract),
            Api,
            Get,
            vec![ADMIN, FINANCE, BOARD, COUNCIL],
        ),
        r(
            format!("/api/v1/contracts/{}/schedule/preview", ids.other_contract),
            Api,
            Get,
            vec![ADMIN, FINANCE, BOARD],
        ),
        r(format!("/api/v1/contracts/{}/variations", ids.own_contract), Api, Json("{}"), billing.clone()),
        r(
            format!("/api/v1/contracts/{}/instalments/{}/invoice", ids.own_contract, ids.own_instalment),
            Api,
            Json("{}"),
            billing.clone(),
        ),
        r(
            format!("/api/v1/contracts/{}/milestones/{}/complete", ids.own_contract, ids.own_deliverable),
            Api,
            Json("{}"),
            billing.clone(),
        ),
        r("/mail".into(), Page, Get, billing.clone()),
        r("/mail?state=failed".into(), Page, Get, billing.clone()),
        r("/reminders".into(), Page, Get, billing.clone()),
        r("/reminders".into(), Page, PageForm(&[("documents", "no"), ("reminders", "off")]), billing.clone()),
        r(
            format!("/invoices/{invoice}/reminders"),
            Page,
            PageForm(&[("reason", "disputed")]),
            billing.clone(),
        ),
        r(
            format!("/billing/payers/{payer}/reminders"),
            Page,
            PageForm(&[("action", "resume")]),
            billing.clone(),
        ),
        r("/jobs".into(), Page, Get, billing.clone()),
        r("/jobs/reminders/run".into(), Page, PageForm(&[]), billing.clone()),
        r(format!("/payers/{payer}/emails"), Page, Get, vec![ADMIN, FINANCE, SBM]),
        r(
            format!("/payers/{payer}/emails"),
            Page,
            PageForm(&[("email", "office@school.example")]),
            vec![ADMIN, FINANCE, SBM],
        ),
        r(format!("/payers/{payer}/statement/email"), Page, PageForm(&[]), billing.clone()),
        r(format!("/invoices/{invoice}/late-payment-claim"), Page, PageForm(&[]), billing.clone()),
        r(format!("/payers/{payer}/direct-debit"), Page, PageForm(&[]), vec![SBM]),
        r(format!("/payers/{payer}/direct-debit/resume"), Page, PageForm(&[]), billing.clone()),
        r("/direct-debit/done".into(), Page, Get, vec![ADMIN, FINANCE, BOARD, SBM, TRUST, COUNCIL]),
        r("/settings/payments".into(), Page, Get, vec![ADMIN]),
        r("/settings/payments".into(), Page, PageForm(&[("secret_key", "")]), vec![ADMIN]),
        r(format!("/invoices/{invoice}/pay"), Page, PageForm(&[]), own.clone()),
        r(format!("/pay/cancelled?invoices={invoice}"), Page, Get, vec![ADMIN, FINANCE, SBM, TRUST, COUNCIL]),
        r("/api/v1/bank-statements".into(), Api, Get, billing.clone()),
        r("/api/v1/bank-statements".into(), Api, Csv, billing.clone()),
        r(format!("/api/v1/bank-statements/{}/lines", ids.statement), Api, Get, billing.clone()),
        r(
            format!("/api/v1/bank-statement-lines/{}/match", ids.bank_line),
            Api,
            Json(r#"{"action": "nothing"}"#),
            billing,
        ),
    ]
}

fn routes() -> Vec<Route> {
    let registry = vec![ADMIN, FINANCE, BOARD, SBM, TRUST];
    let everyone = vec![ADMIN, FINANCE, BOARD, SBM, TRUST, COUNCIL];
    let r = |path: &str, surface, send, allowed: Vec<&'static str>| Route {
        path: path.to_string(),
        surface,
        send,
        allowed,
    };
    use Delivery::*;
    use Surface::*;
    vec![
        r("/", Page, Get, everyone.clone()),
        r("/schools", Page, Get, registry.clone()),
        r(&format!("/schools/{OWN_SCHOOL}"), Page, Get, vec![ADMIN, FINANCE, BOARD, SBM]),
        r(&format!("/schools/{TRUST_SCHOOL}"), Page, Get, vec![ADMIN, FINANCE, BOARD, TRUST]),
        r(&format!("/schools/{DEMO_ONLY_SCHOOL}"), Page, Get, vec![ADMIN, FINANCE, BOARD]),
        r(&format!("/schools/{OWN_SCHOOL}/pupil-numbers"), Page, PageForm(PUPIL_FORM), vec![ADMIN, FINANCE]),
        r(
            &format!("/schools/{DEMO_ONLY_SCHOOL}/pupil-numbers"),
            Page,
            PageForm(PUPIL_FORM),
            vec![ADMIN, FINANCE],
        ),
        r("/import", Page, Get, vec![ADMIN]),
        r("/import", Page, Upload, vec![ADMIN]),
        r("/users", Page, Get, vec![ADMIN]),
        r("/users", Page, PageForm(USER_FORM), vec![ADMIN]),
        r("/api/v1/me", Api, Get, everyone),
        r("/api/v1/schools", Api, Get, registry.clone()),
        r(&format!("/api/v1/schools/{OWN_SCHOOL}"), Api, Get, vec![ADMIN, FINANCE, BOARD, SBM]),
        r(&format!("/api/v1/schools/{TRUST_SCHOOL}"), Api, Get, vec![ADMIN, FINANCE, BOARD, TRUST]),
        r(&format!("/api/v1/schools/{DEMO_ONLY_SCHOOL}"), Api, Get, vec![ADMIN, FINANCE, BOARD]),
        r(
            &format!("/api/v1/schools/{OWN_SCHOOL}/pupil-numbers"),
            Api,
            Json(PUPIL_JSON),
            vec![ADMIN, FINANCE],
        ),
        r(
            &format!("/api/v1/schools/{DEMO_ONLY_SCHOOL}/pupil-numbers"),
            Api,
            Json(PUPIL_JSON),
            vec![ADMIN, FINANCE],
        ),
        r("/api/v1/local-authorities", Api, Get, registry.clone()),
        r("/api/v1/trusts", Api, Get, registry),
        r("/api/v1/imports/gias", Api, Csv, vec![ADMIN]),
    ]
}

async fn call(client: &mut Client, route: &Route, signed_in: bool) -> Answer {
    let csrf = if signed_in { client.session_csrf().await } else { "x".repeat(64) };
    match route.send {
        Delivery::Get => client.get(&route.path).await,
        Delivery::PageForm(fields) => {
            let mut all = vec![("csrf_token", csrf.as_str())];
            all.extend_from_slice(fields);
            client.post_form(&route.path, &all).await
        }
        Delivery::Upload => {
            client
                .post_multipart(
                    &route.path,
                    &[("csrf_token", &csrf)],
                    Some(("one.csv", NEW_SCHOOL_CSV.as_bytes())),
                )
                .await
        }
        Delivery::Json(body) => {
            client
                .post_body(
                    &route.path,
                    "application/json",
                    body.as_bytes().to_vec(),
                    &[("x-csrf-token", &csrf)],
                )
                .await
        }
        Delivery::Put(body) => {
            let request = axum::http::Request::builder()
                .method(axum::http::Method::PUT)
                .uri(&route.path)
                .header("content-type", "application/json")
                .header("x-csrf-token", csrf.as_str())
                .body(axum::body::Body::from(body))
                .expect("request");
            client.send(request).await
        }
        Delivery::Csv => {
            client
                .post_body(
                    &route.path,
                    "text/csv",
                    NEW_SCHOOL_CSV.as_bytes().to_vec(),
                    &[("x-csrf-token", &csrf)],
                )
                .await
        }
    }
}

fn refused(answer: &Answer) -> bool {
    matches!(answer.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
}

async fn sweep(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    // Another partnership with its own admin and a school that shares a demo URN.
    let other = new_partnership(&app, "other").await;
    let summary =
        import_schools(&app.db, other, ONE_SCHOOL_CSV.as_bytes(), &ImportOptions::default(), &mut |_, _| {})
            .await
            .expect("import");
    assert!(summary.committed);
    users::create(
        &app.db,
        NewUser {
            one_time_password: false,
            partnership_id: other,
            email: "admin@other.test".into(),
            name: "Other Admin".into(),
            role: Role::Admin,
            password: SecretString::from("other-admin-password"),
            school_urn: None,
            trust_name: None,
            local_authority_code: None,
        },
    )
    .await
    .expect("other admin");

    // Bill the autumn term so there are invoices, a credit note, memberships and payers.
    let p =
        partnership_billing::services::partnerships::find_by_slug(&app.db, "demo").await.unwrap().unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
    partnership_billing::services::billing::commit(
        &app.db,
        &p,
        "2025-26",
        "autumn",
        partnership_billing::services::billing::RunBy::on(today),
        &mut |_, _| {},
    )
    .await
    .expect("run");
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let invoice_of = |payer: &'static str| {
        let db = app.db.clone();
        async move {
            entity::invoice::Entity::find()
                .filter(entity::invoice::Column::PayerName.eq(payer))
                .one(&db)
                .await
                .unwrap()
                .expect(payer)
        }
    };
    let school_invoice = invoice_of("Riverside Park Primary School").await;
    let trust_invoice = invoice_of("Northgate Learning Trust").await;
    let note = partnership_billing::services::invoices::credit(
        &app.db,
        &p,
        trust_invoice.id,
        &partnership_billing::services::invoices::CreditAmounts::Everything,
        partnership_billing::services::invoices::CreditRequest {
            reason: "sweep set-up",
            user_id: None,
            today,
            now: chrono::Utc::now(),
        },
    )
    .await
    .expect("credit note");
    let membership = entity::membership::Entity::find().one(&app.db).await.unwrap().unwrap();
    use partnership_billing::services::ledger;
    let paid = ledger::record(
        &app.db,
        &p,
        &ledger::NewPayment {
            payer_id: school_invoice.payer_id,
            received_on: today,
            amount: partnership_billing::domain::money::Money::from_pence(100),
            method: partnership_billing::domain::ledger::PaymentMethod::BankTransfer,
            reference: "SWEEP".into(),
            source: partnership_billing::domain::ledger::PaymentSource::Typed,
            source_ref: None,
        },
        &ledger::Allocate::OldestFirst,
        ledger::Actor { user_id: None, today, now: chrono::Utc::now() },
    )
    .await
    .expect("a payment");
    let imported = partnership_billing::services::bank::import(
        &app.db,
        &p,
        b"Date,Type,Description,Paid Out,Paid In,Balance\n01/09/2025,CR,INTEREST,,1.00,\n",
        "sweep.csv",
        None,
        None,
        ledger::Actor { user_id: None, today, now: chrono::Utc::now() },
    )
    .await
    .expect("a statement");
    let bank_line = entity::bank_line::Entity::find().one(&app.db).await.unwrap().unwrap();
    let service = partnership_billing::services::traded::list(&app.db, p.id).await.unwrap()[0].id;
    let order_for = |urn: &str| partnership_billing::services::orders::NewOrder {
        service_id: service,
        urn: urn.into(),
        quantity: rust_decimal::Decimal::ONE,
        service_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        po_number: None,
        notes: String::new(),
    };
    let mut placed = Vec::new();
    for urn in [OWN_SCHOOL, DEMO_ONLY_SCHOOL] {
        let order = partnership_billing::services::orders::place(
            &app.db,
            &p,
            partnership_billing::domain::role::SchoolScope::All,
            &order_for(urn),
            None,
            chrono::Utc::now(),
        )
        .await
        .expect("an order");
        placed.push(order.id);
    }
    let course = partnership_billing::services::traded::list(&app.db, p.id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == "CPD course place")
        .expect("the demo's course")
        .id;
    let event: partnership_billing::services::events::NewEvent = serde_json::from_value(serde_json::json!({
        "service_id": course, "title": "Sweep course", "venue": "Hall", "capacity": 10,
        "booking_deadline": "2027-01-01", "sessions": [{ "date": "2027-01-02", "starts_at": "09:00", "ends_at": "12:00" }] }))
    .unwrap();
    let event = partnership_billing::services::events::create(&app.db, &p, &event, None, chrono::Utc::now())
        .await
        .expect("an event");
    let mut event_places = Vec::new();
    for urn in [OWN_SCHOOL, DEMO_ONLY_SCHOOL] {
        let booked = partnership_billing::services::events::book(
            &app.db,
            &p,
            partnership_billing::domain::role::SchoolScope::All,
            event.id,
            &partnership_billing::services::events::NewBooking {
                urn: urn.into(),
                delegates: vec!["Sweep delegate".into()],
                po_number: None,
            },
            partnership_billing::services::ledger::Actor { user_id: None, today, now: chrono::Utc::now() },
        )
        .await
        .expect("a booking");
        event_places.push(booked[0].id);
    }
    let mut contract_ids = Vec::new();
    for code in ["990", "991"] {
        let la = entity::local_authority::Entity::find()
            .filter(entity::local_authority::Column::Code.eq(code))
            .filter(entity::local_authority::Column::PartnershipId.eq(p.id))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let made = app
            .client()
            .post_body(
                "/api/v1/contracts",
                "application/json",
                serde_json::json!({ "local_authority_id": la.id, "stream": "la_commission", "title": format!("Sweep {code}"),
                    "start_date": "2026-04-01", "end_date": "2027-03-31", "schedule": "fixed", "frequency": "quarterly",
                    "timing": "in_advance", "yearly_values": ["1000.00"],
                    "deliverables": [{ "title": "Report", "due_on": "2027-03-31" }] })
                .to_string()
                .into_bytes(),
                &[("authorization", &finance_bearer(&app).await)],
            )
            .await
            .json();
        assert!(made["id"].is_i64(), "{made}");
        contract_ids.push(made);
    }
    let export = partnership_billing::services::exports::record(
        &app.db,
        &p,
        "xero",
        today,
        today,
        None,
        chrono::Utc::now(),
    )
    .await
    .expect("an export");
    let next_year = app
        .client()
        .post_body(
            "/api/v1/offers",
            "application/json",
            serde_json::json!({ "year": "2027-28", "billing_plan": "annual", "trust_discount_percent": "0", "first_year_discount_percent": "0",
                "levels": [{ "name": "Core", "description": "Core", "vat_rate": "standard", "fee_rule": { "flat": "1000.00" } }] })
            .to_string()
            .into_bytes(),
            &[("authorization", &finance_bearer(&app).await)],
        )
        .await;
    assert_eq!(next_year.status, StatusCode::CREATED, "{}", next_year.text());
    let round = partnership_billing::services::renewals::open(
        &app.db,
        &p,
        &partnership_billing::services::renewals::NewRound {
            year: "2027-28".into(),
            answer_by: chrono::Utc::now().date_naive() + chrono::Days::new(30),
            note: String::new(),
        },
        "http://localhost",
        None,
        chrono::Utc::now(),
    )
    .await
    .expect("a renewal round");
    let ids = Ids {
        round: round.id,
        export: export.id,
        own_contract: contract_ids[0]["id"].as_i64().unwrap(),
        own_instalment: contract_ids[0]["instalments"][3]["id"].as_i64().unwrap(),
        own_deliverable: contract_ids[0]["deliverables"][0]["id"].as_i64().unwrap(),
        other_contract: contract_ids[1]["id"].as_i64().unwrap(),
        event: event.id,
        own_place: event_places[0],
        other_place: event_places[1],
        service,
        own_order: placed[0],
        other_order: placed[1],
        statement: imported.statement_id,
        bank_line: bank_line.id,
        payment: paid.id,
        allocation: paid.allocations[0].id,
        school_invoice: school_invoice.id,
        trust_invoice: trust_invoice.id,
        credit_note: note.id,
        membership: membership.id,
        payer: school_invoice.payer_id,
        board_user: users::find_by_email(&app.db, BOARD).await.unwrap().unwrap().id,
    };
    let mut clients = Vec::new();
    for login in DEMO_LOGINS {
        let mut client = app.client();
        client.sign_in(login.email, login.password).await;
        clients.push((login.email, client));
    }
    let mut outsider = app.client();
    outsider.sign_in("admin@other.test", "other-admin-password").await;

    let mut failures = Vec::new();
    let mut all_routes = routes();
    all_routes.extend(billing_routes(&ids));
    for route in all_routes {
        for (email, client) in clients.iter_mut() {
            let answer = call(client, &route, true).await;
            let allowed = route.allowed.contains(email);
            let ok = if allowed {
                !refused(&answer) && answer.status != StatusCode::UNAUTHORIZED
            } else {
                refused(&answer)
            };
            if !ok {
                failures.push(format!(
                    "{} {:?} as {email}: {} (allowed: {allowed})",
                    route.path,
                    route.surface == Surface::Api,
                    answer.status
                ));
            }
            if route.surface == Surface::Api && !answer.status.is_success() {
                let body = answer.json();
                assert!(
                    body["error"]["code"].is_string() && body["error"]["message"].is_string(),
                    "{}",
                    answer.text()
                );
            }
        }
        // Signed out: pages send you to sign in, the API says 401.
        let mut anonymous = app.client();
        let answer = call(&mut anonymous, &route, false).await;
        let expected = match route.surface {
            Surface::Page => {
                answer.status == StatusCode::SEE_OTHER
                    && answer.location().is_some_and(|l| l.starts_with("/sign-in"))
            }
            Surface::Api => answer.status == StatusCode::UNAUTHORIZED,
        };
        if !expected {
            failures.push(format!("{} signed out: {}", route.path, answer.status));
        }
    }
    assert!(failures.is_empty(), "refusals wrong:\n{}", failures.join("\n"));

    // Another partnership's admin never reaches the demo's schools.
    for path in [
        format!("/schools/{DEMO_ONLY_SCHOOL}"),
        format!("/api/v1/schools/{DEMO_ONLY_SCHOOL}"),
        format!("/schools/{TRUST_SCHOOL}"),
    ] {
        assert_eq!(outsider.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let csrf = outsider.session_csrf().await;
    let write = outsider
        .post_body(
            &format!("/api/v1/schools/{DEMO_ONLY_SCHOOL}/pupil-numbers"),
            "application/json",
            PUPIL_JSON.as_bytes().to_vec(),
            &[("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(write.status, StatusCode::NOT_FOUND);
    let same_urn = outsider.get(&format!("/schools/{OWN_SCHOOL}")).await;
    assert!(same_urn.text().contains("Other Partnership School"));
    assert!(!same_urn.text().contains("Riverside Park Primary School"));
    let list = outsider.get("/api/v1/schools").await.json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["schools"][0]["name"], "Other Partnership School");
    let listed = outsider.get("/schools").await.text();
    assert!(!listed.contains("Riverside Park Primary School") && !listed.contains("Millbrook"));
    for path in [
        format!("/invoices/{}", ids.school_invoice),
        format!("/invoices/{}/pdf", ids.school_invoice),
        format!("/credit-notes/{}/pdf", ids.credit_note),
        format!("/api/v1/invoices/{}", ids.trust_invoice),
        format!("/billing/memberships/{}", ids.membership),
        format!("/billing/payers/{}", ids.payer),
        "/billing/offers/2025-26".to_string(),
        "/funding/2026-27%20funding%20options".to_string(),
        format!("{SCENARIO}/edit"),
        format!("{SCENARIO}/board-paper.pdf"),
        format!("/users/{}", ids.board_user),
        format!("/renewals/{}", ids.round),
        format!("/renewals/{}/schools/{OWN_SCHOOL}", ids.round),
        format!("/api/v1/renewals/{}/answers", ids.round),
    ] {
        assert_eq!(outsider.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(outsider.get("/api/v1/invoices").await.json()["total"], 0);
    let las = outsider.get("/api/v1/trusts").await.json();
    assert_eq!(las.as_array().map(Vec::len), Some(0));

    // Business managers see exactly their school, or exactly their trust's schools.
    let sbm = &mut clients.iter_mut().find(|(e, _)| *e == SBM).expect("sbm").1;
    let mine = sbm.get("/api/v1/schools").await.json();
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["schools"][0]["urn"], 990003);
    let trust = &mut clients.iter_mut().find(|(e, _)| *e == TRUST).expect("trust").1;
    let theirs = trust.get("/api/v1/schools?per_page=500").await.json();
    let schools = theirs["schools"].as_array().expect("schools");
    assert!(schools.len() > 3);
    assert!(schools.iter().all(|s| s["trust"]["name"] == "Northgate Learning Trust"), "{theirs}");
    app.finish().await;
}
on_both_databases!(every_route_refuses_wrong_roles_and_partnerships, sweep);

/// A bearer token of the demo's finance user.
async fn finance_bearer(app: &TestApp) -> String {
    use secrecy::ExposeSecret;
    let finance = users::find_by_email(&app.db, FINANCE).await.unwrap().unwrap();
    let token =
        partnership_billing::services::auth::create_api_token(&app.db, finance.id, "sweep").await.unwrap();
    format!("Bearer {}", token.expose_secret())
}
