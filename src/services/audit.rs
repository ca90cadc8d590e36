//! The audit log: every money-changing action, who did it, when, and the before and after.

use super::ServiceError;
use entity::audit_entry;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// One money-changing action. `before` and `after` are JSON snapshots of what changed.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub partnership_id: i64,
    pub user_id: Option<i64>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: i64,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Records one action in the same transaction as the change itself.
pub async fn record(db: &impl ConnectionTrait, event: Event<'_>) -> Result<(), ServiceError> {
    let Event { partnership_id, user_id, action, entity, entity_id, before, after } = event;
    audit_entry::ActiveModel {
        partnership_id: Set(partnership_id),
        user_id: Set(user_id),
        at: Set(chrono::Utc::now()),
        action: Set(action.to_string()),
        entity: Set(entity.to_string()),
        entity_id: Set(entity_id),
        before_json: Set(before.map(|v| v.to_string())),
        after_json: Set(after.map(|v| v.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The most recent entries, newest first.
pub async fn recent(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    limit: u64,
) -> Result<Vec<audit_entry::Model>, ServiceError> {
    Ok(audit_entry::Entity::find()
        .filter(audit_entry::Column::PartnershipId.eq(partnership_id))
        .order_by_desc(audit_entry::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
