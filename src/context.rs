//! Who a request acts as: the organization, and for payments the payer and the organization's
//! payment settings. Plain data, made by the session extractors (src/http) and the jobs, read by the
//! commands: it sits below both, so neither imports the other for it.

use portal_core::access::GuardianFacts;
use portal_core::enrollment::RequestOptions;
use portal_core::ids::FamilyId;
use portal_core::payments::Payer;
use portal_core::settings::PortalOptions;

/// The organization a request acts in, as its authentication found it.
#[derive(Debug, Clone)]
pub struct OrgContext {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub invitation_ttl_hours: i64,
}

/// Who acts, in which family and organization, with which settings.
pub struct Account<'a> {
    pub org_id: &'a str,
    pub family_id: &'a str,
    pub payer: Payer,
    pub payer_name: String,
    pub can_view_full_ledger: bool,
    /// The organization's portal options, as the session loaded them (its payment gateway, the
    /// full-history rule, recurring authorization).
    pub settings: &'a PortalOptions,
    /// The session the request came with: saving, editing and deleting a saved method are guarded
    /// on it still being live (`store::sessions::still_live`).
    pub session_id: &'a str,
}

/// A signed-in guardian's family as Your Student(s) sees it: its students and enrollments, whether
/// this guardian may manage them, and which requests the organization takes in the portal.
pub struct Family<'a> {
    pub org: &'a OrgContext,
    pub id: FamilyId,
    pub guardian: &'a GuardianFacts,
    pub can_manage_enrollments: bool,
    pub options: RequestOptions,
    /// The session the request came with: each write's batch is guarded on it still being live
    /// (`store::sessions::still_live`).
    pub session_id: &'a str,
}

/// A signed-in guardian, as their session found them.
pub struct SignedInGuardian<'a> {
    pub org: &'a OrgContext,
    pub person_id: &'a str,
    pub me: &'a GuardianFacts,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub session_id: &'a str,
}

/// Who is signing in, as far as the request says: the client's address (`cf-connecting-ip`; none
/// outside Cloudflare, e.g. in local development) and the device token a browser kept from an
/// earlier successful sign-in.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub address: Option<String>,
    pub device: Option<String>,
    /// The User-Agent as a session records it (`portal_core::sign_ins::stored_user_agent`).
    pub user_agent: Option<String>,
}
