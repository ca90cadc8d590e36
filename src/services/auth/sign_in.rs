//! Signing in: an email address (which may have an account in several partnerships) and a
//! password. Each account allows [`MAX_FAILED_SIGN_INS`] wrong passwords in a row, then locks for
//! [`LOCK_OUT`]. An attempt is reserved with one atomic update *before* the password is checked,
//! so guesses sent in parallel cannot get more checks than that. Unknown, locked and disabled
//! accounts are answered exactly like a wrong password, after the same work.

use super::super::ServiceError;
use super::super::users::{User, from_model, normalise_email};
use super::passwords::{random_token, spend_a_check, token_digest, verify_password};
use super::sessions::SESSION_LIFETIME;
use crate::domain::text::control_character;
use chrono::{DateTime, Duration, Utc};
use entity::{partnership, session, user};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use secrecy::SecretString;

/// Failed sign-ins in a row that lock an account.
pub const MAX_FAILED_SIGN_INS: i32 = 5;
/// How long a locked account stays locked.
pub const LOCK_OUT: Duration = Duration::minutes(15);

/// Why a sign-in was refused. Nothing here says whether an account exists or is locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefused {
    WrongDetails,
    /// The email and password match accounts in several partnerships: the person chooses one
    /// (partnership id and name), and signs in again with it.
    ChoosePartnership(Vec<(i64, String)>),
}

/// A new session: the cookie value (shown once) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie_value: SecretString,
    pub csrf_token: String,
    pub user: User,
    /// The account has a one-time password: the person must choose their own first.
    pub must_change_password: bool,
}

/// What someone typed to sign in, and where from.
#[derive(Debug, Clone)]
pub struct SignInAttempt<'a> {
    pub email: &'a str,
    pub password: &'a SecretString,
    /// The partnership chosen, when the email has accounts in several.
    pub partnership_id: Option<i64>,
    pub now: DateTime<Utc>,
    pub user_agent: Option<&'a str>,
    pub ip_address: Option<&'a str>,
}

/// Reserves one attempt on an account, if it is enabled, not locked and below the limit.
async fn reserve(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, ServiceError> {
    let reserved = user::Entity::update_many()
        .col_expr(user::Column::FailedSignIns, Expr::col(user::Column::FailedSignIns).add(1))
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::DisabledAt.is_null())
        .filter(user::Column::FailedSignIns.lt(MAX_FAILED_SIGN_INS))
        .filter(
            Condition::any().add(user::Column::LockedUntil.is_null()).add(user::Column::LockedUntil.lte(now)),
        )
        .exec(db)
        .await?;
    Ok(reserved.rows_affected == 1)
}

/// Gives a reserved attempt back (the password was right for another account of the person).
async fn give_back(db: &impl ConnectionTrait, id: i64) -> Result<(), ServiceError> {
    user::Entity::update_many()
        .col_expr(user::Column::FailedSignIns, Expr::col(user::Column::FailedSignIns).sub(1))
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::FailedSignIns.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Locks an account whose reserved attempts reached the limit.
async fn lock_if_spent(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<(), ServiceError> {
    user::Entity::update_many()
        .col_expr(user::Column::LockedUntil, Expr::value(Some(now + LOCK_OUT)))
        .col_expr(user::Column::FailedSignIns, Expr::value(0))
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::FailedSignIns.gte(MAX_FAILED_SIGN_INS))
        .exec(db)
        .await?;
    Ok(())
}

/// Text a browser sent, kept short and printable for the sessions page.
fn printable(text: Option<&str>, max: usize) -> Option<String> {
    text.map(|t| {
        t.chars().filter(|c| control_character(&c.to_string()).is_none()).take(max).collect::<String>()
    })
    .map(|t| t.trim().to_string())
    .filter(|t| !t.is_empty())
}

/// What a sign-in came to, and how many stored passwords it checked (never more than the
/// attempts an account had left, however many guesses arrive at once).
#[derive(Debug)]
pub struct SignInOutcome {
    pub result: Result<NewSession, SignInRefused>,
    pub passwords_checked: usize,
}

/// Checks an email and password; on success starts a session.
pub async fn sign_in(
    db: &impl ConnectionTrait,
    attempt: SignInAttempt<'_>,
) -> Result<SignInOutcome, ServiceError> {
    let mut checked = 0;
    let result = check(db, attempt, &mut checked).await?;
    Ok(SignInOutcome { result, passwords_checked: checked })
}

async fn check(
    db: &impl ConnectionTrait,
    attempt: SignInAttempt<'_>,
    checked: &mut usize,
) -> Result<Result<NewSession, SignInRefused>, ServiceError> {
    let now = attempt.now;
    let mut query = user::Entity::find()
        .filter(user::Column::Email.eq(normalise_email(attempt.email)))
        .order_by_asc(user::Column::Id);
    if let Some(pid) = attempt.partnership_id {
        query = query.filter(user::Column::PartnershipId.eq(pid));
    }
    let candidates = query.all(db).await?;
    if candidates.is_empty() {
        spend_a_check(attempt.password).await;
        return Ok(Err(SignInRefused::WrongDetails));
    }
    let mut reserved = Vec::new();
    let mut matched = Vec::new();
    for candidate in candidates {
        if !reserve(db, candidate.id, now).await? {
            spend_a_check(attempt.password).await;
            continue;
        }
        reserved.push(candidate.id);
        *checked += 1;
        if verify_password(attempt.password, &candidate.password_hash).await {
            matched.push(candidate);
        }
    }
    if matched.is_empty() {
        for id in reserved {
            lock_if_spent(db, id, now).await?;
        }
        return Ok(Err(SignInRefused::WrongDetails));
    }
    // The person is who they say: their other accounts get their attempt back.
    for id in reserved.iter().filter(|id| !matched.iter().any(|m| m.id == **id)) {
        give_back(db, *id).await?;
    }
    if matched.len() > 1 {
        let mut choices = Vec::new();
        for m in &matched {
            give_back(db, m.id).await?;
            if let Some(p) = partnership::Entity::find_by_id(m.partnership_id).one(db).await? {
                choices.push((p.id, p.name));
            }
        }
        return Ok(Err(SignInRefused::ChoosePartnership(choices)));
    }
    let found = matched.remove(0);
    let user = from_model(&found)?;
    let must_change_password = found.must_change_password;
    let mut active: user::ActiveModel = found.into();
    active.failed_sign_ins = Set(0);
    active.locked_until = Set(None);
    active.last_sign_in_at = Set(Some(now));
    active.update(db).await?;
    let cookie_value = random_token();
    let csrf_token = random_token();
    session::ActiveModel {
        id: Set(token_digest(&cookie_value)),
        user_id: Set(user.id),
        csrf_token: Set(csrf_token.clone()),
        created_at: Set(now),
        expires_at: Set(now + SESSION_LIFETIME),
        last_seen_at: Set(Some(now)),
        user_agent: Set(printable(attempt.user_agent, 200)),
        ip_address: Set(printable(attempt.ip_address, 60)),
    }
    .insert(db)
    .await?;
    Ok(Ok(NewSession {
        cookie_value: SecretString::from(cookie_value),
        csrf_token,
        user,
        must_change_password,
    }))
}
