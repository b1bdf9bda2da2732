//! The e-mails the system sends. A command decides which notifications to send and renders each
//! into an `OutgoingEmail`, written to the outbox in the same D1 batch as the change; the queue
//! consumer only sends what it finds there.

use crate::time::Timestamp;
use askama::Template;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// To the first staff user of a new organization.
    OrganizationWelcome { to: String, org_name: String, org_slug: String },
    /// To the organization's owners when the Customer Portal is switched on or off.
    CustomerPortalSwitched { to: String, org_name: String, enabled: bool, changed_by: String },
    /// An invitation to log in to a family account; `resent` when it replaces an earlier one.
    Invitation {
        to: String,
        org_name: String,
        org_slug: String,
        first_name: String,
        family_name: String,
        invited_by: String,
        token: String,
        expires_at: Timestamp,
        resent: bool,
    },
    /// To the guardian whose access was revoked.
    AccessRevoked { to: String, org_name: String, first_name: String, family_name: String, primary_name: String },
    /// To the primary guardian when staff revoke one of the family's secondary users.
    SecondaryRevokedByStaff { to: String, org_name: String, guardian_name: String, reason: Option<String> },
    /// To the primary guardian when a secondary leaves the family themselves.
    SecondaryLeftFamily { to: String, org_name: String, guardian_name: String, family_name: String },
    /// To the primary guardian when a secondary accepts.
    InvitationAccepted { to: String, org_name: String, guardian_name: String },
    PasswordReset { to: String, org_name: String, org_slug: String, first_name: String, token: String, expires_at: Timestamp },
    /// To the staff member who uploaded a portal-access import, when it is done.
    ImportSummary { to: String, org_name: String, org_slug: String, job_id: String, dry_run: bool, total: i64, updated: i64, unchanged: i64, errors: i64 },
    /// To the guardian who made a drop or transfer request (and the primary), once staff decide it.
    /// `outcome` says where an approved transfer put the student: a place or the waitlist.
    EnrollmentRequestDecided {
        to: String,
        org_name: String,
        student_name: String,
        /// "drop", "transfer" or "makeup".
        kind: &'static str,
        /// The class left, or a makeup's class.
        from_class: String,
        to_class: Option<String>,
        /// A makeup's date.
        date: Option<String>,
        approved: bool,
        outcome: Option<&'static str>,
        note: Option<String>,
    },
    // Changing the login e-mail (issue 26).
    /// To the new address: the link that makes it the login e-mail once opened and confirmed.
    EmailChangeLink { to: String, org_name: String, org_slug: String, first_name: String, token: String, expires_at: Timestamp },
    /// To the old address: a change was asked; nothing changes unless the new address confirms.
    EmailChangeRequested { to: String, org_name: String, first_name: String, new_email: String },
}

/// Stands where a link token was, once the e-mail carrying it has been sent.
pub const REDACTED: &str = "[redacted after sending]";

/// A rendered e-mail as the outbox keeps it. `secret` is the link token the message carries, if
/// any: once the message is sent, `redacted` removes it from the stored copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl OutgoingEmail {
    /// The copy kept after sending: the link token replaced wherever it appears.
    pub fn redacted(&self) -> Self {
        let mut copy = self.clone();
        if let Some(secret) = copy.secret.take().filter(|s| !s.is_empty()) {
            copy.text = copy.text.replace(&secret, REDACTED);
            copy.html = copy.html.replace(&secret, REDACTED);
        }
        copy
    }
}

impl Notification {
    pub fn kind(&self) -> &'static str {
        match self {
            Notification::OrganizationWelcome { .. } => "organization_welcome",
            Notification::CustomerPortalSwitched { .. } => "customer_portal_switched",
            Notification::Invitation { resent: false, .. } => "invitation",
            Notification::Invitation { resent: true, .. } => "invitation_resent",
            Notification::AccessRevoked { .. } => "access_revoked",
            Notification::InvitationAccepted { .. } => "invitation_accepted",
            Notification::SecondaryRevokedByStaff { .. } => "secondary_access_revoked",
            Notification::SecondaryLeftFamily { .. } => "secondary_left_family",
            Notification::PasswordReset { .. } => "password_reset",
            Notification::ImportSummary { .. } => "import_summary",
            Notification::EnrollmentRequestDecided { .. } => "enrollment_request_decided",
            Notification::EmailChangeLink { .. } => "email_change_link",
            Notification::EmailChangeRequested { .. } => "email_change_requested",
        }
    }

    pub fn recipient(&self) -> &str {
        match self {
            Notification::OrganizationWelcome { to, .. }
            | Notification::CustomerPortalSwitched { to, .. }
            | Notification::Invitation { to, .. }
            | Notification::AccessRevoked { to, .. }
            | Notification::InvitationAccepted { to, .. }
            | Notification::SecondaryRevokedByStaff { to, .. }
            | Notification::SecondaryLeftFamily { to, .. }
            | Notification::PasswordReset { to, .. }
            | Notification::ImportSummary { to, .. }
            | Notification::EnrollmentRequestDecided { to, .. }
            | Notification::EmailChangeLink { to, .. }
            | Notification::EmailChangeRequested { to, .. } => to,
        }
    }

    fn secret(&self) -> Option<&str> {
        match self {
            Notification::Invitation { token, .. }
            | Notification::PasswordReset { token, .. }
            | Notification::EmailChangeLink { token, .. } => Some(token),
            _ => None,
        }
    }

    fn subject(&self) -> String {
        match self {
            Notification::OrganizationWelcome { org_name, .. } => format!("Welcome to portal-access, {org_name}"),
            Notification::CustomerPortalSwitched { org_name, enabled: true, .. } => {
                format!("The Customer Portal of {org_name} is on again")
            }
            Notification::CustomerPortalSwitched { org_name, enabled: false, .. } => {
                format!("The Customer Portal of {org_name} is off")
            }
            Notification::Invitation { org_name, resent: false, .. } => {
                format!("You're invited to the {org_name} Customer Portal")
            }
            Notification::Invitation { org_name, resent: true, .. } => {
                format!("Reminder: your invitation to the {org_name} Customer Portal")
            }
            Notification::AccessRevoked { org_name, .. } => {
                format!("Your access to the {org_name} Customer Portal has been revoked")
            }
            Notification::InvitationAccepted { guardian_name, .. } => format!("{guardian_name} accepted your invitation"),
            Notification::SecondaryRevokedByStaff { org_name, guardian_name, .. } => {
                format!("{org_name} revoked {guardian_name}'s access to your family account")
            }
            Notification::SecondaryLeftFamily { guardian_name, .. } => format!("{guardian_name} left your family account"),
            Notification::PasswordReset { org_name, .. } => format!("Reset your {org_name} Customer Portal password"),
            Notification::ImportSummary { org_name, dry_run, .. } => {
                format!("{}Your portal-access import for {org_name} is done", if *dry_run { "Dry run: " } else { "" })
            }
            Notification::EnrollmentRequestDecided { student_name, kind, approved, .. } => {
                format!("Your {kind} request for {student_name} was {}", if *approved { "approved" } else { "denied" })
            }
            Notification::EmailChangeLink { org_name, .. } => format!("Confirm your new {org_name} Customer Portal login e-mail"),
            Notification::EmailChangeRequested { org_name, .. } => format!("A change of your {org_name} Customer Portal login e-mail was asked"),
        }
    }

    /// `base_url` is the deployment's public URL, without a trailing slash.
    pub fn render(&self, base_url: &str) -> Result<OutgoingEmail, askama::Error> {
        Ok(OutgoingEmail {
            kind: self.kind().to_string(),
            secret: self.secret().map(str::to_string),
            to: self.recipient().to_string(),
            subject: self.subject(),
            text: TextBody { mail: self, base_url }.render()?,
            html: HtmlBody { mail: self, base_url }.render()?,
        })
    }
}

/// The bodies live in templates/email/: `<kind>.html` (escaped) and `<kind>.txt` (verbatim).
#[derive(Template)]
#[template(path = "email/body.html")]
struct HtmlBody<'a> {
    mail: &'a Notification,
    base_url: &'a str,
}

#[derive(Template)]
#[template(path = "email/body.txt")]
struct TextBody<'a> {
    mail: &'a Notification,
    base_url: &'a str,
}

mod filters {
    use crate::time::Timestamp;

    /// `2027-01-15 at 08:00`: a person reads the expiry, so no seconds and no `T`.
    #[askama::filter_fn]
    pub fn readable_utc(t: &Timestamp, _: &dyn askama::Values) -> askama::Result<impl std::fmt::Display> {
        Ok(t.to_datetime().format("%Y-%m-%d at %H:%M"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_disabled_notice_quotes_what_families_see() {
        let n = Notification::CustomerPortalSwitched {
            to: "owner@x.test".into(),
            org_name: "Splash".into(),
            enabled: false,
            changed_by: "admin@x.test".into(),
        };
        let m = n.render("https://p.example").expect("renders");
        assert_eq!(m.to, "owner@x.test");
        assert!(m.subject.contains("off"));
        assert!(m.text.contains("Our Customer Portal is currently unavailable. Please check back later."));
        assert!(m.html.contains("&quot;Our Customer Portal"));
    }

    #[test]
    fn names_are_escaped_in_html() {
        let n = Notification::OrganizationWelcome {
            to: "a@x.test".into(),
            org_name: "<b>Swim & Co</b>".into(),
            org_slug: "swim".into(),
        };
        let m = n.render("https://p.example").expect("renders");
        assert!(m.html.contains("&#60;b&#62;Swim &#38; Co&#60;/b&#62;"), "{}", m.html);
        assert!(m.text.contains("https://p.example/portal/swim"));
    }

    #[test]
    fn a_script_or_ampersand_in_a_name_is_escaped_in_html_and_verbatim_in_text() {
        let name = "<script>alert('x')</script> & \"Sons\"";
        let n = Notification::InvitationAccepted { to: "a@x.test".into(), org_name: "Splash".into(), guardian_name: name.into() };
        let m = n.render("https://p.example").expect("renders");
        assert!(!m.html.contains("<script>"), "{}", m.html);
        assert!(m.html.starts_with("<p>&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; &#38; &#34;Sons&#34; accepted"), "{}", m.html);
        assert!(m.text.starts_with(&format!("{name} accepted your invitation")), "{}", m.text);
        assert_eq!(m.subject, format!("{name} accepted your invitation"));
    }

    #[test]
    fn the_text_body_is_paragraphs_and_the_html_body_one_p_each() {
        let m = invitation(true).render("https://p.example").expect("renders");
        assert_eq!(
            m.text,
            "Hello Bob,\n\n\
             Ann Lee invited you to log in to the Lee family account in the Splash Customer Portal.\n\n\
             Accept the invitation: https://p.example/portal/splash/invitations/tok123\n\n\
             The link works once and expires on 2027-01-15 at 08:00 UTC. Any earlier invitation link no longer works."
        );
        let html: Vec<&str> = m.html.lines().collect();
        assert_eq!(html.len(), 4);
        assert!(html.iter().all(|p| p.starts_with("<p>") && p.ends_with("</p>")), "{}", m.html);
        assert_eq!(html[2], "<p>Accept the invitation: https://p.example/portal/splash/invitations/tok123</p>");
    }

    #[test]
    fn every_kind_renders_a_text_and_an_html_body() {
        let t = Timestamp(1_800_000_000_000);
        let all = [
            Notification::OrganizationWelcome { to: "a@x.test".into(), org_name: "S".into(), org_slug: "s".into() },
            Notification::CustomerPortalSwitched { to: "a@x.test".into(), org_name: "S".into(), enabled: true, changed_by: "A".into() },
            invitation(false),
            Notification::AccessRevoked { to: "a@x.test".into(), org_name: "S".into(), first_name: "B".into(), family_name: "L".into(), primary_name: "A".into() },
            Notification::SecondaryRevokedByStaff { to: "a@x.test".into(), org_name: "S".into(), guardian_name: "B".into(), reason: Some("Moved away".into()) },
            Notification::SecondaryRevokedByStaff { to: "a@x.test".into(), org_name: "S".into(), guardian_name: "B".into(), reason: None },
            Notification::InvitationAccepted { to: "a@x.test".into(), org_name: "S".into(), guardian_name: "B".into() },
            Notification::PasswordReset { to: "a@x.test".into(), org_name: "S".into(), org_slug: "s".into(), first_name: "B".into(), token: "tok9".into(), expires_at: t },
            Notification::EmailChangeLink { to: "b@x.test".into(), org_name: "S".into(), org_slug: "s".into(), first_name: "B".into(), token: "tok8".into(), expires_at: t },
            Notification::EmailChangeRequested { to: "a@x.test".into(), org_name: "S".into(), first_name: "B".into(), new_email: "b@x.test".into() },
            Notification::ImportSummary { to: "a@x.test".into(), org_name: "S".into(), org_slug: "s".into(), job_id: "job_1".into(), dry_run: true, total: 3, updated: 1, unchanged: 2, errors: 0 },
        ];
        for n in all {
            let m = n.render("https://p.example").expect("renders");
            let paragraphs = m.text.split("\n\n").count();
            assert_eq!(m.html.lines().count(), paragraphs, "{}: {} / {}", m.kind, m.text, m.html);
            assert!(!m.text.contains('<') && !m.text.starts_with('\n') && !m.text.ends_with('\n'), "{:?}", m.text);
        }
        let reset = Notification::PasswordReset { to: "a@x.test".into(), org_name: "S".into(), org_slug: "s".into(), first_name: "B".into(), token: "tok9".into(), expires_at: t };
        let m = reset.render("https://p.example").expect("renders");
        assert!(m.text.contains("https://p.example/portal/s/password-reset/tok9"));
        assert!(m.text.contains("expires on 2027-01-15 at 08:00 UTC."));
        let summary = Notification::ImportSummary { to: "a@x.test".into(), org_name: "S".into(), org_slug: "s".into(), job_id: "job_1".into(), dry_run: true, total: 8, updated: 0, unchanged: 8, errors: 0 };
        let m = summary.render("https://p.example").expect("renders");
        assert!(m.subject.starts_with("Dry run"));
        assert!(m.text.contains("8 rows: 0 would change (nothing was changed), 8 unchanged, 0 with errors."));
        assert!(m.html.contains("Every row's result: https://p.example/office/s/api/imports/job_1"));
    }

    fn invitation(resent: bool) -> Notification {
        Notification::Invitation {
            to: "bob@x.test".into(),
            org_name: "Splash".into(),
            org_slug: "splash".into(),
            first_name: "Bob".into(),
            family_name: "Lee".into(),
            invited_by: "Ann Lee".into(),
            token: "tok123".into(),
            expires_at: Timestamp(1_800_000_000_000),
            resent,
        }
    }

    #[test]
    fn an_invitation_carries_its_link_and_expiry() {
        let m = invitation(false).render("https://p.example").expect("renders");
        assert!(m.text.contains("https://p.example/portal/splash/invitations/tok123"));
        assert!(m.text.contains("expires on 2027-01-15 at 08:00 UTC"));
        assert_eq!(invitation(true).kind(), "invitation_resent");
        assert!(invitation(true).render("https://p.example").expect("renders").text.contains("no longer works"));
    }

    #[test]
    fn the_revocation_notice_points_to_the_primary_guardian() {
        let n = Notification::AccessRevoked {
            to: "bob@x.test".into(),
            org_name: "Splash".into(),
            first_name: "Bob".into(),
            family_name: "Lee".into(),
            primary_name: "Ann Lee".into(),
        };
        let m = n.render("https://p.example").expect("renders");
        assert!(m.text.contains("has been revoked"));
        assert!(m.text.contains("contact the Primary Guardian of the account, Ann Lee"));
    }

    #[test]
    fn redaction_removes_the_link_token_and_nothing_else() {
        let sent = invitation(false).render("https://p.example").expect("renders");
        assert_eq!(sent.secret.as_deref(), Some("tok123"));
        let kept = sent.redacted();
        let json = serde_json::to_string(&kept).unwrap();
        assert!(!json.contains("tok123"), "{json}");
        assert!(kept.text.contains("/invitations/[redacted after sending]"));
        assert_eq!((kept.subject, kept.to), (sent.subject, sent.to));
        let w = Notification::OrganizationWelcome { to: "a@x.test".into(), org_name: "S".into(), org_slug: "s".into() };
        let w = w.render("https://p.example").expect("renders");
        assert_eq!(w.redacted(), w);
    }

    #[test]
    fn rendered_emails_round_trip_through_the_outbox_format() {
        let m = invitation(true).render("https://p.example").expect("renders");
        assert_eq!(m.kind, "invitation_resent");
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<OutgoingEmail>(&json).unwrap(), m);
    }

    #[test]
    fn a_decided_transfer_says_where_the_student_landed_and_quotes_the_note() {
        let n = Notification::EnrollmentRequestDecided {
            to: "ann@x.test".into(),
            org_name: "Splash".into(),
            student_name: "Mia Lee".into(),
            kind: "transfer",
            from_class: "Tumbling 1".into(),
            to_class: Some("Tumbling 2".into()),
            date: None,
            approved: true,
            outcome: Some("waitlisted"),
            note: Some("See you <soon>".into()),
        };
        let m = n.render("https://p.example").expect("renders");
        assert_eq!(m.subject, "Your transfer request for Mia Lee was approved");
        assert_eq!(
            m.text,
            "Splash approved your request to transfer Mia Lee from Tumbling 1 to Tumbling 2.\n\n\
             Mia Lee is on the waitlist of the new class: the office will tell you when a place opens.\n\n\
             Note from the office: See you <soon>"
        );
        assert!(m.html.contains("See you &#60;soon&#62;"), "{}", m.html);
        let denied = Notification::EnrollmentRequestDecided {
            to: "ann@x.test".into(),
            org_name: "Splash".into(),
            student_name: "Mia Lee".into(),
            kind: "drop",
            from_class: "Tumbling 1".into(),
            to_class: None,
            date: None,
            approved: false,
            outcome: None,
            note: None,
        };
        assert_eq!(denied.render("https://p.example").expect("renders").text, "Splash denied your request to drop Mia Lee from Tumbling 1.");
        let makeup = Notification::EnrollmentRequestDecided {
            to: "ann@x.test".into(),
            org_name: "Splash".into(),
            student_name: "Mia Lee".into(),
            kind: "makeup",
            from_class: "Tumbling 1".into(),
            to_class: None,
            date: Some("2026-12-07".into()),
            approved: true,
            outcome: None,
            note: None,
        };
        let m = makeup.render("https://p.example").expect("renders");
        assert_eq!(m.subject, "Your makeup request for Mia Lee was approved");
        assert_eq!(m.text, "Splash approved your request for a makeup for Mia Lee in Tumbling 1 on 2026-12-07.");
    }
}
