//! Small server-rendered pages of the Customer Portal.

use crate::error::ApiResult;
use crate::http::html;
use portal_core::notification::escape_html;
use worker::Response;

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
    let body = format!(
        r#"<main>
<h1>Customer Portal sign in</h1>
<form id="sign-in" method="post" action="/portal/{org}/api/session">
  <label for="email">E-mail address</label>
  <input id="email" name="email" type="email" autocomplete="username" required>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
  <p id="result" role="alert"></p>
</form>
</main>
<script>
document.getElementById('sign-in').addEventListener('submit', async (event) => {{
  event.preventDefault();
  const form = event.target;
  const result = document.getElementById('result');
  const response = await fetch(form.action, {{
    method: 'POST',
    headers: {{ 'content-type': 'application/json' }},
    body: JSON.stringify({{ email: form.email.value, password: form.password.value }}),
  }});
  const data = await response.json().catch(() => ({{}}));
  if (response.ok) {{
    result.className = '';
    result.textContent = 'Signed in.';
    window.location.assign('/portal/{org}/account');
  }} else {{
    result.className = 'error';
    result.textContent = (data.error && data.error.message) || 'Sign-in failed.';
  }}
}});
</script>"#
    );
    html(200, layout("Customer Portal sign in", &body))
}
