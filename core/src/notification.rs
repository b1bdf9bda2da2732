//! The e-mails the system sends, as data (stored in the outbox) and as rendered messages.
//!
//! A command decides which notifications to send; they are written to the outbox in the same D1
//! batch as the change and rendered only when the queue consumer sends them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notification {
    /// To the first staff user of a new organization.
    OrganizationWelcome { to: String, org_name: String, org_slug: String },
    /// To the organization's owners when the Customer Portal is switched on or off.
    CustomerPortalSwitched { to: String, org_name: String, enabled: bool, changed_by: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Notification {
    pub fn kind(&self) -> &'static str {
        match self {
            Notification::OrganizationWelcome { .. } => "organization_welcome",
            Notification::CustomerPortalSwitched { .. } => "customer_portal_switched",
        }
    }

    pub fn recipient(&self) -> &str {
        match self {
            Notification::OrganizationWelcome { to, .. }
            | Notification::CustomerPortalSwitched { to, .. } => to,
        }
    }

    /// `base_url` is the deployment's public URL, without a trailing slash.
    pub fn render(&self, base_url: &str) -> RenderedEmail {
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
        };
        RenderedEmail {
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

    #[test]
    fn notifications_round_trip_through_the_outbox_format() {
        let n = Notification::OrganizationWelcome { to: "a@x.test".into(), org_name: "S".into(), org_slug: "s".into() };
        let json = serde_json::to_string(&n).unwrap();
        assert!(json.contains("\"kind\":\"organization_welcome\""));
        assert_eq!(serde_json::from_str::<Notification>(&json).unwrap(), n);
    }
}
