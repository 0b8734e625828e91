//! What the accessibility statement (`/accessibility`) names per deployment, as the Web
//! Accessibility Directive (EU) 2016/2102 requires of a public sector body's site: where visitors
//! send feedback (`GOVSKILLS_ACCESSIBILITY_CONTACT`) and the enforcement body they may turn to
//! when the answer does not satisfy them (`GOVSKILLS_ACCESSIBILITY_ENFORCEMENT_URL`). Both are
//! required in production; development shows placeholders.

use anyhow::bail;

use crate::config::Config;

/// The placeholders of a development server.
const DEVELOPMENT_CONTACT: &str = "accessibility@example.org";
const DEVELOPMENT_ENFORCEMENT_URL: &str = "https://example.org/accessibility-enforcement";

/// Where feedback goes: an email address or a web page (a contact form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contact {
    Email(String),
    Url(String),
}

impl Contact {
    /// An email address (`name@example.org` or `mailto:name@example.org`) or an `https://`
    /// (or `http://`) URL.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim();
        let address = raw.strip_prefix("mailto:").unwrap_or(raw);
        if raw.starts_with("https://") || raw.starts_with("http://") {
            return web_url(raw, "GOVSKILLS_ACCESSIBILITY_CONTACT").map(Self::Url);
        }
        match address.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && domain.contains('.')
                    && !address.contains(char::is_whitespace)
                    && !address.contains(['<', '>', '"', '?', '/']) =>
            {
                Ok(Self::Email(address.to_owned()))
            }
            _ => bail!(
                "GOVSKILLS_ACCESSIBILITY_CONTACT must be an email address or an https:// URL, not {raw:?}"
            ),
        }
    }

    /// The link to it.
    pub fn href(&self) -> String {
        match self {
            Self::Email(address) => format!("mailto:{address}"),
            Self::Url(url) => url.clone(),
        }
    }

    /// What the link says.
    pub fn text(&self) -> &str {
        match self {
            Self::Email(address) | Self::Url(address) => address,
        }
    }
}

fn web_url(raw: &str, variable: &str) -> anyhow::Result<String> {
    match url::Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "https" | "http") && url.host().is_some() => {
            Ok(url.to_string())
        }
        _ => bail!("{variable} must be an https:// URL, not {raw:?}"),
    }
}

/// The deployment's accessibility contacts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accessibility {
    pub contact: Contact,
    /// The enforcement body's page.
    pub enforcement_url: String,
}

impl Accessibility {
    /// From the configuration: both set in production, placeholders for what development
    /// leaves unset.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let production = config.is_production();
        let contact = match (&config.accessibility_contact, production) {
            (Some(contact), _) => contact.as_str(),
            (None, false) => DEVELOPMENT_CONTACT,
            (None, true) => bail!(
                "GOVSKILLS_ENV=production needs the accessibility statement's feedback contact (the Web Accessibility Directive requires one): set GOVSKILLS_ACCESSIBILITY_CONTACT to an email address or an https:// URL"
            ),
        };
        let enforcement = match (&config.accessibility_enforcement_url, production) {
            (Some(url), _) => url.as_str(),
            (None, false) => DEVELOPMENT_ENFORCEMENT_URL,
            (None, true) => bail!(
                "GOVSKILLS_ENV=production needs the enforcement body the accessibility statement names: set GOVSKILLS_ACCESSIBILITY_ENFORCEMENT_URL to its https:// page"
            ),
        };
        Ok(Self {
            contact: Contact::parse(contact)?,
            enforcement_url: web_url(
                enforcement.trim(),
                "GOVSKILLS_ACCESSIBILITY_ENFORCEMENT_URL",
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Environment;

    #[test]
    fn a_contact_is_an_email_address_or_a_web_page() {
        assert_eq!(
            Contact::parse(" a11y@agency.example ").expect("an address"),
            Contact::Email("a11y@agency.example".into())
        );
        assert_eq!(
            Contact::parse("mailto:a11y@agency.example")
                .expect("an address")
                .href(),
            "mailto:a11y@agency.example"
        );
        assert_eq!(
            Contact::parse("https://agency.example/feedback").expect("a page"),
            Contact::Url("https://agency.example/feedback".into())
        );
        for wrong in [
            "",
            "nobody",
            "a@b",
            "javascript:alert(1)",
            "https://",
            "a b@c.example",
        ] {
            assert!(Contact::parse(wrong).is_err(), "{wrong:?}");
        }
    }

    #[test]
    fn development_has_placeholders_and_production_needs_both() {
        let mut config = Config::defaults();
        let development = Accessibility::from_config(&config).expect("placeholders");
        assert_eq!(
            development.contact,
            Contact::Email(DEVELOPMENT_CONTACT.into())
        );
        config.environment = Environment::Production;
        let err = Accessibility::from_config(&config).expect_err("refused");
        assert!(
            err.to_string().contains("GOVSKILLS_ACCESSIBILITY_CONTACT"),
            "{err}"
        );
        config.accessibility_contact = Some("https://agency.example/feedback".into());
        let err = Accessibility::from_config(&config).expect_err("refused");
        assert!(
            err.to_string()
                .contains("GOVSKILLS_ACCESSIBILITY_ENFORCEMENT_URL"),
            "{err}"
        );
        config.accessibility_enforcement_url = Some("ftp://enforcement.example".into());
        assert!(Accessibility::from_config(&config).is_err());
        config.accessibility_enforcement_url = Some("https://enforcement.example/".into());
        let set = Accessibility::from_config(&config).expect("both set");
        assert_eq!(set.enforcement_url, "https://enforcement.example/");
    }
}
