//! Passwords (argon2id, on the blocking pool), sign-in with an atomic lock-out, server-side
//! sessions with an idle timeout, and API tokens.

mod cache;
mod passwords;
mod sessions;
mod sign_in;
mod tokens;

pub use cache::{AuthCache, TRUSTED_FOR, changed};
pub use passwords::{hash_password, random_token, token_digest, verify_password};
pub use sessions::{
    IDLE_TIMEOUT, SESSION_LIFETIME, SessionInfo, SessionUser, end_other_sessions, end_session, session_user,
    sessions_of, sign_out,
};
pub use sign_in::{
    LOCK_OUT, MAX_FAILED_SIGN_INS, NewSession, SignInAttempt, SignInOutcome, SignInRefused, sign_in,
};
pub use tokens::{TokenInfo, api_token_user, create_api_token, revoke_token, tokens_of};

/// How often a session's or token's last use is written: reads stay reads.
pub const USE_RECORDED_EVERY: chrono::Duration = chrono::Duration::minutes(1);
