//! A student's QR code as an SVG image, while the organization shows QR codes (else 403
//! `qr_codes_disabled`). Never cached: a rotated code must not linger anywhere.

use crate::app::App;
use crate::error::ApiResult;
use crate::http::response::with_headers;
use crate::http::{Customer, Path, Response};
use portal_core::ids::StudentId;
use std::rc::Rc;

pub async fn student_qr_code(app: Rc<App>, me: Customer, Path(id): Path<StudentId>) -> ApiResult<Response> {
    let svg = me.family().student_qr_code(&app, &me.options, &id).await?;
    with_headers(200, svg.as_bytes(), &[("content-type", "image/svg+xml"), ("cache-control", "private, no-store"), ("x-content-type-options", "nosniff")])
}
