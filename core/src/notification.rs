//! The e-mails the system sends. A command decides which notifications to send and renders each
//! into an `OutgoingEmail`, written to the outbox in the same D1 batch as the change; the queue
//! consumer only sends what it finds there.

use crate::time::Timestamp;
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
    /// To the primary guardian when a secondary accepts.
    InvitationAccepted { to: String, org_name: String, guardian_name: String },
    PasswordReset { to: String, org_name: String, org_slug: String, first_name: String, token: String, expires_at: Timestamp },
    /// To the staff member who uploaded a portal-access import, when it is done.
    ImportSummary { to: String, org_name: String, org_slug: String, job_id: String, dry_run: bool, total: i64, updated: i64, unchanged: i64, errors: i64 },
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
            Notification::PasswordReset { .. } => "password_reset",
            Notification::ImportSummary { .. } => "import_summary",
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
            | Notification::PasswordReset { to, .. }
            | Notification::ImportSummary { to, .. } => to,
        }
    }

    fn secret(&self) -> Option<&str> {
        match self {
            Notification::Invitation { token, .. } | Notification::PasswordReset { token, .. } => Some(token),
            _ => None,
        }
    }

    /// `base_url` is the deployment's public URL, without a trailing slash.
    pub fn render(&self, base_url: &str) -> OutgoingEmail {
        let (subject, paragraphs): (String, Vec<String>) = match self {
            Notification::OrganizationWelcome { org_name, org_slug, .. } => (
                format!("Welcome to portal-access, {org_name}"),
                vec![
                    format!("Your organization {org_name} is ready, and its Customer Portal is on."),
                    format!("Office Portal API: {base_url}/office/{org_slug}/api"),
                    format!("Customer Portal: {base_url}/portal/{org_slug}"),
                ],
            ),
            Notification::CustomerPortalSwitched { org_name, enabled, changed_by, .. } => {
                if *enabled {
                    (
                        format!("The Customer Portal of {org_name} is on again"),
                        vec![
                            format!("{changed_by} enabled the Customer Portal."),
                            "Families can log in again; sessions ended while it was off stay ended."
                                .to_string(),
                        ],
                    )
                } else {
                    (
                        format!("The Customer Portal of {org_name} is off"),
                        vec![
                            format!("{changed_by} disabled the Customer Portal."),
                            "Families now see \"Our Customer Portal is currently unavailable. Please check back later.\" \
                             Everyone who was logged in has been logged out. The Office Portal keeps working."
                                .to_string(),
                        ],
                    )
                }
            }
            Notification::Invitation {
                org_name, org_slug, first_name, family_name, invited_by, token, expires_at, resent, ..
            } => (
                if *resent {
                    format!("Reminder: your invitation to the {org_name} Customer Portal")
                } else {
                    format!("You're invited to the {org_name} Customer Portal")
                },
                vec![
                    format!("Hello {first_name},"),
                    format!("{invited_by} invited you to log in to the {family_name} family account in the {org_name} Customer Portal."),
                    format!("Accept the invitation: {base_url}/portal/{org_slug}/invitations/{token}"),
                    format!(
                        "The link works once and expires on {} UTC.{}",
                        readable_utc(*expires_at),
                        if *resent { " Any earlier invitation link no longer works." } else { "" }
                    ),
                ],
            ),
            Notification::AccessRevoked { org_name, first_name, family_name, primary_name, .. } => (
                format!("Your access to the {org_name} Customer Portal has been revoked"),
                vec![
                    format!("Hello {first_name},"),
                    format!("Your access to the {family_name} family account in the {org_name} Customer Portal has been revoked."),
                    format!("If you have any questions, please contact the Primary Guardian of the account, {primary_name}."),
                ],
            ),
            Notification::InvitationAccepted { org_name, guardian_name, .. } => (
                format!("{guardian_name} accepted your invitation"),
                vec![format!(
                    "{guardian_name} accepted your invitation and can now log in to your family account in the {org_name} Customer Portal. You can revoke this access at any time."
                )],
            ),
            Notification::SecondaryRevokedByStaff { org_name, guardian_name, reason, .. } => (
                format!("{org_name} revoked {guardian_name}'s access to your family account"),
                vec![
                    format!("{org_name} staff revoked the Customer Portal access of {guardian_name} to your family account."),
                    match reason {
                        Some(r) => format!("Reason given: {r}"),
                        None => "No reason was given.".to_string(),
                    },
                    "Only you, as the Primary Guardian, can invite them again.".to_string(),
                ],
            ),
            Notification::PasswordReset { org_name, org_slug, first_name, token, expires_at, .. } => (
                format!("Reset your {org_name} Customer Portal password"),
                vec![
                    format!("Hello {first_name},"),
                    format!("Choose a new password: {base_url}/portal/{org_slug}/password-reset/{token}"),
                    format!(
                        "The link works once and expires on {} UTC. If you did not expect this e-mail, you can ignore it.",
                        readable_utc(*expires_at)
                    ),
                ],
            ),
            Notification::ImportSummary { org_name, org_slug, job_id, dry_run, total, updated, unchanged, errors, .. } => (
                format!("{}Your portal-access import for {org_name} is done", if *dry_run { "Dry run: " } else { "" }),
                vec![
                    format!(
                        "{total} rows: {updated} {}, {unchanged} unchanged, {errors} with errors.",
                        if *dry_run { "would change (nothing was changed)" } else { "changed" }
                    ),
                    format!("Every row's result: {base_url}/office/{org_slug}/api/imports/{job_id}"),
                ],
            ),
        };
        OutgoingEmail {
            kind: self.kind().to_string(),
            secret: self.secret().map(str::to_string),
            to: self.recipient().to_string(),
            text: paragraphs.join("\n\n"),
            html: paragraphs
                .iter()
                .map(|p| format!("<p>{}</p>", escape_html(p)))
                .collect::<Vec<_>>()
                .join("\n"),
            subject,
        }
    }
}

/// `2027-01-15 at 08:00`, from the RFC 3339 form (no date formatting machinery needed).
fn readable_utc(t: Timestamp) -> String {
    let s = t.to_rfc3339();
    match (s.get(0..10), s.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} at {time}"),
        _ => s,
    }
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
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
        let m = n.render("https://p.example");
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
        let m = n.render("https://p.example");
        assert!(m.html.contains("&lt;b&gt;Swim &amp; Co&lt;/b&gt;"));
        assert!(m.text.contains("https://p.example/portal/swim"));
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
        let m = invitation(false).render("https://p.example");
        assert!(m.text.contains("https://p.example/portal/splash/invitations/tok123"));
        assert!(m.text.contains("expires on 2027-01-15 at 08:00 UTC"));
        assert_eq!(invitation(true).kind(), "invitation_resent");
        assert!(invitation(true).render("https://p.example").text.contains("no longer works"));
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
        let m = n.render("https://p.example");
        assert!(m.text.contains("has been revoked"));
        assert!(m.text.contains("contact the Primary Guardian of the account, Ann Lee"));
    }

    #[test]
    fn redaction_removes_the_link_token_and_nothing_else() {
        let sent = invitation(false).render("https://p.example");
        assert_eq!(sent.secret.as_deref(), Some("tok123"));
        let kept = sent.redacted();
        let json = serde_json::to_string(&kept).unwrap();
        assert!(!json.contains("tok123"), "{json}");
        assert!(kept.text.contains("/invitations/[redacted after sending]"));
        assert_eq!((kept.subject, kept.to), (sent.subject, sent.to));
        let w = Notification::OrganizationWelcome { to: "a@x.test".into(), org_name: "S".into(), org_slug: "s".into() };
        let w = w.render("https://p.example");
        assert_eq!(w.redacted(), w);
    }

    #[test]
    fn rendered_emails_round_trip_through_the_outbox_format() {
        let m = invitation(true).render("https://p.example");
        assert_eq!(m.kind, "invitation_resent");
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<OutgoingEmail>(&json).unwrap(), m);
    }
}
