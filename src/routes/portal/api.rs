//! The Customer Portal's JSON API: `/portal/{org}/api/...` (the switch gate has already run).

use crate::context::Client;
use crate::app::App;
use crate::commands::access::{family_choices, FamilyChoice, GuardianView};
use crate::commands::families::family_history;
use crate::commands::sign_in::{self, GuardianSignedIn, Session};
use crate::error::{ApiError, ApiResult};
use crate::http::{SignInJson, cleared_cookie, json, no_content, signed_in_answer, Customer, GUARDIAN_COOKIE, Json, OrgSlug, Response};
use crate::store::families;
use crate::store::sessions::{self, EnterableFamily};
use portal_core::access::{Permissions, Requester};
use portal_core::email::EmailAddress;
use portal_core::ids::FamilyId;
use portal_core::sign_ins::SignInClient;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
    /// Which of the person's families to enter (the first by name when absent).
    family_id: Option<String>,
    /// `"app"`: the Mobile App, which gets a refresh token and a 15-minute access token.
    #[serde(default)]
    client: SignInClient,
}

pub async fn sign_in(
    app: Rc<App>,
    OrgSlug(org_slug): OrgSlug,
    client: Client,
    SignInJson(body): SignInJson<Credentials>,
) -> ApiResult<Response> {
    let email = EmailAddress::parse(&body.email)?;
    let signed_in = sign_in::guardian(&app, &org_slug, &client, &email, &body.password, body.family_id.as_deref(), body.client).await?;
    session_response(&app, &signed_in.org_id, &signed_in.guardian_id, &signed_in.session, Some(&signed_in.families)).await
}

#[derive(Deserialize)]
pub struct FamilyForm {
    family_id: String,
}

/// The Family Switcher: a session in another of the person's families, this one ended.
pub async fn switch_family(app: Rc<App>, me: Customer, client: Client, Json(body): Json<FamilyForm>) -> ApiResult<Response> {
    let switched: GuardianSignedIn = sign_in::switch_family(
        &app,
        &me.org.id,
        &me.org.slug,
        me.session_epoch,
        &me.person_id,
        &me.session_id,
        &body.family_id,
        &client,
    )
    .await?;
    session_response(&app, &switched.org_id, &switched.guardian_id, &switched.session, Some(&switched.families)).await
}

/// The answer of a sign-in, a family switch or an accepted invitation. Field order is the API's.
#[derive(Serialize)]
struct SessionAnswer<'a> {
    /// The Mobile App's: seconds its access token lives.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in: Option<i64>,
    families: Vec<FamilyChoice>,
    family_id: FamilyId,
    guardian: GuardianView,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    token: &'a str,
}

/// `{token, guardian, family_id, families}` and the cookie. `families` are those the person may
/// enter (read here when the caller does not know them yet).
pub async fn session_response(
    app: &App,
    org_id: &str,
    guardian_id: &str,
    session: &Session,
    known_families: Option<&[EnterableFamily]>,
) -> ApiResult<Response> {
    let me = families::find_guardian(&app.db, org_id, guardian_id)
        .await?
        .ok_or_else(|| ApiError::internal("signed-in guardian missing"))?;
    let read;
    let enterable = match (known_families, &me.person_id) {
        (Some(known), _) => known,
        (None, Some(person_id)) => {
            read = sessions::families_of_person(&app.db, person_id).await?;
            &read
        }
        (None, None) => &[][..],
    };
    let answer = SessionAnswer {
        expires_in: session.app.as_ref().map(|a| a.expires_in),
        families: family_choices(enterable, &me.family_id),
        family_id: FamilyId(me.family_id.clone()),
        guardian: GuardianView::of(&me, &Requester::Guardian(me.facts()), app.now()),
        refresh_token: session.app.as_ref().map(|a| a.refresh_token.as_str()),
        token: &session.token,
    };
    // The Mobile App keeps its tokens itself: no cookie.
    let cookies = if session.app.is_some() { vec![] } else { session.cookies() };
    signed_in_answer(&answer, &cookies)
}

pub async fn sign_out(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    let app = &*app;
    sessions::end(&app.db, &me.session_id, "signed_out", app.now()).await?;
    let resp = no_content()?;
    resp.headers().set("set-cookie", &cleared_cookie(GUARDIAN_COOKIE, format!("/portal/{}", me.org.slug)))?;
    Ok(resp)
}

#[derive(Serialize)]
struct FamilyName<'a> {
    id: &'a str,
    name: &'a str,
}

/// My Account's answer. Field order is the API's (alphabetical).
#[derive(Serialize)]
struct AccountAnswer<'a> {
    families: Vec<FamilyChoice>,
    family: FamilyName<'a>,
    guardians: Vec<GuardianView>,
    me: Option<GuardianView>,
    permissions: Permissions,
}

/// My Account: the family, me, every guardian with their access indicator, my permissions.
pub async fn account(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    let app = &*app;
    let (guardians, enterable) = families::family_guardians_and_families_of(&app.db, &me.me.family_id, &me.person_id).await?;
    let viewer = me.requester();
    let mine = guardians.iter().find(|g| g.id == me.me.id);
    let granted = Permissions {
        can_make_payments: me.can_make_payments,
        can_manage_enrollments: me.can_manage_enrollments,
        can_view_full_ledger: me.can_view_full_ledger,
    };
    let answer = AccountAnswer {
        families: family_choices(&enterable, &me.me.family_id),
        family: FamilyName { id: &me.me.family_id, name: &me.family_name },
        guardians: guardians.iter().map(|g| GuardianView::of(g, &viewer, app.now())).collect(),
        me: mine.map(|g| GuardianView::of(g, &viewer, app.now())),
        permissions: Permissions::effective(me.me.is_primary, granted),
    };
    json(200, &answer)
}

/// The family's access history, for the Primary Guardian.
pub async fn access_history(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    me.require_primary()?;
    json(200, &family_history(&app, &me.org.id, &me.me.family_id).await?)
}
