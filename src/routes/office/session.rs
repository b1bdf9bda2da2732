//! Staff sign-in and sign-out.

use crate::context::Client;
use crate::http::{cleared_cookie, no_content, signed_in_answer, OrgSlug, Response, SignInJson, STAFF_COOKIE, Staff};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

use crate::app::App;
use crate::error::ApiResult;
use crate::commands::sign_in::{self, StaffSignedIn};
use crate::store::sessions;
use portal_core::email::EmailAddress;

#[derive(Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

pub async fn sign_in(
    app: Rc<App>,
    OrgSlug(org_slug): OrgSlug,
    client: Client,
    SignInJson(body): SignInJson<Credentials>,
) -> ApiResult<Response> {
    let email = EmailAddress::parse(&body.email)?;
    let signed_in = sign_in::staff(&app, &org_slug, &client, &email, &body.password).await?;
    let StaffSignedIn { session, staff_id, email, role } = signed_in;
    let answer = StaffAnswer { staff: SignedInStaff { email: &email, id: &staff_id, role }, token: &session.token };
    signed_in_answer(&answer, &session.cookies())
}

/// The sign-in's answer. (Fields by name: the order the JSON has always had.)
#[derive(Serialize)]
struct StaffAnswer<'a> {
    staff: SignedInStaff<'a>,
    token: &'a str,
}

#[derive(Serialize)]
struct SignedInStaff<'a> {
    email: &'a str,
    id: &'a str,
    role: portal_core::organization::StaffRole,
}

pub async fn sign_out(app: Rc<App>, OrgSlug(org_slug): OrgSlug, staff: Staff) -> ApiResult<Response> {
    let app = &*app;
    sessions::end(&app.db, &staff.session_id, "signed_out", app.now()).await?;
    let resp = no_content()?;
    resp.headers().set("set-cookie", &cleared_cookie(STAFF_COOKIE, format!("/office/{org_slug}")))?;
    Ok(resp)
}
