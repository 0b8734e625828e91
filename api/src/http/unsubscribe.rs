//! `/notifications/unsubscribe/{token}`: the link in the `List-Unsubscribe` header and footer of
//! notification emails a person may switch off. `GET` shows a page with a button (so that a mail
//! scanner following links changes nothing); `POST` (the button, or a mail client's one-click
//! unsubscribe of RFC 8058) turns off emails of that kind for that person. The token is a random
//! secret of the one notification it was sent with.

use maud::html;
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Data, Path},
};

use super::{
    i18n::Chosen,
    public_page::{Frame, html_response},
};
use crate::state::AppState;

fn page(
    req: &Request,
    status: StatusCode,
    heading: &str,
    text: &str,
    form: Option<&str>,
) -> Response {
    let chosen = Chosen::of(req);
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
                button class="button" type="submit" { "Unsubscribe" }
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
        "Stop these emails?",
        "You will still see these notifications in GovSkills. Emails about mandatory training \
         cannot be switched off.",
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
        Ok(kind) => page(
            req,
            StatusCode::OK,
            "Unsubscribed",
            &format!(
                "You will no longer get emails of this kind ({}). You can switch them on again \
                 in your notification settings.",
                kind.as_str().replace('_', " ")
            ),
            None,
        ),
        Err(govskills_domain::Error::NotFound(_)) => page(
            req,
            StatusCode::NOT_FOUND,
            "Unknown link",
            "This unsubscribe link is not known.",
            None,
        ),
        Err(govskills_domain::Error::Invalid { message, .. }) => page(
            req,
            StatusCode::BAD_REQUEST,
            "Cannot be switched off",
            &message,
            None,
        ),
        Err(err) => super::error_response(&err.into(), &super::request_id(req)),
    }
}
