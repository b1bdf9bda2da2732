//! What My Account's Your Student(s) shows of each student beside their enrollments: evaluations
//! (always), attendance and future absences (when the organization shows them). A few reads for the
//! whole family, never one per student.

use crate::app::App;
use crate::commands::enrollments::Family;
use crate::commands::evaluations::FamilyEvaluations;
use crate::error::ApiResult;

pub struct StudentRecords {
    pub evaluations: FamilyEvaluations,
}

pub async fn student_records(app: &App, family: &Family<'_>) -> ApiResult<StudentRecords> {
    Ok(StudentRecords { evaluations: FamilyEvaluations::load(app, &family.id).await? })
}
