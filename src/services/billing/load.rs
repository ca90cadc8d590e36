//! Loading what a billing run decides from: one query each for the offer's memberships, the
//! partnership's schools, pupil figures, trusts, councils, payers, PO numbers and charges
//! already raised. Every stored value is read strictly.

use super::super::memberships;
use super::super::offers::Offer;
use super::super::partnerships::Partnership;
use super::super::register::{self, FiguresBySchool};
use super::super::{ServiceError, read_stored};
use crate::domain::billing::{
    Level, Member, OfferTerms, PayerFacts, Period, PlanInput, RunPlan, SchoolFacts, plan_run,
};
use crate::domain::partnership::MembershipYear;
use entity::{invoice, invoice_line, local_authority, membership, purchase_order, school, trust};
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

fn member_of(m: membership::Model) -> Result<Member, ServiceError> {
    Ok(Member {
        id: m.id,
        school_id: m.school_id,
        level_id: m.level_id,
        starts_on: m.starts_on,
        ends_on: m.ends_on,
        paid_by: read_stored("memberships", "paid_by", &m.paid_by)?,
        first_year: m.first_year,
    })
}

/// Loads the facts for a period of an offer.
pub async fn facts(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    offer: &Offer,
    year: &str,
    period: &Period,
) -> Result<Facts, ServiceError> {
    let members = membership::Entity::find()
        .filter(membership::Column::OfferId.eq(offer.id))
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(member_of)
        .collect::<Result<Vec<_>, _>>()?;
    let trusts: HashMap<i64, String> = trust::Entity::find()
        .filter(trust::Column::PartnershipId.eq(partnership.id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let councils: HashMap<i64, String> = local_authority::Entity::find()
        .filter(local_authority::Column::PartnershipId.eq(partnership.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let mut schools = HashMap::new();
    for s in school::Entity::find().filter(school::Column::PartnershipId.eq(partnership.id)).all(db).await? {
        let council = councils.get(&s.local_authority_id).cloned().ok_or_else(|| ServiceError::Corrupt {
            table: "schools",
            column: "local_authority_id",
            value: s.local_authority_id.to_string(),
            reason: "no such local authority in the partnership".into(),
        })?;
        let facts = SchoolFacts {
            id: s.id,
            urn: s.urn,
            phase: register::billing_phase_of(&s)?,
            open_date: s.open_date,
            close_date: s.close_date,
            trust: s.trust_id.and_then(|t| trusts.get(&t).map(|name| (t, name.clone()))),
            council: (s.local_authority_id, council),
            name: s.name,
            postcode: s.postcode,
        };
        schools.insert(facts.id, facts);
    }
    let pupils = register::pupil_figures_of_partnership(db, partnership.id).await?;
    let known = memberships::payers(db, partnership.id).await?;
    let ids: Vec<i64> = known.iter().map(|p| p.id).collect();
    let mut pos: HashMap<i64, String> = HashMap::new();
    for chunk in ids.chunks(500) {
        for p in purchase_order::Entity::find()
            .filter(purchase_order::Column::Year.eq(year))
            .filter(purchase_order::Column::PayerId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            pos.insert(p.payer_id, p.po_number);
        }
    }
    let payers = known
        .into_iter()
        .map(|p| {
            let facts = PayerFacts {
                name: p.name,
                address: p.address,
                requires_po: p.requires_po,
                po_number: pos.remove(&p.id),
            };
            (p.reference, facts)
        })
        .collect();
    // Charges of this period already on invoices (raised by an earlier or concurrent run).
    let raised: HashSet<String> = invoice_line::Entity::find()
        .select_only()
        .column(invoice_line::Column::ChargeKey)
        .filter(
            invoice_line::Column::InvoiceId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(invoice::Column::Id)
                    .from(invoice::Entity)
                    .and_where(invoice::Column::PartnershipId.eq(partnership.id))
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
        .collect();
    Ok(Facts { members, schools, pupils, payers, raised })
}
