//! The Customer Portal's JSON API: `/portal/{org}/api/...` (the switch gate has already run).

use crate::http::{cleared_cookie, json, no_content, ClientAddress, Customer, GUARDIAN_COOKIE, Json, OrgSlug, Response};
use serde_json::json;
use std::rc::Rc;

use crate::commands::access::guardian_json;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::commands::sign_in::{self, GuardianSignedIn, Session};
use crate::store::sessions::EnterableFamily;
use serde::Deserialize;
use serde_json::Value;
use crate::store::families::{self};
use crate::store::{audit, sessions};
use portal_core::email::EmailAddress;

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
    /// Which of the person's families to enter (the first by name when absent).
    family_id: Option<String>,
}

pub async fn sign_in(
    app: Rc<App>,
    OrgSlug(org_slug): OrgSlug,
    ClientAddress(client): ClientAddress,
    Json(body): Json<Credentials>,
) -> ApiResult<Response> {
    let email = EmailAddress::parse(&body.email)?;
    let signed_in = sign_in::guardian(&app, &org_slug, &client, &email, &body.password, body.family_id.as_deref()).await?;
    signed_in_response(&app, &signed_in).await
}

#[derive(Deserialize)]
pub struct FamilyChoice {
    family_id: String,
}

/// The Family Switcher: a session in another of the person's families, this one ended.
pub async fn switch_family(app: Rc<App>, me: Customer, Json(body): Json<FamilyChoice>) -> ApiResult<Response> {
    let switched = sign_in::switch_family(
        &app,
        &me.org.id,
        &me.org.slug,
        me.session_epoch,
        &me.person_id,
        &me.session_id,
        &body.family_id,
    )
    .await?;
    signed_in_response(&app, &switched).await
}

async fn signed_in_response(app: &App, signed_in: &GuardianSignedIn) -> ApiResult<Response> {
    session_response(app, &signed_in.org_id, &signed_in.guardian_id, &signed_in.session, Some(&signed_in.families)).await
}

/// The answer of a sign-in, a family switch or an accepted invitation: `{token, guardian,
/// family_id, families}` and the cookie. `families` are those the person may enter (read here
/// when the caller does not know them yet).
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
    let viewer = portal_core::access::Requester::Guardian(me.facts());
    let resp = json(
        200,
        &json!({
            "token": session.token,
            "guardian": guardian_json(&me, &viewer, app.now()),
            "family_id": me.family_id,
            "families": families_json(enterable, &me.family_id),
        }),
    )?;
    resp.headers().set("set-cookie", &session.cookie())?;
    Ok(resp)
}

fn families_json(families: &[EnterableFamily], current: &str) -> Value {
    families.iter().map(|f| json!({ "id": f.id, "name": f.name, "is_current": f.id == current })).collect()
}

pub async fn sign_out(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    let app = &*app;
    sessions::end(&app.db, &me.session_id, "signed_out", app.now()).await?;
    let resp = no_content()?;
    resp.headers().set("set-cookie", &cleared_cookie(GUARDIAN_COOKIE, format!("/portal/{}", me.org.slug)))?;
    Ok(resp)
}

/// My Account: the family, me, every guardian with their access indicator, my permissions.
pub async fn account(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    let app = &*app;
    let (guardians, enterable) = families::family_guardians_and_families_of(&app.db, &me.me.family_id, &me.person_id).await?;
    let viewer = me.requester();
    let mine = guardians.iter().find(|g| g.id == me.me.id);
    json(
        200,
        &json!({
            "family": { "id": me.me.family_id, "name": me.family_name },
            "families": families_json(&enterable, &me.me.family_id),
            "me": mine.map(|g| guardian_json(g, &viewer, app.now())),
            "guardians": guardians.iter().map(|g| guardian_json(g, &viewer, app.now())).collect::<Vec<_>>(),
            "permissions": {
                "can_make_payments": me.me.is_primary || me.can_make_payments,
                "can_view_full_ledger": me.me.is_primary || me.can_view_full_ledger,
                "can_manage_enrollments": me.me.is_primary || me.can_manage_enrollments,
            },
        }),
    )
}

/// The family's access history, for the Primary Guardian.
pub async fn access_history(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    let app = &*app;
    me.require_primary()?;
    let entries = audit::history(&app.db, &me.org.id, Some(&me.me.family_id), None).await?;
    json(200, &json!({ "entries": entries }))
}
