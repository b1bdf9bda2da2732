//! Staff resolve a scanned QR code and rotate a student's code.

use crate::app::App;
use crate::commands::qr_codes;
use crate::error::ApiResult;
use crate::http::{json, Path, PathParam, Response, Staff};
use portal_core::ids::StudentId;
use portal_core::qr_code::ScannedCode;
use std::rc::Rc;

impl PathParam for ScannedCode {
    const NAME: &'static str = "code";
}

pub async fn resolve(app: Rc<App>, staff: Staff, Path(code): Path<ScannedCode>) -> ApiResult<Response> {
    json(200, &qr_codes::resolve(&app, &staff.org, &code.0).await?)
}

pub async fn rotate(app: Rc<App>, staff: Staff, Path(student_id): Path<StudentId>) -> ApiResult<Response> {
    json(200, &qr_codes::rotate(&app, &staff.org, staff.actor(), &student_id).await?)
}
