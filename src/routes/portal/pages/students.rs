//! My Account, Your Student(s): the section data for the account page and the student pages
//! (Add Student, Edit Student, enroll, Drop, Transfer, Cancel Waitlist).

use crate::app::App;
use crate::error::ApiResult;
use crate::http::{Customer, Router};

/// What the Your Student(s) section shows.
pub struct StudentsSection {}

pub async fn load(_app: &App, _me: &Customer) -> ApiResult<StudentsSection> {
    Ok(StudentsSection {})
}

/// The student pages' routes.
pub fn student_routes(router: Router) -> Router {
    router
}
