//! The Customer Portal: `/portal/{org}` (pages) and `/portal/{org}/api` (JSON). Every request is
//! gated first by the organization's portal switch.

mod api;
mod credit;
mod guardians;
mod leaving;
mod links;
mod locations; // Locations in the portal (stu-a)
mod evaluations; // stu-a
mod attendance; // stu-a
mod absences; // stu-a
mod pages;
mod payments;
mod students;
// Your Student(s) part B.
mod passes;
// Signed-in devices and the Mobile App's refresh (issue 27, part B).
mod sign_ins;
// Makeup tokens (issue 25, tok).
mod makeup_tokens;
// Makeup requests (req).
mod makeups;
// Changing the login e-mail (issue 26).
mod email_change;
// QR codes (issue 25).
mod qr_codes;
// Statements for a location (issue 26, stmt).
mod statements;


use crate::adapters::switch::{maintenance_error, portal_view, PortalView};
use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::response::{self, FixedBody};
use crate::http::{delete, get, patch, post, put, Response, Router};

pub fn routes(router: Router) -> Router {
    macro_rules! api {
        ($path:literal) => {
            concat!("/portal/:org/api", $path)
        };
    }
    // Account information's contact points: one module for both doors, each side listed apart.
    let router = super::contact_points::portal_routes(router);
    pages::routes(router)
        .route(api!("/session"), post(api::sign_in).delete(api::sign_out))
        .route(api!("/session/family"), post(api::switch_family))
        .route(api!("/account"), get(api::account))
        .route(api!("/access-history"), get(api::access_history))
        .route(api!("/invitations/accept"), post(links::accept_invitation))
        .route(api!("/invitations/:token"), get(links::invitation_status))
        .route(api!("/password-reset/request"), post(links::request_password_reset))
        .route(api!("/password-reset/complete"), post(links::complete_password_reset))
        .route(api!("/me/password"), post(links::change_password))
        .route(api!("/guardians"), post(guardians::add))
        .route(api!("/guardians/:guardian_id"), patch(guardians::edit_contact))
        .route(api!("/guardians/:guardian_id/invitation"), post(guardians::invite))
        .route(api!("/guardians/:guardian_id/invitation/resend"), post(guardians::resend))
        .route(api!("/guardians/:guardian_id/revoke"), post(guardians::revoke))
        .route(api!("/guardians/:guardian_id/permissions"), put(guardians::set_permissions))
        .route(api!("/guardians/:guardian_id/password-reset"), post(guardians::password_reset))
        .route(api!("/payment-methods"), get(payments::list).post(payments::save))
        .route(api!("/payment-methods/:payment_method_id"), patch(payments::edit).delete(payments::delete))
        .route(api!("/balance"), get(payments::balance))
        .route(api!("/payments"), post(payments::pay))
        .route(api!("/transactions"), get(payments::transactions))
        .route(api!("/students"), get(students::list).post(students::add))
        .route(api!("/students/:student_id"), patch(students::edit))
        .route(api!("/students/:student_id/enrollments"), get(students::student_enrollments))
        .route(api!("/classes"), get(students::classes))
        .route(api!("/enrollments"), post(students::enroll))
        .route(api!("/enrollments/:enrollment_id/drop-request"), post(students::drop_request))
        .route(api!("/enrollments/:enrollment_id/transfer-request"), post(students::transfer_request))
        .route(api!("/enrollments/:enrollment_id/waitlist"), delete(students::cancel_waitlist))
        .route(api!("/requests"), get(students::requests))
        // Access end dates, leaving a family (issue 27).
        .route(api!("/guardians/:guardian_id/access-end"), put(guardians::set_access_end_date))
        .route(api!("/me/leave-family"), post(leaving::leave))
        // Account information, credit and statements.
        .route(api!("/credit/apply"), post(credit::apply))
        // Locations, attendance, future absences, evaluations (stu-a)
        .route(api!("/locations"), get(locations::list))
        .route(api!("/students/:student_id/evaluations"), get(evaluations::student_evaluations))
        .route(api!("/students/:student_id/attendance"), get(attendance::student_attendance))
        .route(api!("/students/:student_id/absences"), get(absences::list).post(absences::report))
        .route(api!("/absences/:absence_id"), delete(absences::cancel))
        // Your Student(s) part B: passes.
        .route(api!("/passes"), get(passes::list))
        .route(api!("/passes/:pass_id/redeem"), post(passes::redeem))
        // Signed-in devices and the Mobile App's refresh (issue 27, part B).
        .route(api!("/session/refresh"), post(sign_ins::refresh))
        .route(api!("/me/sessions"), get(sign_ins::list).delete(sign_ins::end_others))
        .route(api!("/me/sessions/:session_id"), delete(sign_ins::end_one))
        // Makeup tokens (issue 25, tok).
        .route(api!("/makeup-tokens/:token_id/redeem"), post(makeup_tokens::redeem))
        // Makeup requests (req).
        .route(api!("/students/:student_id/makeups"), get(makeups::student_makeups))
        .route(api!("/students/:student_id/makeup-requests"), post(makeups::request))
        // Changing the login e-mail (issue 26).
        .route(api!("/me/email"), post(email_change::request))
        // QR codes (issue 25).
        .route(api!("/students/:student_id/qr-code"), get(qr_codes::student_qr_code))
        // Statements for a location (issue 26, stmt).
        .route(api!("/statements/outstanding"), get(statements::outstanding))
        .route(api!("/statements/ledger"), get(statements::ledger))
}

/// The portal switch, before any customer route: an unknown organization is a 404, a disabled
/// portal or one in a maintenance window a 503 (a page for pages, the JSON error for the API).
/// `None`: go on and route.
pub async fn gate(app: &App, path: &str) -> ApiResult<Option<Response>> {
    let Some(rest) = path.strip_prefix("/portal/").or((path == "/portal").then_some("")) else {
        return Ok(None);
    };
    let (org, tail) = rest.split_once('/').unwrap_or((rest, ""));
    if org == crate::routes::pages::assets::STATIC_SEGMENT {
        return Ok(None); // the stylesheet: the 503 page needs it too
    }
    let is_api = tail == "api" || tail.starts_with("api/");
    match portal_view(app, org).await? {
        PortalView::UnknownOrganization if is_api => prebuilt_error(&NO_SUCH_PORTAL).map(Some),
        PortalView::UnknownOrganization => pages::not_found().map(Some),
        PortalView::Disabled if is_api => prebuilt_error(&PORTAL_UNAVAILABLE).map(Some),
        PortalView::Disabled => pages::unavailable().map(Some),
        PortalView::Maintenance(window) if is_api => Err(maintenance_error(&window, app.now())),
        PortalView::Maintenance(window) => pages::unavailable_for_maintenance(&window, app.now()).map(Some),
        PortalView::Enabled => Ok(None),
    }
}

// The gate's two API errors, like its two pages the same for every request: serialized once per
// isolate.
thread_local! {
    static NO_SUCH_PORTAL: (ApiError, Option<FixedBody>) =
        serialized_once(ApiError::new(404, ErrorCode::OrganizationNotFound, "There is no such Customer Portal."));
    static PORTAL_UNAVAILABLE: (ApiError, Option<FixedBody>) = serialized_once(ApiError::portal_unavailable());
}

fn serialized_once(e: ApiError) -> (ApiError, Option<FixedBody>) {
    let body = FixedBody::json(&e.body());
    (e, body)
}

fn prebuilt_error(error: &'static std::thread::LocalKey<(ApiError, Option<FixedBody>)>) -> ApiResult<Response> {
    error.with(|(e, body)| match body {
        Some(body) => response::fixed(e.status, body),
        None => Err(e.clone()),
    })
}

/// A Customer Portal page (not its API): unknown pages get the HTML not-found page.
pub fn is_page(path: &str) -> bool {
    path.strip_prefix("/portal/").is_some_and(|rest| rest.split('/').nth(1) != Some("api"))
}

/// A page route's error as a page (the API's routes answer JSON).
pub fn error_page(e: ApiError) -> ApiResult<Response> {
    pages::error_page(e)
}
