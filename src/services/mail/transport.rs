//! How a message leaves: over SMTP (lettre, rustls) when `SMTP_URL` is set, or as a `.eml` file
//! in the outbox folder when it is not, so the demo works offline.

use lettre::message::header::ContentType;
use lettre::message::{Attachment as MailAttachment, Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use std::path::PathBuf;

/// The sender every partnership's mail goes out as, when `MAIL_FROM` is not set.
pub const DEFAULT_FROM: &str = "billing@partnership-billing.invalid";

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: String, server: String },
    Folder { dir: PathBuf, from: String },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Mailer {
    /// The mailer the settings describe; an `SMTP_URL` or `MAIL_FROM` that cannot be used is an
    /// error naming it (the password is never repeated).
    pub fn from_settings(
        settings: &crate::settings::EmailSettings,
    ) -> Result<Mailer, crate::settings::SettingsError> {
        let from = settings.from.clone().unwrap_or_else(|| DEFAULT_FROM.to_string());
        if from.parse::<lettre::Address>().is_err() {
            return Err(crate::settings::SettingsError {
                variable: "MAIL_FROM",
                message: format!("\"{from}\" is not an email address like billing@partnership.example"),
            });
        }
        match &settings.smtp_url {
            None => Ok(Mailer::Folder { dir: settings.outbox_dir.clone(), from }),
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|e| crate::settings::SettingsError {
                        variable: "SMTP_URL",
                        message: format!(
                            "{} cannot be used ({e}); write it like smtps://user:password@smtp.example.com:465",
                            crate::settings::redact_url(url.expose_secret())
                        ),
                    })?
                    .timeout(Some(std::time::Duration::from_secs(30)))
                    .build();
                Ok(Mailer::Smtp { transport, from, server: crate::settings::redact_url(url.expose_secret()) })
            }
        }
    }

    /// Where mail goes, in words (never with a password).
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp { server, .. } => format!("sent through the mail server {server}"),
            Mailer::Folder { dir, .. } => {
                format!(
                    "not sent: written as files to the folder {} (set SMTP_URL to send mail)",
                    dir.display()
                )
            }
        }
    }

    pub fn from_address(&self) -> &str {
        match self {
            Mailer::Smtp { from, .. } | Mailer::Folder { from, .. } => from,
        }
    }

    /// Sends one message, or says why the server refused it (its reply, as it gave it).
    pub async fn deliver(&self, message: Message, id: i64) -> Result<(), String> {
        match self {
            Mailer::Smtp { transport, .. } => {
                transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
            }
            Mailer::Folder { dir, .. } => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
                let path = dir.join(format!("message-{id:06}.eml"));
                let partial = dir.join(format!(".message-{id:06}.eml.part"));
                tokio::fs::write(&partial, message.formatted())
                    .await
                    .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
                tokio::fs::rename(&partial, &path)
                    .await
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))
            }
        }
    }
}

/// What goes into one message.
pub struct Envelope<'a> {
    pub id: i64,
    /// The partnership's name, shown as the sender's name.
    pub sender_name: &'a str,
    pub reply_to: Option<&'a str>,
    pub recipients: &'a [String],
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub attachment: Option<(String, Vec<u8>)>,
}

/// The message as lettre builds it: from the partnership (by name) at the service's address,
/// replies to its finance address, plain text and HTML, and the PDF when there is one. Its
/// Message-ID is fixed by the outbox row, so a copy sent again is recognisably the same message.
pub fn build(from: &str, envelope: Envelope<'_>) -> Result<Message, String> {
    let from_address: lettre::Address = from.parse().map_err(|e| format!("MAIL_FROM: {e}"))?;
    let mut builder = Message::builder()
        .from(Mailbox::new(Some(envelope.sender_name.to_string()), from_address))
        .subject(envelope.subject)
        .message_id(Some(format!(
            "<outbox-{}@{}>",
            envelope.id,
            from.rsplit('@').next().unwrap_or("localhost")
        )));
    if let Some(reply_to) = envelope.reply_to {
        let address: lettre::Address =
            reply_to.parse().map_err(|e| format!("the partnership's finance email \"{reply_to}\": {e}"))?;
        builder = builder.reply_to(Mailbox::new(Some(envelope.sender_name.to_string()), address));
    }
    for recipient in envelope.recipients {
        let address: lettre::Address = recipient.parse().map_err(|e| format!("\"{recipient}\": {e}"))?;
        builder = builder.to(Mailbox::new(None, address));
    }
    let body = MultiPart::alternative_plain_html(envelope.text.to_string(), envelope.html.to_string());
    let message = match envelope.attachment {
        None => builder.multipart(body),
        Some((name, bytes)) => builder.multipart(
            MultiPart::mixed().multipart(body).singlepart(
                MailAttachment::new(name)
                    .body(bytes, ContentType::parse("application/pdf").map_err(|e| e.to_string())?),
            ),
        ),
    };
    message.map_err(|e| format!("the message cannot be built: {e}"))
}
