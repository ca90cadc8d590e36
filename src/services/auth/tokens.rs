//! API tokens: shown once, only their SHA-256 kept; checking one is one read, and its last use
//! is written at most once a minute.

use super::super::ServiceError;
use super::super::partnerships::{self, Partnership};
use super::super::users::{User, from_model};
use super::USE_RECORDED_EVERY;
use super::cache::{self, AuthCache};
use super::passwords::{random_token, token_digest};
use crate::domain::text::{self, MAX_NAME_CHARS};
use chrono::{DateTime, Utc};
use entity::{api_token, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use secrecy::SecretString;
use serde::Serialize;

/// Creates an API token for a user; the token is returned once and only its digest is kept.
pub async fn create_api_token(
    db: &impl ConnectionTrait,
    user_id: i64,
    name: &str,
) -> Result<SecretString, ServiceError> {
    let name = text::required(name, MAX_NAME_CHARS, "Give the token a name that says what uses it")
        .map_err(|m| ServiceError::invalid("name", m))?;
    let token = format!("pb_{}", random_token());
    api_token::ActiveModel {
        user_id: Set(user_id),
        name: Set(name),
        token_hash: Set(token_digest(&token)),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(SecretString::from(token))
}

/// A token as last checked, kept by the [`AuthCache`].
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    user: User,
    partnership: Partnership,
    last_used_at: DateTime<Utc>,
}

/// The user an API token belongs to and their partnership, unless the token is unknown or
/// revoked, or its user disabled:
/// from the cache when it was checked a moment ago and its use is recorded to the minute,
/// otherwise one query.
pub async fn api_token_user(
    db: &impl ConnectionTrait,
    cache: &AuthCache,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<(User, Partnership)>, ServiceError> {
    let key = token_digest(token);
    if let Some(hit) = cache.tokens.get(&key)
        && hit.last_used_at + USE_RECORDED_EVERY >= now
    {
        return Ok(Some((hit.user, hit.partnership)));
    }
    let generation = cache::generation();
    let Some((found, Some(account))) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(key.clone()))
        .filter(api_token::Column::RevokedAt.is_null())
        .find_also_related(user::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if account.disabled_at.is_some() {
        return Ok(None);
    }
    let mut last_used_at = found.last_used_at.unwrap_or(now);
    if found.last_used_at.is_none_or(|used| used + USE_RECORDED_EVERY < now) {
        last_used_at = now;
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(Some(now)))
            .filter(api_token::Column::Id.eq(found.id))
            // Of many requests that saw the same old time at once, one writes.
            .filter(
                sea_orm::Condition::any()
                    .add(api_token::Column::LastUsedAt.is_null())
                    .add(api_token::Column::LastUsedAt.lt(now - USE_RECORDED_EVERY)),
            )
            .exec(db)
            .await?;
    }
    let user = from_model(&account)?;
    let partnership = partnerships::get(db, user.partnership_id).await?;
    let checked = Checked { user: user.clone(), partnership: partnership.clone(), last_used_at };
    cache.tokens.put(key, checked, generation);
    Ok(Some((user, partnership)))
}

/// A token as its owner's page shows it (never the token itself).
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Recorded to the minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A user's tokens, newest first.
pub async fn tokens_of(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<TokenInfo>, ServiceError> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| TokenInfo {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        })
        .collect())
}

/// Revokes one of a user's tokens; it stops working at once and cannot be restored.
pub async fn revoke_token(
    db: &impl ConnectionTrait,
    user_id: i64,
    token_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let revoked = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_token::Column::Id.eq(token_id))
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    cache::changed();
    if revoked.rows_affected == 0 {
        return Err(ServiceError::NotFound(format!("token {token_id}")));
    }
    Ok(())
}
