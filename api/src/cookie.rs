//! The session cookie: `HttpOnly; SameSite=Strict`, `Secure` in production.

use std::time::Duration;

use poem::web::cookie::{Cookie, SameSite};

use crate::session::SessionToken;

pub const SESSION_COOKIE: &str = "govskills_session";

fn base(value: &str, secure: bool) -> Cookie {
    let mut cookie = Cookie::new_with_str(SESSION_COOKIE, value);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_secure(secure);
    cookie.set_path("/");
    cookie
}

/// `Set-Cookie` value that hands a new session to a browser.
pub fn session(token: &SessionToken, secure: bool, lifetime: Duration) -> String {
    let mut cookie = base(token.expose(), secure);
    cookie.set_max_age(lifetime);
    cookie.to_string()
}

/// `Set-Cookie` value that makes the browser forget the session.
pub fn removal(secure: bool) -> String {
    let mut cookie = base("", secure);
    cookie.make_removal();
    cookie.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_http_only_and_strict() {
        let token = SessionToken::from_client(&"a".repeat(43)).expect("plausible");
        let value = session(&token, true, Duration::from_secs(60));
        for part in [
            "govskills_session=",
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/",
            "Max-Age=60",
        ] {
            assert!(value.contains(part), "{value} lacks {part}");
        }
        assert!(!removal(false).contains("Secure"));
    }
}
