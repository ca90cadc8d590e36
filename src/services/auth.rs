//! Passwords (argon2id), sign-in with lock-out, server-side sessions and API tokens.

use super::ServiceError;
use super::users::{User, from_model};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Duration, Utc};
use entity::{api_token, session, user};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Failed sign-ins in a row that lock an account.
pub const MAX_FAILED_SIGN_INS: i32 = 5;
/// How long a locked account stays locked.
pub const LOCK_OUT: Duration = Duration::minutes(15);
/// How long a session lasts from sign-in.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

fn argon2() -> Argon2<'static> {
    // argon2id with OWASP's recommended memory and time costs.
    let params = Params::new(19 * 1024, 2, 1, None).expect("fixed argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &SecretString) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .expect("argon2 hashing with valid parameters cannot fail")
        .to_string()
}

/// Whether `password` matches a stored PHC hash.
pub fn verify_password(password: &SecretString, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| argon2().verify_password(password.expose_secret().as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A fresh random token, 32 bytes as hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 of a token, hex: what the database keeps instead of the token.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Why a sign-in was refused. The message never says whether the email exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefused {
    WrongDetails,
    LockedUntil(DateTime<Utc>),
}

/// A new session: the cookie value (shown once) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie_value: SecretString,
    pub csrf_token: String,
    pub user: User,
}

/// Checks an email and password at `now`, counting failures and locking the account after
/// [`MAX_FAILED_SIGN_INS`] in a row; on success starts a session.
pub async fn sign_in(
    db: &impl ConnectionTrait,
    email: &str,
    password: &SecretString,
    now: DateTime<Utc>,
) -> Result<Result<NewSession, SignInRefused>, ServiceError> {
    let Some(found) = super::users::find_by_email(db, email).await? else {
        // Spend the same time as a real check so response times do not reveal accounts.
        let _ = verify_password(password, DUMMY_HASH);
        return Ok(Err(SignInRefused::WrongDetails));
    };
    if let Some(until) = found.locked_until.filter(|until| *until > now) {
        return Ok(Err(SignInRefused::LockedUntil(until)));
    }
    if !verify_password(password, &found.password_hash) {
        let failures = found.failed_sign_ins + 1;
        let mut active: user::ActiveModel = found.into();
        if failures >= MAX_FAILED_SIGN_INS {
            let until = now + LOCK_OUT;
            active.failed_sign_ins = Set(0);
            active.locked_until = Set(Some(until));
            active.update(db).await?;
            return Ok(Err(SignInRefused::LockedUntil(until)));
        }
        active.failed_sign_ins = Set(failures);
        active.update(db).await?;
        return Ok(Err(SignInRefused::WrongDetails));
    }
    let user = from_model(&found)?;
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
    }
    .insert(db)
    .await?;
    Ok(Ok(NewSession { cookie_value: SecretString::from(cookie_value), csrf_token, user }))
}

/// The user and CSRF token of a live session cookie.
pub async fn session_user(
    db: &impl ConnectionTrait,
    cookie_value: &str,
    now: DateTime<Utc>,
) -> Result<Option<(User, String)>, ServiceError> {
    let Some(found) = session::Entity::find_by_id(token_digest(cookie_value)).one(db).await? else {
        return Ok(None);
    };
    if found.expires_at <= now {
        session::Entity::delete_by_id(found.id).exec(db).await?;
        return Ok(None);
    }
    let user = super::users::get(db, found.user_id).await?;
    Ok(user.map(|u| (u, found.csrf_token)))
}

/// Ends a session.
pub async fn sign_out(db: &impl ConnectionTrait, cookie_value: &str) -> Result<(), ServiceError> {
    session::Entity::delete_by_id(token_digest(cookie_value)).exec(db).await?;
    Ok(())
}

/// Creates an API token for a user; the token is returned once and only its digest is kept.
pub async fn create_api_token(
    db: &impl ConnectionTrait,
    user_id: i64,
    name: &str,
) -> Result<SecretString, ServiceError> {
    if name.trim().is_empty() {
        return Err(ServiceError::invalid("name", "give the token a name that says what uses it"));
    }
    let token = format!("pb_{}", random_token());
    api_token::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.trim().to_string()),
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

/// The user an API token belongs to, unless it is unknown or revoked.
pub async fn api_token_user(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<User>, ServiceError> {
    let Some(found) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_digest(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let user_id = found.user_id;
    let mut active: api_token::ActiveModel = found.into();
    active.last_used_at = Set(Some(now));
    active.update(db).await?;
    super::users::get(db, user_id).await
}

/// An argon2id hash of a random string, verified against when the email is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Fh2mYkxmb0UwC4Yw9fyHk2GS1ab7ZbzsvcTQ+d8CJQ";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let pw = SecretString::from("correct horse battery staple");
        let hash = hash_password(&pw);
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&pw, &hash));
        assert!(!verify_password(&SecretString::from("wrong"), &hash));
        assert!(!verify_password(&pw, "not a hash"));
        assert_ne!(hash, hash_password(&pw), "salts differ");
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn tokens_are_random_and_digests_stable() {
        assert_ne!(random_token(), random_token());
        assert_eq!(token_digest("a"), token_digest("a"));
        assert_eq!(token_digest("a").len(), 64);
    }
}
