//! The languages of the public pages (the verify pages and the accessibility statement):
//! which one a visitor gets, their words, and dates as that language writes them.
//!
//! A visitor's language is `?lang=` when it names one of ours (the language switch on every
//! page links there), else the best of ours in `Accept-Language` by its q-values (a language
//! matches by its primary subtag: `de-AT` is German; `q=0` refuses), else English. Every text
//! exists in every language: [`Texts`] is a struct, so a missing translation does not compile.

use chrono::Datelike;
use poem::{Request, http::header};

/// A language the public pages are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Fr,
}

impl Lang {
    /// Every language, in the order the language switch lists them.
    pub const ALL: [Self; 3] = [Self::En, Self::De, Self::Fr];

    /// The BCP 47 tag, for `lang`, `hreflang` and `?lang=`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Fr => "fr",
        }
    }

    /// The language by a tag's primary subtag (`de`, `de-AT`, `DE`), if it is one of ours.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        Self::ALL
            .into_iter()
            .find(|lang| primary.eq_ignore_ascii_case(lang.tag()))
    }

    /// The language's name in itself, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::De => "Deutsch",
            Self::Fr => "Français",
        }
    }

    /// The best of ours for an `Accept-Language` value; English when it names none of them.
    pub fn negotiate(accept_language: &str) -> Self {
        // Sorted by quality, highest first; ties keep the header's order.
        accept_language::parse_with_quality(accept_language)
            .into_iter()
            .filter(|(_, quality)| *quality > 0.0)
            .find_map(|(tag, _)| Self::from_tag(&tag))
            .unwrap_or(Self::En)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Self::En => &EN,
            Self::De => &DE,
            Self::Fr => &FR,
        }
    }

    /// A day as this language writes it: "1 December 2026", "1. Dezember 2026",
    /// "1er décembre 2026".
    pub fn date(self, at: impl Datelike) -> String {
        let day = at.day();
        let month = self.texts().months[at.month0() as usize];
        let year = at.year();
        match self {
            Self::En => format!("{day} {month} {year}"),
            Self::De => format!("{day}. {month} {year}"),
            Self::Fr if day == 1 => format!("1er {month} {year}"),
            Self::Fr => format!("{day} {month} {year}"),
        }
    }
}

/// The language of this request, and whether the visitor chose it (`?lang=`), in which case the
/// page's links carry the choice on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chosen {
    pub lang: Lang,
    pub explicit: bool,
}

impl Chosen {
    pub fn of(req: &Request) -> Self {
        if let Some(lang) = query_param(req, "lang").and_then(|tag| Lang::from_tag(&tag)) {
            return Self {
                lang,
                explicit: true,
            };
        }
        let lang = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .map_or(Lang::En, Lang::negotiate);
        Self {
            lang,
            explicit: false,
        }
    }

    /// `path` with the chosen language, when the visitor chose one.
    pub fn href(self, path: &str) -> String {
        if self.explicit {
            format!("{path}?lang={}", self.lang.tag())
        } else {
            path.to_owned()
        }
    }

    pub fn texts(self) -> &'static Texts {
        self.lang.texts()
    }
}

/// The first value of a query parameter, decoded.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    let query = req.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Every text of the public pages in one language. A sentence around a value (a date) is split
/// into what comes before and after it.
#[derive(Debug)]
pub struct Texts {
    pub months: [&'static str; 12],
    /// Between a status word and its sentence (French sets a space before a colon).
    pub colon: &'static str,
    pub site_name: &'static str,
    pub skip_to_content: &'static str,
    pub language: &'static str,
    pub issued_by_header: &'static str,
    pub email: &'static str,
    pub website: &'static str,
    pub footer_verify: &'static str,
    pub footer_accessibility: &'static str,
    pub error: &'static str,

    pub form_title: &'static str,
    pub form_intro: &'static str,
    pub form_label: &'static str,
    pub form_hint: &'static str,
    pub form_submit: &'static str,
    pub form_empty: &'static str,
    pub form_invalid: &'static str,
    pub check_another: &'static str,

    pub not_found_title: &'static str,
    pub not_found_word: &'static str,
    pub not_found_text: &'static str,
    pub not_found_hint: &'static str,

    pub too_many_title: &'static str,
    pub too_many_text: &'static str,

    pub page_title: &'static str,
    pub valid_word: &'static str,
    pub expired_word: &'static str,
    pub revoked_word: &'static str,
    pub valid_text: &'static str,
    pub expired_on: (&'static str, &'static str),
    pub expired_undated: &'static str,
    pub revoked_on: (&'static str, &'static str),
    pub revoked_undated: &'static str,
    pub details: &'static str,
    pub holder: &'static str,
    pub certificate: &'static str,
    pub issued_by: &'static str,
    pub issued_on: &'static str,
    pub valid_until: &'static str,
    pub no_expiry: &'static str,
    pub revoked_on_label: &'static str,
    pub code: &'static str,
    pub attests: &'static str,
    pub competences: &'static str,
    /// Before the AI systems a certificate covers, each "name (version N)".
    pub ai_systems: &'static str,
    /// The word before a system's version number.
    pub version: &'static str,
    pub credential_heading: &'static str,
    pub credential_text: &'static str,
    pub download: &'static str,
    pub linkedin: &'static str,
    pub linkedin_note: &'static str,
    pub this_page: &'static str,
    pub qr_alt: &'static str,
    pub link: &'static str,
    /// The unsubscribe pages of notification emails.
    pub unsubscribe_ask_heading: &'static str,
    pub unsubscribe_ask_text: &'static str,
    pub unsubscribe_button: &'static str,
    pub unsubscribe_done_heading: &'static str,
    pub unsubscribe_done_text: &'static str,
    pub unsubscribe_unknown_heading: &'static str,
    pub unsubscribe_unknown_text: &'static str,
    pub unsubscribe_mandatory_heading: &'static str,
    pub unsubscribe_mandatory_text: &'static str,
}

static EN: Texts = Texts {
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    colon: ": ",
    site_name: "GovSkills certificate verification",
    skip_to_content: "Skip to content",
    language: "Language",
    issued_by_header: "Certificate issued by",
    email: "Email",
    website: "Website",
    footer_verify: "Check a certificate",
    footer_accessibility: "Accessibility statement",
    error: "Error",

    form_title: "Check a certificate",
    form_intro: "Enter the code printed on the certificate, or paste the link of its QR code, to see whether it is genuine and still valid.",
    form_label: "Certificate code",
    form_hint: "24 letters and digits in groups of four. Upper or lower case, spaces and dashes do not matter.",
    form_submit: "Check",
    form_empty: "Enter the certificate code.",
    form_invalid: "This is not a certificate code. Check it for typing mistakes: a code has 24 letters and digits.",
    check_another: "Check another code",

    not_found_title: "Certificate not found",
    not_found_word: "Not found",
    not_found_text: "no certificate has this code.",
    not_found_hint: "Check the code for typing mistakes and try again. Codes have 24 letters and digits in groups of four.",

    too_many_title: "Too many checks",
    too_many_text: "This address has checked many certificates in a short time. Please wait a minute and try again.",

    page_title: "Certificate verification",
    valid_word: "Valid",
    expired_word: "Expired",
    revoked_word: "Revoked",
    valid_text: "this certificate is genuine and in force.",
    expired_on: ("this certificate is genuine but expired on ", "."),
    expired_undated: "this certificate is genuine but expired.",
    revoked_on: (
        "this certificate was revoked on ",
        " and is no longer valid.",
    ),
    revoked_undated: "this certificate was revoked and is no longer valid.",
    details: "Details",
    holder: "Holder",
    certificate: "Certificate",
    issued_by: "Issued by",
    issued_on: "Issued on",
    valid_until: "Valid until",
    no_expiry: "Does not expire",
    revoked_on_label: "Revoked on",
    code: "Code",
    attests: "What this certificate attests",
    competences: "Competences",
    ai_systems: "Covers the AI systems",
    version: "version",
    credential_heading: "Digital credential",
    credential_text: "The certificate as a signed Open Badges 3.0 credential, for digital wallets and verifiers: anyone can check its signature with the issuer's published keys.",
    download: "Download the credential",
    linkedin: "Add to LinkedIn profile",
    linkedin_note: "You see this because you are signed in as the holder of this certificate.",
    this_page: "This page",
    qr_alt: "QR code linking to this verification page: ",
    link: "Link",
    unsubscribe_ask_heading: "Stop these emails?",
    unsubscribe_ask_text: "You will still see these notifications in GovSkills. Emails about mandatory training cannot be switched off.",
    unsubscribe_button: "Unsubscribe",
    unsubscribe_done_heading: "Unsubscribed",
    unsubscribe_done_text: "You will no longer get emails of this kind. You can switch them on again in your notification settings.",
    unsubscribe_unknown_heading: "Unknown link",
    unsubscribe_unknown_text: "This unsubscribe link is not known.",
    unsubscribe_mandatory_heading: "Cannot be switched off",
    unsubscribe_mandatory_text: "These emails are about mandatory training and cannot be switched off.",
};

static DE: Texts = Texts {
    months: [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    colon: ": ",
    site_name: "GovSkills Zertifikatsprüfung",
    skip_to_content: "Zum Inhalt springen",
    language: "Sprache",
    issued_by_header: "Zertifikat ausgestellt von",
    email: "E-Mail",
    website: "Website",
    footer_verify: "Zertifikat prüfen",
    footer_accessibility: "Erklärung zur Barrierefreiheit",
    error: "Fehler",

    form_title: "Zertifikat prüfen",
    form_intro: "Geben Sie den Code ein, der auf dem Zertifikat steht, oder fügen Sie den Link seines QR-Codes ein, um zu sehen, ob es echt und noch gültig ist.",
    form_label: "Zertifikatscode",
    form_hint: "24 Buchstaben und Ziffern in Vierergruppen. Groß- und Kleinschreibung, Leerzeichen und Bindestriche spielen keine Rolle.",
    form_submit: "Prüfen",
    form_empty: "Geben Sie den Zertifikatscode ein.",
    form_invalid: "Das ist kein Zertifikatscode. Prüfen Sie ihn auf Tippfehler: Ein Code hat 24 Buchstaben und Ziffern.",
    check_another: "Einen anderen Code prüfen",

    not_found_title: "Zertifikat nicht gefunden",
    not_found_word: "Nicht gefunden",
    not_found_text: "Kein Zertifikat hat diesen Code.",
    not_found_hint: "Prüfen Sie den Code auf Tippfehler und versuchen Sie es noch einmal. Codes haben 24 Buchstaben und Ziffern in Vierergruppen.",

    too_many_title: "Zu viele Prüfungen",
    too_many_text: "Von dieser Adresse aus wurden in kurzer Zeit viele Zertifikate geprüft. Bitte warten Sie eine Minute und versuchen Sie es dann noch einmal.",

    page_title: "Zertifikatsprüfung",
    valid_word: "Gültig",
    expired_word: "Abgelaufen",
    revoked_word: "Widerrufen",
    valid_text: "Dieses Zertifikat ist echt und gültig.",
    expired_on: ("Dieses Zertifikat ist echt, aber am ", " abgelaufen."),
    expired_undated: "Dieses Zertifikat ist echt, aber abgelaufen.",
    revoked_on: (
        "Dieses Zertifikat wurde am ",
        " widerrufen und ist nicht mehr gültig.",
    ),
    revoked_undated: "Dieses Zertifikat wurde widerrufen und ist nicht mehr gültig.",
    details: "Angaben",
    holder: "Ausgestellt für",
    certificate: "Zertifikat",
    issued_by: "Ausgestellt von",
    issued_on: "Ausgestellt am",
    valid_until: "Gültig bis",
    no_expiry: "Unbefristet",
    revoked_on_label: "Widerrufen am",
    code: "Code",
    attests: "Was dieses Zertifikat bescheinigt",
    competences: "Kompetenzen",
    ai_systems: "Umfasst die KI-Systeme",
    version: "Version",
    credential_heading: "Digitaler Nachweis",
    credential_text: "Das Zertifikat als signierter Nachweis nach Open Badges 3.0, für digitale Brieftaschen und Prüfprogramme: Jede und jeder kann die Signatur mit den veröffentlichten Schlüsseln der ausstellenden Stelle prüfen.",
    download: "Nachweis herunterladen",
    linkedin: "Zum LinkedIn-Profil hinzufügen",
    linkedin_note: "Sie sehen dies, weil Sie mit dem Konto angemeldet sind, für das dieses Zertifikat ausgestellt wurde.",
    this_page: "Diese Seite",
    qr_alt: "QR-Code mit dem Link zu dieser Prüfseite: ",
    link: "Link",
    unsubscribe_ask_heading: "Diese E-Mails abbestellen?",
    unsubscribe_ask_text: "Die Benachrichtigungen sehen Sie weiterhin in GovSkills. E-Mails zu Pflichtschulungen können nicht abbestellt werden.",
    unsubscribe_button: "Abbestellen",
    unsubscribe_done_heading: "Abbestellt",
    unsubscribe_done_text: "Sie erhalten keine E-Mails dieser Art mehr. In Ihren Benachrichtigungseinstellungen können Sie sie wieder einschalten.",
    unsubscribe_unknown_heading: "Unbekannter Link",
    unsubscribe_unknown_text: "Dieser Abmeldelink ist nicht bekannt.",
    unsubscribe_mandatory_heading: "Nicht abbestellbar",
    unsubscribe_mandatory_text: "Diese E-Mails betreffen Pflichtschulungen und können nicht abbestellt werden.",
};

static FR: Texts = Texts {
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    colon: "\u{a0}: ",
    site_name: "GovSkills vérification de certificats",
    skip_to_content: "Aller au contenu",
    language: "Langue",
    issued_by_header: "Certificat délivré par",
    email: "Courriel",
    website: "Site web",
    footer_verify: "Vérifier un certificat",
    footer_accessibility: "Déclaration d'accessibilité",
    error: "Erreur",

    form_title: "Vérifier un certificat",
    form_intro: "Saisissez le code imprimé sur le certificat, ou collez le lien de son code QR, pour savoir s'il est authentique et toujours valide.",
    form_label: "Code du certificat",
    form_hint: "24 lettres et chiffres par groupes de quatre. Majuscules, minuscules, espaces et tirets sont indifférents.",
    form_submit: "Vérifier",
    form_empty: "Saisissez le code du certificat.",
    form_invalid: "Ce n'est pas un code de certificat. Vérifiez qu'il ne contient pas de faute de frappe\u{a0}: un code compte 24 lettres et chiffres.",
    check_another: "Vérifier un autre code",

    not_found_title: "Certificat introuvable",
    not_found_word: "Introuvable",
    not_found_text: "aucun certificat ne porte ce code.",
    not_found_hint: "Vérifiez que le code ne contient pas de faute de frappe et réessayez. Les codes comptent 24 lettres et chiffres par groupes de quatre.",

    too_many_title: "Trop de vérifications",
    too_many_text: "Cette adresse a vérifié de nombreux certificats en peu de temps. Veuillez patienter une minute, puis réessayer.",

    page_title: "Vérification du certificat",
    valid_word: "Valide",
    expired_word: "Expiré",
    revoked_word: "Révoqué",
    valid_text: "ce certificat est authentique et en vigueur.",
    expired_on: ("ce certificat est authentique mais a expiré le ", "."),
    expired_undated: "ce certificat est authentique mais a expiré.",
    revoked_on: ("ce certificat a été révoqué le ", " et n'est plus valide."),
    revoked_undated: "ce certificat a été révoqué et n'est plus valide.",
    details: "Détails",
    holder: "Titulaire",
    certificate: "Certificat",
    issued_by: "Délivré par",
    issued_on: "Délivré le",
    valid_until: "Valable jusqu'au",
    no_expiry: "Sans date d'expiration",
    revoked_on_label: "Révoqué le",
    code: "Code",
    attests: "Ce que ce certificat atteste",
    competences: "Compétences",
    ai_systems: "Couvre les systèmes d'IA",
    version: "version",
    credential_heading: "Justificatif numérique",
    credential_text: "Le certificat sous forme de justificatif signé Open Badges 3.0, pour les portefeuilles numériques et les vérificateurs\u{a0}: chacun peut en vérifier la signature avec les clés publiées par l'émetteur.",
    download: "Télécharger le justificatif",
    linkedin: "Ajouter au profil LinkedIn",
    linkedin_note: "Vous voyez ceci parce que vous êtes connecté avec le compte du titulaire de ce certificat.",
    this_page: "Cette page",
    qr_alt: "Code QR menant à cette page de vérification\u{a0}: ",
    link: "Lien",
    unsubscribe_ask_heading: "Ne plus recevoir ces e-mails ?",
    unsubscribe_ask_text: "Vous verrez toujours ces notifications dans GovSkills. Les e-mails concernant une formation obligatoire ne peuvent pas être désactivés.",
    unsubscribe_button: "Se désabonner",
    unsubscribe_done_heading: "Désabonnement effectué",
    unsubscribe_done_text: "Vous ne recevrez plus d’e-mails de ce type. Vous pouvez les réactiver dans vos paramètres de notification.",
    unsubscribe_unknown_heading: "Lien inconnu",
    unsubscribe_unknown_text: "Ce lien de désabonnement n’est pas connu.",
    unsubscribe_mandatory_heading: "Impossible de désactiver",
    unsubscribe_mandatory_text: "Ces e-mails concernent une formation obligatoire et ne peuvent pas être désactivés.",
};

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};

    use super::*;

    #[test]
    fn accept_language_picks_the_best_of_ours_by_quality() {
        let cases = [
            ("", Lang::En),
            ("de", Lang::De),
            ("de-AT,de;q=0.9,en;q=0.8", Lang::De),
            ("en-GB, fr;q=0.9", Lang::En),
            ("fr;q=0.5, de;q=0.8", Lang::De),
            ("it, es;q=0.9, fr-CH;q=0.4", Lang::Fr),
            ("de;q=0, fr;q=0.1", Lang::Fr),
            ("*", Lang::En),
            ("it, es", Lang::En),
            ("garbage;;q=x,,", Lang::En),
        ];
        for (header, expected) in cases {
            assert_eq!(Lang::negotiate(header), expected, "{header:?}");
        }
    }

    #[test]
    fn dates_are_written_as_each_language_writes_them() {
        let first = Utc
            .with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
            .single()
            .expect("a date");
        let march = Utc
            .with_ymd_and_hms(2027, 3, 15, 10, 0, 0)
            .single()
            .expect("a date");
        assert_eq!(Lang::En.date(first), "1 December 2026");
        assert_eq!(Lang::De.date(first), "1. Dezember 2026");
        assert_eq!(Lang::Fr.date(first), "1er décembre 2026");
        assert_eq!(Lang::De.date(march), "15. März 2027");
        assert_eq!(Lang::Fr.date(march), "15 mars 2027");
    }
}
