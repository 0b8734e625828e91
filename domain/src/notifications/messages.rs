//! The texts of notifications: subject, plain text, HTML and the link, for every kind in
//! English, German and French. Pure rendering: no database, no I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Assigned,
    DueSoon,
    DueTomorrow,
    Overdue,
    CertificateIssued,
    CertificateExpiring,
    CertificateRevoked,
    /// For HR officers who switch it on: a weekly count of overdue staff in their units.
    HrDigest,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Assigned,
        Kind::DueSoon,
        Kind::DueTomorrow,
        Kind::Overdue,
        Kind::CertificateIssued,
        Kind::CertificateExpiring,
        Kind::CertificateRevoked,
        Kind::HrDigest,
    ];

    /// The stored name: `assigned`, `due_soon`, `due_tomorrow`, `overdue`,
    /// `certificate_issued`, `certificate_expiring`, `certificate_revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Assigned => "assigned",
            Kind::DueSoon => "due_soon",
            Kind::DueTomorrow => "due_tomorrow",
            Kind::Overdue => "overdue",
            Kind::CertificateIssued => "certificate_issued",
            Kind::CertificateExpiring => "certificate_expiring",
            Kind::CertificateRevoked => "certificate_revoked",
            Kind::HrDigest => "hr_digest",
        }
    }

    /// The kind with that stored name (exactly as [`Kind::as_str`] spells it).
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// Whether the employer makes it mandatory (assignment and overdue of mandatory training):
    /// these cannot be switched off, and say so.
    pub fn mandatory(self) -> bool {
        matches!(self, Kind::Assigned | Kind::Overdue)
    }

    /// Whether its emails are sent unless switched off; the HR digest is sent only to those who
    /// switch it on.
    pub fn email_by_default(self) -> bool {
        self != Kind::HrDigest
    }
}

/// The facts a message names (all optional; each kind uses its own).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    pub course_id: Option<Uuid>,
    pub course_title: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub days: Option<i64>,
    pub certificate_title: Option<String>,
    pub code: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub rollout_reason: Option<String>,
    /// How many people a digest counts.
    pub people: Option<i64>,
}

/// A rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// One line, without control characters.
    pub subject: String,
    /// The plain-text body: paragraphs, then a `-- ` line and the footer.
    pub text: String,
    /// The same as a small HTML document.
    pub html: String,
    /// Where the message points: the course, the certificate's verify page, or the start page.
    pub link: String,
}

/// The languages there are templates for; anything else falls back to English.
pub const LANGUAGES: [&str; 3] = ["en", "de", "fr"];

/// The template language for a BCP 47 tag: "de-AT" -> "de", "fr" -> "fr", "pt-BR"/"" -> "en"
/// (primary subtag, case-insensitive).
pub fn language(locale: &str) -> &'static str {
    let primary = locale.split(['-', '_']).next().unwrap_or_default().trim();
    LANGUAGES
        .into_iter()
        .find(|language| language.eq_ignore_ascii_case(primary))
        .unwrap_or("en")
}

/// Renders `kind` with `params` in `locale` (see [`language`]).
///
/// Every link is built from `public_url` (a trailing slash is ignored): a course
/// `{public_url}/courses/{courseId}`, a certificate `{public_url}/verify/{code}`, otherwise
/// `{public_url}/`. The course kinds link to the course; `CertificateIssued` and
/// `CertificateRevoked` to the certificate; `CertificateExpiring` to the course when `course_id`
/// is given (to renew), else to the certificate.
///
/// Kinds that are not [mandatory](Kind::mandatory) end with "Stop these emails: {unsubscribe_url}"
/// (nothing when `unsubscribe_url` is empty, as for the app); mandatory kinds instead say that the
/// message is sent because the training is mandatory and cannot be switched off.
pub fn render(
    kind: Kind,
    params: &Params,
    locale: &str,
    public_url: &str,
    unsubscribe_url: &str,
) -> Message {
    let lang = language(locale);
    let link = link(kind, params, public_url);
    let draft = match lang {
        "de" => german(kind, params, &link),
        "fr" => french(kind, params, &link),
        _ => english(kind, params, &link),
    };
    let footer = if kind.mandatory() {
        Block::Text(draft.words.mandatory.to_owned())
    } else if unsubscribe_url.is_empty() {
        Block::Empty
    } else {
        Block::Link {
            label: draft.words.unsubscribe.to_owned(),
            url: unsubscribe_url.to_owned(),
        }
    };
    let subject = one_line(&draft.subject);

    let mut text = String::new();
    let mut body = String::new();
    for block in &draft.blocks {
        text.push_str(&block.text());
        text.push_str("\n\n");
        body.push_str(&block.html());
        body.push('\n');
    }
    let text = match footer {
        Block::Empty => format!("{}\n", text.trim_end()),
        _ => format!("{text}-- \n{}\n", footer.text()),
    };
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n</head>\n<body>\n{body}{}</body>\n</html>\n",
        escape(&subject),
        match footer {
            Block::Empty => String::new(),
            _ => format!("{}\n", footer.html()),
        },
    );
    Message {
        subject,
        text,
        html,
        link,
    }
}

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A subject line: control characters (a line break in a title) become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A path segment: everything but RFC 3986 unreserved characters percent-encoded.
fn segment(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn link(kind: Kind, params: &Params, public_url: &str) -> String {
    let base = public_url.trim_end_matches('/');
    let course = params.course_id.map(|id| format!("{base}/courses/{id}"));
    let certificate = params
        .code
        .as_deref()
        .filter(|code| !code.is_empty())
        .map(|code| format!("{base}/verify/{}", segment(code)));
    let found = match kind {
        Kind::Assigned | Kind::DueSoon | Kind::DueTomorrow | Kind::Overdue => course,
        Kind::CertificateIssued | Kind::CertificateRevoked => certificate,
        Kind::CertificateExpiring => course.or(certificate),
        Kind::HrDigest => None,
    };
    found.unwrap_or_else(|| format!("{base}/"))
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// A paragraph of a message.
enum Block {
    Text(String),
    /// `label: url`, the URL a link in HTML.
    Link {
        label: String,
        url: String,
    },
    Empty,
}

impl Block {
    fn text(&self) -> String {
        match self {
            Block::Text(text) => text.clone(),
            Block::Link { label, url } => format!("{label} {url}"),
            Block::Empty => String::new(),
        }
    }

    fn html(&self) -> String {
        match self {
            Block::Text(text) => format!("<p>{}</p>", escape(text)),
            Block::Link { label, url } => {
                let url = escape(url);
                format!("<p>{} <a href=\"{url}\">{url}</a></p>", escape(label))
            }
            Block::Empty => String::new(),
        }
    }
}

/// The fixed phrases of one language.
struct Words {
    /// The footer of mandatory kinds.
    mandatory: &'static str,
    /// The label of the unsubscribe link, with its colon.
    unsubscribe: &'static str,
}

const ENGLISH: Words = Words {
    mandatory: "You receive this message because this training is mandatory; \
                this notification cannot be switched off.",
    unsubscribe: "Stop these emails:",
};

const GERMAN: Words = Words {
    mandatory: "Sie erhalten diese Nachricht, weil die Schulung verpflichtend ist; \
                diese Benachrichtigung kann nicht abbestellt werden.",
    unsubscribe: "Diese E-Mails abbestellen:",
};

const FRENCH: Words = Words {
    mandatory: "Vous recevez ce message parce que cette formation est obligatoire ; \
                cette notification ne peut pas être désactivée.",
    unsubscribe: "Ne plus recevoir ces e-mails :",
};

/// A message before rendering: its subject and paragraphs in one language.
struct Draft {
    words: &'static Words,
    subject: String,
    blocks: Vec<Block>,
}

/// The values a template interpolates, with a language's fallbacks for missing ones.
struct Values {
    course: String,
    certificate: String,
    due: Option<String>,
    expires: Option<String>,
    days: Option<i64>,
    reason: Option<String>,
    rollout_reason: Option<String>,
}

impl Values {
    fn new(params: &Params, untitled_course: &str, untitled_certificate: &str) -> Self {
        let given = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        Self {
            course: given(&params.course_title).unwrap_or_else(|| untitled_course.to_owned()),
            certificate: given(&params.certificate_title)
                .unwrap_or_else(|| untitled_certificate.to_owned()),
            due: params.due_at.map(date),
            expires: params.expires_at.map(date),
            days: params.days,
            reason: given(&params.reason),
            rollout_reason: given(&params.rollout_reason),
        }
    }
}

fn text(text: impl Into<String>) -> Block {
    Block::Text(text.into())
}

fn link_block(label: &str, url: &str) -> Block {
    Block::Link {
        label: label.to_owned(),
        url: url.to_owned(),
    }
}

fn english(kind: Kind, params: &Params, link: &str) -> Draft {
    let v = Values::new(params, "Untitled course", "Certificate");
    let days = |n: i64| {
        if n == 1 {
            "1 day".to_owned()
        } else {
            format!("{n} days")
        }
    };
    let open_course = "Open the course:";
    let verification = "Verification page:";
    let (subject, blocks) = match kind {
        Kind::Assigned => {
            let mut first = format!(
                "You have been assigned the mandatory training “{}”.",
                v.course
            );
            if let Some(due) = &v.due {
                first.push_str(&format!(" Please complete it by {due}."));
            }
            let mut blocks = vec![text("Hello,"), text(first)];
            if let Some(reason) = &v.rollout_reason {
                blocks.push(text(format!("Reason for the assignment: {reason}")));
            }
            blocks.push(link_block(open_course, link));
            (format!("New mandatory training: {}", v.course), blocks)
        }
        Kind::DueSoon => {
            let (subject, when) = match (v.days, &v.due) {
                (Some(n), Some(due)) => (
                    format!("Due in {}: {}", days(n), v.course),
                    format!("is due in {} (on {due})", days(n)),
                ),
                (Some(n), None) => (
                    format!("Due in {}: {}", days(n), v.course),
                    format!("is due in {}", days(n)),
                ),
                (None, Some(due)) => (
                    format!("Due soon: {}", v.course),
                    format!("is due on {due}"),
                ),
                (None, None) => (format!("Due soon: {}", v.course), "is due soon".to_owned()),
            };
            let blocks = vec![
                text("Hello,"),
                text(format!(
                    "Your training “{}” {when}. Please make sure you complete it in time.",
                    v.course
                )),
                link_block(open_course, link),
            ];
            (subject, blocks)
        }
        Kind::DueTomorrow => {
            let when = match &v.due {
                Some(due) => format!("is due tomorrow ({due})"),
                None => "is due tomorrow".to_owned(),
            };
            let blocks = vec![
                text("Hello,"),
                text(format!(
                    "Your training “{}” {when}. Please complete it before the deadline.",
                    v.course
                )),
                link_block(open_course, link),
            ];
            (format!("Due tomorrow: {}", v.course), blocks)
        }
        Kind::Overdue => {
            let since = match &v.due {
                Some(due) => format!("has been overdue since {due}"),
                None => "is overdue".to_owned(),
            };
            let blocks = vec![
                text("Hello,"),
                text(format!(
                    "Your mandatory training “{}” {since}. Please complete it as soon as possible.",
                    v.course
                )),
                link_block(open_course, link),
            ];
            (format!("Overdue: {}", v.course), blocks)
        }
        Kind::CertificateIssued => {
            let mut first = format!(
                "Congratulations! You have been awarded the certificate “{}”.",
                v.certificate
            );
            if let Some(expires) = &v.expires {
                first.push_str(&format!(" It is valid until {expires}."));
            }
            let blocks = vec![
                text("Hello,"),
                text(first),
                text(
                    "Anyone you show it to can check on its verification page that it is genuine.",
                ),
                link_block(verification, link),
            ];
            (format!("Your certificate: {}", v.certificate), blocks)
        }
        Kind::CertificateExpiring => {
            let when = match (&v.expires, v.days) {
                (Some(on), Some(n)) => format!("expires on {on} (in {})", days(n)),
                (Some(on), None) => format!("expires on {on}"),
                (None, Some(n)) => format!("expires in {}", days(n)),
                (None, None) => "expires soon".to_owned(),
            };
            let label = if params.course_id.is_some() {
                open_course
            } else {
                verification
            };
            let blocks = vec![
                text("Hello,"),
                text(format!(
                    "Your certificate “{}” {when}. Renew it in time so that it stays valid.",
                    v.certificate
                )),
                link_block(label, link),
            ];
            (
                format!("Your certificate expires soon: {}", v.certificate),
                blocks,
            )
        }
        Kind::CertificateRevoked => {
            let mut blocks = vec![
                text("Hello,"),
                text(format!(
                    "Your certificate “{}” has been revoked.",
                    v.certificate
                )),
            ];
            if let Some(reason) = &v.reason {
                blocks.push(text(format!("Reason: {reason}")));
            }
            blocks.push(text(
                "If you believe this is a mistake, please contact your HR department.",
            ));
            blocks.push(link_block(verification, link));
            (format!("Certificate revoked: {}", v.certificate), blocks)
        }
        Kind::HrDigest => {
            let n = params.people.unwrap_or(0);
            let people = if n == 1 {
                "1 person".to_owned()
            } else {
                format!("{n} people")
            };
            let blocks = vec![
                text("Hello,"),
                text(format!(
                    "This week {people} in your units are overdue with mandatory training. \
                     The completion report in GovSkills names them."
                )),
                link_block("GovSkills:", link),
            ];
            (format!("Weekly digest: {people} overdue"), blocks)
        }
    };
    Draft {
        words: &ENGLISH,
        subject,
        blocks,
    }
}

fn german(kind: Kind, params: &Params, link: &str) -> Draft {
    let v = Values::new(params, "Unbenannte Schulung", "Zertifikat");
    let days = |n: i64| {
        if n == 1 {
            "1 Tag".to_owned()
        } else {
            format!("{n} Tagen")
        }
    };
    let open_course = "Zur Schulung:";
    let verification = "Echtheitsprüfung:";
    let (subject, blocks) = match kind {
        Kind::Assigned => {
            let mut first = format!("Ihnen wurde die Pflichtschulung „{}“ zugewiesen.", v.course);
            if let Some(due) = &v.due {
                first.push_str(&format!(" Bitte schließen Sie sie bis zum {due} ab."));
            }
            let mut blocks = vec![text("Guten Tag,"), text(first)];
            if let Some(reason) = &v.rollout_reason {
                blocks.push(text(format!("Grund der Zuweisung: {reason}")));
            }
            blocks.push(link_block(open_course, link));
            (format!("Neue Pflichtschulung: {}", v.course), blocks)
        }
        Kind::DueSoon => {
            let (subject, when) = match (v.days, &v.due) {
                (Some(n), Some(due)) => (
                    format!("In {} fällig: {}", days(n), v.course),
                    format!("ist in {} fällig (am {due})", days(n)),
                ),
                (Some(n), None) => (
                    format!("In {} fällig: {}", days(n), v.course),
                    format!("ist in {} fällig", days(n)),
                ),
                (None, Some(due)) => (
                    format!("Bald fällig: {}", v.course),
                    format!("ist am {due} fällig"),
                ),
                (None, None) => (
                    format!("Bald fällig: {}", v.course),
                    "ist bald fällig".to_owned(),
                ),
            };
            let blocks = vec![
                text("Guten Tag,"),
                text(format!(
                    "Ihre Schulung „{}“ {when}. Bitte schließen Sie sie rechtzeitig ab.",
                    v.course
                )),
                link_block(open_course, link),
            ];
            (subject, blocks)
        }
        Kind::DueTomorrow => {
            let when = match &v.due {
                Some(due) => format!("ist morgen fällig ({due})"),
                None => "ist morgen fällig".to_owned(),
            };
            let blocks = vec![
                text("Guten Tag,"),
                text(format!(
                    "Ihre Schulung „{}“ {when}. Bitte schließen Sie sie bis dahin ab.",
                    v.course
                )),
                link_block(open_course, link),
            ];
            (format!("Morgen fällig: {}", v.course), blocks)
        }
        Kind::Overdue => {
            let since = match &v.due {
                Some(due) => format!("ist seit dem {due} überfällig"),
                None => "ist überfällig".to_owned(),
            };
            let blocks = vec![
                text("Guten Tag,"),
                text(format!(
                    "Ihre Pflichtschulung „{}“ {since}. Bitte schließen Sie sie so bald wie möglich ab.",
                    v.course
                )),
                link_block(open_course, link),
            ];
            (format!("Überfällig: {}", v.course), blocks)
        }
        Kind::CertificateIssued => {
            let mut first = format!(
                "Herzlichen Glückwunsch! Ihnen wurde das Zertifikat „{}“ ausgestellt.",
                v.certificate
            );
            if let Some(expires) = &v.expires {
                first.push_str(&format!(" Es ist gültig bis zum {expires}."));
            }
            let blocks = vec![
                text("Guten Tag,"),
                text(first),
                text(
                    "Wem Sie es zeigen, der kann auf seiner Prüfseite nachsehen, dass es echt ist.",
                ),
                link_block(verification, link),
            ];
            (format!("Ihr Zertifikat: {}", v.certificate), blocks)
        }
        Kind::CertificateExpiring => {
            let when = match (&v.expires, v.days) {
                (Some(on), Some(n)) => format!("läuft am {on} ab (in {})", days(n)),
                (Some(on), None) => format!("läuft am {on} ab"),
                (None, Some(n)) => format!("läuft in {} ab", days(n)),
                (None, None) => "läuft bald ab".to_owned(),
            };
            let label = if params.course_id.is_some() {
                open_course
            } else {
                verification
            };
            let blocks = vec![
                text("Guten Tag,"),
                text(format!(
                    "Ihr Zertifikat „{}“ {when}. Erneuern Sie es rechtzeitig, damit es gültig bleibt.",
                    v.certificate
                )),
                link_block(label, link),
            ];
            (
                format!("Ihr Zertifikat läuft bald ab: {}", v.certificate),
                blocks,
            )
        }
        Kind::CertificateRevoked => {
            let mut blocks = vec![
                text("Guten Tag,"),
                text(format!(
                    "Ihr Zertifikat „{}“ wurde widerrufen.",
                    v.certificate
                )),
            ];
            if let Some(reason) = &v.reason {
                blocks.push(text(format!("Grund: {reason}")));
            }
            blocks.push(text(
                "Wenn Sie dies für einen Irrtum halten, wenden Sie sich bitte an Ihre Personalabteilung.",
            ));
            blocks.push(link_block(verification, link));
            (format!("Zertifikat widerrufen: {}", v.certificate), blocks)
        }
        Kind::HrDigest => {
            let n = params.people.unwrap_or(0);
            let people = if n == 1 {
                "1 Person".to_owned()
            } else {
                format!("{n} Personen")
            };
            let blocks = vec![
                text("Guten Tag,"),
                text(format!(
                    "Diese Woche sind {people} in Ihren Einheiten mit Pflichtschulungen im \
                     Verzug. Der Abschlussbericht in GovSkills nennt sie."
                )),
                link_block("GovSkills:", link),
            ];
            (format!("Wochenübersicht: {people} im Verzug"), blocks)
        }
    };
    Draft {
        words: &GERMAN,
        subject,
        blocks,
    }
}

fn french(kind: Kind, params: &Params, link: &str) -> Draft {
    let v = Values::new(params, "Formation sans titre", "Certificat");
    let days = |n: i64| {
        if n == 1 {
            "1 jour".to_owned()
        } else {
            format!("{n} jours")
        }
    };
    let open_course = "Accéder à la formation :";
    let verification = "Page de vérification :";
    let (subject, blocks) = match kind {
        Kind::Assigned => {
            let mut first = format!(
                "La formation obligatoire « {} » vous a été attribuée.",
                v.course
            );
            if let Some(due) = &v.due {
                first.push_str(&format!(" Merci de la terminer d’ici le {due}."));
            }
            let mut blocks = vec![text("Bonjour,"), text(first)];
            if let Some(reason) = &v.rollout_reason {
                blocks.push(text(format!("Motif de l’attribution : {reason}")));
            }
            blocks.push(link_block(open_course, link));
            (
                format!("Nouvelle formation obligatoire : {}", v.course),
                blocks,
            )
        }
        Kind::DueSoon => {
            let (subject, when) = match (v.days, &v.due) {
                (Some(n), Some(due)) => (
                    format!("Échéance dans {} : {}", days(n), v.course),
                    format!("arrive à échéance dans {} (le {due})", days(n)),
                ),
                (Some(n), None) => (
                    format!("Échéance dans {} : {}", days(n), v.course),
                    format!("arrive à échéance dans {}", days(n)),
                ),
                (None, Some(due)) => (
                    format!("Échéance proche : {}", v.course),
                    format!("arrive à échéance le {due}"),
                ),
                (None, None) => (
                    format!("Échéance proche : {}", v.course),
                    "arrive bientôt à échéance".to_owned(),
                ),
            };
            let blocks = vec![
                text("Bonjour,"),
                text(format!(
                    "Votre formation « {} » {when}. Pensez à la terminer à temps.",
                    v.course
                )),
                link_block(open_course, link),
            ];
            (subject, blocks)
        }
        Kind::DueTomorrow => {
            let when = match &v.due {
                Some(due) => format!("arrive à échéance demain ({due})"),
                None => "arrive à échéance demain".to_owned(),
            };
            let blocks = vec![
                text("Bonjour,"),
                text(format!(
                    "Votre formation « {} » {when}. Merci de la terminer d’ici là.",
                    v.course
                )),
                link_block(open_course, link),
            ];
            (format!("Échéance demain : {}", v.course), blocks)
        }
        Kind::Overdue => {
            let since = match &v.due {
                Some(due) => format!("est en retard depuis le {due}"),
                None => "est en retard".to_owned(),
            };
            let blocks = vec![
                text("Bonjour,"),
                text(format!(
                    "Votre formation obligatoire « {} » {since}. Merci de la terminer dès que possible.",
                    v.course
                )),
                link_block(open_course, link),
            ];
            (format!("En retard : {}", v.course), blocks)
        }
        Kind::CertificateIssued => {
            let mut first = format!(
                "Félicitations ! Le certificat « {} » vous a été délivré.",
                v.certificate
            );
            if let Some(expires) = &v.expires {
                first.push_str(&format!(" Il est valable jusqu’au {expires}."));
            }
            let blocks = vec![
                text("Bonjour,"),
                text(first),
                text(
                    "Toute personne à qui vous le présentez peut vérifier son authenticité \
                     sur sa page de vérification.",
                ),
                link_block(verification, link),
            ];
            (format!("Votre certificat : {}", v.certificate), blocks)
        }
        Kind::CertificateExpiring => {
            let when = match (&v.expires, v.days) {
                (Some(on), Some(n)) => format!("expire le {on} (dans {})", days(n)),
                (Some(on), None) => format!("expire le {on}"),
                (None, Some(n)) => format!("expire dans {}", days(n)),
                (None, None) => "expire bientôt".to_owned(),
            };
            let label = if params.course_id.is_some() {
                open_course
            } else {
                verification
            };
            let blocks = vec![
                text("Bonjour,"),
                text(format!(
                    "Votre certificat « {} » {when}. Pensez à le renouveler à temps \
                     pour qu’il reste valable.",
                    v.certificate
                )),
                link_block(label, link),
            ];
            (
                format!("Votre certificat expire bientôt : {}", v.certificate),
                blocks,
            )
        }
        Kind::CertificateRevoked => {
            let mut blocks = vec![
                text("Bonjour,"),
                text(format!(
                    "Votre certificat « {} » a été révoqué.",
                    v.certificate
                )),
            ];
            if let Some(reason) = &v.reason {
                blocks.push(text(format!("Motif : {reason}")));
            }
            blocks.push(text(
                "Si vous pensez qu’il s’agit d’une erreur, veuillez contacter \
                 votre service des ressources humaines.",
            ));
            blocks.push(link_block(verification, link));
            (format!("Certificat révoqué : {}", v.certificate), blocks)
        }
        Kind::HrDigest => {
            let n = params.people.unwrap_or(0);
            let people = if n == 1 {
                "1 personne".to_owned()
            } else {
                format!("{n} personnes")
            };
            let blocks = vec![
                text("Bonjour,"),
                text(format!(
                    "Cette semaine, {people} de vos unités sont en retard dans une formation \
                     obligatoire. Le rapport d’achèvement dans GovSkills les nomme."
                )),
                link_block("GovSkills :", link),
            ];
            (
                format!("Récapitulatif hebdomadaire : {people} en retard"),
                blocks,
            )
        }
    };
    Draft {
        words: &FRENCH,
        subject,
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    const PUBLIC: &str = "https://skills.example.gov";
    const UNSUBSCRIBE: &str = "https://skills.example.gov/notifications/unsubscribe/tok123";

    fn full() -> Params {
        Params {
            course_id: Some(Uuid::nil()),
            course_title: Some("Data protection basics".into()),
            due_at: Utc.with_ymd_and_hms(2027, 3, 31, 22, 0, 0).single(),
            days: Some(7),
            certificate_title: Some("GDPR Practitioner".into()),
            code: Some("ABCD-EFGH-JKLM".into()),
            expires_at: Utc.with_ymd_and_hms(2027, 5, 1, 0, 0, 0).single(),
            reason: Some("issued in error".into()),
            rollout_reason: Some("New law on data protection".into()),
            people: Some(3),
        }
    }

    fn course_link() -> String {
        format!("{PUBLIC}/courses/{}", Uuid::nil())
    }

    fn verify_link() -> String {
        format!("{PUBLIC}/verify/ABCD-EFGH-JKLM")
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            Kind::parse("certificate_revoked"),
            Some(Kind::CertificateRevoked)
        );
        assert_eq!(Kind::parse("Assigned"), None);
        assert_eq!(Kind::parse(""), None);
        let mandatory: Vec<Kind> = Kind::ALL.into_iter().filter(|k| k.mandatory()).collect();
        assert_eq!(mandatory, [Kind::Assigned, Kind::Overdue]);
    }

    #[test]
    fn the_language_is_the_primary_subtag_with_english_as_fallback() {
        assert_eq!(language("de-AT"), "de");
        assert_eq!(language("DE-ch"), "de");
        assert_eq!(language("fr"), "fr");
        assert_eq!(language("fr_CA"), "fr");
        assert_eq!(language("pt-BR"), "en");
        assert_eq!(language("xx"), "en");
        assert_eq!(language(""), "en");
        assert_eq!(language("en-GB"), "en");
    }

    #[test]
    fn every_kind_renders_in_every_language_with_its_link() {
        for lang in LANGUAGES {
            for kind in Kind::ALL {
                let message = render(kind, &full(), lang, PUBLIC, UNSUBSCRIBE);
                let context = format!("{kind:?} in {lang}: {message:#?}");
                assert!(!message.subject.is_empty(), "{context}");
                assert!(!message.subject.contains('\n'), "{context}");
                assert!(!message.text.trim().is_empty(), "{context}");
                assert!(message.html.starts_with("<!DOCTYPE html>"), "{context}");
                assert!(
                    message.html.contains(&format!("<html lang=\"{lang}\">")),
                    "{context}"
                );
                assert!(message.html.trim_end().ends_with("</html>"), "{context}");
                let expected = match kind {
                    Kind::CertificateIssued | Kind::CertificateRevoked => verify_link(),
                    Kind::HrDigest => format!("{PUBLIC}/"),
                    _ => course_link(),
                };
                assert_eq!(message.link, expected, "{context}");
                assert!(message.text.contains(&expected), "{context}");
                assert!(
                    message.html.contains(&format!("<a href=\"{expected}\">")),
                    "{context}"
                );
                // Paragraphs are closed, the document's elements too.
                assert_eq!(
                    message.html.matches("<p>").count(),
                    message.html.matches("</p>").count(),
                    "{context}"
                );
            }
        }
    }

    #[test]
    fn the_texts_name_the_facts() {
        let p = full();
        let en = |kind| render(kind, &p, "en", PUBLIC, UNSUBSCRIBE);
        let de = |kind| render(kind, &p, "de-AT", PUBLIC, UNSUBSCRIBE);
        let fr = |kind| render(kind, &p, "fr", PUBLIC, UNSUBSCRIBE);

        assert_eq!(
            en(Kind::Assigned).subject,
            "New mandatory training: Data protection basics"
        );
        assert_eq!(
            de(Kind::Assigned).subject,
            "Neue Pflichtschulung: Data protection basics"
        );
        assert_eq!(
            fr(Kind::Assigned).subject,
            "Nouvelle formation obligatoire : Data protection basics"
        );
        for message in [en(Kind::Assigned), de(Kind::Assigned), fr(Kind::Assigned)] {
            assert!(message.text.contains("2027-03-31"), "{}", message.text);
            assert!(
                message.text.contains("New law on data protection"),
                "{}",
                message.text
            );
        }
        assert!(en(Kind::DueSoon).text.contains("due in 7 days"));
        assert!(de(Kind::DueSoon).text.contains("in 7 Tagen fällig"));
        assert!(fr(Kind::DueSoon).text.contains("dans 7 jours"));
        assert!(en(Kind::DueTomorrow).text.contains("due tomorrow"));
        assert!(de(Kind::DueTomorrow).text.contains("morgen fällig"));
        assert!(fr(Kind::DueTomorrow).text.contains("demain"));
        assert!(en(Kind::Overdue).text.contains("overdue since 2027-03-31"));
        assert!(
            de(Kind::Overdue)
                .text
                .contains("seit dem 2027-03-31 überfällig")
        );
        assert!(
            fr(Kind::Overdue)
                .text
                .contains("en retard depuis le 2027-03-31")
        );
        for message in [
            en(Kind::CertificateIssued),
            de(Kind::CertificateIssued),
            fr(Kind::CertificateIssued),
        ] {
            assert!(message.subject.contains("GDPR Practitioner"));
            assert!(message.text.contains(&verify_link()));
        }
        assert!(
            en(Kind::CertificateExpiring)
                .text
                .contains("expires on 2027-05-01 (in 7 days)")
        );
        assert!(
            de(Kind::CertificateExpiring)
                .text
                .contains("läuft am 2027-05-01 ab (in 7 Tagen)")
        );
        assert!(
            fr(Kind::CertificateExpiring)
                .text
                .contains("expire le 2027-05-01 (dans 7 jours)")
        );
        assert!(
            en(Kind::CertificateRevoked)
                .text
                .contains("Reason: issued in error")
        );
        assert!(
            de(Kind::CertificateRevoked)
                .text
                .contains("Grund: issued in error")
        );
        assert!(
            fr(Kind::CertificateRevoked)
                .text
                .contains("Motif : issued in error")
        );
        // One day is singular.
        let one = Params {
            days: Some(1),
            ..full()
        };
        assert!(
            render(Kind::DueSoon, &one, "en", PUBLIC, "")
                .text
                .contains("due in 1 day ")
        );
    }

    #[test]
    fn german_for_de_at_and_english_for_unknown_or_empty_locales() {
        let de = render(Kind::Overdue, &full(), "de-AT", PUBLIC, UNSUBSCRIBE);
        assert!(de.subject.starts_with("Überfällig: "), "{}", de.subject);
        assert!(de.html.contains("<html lang=\"de\">"));
        for locale in ["xx", "", "pt-BR"] {
            let en = render(Kind::Overdue, &full(), locale, PUBLIC, UNSUBSCRIBE);
            assert!(
                en.subject.starts_with("Overdue: "),
                "{locale}: {}",
                en.subject
            );
            assert!(en.html.contains("<html lang=\"en\">"));
        }
    }

    #[test]
    fn html_escapes_every_interpolated_value() {
        let params = Params {
            course_title: Some("<script>alert(\"x\")</script> & 'more'".into()),
            rollout_reason: Some("<b>law</b>".into()),
            ..full()
        };
        for lang in LANGUAGES {
            for kind in Kind::ALL {
                let message = render(
                    kind,
                    &params,
                    lang,
                    "https://a.test/?x=<y>",
                    "https://a.test/u?a=1&b=\"2\"",
                );
                assert!(!message.html.contains("<script>"), "{}", message.html);
                assert!(!message.html.contains("<b>"), "{}", message.html);
                assert!(!message.html.contains("&b="), "{}", message.html);
                assert!(!message.html.contains("=<y>"), "{}", message.html);
                if matches!(
                    kind,
                    Kind::Assigned | Kind::DueSoon | Kind::DueTomorrow | Kind::Overdue
                ) {
                    assert!(
                        message.html.contains(
                            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;more&#39;"
                        ),
                        "{}",
                        message.html
                    );
                    // Plain text is not escaped.
                    assert!(message.text.contains("<script>"), "{}", message.text);
                }
            }
        }
    }

    #[test]
    fn mandatory_kinds_say_so_and_carry_no_unsubscribe_link() {
        for (lang, says) in [
            ("en", "mandatory"),
            ("de", "verpflichtend"),
            ("fr", "obligatoire"),
        ] {
            for kind in [Kind::Assigned, Kind::Overdue] {
                let message = render(kind, &full(), lang, PUBLIC, UNSUBSCRIBE);
                for body in [&message.text, &message.html] {
                    assert!(!body.contains("unsubscribe"), "{body}");
                    assert!(!body.contains("tok123"), "{body}");
                }
                let footer = message.text.rsplit("-- \n").next().unwrap_or_default();
                assert!(footer.contains(says), "{lang}: {footer}");
                assert!(message.html.contains(says), "{lang}");
            }
        }
    }

    #[test]
    fn other_kinds_carry_the_unsubscribe_link() {
        for lang in LANGUAGES {
            for kind in Kind::ALL.into_iter().filter(|kind| !kind.mandatory()) {
                let message = render(kind, &full(), lang, PUBLIC, UNSUBSCRIBE);
                let footer = message.text.rsplit("-- \n").next().unwrap_or_default();
                assert!(
                    footer.contains(UNSUBSCRIBE),
                    "{lang} {kind:?}: {}",
                    message.text
                );
                assert!(
                    message
                        .html
                        .contains(&format!("<a href=\"{UNSUBSCRIBE}\">")),
                    "{}",
                    message.html
                );
            }
        }
        let en = render(Kind::DueSoon, &full(), "en", PUBLIC, UNSUBSCRIBE);
        assert!(
            en.text
                .contains(&format!("Stop these emails: {UNSUBSCRIBE}")),
            "{}",
            en.text
        );
        // Without an unsubscribe URL (the app), there is no footer.
        let app = render(Kind::DueSoon, &full(), "en", PUBLIC, "");
        assert!(!app.text.contains("-- \n"), "{}", app.text);
        assert!(!app.text.contains("Stop these emails"), "{}", app.text);
    }

    #[test]
    fn links_fall_back_to_the_start_page_and_ignore_a_trailing_slash() {
        let bare = Params::default();
        for kind in Kind::ALL {
            let message = render(kind, &bare, "en", "https://a.test/", "");
            assert_eq!(message.link, "https://a.test/", "{kind:?}");
            assert!(message.text.contains("https://a.test/"));
            assert!(!message.subject.is_empty());
        }
        let expiring = Params {
            course_id: None,
            ..full()
        };
        assert_eq!(
            render(Kind::CertificateExpiring, &expiring, "en", PUBLIC, "").link,
            verify_link()
        );
        let odd = Params {
            code: Some("a b/c".into()),
            ..Params::default()
        };
        assert_eq!(
            render(Kind::CertificateIssued, &odd, "en", PUBLIC, "").link,
            format!("{PUBLIC}/verify/a%20b%2Fc")
        );
    }

    #[test]
    fn a_line_break_in_a_title_does_not_reach_the_subject() {
        let params = Params {
            course_title: Some("Line\r\nBcc: someone@example.com".into()),
            ..full()
        };
        let message = render(Kind::Assigned, &params, "en", PUBLIC, "");
        assert!(
            !message.subject.contains(['\r', '\n']),
            "{}",
            message.subject
        );
    }

    #[test]
    fn params_serialise_in_camel_case() {
        let json = serde_json::to_value(full()).unwrap_or_default();
        assert_eq!(json["courseTitle"], "Data protection basics");
        assert_eq!(json["rolloutReason"], "New law on data protection");
        let back: Params = serde_json::from_value(json).unwrap_or_default();
        assert_eq!(back.days, Some(7));
    }
}
