//! The Office Portal (staff): pages under `/office/{org}` and the JSON API under
//! `/office/{org}/api/...`. Never gated by the portal switch.

mod classes;
mod evaluations; // stu-a
mod attendance; // stu-a
mod absences; // stu-a
mod families;
mod guardians;
mod imports;
mod ledger;
mod outbox;
mod pages;
// Your Student(s) part B.
mod passes;
mod session;
mod settings;
// Signed-in devices (issue 27, part B).
mod sign_ins;
// Makeup tokens (issue 25, tok).
mod makeup_tokens;
// QR codes (issue 25).
mod qr_codes;

use crate::http::{delete, get, patch, post, put, Router};

pub use pages::{error_page, is_page};

/// The Office Portal's routes, each with its methods.
pub fn routes(router: Router) -> Router {
    macro_rules! at {
        ($path:literal) => {
            concat!("/office/:org/api", $path)
        };
    }
    // Account information's contact points: one module for both doors, each side listed apart.
    let router = super::contact_points::office_routes(router);
    pages::routes(router)
        .route(at!("/session"), post(session::sign_in).delete(session::sign_out))
        .route(at!("/settings/customer-portal"), get(settings::show_customer_portal).put(settings::set_customer_portal))
        .route(at!("/settings/portal-options"), get(settings::show_portal_options).patch(settings::set_portal_options))
        .route(at!("/families"), get(families::search).post(families::create))
        .route(at!("/families/:family_id"), get(families::show).patch(families::rename))
        .route(at!("/families/:family_id/guardians"), post(families::add_guardian))
        .route(at!("/families/:family_id/primary-guardian"), put(families::change_primary))
        .route(at!("/families/:family_id/merge"), post(families::merge))
        .route(at!("/families/:family_id/ledger"), get(ledger::show).post(ledger::post))
        .route(at!("/families/:family_id/payments"), post(ledger::take_payment))
        .route(at!("/guardians/:guardian_id"), patch(guardians::edit_contact))
        .route(at!("/guardians/:guardian_id/invitation"), post(guardians::invite))
        .route(at!("/guardians/:guardian_id/invitation/resend"), post(guardians::resend))
        .route(at!("/guardians/:guardian_id/revoke-login"), post(guardians::revoke_login))
        .route(at!("/guardians/:guardian_id/password-reset"), post(guardians::password_reset))
        .route(at!("/guardians/:guardian_id/move"), post(guardians::move_contact))
        .route(at!("/invitations"), get(guardians::invitations))
        .route(at!("/audit"), get(families::audit))
        .route(at!("/reports/portal-access.csv"), get(imports::report))
        .route(at!("/imports/portal-access"), post(imports::upload))
        .route(at!("/imports/:job_id"), get(imports::show))
        .route(at!("/imports/:job_id/apply"), post(imports::apply))
        .route(at!("/outbox"), get(outbox::index))
        .route(at!("/outbox/:outbox_id/retry"), post(outbox::retry))
        .route(at!("/locations"), get(classes::locations).post(classes::add_location))
        .route(at!("/classes"), get(classes::classes).post(classes::add_class))
        .route(at!("/classes/:class_id"), patch(classes::edit_class))
        .route(at!("/families/:family_id/students"), post(classes::add_student))
        .route(at!("/students/:student_id"), patch(classes::edit_student))
        .route(at!("/enrollments"), post(classes::enroll))
        .route(at!("/requests"), get(classes::requests))
        .route(at!("/requests/:request_id/approve"), post(classes::approve))
        .route(at!("/requests/:request_id/deny"), post(classes::deny))
        // Scheduled maintenance (issue 27).
        .route(at!("/settings/customer-portal/schedule"), delete(settings::cancel_schedule))
        // Attendance, future absences, evaluations (stu-a)
        .route(at!("/students/:student_id/evaluations"), post(evaluations::record))
        .route(at!("/classes/:class_id/attendance"), get(attendance::sheet).put(attendance::mark))
        .route(at!("/absences"), get(absences::on_day))
        // Your Student(s) part B: passes.
        .route(at!("/families/:family_id/passes"), post(passes::sell))
        .route(at!("/passes/:pass_id"), patch(passes::edit))
        .route(at!("/passes/:pass_id/redeem"), post(passes::redeem))
        // Signed-in devices (issue 27, part B).
        .route(at!("/me/sessions"), get(sign_ins::list).delete(sign_ins::end_others))
        .route(at!("/me/sessions/:session_id"), delete(sign_ins::end_one))
        // Makeup tokens (issue 25, tok).
        .route(at!("/families/:family_id/makeup-tokens"), post(makeup_tokens::issue))
        // QR codes (issue 25).
        .route(at!("/qr/:code"), get(qr_codes::resolve))
        .route(at!("/students/:student_id/qr-code/rotate"), post(qr_codes::rotate))
}
