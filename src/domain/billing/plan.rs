//! The decision half of a billing run: from the offer, the memberships, the register and what is
//! already raised, which invoices a period would raise, to whom, and which schools are left out
//! and why. Pure: the caller loads the facts and commits the plan.

use super::period::{ChargeError, MembershipTerms, Period, period_charge};
use crate::domain::address::postal_address;
use crate::domain::billing_phase::BillingPhase;
use crate::domain::fees::{Discounts, FeeRule};
use crate::domain::instalments::BillingPlan;
use crate::domain::invoice::{Line, LineSource, Totals, totals};
use crate::domain::money::Money;
use crate::domain::partnership::MembershipYear;
use crate::domain::payer::{PaidBy, PayerKind};
use crate::domain::pro_rata::ProRataUnit;
use crate::domain::pupils::{PupilFigure, figure_in_force};
use crate::domain::vat::VatRate;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One level of the offer being billed.
#[derive(Debug, Clone)]
pub struct Level<'a> {
    pub name: &'a str,
    pub rule: &'a FeeRule,
    pub vat_rate: VatRate,
}

/// The offer being billed: its year, plan, pro-rata unit, discounts and levels by id.
#[derive(Debug, Clone)]
pub struct OfferTerms<'a> {
    pub year: MembershipYear,
    pub plan: BillingPlan,
    pub unit: ProRataUnit,
    pub discounts: Discounts,
    pub levels: HashMap<i64, Level<'a>>,
}

/// One membership of the offer.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: i64,
    pub school_id: i64,
    pub level_id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub paid_by: PaidBy,
    pub first_year: bool,
}

/// What billing needs of a school in the register.
#[derive(Debug, Clone)]
pub struct SchoolFacts {
    pub id: i64,
    pub urn: i32,
    pub name: String,
    pub phase: BillingPhase,
    pub open_date: Option<NaiveDate>,
    pub close_date: Option<NaiveDate>,
    pub postcode: Option<String>,
    /// Street to county, one part a line.
    pub address: Option<String>,
    /// Its trust's id and name.
    pub trust: Option<(i64, String)>,
    pub trust_address: Option<String>,
    /// Its council's id and name.
    pub council: (i64, String),
    pub council_address: Option<String>,
}

/// A payer already on record: the name and address its invoices carry, and its PO rules.
#[derive(Debug, Clone)]
pub struct PayerFacts {
    pub name: String,
    pub address: String,
    pub requires_po: bool,
    /// The PO number it gave for the year being billed.
    pub po_number: Option<String>,
}

/// Everything a run's plan is made from.
pub struct PlanInput<'a> {
    /// The year as named on invoices, e.g. "2025-26".
    pub year_label: &'a str,
    pub offer: &'a OfferTerms<'a>,
    pub period: &'a Period,
    pub memberships: &'a [Member],
    pub schools: &'a HashMap<i64, SchoolFacts>,
    /// Each school's pupil figures (in any order).
    pub pupils: &'a HashMap<i64, Vec<PupilFigure>>,
    /// Payers on record, by reference.
    pub payers: &'a HashMap<String, PayerFacts>,
    /// Charge keys already on invoices.
    pub raised: &'a HashSet<String>,
    pub vat_registered: bool,
}

/// One line a run would raise.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedLine {
    pub urn: i32,
    pub school_name: String,
    #[serde(skip)]
    pub school_id: i64,
    pub billing_phase: BillingPhase,
    pub membership_id: i64,
    pub description: String,
    pub net: Money,
    pub vat_rate: VatRate,
    pub charge_key: String,
}

/// One invoice a run would raise, to one payer.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedInvoice {
    pub payer_reference: String,
    pub payer_kind: PayerKind,
    pub payer_name: String,
    pub payer_address: String,
    pub lines: Vec<PlannedLine>,
    pub totals: Totals,
    /// The payer needs a PO and has not given one for the year: the invoice will be held.
    pub waiting_for_po: bool,
    pub po_number: Option<String>,
}

/// A school the run leaves out, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub urn: i32,
    pub school_name: String,
    pub reason: String,
}

/// What a run would do.
#[derive(Debug, Clone, Serialize)]
pub struct RunPlan {
    pub year: String,
    pub period: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub invoices: Vec<PlannedInvoice>,
    pub skipped: Vec<Skipped>,
    /// Charges for this period already on earlier invoices (raised by an earlier run).
    pub already_raised: usize,
    pub by_phase: Vec<(BillingPhase, Money)>,
    pub by_payer: Vec<(String, Money)>,
    pub net: Money,
    pub vat: Money,
    pub total: Money,
}

/// The unique key of one membership's charge for one period: a run never raises it twice.
pub fn charge_key(membership_id: i64, year: &str, period: &str) -> String {
    format!("membership:{membership_id}:{year}:{period}")
}

/// How payers are known: "school:ID", "trust:ID" or "council:ID".
pub fn payer_reference(kind: PayerKind, id: i64) -> String {
    format!("{}:{id}", kind.as_str())
}

/// Who pays for a school's membership, with the name and address a new payer would get; `Err`
/// says why nobody can.
fn payer_of(school: &SchoolFacts, paid_by: PaidBy) -> Result<(String, String, String), String> {
    match paid_by {
        PaidBy::School => Ok((
            payer_reference(PayerKind::School, school.id),
            school.name.clone(),
            postal_address(&school.name, [school.address.as_deref(), school.postcode.as_deref()]),
        )),
        PaidBy::Trust => match &school.trust {
            Some((id, name)) => Ok((
                payer_reference(PayerKind::Trust, *id),
                name.clone(),
                postal_address(name, [Some(school.trust_address.as_deref().unwrap_or("Finance team"))]),
            )),
            None => Err("paid by its trust, but it has no trust".into()),
        },
        PaidBy::Council => {
            let (id, name) = &school.council;
            let council = format!("{name} Council");
            Ok((
                payer_reference(PayerKind::Council, *id),
                council.clone(),
                postal_address(
                    &council,
                    [Some(school.council_address.as_deref().unwrap_or("Schools Finance"))],
                ),
            ))
        }
    }
}

fn lines_of(lines: &[PlannedLine]) -> Vec<Line> {
    lines
        .iter()
        .map(|l| Line {
            description: l.description.clone(),
            quantity: rust_decimal::Decimal::ONE,
            unit_price: l.net,
            net: l.net,
            vat_rate: l.vat_rate,
            source: LineSource::Membership { membership_id: l.membership_id, period: l.charge_key.clone() },
        })
        .collect()
}

/// Works out every invoice the period would raise: a line per membership that owes something
/// and has not been charged, grouped into one invoice per payer; schools that cannot be charged
/// are listed with the reason.
pub fn plan_run(input: &PlanInput) -> RunPlan {
    let PlanInput { year_label, offer, period, .. } = *input;
    let mut grouped: BTreeMap<String, PlannedInvoice> = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut already_raised = 0;
    let no_figures = Vec::new();
    for m in input.memberships {
        let key = charge_key(m.id, year_label, &period.name);
        if input.raised.contains(&key) {
            already_raised += 1;
            continue;
        }
        let (Some(s), Some(level)) = (input.schools.get(&m.school_id), offer.levels.get(&m.level_id)) else {
            continue;
        };
        let start = s.open_date.map_or(m.starts_on, |open| open.max(m.starts_on));
        let end = match (m.ends_on, s.close_date) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let figures = input.pupils.get(&s.id).unwrap_or(&no_figures);
        let pupils =
            figure_in_force(figures, start.max(offer.year.first_day())).map(|f| f.pupils.max(0) as u32);
        let discounts = Discounts {
            trust_percent: if m.paid_by == PaidBy::Trust {
                offer.discounts.trust_percent
            } else {
                Default::default()
            },
            first_year_percent: if m.first_year {
                offer.discounts.first_year_percent
            } else {
                Default::default()
            },
        };
        let terms = MembershipTerms {
            title: format!("Membership {year_label}, {}: {} (URN {})", level.name, s.name, s.urn),
            rule: level.rule,
            phase: s.phase,
            pupils,
            discounts,
            unit: offer.unit,
            start,
            end,
        };
        let skip = |reason: String| Skipped { urn: s.urn, school_name: s.name.clone(), reason };
        let charge = match period_charge(&terms, offer.year, offer.plan, period) {
            Ok(Some(c)) => c,
            Ok(None) => continue,
            Err(ChargeError::Unpriced(u)) => {
                skipped.push(skip(u.to_string()));
                continue;
            }
            Err(other) => {
                skipped.push(skip(other.to_string()));
                continue;
            }
        };
        let (reference, payer_name, new_address) = match payer_of(s, m.paid_by) {
            Ok(found) => found,
            Err(reason) => {
                skipped.push(skip(reason));
                continue;
            }
        };
        let known = input.payers.get(&reference);
        let po_number = known.and_then(|p| p.po_number.clone());
        let entry = grouped.entry(reference.clone()).or_insert_with(|| PlannedInvoice {
            payer_reference: reference,
            payer_kind: m.paid_by.payer_kind(),
            payer_address: known.map_or(new_address, |p| p.address.clone()),
            payer_name: known.map_or(payer_name, |p| p.name.clone()),
            lines: Vec::new(),
            totals: totals(&[], false),
            waiting_for_po: known.is_some_and(|p| p.requires_po) && po_number.is_none(),
            po_number,
        });
        entry.lines.push(PlannedLine {
            urn: s.urn,
            school_name: s.name.clone(),
            school_id: s.id,
            billing_phase: s.phase,
            membership_id: m.id,
            description: charge.description,
            net: charge.net,
            vat_rate: level.vat_rate,
            charge_key: key,
        });
    }
    let mut invoices: Vec<PlannedInvoice> = grouped.into_values().collect();
    let mut by_phase: BTreeMap<BillingPhase, Money> = BTreeMap::new();
    let mut by_payer = Vec::new();
    for inv in &mut invoices {
        inv.lines.sort_by(|a, b| a.school_name.cmp(&b.school_name).then(a.urn.cmp(&b.urn)));
        inv.totals = totals(&lines_of(&inv.lines), input.vat_registered);
        for line in &inv.lines {
            let entry = by_phase.entry(line.billing_phase).or_insert(Money::ZERO);
            *entry = *entry + line.net;
        }
        by_payer.push((inv.payer_name.clone(), inv.totals.gross));
    }
    invoices.sort_by(|a, b| a.payer_name.cmp(&b.payer_name));
    by_payer.sort();
    skipped.sort_by(|a, b| a.school_name.cmp(&b.school_name));
    RunPlan {
        year: year_label.to_string(),
        period: period.name.clone(),
        period_start: period.first_day,
        period_end: period.last_day,
        net: invoices.iter().map(|i| i.totals.net).sum(),
        vat: invoices.iter().map(|i| i.totals.vat).sum(),
        total: invoices.iter().map(|i| i.totals.gross).sum(),
        invoices,
        skipped,
        already_raised,
        by_phase: by_phase.into_iter().collect(),
        by_payer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::billing::periods;
    use crate::domain::partnership::YearKind;
    use crate::domain::pupils::PupilSource;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn school(id: i64, trust: Option<(i64, &str)>) -> SchoolFacts {
        SchoolFacts {
            id,
            urn: 100_000 + id as i32,
            name: format!("School {id}"),
            phase: BillingPhase::Primary,
            open_date: None,
            close_date: None,
            postcode: Some("RV1 1AA".into()),
            address: Some("1 School Lane\nRiverside".into()),
            trust: trust.map(|(i, n)| (i, n.to_string())),
            trust_address: None,
            council: (7, "Riverside".into()),
            council_address: None,
        }
    }

    fn member(id: i64, school_id: i64, paid_by: PaidBy) -> Member {
        Member {
            id,
            school_id,
            level_id: 1,
            starts_on: d(2025, 9, 1),
            ends_on: None,
            paid_by,
            first_year: false,
        }
    }

    #[test]
    fn one_invoice_per_payer_with_reasons_for_the_rest() {
        let rule = FeeRule::from_json(r#"{"per_pupil": "10.00"}"#).unwrap();
        let year = MembershipYear::parse(YearKind::Academic, "2025-26").unwrap();
        let offer = OfferTerms {
            year,
            plan: BillingPlan::Annual,
            unit: ProRataUnit::Months,
            discounts: Discounts {
                trust_percent: rust_decimal::Decimal::TEN,
                first_year_percent: Default::default(),
            },
            levels: HashMap::from([(1, Level { name: "Core", rule: &rule, vat_rate: VatRate::Standard })]),
        };
        let period = periods(year, BillingPlan::Annual).remove(0);
        let schools: HashMap<i64, SchoolFacts> = [
            school(1, Some((50, "Northgate Trust"))),
            school(2, Some((50, "Northgate Trust"))),
            school(3, None),
            school(4, None),
            school(5, None),
        ]
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
        let figure = |pupils| {
            vec![PupilFigure {
                census_date: d(2025, 1, 16),
                pupils,
                source: PupilSource::GiasImport,
                sequence: 1,
            }]
        };
        let pupils = HashMap::from([(1, figure(100)), (2, figure(200)), (3, figure(300)), (5, figure(50))]);
        let memberships = [
            member(11, 1, PaidBy::Trust),
            member(12, 2, PaidBy::Trust),
            member(13, 3, PaidBy::School),
            member(14, 4, PaidBy::School),
            member(15, 5, PaidBy::Trust),
        ];
        let raised = HashSet::from([charge_key(13, "2025-26", "annual")]);
        let payers = HashMap::from([(
            payer_reference(PayerKind::Trust, 50),
            PayerFacts {
                name: "Northgate".into(),
                address: "PO Box 1".into(),
                requires_po: true,
                po_number: None,
            },
        )]);
        let plan = plan_run(&PlanInput {
            year_label: "2025-26",
            offer: &offer,
            period: &period,
            memberships: &memberships,
            schools: &schools,
            pupils: &pupils,
            payers: &payers,
            raised: &raised,
            vat_registered: true,
        });
        assert_eq!(plan.invoices.len(), 1, "one trust invoice; school 3 was raised before");
        let trust = &plan.invoices[0];
        assert_eq!((trust.payer_name.as_str(), trust.waiting_for_po), ("Northgate", true));
        assert_eq!(trust.lines.len(), 2);
        assert_eq!(trust.totals.net, Money::from_pence(270_000), "3,000.00 less the 10% trust discount");
        assert_eq!(plan.already_raised, 1);
        let reasons: Vec<&str> = plan.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(reasons, ["needs pupil number", "paid by its trust, but it has no trust"]);
    }
}
