//! `GET /accessibility`: the accessibility statement of the public pages, as the Web
//! Accessibility Directive (EU) 2016/2102 and its model statement (Commission Implementing
//! Decision (EU) 2018/1523) ask: the compliance status, what is not accessible and why, how the
//! statement was prepared, the feedback contact and the enforcement procedure. The contact and
//! the enforcement body are the deployment's (`GOVSKILLS_ACCESSIBILITY_CONTACT`,
//! `GOVSKILLS_ACCESSIBILITY_ENFORCEMENT_URL`). Every public page links here from its footer.

use chrono::NaiveDate;
use maud::{Markup, html};
use poem::{Request, Response, handler, http::StatusCode, web::Data};

use super::{
    i18n::{Chosen, Lang},
    public_page::{Frame, html_response},
};
use crate::{accessibility::Accessibility, state::AppState};

/// When the statement was last reviewed against the pages; review it, and move this date, when
/// the pages change.
const PREPARED: (i32, u32, u32) = (2026, 12, 1);

/// `GET /accessibility`
#[handler]
pub async fn accessibility_statement(req: &Request, Data(state): Data<&AppState>) -> Response {
    let chosen = Chosen::of(req);
    let title = chosen.texts().footer_accessibility;
    let page = Frame {
        chosen,
        path: "/accessibility",
        title,
        authority: None,
    }
    .render(statement(chosen.lang, &state.accessibility));
    html_response(StatusCode::OK, chosen.lang, "Accept-Language", &page)
}

fn prepared(lang: Lang) -> String {
    let (year, month, day) = PREPARED;
    NaiveDate::from_ymd_opt(year, month, day)
        .map(|date| lang.date(date))
        .unwrap_or_default()
}

fn statement(lang: Lang, accessibility: &Accessibility) -> Markup {
    let contact = html! {
        a href=(accessibility.contact.href()) { (accessibility.contact.text()) }
    };
    let enforcement = html! {
        a href=(accessibility.enforcement_url) { (accessibility.enforcement_url) }
    };
    let date = prepared(lang);
    match lang {
        Lang::En => html! {
            h1 { "Accessibility statement" }
            p {
                "The public body that runs this service is committed to making its website accessible, in accordance with Directive (EU) 2016/2102 of the European Parliament and of the Council and the national law that transposes it."
            }
            p {
                "This statement applies to the public pages of this GovSkills service: the certificate verification pages (the pages the QR codes on certificates link to, and the form to check a code) and this statement."
            }
            h2 { "Compliance status" }
            p {
                "These pages are partially compliant with the Web Content Accessibility Guidelines (WCAG) 2.1, level AA, and with the harmonised European standard EN 301 549, because of the non-compliance listed below."
            }
            h2 { "Non-accessible content and known limitations" }
            ul {
                li { "A certificate's title, description and competences are shown in the language the issuing authority wrote them in, which may differ from the language of the page. They are not marked with their own language, so a screen reader may pronounce them wrongly (WCAG 2.1 success criterion 3.1.2, Language of Parts)." }
                li { "The downloadable credential is a signed data file for digital wallets and verification software, not a document to read. Everything it states is shown on the certificate's page." }
                li { "The “Add to LinkedIn” link, shown to a certificate's holder, leads to LinkedIn's website, whose accessibility is outside our control." }
                li { "The pages are available in English, German and French." }
            }
            h2 { "Preparation of this statement" }
            p {
                "This statement was prepared on " (date) ". It is based on a self-assessment: with every change to the software, every state of these pages (a valid, an expired, a revoked and an unknown certificate, the code form and this statement) is checked in each language against the WCAG 2.1 level A and AA rules of the axe-core testing engine, in a real browser at desktop width and at a width of 320 pixels."
            }
            h2 { "Feedback and contact" }
            p {
                "If something on these pages is hard to use or not accessible to you, or you need the information in another format, please tell us: " (contact) "."
            }
            h2 { "Enforcement procedure" }
            p {
                "If you are not satisfied with the answer to your feedback or request, you can turn to the enforcement body: " (enforcement) "."
            }
        },
        Lang::De => html! {
            h1 { "Erklärung zur Barrierefreiheit" }
            p {
                "Die öffentliche Stelle, die diesen Dienst betreibt, ist bemüht, ihre Website im Einklang mit der Richtlinie (EU) 2016/2102 des Europäischen Parlaments und des Rates und dem nationalen Recht, das sie umsetzt, barrierefrei zugänglich zu machen."
            }
            p {
                "Diese Erklärung gilt für die öffentlichen Seiten dieses GovSkills-Dienstes: die Seiten zur Prüfung von Zertifikaten (die Seiten, auf die die QR-Codes der Zertifikate verweisen, und das Formular zur Prüfung eines Codes) und diese Erklärung."
            }
            h2 { "Stand der Vereinbarkeit mit den Anforderungen" }
            p {
                "Diese Seiten sind wegen der unten aufgeführten Unvereinbarkeit teilweise mit den Web Content Accessibility Guidelines (WCAG) 2.1, Stufe AA, und der harmonisierten europäischen Norm EN 301 549 vereinbar."
            }
            h2 { "Nicht barrierefreie Inhalte und bekannte Einschränkungen" }
            ul {
                li { "Titel, Beschreibung und Kompetenzen eines Zertifikats werden in der Sprache angezeigt, in der die ausstellende Stelle sie verfasst hat; sie kann von der Sprache der Seite abweichen. Sie sind nicht mit ihrer eigenen Sprache ausgezeichnet, sodass ein Screenreader sie falsch aussprechen kann (WCAG 2.1, Erfolgskriterium 3.1.2, Sprache von Teilen)." }
                li { "Der herunterladbare Nachweis ist eine signierte Datei für digitale Brieftaschen und Prüfprogramme, kein Dokument zum Lesen. Alles, was er aussagt, steht auf der Seite des Zertifikats." }
                li { "Der Link „Zum LinkedIn-Profil hinzufügen“, den nur die Person sieht, für die das Zertifikat ausgestellt wurde, führt zur Website von LinkedIn, auf deren Barrierefreiheit wir keinen Einfluss haben." }
                li { "Die Seiten gibt es auf Deutsch, Englisch und Französisch." }
            }
            h2 { "Erstellung dieser Erklärung" }
            p {
                "Diese Erklärung wurde am " (date) " erstellt. Sie beruht auf einer Selbstbewertung: Bei jeder Änderung der Software wird jeder Zustand dieser Seiten (ein gültiges, ein abgelaufenes, ein widerrufenes und ein unbekanntes Zertifikat, das Formular und diese Erklärung) in jeder Sprache mit den Regeln der Stufen A und AA der WCAG 2.1 des Prüfwerkzeugs axe-core geprüft, in einem echten Browser in Desktop-Breite und in einer Breite von 320 Pixeln."
            }
            h2 { "Feedback und Kontakt" }
            p {
                "Wenn Ihnen auf diesen Seiten etwas schwer zugänglich oder nicht barrierefrei erscheint oder Sie die Informationen in einem anderen Format benötigen, teilen Sie es uns bitte mit: " (contact) "."
            }
            h2 { "Durchsetzungsverfahren" }
            p {
                "Wenn Sie mit der Antwort auf Ihre Mitteilung oder Anfrage nicht zufrieden sind, können Sie sich an die Durchsetzungsstelle wenden: " (enforcement) "."
            }
        },
        Lang::Fr => html! {
            h1 { "Déclaration d'accessibilité" }
            p {
                "L'organisme public qui exploite ce service s'engage à rendre son site web accessible, conformément à la directive (UE) 2016/2102 du Parlement européen et du Conseil et au droit national qui la transpose."
            }
            p {
                "La présente déclaration s'applique aux pages publiques de ce service GovSkills\u{a0}: les pages de vérification des certificats (les pages vers lesquelles mènent les codes QR des certificats, et le formulaire de vérification d'un code) et la présente déclaration."
            }
            h2 { "État de conformité" }
            p {
                "Ces pages sont partiellement conformes aux règles pour l'accessibilité des contenus web (WCAG) 2.1, niveau AA, et à la norme européenne harmonisée EN 301 549, en raison de la non-conformité énumérée ci-dessous."
            }
            h2 { "Contenus non accessibles et limites connues" }
            ul {
                li { "Le titre, la description et les compétences d'un certificat s'affichent dans la langue dans laquelle l'autorité émettrice les a rédigés, qui peut différer de celle de la page. Ils ne sont pas balisés avec leur propre langue\u{a0}; un lecteur d'écran peut donc mal les prononcer (WCAG 2.1, critère de succès 3.1.2, langue d'un passage)." }
                li { "Le justificatif téléchargeable est un fichier de données signé destiné aux portefeuilles numériques et aux logiciels de vérification, et non un document à lire. Tout ce qu'il atteste figure sur la page du certificat." }
                li { "Le lien «\u{a0}Ajouter au profil LinkedIn\u{a0}», affiché au seul titulaire du certificat, mène au site de LinkedIn, dont l'accessibilité ne dépend pas de nous." }
                li { "Les pages sont disponibles en français, en allemand et en anglais." }
            }
            h2 { "Établissement de cette déclaration" }
            p {
                "Cette déclaration a été établie le " (date) ". Elle repose sur une auto-évaluation\u{a0}: à chaque modification du logiciel, chaque état de ces pages (un certificat valide, expiré, révoqué ou inconnu, le formulaire et la présente déclaration) est vérifié dans chaque langue au regard des règles des niveaux A et AA des WCAG 2.1 du moteur de test axe-core, dans un véritable navigateur, en largeur d'écran de bureau et sur une largeur de 320 pixels."
            }
            h2 { "Retour d'information et contact" }
            p {
                "Si un élément de ces pages vous paraît difficile à utiliser ou inaccessible, ou si vous avez besoin des informations dans un autre format, signalez-le-nous\u{a0}: " (contact) "."
            }
            h2 { "Voies de recours" }
            p {
                "Si la réponse à votre signalement ou à votre demande ne vous satisfait pas, vous pouvez vous adresser à l'organisme chargé de l'application\u{a0}: " (enforcement) "."
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accessibility::Contact;

    #[test]
    fn the_statement_names_the_contact_and_the_enforcement_body_in_every_language() {
        let accessibility = Accessibility {
            contact: Contact::Email("a11y@agency.example".into()),
            enforcement_url: "https://enforcement.example/".into(),
        };
        for lang in Lang::ALL {
            let html = statement(lang, &accessibility).into_string();
            assert!(
                html.contains(r#"<a href="mailto:a11y@agency.example">a11y@agency.example</a>"#),
                "{lang:?}: {html}"
            );
            assert!(
                html.contains(r#"<a href="https://enforcement.example/">"#),
                "{lang:?}: {html}"
            );
            assert!(html.contains("WCAG 2.1"), "{lang:?}");
            assert!(html.contains(&prepared(lang)), "{lang:?}");
        }
        assert_eq!(prepared(Lang::De), "1. Dezember 2026");
    }
}
