//! Family details: the family's guardians with their access indicator and invitation expiry, each
//! with an Actions menu of what staff may do (the buttons that act at once live here: Enable Login,
//! Re-Send Invite Email, Reset Password; the actions with a page of their own are in
//! `family_actions`), and the family's Access history.

use super::frame::*;
use crate::app::App;
use crate::commands::access::{load_target, send_invitation, send_password_reset, FamilyView, GuardianView};
use crate::commands::families::{self, HistoryEntry};
use crate::error::ApiResult;
use crate::http::{get, post, Form, OrgSlug, Path, Response, Router, Staff};
use crate::routes::pages::form::*;
use crate::store::families::{FamilyRow, GuardianRow};
use askama::Template;
use portal_core::access::{AccessStatus, Requester};
use portal_core::family::FamilyStatus;
use portal_core::ids::{FamilyId, GuardianId};
use portal_core::time::Timestamp;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/office/:org/families/:family_id", get(family_page))
        .route("/office/:org/families/:family_id/history", get(history_page))
        .route("/office/:org/guardians/:guardian_id/enable-login", post(enable_login))
        .route("/office/:org/guardians/:guardian_id/resend-invitation", post(resend_invitation))
        .route("/office/:org/guardians/:guardian_id/reset-password", post(reset_password))
}

/// A guardian in the Family details: as the API shows them to staff, with the expiry of an
/// invitation that is out or has lapsed.
pub struct GuardianLine {
    pub guardian: GuardianView,
    pub expires: Option<String>,
}

impl GuardianLine {
    fn of(row: &GuardianRow, viewer: &Requester, now: Timestamp) -> Self {
        let guardian = GuardianView::of(row, viewer, now);
        let invited = matches!(guardian.access_status, AccessStatus::InviteSent | AccessStatus::InviteExpired);
        let expires = row.invitation_expires_at.filter(|_| invited).map(|t| staff_time(Timestamp(t)));
        GuardianLine { guardian, expires }
    }

    pub fn offers(&self, action: &str) -> bool {
        self.guardian.actions.contains(&action)
    }

    pub fn can_log_in(&self) -> bool {
        self.guardian.access_status == AccessStatus::CanLogIn
    }

    pub fn expired(&self) -> bool {
        self.guardian.access_status == AccessStatus::InviteExpired
    }
}

#[derive(Template)]
#[template(path = "office/family.html")]
pub struct FamilyPage {
    chrome: Chrome,
    family_id: String,
    current: &'static str,
    family: FamilyView,
    guardians: Vec<GuardianLine>,
    errors: Errors,
}

impl FamilyPage {
    fn is_merged(&self) -> bool {
        self.family.status == FamilyStatus::Merged
    }
}

fn render_family(app: &App, staff: &Staff, chrome: Chrome, family: &FamilyRow, rows: &[GuardianRow], errors: Errors) -> ApiResult<Response> {
    let viewer = staff.requester();
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = FamilyPage {
        chrome: chrome.clone(),
        family_id: family.id.clone(),
        current: "details",
        family: FamilyView::of(family, rows, &viewer, app.now()),
        guardians: rows.iter().map(|g| GuardianLine::of(g, &viewer, app.now())).collect(),
        errors,
    };
    respond(status, &page, &chrome)
}

/// The Family details, where the FAMILIES pencil link leads.
pub async fn family_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    FlashIn(flash): FlashIn,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let (family, rows) = families::with_guardians(&app, &staff.org.id, &family_id).await?;
    render_family(&app, &staff, chrome, &family, &rows, Errors::default())
}

/// What an Actions button does to a guardian, and what is said when it is done.
enum Act {
    EnableLogin,
    ResendInvitation,
    ResetPassword,
}

/// Runs the action with the API's command, then back to the Family details with its message; a
/// refusal is shown on the Family details in the error summary.
async fn act(app: Rc<App>, org: String, me: MaybeStaff, guardian_id: GuardianId, act: Act) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let (target, family) = load_target(&app, &staff.org, &guardian_id).await?;
    let requester = staff.requester();
    let (done, flash) = match act {
        Act::EnableLogin => (send_invitation(&app, &staff.org, &requester, &target, &family, None, false).await, Flash::InvitationSent),
        Act::ResendInvitation => (send_invitation(&app, &staff.org, &requester, &target, &family, None, true).await, Flash::InvitationResent),
        Act::ResetPassword => (send_password_reset(&app, &staff.org, &requester, &target).await, Flash::ResetSent),
    };
    let mut errors = Errors::default();
    match done {
        Ok(()) => return redirect_with(&org, &format!("families/{}", family.id), flash),
        Err(e) => errors.refusal(e, &[])?,
    }
    let (family, rows) = families::with_guardians(&app, &staff.org.id, &family.id).await?;
    render_family(&app, &staff, chrome, &family, &rows, errors)
}

/// Enable Login: the invitation to a Primary Guardian (staff never invite a secondary).
pub async fn enable_login(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(id): Path<GuardianId>, Form(_): Form<NoFields>) -> ApiResult<Response> {
    act(app, org, me, id, Act::EnableLogin).await
}

/// Re-Send Invite Email: a new link to the Primary Guardian; the old one no longer works.
pub async fn resend_invitation(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(id): Path<GuardianId>, Form(_): Form<NoFields>) -> ApiResult<Response> {
    act(app, org, me, id, Act::ResendInvitation).await
}

/// Reset Password: the guardian is e-mailed a link to choose a new one.
pub async fn reset_password(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(id): Path<GuardianId>, Form(_): Form<NoFields>) -> ApiResult<Response> {
    act(app, org, me, id, Act::ResetPassword).await
}

/// One access change, in words.
pub struct HistoryLine {
    pub at: String,
    pub action: String,
    pub entry: HistoryEntry,
}

/// "access_revoked" → "Access revoked".
fn words(code: &str) -> String {
    let s = code.replace('_', " ");
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[derive(Template)]
#[template(path = "office/family_history.html")]
pub struct HistoryPage {
    chrome: Chrome,
    family_id: String,
    current: &'static str,
    family_name: String,
    lines: Vec<HistoryLine>,
    max_lines: usize,
}

/// The most changes the page lists: enough for any family's story, and the page stays light.
const HISTORY_LINES: usize = 100;

/// The family's Access history, newest first.
pub async fn history_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    FlashIn(flash): FlashIn,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let chrome = chrome.at(Section::Families);
    let family = families::find(&app, &staff.org.id, &family_id).await?;
    let history = families::family_history(&app, &staff.org.id, &family.id).await?;
    let lines = history
        .entries
        .into_iter()
        .take(HISTORY_LINES)
        .map(|entry| HistoryLine { at: staff_time(entry.at), action: words(&entry.action), entry })
        .collect();
    let page = HistoryPage { chrome: chrome.clone(), family_id: family.id, current: "history", family_name: family.name, lines, max_lines: HISTORY_LINES };
    respond(200, &page, &chrome)
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn an_action_code_reads_as_words() {
        assert_eq!(words("access_revoked"), "Access revoked");
        assert_eq!(words("primary_guardian_changed"), "Primary guardian changed");
        assert_eq!(words(""), "");
    }
}
