//! What a phone opens when staff scan a student's QR code (`/office/{org}/qr/{code}`): the
//! student and their family, with the way to the Family details; and Rotate QR Code, here and on
//! the family's Students tab. The same commands as `/office/{org}/api/qr/...`.

use super::frame::*;
use crate::app::App;
use crate::commands::qr_codes::{self, CodeOwner};
use crate::error::ApiResult;
use crate::http::{get, post, OrgSlug, Path, Response, Router};
use askama::Template;
use portal_core::ids::StudentId;
use portal_core::qr_code::ScannedCode;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/office/:org/qr/:code", get(scanned))
        .route("/office/:org/students/:student_id/qr-code/rotate", post(rotate))
}

#[derive(Template)]
#[template(path = "office/qr_code.html")]
pub struct ScannedPage {
    chrome: Chrome,
    owner: CodeOwner,
}

pub async fn scanned(app: Rc<App>, OrgSlug(org): OrgSlug, FlashIn(flash): FlashIn, me: MaybeStaff, Path(code): Path<ScannedCode>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let owner = qr_codes::resolve(&app, &staff.org, &code.0).await?;
    let chrome = chrome.at(Section::Families);
    respond(200, &ScannedPage { chrome: chrome.clone(), owner }, &chrome)
}

/// Back to the family's Students tab, where the button is.
pub async fn rotate(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(student_id): Path<StudentId>,
) -> ApiResult<Response> {
    let (staff, _) = signed_in!(org, me, None);
    let rotated = qr_codes::rotate(&app, &staff.org, staff.actor(), &student_id).await?;
    redirect_with(&org, &format!("families/{}/students", rotated.family.id), Flash::QrCodeRotated)
}
