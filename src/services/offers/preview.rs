//! What schools would pay under a rule, against what they pay today, and which periods of a
//! year are already billed.

use super::*;

/// What one school would pay under a rule for a whole year.
#[derive(Debug, Clone, Serialize)]
pub struct SchoolFee {
    pub urn: i32,
    pub name: String,
    pub billing_phase: crate::domain::billing_phase::BillingPhase,
    pub pupils: Option<i32>,
    pub fee: Option<crate::domain::money::Money>,
    /// How the fee was reached, or why there is none.
    pub working: String,
}

/// Prices every open school of the register under `rule` for a whole year, with pupil numbers
/// in force on `on`: the fee editor's preview, using the same fee code as billing.
pub async fn preview_rule(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    rule: &FeeRule,
    on: chrono::NaiveDate,
) -> Result<Vec<SchoolFee>, ServiceError> {
    use crate::domain::fees::price_school;
    use crate::domain::pro_rata::Coverage;
    let schools = entity::school::Entity::find()
        .filter(entity::school::Column::PartnershipId.eq(partnership_id))
        .filter(entity::school::Column::Status.ne("closed"))
        .order_by_asc(entity::school::Column::Name)
        .all(db)
        .await?;
    let ids: Vec<i64> = schools.iter().map(|s| s.id).collect();
    let figures = crate::services::register::pupil_figures(db, &ids).await?;
    schools
        .into_iter()
        .map(|s| {
            let pupils = crate::services::register::pupils_in_force(&figures, s.id, on);
            let phase = crate::services::register::billing_phase_of(&s)?;
            let priced = price_school(
                rule,
                phase,
                pupils.map(|p| p.max(0) as u32),
                Discounts::default(),
                Coverage::WHOLE_YEAR,
            );
            let (fee, working) = match priced {
                Ok(p) => (Some(p.fee), p.working),
                Err(e) => (None, e.to_string()),
            };
            Ok(SchoolFee { urn: s.urn, name: s.name, billing_phase: phase, pupils, fee, working })
        })
        .collect()
}

/// One school's annual fee under today's rule and under a proposed one.
#[derive(Debug, Clone)]
pub struct FeeChange {
    pub urn: i32,
    pub name: String,
    pub billing_phase: crate::domain::billing_phase::BillingPhase,
    pub pupils: Option<i32>,
    pub today: Option<crate::domain::money::Money>,
    pub proposed: Option<crate::domain::money::Money>,
    /// How the proposed fee was reached, or why there is none.
    pub working: String,
}

/// A proposed rule for a level against today's, over the level's members (or, while nobody
/// holds it, every open school of the register).
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Whom the comparison prices, in words.
    pub who: String,
    /// Which rule "today" means, in words; `None` when there is nothing to compare with.
    pub today_is: Option<String>,
    pub rows: Vec<FeeChange>,
    pub summary: crate::domain::fees::compare::ChangeSummary,
}

/// The rule a level is compared against: its own, or else the same-named level of the latest
/// earlier offer.
async fn baseline(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    offer: &Offer,
    level: Option<&Level>,
    level_name: &str,
) -> Result<Option<(String, FeeRule)>, ServiceError> {
    if let Some(level) = level {
        return Ok(Some((format!("the current {} rule", level.name), level.rule.clone())));
    }
    let earlier = list(db, partnership_id).await?.into_iter().filter(|o| o.year < offer.year);
    for o in earlier {
        if let Some(l) = o.levels.iter().find(|l| l.name.eq_ignore_ascii_case(level_name.trim())) {
            return Ok(Some((format!("{}'s {} rule", o.year, l.name), l.rule.clone())));
        }
    }
    Ok(None)
}

/// Prices the level's members (or every open school) under today's rule and `proposed` for a
/// whole year before discounts, with pupil numbers in force on `on`; the same fee code as billing.
pub async fn compare_rule(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    offer: &Offer,
    level_name: &str,
    proposed: &FeeRule,
    on: chrono::NaiveDate,
) -> Result<Comparison, ServiceError> {
    use crate::domain::fees::{compare, price_school};
    use crate::domain::pro_rata::Coverage;
    use entity::{membership, school};
    use sea_orm::sea_query::Query;
    let level = offer.levels.iter().find(|l| l.name.eq_ignore_ascii_case(level_name.trim()));
    let today = baseline(db, partnership_id, offer, level, level_name).await?;
    let members = match level {
        Some(l) => super::members_of_level(db, l.id).await?,
        None => 0,
    };
    let mut query = school::Entity::find().filter(school::Column::PartnershipId.eq(partnership_id));
    let who = if let (Some(l), true) = (level, members > 0) {
        query = query.filter(
            school::Column::Id.in_subquery(
                Query::select()
                    .column(membership::Column::SchoolId)
                    .from(membership::Entity)
                    .and_where(membership::Column::LevelId.eq(l.id))
                    .to_owned(),
            ),
        );
        format!("the schools that hold {} in {}", l.name, offer.year)
    } else {
        query = query.filter(school::Column::Status.ne("closed"));
        "every open school in the register, as nobody holds this level yet".to_string()
    };
    let schools = query.order_by_asc(school::Column::Name).all(db).await?;
    let figures = crate::services::register::pupil_figures_of_partnership(db, partnership_id).await?;
    let price = |rule: &FeeRule, phase, pupils: Option<i32>| {
        price_school(rule, phase, pupils.map(|p| p.max(0) as u32), Discounts::default(), Coverage::WHOLE_YEAR)
    };
    let mut rows = Vec::with_capacity(schools.len());
    for s in schools {
        let pupils = crate::services::register::pupils_in_force(&figures, s.id, on);
        let phase = crate::services::register::billing_phase_of(&s)?;
        let (fee, working) = match price(proposed, phase, pupils) {
            Ok(p) => (Some(p.fee), p.working),
            Err(e) => (None, e.to_string()),
        };
        let before = today.as_ref().and_then(|(_, rule)| price(rule, phase, pupils).ok()).map(|p| p.fee);
        rows.push(FeeChange {
            urn: s.urn,
            name: s.name,
            billing_phase: phase,
            pupils,
            today: before,
            proposed: fee,
            working,
        });
    }
    let summary = compare::summarise(rows.iter().map(|r| (r.today, r.proposed)));
    Ok(Comparison { who, today_is: today.map(|(words, _)| words), rows, summary })
}

/// The periods of a year already billed to a level's members, with how many invoices each
/// (held ones included), in the order the invoices were raised.
pub async fn billed_periods(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
    level_id: i64,
) -> Result<Vec<(String, u64)>, ServiceError> {
    use entity::{invoice, invoice_line, membership};
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let lines = Query::select()
        .column(invoice_line::Column::InvoiceId)
        .from(invoice_line::Entity)
        .and_where(invoice_line::Column::SourceKind.eq("membership"))
        .and_where(
            invoice_line::Column::SourceId.in_subquery(
                Query::select()
                    .column(membership::Column::Id)
                    .from(membership::Entity)
                    .and_where(membership::Column::LevelId.eq(level_id))
                    .to_owned(),
            ),
        )
        .to_owned();
    let rows: Vec<(String, i64, i64)> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::Period)
        .column_as(Expr::col(invoice::Column::Id).count(), "invoices")
        .column_as(Expr::col(invoice::Column::Id).min(), "first")
        .filter(invoice::Column::PartnershipId.eq(partnership_id))
        .filter(invoice::Column::Year.eq(year.trim()))
        .filter(invoice::Column::Id.in_subquery(lines))
        .group_by(invoice::Column::Period)
        .into_tuple()
        .all(db)
        .await?;
    let mut rows = rows;
    rows.sort_by_key(|r| r.2);
    Ok(rows.into_iter().map(|(period, n, _)| (period, u64::try_from(n).unwrap_or_default())).collect())
}
