//! The annual renewal round: finance opens a round for next year's offer; every member and every
//! other open school of the area is emailed (through the outbox) a link to answer on the portal;
//! business managers confirm a level, their pupil number and a PO number, or decline; finance
//! chases those who have not answered and turns the accepted answers into memberships in one
//! step. Nothing is billed until finance runs billing.

use super::audit::{self, Event};
use super::mail::compose::long_date;
use super::mail::{self, Letter, NewMessage};
use super::memberships::{self, NewMembership};
use super::partnerships::Partnership;
use super::{FieldError, ServiceError, begin_write, offers, payers};
use crate::domain::mail::MessageKind;
use crate::domain::partnership::MembershipYear;
use crate::domain::payer::PaidBy;
use crate::domain::pupils::PupilSource;
use crate::domain::renewals::{self, Answer, AnswerState, TypedAnswer};
use crate::domain::role::{Role, SchoolScope};
use crate::domain::school::SchoolStatus;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{outbox_message, pupil_count, renewal_answer, renewal_round, school, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;

/// Answers per page of a round.
pub const PER_PAGE: u64 = 50;

fn problem(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(field, message)
}

/// A round as typed by finance.
#[derive(Debug, Clone)]
pub struct NewRound {
    pub year: String,
    pub answer_by: NaiveDate,
    pub note: String,
}

/// How many schools are where in a round.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Tally {
    pub invited: u64,
    pub waiting: u64,
    pub accepted: u64,
    pub declined: u64,
    /// Accepted answers already made into memberships.
    pub converted: u64,
    /// Invitations that had nobody to go to (no business manager and no billing email).
    pub not_told: u64,
}

/// A round as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct RoundView {
    pub id: i64,
    pub year: String,
    pub answer_by: NaiveDate,
    pub note: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub opened_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub tally: Tally,
}

/// One school's answer as finance and the school see it.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerRow {
    pub round_id: i64,
    pub urn: i32,
    pub school: String,
    pub phase: String,
    /// This year's level, if the school is a member now.
    pub current_level: Option<String>,
    pub state: &'static str,
    pub state_label: &'static str,
    pub level: Option<String>,
    pub pupils: Option<i32>,
    pub po_number: Option<String>,
    pub comment: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub chased: i32,
    /// Whether the answer has been made into a membership.
    pub converted: bool,
}

fn state_of(m: &renewal_answer::Model) -> Result<AnswerState, ServiceError> {
    AnswerState::parse(&m.state).ok_or_else(|| ServiceError::Corrupt {
        table: "renewal_answers",
        column: "state",
        value: m.state.clone(),
        reason: "not a state of a renewal answer".into(),
    })
}

async fn year_of_offer(db: &impl ConnectionTrait, offer_id: i64) -> Result<String, ServiceError> {
    Ok(entity::offer::Entity::find_by_id(offer_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("offer".into()))?
        .year)
}

async fn tally(db: &impl ConnectionTrait, partnership_id: i64, round_id: i64) -> Result<Tally, ServiceError> {
    // COUNT of a column counts the rows where it is set: the answers made into memberships.
    let rows: Vec<(String, i64, i64)> = renewal_answer::Entity::find()
        .select_only()
        .column(renewal_answer::Column::State)
        .column_as(renewal_answer::Column::MembershipId.count(), "converted")
        .column_as(renewal_answer::Column::Id.count(), "n")
        .filter(renewal_answer::Column::RoundId.eq(round_id))
        .group_by(renewal_answer::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    let mut t = Tally::default();
    for (state, converted, n) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        t.invited += n;
        match AnswerState::parse(&state) {
            Some(AnswerState::Waiting) => t.waiting += n,
            Some(AnswerState::Accepted) => {
                t.accepted += n;
                t.converted += u64::try_from(converted).unwrap_or(0);
            }
            Some(AnswerState::Declined) => t.declined += n,
            None => {
                return Err(ServiceError::Corrupt {
                    table: "renewal_answers",
                    column: "state",
                    value: state,
                    reason: "not a state of a renewal answer".into(),
                });
            }
        }
    }
    t.not_told = outbox_message::Entity::find()
        .filter(outbox_message::Column::PartnershipId.eq(partnership_id))
        .filter(outbox_message::Column::DedupeKey.starts_with(format!("renewal:{round_id}:")))
        .filter(outbox_message::Column::State.eq(crate::domain::mail::MessageState::NoAddress.as_str()))
        .count(db)
        .await?;
    Ok(t)
}

async fn view(db: &impl ConnectionTrait, m: renewal_round::Model) -> Result<RoundView, ServiceError> {
    let opened_by = match m.opened_by_user_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?.map(|u| u.name),
        None => None,
    };
    Ok(RoundView {
        id: m.id,
        year: year_of_offer(db, m.offer_id).await?,
        answer_by: m.answer_by,
        note: m.note,
        opened_at: m.opened_at,
        opened_by,
        closed_at: m.closed_at,
        tally: tally(db, m.partnership_id, m.id).await?,
    })
}

async fn round_model(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    round_id: i64,
) -> Result<renewal_round::Model, ServiceError> {
    renewal_round::Entity::find_by_id(round_id)
        .filter(renewal_round::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("renewal round {round_id}")))
}

/// One round with its tally.
pub async fn round(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    round_id: i64,
) -> Result<RoundView, ServiceError> {
    view(db, round_model(db, partnership_id, round_id).await?).await
}

/// Every round of the partnership, newest year first.
pub async fn rounds(db: &impl ConnectionTrait, partnership_id: i64) -> Result<Vec<RoundView>, ServiceError> {
    let models = renewal_round::Entity::find()
        .filter(renewal_round::Column::PartnershipId.eq(partnership_id))
        .order_by_desc(renewal_round::Column::AnswerBy)
        .order_by_desc(renewal_round::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(models.len());
    for m in models {
        out.push(view(db, m).await?);
    }
    Ok(out)
}

/// The years a round could be opened for: offers with no round yet, latest first.
pub async fn years_to_open(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<String>, ServiceError> {
    let taken: Vec<i64> = renewal_round::Entity::find()
        .select_only()
        .column(renewal_round::Column::OfferId)
        .filter(renewal_round::Column::PartnershipId.eq(partnership_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(entity::offer::Entity::find()
        .filter(entity::offer::Column::PartnershipId.eq(partnership_id))
        .filter(entity::offer::Column::Id.is_not_in(taken))
        .order_by_desc(entity::offer::Column::Year)
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.year)
        .collect())
}

/// Who a round's messages go to, and who sends them when: each school's business managers,
/// its trust's, and its own payer's billing addresses (left out when the school has never been
/// billed).
struct Mailing {
    partnership_id: i64,
    by_school: HashMap<i64, Vec<String>>,
    by_trust: HashMap<i64, Vec<String>>,
    own_payers: HashMap<i64, i64>,
    user_id: Option<i64>,
    now: DateTime<Utc>,
}

impl Mailing {
    async fn load(
        db: &impl ConnectionTrait,
        partnership_id: i64,
        user_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Mailing, ServiceError> {
        let mut m = Mailing {
            partnership_id,
            by_school: HashMap::new(),
            by_trust: HashMap::new(),
            own_payers: HashMap::new(),
            user_id,
            now,
        };
        for u in user::Entity::find()
            .filter(user::Column::PartnershipId.eq(partnership_id))
            .filter(user::Column::Role.eq(Role::SchoolBusinessManager.as_str()))
            .filter(user::Column::DisabledAt.is_null())
            .all(db)
            .await?
        {
            let address = u.email.to_lowercase();
            match (u.school_id, u.trust_id) {
                (Some(s), _) => m.by_school.entry(s).or_default().push(address),
                (None, Some(t)) => m.by_trust.entry(t).or_default().push(address),
                _ => {}
            }
        }
        m.own_payers = entity::payer::Entity::find()
            .filter(entity::payer::Column::PartnershipId.eq(partnership_id))
            .filter(entity::payer::Column::Kind.eq(PaidBy::School.as_str()))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|p| {
                p.reference.strip_prefix("school:").and_then(|id| id.parse().ok()).map(|id: i64| (id, p.id))
            })
            .collect();
        Ok(m)
    }

    /// Queues one school's message; false when one with the same key was queued before.
    async fn send<C: ConnectionTrait>(
        &self,
        db: &C,
        school: &school::Model,
        kind: MessageKind,
        dedupe_key: String,
        (subject, letter): (String, Letter),
    ) -> Result<bool, ServiceError> {
        let mut to = self.by_school.get(&school.id).cloned().unwrap_or_default();
        if let Some(trust) = school.trust_id {
            to.extend(self.by_trust.get(&trust).cloned().unwrap_or_default());
        }
        let message = NewMessage {
            kind,
            dedupe_key,
            payer_id: self.own_payers.get(&school.id).copied(),
            document_id: None,
            subject,
            letter,
            attachment: None,
            queued_by: self.user_id,
            to,
        };
        mail::queue(db, self.partnership_id, message, self.now).await
    }
}

/// The invitation or reminder one school gets.
#[allow(clippy::too_many_arguments)]
fn letter(
    partnership: &Partnership,
    public_url: &str,
    year: &str,
    answer_by: NaiveDate,
    note: Option<&str>,
    school: &school::Model,
    current_level: Option<&str>,
    reminder: bool,
) -> (String, Letter) {
    let verb = if current_level.is_some() { "renew its membership" } else { "join" };
    let subject = if reminder {
        format!("Reminder: will {} be a member of {} in {year}?", school.name, partnership.name)
    } else {
        format!("{} {year}: will {} be a member?", partnership.name, school.name)
    };
    let mut paragraphs = vec![
        if reminder {
            format!(
                "We have not yet had {}'s answer about {year}. Please answer by {}.",
                school.name,
                long_date(answer_by)
            )
        } else {
            format!("{} invites {} to {verb} for {year}.", partnership.name, school.name)
        },
        format!(
            "Please answer on the portal by {}: choose the level for {year}, confirm your number of pupils and give a purchase-order number if your school uses them, or tell us the school will not be a member.",
            long_date(answer_by)
        ),
        "Nothing is invoiced until the partnership bills the year.".to_string(),
    ];
    if let Some(note) = note {
        paragraphs.push(note.to_string());
    }
    let mut facts = vec![("School".to_string(), format!("{} (URN {})", school.name, school.urn))];
    if let Some(level) = current_level {
        facts.push(("Level this year".to_string(), level.to_string()));
    }
    facts.push(("Answer by".to_string(), long_date(answer_by)));
    (
        subject,
        Letter {
            greeting: "Dear business manager,".into(),
            paragraphs,
            facts_caption: format!("Membership in {year}"),
            facts,
            link: Some((
                format!("{}/renewal", public_url.trim_end_matches('/')),
                "Answer on the portal".into(),
            )),
            sign_off: partnership.name.clone(),
            footer: vec![partnership.address.clone()],
        },
    )
}

/// Opens a round for a year's offer: invites every open school of the register that is not
/// already a member that year (members of the year before are asked to renew at their level),
/// and queues each school's invitation in the same transaction.
pub async fn open<C>(
    db: &C,
    partnership: &Partnership,
    new: &NewRound,
    public_url: &str,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<RoundView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let pid = partnership.id;
    let year = MembershipYear::parse(partnership.year_kind, &new.year)
        .ok_or_else(|| problem("year", MembershipYear::problem(&new.year)))?;
    let offer = offers::find(db, pid, &year.label()).await?.ok_or_else(|| {
        problem("year", format!("There is no offer for {}: make it on the offers page first", year.label()))
    })?;
    if offer.levels.is_empty() {
        return Err(problem(
            "year",
            format!("The {} offer has no levels for schools to choose", year.label()),
        ));
    }
    let mut errors = Vec::new();
    let today = now.date_naive();
    if new.answer_by < today {
        errors.push(FieldError {
            field: "answer_by".into(),
            message: format!(
                "The date to answer by must be today or later, not {}",
                long_date(new.answer_by)
            ),
        });
    } else if new.answer_by > year.last_day() {
        errors.push(FieldError {
            field: "answer_by".into(),
            message: format!(
                "The date to answer by must be before {} ends on {}",
                year.label(),
                long_date(year.last_day())
            ),
        });
    }
    let note = crate::domain::text::optional(&new.note, renewals::MAX_NOTE_CHARS)
        .map_err(|e| errors.push(FieldError { field: "note".into(), message: format!("Note: {e}") }))
        .ok()
        .flatten();
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    if renewal_round::Entity::find()
        .filter(renewal_round::Column::PartnershipId.eq(pid))
        .filter(renewal_round::Column::OfferId.eq(offer.id))
        .one(db)
        .await?
        .is_some()
    {
        return Err(ServiceError::Conflict(format!("There is already a renewal round for {}", year.label())));
    }
    // This year's members, at the level and payer they have at the end of it.
    let mut current: HashMap<i64, (String, String)> = HashMap::new();
    let before = MembershipYear::new(year.kind(), year.start_year() - 1);
    if let Some(before) = before
        && let Some(previous) = offers::find(db, pid, &before.label()).await?
    {
        let names: HashMap<i64, &str> = previous.levels.iter().map(|l| (l.id, l.name.as_str())).collect();
        for m in memberships::of_offer(db, previous.id).await? {
            if m.ends_on.is_none_or(|e| e >= before.last_day()) {
                current.insert(
                    m.school_id,
                    (names.get(&m.level_id).copied().unwrap_or_default().to_string(), m.paid_by),
                );
            }
        }
    }
    let already: std::collections::HashSet<i64> =
        memberships::of_offer(db, offer.id).await?.into_iter().map(|m| m.school_id).collect();
    let schools: Vec<school::Model> = school::Entity::find()
        .filter(school::Column::PartnershipId.eq(pid))
        .filter(school::Column::Status.ne(SchoolStatus::Closed.as_str()))
        .order_by_asc(school::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .filter(|s| !already.contains(&s.id))
        .collect();
    if schools.is_empty() {
        return Err(problem(
            "year",
            format!(
                "Every open school of the register is already a member for {}: there is nobody to invite",
                year.label()
            ),
        ));
    }
    let mailing = Mailing::load(db, pid, user_id, now).await?;
    let txn = begin_write(db).await?;
    let made = renewal_round::ActiveModel {
        partnership_id: Set(pid),
        offer_id: Set(offer.id),
        answer_by: Set(new.answer_by),
        note: Set(note.clone()),
        opened_by_user_id: Set(user_id),
        opened_at: Set(now),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for chunk in schools.chunks(500) {
        renewal_answer::Entity::insert_many(chunk.iter().map(|s| {
            let cur = current.get(&s.id);
            renewal_answer::ActiveModel {
                round_id: Set(made.id),
                partnership_id: Set(pid),
                school_id: Set(s.id),
                current_level: Set(cur.map(|c| c.0.clone())),
                current_paid_by: Set(cur.map(|c| c.1.clone())),
                state: Set(AnswerState::Waiting.as_str().into()),
                chased: Set(0),
                ..Default::default()
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    for s in &schools {
        let level = current.get(&s.id).map(|c| c.0.as_str());
        let message =
            letter(partnership, public_url, &year.label(), new.answer_by, note.as_deref(), s, level, false);
        mailing.send(&txn, s, MessageKind::Renewal, format!("renewal:{}:{}", made.id, s.id), message).await?;
    }
    audit::record(
        &txn,
        Event {
            partnership_id: pid,
            user_id,
            action: "renewal.opened",
            entity: "renewal_round",
            entity_id: made.id,
            before: None,
            after: Some(serde_json::json!({
                "year": year.label(), "answer_by": new.answer_by, "invited": schools.len(),
                "members": schools.iter().filter(|s| current.contains_key(&s.id)).count()
            })),
        },
    )
    .await?;
    txn.commit().await?;
    round(db, pid, made.id).await
}

/// Which answers to list.
#[derive(Debug, Clone, Default)]
pub struct AnswerFilter {
    pub state: Option<AnswerState>,
    /// Part of the school's name, or its URN.
    pub q: String,
    pub page: u64,
}

async fn rows(
    db: &impl ConnectionTrait,
    models: Vec<(renewal_answer::Model, Option<school::Model>)>,
) -> Result<Vec<AnswerRow>, ServiceError> {
    let level_ids: Vec<i64> = models.iter().filter_map(|(a, _)| a.level_id).collect();
    let levels: HashMap<i64, String> = entity::offer_level::Entity::find()
        .filter(entity::offer_level::Column::Id.is_in(level_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let user_ids: Vec<i64> = models.iter().filter_map(|(a, _)| a.answered_by_user_id).collect();
    let names: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut out = Vec::with_capacity(models.len());
    for (a, s) in models {
        let s = s.ok_or_else(|| ServiceError::NotFound("school".into()))?;
        let state = state_of(&a)?;
        out.push(AnswerRow {
            round_id: a.round_id,
            urn: s.urn,
            school: s.name,
            phase: s.billing_phase,
            current_level: a.current_level,
            state: state.as_str(),
            state_label: state.label(),
            level: a.level_id.and_then(|id| levels.get(&id).cloned()),
            pupils: a.pupils,
            po_number: a.po_number,
            comment: a.comment,
            answered_by: a.answered_by_user_id.and_then(|id| names.get(&id).cloned()),
            answered_at: a.answered_at,
            chased: a.chased,
            converted: a.membership_id.is_some(),
        });
    }
    Ok(out)
}

/// A page of a round's answers, by school name, with how many there are in all.
pub async fn answers(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    round_id: i64,
    filter: &AnswerFilter,
) -> Result<(Vec<AnswerRow>, u64), ServiceError> {
    round_model(db, partnership_id, round_id).await?;
    let mut query = renewal_answer::Entity::find()
        .filter(renewal_answer::Column::RoundId.eq(round_id))
        .find_also_related_school();
    if let Some(state) = filter.state {
        query = query.filter(renewal_answer::Column::State.eq(state.as_str()));
    }
    let q = filter.q.trim();
    if !q.is_empty() {
        let mut by = Condition::any().add(school::Column::Name.contains(q));
        if let Ok(urn) = q.parse::<i32>() {
            by = by.add(school::Column::Urn.eq(urn));
        }
        query = query.filter(by);
    }
    let total = query.clone().count(db).await?;
    let models = query
        .order_by_asc(school::Column::Name)
        .order_by_asc(renewal_answer::Column::Id)
        .offset(filter.page.max(1).saturating_sub(1).saturating_mul(PER_PAGE))
        .limit(PER_PAGE)
        .all(db)
        .await?;
    Ok((rows(db, models).await?, total))
}

trait AlsoSchool {
    fn find_also_related_school(self) -> sea_orm::SelectTwo<renewal_answer::Entity, school::Entity>;
}

impl AlsoSchool for sea_orm::Select<renewal_answer::Entity> {
    /// Each answer with its school (the tables declare no relations, so the join is written out).
    fn find_also_related_school(self) -> sea_orm::SelectTwo<renewal_answer::Entity, school::Entity> {
        self.join(
            sea_orm::JoinType::InnerJoin,
            renewal_answer::Entity::belongs_to(school::Entity)
                .from(renewal_answer::Column::SchoolId)
                .to(school::Column::Id)
                .into(),
        )
        .select_also(school::Entity)
    }
}

/// An open round as a school sees it: no tally of other schools' answers.
#[derive(Debug, Clone, Serialize)]
pub struct OpenRound {
    pub id: i64,
    pub year: String,
    pub answer_by: NaiveDate,
    pub note: Option<String>,
}

/// The answers the user may give: for each open round, the schools in their scope.
pub async fn open_for(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
) -> Result<Vec<(OpenRound, Vec<AnswerRow>)>, ServiceError> {
    let school_ids: Vec<i64> = match scope {
        SchoolScope::Nothing => return Ok(Vec::new()),
        SchoolScope::All => return Ok(Vec::new()),
        SchoolScope::School(id) => vec![id],
        SchoolScope::Trust(t) => {
            school::Entity::find()
                .select_only()
                .column(school::Column::Id)
                .filter(school::Column::PartnershipId.eq(partnership_id))
                .filter(school::Column::TrustId.eq(t))
                .into_tuple()
                .all(db)
                .await?
        }
    };
    let mut out = Vec::new();
    for r in renewal_round::Entity::find()
        .filter(renewal_round::Column::PartnershipId.eq(partnership_id))
        .filter(renewal_round::Column::ClosedAt.is_null())
        .order_by_desc(renewal_round::Column::AnswerBy)
        .all(db)
        .await?
    {
        let models = renewal_answer::Entity::find()
            .filter(renewal_answer::Column::RoundId.eq(r.id))
            .filter(renewal_answer::Column::SchoolId.is_in(school_ids.clone()))
            .find_also_related_school()
            .order_by_asc(school::Column::Name)
            .all(db)
            .await?;
        if !models.is_empty() {
            let answers = rows(db, models).await?;
            let year = year_of_offer(db, r.offer_id).await?;
            out.push((OpenRound { id: r.id, year, answer_by: r.answer_by, note: r.note }, answers));
        }
    }
    Ok(out)
}

/// What the answer form shows: the round, the school's answer, the levels to choose from and
/// the register's pupil number for the start of the year.
#[derive(Debug, Clone)]
pub struct AnswerForm {
    pub round: RoundView,
    pub answer: AnswerRow,
    pub levels: Vec<offers::Level>,
    pub register_pupils: Option<i32>,
}

/// One school's answer in a round, if the user's scope reaches the school.
pub async fn answer_of(
    db: &impl ConnectionTrait,
    partnership: &Partnership,
    scope: SchoolScope,
    round_id: i64,
    urn: i32,
) -> Result<AnswerForm, ServiceError> {
    let partnership_id = partnership.id;
    let r = round_model(db, partnership_id, round_id).await?;
    let (a, s) = find_answer(db, partnership_id, scope, round_id, urn).await?;
    let year = year_of_offer(db, r.offer_id).await?;
    let offer = offers::find(db, partnership_id, &year).await?;
    let levels = offer.map(|o| o.levels).unwrap_or_default();
    let starts = MembershipYear::parse(partnership.year_kind, &year).map(|y| y.first_day());
    let figures = super::register::pupil_figures(db, &[s.id]).await?;
    let register_pupils = match starts {
        Some(day) => super::register::pupils_in_force(&figures, s.id, day)
            .or_else(|| super::register::pupils_in_force(&figures, s.id, NaiveDate::MAX)),
        None => None,
    };
    let answer = rows(db, vec![(a, Some(s))]).await?.remove(0);
    Ok(AnswerForm { round: view(db, r).await?, answer, levels, register_pupils })
}

/// Refuses (not found) unless the school's answer in the round is within the user's scope.
pub async fn check_reach(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    round_id: i64,
    urn: i32,
) -> Result<(), ServiceError> {
    find_answer(db, partnership_id, scope, round_id, urn).await.map(|_| ())
}

async fn find_answer(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    scope: SchoolScope,
    round_id: i64,
    urn: i32,
) -> Result<(renewal_answer::Model, school::Model), ServiceError> {
    let not_found = || ServiceError::NotFound(format!("the answer of URN {urn} in renewal round {round_id}"));
    let s = school::Entity::find()
        .filter(school::Column::PartnershipId.eq(partnership_id))
        .filter(school::Column::Urn.eq(urn))
        .one(db)
        .await?
        .filter(|s| scope.includes(s.id, s.trust_id))
        .ok_or_else(not_found)?;
    let a = renewal_answer::Entity::find()
        .filter(renewal_answer::Column::RoundId.eq(round_id))
        .filter(renewal_answer::Column::PartnershipId.eq(partnership_id))
        .filter(renewal_answer::Column::SchoolId.eq(s.id))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    Ok((a, s))
}

/// Records (or changes) a school's answer. Refused once the round is closed or the answer has
/// been made into a membership.
#[allow(clippy::too_many_arguments)]
pub async fn answer<C>(
    db: &C,
    partnership_id: i64,
    scope: SchoolScope,
    round_id: i64,
    urn: i32,
    typed: &TypedAnswer,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<AnswerRow, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let r = round_model(db, partnership_id, round_id).await?;
    let (a, s) = find_answer(db, partnership_id, scope, round_id, urn).await?;
    let year = year_of_offer(db, r.offer_id).await?;
    if r.closed_at.is_some() {
        return Err(ServiceError::Conflict(format!(
            "The {year} renewal round is closed: ask the partnership's finance team to change your membership"
        )));
    }
    if a.membership_id.is_some() {
        return Err(ServiceError::Conflict(format!(
            "{} is already a member for {year}: ask the partnership's finance team to change the membership",
            s.name
        )));
    }
    let offer = offers::find(db, partnership_id, &year)
        .await?
        .ok_or_else(|| ServiceError::NotFound("offer".into()))?;
    let names: Vec<&str> = offer.levels.iter().map(|l| l.name.as_str()).collect();
    let read = renewals::read_answer(typed, &names).map_err(|problems| {
        ServiceError::Invalid(
            problems
                .into_iter()
                .map(|(field, message)| FieldError { field: field.into(), message })
                .collect(),
        )
    })?;
    let before = state_of(&a)?.label();
    let mut active: renewal_answer::ActiveModel = a.into();
    let summary = match &read {
        Answer::Renew { level, pupils, po_number, comment } => {
            let level_id = offer.levels.iter().find(|l| &l.name == level).map(|l| l.id);
            active.state = Set(AnswerState::Accepted.as_str().into());
            active.level_id = Set(level_id);
            active.pupils = Set(Some(*pupils));
            active.po_number = Set(po_number.clone());
            active.comment = Set(comment.clone());
            format!(
                "renewing at {level} with {pupils} pupils{}",
                po_number.as_ref().map(|p| format!(", PO {p}")).unwrap_or_default()
            )
        }
        Answer::Decline { comment } => {
            active.state = Set(AnswerState::Declined.as_str().into());
            active.level_id = Set(None);
            active.pupils = Set(None);
            active.po_number = Set(None);
            active.comment = Set(comment.clone());
            "not renewing".to_string()
        }
    };
    active.answered_by_user_id = Set(user_id);
    active.answered_at = Set(Some(now));
    let txn = begin_write(db).await?;
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "renewal.answered",
            entity: "renewal_round",
            entity_id: round_id,
            before: None,
            after: Some(serde_json::json!({"year": year, "school": format!("{} (URN {})", s.name, s.urn), "answer": summary, "before": before})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(rows(db, vec![(updated, Some(s))]).await?.remove(0))
}

/// Emails a reminder to every school of an open round that has not answered, at most once a
/// day each; returns how many were queued.
pub async fn chase<C>(
    db: &C,
    partnership: &Partnership,
    round_id: i64,
    public_url: &str,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<u64, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let pid = partnership.id;
    let r = round_model(db, pid, round_id).await?;
    let year = year_of_offer(db, r.offer_id).await?;
    if r.closed_at.is_some() {
        return Err(ServiceError::Conflict(format!("The {year} renewal round is closed")));
    }
    let waiting = renewal_answer::Entity::find()
        .filter(renewal_answer::Column::RoundId.eq(round_id))
        .filter(renewal_answer::Column::State.eq(AnswerState::Waiting.as_str()))
        .find_also_related_school()
        .all(db)
        .await?;
    let mailing = Mailing::load(db, pid, user_id, now).await?;
    let today = now.date_naive();
    let txn = begin_write(db).await?;
    let mut queued = 0u64;
    for (a, s) in waiting {
        let Some(s) = s else { continue };
        let message = letter(
            partnership,
            public_url,
            &year,
            r.answer_by,
            r.note.as_deref(),
            &s,
            a.current_level.as_deref(),
            true,
        );
        let key = format!("renewal-chase:{round_id}:{}:{today}", s.id);
        if mailing.send(&txn, &s, MessageKind::RenewalReminder, key, message).await? {
            queued += 1;
            let chased = a.chased + 1;
            let mut active: renewal_answer::ActiveModel = a.into();
            active.chased = Set(chased);
            active.last_chased_at = Set(Some(now));
            active.update(&txn).await?;
        }
    }
    audit::record(
        &txn,
        Event {
            partnership_id: pid,
            user_id,
            action: "renewal.chased",
            entity: "renewal_round",
            entity_id: round_id,
            before: None,
            after: Some(serde_json::json!({"year": year, "schools": queued})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(queued)
}

/// What turning a round's answers into memberships did.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Converted {
    pub memberships: u64,
    /// Pupil numbers recorded because the school's differed from the register's.
    pub pupil_numbers: u64,
    pub po_numbers: u64,
}

/// Turns every accepted answer not yet made into a membership into one, from the first day of
/// the year, at the level chosen, paid for as this year (or by the school, for a new member);
/// records the school's pupil number when it differs from the register's, and its PO number for
/// the year. All or nothing: every problem is named with its school.
pub async fn convert<C>(
    db: &C,
    partnership: &Partnership,
    round_id: i64,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Converted, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let pid = partnership.id;
    let r = round_model(db, pid, round_id).await?;
    let year_label = year_of_offer(db, r.offer_id).await?;
    let year = MembershipYear::parse(partnership.year_kind, &year_label)
        .ok_or_else(|| problem("year", MembershipYear::problem(&year_label)))?;
    let offer =
        offers::find(db, pid, &year_label).await?.ok_or_else(|| ServiceError::NotFound("offer".into()))?;
    let accepted = renewal_answer::Entity::find()
        .filter(renewal_answer::Column::RoundId.eq(round_id))
        .filter(renewal_answer::Column::State.eq(AnswerState::Accepted.as_str()))
        .filter(renewal_answer::Column::MembershipId.is_null())
        .find_also_related_school()
        .order_by_asc(school::Column::Name)
        .all(db)
        .await?;
    if accepted.is_empty() {
        return Err(ServiceError::Conflict(
            "There are no accepted answers waiting to be made into memberships".into(),
        ));
    }
    let ids: Vec<i64> = accepted.iter().map(|(a, _)| a.school_id).collect();
    let figures = super::register::pupil_figures(db, &ids).await?;
    let mut done = Converted::default();
    let mut problems = Vec::new();
    let txn = begin_write(db).await?;
    for (a, s) in accepted {
        let Some(s) = s else { continue };
        let who = format!("{} (URN {})", s.name, s.urn);
        let Some(level) = a.level_id.and_then(|id| offer.levels.iter().find(|l| l.id == id)) else {
            problems.push(FieldError {
                field: "answers".into(),
                message: format!(
                    "{who}: the level it chose is no longer in the {year_label} offer: ask it to answer again"
                ),
            });
            continue;
        };
        let paid_by = a.current_paid_by.clone().unwrap_or_else(|| PaidBy::School.as_str().to_string());
        let joined = memberships::join(
            &txn,
            pid,
            &NewMembership {
                urn: s.urn,
                year: year_label.clone(),
                level: level.name.clone(),
                starts_on: year.first_day(),
                ends_on: None,
                paid_by: paid_by.clone(),
                first_year: a.current_level.is_none(),
            },
            user_id,
        )
        .await;
        let m = match joined {
            Ok(m) => m,
            Err(ServiceError::Invalid(list)) => {
                problems.extend(list.into_iter().map(|e| FieldError {
                    field: "answers".into(),
                    message: format!("{who}: {}", e.message.replacen(&format!("{} is", s.name), "it is", 1)),
                }));
                continue;
            }
            Err(e) => return Err(e),
        };
        done.memberships += 1;
        if let Some(given) = a.pupils {
            let register = super::register::pupils_in_force(&figures, s.id, year.first_day());
            if let Some(pupils) = renewals::pupils_to_record(given, register) {
                pupil_count::ActiveModel {
                    school_id: Set(s.id),
                    census_date: Set(year.first_day()),
                    pupils: Set(pupils),
                    source: Set(PupilSource::Manual.as_str().to_string()),
                    entered_by_user_id: Set(a.answered_by_user_id.or(user_id)),
                    reason: Set(Some(format!(
                        "Given by the school in its answer to the {year_label} renewal round"
                    ))),
                    recorded_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                done.pupil_numbers += 1;
            }
        }
        if let Some(po) = &a.po_number {
            let paid = PaidBy::parse(&paid_by).unwrap_or(PaidBy::School);
            let payer = payers::payer_for(&txn, pid, &s, paid).await?;
            payers::record_po(&txn, payer.id, &year_label, po, a.answered_by_user_id.or(user_id)).await?;
            done.po_numbers += 1;
        }
        let mut active: renewal_answer::ActiveModel = a.into();
        active.membership_id = Set(Some(m.id));
        active.update(&txn).await?;
    }
    if !problems.is_empty() {
        txn.rollback().await?;
        return Err(ServiceError::Invalid(problems));
    }
    audit::record(
        &txn,
        Event {
            partnership_id: pid,
            user_id,
            action: "renewal.converted",
            entity: "renewal_round",
            entity_id: round_id,
            before: None,
            after: Some(serde_json::json!({"year": year_label, "memberships": done.memberships,
                "pupil_numbers": done.pupil_numbers, "po_numbers": done.po_numbers})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(done)
}

/// Closes a round: schools can no longer answer; answers already given stay.
pub async fn close<C>(
    db: &C,
    partnership_id: i64,
    round_id: i64,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<RoundView, ServiceError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let r = round_model(db, partnership_id, round_id).await?;
    let year = year_of_offer(db, r.offer_id).await?;
    if r.closed_at.is_some() {
        return Err(ServiceError::Conflict(format!("The {year} renewal round is already closed")));
    }
    let txn = begin_write(db).await?;
    let mut active: renewal_round::ActiveModel = r.into();
    active.closed_at = Set(Some(now));
    active.update(&txn).await?;
    audit::record(
        &txn,
        Event {
            partnership_id,
            user_id,
            action: "renewal.closed",
            entity: "renewal_round",
            entity_id: round_id,
            before: None,
            after: Some(serde_json::json!({"year": year})),
        },
    )
    .await?;
    txn.commit().await?;
    round(db, partnership_id, round_id).await
}
