//! Users: who they are, their role, and the school, trust or council they are tied to.

use super::{FieldError, ServiceError};
use crate::domain::role::{Role, SchoolScope, school_scope};
use crate::services::auth::hash_password;
use entity::{local_authority, school, trust, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use secrecy::{ExposeSecret, SecretString};

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 12;

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
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: SecretString,
    pub school_urn: Option<i32>,
    pub trust_name: Option<String>,
    pub local_authority_code: Option<String>,
}

fn normalise_email(email: &str) -> String {
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
    if new.name.trim().is_empty() {
        errors.push(FieldError { field: "name".into(), message: "enter the person's name".into() });
    }
    if new.password.expose_secret().chars().count() < MIN_PASSWORD_LEN {
        errors.push(FieldError {
            field: "password".into(),
            message: format!("the password must be at least {MIN_PASSWORD_LEN} characters"),
        });
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
    if find_by_email(db, &email).await?.is_some() {
        errors.push(FieldError { field: "email".into(), message: format!("{email} already has an account") });
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
        password_hash: Set(hash_password(&new.password)),
        failed_sign_ins: Set(0),
        locked_until: Set(None),
        created_at: Set(chrono::Utc::now()),
        last_sign_in_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    from_model(&model)
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<user::Model>, ServiceError> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(normalise_email(email))).one(db).await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<User>, ServiceError> {
    user::Entity::find_by_id(id).one(db).await?.as_ref().map(from_model).transpose()
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
