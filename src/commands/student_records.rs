//! What My Account's Your Student(s) shows of each student beside their enrollments: evaluations
//! (always), attendance and future absences (when the organization shows them). A few reads for the whole family,
//! never one per student.

use crate::app::App;
use crate::commands::absences::FamilyAbsences;
use crate::commands::attendance::FamilyAttendance;
use crate::commands::enrollments::Family;
use crate::commands::evaluations::FamilyEvaluations;
use crate::error::ApiResult;
use portal_core::settings::PortalOptions;

pub struct StudentRecords {
    pub evaluations: FamilyEvaluations,
    /// None: the organization does not show attendance (the section is absent).
    pub attendance: Option<FamilyAttendance>,
    /// None: the organization takes no future absences (the section is absent).
    pub absences: Option<FamilyAbsences>,
}

pub async fn student_records(app: &App, family: &Family<'_>, options: &PortalOptions) -> ApiResult<StudentRecords> {
    let attendance = match options.show_attendance {
        true => Some(FamilyAttendance::load(app, family, &options.time_zone).await?),
        false => None,
    };
    let absences = match options.allow_future_absences {
        true => Some(FamilyAbsences::load(app, &family.id).await?),
        false => None,
    };
    Ok(StudentRecords { evaluations: FamilyEvaluations::load(app, &family.id).await?, attendance, absences })
}
