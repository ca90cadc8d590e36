//! Secrets a partnership gives the service (its Stripe secret key and webhook signing secret),
//! sealed before they are stored, with the key from the `PB_SECRET_KEY` environment variable.
//!
//! XChaCha20-Poly1305 with a fresh random nonce for every seal. What the secret is for (the
//! partnership and the field) is bound in as associated data, so a sealed value copied into
//! another partnership's row or another field does not open. A sealed value reads
//! `v1:` then the nonce and ciphertext in hexadecimal.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox, SecretString};

/// How many bytes the key has: 32, typed as 64 hexadecimal characters.
pub const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;
const VERSION: &str = "v1:";

/// The key secrets are sealed with. Never printed.
pub struct SealingKey(SecretBox<[u8; KEY_BYTES]>);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(***)")
    }
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the stored secret is not in a form this service seals")]
    Malformed,
    #[error("the stored secret does not open with this PB_SECRET_KEY (was the key changed?)")]
    WrongKey,
}

impl SealingKey {
    /// The key from its text: 64 hexadecimal characters (make one with `openssl rand -hex 32`).
    pub fn from_text(text: &str) -> Result<SealingKey, String> {
        let text = text.trim();
        let bytes = hex::decode(text)
            .ok()
            .filter(|b| b.len() == KEY_BYTES)
            .ok_or_else(|| {
                format!(
                    "the key must be {} hexadecimal characters (make one with `openssl rand -hex 32`); this one has {} characters",
                    KEY_BYTES * 2,
                    text.chars().count()
                )
            })?;
        let mut key = [0u8; KEY_BYTES];
        key.copy_from_slice(&bytes);
        Ok(SealingKey(SecretBox::new(Box::new(key))))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.expose_secret().into())
    }

    /// Seals `secret` for `purpose` (for example `partnership:7:stripe_secret_key`).
    pub fn seal(&self, purpose: &str, secret: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret.as_bytes(), aad: purpose.as_bytes() })
            // Encryption fails only for a message beyond 256 GiB.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{VERSION}{}", hex::encode(out))
    }

    /// Opens a value [`SealingKey::seal`] made for the same `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<SecretString, OpenError> {
        let bytes = sealed
            .strip_prefix(VERSION)
            .and_then(|h| hex::decode(h).ok())
            .filter(|b| b.len() > NONCE_BYTES)
            .ok_or(OpenError::Malformed)?;
        let (nonce, body) = bytes.split_at(NONCE_BYTES);
        let plain = self
            .cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: purpose.as_bytes() })
            .map_err(|_| OpenError::WrongKey)?;
        String::from_utf8(plain).map(SecretString::from).map_err(|_| OpenError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_sealed_secret_opens_only_for_its_purpose_and_key() {
        let key = SealingKey::from_text(KEY).unwrap();
        let sealed = key.seal("partnership:1:stripe_secret_key", "sk_test_abc");
        assert!(sealed.starts_with("v1:") && !sealed.contains("sk_test_abc"));
        assert_eq!(
            key.open("partnership:1:stripe_secret_key", &sealed).unwrap().expose_secret(),
            "sk_test_abc"
        );
        // The same secret sealed twice differs (a fresh nonce each time).
        assert_ne!(sealed, key.seal("partnership:1:stripe_secret_key", "sk_test_abc"));
        assert_eq!(key.open("partnership:2:stripe_secret_key", &sealed).unwrap_err(), OpenError::WrongKey);
        let other = SealingKey::from_text(&KEY.replace("00", "ff")).unwrap();
        assert_eq!(other.open("partnership:1:stripe_secret_key", &sealed).unwrap_err(), OpenError::WrongKey);
        let mut tampered = sealed.clone();
        tampered.replace_range(sealed.len() - 2.., "00");
        assert!(key.open("partnership:1:stripe_secret_key", &tampered).is_err());
        assert_eq!(key.open("x", "sk_test_abc").unwrap_err(), OpenError::Malformed);
        assert_eq!(key.open("x", "v1:zz").unwrap_err(), OpenError::Malformed);
    }

    #[test]
    fn a_bad_key_is_named_and_never_printed() {
        assert!(SealingKey::from_text("short").unwrap_err().contains("64 hexadecimal characters"));
        assert!(SealingKey::from_text(&"g".repeat(64)).is_err());
        let key = SealingKey::from_text(KEY).unwrap();
        assert_eq!(format!("{key:?}"), "SealingKey(***)");
    }
}
