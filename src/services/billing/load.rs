//! Loading what a billing run decides from: one query each for the offer's memberships, the
//! partnership's schools, pupil figures, trusts, councils, payers, PO numbers and charges
//! already raised, each reading only the columns the plan uses. Every stored value is read
//! strictly.

use super::super::offers::Offer;
use super::super::partnerships::Partnership;
use super::super::register::{self, FiguresBySchool};
use super::super::{ServiceError, read_stored};
use crate::domain::billing::{
    Level, Member, OfferTerms, PayerFacts, Period, PlanInput, RunPlan, SchoolFacts, charge_key, plan_run,
};
use crate::domain::partnership::MembershipYear;
use chrono::NaiveDate;
use entity::{invoice, invoice_line, local_authority, membership, payer, purchase_order, school, trust};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{HashMap, HashSet};

/// The facts a run's plan is made from.
pub struct Facts {
    members: Vec<Member>,
    schools: HashMap<i64, SchoolFacts>,
    pupils: FiguresBySchool,
    payers: HashMap<String, PayerFacts>,
    raised: HashSet<String>,
}

impl Facts {
    /// The pure plan over these facts.
    pub fn plan(
        &self,
        offer: &Offer,
        year: MembershipYear,
        period: &Period,
        vat_registered: bool,
    ) -> RunPlan {
        let terms = OfferTerms {
            year,
            plan: offer.billing_plan,
            unit: offer.pro_rata_unit,
            discounts: offer.discounts,
            levels: offer
                .levels
                .iter()
                .map(|l| (l.id, Level { name: &l.name, rule: &l.rule, vat_rate: l.vat_rate }))
                .collect(),
        };
        plan_run(&PlanInput {
            year_label: &offer.year,
            offer: &terms,
            period,
            memberships: &self.members,
            schools: &self.schools,
            pupils: &self.pupils,
            payers: &self.payers,
            raised: &self.raised,
            vat_registered,
        })
    }
}

/// Loads the facts for a period of an offer: only the columns the plan reads, and when every
/// membership's charge for the period is already raised, nothing beyond that.
pub async fn facts(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    offer: &Offer,
    year: &str,
    period: &Period,
) -> Result<Facts, ServiceError> {
    let members = members_of(db, offer.id).await?;
    let raised = raised_charges(db, partnership.id, year, period).await?;
    let nothing_owed = members.iter().all(|m| raised.contains(&charge_key(m.id, year, &period.name)));
    if nothing_owed {
        let (schools, pupils, payers) = (HashMap::new(), FiguresBySchool::new(), HashMap::new());
        return Ok(Facts { members, schools, pupils, payers, raised });
    }
    let schools = schools_of(db, partnership.id).await?;
    let pupils = register::pupil_figures_of_partnership(db, partnership.id).await?;
    let payers = payers_of(db, partnership.id, year).await?;
    Ok(Facts { members, schools, pupils, payers, raised })
}

type MemberRow = (i64, i64, i64, NaiveDate, Option<NaiveDate>, String, bool);

async fn members_of(db: &impl ConnectionTrait, offer_id: i64) -> Result<Vec<Member>, ServiceError> {
    use membership::Column as C;
    let rows: Vec<MemberRow> = membership::Entity::find()
        .select_only()
        .columns([C::Id, C::SchoolId, C::LevelId, C::StartsOn, C::EndsOn, C::PaidBy, C::FirstYear])
        .filter(C::OfferId.eq(offer_id))
        .order_by_asc(C::Id)
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(id, school_id, level_id, starts_on, ends_on, paid_by, first_year)| {
            Ok(Member {
                id,
                school_id,
                level_id,
                starts_on,
                ends_on,
                paid_by: read_stored("memberships", "paid_by", &paid_by)?,
                first_year,
            })
        })
        .collect()
}

type SchoolRow = (
    i64,
    i32,
    String,
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
);

async fn schools_of(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<HashMap<i64, SchoolFacts>, ServiceError> {
    let trusts: HashMap<i64, (String, Option<String>)> = trust::Entity::find()
        .select_only()
        .columns([trust::Column::Id, trust::Column::Name, trust::Column::Address])
        .filter(trust::Column::PartnershipId.eq(partnership_id))
        .into_tuple::<(i64, String, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, name, address)| (id, (name, address)))
        .collect();
    let councils: HashMap<i64, (String, Option<String>)> = local_authority::Entity::find()
        .select_only()
        .columns([
            local_authority::Column::Id,
            local_authority::Column::Name,
            local_authority::Column::Address,
        ])
        .filter(local_authority::Column::PartnershipId.eq(partnership_id))
        .into_tuple::<(i64, String, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, name, address)| (id, (name, address)))
        .collect();
    use school::Column as C;
    let rows: Vec<SchoolRow> = school::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::Urn,
            C::Name,
            C::BillingPhase,
            C::OpenDate,
            C::CloseDate,
            C::Postcode,
            C::Address,
            C::TrustId,
        ])
        .column(C::LocalAuthorityId)
        .filter(C::PartnershipId.eq(partnership_id))
        .into_tuple()
        .all(db)
        .await?;
    let mut schools = HashMap::with_capacity(rows.len());
    for (id, urn, name, phase, open_date, close_date, postcode, address, trust_id, la) in rows {
        let (council, council_address) = councils.get(&la).cloned().ok_or_else(|| ServiceError::Corrupt {
            table: "schools",
            column: "local_authority_id",
            value: la.to_string(),
            reason: "no such local authority in the partnership".into(),
        })?;
        let facts = SchoolFacts {
            id,
            urn,
            phase: read_stored("schools", "billing_phase", &phase)?,
            open_date,
            close_date,
            trust: trust_id.and_then(|t| trusts.get(&t).map(|(name, _)| (t, name.clone()))),
            trust_address: trust_id.and_then(|t| trusts.get(&t).and_then(|(_, a)| a.clone())),
            council: (la, council),
            council_address,
            name,
            postcode,
            address,
        };
        schools.insert(id, facts);
    }
    Ok(schools)
}

/// The partnership's payers by reference, with this year's PO numbers.
async fn payers_of(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
) -> Result<HashMap<String, PayerFacts>, ServiceError> {
    let mut pos: HashMap<i64, String> = purchase_order::Entity::find()
        .select_only()
        .columns([purchase_order::Column::PayerId, purchase_order::Column::PoNumber])
        .filter(purchase_order::Column::Year.eq(year))
        .filter(
            purchase_order::Column::PayerId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(payer::Column::Id)
                    .from(payer::Entity)
                    .and_where(payer::Column::PartnershipId.eq(partnership_id))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    use payer::Column as C;
    let rows: Vec<(i64, String, String, String, bool)> = payer::Entity::find()
        .select_only()
        .columns([C::Id, C::Reference, C::Name, C::Address, C::RequiresPo])
        .filter(C::PartnershipId.eq(partnership_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, reference, name, address, requires_po)| {
            (reference, PayerFacts { name, address, requires_po, po_number: pos.remove(&id) })
        })
        .collect())
}

/// Charges of this period already on invoices (raised by an earlier or concurrent run).
async fn raised_charges(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
    period: &Period,
) -> Result<HashSet<String>, ServiceError> {
    Ok(invoice_line::Entity::find()
        .select_only()
        .column(invoice_line::Column::ChargeKey)
        .filter(
            invoice_line::Column::InvoiceId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(invoice::Column::Id)
                    .from(invoice::Entity)
                    .and_where(invoice::Column::PartnershipId.eq(partnership_id))
                    .and_where(invoice::Column::Year.eq(year))
                    .and_where(invoice::Column::Period.eq(period.name.as_str()))
                    .to_owned(),
            ),
        )
        .into_tuple::<Option<String>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect())
}
