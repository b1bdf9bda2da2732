//! Who a request acts as: the organization, and for payments the payer and the organization's
//! payment settings. Plain data, made by the session extractors (src/http) and the jobs, read by the
//! commands: it sits below both, so neither imports the other for it.

use portal_core::payments::Payer;

/// The organization a request acts in, as its authentication found it.
#[derive(Debug, Clone)]
pub struct OrgContext {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub invitation_ttl_hours: i64,
}

/// An organization's payment settings, as a signed-in request loaded them.
#[derive(Debug, Clone)]
pub struct PaymentSettings {
    pub gateway_kind: String,
    pub gateway_account_id: Option<String>,
    pub require_recurring_authorization: bool,
    pub show_full_ledger_history: bool,
}

/// Who acts, in which family and organization, with which settings.
pub struct Account<'a> {
    pub org_id: &'a str,
    pub family_id: &'a str,
    pub payer: Payer,
    pub payer_name: String,
    pub can_view_full_ledger: bool,
    pub settings: &'a PaymentSettings,
}
