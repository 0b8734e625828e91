//! `/notifications/unsubscribe/{token}`: the link in the `List-Unsubscribe` header and footer of
//! notification emails a person may switch off. `GET` shows a page with a button (so that a mail
//! scanner following links changes nothing); `POST` (the button, or a mail client's one-click
//! unsubscribe of RFC 8058) turns off emails of that kind for that person. The token is a random
//! secret of the one notification it was sent with. The pages are in the visitor's language
//! (English, German, French; `?lang=` or `Accept-Language`), like the verify pages.

use maud::html;
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Data, Path},
};

use super::{
    i18n::{Chosen, Texts},
    public_page::{Frame, html_response},
};
use crate::state::AppState;

/// Which texts a page shows: a heading and a paragraph.
type Words = fn(&Texts) -> (&'static str, &'static str);

fn page(req: &Request, status: StatusCode, words: Words, form: Option<&str>) -> Response {
    let chosen = Chosen::of(req);
    let texts = chosen.texts();
    let (heading, text) = words(texts);
    let path = req.uri().path().to_owned();
    let frame = Frame {
        chosen,
        path: &path,
        title: heading,
        authority: None,
    };
    let markup = frame.render(html! {
        h1 { (heading) }
        p { (text) }
        @if let Some(action) = form {
            form method="post" action=(action) {
                button class="button" type="submit" { (texts.unsubscribe_button) }
            }
        }
    });
    html_response(status, chosen.lang, "Accept-Language", &markup)
}

/// `GET`: asks before changing anything.
#[handler]
pub async fn confirm(req: &Request, Path(token): Path<String>) -> Response {
    let action = format!("/notifications/unsubscribe/{token}");
    page(
        req,
        StatusCode::OK,
        |t| (t.unsubscribe_ask_heading, t.unsubscribe_ask_text),
        Some(&action),
    )
}

/// `POST`: turns the kind off.
#[handler]
pub async fn unsubscribe(
    req: &Request,
    Path(token): Path<String>,
    Data(state): Data<&AppState>,
) -> Response {
    match govskills_domain::notifications::unsubscribe(&state.services.db, &token).await {
        Ok(_) => page(
            req,
            StatusCode::OK,
            |t| (t.unsubscribe_done_heading, t.unsubscribe_done_text),
            None,
        ),
        Err(govskills_domain::Error::NotFound(_)) => page(
            req,
            StatusCode::NOT_FOUND,
            |t| (t.unsubscribe_unknown_heading, t.unsubscribe_unknown_text),
            None,
        ),
        Err(govskills_domain::Error::Invalid { .. }) => page(
            req,
            StatusCode::BAD_REQUEST,
            |t| {
                (
                    t.unsubscribe_mandatory_heading,
                    t.unsubscribe_mandatory_text,
                )
            },
            None,
        ),
        Err(err) => super::error_response(&err.into(), &super::request_id(req)),
    }
}
