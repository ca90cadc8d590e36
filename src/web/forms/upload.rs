//! Reading a form posted with a file (multipart): its fields, and the file under `file`.

use crate::web::error::PageError;
use crate::web::forms::fields::FormData;
use axum::extract::Multipart;

/// The fields of a multipart form and its `file` (at most `max_file_bytes`); every other field
/// at most 64 KB. Anything larger is refused by name.
pub async fn read_multipart(
    mut multipart: Multipart,
    max_file_bytes: usize,
) -> Result<(FormData, Vec<u8>), PageError> {
    let broken = |e: String| PageError::BadRequest(format!("The form could not be read: {e}"));
    let mut pairs = Vec::new();
    let mut file = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(|e| broken(e.to_string()))? {
        let name = field.name().unwrap_or_default().to_string();
        let limit = if name == "file" { max_file_bytes } else { 64 * 1024 };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| broken(e.to_string()))? {
            if bytes.len() + chunk.len() > limit {
                return Err(PageError::BadRequest(if name == "file" {
                    format!("The file is larger than {} MB: split it", max_file_bytes / (1024 * 1024))
                } else {
                    format!("The form field \"{name}\" is too long")
                }));
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "file" {
            file = bytes;
        } else {
            pairs.push((name, String::from_utf8_lossy(&bytes).to_string()));
        }
    }
    Ok((FormData(pairs), file))
}
