//! The Customer Portal's server-rendered pages (templates in `templates/portal/`). Forms work
//! without JavaScript, the GOV.UK Design System way: a real `<form method="post">`, on an error
//! the page again (422, or 429 with the wait) with an error summary on top and each message beside
//! its field, on success a 303 to the next page (Post/Redirect/Get) with a one-shot message. The
//! handlers call the same commands as the JSON API: one rule, two front doors.
//!
//! `frame` holds what every portal page shares (forms and static files are `routes::pages`, shared
//! with the Office Portal); each other module is one part of the portal and lists its own routes. A
//! page module never reaches into a sibling page module.

mod access_end;
mod account;
mod contact_points;
mod credit;
mod frame;
mod leaving;
mod links;
mod location; // the Location selector (stu-a)
mod absences; // Future absences (stu-a)
mod payments;
mod sign_in;
mod students;
// Your Student(s) part B.
mod passes;
// Signed-in devices (issue 27, part B).
mod devices;
// Makeup tokens (issue 25, tok).
mod makeup_tokens;
// Makeup requests (req).
mod makeup_requests;
// Changing the login e-mail (issue 26).
mod email_change;

use crate::http::Router;

pub use frame::{error_page, not_found, unavailable, unavailable_for_maintenance};

pub fn routes(router: Router) -> Router {
    let router = sign_in::routes(router);
    let router = links::routes(router);
    let router = account::routes(router);
    let router = payments::routes(router);
    let router = students::routes(router);
    // Access end dates, leaving a family (issue 27).
    let router = access_end::routes(router);
    let router = leaving::routes(router);
    // Account information, credit and statements.
    let router = contact_points::routes(router);
    let router = credit::routes(router);
    // Locations, attendance, future absences, evaluations (stu-a)
    let router = location::routes(router);
    let router = absences::routes(router);
    let router = passes::routes(router);
    let router = devices::routes(router);
    // Makeup tokens (issue 25, tok).
    let router = makeup_tokens::routes(router);
    // Makeup requests (req).
    let router = makeup_requests::routes(router);
    // Changing the login e-mail (issue 26).
    email_change::routes(router)
}
