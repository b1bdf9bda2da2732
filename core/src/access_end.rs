//! Access with an end date: the Primary Guardian sets the day a secondary's access ends (a
//! grandparent for the summer, a nanny for a term). From the first instant of that day in the
//! organization's time zone the session check refuses them, whatever the cron has done; the cron
//! then ends the access as a revoke by the primary does.

use crate::access::GuardianFacts;
use crate::audit::{Actor, AuditEntry};
use crate::time::Timestamp;
use crate::time_zone::OrgTimeZone;
use chrono::NaiveDate;

/// The revoke's reason, in the access history and the e-mail's wake.
pub const ACCESS_PERIOD_ENDED: &str = "access period ended";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessEndError {
    #[error("Enter the day access ends as a date, YYYY-MM-DD.")]
    InvalidDate,
    #[error("The day access ends cannot be before today.")]
    InThePast,
    #[error("Only a secondary guardian's access can have an end date.")]
    ForSecondariesOnly,
}

/// The day access ends, as the API and the form send it.
pub fn parse_ends_on(input: &str) -> Result<NaiveDate, AccessEndError> {
    NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d").map_err(|_| AccessEndError::InvalidDate)
}

/// An end date as the primary set it, and the instant it takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessEnd {
    pub ends_on: NaiveDate,
    pub ends_at: Timestamp,
}

/// Checks a new end date for `target` (`None` clears it): a secondary's, today or later in the
/// organization's time zone. Today is allowed: the access ends at once.
pub fn set_access_end(target: &GuardianFacts, ends_on: Option<NaiveDate>, tz: &OrgTimeZone, now: Timestamp) -> Result<Option<AccessEnd>, AccessEndError> {
    if target.is_primary {
        return Err(AccessEndError::ForSecondariesOnly);
    }
    let Some(ends_on) = ends_on else { return Ok(None) };
    if ends_on < tz.today(now.to_datetime()) {
        return Err(AccessEndError::InThePast);
    }
    Ok(Some(AccessEnd { ends_on, ends_at: Timestamp(tz.start_of_day(ends_on).timestamp_millis()) }))
}

/// Whether access with this end (`access_ends_at`) has ended at `now`.
pub fn has_ended(ends_at: Option<i64>, now: Timestamp) -> bool {
    ends_at.is_some_and(|t| t <= now.millis())
}

/// The history's entry for setting, changing or clearing the date.
pub fn entry(actor: Actor, target: &GuardianFacts, end: Option<&AccessEnd>) -> AuditEntry {
    let (action, reason) = match end {
        Some(e) => ("access_end_set", Some(format!("access ends on {}", e.ends_on))),
        None => ("access_end_cleared", None),
    };
    AuditEntry::about_guardian(actor, action, &target.id, target.full_name(), &target.family_id, reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::AccessState;

    fn nanny(is_primary: bool) -> GuardianFacts {
        GuardianFacts {
            id: "gdn_2".into(),
            family_id: "fam_1".into(),
            is_primary,
            state: AccessState::CanLogIn,
            first_name: "Nan".into(),
            last_name: "Ny".into(),
        }
    }

    fn date(s: &str) -> NaiveDate {
        parse_ends_on(s).unwrap()
    }

    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    #[test]
    fn the_end_takes_effect_at_the_start_of_the_day_in_the_organizations_zone() {
        let chicago = OrgTimeZone::parse("America/Chicago").unwrap();
        // 03:00 UTC on the 15th is still the 14th in Chicago (UTC-6).
        let now = Timestamp::parse_rfc3339("2027-01-15T03:00:00Z").unwrap();
        let end = set_access_end(&nanny(false), Some(date("2027-01-14")), &chicago, now).unwrap().unwrap();
        assert_eq!(end.ends_at.to_rfc3339(), "2027-01-14T06:00:00.000Z", "today in Chicago: ended already");
        assert!(has_ended(Some(end.ends_at.millis()), now));
        let later = set_access_end(&nanny(false), Some(date("2027-06-30")), &chicago, now).unwrap().unwrap();
        assert_eq!(later.ends_at.to_rfc3339(), "2027-06-30T05:00:00.000Z", "daylight time in June");
        assert!(!has_ended(Some(later.ends_at.millis()), now));
        assert!(!has_ended(None, now));
    }

    #[test]
    fn a_date_before_today_there_is_refused() {
        let chicago = OrgTimeZone::parse("America/Chicago").unwrap();
        let now = Timestamp::parse_rfc3339("2027-01-15T03:00:00Z").unwrap();
        assert_eq!(set_access_end(&nanny(false), Some(date("2027-01-13")), &chicago, now), Err(AccessEndError::InThePast));
        // In UTC it is already the 15th: the 14th is past.
        assert_eq!(set_access_end(&nanny(false), Some(date("2027-01-14")), &OrgTimeZone::default(), now), Err(AccessEndError::InThePast));
    }

    #[test]
    fn clearing_is_allowed_and_the_primary_has_no_end_date() {
        assert_eq!(set_access_end(&nanny(false), None, &OrgTimeZone::default(), NOW), Ok(None));
        assert_eq!(set_access_end(&nanny(true), None, &OrgTimeZone::default(), NOW), Err(AccessEndError::ForSecondariesOnly));
    }

    #[test]
    fn only_real_dates_parse() {
        assert_eq!(parse_ends_on("2027-02-30"), Err(AccessEndError::InvalidDate));
        assert_eq!(parse_ends_on("next week"), Err(AccessEndError::InvalidDate));
        assert!(parse_ends_on("2027-02-28").is_ok());
    }

    #[test]
    fn the_history_says_which_day() {
        let end = AccessEnd { ends_on: date("2027-06-30"), ends_at: NOW };
        let e = entry(Actor::staff("stf", "x"), &nanny(false), Some(&end));
        assert_eq!((e.action.as_str(), e.reason.as_deref()), ("access_end_set", Some("access ends on 2027-06-30")));
        assert_eq!(entry(Actor::staff("stf", "x"), &nanny(false), None).action, "access_end_cleared");
    }
}
