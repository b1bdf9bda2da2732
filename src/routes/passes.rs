//! What staff and the family's pass routes share: the `{pass_id}` path parameter and the body of a
//! redemption.

use crate::http::PathParam;
use portal_core::ids::{ClassId, PassId, StudentId};
use serde::Deserialize;

impl PathParam for PassId {
    const NAME: &'static str = "pass_id";
}

/// `{student_id, class_id, date}`: a punch for this student's visit to this class on this date.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redemption {
    pub student_id: StudentId,
    pub class_id: ClassId,
    pub date: String,
}
