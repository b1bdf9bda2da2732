//! Students, classes and enrollments: what a class and a student must be, where a new enrollment
//! lands (a place, the waitlist, or a full class), who may act, and which drop, transfer and
//! waitlist requests a family may make and staff may decide.

use crate::family::parse_person_name;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrollmentError {
    /// Input that breaks a rule, with the field it is about (its name in the request).
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0} is full and keeps no waitlist.")]
    ClassFull(String),
    #[error("{0} has ended: it takes no new enrollments.")]
    ClassEnded(String),
    #[error("{student} is already enrolled or waitlisted in {class}.")]
    AlreadyEnrolled { student: String, class: String },
    #[error("Only the Primary Guardian, or a guardian they allow, can manage students and enrollments.")]
    NotPermitted,
    #[error("This organization does not take drop requests in the Customer Portal.")]
    DropRequestsDisabled,
    #[error("This organization does not take transfer requests in the Customer Portal.")]
    TransferRequestsDisabled,
    #[error("This organization does not let families cancel a waitlist spot in the Customer Portal.")]
    CancelWaitlistDisabled,
    #[error("This enrollment already has a request waiting for the office.")]
    RequestPending,
    #[error("Only a current enrollment can be dropped or transferred.")]
    NotCurrent,
    #[error("This enrollment is not on a waitlist.")]
    NotWaitlisted,
    #[error("A transfer goes to another class.")]
    SameClass,
    #[error("This request was already {0}.")]
    AlreadyDecided(&'static str),
}

fn invalid(field: &'static str, message: impl Into<String>) -> EnrollmentError {
    EnrollmentError::Invalid { field, message: message.into() }
}

/// A calendar day, `YYYY-MM-DD` on the wire (it sorts as text, which D1 compares).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(NaiveDate);

impl Day {
    pub fn parse(s: &str, field: &'static str) -> Result<Day, EnrollmentError> {
        let bad = || invalid(field, format!("{field} must be a date, YYYY-MM-DD."));
        if s.len() != 10 {
            return Err(bad());
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Day).map_err(|_| bad())
    }
    /// The day of a moment (UTC).
    pub fn of(t: crate::time::Timestamp) -> Day {
        Day(t.to_datetime().date_naive())
    }
    pub fn year(self) -> i32 {
        self.0.year()
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// A time of day, `HH:MM` (24-hour).
fn parse_clock(s: &str, field: &'static str) -> Result<u32, EnrollmentError> {
    let bad = || invalid(field, format!("{field} must be a time, HH:MM."));
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// A class as staff describe it, before it is checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassInput {
    pub name: String,
    pub location_id: String,
    pub days: Vec<Weekday>,
    pub start_time: String,
    pub end_time: String,
    pub start_date: String,
    pub end_date: String,
    #[serde(deserialize_with = "crate::whole_number::i64")]
    pub capacity: i64,
    pub waitlist: bool,
}

/// A PATCH of a class: what it names changes, the rest stays as stored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassPatch {
    pub name: Option<String>,
    pub location_id: Option<String>,
    pub days: Option<Vec<Weekday>>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    #[serde(default, deserialize_with = "crate::whole_number::option_i64")]
    pub capacity: Option<i64>,
    pub waitlist: Option<bool>,
}

impl ClassPatch {
    /// The class as it will be: this patch over `stored` (then checked whole by `ClassSpec::parse`).
    pub fn over(self, stored: ClassInput) -> ClassInput {
        ClassInput {
            name: self.name.unwrap_or(stored.name),
            location_id: self.location_id.unwrap_or(stored.location_id),
            days: self.days.unwrap_or(stored.days),
            start_time: self.start_time.unwrap_or(stored.start_time),
            end_time: self.end_time.unwrap_or(stored.end_time),
            start_date: self.start_date.unwrap_or(stored.start_date),
            end_date: self.end_date.unwrap_or(stored.end_date),
            capacity: self.capacity.unwrap_or(stored.capacity),
            waitlist: self.waitlist.unwrap_or(stored.waitlist),
        }
    }
}

/// A class that makes sense: a name, at least one day, an end after its start, a capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSpec {
    pub name: String,
    pub location_id: String,
    pub days: Vec<Weekday>,
    pub start_time: String,
    pub end_time: String,
    pub start_date: Day,
    pub end_date: Day,
    pub capacity: i64,
    pub waitlist: bool,
}

pub const MAX_CAPACITY: i64 = 1000;
/// The years a class may run in: a typo such as 0001 or 20260 is refused, not scheduled.
pub const CLASS_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A location's name, under the one text rule.
pub fn parse_location_name(input: &str) -> Result<String, EnrollmentError> {
    crate::text::single_line(input, 120).ok_or_else(|| invalid("name", "The location name must be 1 to 120 characters of visible text."))
}

/// A drop takes effect on a day the enrollment can still end: from today up to the class's last day.
pub fn check_drop_date(effective: Day, today: Day, class_end: Day) -> Result<(), EnrollmentError> {
    if effective < today {
        return Err(invalid("effective_date", "The drop date cannot be in the past."));
    }
    if effective > class_end {
        return Err(invalid("effective_date", format!("The drop date must be on or before the class's last day, {class_end}.")))
    }
    Ok(())
}

impl ClassSpec {
    pub fn parse(input: ClassInput) -> Result<ClassSpec, EnrollmentError> {
        let name = crate::text::single_line(&input.name, 120)
            .ok_or_else(|| invalid("name", "The class name must be 1 to 120 characters of visible text."))?;
        let mut days = input.days;
        days.sort();
        days.dedup();
        if days.is_empty() {
            return Err(invalid("days", "A class meets on at least one day."));
        }
        if parse_clock(&input.end_time, "end_time")? <= parse_clock(&input.start_time, "start_time")? {
            return Err(invalid("end_time", "end_time must be after start_time."));
        }
        let (start_date, end_date) = (Day::parse(&input.start_date, "start_date")?, Day::parse(&input.end_date, "end_date")?);
        if end_date < start_date {
            return Err(invalid("end_date", "end_date must not be before start_date."));
        }
        for (day, field) in [(start_date, "start_date"), (end_date, "end_date")] {
            if !CLASS_YEARS.contains(&day.year()) {
                return Err(invalid(field, format!("{field} must be in the years {} to {}.", CLASS_YEARS.start(), CLASS_YEARS.end())));
            }
        }
        if !(0..=MAX_CAPACITY).contains(&input.capacity) {
            return Err(invalid("capacity", format!("capacity must be between 0 and {MAX_CAPACITY}.")));
        }
        Ok(ClassSpec {
            name,
            location_id: input.location_id,
            days,
            start_time: input.start_time,
            end_time: input.end_time,
            start_date,
            end_date,
            capacity: input.capacity,
            waitlist: input.waitlist,
        })
    }
}

/// A student: a name and a birth date that is not in the future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentSpec {
    pub first_name: String,
    pub last_name: String,
    pub birth_date: Day,
}

impl StudentSpec {
    pub fn parse(first_name: &str, last_name: &str, birth_date: &str, today: Day) -> Result<StudentSpec, EnrollmentError> {
        let name = |s, field| parse_person_name(s, field).map_err(|e| invalid(e.field(), e.to_string()));
        let birth_date = Day::parse(birth_date, "birth_date")?;
        if birth_date > today || birth_date.year() < today.year() - 120 {
            return Err(invalid("birth_date", "birth_date must be a real birth date, not in the future."));
        }
        Ok(StudentSpec { first_name: name(first_name, "first name")?, last_name: name(last_name, "last name")?, birth_date })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentStatus {
    Active,
    Waitlisted,
    Dropped,
    Transferred,
    Completed,
}

impl EnrollmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EnrollmentStatus::Active => "active",
            EnrollmentStatus::Waitlisted => "waitlisted",
            EnrollmentStatus::Dropped => "dropped",
            EnrollmentStatus::Transferred => "transferred",
            EnrollmentStatus::Completed => "completed",
        }
    }

    /// What a family sees: a place in a class that has ended is a completed enrollment.
    pub fn as_seen(self, class_end: Day, today: Day) -> EnrollmentStatus {
        match self {
            EnrollmentStatus::Active if class_end < today => EnrollmentStatus::Completed,
            other => other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentKind {
    Regular,
    /// A one-day enrollment from a makeup token or an approved makeup request.
    Makeup,
    /// A one-day visit paid with a punch of a pass.
    Pass,
}

impl EnrollmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EnrollmentKind::Regular => "regular",
            EnrollmentKind::Makeup => "makeup",
            EnrollmentKind::Pass => "pass",
        }
    }
}

/// How full a class is, for a new enrollment.
#[derive(Debug, Clone)]
pub struct ClassFacts {
    pub name: String,
    pub capacity: i64,
    pub enrolled: i64,
    pub waitlist: bool,
    pub end_date: Day,
}

impl ClassFacts {
    /// Open: not yet ended. A full class with a waitlist is still open.
    pub fn is_open(&self, today: Day) -> bool {
        today <= self.end_date
    }
}

/// Where a new enrollment lands: a place while there is one, else the waitlist if the class keeps
/// one. (D1 applies the same rule in the insert itself, so two families racing for the last
/// place cannot both get it.)
pub fn placement(class: &ClassFacts, today: Day) -> Result<EnrollmentStatus, EnrollmentError> {
    if !class.is_open(today) {
        return Err(EnrollmentError::ClassEnded(class.name.clone()));
    }
    if class.enrolled < class.capacity {
        Ok(EnrollmentStatus::Active)
    } else if class.waitlist {
        Ok(EnrollmentStatus::Waitlisted)
    } else {
        Err(EnrollmentError::ClassFull(class.name.clone()))
    }
}

/// The Primary Guardian manages students and enrollments, and a secondary they allow.
pub fn may_manage_enrollments(is_primary: bool, can_manage_enrollments: bool) -> Result<(), EnrollmentError> {
    if is_primary || can_manage_enrollments {
        Ok(())
    } else {
        Err(EnrollmentError::NotPermitted)
    }
}

/// Which requests the organization takes in the portal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestOptions {
    pub allow_drop_requests: bool,
    pub allow_transfer_requests: bool,
    pub allow_cancel_waitlist: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Drop,
    Transfer,
    /// One class on one date for a student (`makeup_request`), approved into a one-day enrollment.
    Makeup,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Drop => "drop",
            RequestKind::Transfer => "transfer",
            RequestKind::Makeup => "makeup",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Denied => "denied",
        }
    }
}

fn current(status: EnrollmentStatus, has_pending: bool) -> Result<(), EnrollmentError> {
    if status != EnrollmentStatus::Active {
        return Err(EnrollmentError::NotCurrent);
    }
    if has_pending {
        return Err(EnrollmentError::RequestPending);
    }
    Ok(())
}

pub fn may_request_drop(options: RequestOptions, status: EnrollmentStatus, has_pending: bool) -> Result<(), EnrollmentError> {
    if !options.allow_drop_requests {
        return Err(EnrollmentError::DropRequestsDisabled);
    }
    current(status, has_pending)
}

pub fn may_request_transfer(
    options: RequestOptions,
    status: EnrollmentStatus,
    has_pending: bool,
    from_class_id: &str,
    to_class_id: &str,
) -> Result<(), EnrollmentError> {
    if !options.allow_transfer_requests {
        return Err(EnrollmentError::TransferRequestsDisabled);
    }
    current(status, has_pending)?;
    if from_class_id == to_class_id {
        return Err(EnrollmentError::SameClass);
    }
    Ok(())
}

pub fn may_cancel_waitlist(options: RequestOptions, status: EnrollmentStatus) -> Result<(), EnrollmentError> {
    if !options.allow_cancel_waitlist {
        return Err(EnrollmentError::CancelWaitlistDisabled);
    }
    if status != EnrollmentStatus::Waitlisted {
        return Err(EnrollmentError::NotWaitlisted);
    }
    Ok(())
}

/// Staff decide a request once.
pub fn may_decide(status: RequestStatus) -> Result<(), EnrollmentError> {
    match status {
        RequestStatus::Pending => Ok(()),
        RequestStatus::Approved => Err(EnrollmentError::AlreadyDecided("approved")),
        RequestStatus::Denied => Err(EnrollmentError::AlreadyDecided("denied")),
    }
}

/// The actions a viewer is offered on an enrollment as they see it (`as_seen`).
pub fn enrollment_actions(options: RequestOptions, seen: EnrollmentStatus, has_pending: bool, may_manage: bool) -> Vec<&'static str> {
    if !may_manage {
        return vec![];
    }
    let mut actions = Vec::new();
    if may_request_drop(options, seen, has_pending).is_ok() {
        actions.push("drop");
    }
    if options.allow_transfer_requests && current(seen, has_pending).is_ok() {
        actions.push("transfer");
    }
    if may_cancel_waitlist(options, seen).is_ok() {
        actions.push("cancel_waitlist");
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnrollmentStatus::*;

    fn day(s: &str) -> Day {
        Day::parse(s, "day").unwrap()
    }

    fn class(capacity: i64, enrolled: i64, waitlist: bool) -> ClassFacts {
        ClassFacts { name: "Tumbling".into(), capacity, enrolled, waitlist, end_date: day("2026-12-31") }
    }

    fn input() -> ClassInput {
        ClassInput {
            name: " Tumbling 1 ".into(),
            location_id: "loc_1".into(),
            days: vec![Weekday::Wed, Weekday::Mon, Weekday::Wed],
            start_time: "16:00".into(),
            end_time: "16:45".into(),
            start_date: "2026-09-01".into(),
            end_date: "2026-12-31".into(),
            capacity: 8,
            waitlist: true,
        }
    }

    const ALL: RequestOptions = RequestOptions { allow_drop_requests: true, allow_transfer_requests: true, allow_cancel_waitlist: true };

    #[test]
    fn a_class_is_checked_and_its_days_kept_once_in_week_order() {
        let spec = ClassSpec::parse(input()).unwrap();
        assert_eq!(spec.name, "Tumbling 1");
        assert_eq!(spec.days, vec![Weekday::Mon, Weekday::Wed]);
        let bad = |f: fn(&mut ClassInput)| {
            let mut i = input();
            f(&mut i);
            ClassSpec::parse(i).unwrap_err().to_string()
        };
        assert_eq!(bad(|i| i.days.clear()), "A class meets on at least one day.");
        assert_eq!(bad(|i| i.end_time = "15:59".into()), "end_time must be after start_time.");
        assert_eq!(bad(|i| i.start_time = "24:00".into()), "start_time must be a time, HH:MM.");
        assert_eq!(bad(|i| i.end_date = "2026-08-31".into()), "end_date must not be before start_date.");
        assert_eq!(bad(|i| i.start_date = "2026-02-30".into()), "start_date must be a date, YYYY-MM-DD.");
        assert_eq!(bad(|i| i.capacity = -1), "capacity must be between 0 and 1000.");
        assert_eq!(bad(|i| i.name = "  ".into()), "The class name must be 1 to 120 characters of visible text.");
        assert_eq!(bad(|i| i.name = "\u{202E}gnp.exe".into()), "The class name must be 1 to 120 characters of visible text.");
        assert_eq!(bad(|i| i.start_date = "0001-01-01".into()), "start_date must be in the years 2000 to 2100.");
        assert_eq!(bad(|i| i.end_date = "2999-01-01".into()), "end_date must be in the years 2000 to 2100.");
    }

    #[test]
    fn a_patch_changes_what_it_names_only() {
        let patched = ClassPatch { capacity: Some(12), ..ClassPatch::default() }.over(input());
        assert_eq!((patched.capacity, patched.name.as_str(), patched.days.len()), (12, " Tumbling 1 ", 3));
        assert_eq!(ClassPatch::default().over(input()).start_date, "2026-09-01");
    }

    #[test]
    fn a_location_name_is_visible_text() {
        assert_eq!(parse_location_name(" Main Pool ").unwrap(), "Main Pool");
        for bad in ["", "\u{200B}", "Pool\u{0}", "\u{202E}gnp.exe"] {
            assert!(matches!(parse_location_name(bad), Err(EnrollmentError::Invalid { field: "name", .. })), "{bad:?}");
        }
    }

    #[test]
    fn a_drop_takes_effect_from_today_to_the_class_end() {
        let (today, end) = (day("2026-11-30"), day("2026-12-31"));
        assert_eq!(check_drop_date(today, today, end), Ok(()));
        assert_eq!(check_drop_date(end, today, end), Ok(()));
        let field = |r: Result<(), EnrollmentError>| match r {
            Err(EnrollmentError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(check_drop_date(day("2000-01-01"), today, end)), "effective_date");
        assert_eq!(field(check_drop_date(day("2027-01-01"), today, end)), "effective_date");
    }

    #[test]
    fn a_student_has_a_name_and_a_birth_date_not_in_the_future() {
        let today = day("2026-11-30");
        let s = StudentSpec::parse(" Mia ", "Lee", "2019-04-02", today).unwrap();
        assert_eq!((s.first_name.as_str(), s.birth_date.to_string().as_str()), ("Mia", "2019-04-02"));
        assert!(StudentSpec::parse("Mia", "Lee", "2026-12-01", today).is_err());
        assert!(StudentSpec::parse("Mia", "Lee", "1800-01-01", today).is_err());
        assert!(StudentSpec::parse("", "Lee", "2019-04-02", today).is_err());
    }

    #[test]
    fn a_place_while_there_is_one_then_the_waitlist_then_full() {
        let today = day("2026-11-30");
        assert_eq!(placement(&class(2, 1, false), today), Ok(Active));
        assert_eq!(placement(&class(2, 2, true), today), Ok(Waitlisted));
        assert_eq!(placement(&class(2, 2, false), today), Err(EnrollmentError::ClassFull("Tumbling".into())));
        assert_eq!(placement(&class(0, 0, true), today), Ok(Waitlisted), "capacity 0: waitlist only");
        assert_eq!(placement(&class(2, 0, true), day("2027-01-01")), Err(EnrollmentError::ClassEnded("Tumbling".into())));
    }

    #[test]
    fn a_place_in_an_ended_class_reads_as_completed() {
        assert_eq!(Active.as_seen(day("2026-06-30"), day("2026-07-01")), Completed);
        assert_eq!(Active.as_seen(day("2026-06-30"), day("2026-06-30")), Active);
        assert_eq!(Waitlisted.as_seen(day("2026-06-30"), day("2026-07-01")), Waitlisted);
    }

    #[test]
    fn only_the_primary_or_an_allowed_secondary_manages_enrollments() {
        assert!(may_manage_enrollments(true, false).is_ok());
        assert!(may_manage_enrollments(false, true).is_ok());
        assert_eq!(may_manage_enrollments(false, false), Err(EnrollmentError::NotPermitted));
    }

    #[test]
    fn requests_need_the_option_a_current_enrollment_and_nothing_pending() {
        let none = RequestOptions::default();
        assert_eq!(may_request_drop(none, Active, false), Err(EnrollmentError::DropRequestsDisabled));
        assert_eq!(may_request_drop(ALL, Waitlisted, false), Err(EnrollmentError::NotCurrent));
        assert_eq!(may_request_drop(ALL, Active, true), Err(EnrollmentError::RequestPending));
        assert_eq!(may_request_drop(ALL, Active, false), Ok(()));
        assert_eq!(may_request_transfer(none, Active, false, "a", "b"), Err(EnrollmentError::TransferRequestsDisabled));
        assert_eq!(may_request_transfer(ALL, Active, false, "a", "a"), Err(EnrollmentError::SameClass));
        assert_eq!(may_request_transfer(ALL, Completed, false, "a", "b"), Err(EnrollmentError::NotCurrent));
        assert_eq!(may_cancel_waitlist(none, Waitlisted), Err(EnrollmentError::CancelWaitlistDisabled));
        assert_eq!(may_cancel_waitlist(ALL, Active), Err(EnrollmentError::NotWaitlisted));
        assert_eq!(may_decide(RequestStatus::Denied), Err(EnrollmentError::AlreadyDecided("denied")));
        assert_eq!(may_decide(RequestStatus::Pending), Ok(()));
    }

    #[test]
    fn the_actions_offered_follow_the_options_the_status_and_the_permission() {
        assert_eq!(enrollment_actions(ALL, Active, false, true), vec!["drop", "transfer"]);
        assert_eq!(enrollment_actions(ALL, Active, true, true), Vec::<&str>::new());
        assert_eq!(enrollment_actions(ALL, Waitlisted, false, true), vec!["cancel_waitlist"]);
        assert_eq!(enrollment_actions(ALL, Active, false, false), Vec::<&str>::new());
        let drop_only = RequestOptions { allow_drop_requests: true, ..Default::default() };
        assert_eq!(enrollment_actions(drop_only, Active, false, true), vec!["drop"]);
        assert_eq!(enrollment_actions(ALL, Completed, false, true), Vec::<&str>::new());
    }
}
