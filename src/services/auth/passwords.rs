//! Password hashing with argon2id, run on the blocking pool so that sign-ins never stall the
//! async workers that answer every other request.

use super::super::ServiceError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// argon2id with OWASP's recommended memory and time costs.
fn argon2() -> Result<Argon2<'static>, ServiceError> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| ServiceError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with argon2id and a random salt (a PHC string).
pub async fn hash_password(password: &SecretString) -> Result<String, ServiceError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()?
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("argon2 hashing: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("password hashing stopped: {e}")))?
}

/// Whether `password` matches a stored PHC hash.
pub async fn verify_password(password: &SecretString, hash: &str) -> bool {
    let (password, hash) = (password.clone(), hash.to_string());
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else { return false };
        argon2().is_ok_and(|a| a.verify_password(password.expose_secret().as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// Spends the time of a real check, so that answers about unknown, locked or disabled accounts
/// take as long as answers about real ones.
pub async fn spend_a_check(password: &SecretString) {
    let _ = verify_password(password, DUMMY_HASH).await;
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

/// An argon2id hash of a random string, verified against when there is no real one to check.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3Fh2mYkxmb0UwC4Yw9fyHk2GS1ab7ZbzsvcTQ+d8CJQ";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let pw = SecretString::from("correct horse battery staple");
        let hash = hash_password(&pw).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&pw, &hash).await);
        assert!(!verify_password(&SecretString::from("wrong"), &hash).await);
        assert!(!verify_password(&pw, "not a hash").await);
        assert_ne!(hash, hash_password(&pw).await.unwrap(), "salts differ");
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
