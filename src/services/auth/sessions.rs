//! Server-side sessions: the cookie holds a random token, the database only its SHA-256. A
//! session ends after [`SESSION_LIFETIME`], or after [`IDLE_TIMEOUT`] without use. Checking one
//! is one read (the session, its user and partnership joined); its last use is written at most
//! once a minute.

use super::super::ServiceError;
use super::super::partnerships::{self, Partnership};
use super::super::users::{User, from_model};
use super::USE_RECORDED_EVERY;
use super::cache::{self, AuthCache};
use super::passwords::token_digest;
use chrono::{DateTime, Duration, Utc};
use entity::{partnership, session, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

/// How long a session lasts from sign-in.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);
/// How long a session lasts without being used.
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);

/// The signed-in person behind a session cookie.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: User,
    pub partnership: Partnership,
    pub csrf_token: String,
    /// The session's stored key (the SHA-256 of its cookie).
    pub session_key: String,
    /// The account has a one-time password that must be changed before anything else.
    pub must_change_password: bool,
}

fn live(found: &session::Model, now: DateTime<Utc>) -> bool {
    let last_use = found.last_seen_at.unwrap_or(found.created_at);
    found.expires_at > now && last_use + IDLE_TIMEOUT > now
}

/// A session as last checked, kept by the [`AuthCache`].
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    found: SessionUser,
    expires_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

/// The person, partnership and CSRF token of a live session cookie: from the cache when it was
/// checked a moment ago and its last use is recorded to the minute, otherwise one query.
pub async fn session_user(
    db: &impl ConnectionTrait,
    cache: &AuthCache,
    cookie_value: &str,
    now: DateTime<Utc>,
) -> Result<Option<SessionUser>, ServiceError> {
    let key = token_digest(cookie_value);
    if let Some(hit) = cache.sessions.get(&key)
        && hit.expires_at > now
        && hit.last_seen_at + USE_RECORDED_EVERY >= now
    {
        return Ok(Some(hit.found));
    }
    let generation = cache::generation();
    let Some((found, Some(account), Some(partnership))) = session::Entity::find_by_id(key.clone())
        .find_also_related(user::Entity)
        .and_also_related(partnership::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if !live(&found, now) || account.disabled_at.is_some() {
        cache.sessions.forget(&key);
        session::Entity::delete_by_id(found.id).exec(db).await?;
        return Ok(None);
    }
    let mut last_seen_at = found.last_seen_at.unwrap_or(found.created_at);
    if found.last_seen_at.is_none_or(|seen| seen + USE_RECORDED_EVERY < now) {
        last_seen_at = now;
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(Some(now)))
            .filter(session::Column::Id.eq(found.id.clone()))
            // Of many requests that saw the same old time at once, one writes.
            .filter(
                sea_orm::Condition::any()
                    .add(session::Column::LastSeenAt.is_null())
                    .add(session::Column::LastSeenAt.lt(now - USE_RECORDED_EVERY)),
            )
            .exec(db)
            .await?;
    }
    let checked = SessionUser {
        user: from_model(&account)?,
        partnership: partnerships::from_model(partnership)?,
        csrf_token: found.csrf_token,
        session_key: key.clone(),
        must_change_password: account.must_change_password,
    };
    let kept = Checked { found: checked.clone(), expires_at: found.expires_at, last_seen_at };
    cache.sessions.put(key, kept, generation);
    Ok(Some(checked))
}

/// Ends a session.
pub async fn sign_out(db: &impl ConnectionTrait, cookie_value: &str) -> Result<(), ServiceError> {
    session::Entity::delete_by_id(token_digest(cookie_value)).exec(db).await?;
    cache::changed();
    Ok(())
}

/// One of a person's sessions, as their sessions page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    /// A short handle for the session (the first characters of its stored key).
    pub handle: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip_address: Option<String>,
    pub current: bool,
}

const HANDLE: usize = 16;

/// A person's live sessions, newest first.
pub async fn sessions_of(
    db: &impl ConnectionTrait,
    user_id: i64,
    current_key: &str,
    now: DateTime<Utc>,
) -> Result<Vec<SessionInfo>, ServiceError> {
    Ok(session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .order_by_desc(session::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .filter(|s| live(s, now))
        .map(|s| SessionInfo {
            handle: s.id.chars().take(HANDLE).collect(),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at.unwrap_or(s.created_at),
            current: s.id == current_key,
            user_agent: s.user_agent,
            ip_address: s.ip_address,
        })
        .collect())
}

/// Ends one of a person's sessions by its handle.
pub async fn end_session(
    db: &impl ConnectionTrait,
    user_id: i64,
    handle: &str,
) -> Result<bool, ServiceError> {
    if handle.len() != HANDLE || !handle.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(false);
    }
    let ended = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Id.starts_with(handle))
        .exec(db)
        .await?;
    cache::changed();
    Ok(ended.rows_affected > 0)
}

/// Ends every session of a person but `keep` (their current one), or all of them.
pub async fn end_other_sessions(
    db: &impl ConnectionTrait,
    user_id: i64,
    keep: Option<&str>,
) -> Result<u64, ServiceError> {
    let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(session::Column::Id.ne(keep));
    }
    let ended = query.exec(db).await?.rows_affected;
    cache::changed();
    Ok(ended)
}
