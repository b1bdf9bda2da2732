//! Typed ids: a family id cannot be passed where a guardian id is meant. Ids are opaque strings
//! (API.md), made by the shell (`prefix_` + random); these only keep them apart.

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id!(
    /// A family account (a "customer" in the CRM's words).
    FamilyId
);
id!(
    /// A guardian: a person's membership in one family.
    GuardianId
);
id!(
    /// A saved payment method.
    PaymentMethodId
);
id!(
    /// A bulk import job.
    ImportJobId
);
id!(
    /// The secret in an invitation or password-reset link (only its hash is stored).
    LinkToken
);
id!(
    /// A child (or adult) who takes classes, in a family.
    StudentId
);
id!(
    /// A class a student may enroll in.
    ClassId
);
id!(
    /// A student's place, or waitlist spot, in a class.
    EnrollmentId
);
id!(
    /// A family's drop or transfer request, decided by staff.
    RequestId
);
// Account information, credit and statements.
id!(
    /// A place where classes meet; ledger entries and statements may belong to one.
    LocationId
);
// Attendance, future absences, evaluations (stu-a)
id!(
    /// An attendance mark.
    AttendanceId
);
id!(
    /// A future absence a family reported.
    AbsenceId
);
id!(
    /// A student's evaluation.
    EvaluationId
);
// Your Student(s) part B.
id!(
    /// A punch pass sold to a family (or one of its students).
    PassId
);
// Signed-in devices (issue 27, part B).
id!(
    /// A sign-in: one session, as the list of signed-in devices names it.
    SessionId
);
// Makeup tokens (issue 25, tok).
id!(
    /// A makeup token staff issued a student for one location, redeemed into a makeup visit.
    MakeupTokenId
);
