//! Memberships as lists show them: a school's own, and a year's a page at a time with filters
//! and each one's fee for the year.

use super::*;
use serde::Serialize;

/// A membership as lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct MembershipRow {
    pub id: i64,
    pub urn: i32,
    pub school: String,
    pub year: String,
    pub level: String,
    pub level_description: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub paid_by: PaidBy,
    pub first_year: bool,
}

/// The memberships of a year, by school name; `school_ids` narrows them to some schools.
pub async fn list_for_year(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year: &str,
    school_ids: Option<&[i64]>,
) -> Result<Vec<MembershipRow>, ServiceError> {
    let Some(offer) = offers::find(db, partnership_id, year).await? else { return Ok(vec![]) };
    let mut rows = Vec::new();
    for m in of_offer(db, offer.id).await? {
        if school_ids.is_some_and(|ids| !ids.contains(&m.school_id)) {
            continue;
        }
        let Some(s) = school::Entity::find_by_id(m.school_id).one(db).await? else { continue };
        let level =
            offer.levels.iter().find(|l| l.id == m.level_id).ok_or_else(|| ServiceError::Corrupt {
                table: "memberships",
                column: "level_id",
                value: m.level_id.to_string(),
                reason: format!("not a level of the {} offer", offer.year),
            })?;
        rows.push(MembershipRow {
            id: m.id,
            urn: s.urn,
            school: s.name,
            year: offer.year.clone(),
            level: level.name.clone(),
            level_description: level.description.clone(),
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            paid_by: crate::services::read_stored("memberships", "paid_by", &m.paid_by)?,
            first_year: m.first_year,
        });
    }
    rows.sort_by(|a, b| a.school.cmp(&b.school).then(a.starts_on.cmp(&b.starts_on)));
    Ok(rows)
}

/// Which of a year's memberships a list shows.
#[derive(Debug, Clone, Default)]
pub struct MembershipFilter {
    /// Part of the school's name, or its URN.
    pub q: String,
    pub level: Option<String>,
    pub paid_by: Option<PaidBy>,
    pub phase: Option<crate::domain::billing_phase::BillingPhase>,
}

/// One membership in a year's list, with its fee for the year.
#[derive(Debug, Clone)]
pub struct ListedMembership {
    pub row: MembershipRow,
    pub phase: crate::domain::billing_phase::BillingPhase,
    pub pupils: Option<i32>,
    /// What the membership comes to for the whole year (pro rata and discounted), or why it
    /// cannot be priced.
    pub fee: Result<crate::domain::money::Money, String>,
}

/// A page of a year's memberships: the memberships of a page of member schools.
pub struct MembershipPage {
    pub rows: Vec<ListedMembership>,
    /// How many member schools match, over all pages.
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

/// Member schools per page of the list.
pub const PER_PAGE: u64 = 50;

/// A page of a year's memberships by school name, filtered, each with its fee for the year
/// worked by the same fee code as billing.
pub async fn page_for_year(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year_kind: crate::domain::partnership::YearKind,
    year: &str,
    filter: &MembershipFilter,
    page: u64,
) -> Result<MembershipPage, ServiceError> {
    let offered = offers::list_kept(db, partnership_id).await?;
    let offer = offered.iter().find(|o| o.year == year.trim());
    page_of_offer(db, partnership_id, year_kind, offer, filter, page).await
}

/// [`page_for_year`] for a caller that has read the year's offer (`None`: no offer that year).
pub async fn page_of_offer(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    year_kind: crate::domain::partnership::YearKind,
    offer: Option<&offers::Offer>,
    filter: &MembershipFilter,
    page: u64,
) -> Result<MembershipPage, ServiceError> {
    use crate::domain::billing::{MembershipTerms, period_net, periods};
    use crate::domain::fees::Discounts;
    use crate::domain::instalments::BillingPlan;
    use crate::domain::partnership::MembershipYear;
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Expr, Query};
    let Some(offer) = offer else {
        return Ok(MembershipPage { rows: vec![], total: 0, page: 1, pages: 1 });
    };
    // A page of member schools by name (read from the (partnership, name) index, each checked
    // for a membership of the offer), then their memberships: no sort of the whole year.
    let level_id = filter
        .level
        .as_ref()
        .map(|level| offer.levels.iter().find(|l| l.name.eq_ignore_ascii_case(level)).map_or(-1, |l| l.id));
    let of_offer = |mut sub: sea_orm::sea_query::SelectStatement| {
        sub.and_where(membership::Column::OfferId.eq(offer.id));
        if let Some(id) = level_id {
            sub.and_where(membership::Column::LevelId.eq(id));
        }
        if let Some(paid_by) = filter.paid_by {
            sub.and_where(membership::Column::PaidBy.eq(paid_by.as_str()));
        }
        sub
    };
    let member = {
        use sea_orm::sea_query::ExprTrait;
        of_offer(
            Query::select()
                .expr(Expr::val(1))
                .from(membership::Entity)
                .and_where(
                    Expr::col((membership::Entity, membership::Column::SchoolId))
                        .equals((school::Entity, school::Column::Id)),
                )
                .to_owned(),
        )
    };
    let mut query = school::Entity::find()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .filter(Expr::exists(member));
    let q = filter.q.trim();
    if !q.is_empty() {
        let backend = db.get_database_backend();
        let mut any = sea_orm::Condition::any().add(crate::services::register::name_contains(backend, q));
        if let Ok(urn) = q.parse::<i32>() {
            any = any.add(school::Column::Urn.eq(urn));
        }
        query = query.filter(any);
    }
    if let Some(phase) = filter.phase {
        query = query.filter(school::Column::BillingPhase.eq(phase.label()));
    }
    // The matching member schools in order, by id, kept (services::ordered_ids): page 100 is
    // the 50 ids at its place instead of a step over the 4,950 schools before it, each one's
    // membership checked, on every request (3.7 ms). A name search reads its few matches.
    let ordered = crate::services::ordered_ids(
        db,
        query.order_by_asc(school::Column::Name).order_by_asc(school::Column::Id),
        school::Column::Id,
        q.is_empty(),
    )
    .await?;
    let crate::services::Paged { rows: ids, total, page, pages } =
        crate::services::ids_on_page(&ordered, page, PER_PAGE);
    let order: std::collections::HashMap<i64, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    // The page's memberships with what the list shows of their schools, in one query.
    let to_school: sea_orm::RelationDef = membership::Entity::belongs_to(school::Entity)
        .from(membership::Column::SchoolId)
        .to(school::Column::Id)
        .into();
    let mut members = membership::Entity::find()
        .select_only()
        .columns([
            membership::Column::Id,
            membership::Column::SchoolId,
            membership::Column::LevelId,
            membership::Column::StartsOn,
            membership::Column::EndsOn,
            membership::Column::PaidBy,
            membership::Column::FirstYear,
        ])
        .columns([
            school::Column::Urn,
            school::Column::Name,
            school::Column::BillingPhase,
            school::Column::OpenDate,
            school::Column::CloseDate,
        ])
        .join(sea_orm::JoinType::InnerJoin, to_school)
        .filter(membership::Column::OfferId.eq(offer.id))
        .filter(membership::Column::SchoolId.is_in(ids.clone()));
    if let Some(id) = level_id {
        members = members.filter(membership::Column::LevelId.eq(id));
    }
    if let Some(paid_by) = filter.paid_by {
        members = members.filter(membership::Column::PaidBy.eq(paid_by.as_str()));
    }
    let mut members = members.into_model::<Member>().all(db).await?;
    members.sort_by_key(|m| (order.get(&m.school_id).copied().unwrap_or(usize::MAX), m.id));
    let figures = crate::services::register::pupil_figures(db, &ids).await?;
    let my = MembershipYear::parse(year_kind, &offer.year);
    let mut rows = Vec::with_capacity(members.len());
    for m in members {
        let level =
            offer.levels.iter().find(|l| l.id == m.level_id).ok_or_else(|| ServiceError::Corrupt {
                table: "memberships",
                column: "level_id",
                value: m.level_id.to_string(),
                reason: format!("not a level of the {} offer", offer.year),
            })?;
        let paid_by: PaidBy = crate::services::read_stored("memberships", "paid_by", &m.paid_by)?;
        let phase = crate::services::read_stored("schools", "billing_phase", &m.billing_phase)?;
        let start = m.open_date.map_or(m.starts_on, |open| open.max(m.starts_on));
        let end = match (m.ends_on, m.close_date) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let pupils = my.and_then(|y| {
            crate::services::register::pupils_in_force(&figures, m.school_id, start.max(y.first_day()))
        });
        let terms = MembershipTerms {
            title: String::new(),
            rule: &level.rule,
            phase,
            pupils: pupils.map(|p| p.max(0) as u32),
            discounts: Discounts {
                trust_percent: if paid_by == PaidBy::Trust {
                    offer.discounts.trust_percent
                } else {
                    Default::default()
                },
                first_year_percent: if m.first_year {
                    offer.discounts.first_year_percent
                } else {
                    Default::default()
                },
            },
            unit: offer.pro_rata_unit,
            start,
            end,
        };
        let fee = match my {
            Some(y) => {
                let whole = &periods(y, BillingPlan::Annual)[0];
                match period_net(&terms, y, whole) {
                    Ok(net) => Ok(net.unwrap_or(crate::domain::money::Money::ZERO)),
                    Err(e) => Err(e.to_string()),
                }
            }
            None => Err("the year cannot be read".into()),
        };
        rows.push(ListedMembership {
            row: MembershipRow {
                id: m.id,
                urn: m.urn,
                school: m.name,
                year: offer.year.clone(),
                level: level.name.clone(),
                level_description: level.description.clone(),
                starts_on: m.starts_on,
                ends_on: m.ends_on,
                paid_by,
                first_year: m.first_year,
            },
            phase,
            pupils,
            fee,
        });
    }
    Ok(MembershipPage { rows, total, page, pages })
}

/// A membership on a page of the list, with what the list shows of its school.
#[derive(sea_orm::FromQueryResult)]
struct Member {
    id: i64,
    school_id: i64,
    level_id: i64,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    paid_by: String,
    first_year: bool,
    urn: i32,
    name: String,
    billing_phase: String,
    open_date: Option<NaiveDate>,
    close_date: Option<NaiveDate>,
}
