//! Uploads written to a temporary file as they arrive, so an upload of any size (up to the
//! limit) costs little memory; the file is read back a chunk at a time and removed when dropped.

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use std::io::Write;

/// An upload on disk.
pub struct Spooled {
    pub file: std::fs::File,
    pub bytes: u64,
}

/// Why an upload could not be kept.
#[derive(Debug)]
pub enum SpoolError {
    /// More than the upload limit.
    TooLarge,
    /// The upload broke off or could not be written.
    Broken(String),
}

/// Writes `stream` to a new temporary file.
pub async fn spool<S, E>(mut stream: S) -> Result<Spooled, SpoolError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut file = tempfile::tempfile().map_err(|e| SpoolError::Broken(e.to_string()))?;
    let mut bytes = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            let text = e.to_string();
            if text.contains("length limit") { SpoolError::TooLarge } else { SpoolError::Broken(text) }
        })?;
        bytes += chunk.len() as u64;
        file.write_all(&chunk).map_err(|e| SpoolError::Broken(e.to_string()))?;
    }
    Ok(Spooled { file, bytes })
}
