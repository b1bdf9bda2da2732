//! The statements on request paths, by name, so that their query plans can be checked: a test
//! asks `/dev/query-plans` and fails if any of them scans a table.
//! Statements of a guarded batch are listed without their guard (an `EXISTS` on a primary key).

use super::invitations::{end_sessions_sql, revoke_invitations_sql, revoke_state_sql, spend_resets_sql, Whose};
use super::{audit, enrollments, maintenance, outbox, families, imports, invitations, operations, organizations, payments, sessions, throttle};
use super::sessions::GUARDIAN_SIGN_IN;
use super::staff::STAFF_SIGN_IN;
use super::{one_day, passes};

/// Whose access ends, for the plans of `invitations::end_access` (the ids do not matter).
const ONE: Whose<'static> = Whose::Guardian("");
const FAMILY_BUT_ONE: Whose<'static> = Whose::FamilyExcept { family_id: "", keep: "" };

pub fn hot_path() -> Vec<(&'static str, String)> {
    vec![
        ("staff session check", sessions::LOAD_STAFF_SESSION.into()),
        ("guardian session check", sessions::LOAD_GUARDIAN_SESSION.into()),
        ("a customer's write, guarded: the session still live", format!("SELECT 1 WHERE {}", sessions::STILL_LIVE)),
        ("a customer's guarded write wrote nothing: is the session live, or why it ended", sessions::LIVE_OR_WHY.into()),
        ("staff sign-in", STAFF_SIGN_IN.into()),
        ("guardian sign-in", GUARDIAN_SIGN_IN.into()),
        // (Counting an attempt is an INSERT ... ON CONFLICT on the primary key: SQLite shows no plan for it.)
        ("sign-in throttle: give the attempt back", throttle::SUCCEEDED.into()),
        ("revoke preview: live sessions", sessions::LIVE_COUNT.into()),
        ("portal switch from D1", organizations::PORTAL_ENABLED.into()),
        ("organization by slug (reset requests, every portal page)", invitations::ORGANIZATION_BY_SLUG.into()),
        ("account: family guardians", families::FAMILY_GUARDIANS.into()),
        ("guardian by id", families::FIND_GUARDIAN.into()),
        ("family by id", families::FIND_FAMILY.into()),
        ("family of a guardian", families::FAMILY_OF_GUARDIAN.into()),
        ("guardian who can log in, by e-mail", families::GUARDIAN_WHO_CAN_LOG_IN.into()),
        ("e-mail address in the family", families::EMAIL_IN_FAMILY.into()),
        ("e-mail address of another login", families::EMAIL_OF_PERSON.into()),
        ("the families a person may enter", sessions::FAMILIES_OF_PERSON.into()),
        ("is the person a guardian of the family", families::IS_MEMBER.into()),
        ("password change or reset: the person's sessions in every family", sessions::END_SESSIONS_OF_PERSON.into()),
        ("invitation send: mark invited unless sent within the cooldown", invitations::MARK_INVITED.into()),
        ("invitation send: replace the live invitation", invitations::SUPERSEDE_PENDING.into()),
        ("revoke: the guardian's access state, carrying the change", revoke_state_sql(ONE, true)),
        ("revoke or move: the guardian's live invitation", revoke_invitations_sql(ONE)),
        ("revoke or move: end the guardian's sessions", end_sessions_sql(ONE)),
        ("revoke or move: the guardian's unused reset links", spend_resets_sql(ONE)),
        ("primary change or merge, all but one lose access: access states", revoke_state_sql(FAMILY_BUT_ONE, false)),
        ("primary change or merge, all but one lose access: live invitations", revoke_invitations_sql(FAMILY_BUT_ONE)),
        ("primary change or merge, all but one lose access: sessions", end_sessions_sql(FAMILY_BUT_ONE)),
        ("primary change or merge, all but one lose access: unused reset links", spend_resets_sql(FAMILY_BUT_ONE)),
        ("change primary: the family's new primary", operations::MAKE_PRIMARY.into()),
        ("change primary: an invited new primary goes back to no access", invitations::WITHDRAW_INVITED_STATE.into()),
        ("merge: mark the sources merged", operations::mark_merged_sql(2)),
        ("merge: the sources' guardians join the target", operations::move_guardians_sql(2)),
        ("merge, fold a person listed twice: the login", operations::FOLD_LOGIN.into()),
        ("merge, fold: the live invitation", operations::FOLD_PENDING_INVITATION.into()),
        ("merge, fold: invitations", operations::FOLD_INVITATIONS.into()),
        ("merge, fold: reset links", operations::FOLD_RESETS.into()),
        ("merge, fold: saved methods", operations::FOLD_METHODS.into()),
        ("merge, fold: payments", operations::FOLD_PAYMENTS.into()),
        ("merge, fold: sessions", operations::FOLD_SESSIONS.into()),
        ("merge, fold: a merged family's primary", operations::FOLD_PRIMARY.into()),
        ("merge, fold: the folded guardian", operations::FOLD_REMOVE.into()),
        ("merge: the sources' ledger entries follow", operations::move_ledger_sql(2)),
        ("merge: the sources' students follow", operations::move_students_sql(2)[0].clone()),
        ("merge: the sources' enrollments follow", operations::move_students_sql(2)[1].clone()),
        ("merge: the sources' enrollment requests follow", operations::move_students_sql(2)[2].clone()),
        ("locations", enrollments::LOCATIONS.into()),
        ("classes", enrollments::CLASSES.into()),
        ("open classes", enrollments::OPEN_CLASSES.into()),
        ("class by id", enrollments::FIND_CLASS.into()),
        ("a family's students", enrollments::FAMILY_STUDENTS.into()),
        ("student by id", enrollments::FIND_STUDENT.into()),
        ("a student's enrollments", enrollments::STUDENT_ENROLLMENTS.into()),
        ("enrollment by id", enrollments::FIND_ENROLLMENT.into()),
        ("a family's enrollments (My Account)", enrollments::FAMILY_ENROLLMENTS.into()),
        ("enroll: place or waitlist, counted in the insert", enrollments::ENROLL.into()),
        ("requests of the organization", enrollments::ORG_REQUESTS.into()),
        ("requests of the organization by status", enrollments::ORG_REQUESTS_BY_STATUS.into()),
        ("requests of a family", enrollments::FAMILY_REQUESTS.into()),
        ("request by id", enrollments::FIND_REQUEST.into()),
        ("merge: the target is updated", operations::TOUCH_FAMILY.into()),
        ("move a contact to another family", operations::MOVE_GUARDIAN.into()),
        ("invitation by token", invitations::FIND_INVITATION_BY_TOKEN.into()),
        ("password reset by token", invitations::FIND_RESET_BY_TOKEN.into()),
        ("family access history", audit::FAMILY_HISTORY.into()),
        ("guardian access history", audit::GUARDIAN_HISTORY.into()),
        ("family's saved payment methods", payments::FAMILY_METHODS.into()),
        ("a family's payment method by id", payments::FIND_FAMILY_METHOD.into()),
        ("guardian's saved payment methods", payments::GUARDIAN_METHODS.into()),
        ("payment methods being deleted", payments::METHODS_BEING_DELETED.into()),
        ("balance and last payment", payments::BALANCE.into()),
        ("transaction history", payments::ENTRIES.into()),
        ("transaction history of one kind", payments::ENTRIES_OF_KIND.into()),
        ("payment by idempotency key", payments::FIND_PAYMENT.into()),
        ("staff payment by the family's idempotency key", payments::FIND_STAFF_PAYMENT.into()),
        ("staff rename a family", families::RENAME_FAMILY.into()),
        ("contacts report", families::CONTACTS_REPORT.into()),
        ("contacts report by family name", families::CONTACTS_REPORT_BY_FAMILY_NAME.into()),
        ("import job", imports::FIND_JOB.into()),
        ("outbox: unstamp rows the queue did not take", outbox::not_handed_over_sql(2)),
        ("outbox: row by id", outbox::FIND.into()),
        ("outbox: an organization's failed e-mails", outbox::FAILED_OF_ORG.into()),
        ("outbox: every failed e-mail", outbox::FAILED_ALL.into()),
        ("outbox: retry a failed e-mail", outbox::RETRY_FAILED.into()),
        ("import counts", imports::COUNTS.into()),
        ("import results of an outcome", imports::RESULTS_OF_OUTCOME.into()),
        // Scheduled maintenance, access end dates, leaving a family (issue 27)
        ("portal switch and maintenance window from D1 (the gate)", maintenance::SWITCH_BY_SLUG.into()),
        // Your Student(s) part B: passes and one-day visits.
        ("a family's passes", passes::FAMILY_PASSES.into()),
        ("pass by id", passes::FIND_PASS.into()),
        ("a visit's place left on its date", format!("SELECT 1 WHERE {}", one_day::PLACE_LEFT)),
        // Signed-in devices and refresh tokens (issue 27, part B).
        ("signed-in devices of a person", super::sign_ins::PERSON_SIGN_INS.into()),
        ("signed-in devices of a staff member", super::sign_ins::STAFF_SIGN_INS.into()),
        ("sign out one of a person's devices", super::sign_ins::END_PERSON_SIGN_IN.into()),
        ("sign out one of a staff member's devices", super::sign_ins::END_STAFF_SIGN_IN.into()),
        ("staff: sign out everywhere else", super::sign_ins::END_OTHER_STAFF_SIGN_INS.into()),
        ("a session was used (at most once a minute)", super::sign_ins::TOUCH.into()),
        ("refresh token by hash", super::sign_ins::FIND_REFRESH_TOKEN.into()),
        // Makeup tokens (issue 25, tok).
        ("a family's makeup tokens", super::makeup_tokens::FAMILY_TOKENS.into()),
        ("makeup token by id", super::makeup_tokens::FIND_TOKEN.into()),
        // Statements for a location (issue 26, stmt).
        ("a location's ledger entries (statements)", super::statements::LOCATION_ENTRIES.into()),
    ]
}

/// How many values a statement binds: the highest `?N`, or the number of bare `?`.
pub fn parameter_count(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    let (mut numbered, mut bare) = (0usize, 0usize);
    for (i, b) in bytes.iter().enumerate() {
        if *b != b'?' {
            continue;
        }
        let digits: String = sql[i + 1..].chars().take_while(char::is_ascii_digit).collect();
        match digits.parse::<usize>() {
            Ok(n) => numbered = numbered.max(n),
            Err(_) => bare += 1,
        }
    }
    numbered.max(bare)
}
