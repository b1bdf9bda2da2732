//! Changing the login e-mail: the current password, then a link e-mailed to the new address that
//! works once, until it expires (as long as a password reset link); the old address is told.

use crate::email::EmailAddress;
use crate::time::Timestamp;
use thiserror::Error;

/// A confirm link lives as long as a password reset link.
pub const EMAIL_CHANGE_TTL_HOURS: i64 = crate::access::PASSWORD_RESET_TTL_HOURS;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum EmailChangeError {
    #[error("This is already the e-mail address you sign in with.")]
    SameAddress,
    #[error("That e-mail address already signs in to this portal or belongs to someone in your family account. Choose another address.")]
    InUse,
    #[error("This link to confirm your new login e-mail has already been used.")]
    LinkUsed,
    #[error("This link to confirm your new login e-mail has expired.")]
    LinkExpired,
    #[error("This link to confirm a new login e-mail is not valid. Check that you copied all of it.")]
    LinkNotFound,
    #[error("This is the e-mail address you sign in with: change it with Change Login Email, which sends a link to the new address.")]
    ThroughChangeLoginEmail,
}

/// The new address may not be the one already signing in.
pub fn check_new_address(current: Option<&str>, new: &EmailAddress) -> Result<(), EmailChangeError> {
    if current.is_some_and(|c| c.eq_ignore_ascii_case(new.as_str())) {
        return Err(EmailChangeError::SameAddress);
    }
    Ok(())
}

/// Whether a confirm link still works: once, before it expires.
pub fn check_link(used_at: Option<i64>, expires_at: i64, now: Timestamp) -> Result<(), EmailChangeError> {
    if used_at.is_some() {
        Err(EmailChangeError::LinkUsed)
    } else if expires_at <= now.millis() {
        Err(EmailChangeError::LinkExpired)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_one_signs_in_with_is_not_a_change() {
        let same = EmailAddress::parse("Ann@Example.test").unwrap();
        assert_eq!(check_new_address(Some("ann@example.test"), &same), Err(EmailChangeError::SameAddress));
        let other = EmailAddress::parse("ann@new.test").unwrap();
        assert_eq!(check_new_address(Some("ann@example.test"), &other), Ok(()));
    }

    #[test]
    fn a_link_works_once_until_it_expires() {
        let now = Timestamp(1_000);
        assert_eq!(check_link(None, 2_000, now), Ok(()));
        assert_eq!(check_link(None, 1_000, now), Err(EmailChangeError::LinkExpired));
        assert_eq!(check_link(Some(900), 2_000, now), Err(EmailChangeError::LinkUsed));
    }
}
