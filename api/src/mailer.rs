//! Sending email through an SMTP relay with `lettre`: `GOVSKILLS_SMTP_URL` (`smtp://host:25`,
//! `smtp://user:password@host:587?tls=required` for STARTTLS, `smtps://user:password@host:465`
//! for TLS from the start) and `GOVSKILLS_MAIL_FROM`. TLS uses rustls with the system's
//! certificate authorities.

use anyhow::{Context as _, bail};
use govskills_domain::notifications::Outgoing;
use lettre::{
    AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor,
    message::{
        Mailbox, MultiPart,
        header::{HeaderName, HeaderValue},
    },
};
use secrecy::ExposeSecret as _;

use crate::config::Config;

/// An SMTP relay and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of the sender address, for Message-IDs.
    domain: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// The configured relay, or `None` without `GOVSKILLS_SMTP_URL` (then notifications stay in
    /// the app). A URL without a host, or an unusable sender, is an error.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        let Some(url) = &config.smtp_url else {
            return Ok(None);
        };
        let url = url.expose_secret();
        let parsed = url::Url::parse(url).context("GOVSKILLS_SMTP_URL is not a URL")?;
        if !matches!(parsed.scheme(), "smtp" | "smtps") {
            bail!("GOVSKILLS_SMTP_URL must start with smtp:// or smtps://");
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            bail!("GOVSKILLS_SMTP_URL has no host (e.g. smtp://mail.example.org:587?tls=required)");
        }
        let Some(from) = &config.mail_from else {
            bail!("GOVSKILLS_SMTP_URL needs GOVSKILLS_MAIL_FROM, the sender address");
        };
        let from: Mailbox = from
            .parse()
            .with_context(|| format!("GOVSKILLS_MAIL_FROM {from:?} is not an email address"))?;
        let domain = from.email.domain().to_owned();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("GOVSKILLS_SMTP_URL cannot be used")?
            .build();
        Ok(Some(Self {
            transport,
            from,
            domain,
        }))
    }

    /// The domain Message-IDs end in.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Sends one notification's email: plain text and HTML, with its recorded Message-ID and,
    /// where it can be switched off, `List-Unsubscribe` (one click, RFC 8058).
    pub async fn send(&self, email: &Outgoing) -> anyhow::Result<()> {
        let to: Mailbox = format!(
            "{} <{}>",
            email.display_name.replace(['<', '>', '"'], ""),
            email.to
        )
        .parse()
        .or_else(|_| email.to.parse())
        .with_context(|| format!("cannot address {:?}", email.to))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.message.subject.clone())
            .message_id(Some(email.message_id.clone()));
        if let Some(url) = &email.unsubscribe_url {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                email.message.text.clone(),
                email.message.html.clone(),
            ))
            .context("the message cannot be built")?;
        self.transport
            .send(message)
            .await
            .context("the SMTP relay refused the message")?;
        Ok(())
    }
}
