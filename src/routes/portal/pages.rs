//! The Customer Portal's server-rendered pages (templates in `templates/portal/`).

use crate::app::App;
use crate::commands::links::find_link;
use crate::error::ApiResult;
use crate::http::{page, OrgSlug, Path};
use crate::store::invitations::{InvitationByToken, ResetByToken};
use askama::Template;
use portal_core::access::LinkStatus;
use portal_core::ids::LinkToken;
use portal_core::password::MIN_PASSWORD_CHARS;
use std::rc::Rc;
use worker::Response;

#[derive(Template)]
#[template(path = "portal/message.html")]
pub struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
}

pub fn message_page(status: u16, title: &str, message: &str) -> ApiResult<Response> {
    page(status, &MessagePage { title, message })
}

pub fn not_found() -> ApiResult<Response> {
    message_page(404, "Page not found", "There is no such page in the Customer Portal.")
}

#[derive(Template)]
#[template(path = "portal/sign_in.html")]
pub struct SignInPage {
    org: String,
}

/// The portal's entry page: sign in with e-mail and password.
pub async fn sign_in(OrgSlug(org): OrgSlug) -> ApiResult<Response> {
    page(200, &SignInPage { org })
}

#[derive(Template)]
#[template(path = "portal/account.html")]
pub struct AccountPage {
    org: String,
}

/// My Account: a small page that reads the account with the session cookie.
pub async fn account(OrgSlug(org): OrgSlug) -> ApiResult<Response> {
    page(200, &AccountPage { org })
}

#[derive(Template)]
#[template(path = "portal/invitation.html")]
pub struct InvitationPage {
    org: String,
    token: LinkToken,
    first_name: String,
    family_name: String,
    min_password_chars: usize,
}

/// The invitation link: an accept form while it is valid, a clear page for each way it is not.
pub async fn invitation(app: Rc<App>, OrgSlug(org): OrgSlug, Path(token): Path<LinkToken>) -> ApiResult<Response> {
    let Some(inv) = find_link::<InvitationByToken>(&app, &org, &token).await? else {
        return message_page(404, "Invitation not found", "This invitation link is not valid. Check that you copied all of it.");
    };
    let status = inv.status(app.now);
    if let Some(problem) = status.problem() {
        let title = match status {
            LinkStatus::Expired => "Invitation expired",
            LinkStatus::Used => "Invitation already used",
            _ => "Invitation no longer valid",
        };
        return message_page(410, title, &problem.to_string());
    }
    page(
        200,
        &InvitationPage {
            org,
            token,
            first_name: inv.first_name,
            family_name: inv.family_name,
            min_password_chars: MIN_PASSWORD_CHARS,
        },
    )
}

#[derive(Template)]
#[template(path = "portal/password_reset.html")]
pub struct PasswordResetPage {
    org: String,
    token: LinkToken,
    min_password_chars: usize,
}

pub async fn password_reset(app: Rc<App>, OrgSlug(org): OrgSlug, Path(token): Path<LinkToken>) -> ApiResult<Response> {
    match find_link::<ResetByToken>(&app, &org, &token).await? {
        None => message_page(404, "Link not found", "This password reset link is not valid."),
        Some(r) if !r.usable(app.now) => message_page(
            410,
            "Link no longer valid",
            "This password reset link has expired or was already used. Request a new one.",
        ),
        Some(_) => page(200, &PasswordResetPage { org, token, min_password_chars: MIN_PASSWORD_CHARS }),
    }
}
