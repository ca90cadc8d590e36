//! Users: who they are, their role, and the school, trust or council they are tied to.

use super::{FieldError, OrClash, ServiceError};
use crate::domain::role::{Role, SchoolScope, school_scope};
use crate::services::auth::hash_password;
use entity::{local_authority, school, trust, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use secrecy::{ExposeSecret, SecretString};

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 12;
/// The longest password accepted (argon2 takes any length; this bounds the work).
pub const MAX_PASSWORD_LEN: usize = 200;

/// A signed-in user as handlers see them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub partnership_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub school_id: Option<i64>,
    pub trust_id: Option<i64>,
    pub local_authority_id: Option<i64>,
}

impl User {
    /// The schools this user can see.
    pub fn school_scope(&self) -> SchoolScope {
        school_scope(self.role, self.school_id, self.trust_id)
    }
}

/// A stored user; a role that does not read is an error naming it.
pub(crate) fn from_model(m: &user::Model) -> Result<User, ServiceError> {
    Ok(User {
        id: m.id,
        partnership_id: m.partnership_id,
        email: m.email.clone(),
        name: m.name.clone(),
        role: super::read_stored("users", "role", &m.role)?,
        school_id: m.school_id,
        trust_id: m.trust_id,
        local_authority_id: m.local_authority_id,
    })
}

/// What it takes to create a user. The school is given by URN, the trust by name.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub partnership_id: i64,
    /// The password is a one-time one an admin gives out: the person must change it when they
    /// first sign in.
    pub one_time_password: bool,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: SecretString,
    pub school_urn: Option<i32>,
    pub trust_name: Option<String>,
    pub local_authority_code: Option<String>,
}

pub(crate) fn normalise_email(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

/// Creates a user after checking every field; nothing is written when any is wrong.
pub async fn create(db: &impl ConnectionTrait, new: NewUser) -> Result<User, ServiceError> {
    let mut errors = Vec::new();
    let email = normalise_email(&new.email);
    let at = email.find('@');
    if at.is_none_or(|i| i == 0 || i == email.len() - 1) || email.contains(' ') {
        errors.push(FieldError {
            field: "email".into(),
            message: format!("\"{email}\" is not an email address"),
        });
    }
    if email.chars().count() > 254 || crate::domain::text::control_character(&email).is_some() {
        errors.push(FieldError {
            field: "email".into(),
            message: "enter an email address of up to 254 characters".into(),
        });
    }
    if let Err(message) = crate::domain::text::required(
        &new.name,
        crate::domain::text::MAX_NAME_CHARS,
        "enter the person's name",
    ) {
        errors.push(FieldError { field: "name".into(), message });
    }
    if let Err(message) = check_new_password(&new.password) {
        errors.push(FieldError { field: "password".into(), message });
    }
    let mut school_id = None;
    let mut trust_id = None;
    if let Some(urn) = new.school_urn {
        match school::Entity::find()
            .filter(school::Column::PartnershipId.eq(new.partnership_id))
            .filter(school::Column::Urn.eq(urn))
            .one(db)
            .await?
        {
            Some(s) => school_id = Some(s.id),
            None => errors
                .push(FieldError { field: "school".into(), message: format!("no school with URN {urn}") }),
        }
    }
    if let Some(name) = new.trust_name.as_deref().filter(|n| !n.trim().is_empty()) {
        match trust::Entity::find()
            .filter(trust::Column::PartnershipId.eq(new.partnership_id))
            .filter(trust::Column::Name.eq(name.trim()))
            .one(db)
            .await?
        {
            Some(t) => trust_id = Some(t.id),
            None => errors
                .push(FieldError { field: "trust".into(), message: format!("no trust named \"{name}\"") }),
        }
    }
    let mut local_authority_id = None;
    if let Some(code) = new.local_authority_code.as_deref().filter(|c| !c.trim().is_empty()) {
        match local_authority::Entity::find()
            .filter(local_authority::Column::PartnershipId.eq(new.partnership_id))
            .filter(local_authority::Column::Code.eq(code.trim()))
            .one(db)
            .await?
        {
            Some(la) => local_authority_id = Some(la.id),
            None => errors.push(FieldError {
                field: "local_authority".into(),
                message: format!("no local authority with code {code}"),
            }),
        }
    }
    match new.role {
        Role::SchoolBusinessManager if school_id.is_none() && trust_id.is_none() && errors.is_empty() => {
            errors.push(FieldError {
                field: "school".into(),
                message: "a school business manager needs a school (URN) or a trust".into(),
            });
        }
        Role::Commissioner if local_authority_id.is_none() && errors.is_empty() => errors.push(FieldError {
            field: "local_authority".into(),
            message: "a commissioner needs the council they work for".into(),
        }),
        _ => {}
    }
    // Emails are unique within a partnership only, so this says nothing about other partnerships.
    if find_in_partnership(db, new.partnership_id, &email).await?.is_some() {
        errors.push(FieldError {
            field: "email".into(),
            message: format!("{email} already has an account in this partnership"),
        });
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let keep_scope = new.role == Role::SchoolBusinessManager;
    let model = user::ActiveModel {
        partnership_id: Set(new.partnership_id),
        email: Set(email),
        name: Set(new.name.trim().to_string()),
        role: Set(new.role.as_str().to_string()),
        school_id: Set(school_id.filter(|_| keep_scope)),
        trust_id: Set(trust_id.filter(|_| keep_scope && school_id.is_none())),
        local_authority_id: Set(local_authority_id.filter(|_| new.role == Role::Commissioner)),
        password_hash: Set(hash_password(&new.password).await?),
        failed_sign_ins: Set(0),
        locked_until: Set(None),
        created_at: Set(chrono::Utc::now()),
        last_sign_in_at: Set(None),
        disabled_at: Set(None),
        must_change_password: Set(new.one_time_password),
        password_changed_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .or_clash("email", "that email address already has an account in this partnership")?;
    from_model(&model)
}

/// The first account (the oldest) with this email address, in any partnership: for the command
/// line, which names people by email.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<user::Model>, ServiceError> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(normalise_email(email)))
        .order_by_asc(user::Column::Id)
        .one(db)
        .await?)
}

/// The account with this email address in one partnership.
pub async fn find_in_partnership(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    email: &str,
) -> Result<Option<user::Model>, ServiceError> {
    Ok(user::Entity::find()
        .filter(user::Column::PartnershipId.eq(partnership_id))
        .filter(user::Column::Email.eq(normalise_email(email)))
        .one(db)
        .await?)
}

/// Why a new password cannot be used, if it cannot.
pub fn check_new_password(password: &SecretString) -> Result<(), String> {
    let text = password.expose_secret();
    if text.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!("the password must be at least {MIN_PASSWORD_LEN} characters"));
    }
    if text.chars().count() > MAX_PASSWORD_LEN {
        return Err(format!("the password must be at most {MAX_PASSWORD_LEN} characters"));
    }
    if crate::domain::text::control_character(text).is_some() {
        return Err("the password cannot contain control characters".into());
    }
    Ok(())
}

/// One user of a partnership, with whether they are disabled and must change their password.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: User,
    pub disabled: bool,
    pub must_change_password: bool,
    pub last_sign_in_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A user of the partnership by id.
pub async fn account(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
) -> Result<Account, ServiceError> {
    let m = user::Entity::find_by_id(id)
        .filter(user::Column::PartnershipId.eq(partnership_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("user {id}")))?;
    Ok(Account {
        user: from_model(&m)?,
        disabled: m.disabled_at.is_some(),
        must_change_password: m.must_change_password,
        last_sign_in_at: m.last_sign_in_at,
    })
}

/// Disables (or enables again) a user: a disabled user cannot sign in, their sessions end and
/// their API tokens stop working until they are enabled.
pub async fn set_disabled(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
    disabled: bool,
    by: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ServiceError> {
    let target = account(db, partnership_id, id).await?;
    if disabled && target.user.id == by {
        return Err(ServiceError::invalid("user", "You cannot disable your own account"));
    }
    user::Entity::update_many()
        .col_expr(user::Column::DisabledAt, sea_orm::sea_query::Expr::value(disabled.then_some(now)))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    if disabled {
        super::auth::end_other_sessions(db, id, None).await?;
    }
    super::auth::changed();
    audit_user(db, partnership_id, by, id, if disabled { "user.disabled" } else { "user.enabled" }).await
}

/// Gives a user a one-time password (an admin resetting a forgotten one): every session of theirs
/// ends, and they must choose their own password when they next sign in.
pub async fn reset_password(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    id: i64,
    one_time: &SecretString,
    by: i64,
) -> Result<(), ServiceError> {
    account(db, partnership_id, id).await?;
    check_new_password(one_time).map_err(|m| ServiceError::invalid("password", m))?;
    let hash = hash_password(one_time).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, sea_orm::sea_query::Expr::value(hash))
        .col_expr(user::Column::MustChangePassword, sea_orm::sea_query::Expr::value(true))
        .col_expr(user::Column::FailedSignIns, sea_orm::sea_query::Expr::value(0))
        .col_expr(
            user::Column::LockedUntil,
            sea_orm::sea_query::Expr::value(None::<chrono::DateTime<chrono::Utc>>),
        )
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    super::auth::end_other_sessions(db, id, None).await?;
    super::auth::changed();
    audit_user(db, partnership_id, by, id, "user.password_reset").await
}

/// A user changes their own password: the current one is checked, and every other session of
/// theirs ends (the one they are using stays).
pub async fn change_password(
    db: &impl ConnectionTrait,
    user_id: i64,
    current: &SecretString,
    new: &SecretString,
    keep_session: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ServiceError> {
    let m = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("user {user_id}")))?;
    let mut errors = Vec::new();
    if !super::auth::verify_password(current, &m.password_hash).await {
        errors.push(FieldError { field: "current".into(), message: "Enter your current password".into() });
    }
    if let Err(message) = check_new_password(new) {
        errors.push(FieldError { field: "new".into(), message: format!("The new password: {message}") });
    } else if current.expose_secret() == new.expose_secret() {
        errors.push(FieldError {
            field: "new".into(),
            message: "Choose a password you have not used here".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let hash = hash_password(new).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, sea_orm::sea_query::Expr::value(hash))
        .col_expr(user::Column::MustChangePassword, sea_orm::sea_query::Expr::value(false))
        .col_expr(user::Column::PasswordChangedAt, sea_orm::sea_query::Expr::value(Some(now)))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    super::auth::end_other_sessions(db, user_id, Some(keep_session)).await?;
    audit_user(db, m.partnership_id, user_id, user_id, "user.password_changed").await
}

async fn audit_user(
    db: &impl ConnectionTrait,
    partnership_id: i64,
    by: i64,
    user_id: i64,
    action: &'static str,
) -> Result<(), ServiceError> {
    super::audit::record(
        db,
        super::audit::Event {
            partnership_id,
            user_id: Some(by),
            action,
            entity: "user",
            entity_id: user_id,
            before: None,
            after: None,
        },
    )
    .await
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<User>, ServiceError> {
    user::Entity::find_by_id(id).one(db).await?.as_ref().map(from_model).transpose()
}

/// The partnership's users, by name, each with whether they are disabled.
pub async fn list_with_status(
    db: &impl ConnectionTrait,
    partnership_id: i64,
) -> Result<Vec<(User, bool)>, ServiceError> {
    user::Entity::find()
        .filter(user::Column::PartnershipId.eq(partnership_id))
        .order_by_asc(user::Column::Name)
        .all(db)
        .await?
        .iter()
        .map(|m| from_model(m).map(|u| (u, m.disabled_at.is_some())))
        .collect()
}

/// The partnership's users, by name.
pub async fn list(db: &impl ConnectionTrait, partnership_id: i64) -> Result<Vec<User>, ServiceError> {
    user::Entity::find()
        .filter(user::Column::PartnershipId.eq(partnership_id))
        .order_by_asc(user::Column::Name)
        .all(db)
        .await?
        .iter()
        .map(from_model)
        .collect()
}
