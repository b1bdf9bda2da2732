//! Guardian access in the Office Portal: enable login for a primary guardian, revoke any login,
//! send password resets, and the invitations console. Staff never invite a secondary.

use crate::fields::{record, FromFields};
use super::authenticate;
use crate::commands::access::{guardian_json, load_target, parse_reason, revoke, revoke_preview, send_invitation, send_password_reset};
use crate::app::App;
use crate::error::ApiResult;
use crate::http::object;
use crate::http::{json, parse_json, query_param, read_body, read_json, MAX_JSON_BODY_BYTES};
use crate::store::{int, text, Arg};
use portal_core::time::Timestamp;
use worker::{Request, Response};

pub async fn invite(app: &App, req: Request, org: &str, guardian_id: &str, resend: bool) -> ApiResult<Response> {
    let staff = authenticate(app, &req, org).await?;
    let (target, family) = load_target(app, &staff.org(), guardian_id).await?;
    send_invitation(app, &staff.org(), &staff.requester(), &target, &family, None, resend).await?;
    let (target, _) = load_target(app, &staff.org(), guardian_id).await?;
    json(202, &guardian_json(&target, &staff.requester(), app.now))
}

record! {
    #[strict]
    #[derive(Default)]
    pub struct RevokeBody {
        pub reason: Option<String>,
    }
}

/// An optional JSON body: absent or empty means `{}`.
pub async fn optional_json<T: FromFields + Default>(req: &mut Request) -> ApiResult<T> {
    let bytes = read_body(req, MAX_JSON_BODY_BYTES).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_json(&bytes)
}

pub fn is_dry_run(req: &Request) -> bool {
    matches!(query_param(req, "dry_run").as_deref(), Some("true" | "1" | "yes"))
}

pub async fn revoke_login(app: &App, mut req: Request, org: &str, guardian_id: &str) -> ApiResult<Response> {
    let staff = authenticate(app, &req, org).await?;
    let body: RevokeBody = optional_json(&mut req).await?;
    let reason = parse_reason(body.reason.as_deref())?;
    let (target, family) = load_target(app, &staff.org(), guardian_id).await?;
    if is_dry_run(&req) {
        return json(200, &revoke_preview(app, &staff.requester(), &target).await?);
    }
    revoke(app, &staff.org(), &staff.requester(), &target, &family, reason).await?;
    let (target, _) = load_target(app, &staff.org(), guardian_id).await?;
    json(200, &guardian_json(&target, &staff.requester(), app.now))
}

pub async fn password_reset(app: &App, req: Request, org: &str, guardian_id: &str) -> ApiResult<Response> {
    let staff = authenticate(app, &req, org).await?;
    let (target, _) = load_target(app, &staff.org(), guardian_id).await?;
    send_password_reset(app, &staff.org(), &staff.requester(), &target).await?;
    json(202, &object!({ "status": "sent" }))
}

record! {
    struct InvitationRow {
        id: String,
        guardian_id: String,
        family_id: String,
        email: String,
        state: String,
        created_at: i64,
        expires_at: i64,
        ended_at: Option<i64>,
        sent_by_kind: String,
        sent_by_label: String,
        first_name: String,
        last_name: String,
    }
}

/// Every invitation of the organization, newest first, with its state and expiry.
/// `?status=` filters by pending|expired|accepted|revoked|superseded.
pub async fn invitations(app: &App, req: Request, org: &str) -> ApiResult<Response> {
    let staff = authenticate(app, &req, org).await?;
    let now = int(app.now.millis());
    let filter = match query_param(&req, "status").as_deref() {
        None | Some("") | Some("all") => "",
        Some("pending") => " AND i.state = 'pending' AND i.expires_at > ?2",
        Some("expired") => " AND i.state = 'pending' AND i.expires_at <= ?2",
        Some("accepted") => " AND i.state = 'accepted'",
        Some("revoked") => " AND i.state = 'revoked'",
        Some("superseded") => " AND i.state = 'superseded'",
        Some(_) => {
            return Err(crate::error::ApiError::invalid_field(
                "status must be one of pending, expired, accepted, revoked, superseded.",
            ))
        }
    };
    let args: Vec<Arg<'_>> = vec![text(&staff.org_id), now];
    let rows: Vec<InvitationRow> = app
        .db
        .all(
            &format!(
                "SELECT i.id, i.guardian_id, i.family_id, i.email, i.state, i.created_at, i.expires_at, i.ended_at, \
                 i.sent_by_kind, i.sent_by_label, g.first_name, g.last_name \
                 FROM invitations i JOIN guardians g ON g.id = i.guardian_id \
                 WHERE i.org_id = ?1 AND ?2 = ?2{filter} ORDER BY i.created_at DESC LIMIT 500"
            ),
            &args,
        )
        .await?;
    let out: Vec<_> = rows
        .into_iter()
        .map(|r| {
            let state = if r.state == "pending" && r.expires_at <= app.now.millis() { "expired".into() } else { r.state };
            object!({
                "id": r.id, "guardian_id": r.guardian_id, "family_id": r.family_id,
                "guardian_name": format!("{} {}", r.first_name, r.last_name), "email": r.email, "state": state,
                "sent_at": Timestamp(r.created_at).to_rfc3339(), "expires_at": Timestamp(r.expires_at).to_rfc3339(),
                "ended_at": r.ended_at.map(|t| Timestamp(t).to_rfc3339()),
                "sent_by": { "kind": r.sent_by_kind, "label": r.sent_by_label },
            })
        })
        .collect();
    json(200, &object!({ "invitations": out }))
}

record! {
    #[strict]
    struct MoveBody {
        to_family_id: String,
        confirm: Option<bool>,
    }
}

/// Moving a contact to another account: without `confirm: true` the answer is 409 with
/// "Portal access will be disabled for NAME."
pub async fn move_contact(app: &App, mut req: Request, org: &str, guardian_id: &str) -> ApiResult<Response> {
    let staff = authenticate(app, &req, org).await?;
    let body: MoveBody = read_json(&mut req).await?;
    let (contact, from) = load_target(app, &staff.org(), guardian_id).await?;
    let to = crate::store::families::find_family(&app.db, &staff.org_id, &body.to_family_id)
        .await?
        .ok_or_else(|| crate::error::ApiError::not_found("family_not_found", "No family with that id."))?;
    crate::commands::operations::move_contact(app, &staff.org(), &staff.requester(), &contact, &from, &to, body.confirm == Some(true)).await?;
    let (contact, _) = load_target(app, &staff.org(), guardian_id).await?;
    json(200, &guardian_json(&contact, &staff.requester(), app.now))
}
