//! What the pages of both front doors share: forms read the GOV.UK way, the static files, and the
//! one-shot message carried over a redirect. The Customer Portal's pages are `portal::pages`, the
//! Office Portal's `office::pages`; each has its own frame around these.

pub mod assets;
// Account information's contact point forms, on both doors.
pub mod contact_points;
pub mod flash;
pub mod form;

use crate::http::Router;

pub fn portal_routes(router: Router) -> Router {
    assets::portal_routes(router)
}

pub fn office_routes(router: Router) -> Router {
    assets::office_routes(router)
}
