//! A lease per job and partnership: a row naming the instance that holds it and until when.
//! Taking it is one insert (the name is unique) or one conditional update of an expired lease,
//! so on SQLite and PostgreSQL alike exactly one of several instances gets it.

use crate::services::ServiceError;
use chrono::{DateTime, Utc};
use entity::job_lease;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// Takes the lease `name` for `holder` until `until`, if nobody holds it at `now`. Returns the
/// holder's token (the holder and the moment, so a later release cannot free someone else's
/// lease), or none when another instance holds it.
pub async fn take(
    db: &impl ConnectionTrait,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<String>, ServiceError> {
    let token = format!("{holder}@{}", now.timestamp_micros());
    let inserted = job_lease::Entity::insert(job_lease::ActiveModel {
        name: Set(name.into()),
        holder: Set(token.clone()),
        held_until: Set(until),
        ..Default::default()
    })
    .on_conflict(OnConflict::column(job_lease::Column::Name).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    if inserted > 0 {
        return Ok(Some(token));
    }
    let taken = job_lease::Entity::update_many()
        .col_expr(job_lease::Column::Holder, Expr::value(token.clone()))
        .col_expr(job_lease::Column::HeldUntil, Expr::value(until))
        .filter(job_lease::Column::Name.eq(name))
        .filter(job_lease::Column::HeldUntil.lte(now))
        .exec(db)
        .await?
        .rows_affected;
    Ok((taken > 0).then_some(token))
}

/// Who holds the lease (whether or not it has expired).
pub async fn holder(db: &impl ConnectionTrait, name: &str) -> Result<Option<String>, ServiceError> {
    Ok(job_lease::Entity::find()
        .filter(job_lease::Column::Name.eq(name))
        .one(db)
        .await?
        .map(|l| l.holder.split('@').next().unwrap_or_default().to_string()))
}

/// Gives the lease back, if `token` still holds it.
pub async fn release(
    db: &impl ConnectionTrait,
    name: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    job_lease::Entity::update_many()
        .col_expr(job_lease::Column::HeldUntil, Expr::value(now))
        .filter(job_lease::Column::Name.eq(name))
        .filter(job_lease::Column::Holder.eq(token))
        .exec(db)
        .await?;
    Ok(())
}
