//! The e-mailed links: the invitation (accept it, or a clear page for an expired, revoked or used
//! one) and the password reset link (the new password, or what to do when the link does not work).

use crate::routes::pages::form::*;
use super::frame::*;
use crate::context::Client;
use crate::app::App;
use crate::commands::links::{self, find_link, Acceptance};
use crate::error::{ApiResult, ErrorCode};
use crate::http::{get, Router, see_other, Response, Form, OrgSlug, Path,
};
use crate::store::invitations::{InvitationByToken, ResetByToken};
use askama::Template;
use portal_core::access::{AccessError, LinkStatus};
use portal_core::ids::LinkToken;
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org/invitations/:token", get(invitation).post(accept_invitation))
        .route("/portal/:org/password-reset/:token", get(password_reset_page).post(complete_password_reset))
}

#[derive(Template)]
#[template(path = "portal/link_problem.html")]
pub struct LinkProblemPage {
    chrome: Chrome,
    title: &'static str,
    message: String,
    next_step: String,
    link_href: String,
    link_text: &'static str,
}

/// The page for an invitation link that no longer works: each way it stopped working has its
/// own words, and every one says what to do (a new invitation comes from the Primary Guardian,
/// or from the organization for the Primary Guardian themselves).
fn invitation_problem_page(chrome: Chrome, status: LinkStatus, invitee_is_primary: bool) -> ApiResult<Response> {
    let (title, problem) = match status {
        LinkStatus::Expired => ("This invitation has expired", AccessError::InvitationExpired),
        LinkStatus::Used => ("This invitation has already been used", AccessError::InvitationUsed),
        LinkStatus::Revoked | LinkStatus::Valid => ("This invitation is no longer valid", AccessError::InvitationRevoked),
    };
    let ask = if invitee_is_primary {
        format!("Contact {} and ask them to send you a new invitation.", chrome.org_name())
    } else {
        "Ask the Primary Guardian of your family account to send you a new invitation.".to_string()
    };
    let next_step = match status {
        LinkStatus::Used => format!("If you did not accept it yourself: {}", lowercase_first(&ask)),
        LinkStatus::Revoked => format!("If you received a newer invitation, use the link in that e-mail. Otherwise: {}", lowercase_first(&ask)),
        _ => ask,
    };
    let link_href = format!("/portal/{}", chrome.org);
    let problem_page =
        LinkProblemPage { chrome: chrome.clone(), title, message: problem.to_string(), next_step, link_href, link_text: "Go to sign in" };
    respond(410, &problem_page, &chrome)
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn reset_link_problem_page(chrome: Chrome, not_found: bool) -> ApiResult<Response> {
    let (status, title, message) = if not_found {
        (404, "Link not found", "This password reset link is not valid. Check that you copied all of it.".to_string())
    } else {
        (410, "This link no longer works", AccessError::ResetLinkInvalid.to_string())
    };
    let link_href = format!("/portal/{}/forgot-password", chrome.org);
    let problem_page = LinkProblemPage {
        chrome: chrome.clone(),
        title,
        message,
        next_step: "You can ask for a new link: it is sent to the e-mail address you sign in with.".to_string(),
        link_href,
        link_text: "Ask for a new link",
    };
    respond(status, &problem_page, &chrome)
}

// ---------------------------------------------------------------------------------------------
// The invitation link.

#[derive(Template)]
#[template(path = "portal/invitation.html")]
pub struct InvitationPage {
    chrome: Chrome,
    token: LinkToken,
    first_name: String,
    family_name: String,
    /// The address already signs in here (a guardian in another family): the form asks for that
    /// login's password, and accepting joins this family to it.
    has_login: bool,
    hint: String,
    confirm_adult: bool,
    accept_terms: bool,
    errors: Errors,
}

fn invitation_password_hint(has_login: bool, email: &str) -> String {
    if has_login {
        format!("{email} already signs in to this portal: enter that password, and this family joins your login.")
    } else {
        password_hint()
    }
}

impl InvitationPage {
    /// The accept form for `inv`, with the two boxes as the person left them.
    fn of(chrome: Chrome, token: LinkToken, inv: InvitationByToken, (confirm_adult, accept_terms): (bool, bool), errors: Errors) -> Self {
        let has_login = inv.person_password_hash.is_some();
        let hint = invitation_password_hint(has_login, &inv.email);
        InvitationPage { chrome, token, first_name: inv.first_name, family_name: inv.family_name, has_login, hint, confirm_adult, accept_terms, errors }
    }
}

fn invitation_not_found() -> ApiResult<Response> {
    message_page(404, "Invitation not found", "This invitation link is not valid. Check that you copied all of it.")
}

/// The invitation link: the accept form while it is valid, a clear page for each way it is not.
pub async fn invitation(app: Rc<App>, OrgSlug(org): OrgSlug, Path(token): Path<LinkToken>) -> ApiResult<Response> {
    let Some(inv) = find_link::<InvitationByToken>(&app, &org, &token).await? else {
        return invitation_not_found();
    };
    let chrome = Chrome::of(&org, inv.org_name.clone());
    let status = inv.status(app.now());
    if status != LinkStatus::Valid {
        return invitation_problem_page(chrome, status, inv.guardian_id == inv.primary_guardian_id);
    }
    let form = InvitationPage::of(chrome.clone(), token, inv, (false, false), Errors::default());
    respond(200, &form, &chrome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AcceptForm {
    password: String,
    /// A checkbox: present when ticked, whatever its value.
    confirm_adult: Option<String>,
    accept_terms: Option<String>,
}

/// Accepts with the API's command, which signs the guardian in: the session cookie is set and
/// My Account greets them.
pub async fn accept_invitation(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    Path(token): Path<LinkToken>,
    client: Client,
    Form(form): Form<AcceptForm>,
) -> ApiResult<Response> {
    let Some(inv) = find_link::<InvitationByToken>(&app, &org, &token).await? else {
        return invitation_not_found();
    };
    let chrome = Chrome::of(&org, inv.org_name.clone());
    let invitee_is_primary = inv.guardian_id == inv.primary_guardian_id;
    let status = inv.status(app.now());
    if status != LinkStatus::Valid {
        return invitation_problem_page(chrome, status, invitee_is_primary);
    }
    let (confirm_adult, accept_terms) = (form.confirm_adult.is_some(), form.accept_terms.is_some());
    let has_login = inv.person_password_hash.is_some();
    let mut errors = Errors::default();
    if !has_login {
        new_password_field(&mut errors, "password", &form.password);
    } else if form.password.is_empty() {
        errors.field("password", "Enter your password.");
    }
    if !confirm_adult {
        errors.field("confirm_adult", "Confirm that you are 18 or older.");
    }
    if !accept_terms {
        errors.field("accept_terms", AccessError::MustAcceptTerms.to_string());
    }
    let mut retry_after = None;
    if errors.is_empty() {
        let acceptance = Acceptance { token: &token, password: &form.password, confirm_adult, accept_terms };
        match links::accept_invitation(&app, &org, &client, acceptance).await {
            Ok(accepted) => {
                return see_other(&format!("/portal/{org}/account"), &[accepted.session.cookie(), Flash::Welcome.cookie(&org)]);
            }
            Err(e) if e.code == ErrorCode::WrongPassword => errors.field("password", e.message.clone()),
            Err(e) if e.status == 429 => {
                let seconds = e.retry_after_seconds.unwrap_or(60);
                errors.form(format!("Too many wrong passwords. Try again in {}.", wait_words(seconds)));
                retry_after = Some(seconds);
            }
            // The link changed while the form was open (a revoke, a re-send, another tab).
            Err(e) if e.code == ErrorCode::InvitationExpired => return invitation_problem_page(chrome, LinkStatus::Expired, invitee_is_primary),
            Err(e) if e.code == ErrorCode::InvitationUsed => return invitation_problem_page(chrome, LinkStatus::Used, invitee_is_primary),
            Err(e) if e.code == ErrorCode::InvitationRevoked => return invitation_problem_page(chrome, LinkStatus::Revoked, invitee_is_primary),
            Err(e) if e.code == ErrorCode::InvitationNotFound => return invitation_not_found(),
            Err(e) if e.status == 422 => errors.refusal(e, &["password", "confirm_adult", "accept_terms"])?,
            Err(e) => return Err(e),
        }
    }
    let chrome = chrome.with_errors(&errors);
    let again = InvitationPage::of(chrome.clone(), token, inv, (confirm_adult, accept_terms), errors);
    let resp = respond(if retry_after.is_some() { 429 } else { 422 }, &again, &chrome)?;
    if let Some(seconds) = retry_after {
        resp.headers().set("retry-after", &seconds.to_string())?;
    }
    Ok(resp)
}

// ---------------------------------------------------------------------------------------------
// The password reset link.

#[derive(Template)]
#[template(path = "portal/password_reset.html")]
pub struct PasswordResetPage {
    chrome: Chrome,
    token: LinkToken,
    hint: String,
    errors: Errors,
}

/// The reset link's page: the form while the link works, else what to do.
pub async fn password_reset_page(app: Rc<App>, OrgSlug(org): OrgSlug, Path(token): Path<LinkToken>) -> ApiResult<Response> {
    let chrome = chrome_for(&app, &org).await?;
    match find_link::<ResetByToken>(&app, &org, &token).await? {
        None => reset_link_problem_page(chrome, true),
        Some(r) if !r.usable(app.now()) => reset_link_problem_page(chrome, false),
        Some(_) => respond(200, &PasswordResetPage { chrome: chrome.clone(), token, hint: password_hint(), errors: Errors::default() }, &chrome),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    new_password: String,
}

/// Sets the new password with the API's command (every session of the guardian ends), then the
/// sign-in page says it is done.
pub async fn complete_password_reset(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    Path(token): Path<LinkToken>,
    Form(form): Form<ResetForm>,
) -> ApiResult<Response> {
    let mut errors = Errors::default();
    new_password_field(&mut errors, "new_password", &form.new_password);
    if errors.is_empty() {
        match links::complete_password_reset(&app, &org, &token, &form.new_password).await {
            Ok(()) => return see_other(&format!("/portal/{org}"), &[Flash::PasswordReset.cookie(&org)]),
            Err(e) if e.code == ErrorCode::ResetLinkNotFound => return reset_link_problem_page(chrome_for(&app, &org).await?, true),
            Err(e) if e.code == ErrorCode::ResetLinkInvalid => return reset_link_problem_page(chrome_for(&app, &org).await?, false),
            Err(e) if e.status == 422 => errors.refusal(e, &["new_password"])?,
            Err(e) => return Err(e),
        }
    }
    let chrome = chrome_for(&app, &org).await?.with_errors(&errors);
    respond(422, &PasswordResetPage { chrome: chrome.clone(), token, hint: password_hint(), errors }, &chrome)
}

#[cfg(test)]
mod tests {
    use super::lowercase_first;

    #[test]
    fn lowercases_the_first_letter_only() {
        assert_eq!(lowercase_first("Ask the Primary Guardian."), "ask the Primary Guardian.");
    }
}
