//! The Office Portal's server-rendered pages (templates in `templates/office/`): the same commands
//! as the JSON API under `/office/{org}/api`, a second front door for staff. Never behind the
//! Customer Portal switch. Forms work without JavaScript, the GOV.UK way (error summary, each
//! message beside its field, Post/Redirect/Get with a one-shot message).
//!
//! `frame` holds what every staff page shares; each other module is one part of the Office Portal
//! (a navigation item) and lists its own routes. A page module never reaches into a sibling.

mod absences; // stu-a
mod attendance; // stu-a
mod evaluations; // stu-a
mod families;
mod family;
mod family_actions;
mod frame;
mod imports;
mod invitations;
mod ledger;
mod outbox;
mod requests;
mod settings;
mod sign_in;
mod students;
// Your Student(s) part B.
mod passes;
// Signed-in devices (issue 27, part B).
mod devices;
// Makeup tokens (issue 25, tok).
mod makeup_tokens;
// QR codes (issue 25).
mod qr_codes;
// A family's Contact Info (account information, staff side).
mod contact_points;

use crate::http::Router;

pub use frame::error_page;

pub fn routes(router: Router) -> Router {
    let router = sign_in::routes(router);
    let router = families::routes(router);
    let router = imports::routes(router);
    let router = settings::routes(router);
    let router = requests::routes(router);
    let router = invitations::routes(router);
    let router = outbox::routes(router);
    let router = family::routes(router);
    let router = family_actions::routes(router);
    let router = students::routes(router);
    let router = evaluations::routes(router); // stu-a
    let router = attendance::routes(router); // stu-a
    let router = absences::routes(router); // stu-a
    let router = ledger::routes(router);
    let router = passes::routes(router);
    let router = devices::routes(router);
    // Makeup tokens (issue 25, tok).
    let router = makeup_tokens::routes(router);
    let router = qr_codes::routes(router); // issue 25
    contact_points::routes(router)
}

/// An Office Portal page (not its API): its errors are pages too.
pub fn is_page(path: &str) -> bool {
    path.strip_prefix("/office/").is_some_and(|rest| rest.split('/').nth(1) != Some("api"))
}
