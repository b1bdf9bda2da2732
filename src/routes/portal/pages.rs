//! Small server-rendered pages of the Customer Portal.

use super::links::{invitation_by_token, link_status, reset_by_token, reset_usable};
use crate::app::App;
use crate::error::ApiResult;
use crate::http::html;
use portal_core::access::LinkStatus;
use portal_core::notification::escape_html;
use portal_core::password::MIN_PASSWORD_CHARS;
use worker::Response;

/// A form that posts its fields as JSON to `action` and shows the answer; on success it goes to
/// `next`. Shared by the sign-in, invitation and password pages.
fn json_form(id: &str, action: &str, fields: &str, button: &str, next: &str) -> String {
    format!(
        r#"<form id="{id}" method="post" action="{action}">
{fields}
  <button type="submit">{button}</button>
  <p id="result" role="alert"></p>
</form>
<script>
document.getElementById('{id}').addEventListener('submit', async (event) => {{
  event.preventDefault();
  const form = event.target;
  const result = document.getElementById('result');
  const body = {{}};
  for (const el of form.elements) {{
    if (!el.name) continue;
    body[el.name] = el.type === 'checkbox' ? el.checked : el.value;
  }}
  const response = await fetch(form.action, {{
    method: 'POST',
    headers: {{ 'content-type': 'application/json' }},
    body: JSON.stringify(body),
  }});
  const data = await response.json().catch(() => ({{}}));
  if (response.ok) {{
    result.className = '';
    result.textContent = 'Done.';
    window.location.assign('{next}');
  }} else {{
    result.className = 'error';
    result.textContent = (data.error && data.error.message) || 'Something went wrong.';
  }}
}});
</script>"#
    )
}

fn layout(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ font-family: system-ui, sans-serif; max-width: 28rem; margin: 4rem auto; padding: 0 1rem; color: #1d2433; }}
  h1 {{ font-size: 1.4rem; }}
  label {{ display: block; margin: 1rem 0 .25rem; }}
  input {{ width: 100%; padding: .5rem; font-size: 1rem; box-sizing: border-box; }}
  button {{ margin-top: 1.25rem; padding: .6rem 1.2rem; font-size: 1rem; }}
  .message {{ padding: 1rem; background: #f3f5f9; border-radius: .5rem; }}
  .error {{ color: #a61b1b; }}
</style>
</head>
<body>
{body}
</body>
</html>"#,
        title = escape_html(title),
    )
}

pub fn message_page(status: u16, title: &str, message: &str) -> ApiResult<Response> {
    let body = format!(
        r#"<main><h1>{}</h1><p class="message" role="status">{}</p></main>"#,
        escape_html(title),
        escape_html(message)
    );
    html(status, layout(title, &body))
}

pub fn not_found() -> ApiResult<Response> {
    message_page(404, "Page not found", "There is no such page in the Customer Portal.")
}

/// The portal's entry page: sign in with e-mail and password.
pub fn sign_in(org: &str) -> ApiResult<Response> {
    let org = escape_html(org);
    let form = json_form(
        "sign-in",
        &format!("/portal/{org}/api/session"),
        r#"  <label for="email">E-mail address</label>
  <input id="email" name="email" type="email" autocomplete="username" required>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>"#,
        "Sign in",
        &format!("/portal/{org}/account"),
    );
    html(200, layout("Customer Portal sign in", &format!("<main>\n<h1>Customer Portal sign in</h1>\n{form}\n</main>")))
}

/// My Account: a small page that reads the account with the session cookie.
pub fn account(org: &str) -> ApiResult<Response> {
    let org = escape_html(org);
    let body = format!(
        r#"<main>
<h1 id="family">My Account</h1>
<ul id="guardians"></ul>
<p id="result" role="alert"></p>
</main>
<script>
(async () => {{
  const response = await fetch('/portal/{org}/api/account');
  const data = await response.json().catch(() => ({{}}));
  if (!response.ok) {{
    window.location.assign('/portal/{org}');
    return;
  }}
  document.getElementById('family').textContent = data.family.name + ' family';
  const list = document.getElementById('guardians');
  for (const g of data.guardians) {{
    const item = document.createElement('li');
    item.textContent = g.first_name + ' ' + g.last_name + (g.is_primary ? ' (Primary Guardian)' : '') + ': ' + g.access_label;
    list.appendChild(item);
  }}
}})();
</script>"#
    );
    html(200, layout("My Account", &body))
}

/// The invitation link: an accept form while it is valid, a clear page for each way it is not.
pub async fn invitation(app: &App, org: &str, token: &str) -> ApiResult<Response> {
    let Some(inv) = invitation_by_token(app, org, token).await? else {
        return message_page(404, "Invitation not found", "This invitation link is not valid. Check that you copied all of it.");
    };
    let status = link_status(&inv, app);
    match status.problem() {
        Some(problem) => {
            let title = match status {
                LinkStatus::Expired => "Invitation expired",
                LinkStatus::Used => "Invitation already used",
                _ => "Invitation no longer valid",
            };
            message_page(410, title, &problem.to_string())
        }
        None => {
            let org_html = escape_html(org);
            let form = json_form(
                "accept",
                &format!("/portal/{org_html}/api/invitations/accept"),
                &format!(
                    r#"  <input type="hidden" name="token" value="{token}">
  <label for="password">Choose a password (at least {MIN_PASSWORD_CHARS} characters)</label>
  <input id="password" name="password" type="password" autocomplete="new-password" minlength="{MIN_PASSWORD_CHARS}" required>
  <label><input type="checkbox" name="confirm_adult" required> I confirm that I am an adult (18 or older).</label>
  <label><input type="checkbox" name="accept_terms" required> I accept the terms of use of the Customer Portal.</label>"#,
                    token = escape_html(token)
                ),
                "Accept invitation",
                &format!("/portal/{org_html}/account"),
            );
            let body = format!(
                "<main>\n<h1>Welcome, {}</h1>\n<p>You are invited to log in to the {} family account.</p>\n{form}\n</main>",
                escape_html(&inv.first_name),
                escape_html(&inv.family_name)
            );
            html(200, layout("Accept your invitation", &body))
        }
    }
}

pub async fn password_reset(app: &App, org: &str, token: &str) -> ApiResult<Response> {
    match reset_by_token(app, org, token).await? {
        None => message_page(404, "Link not found", "This password reset link is not valid."),
        Some(r) if !reset_usable(&r, app) => message_page(
            410,
            "Link no longer valid",
            "This password reset link has expired or was already used. Request a new one.",
        ),
        Some(_) => {
            let org_html = escape_html(org);
            let form = json_form(
                "reset",
                &format!("/portal/{org_html}/api/password-reset/complete"),
                &format!(
                    r#"  <input type="hidden" name="token" value="{token}">
  <label for="new_password">New password (at least {MIN_PASSWORD_CHARS} characters)</label>
  <input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="{MIN_PASSWORD_CHARS}" required>"#,
                    token = escape_html(token)
                ),
                "Set password",
                &format!("/portal/{org_html}"),
            );
            html(200, layout("Choose a new password", &format!("<main>\n<h1>Choose a new password</h1>\n{form}\n</main>")))
        }
    }
}
