//! My Account payments: each command loads what the rule needs, asks `portal_core::payments`,
//! talks to the gateway where it must, and writes its change in one D1 batch.

use crate::app::App;
use crate::context::Account;
use crate::adapters::crypto::new_id;
use crate::error::{ApiError, ApiResult};
use crate::adapters::gateway::{self, Gateway, GatewayError, MethodRef, PaymentGateway, Vaulted};
use crate::store::outbox::{self};
use crate::store::payments::{
    self as store, BalanceRow, EntryRow, MethodRow, NewEntry, NewMethodRow, NewPayment, NewStaffPayment, PaymentRow, StaffPaymentRow, KIND_DELETE_METHODS,
};
use crate::commands::require_live;
use crate::store::sessions::still_live;
use crate::store::{Guard, won};
use portal_core::audit::Actor;
#[cfg(feature = "http")]
use portal_core::{access::Requester, ids::FamilyId, operations::OperationError, payments::StaffPayment};
use portal_core::ids::{GuardianId, PaymentMethodId};
use portal_core::payments::{
    check_confirmed_setup, check_idempotency_key, check_replay, decide_new_method, may_add_method, MethodKind, NewMethod, history_window, may_delete_method, may_edit_method,
    may_pay, method_label, offers, year_month, EntryKind, MethodEdit, MethodFacts, MethodInput, MethodOffers,
    Money, Payer, PaymentError, PaymentPolicy, NOT_CONFIGURED_MESSAGE,
};
use portal_core::time::Timestamp;
use serde::{Deserialize, Serialize, Serializer};
use worker::{D1PreparedStatement, D1Result};


impl Account<'_> {
    fn gateway<'a>(&'a self, app: &'a App) -> Option<Gateway<'a>> {
        gateway::for_org(
            &app.config,
            &app.db,
            app.now(),
            self.org_id,
            &self.settings.payment_gateway_kind,
            self.settings.payment_gateway_account_id.as_deref(),
        )
    }

    fn policy(&self, app: &App) -> PaymentPolicy {
        PaymentPolicy {
            gateway_configured: self.gateway(app).is_some(),
            require_recurring_authorization: self.settings.require_recurring_authorization,
        }
    }

    pub(crate) fn actor(&self) -> Actor {
        Actor {
            kind: portal_core::audit::ActorKind::Guardian,
            id: Some(self.payer.guardian_id.clone()),
            label: self.payer_name.clone(),
        }
    }
}

/// The gateway that holds `m` (deletion and charges go there even after the organization changed gateway).
pub fn gateway_of<'a>(app: &'a App, org_id: &'a str, m: &'a MethodRow) -> Option<Gateway<'a>> {
    gateway::for_org(&app.config, &app.db, app.now(), org_id, &m.gateway_kind, m.gateway_account_id.as_deref())
}

pub fn method_ref(m: &MethodRow) -> MethodRef<'_> {
    MethodRef { method_ref: &m.gateway_ref, customer_ref: m.gateway_customer_ref.as_deref() }
}

pub fn facts(m: &MethodRow) -> MethodFacts {
    MethodFacts {
        owner_guardian_id: m.guardian_id.clone(),
        kind: m.kind,
    }
}

/// Timestamps in the API are RFC 3339 (API.md).
fn rfc3339<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339())
}

/// "2026-05-01": a ledger time as the pages show it.
fn day(t: Timestamp) -> String {
    t.to_datetime().format("%Y-%m-%d").to_string()
}

/// What the family may do with a saved method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodAction {
    Edit,
    Delete,
    ChangeRecurring,
}

/// A saved method as the family sees it: display fields only, and the actions offered to the
/// viewer. (The API's views list their fields in the order the JSON has always had: by name.)
#[derive(Debug, Clone, Serialize)]
pub struct MethodView {
    pub actions: Vec<MethodAction>,
    pub exp_month: Option<i64>,
    pub exp_year: Option<i64>,
    pub guardian_id: GuardianId,
    pub guardian_name: Option<String>,
    pub id: PaymentMethodId,
    pub is_default: bool,
    pub kind: MethodKind,
    pub label: String,
    pub last4: String,
    pub recurring_authorized: bool,
}

impl MethodView {
    fn new(m: &MethodRow, payer: Option<&Payer>, offered: &MethodOffers) -> Self {
        let manages = payer.is_some_and(|p| p.is_primary || p.guardian_id == m.guardian_id);
        let offered_actions = [
            (MethodAction::Edit, true),
            (MethodAction::Delete, offered.can_delete),
            (MethodAction::ChangeRecurring, offered.can_change_recurring),
        ];
        MethodView {
            actions: offered_actions.into_iter().filter(|(_, on)| manages && *on).map(|(a, _)| a).collect(),
            exp_month: m.exp_month,
            exp_year: m.exp_year,
            guardian_id: m.guardian_id.clone().into(),
            guardian_name: m.guardian_name.clone(),
            id: m.id.clone().into(),
            is_default: m.is_default,
            kind: m.kind,
            label: method_label(m.kind, &m.last4),
            last4: m.last4.clone(),
            recurring_authorized: m.recurring_authorized,
        }
    }

    pub fn offers(&self, action: MethodAction) -> bool {
        self.actions.contains(&action)
    }
    pub fn may_edit(&self) -> bool {
        self.offers(MethodAction::Edit)
    }
    pub fn may_delete(&self) -> bool {
        self.offers(MethodAction::Delete)
    }
    pub fn may_change_recurring(&self) -> bool {
        self.offers(MethodAction::ChangeRecurring)
    }

    /// "05/2030", for a card.
    pub fn expiry(&self) -> Option<String> {
        self.exp_month.zip(self.exp_year).map(|(month, year)| format!("{month:02}/{year}"))
    }

    /// Who saved it.
    pub fn owner(&self) -> &str {
        self.guardian_name.as_deref().unwrap_or("A guardian")
    }
}

/// Every method on file for the family, and what the organization offers.
#[derive(Debug, Serialize)]
pub struct MethodsView {
    pub accepting_payments: bool,
    pub delete_offered: bool,
    /// Why nothing can be saved or paid, when the organization takes no payments.
    pub message: Option<&'static str>,
    pub payment_methods: Vec<MethodView>,
    pub recurring_toggle_offered: bool,
}

impl MethodsView {
    pub fn find(self, id: &str) -> Option<MethodView> {
        self.payment_methods.into_iter().find(|m| *m.id == *id)
    }
}

/// Every method on file for the family, and whether the organization takes payments at all.
pub async fn list_methods(app: &App, account: &Account<'_>) -> ApiResult<MethodsView> {
    let offered = offers(&account.policy(app));
    let methods = store::family_methods(&app.db, account.family_id).await?;
    Ok(MethodsView {
        accepting_payments: offered.accepting_payments,
        delete_offered: offered.can_delete,
        message: (!offered.accepting_payments).then_some(NOT_CONFIGURED_MESSAGE),
        payment_methods: methods.iter().map(|m| MethodView::new(m, Some(&account.payer), &offered)).collect(),
        recurring_toggle_offered: offered.can_change_recurring,
    })
}

async fn find_family_method(app: &App, account: &Account<'_>, id: &str) -> ApiResult<MethodRow> {
    store::find_family_method(&app.db, account.family_id, id)
        .await?
        .ok_or_else(|| PaymentError::MethodNotFound.into())
}

/// Vaults the token at the gateway, then saves the method (the guardian's own).
pub async fn save_method(app: &App, account: &Account<'_>, input: &MethodInput) -> ApiResult<MethodView> {
    let policy = account.policy(app);
    let me = &account.payer.guardian_id;
    let saved = store::guardian_methods(&app.db, me).await?.len() as i64;
    let method = decide_new_method(input, saved, &policy, year_month(app.now()))?;
    let gateway = account.gateway(app).ok_or(PaymentError::NotConfigured)?;
    let id = new_id("pm")?;
    let vaulted = gateway.vault(&method.gateway_token, me, &format!("vault-{id}")).await.map_err(gateway_error)?;
    keep_vaulted(app, account, &policy, &gateway, &id, &method, &vaulted).await
}

/// What the Add Payment Method page needs to show the gateway's own card element.
#[cfg(feature = "http")]
pub struct CardElement {
    pub js_url: String,
    pub publishable_key: String,
    pub account_id: String,
    pub client_secret: String,
    /// What the page must let in from the gateway.
    pub sources: gateway::ElementSources,
}

/// Starts saving a card in the gateway's own element (Stripe's Payment Element). `None` when the
/// organization's gateway has no such element here (the sandbox takes a test token instead, and a
/// Stripe deployment without its publishable key cannot show one).
#[cfg(feature = "http")]
pub async fn start_card_element(app: &App, account: &Account<'_>) -> ApiResult<Option<CardElement>> {
    let (Some(Gateway::Stripe(stripe)), Some(config)) = (account.gateway(app), app.config.stripe.as_ref()) else {
        return Ok(None);
    };
    let Some(publishable_key) = config.publishable_key.clone() else {
        return Ok(None);
    };
    let me = &account.payer.guardian_id;
    may_add_method(store::guardian_methods(&app.db, me).await?.len() as i64, &account.policy(app))?;
    let setup = stripe.start_setup(me, &format!("setup-{}", new_id("set")?)).await.map_err(gateway_error)?;
    Ok(Some(CardElement {
        js_url: config.js_url.clone(),
        publishable_key,
        account_id: stripe.account_id.to_string(),
        client_secret: setup.client_secret,
        sources: gateway::element_sources(&config.js_url, &config.api_url),
    }))
}

/// Keeps the card a guardian confirmed in the gateway's element, under the same rules and write
/// as `save_method`. The card's details are read from the gateway, never taken from the page;
/// the same setup saved twice (a double click, a reload) is kept once.
#[cfg(feature = "http")]
pub async fn save_confirmed_card(
    app: &App,
    account: &Account<'_>,
    setup_ref: &str,
    is_default: bool,
    recurring_authorized: Option<bool>,
) -> ApiResult<MethodView> {
    let gateway = account.gateway(app).ok_or(PaymentError::NotConfigured)?;
    let (Gateway::Stripe(stripe), false) = (&gateway, setup_ref.is_empty()) else {
        return Err(PaymentError::CardNotConfirmed.into());
    };
    let setup = stripe.confirmed_setup(setup_ref).await.map_err(gateway_error)?;
    let me = &account.payer.guardian_id;
    check_confirmed_setup(setup.guardian_id.as_deref(), me, setup.card.is_some())?;
    let Some((vaulted, last4, exp_month, exp_year)) = setup.card else {
        return Err(PaymentError::CardNotConfirmed.into());
    };
    let policy = account.policy(app);
    let saved = store::guardian_methods(&app.db, me).await?;
    if let Some(kept) = saved.iter().find(|m| m.gateway_ref == vaulted.method_ref) {
        return Ok(MethodView::new(kept, Some(&account.payer), &offers(&policy)));
    }
    let input = MethodInput {
        kind: MethodKind::Card.as_str().into(),
        gateway_token: vaulted.method_ref.clone(),
        last4,
        exp_month: Some(exp_month),
        exp_year: Some(exp_year),
        is_default: Some(is_default),
        recurring_authorized,
    };
    let method = decide_new_method(&input, saved.len() as i64, &policy, year_month(app.now()))?;
    keep_vaulted(app, account, &policy, &gateway, &new_id("pm")?, &method, &vaulted).await
}

/// Writes a method the gateway now keeps. If the write loses (a parallel save took the last
/// place), the gateway must not keep what we will not, unless that parallel save was this very
/// method.
async fn keep_vaulted(
    app: &App,
    account: &Account<'_>,
    policy: &PaymentPolicy,
    gateway: &Gateway<'_>,
    id: &str,
    method: &NewMethod,
    vaulted: &Vaulted,
) -> ApiResult<MethodView> {
    let me = &account.payer.guardian_id;
    let row = NewMethodRow {
        id,
        org_id: account.org_id,
        guardian_id: me,
        gateway_kind: &account.settings.payment_gateway_kind,
        gateway_account_id: account.settings.payment_gateway_account_id.as_deref(),
        gateway_ref: &vaulted.method_ref,
        gateway_customer_ref: vaulted.customer_ref.as_deref(),
        method,
    };
    let live = still_live(account.session_id, app.now());
    let results = app.db.batch(store::insert_method(&app.db, &row, app.now(), live)?).await?;
    if !won(&results, 0)? {
        let saved = store::guardian_methods(&app.db, me).await?;
        if let Some(kept) = saved.iter().find(|m| m.gateway_ref == vaulted.method_ref) {
            return Ok(MethodView::new(kept, Some(&account.payer), &offers(policy)));
        }
        let _ = gateway.delete_method(&MethodRef { method_ref: &vaulted.method_ref, customer_ref: vaulted.customer_ref.as_deref() }, &format!("delete-{id}")).await;
        // The session ended meanwhile (a revoke): 401, not "three methods already".
        require_live(app, account.session_id).await?;
        return Err(PaymentError::MethodLimit.into());
    }
    let saved = find_family_method(app, account, id).await?;
    Ok(MethodView::new(&saved, Some(&account.payer), &offers(policy)))
}

pub async fn edit_method(app: &App, account: &Account<'_>, id: &str, edit: &MethodEdit) -> ApiResult<MethodView> {
    let policy = account.policy(app);
    let m = find_family_method(app, account, id).await?;
    may_edit_method(&account.payer, &facts(&m), edit, &policy, year_month(app.now()))?;
    let live = still_live(account.session_id, app.now());
    let results = app.db.batch(store::edit_method(&app.db, &m, edit, app.now(), live)?).await?;
    if !won(&results, 0)? {
        require_live(app, account.session_id).await?;
    }
    let m = find_family_method(app, account, id).await?;
    Ok(MethodView::new(&m, Some(&account.payer), &offers(&policy)))
}

/// What the deletion job needs: which guardian's methods, marked by which change, and why.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeletionJob {
    pub guardian_id: String,
    pub guardian_name: String,
    pub family_id: String,
    pub change_id: String,
    pub reason: String,
}

/// The statements that take methods away from the family now, ending with the outbox row of the
/// job that deletes them at the gateway, then here.
pub struct Deletion {
    statements: Vec<D1PreparedStatement>,
    outbox_id: String,
}

impl Deletion {
    /// Adds the deletion to a command's batch.
    pub fn add_to(self, batch: &mut Vec<D1PreparedStatement>) -> QueuedDeletion {
        batch.extend(self.statements);
        QueuedDeletion { outbox_index: batch.len() - 1, outbox_id: self.outbox_id }
    }
}

/// A deletion whose batch has been sent: its job goes to the queue only if its outbox row was
/// written (the command won, and there was something to delete).
pub struct QueuedDeletion {
    outbox_index: usize,
    outbox_id: String,
}

impl QueuedDeletion {
    pub async fn enqueue(self, app: &App, results: &[D1Result]) -> ApiResult<()> {
        if won(results, self.outbox_index)? {
            app.enqueue(&[self.outbox_id]).await;
        }
        Ok(())
    }
}

fn deletion(
    app: &App,
    org_id: &str,
    job: &DeletionJob,
    mark: D1PreparedStatement,
) -> ApiResult<Deletion> {
    let payload = serde_json::to_string(job).map_err(ApiError::internal)?;
    let row = outbox::insert(
        &app.db,
        Some(org_id),
        KIND_DELETE_METHODS,
        &payload,
        app.now(),
        Some(store::methods_marked_by(&job.guardian_id, &job.change_id)),
    )?;
    Ok(Deletion {
        statements: vec![mark, store::promote_default(&app.db, &job.guardian_id)?, row.statement],
        outbox_id: row.id,
    })
}

/// A manual revoke (by the primary or staff) or a move: all of the guardian's methods go, if the
/// batch's change (`guard`) won. Automatic revocations never call this: they keep the methods.
pub fn delete_on_revoke(
    app: &App,
    org_id: &str,
    guardian: &crate::store::families::GuardianRow,
    family_id: &str,
    change_id: &str,
    reason: &str,
    guard: Guard<'_>,
) -> ApiResult<Deletion> {
    let mark = store::mark_guardian_methods_deleting(&app.db, &guardian.id, change_id, reason, app.now(), guard)?;
    let job = DeletionJob {
        guardian_id: guardian.id.clone(),
        guardian_name: guardian.full_name(),
        family_id: family_id.to_string(),
        change_id: change_id.to_string(),
        reason: reason.to_string(),
    };
    deletion(app, org_id, &job, mark)
}

/// A customer deletes a saved method: gone at once for the family, deleted at the gateway by the queue.
pub async fn delete_method(app: &App, account: &Account<'_>, id: &str) -> ApiResult<()> {
    let policy = account.policy(app);
    let m = find_family_method(app, account, id).await?;
    may_delete_method(&account.payer, &facts(&m), &policy)?;
    let change_id = new_id("chg")?;
    let job = DeletionJob {
        guardian_id: m.guardian_id.clone(),
        guardian_name: m.guardian_name.clone().unwrap_or_default(),
        family_id: account.family_id.to_string(),
        change_id: change_id.clone(),
        reason: format!("Deleted by {}.", account.payer_name),
    };
    let mut batch = Vec::new();
    let live = still_live(account.session_id, app.now());
    let queued = deletion(app, account.org_id, &job, store::mark_deleting(&app.db, &m.id, &change_id, &job.reason, app.now(), live)?)?
        .add_to(&mut batch);
    let results = app.db.batch(batch).await?;
    if !won(&results, 0)? {
        require_live(app, account.session_id).await?;
    }
    queued.enqueue(app, &results).await
}

/// The revoke preview's payment part: the methods that would go, and whether any is used for
/// recurring billing.
pub async fn revoke_preview(app: &App, guardian_id: &str) -> ApiResult<(Vec<MethodView>, bool)> {
    let methods = store::guardian_methods(&app.db, guardian_id).await?;
    let recurring = methods.iter().any(|m| m.recurring_authorized);
    let offered = MethodOffers { accepting_payments: true, can_delete: false, can_change_recurring: false };
    Ok((methods.iter().map(|m| MethodView::new(m, None, &offered)).collect(), recurring))
}

/// A family's saved methods as staff see them at the front desk, where Take Payment charges one.
#[cfg(feature = "http")]
pub async fn family_methods(app: &App, family_id: &str) -> ApiResult<Vec<MethodView>> {
    let methods = store::family_methods(&app.db, family_id).await?;
    let offered = MethodOffers { accepting_payments: true, can_delete: false, can_change_recurring: false };
    Ok(methods.iter().map(|m| MethodView::new(m, None, &offered)).collect())
}

fn gateway_error(e: GatewayError) -> ApiError {
    match e {
        GatewayError::Unavailable(detail) => {
            worker::console_warn!("payment gateway unavailable: {detail}");
            PaymentError::GatewayUnavailable.into()
        }
        GatewayError::Declined(m) | GatewayError::Rejected(m) => PaymentError::Declined(m).into(),
    }
}

/// What the family owes, its credit, and its last payment.
#[derive(Debug, Serialize)]
pub struct BalanceView {
    pub credit_cents: Money,
    pub last_payment: Option<LastPayment>,
    pub outstanding_cents: Money,
}

#[derive(Debug, Serialize)]
pub struct LastPayment {
    pub amount_cents: Money,
    #[serde(serialize_with = "rfc3339")]
    pub at: Timestamp,
}

impl LastPayment {
    pub fn day(&self) -> String {
        day(self.at)
    }
}

pub async fn family_balance(app: &App, family_id: &str) -> ApiResult<BalanceView> {
    Ok(balance_view(&store::balance(&app.db, family_id).await?))
}

fn balance_view(row: &BalanceRow) -> BalanceView {
    let b = row.sums().balance();
    BalanceView {
        credit_cents: Money(b.credit_cents),
        last_payment: row
            .last_payment_cents
            .zip(row.last_payment_at)
            .map(|(amount, at)| LastPayment { amount_cents: Money(amount), at: Timestamp(at) }),
        outstanding_cents: Money(b.outstanding_cents),
    }
}

/// A payment as its request answers.
#[derive(Debug, Serialize)]
pub struct PaymentView {
    pub amount_cents: Money,
    #[serde(serialize_with = "rfc3339")]
    pub at: Timestamp,
    pub gateway_charge_ref: Option<String>,
    pub id: String,
    pub payment_method_id: PaymentMethodId,
    /// The answer of an earlier request with the same idempotency key: nothing was charged again.
    pub replayed: bool,
    pub status: String,
}

impl PaymentView {
    fn new(p: PaymentRow, replayed: bool) -> Self {
        PaymentView {
            amount_cents: Money(p.amount_cents),
            at: Timestamp(p.created_at),
            gateway_charge_ref: p.gateway_charge_ref,
            id: p.id,
            payment_method_id: p.payment_method_id.into(),
            replayed,
            status: p.status,
        }
    }
}

/// Pays with a saved method, never more than once for one idempotency key: the key is claimed in
/// D1 first, the gateway gets a key derived from the payment, and a retry of a payment whose
/// gateway call failed calls again with that same key.
pub async fn pay(
    app: &App,
    account: &Account<'_>,
    amount_cents: i64,
    method_id: &str,
    idempotency_key: Option<String>,
) -> ApiResult<PaymentView> {
    may_pay(&account.payer, &account.policy(app), amount_cents)?;
    let key = match idempotency_key {
        Some(k) => {
            check_idempotency_key(&k)?;
            k
        }
        None => new_id("key")?,
    };
    let m = find_family_method(app, account, method_id).await?;
    let me = &account.payer.guardian_id;
    let payment_id = new_id("pay")?;
    let new = NewPayment {
        id: &payment_id,
        org_id: account.org_id,
        family_id: account.family_id,
        guardian_id: me,
        method_id: &m.id,
        amount_cents,
        idempotency_key: &key,
    };
    let first = store::insert_pending(&app.db, &new, app.now()).await? > 0;
    let payment = store::find_payment(&app.db, me, &key)
        .await?
        .ok_or_else(|| ApiError::internal("a payment just claimed is missing"))?;
    if !first {
        check_replay((&payment.payment_method_id, payment.amount_cents), (&m.id, amount_cents))?;
        match payment.status.as_str() {
            "succeeded" => return Ok(PaymentView::new(payment, true)),
            "declined" => return Err(PaymentError::Declined(payment.failure_message.unwrap_or_default()).into()),
            _ => {} // pending: its gateway call failed or is running; calling again with its key is safe
        }
    }
    let gateway = gateway_of(app, account.org_id, &m).ok_or(PaymentError::NotConfigured)?;
    match gateway.charge(&method_ref(&m), amount_cents, &format!("charge-{}", payment.id)).await {
        Ok(charge_ref) => {
            let description = format!("Payment with {}", method_label(m.kind, &m.last4));
            let entry_id = new_id("led")?;
            let actor = account.actor();
            let entry = NewEntry {
                id: &entry_id,
                org_id: account.org_id,
                family_id: account.family_id,
                kind: EntryKind::Payment,
                amount_cents,
                description: &description,
                posted_by: &actor,
                payment_id: Some(&payment.id),
                location_id: None,
            };
            app.db.batch(store::succeed(&app.db, &payment.id, &charge_ref, &entry, app.now())?).await?;
            Ok(PaymentView::new(PaymentRow { status: "succeeded".into(), gateway_charge_ref: Some(charge_ref), ..payment }, !first))
        }
        Err(GatewayError::Declined(message) | GatewayError::Rejected(message)) => {
            store::decline(&app.db, &payment.id, &message, app.now()).await?;
            Err(PaymentError::Declined(message).into())
        }
        Err(e) => Err(gateway_error(e)),
    }
}

/// A ledger entry: a charge, a payment, a refund, a credit or credit applied.
#[derive(Debug, Serialize)]
pub struct EntryView {
    pub amount_cents: Money,
    #[serde(serialize_with = "rfc3339")]
    pub at: Timestamp,
    pub description: String,
    pub id: String,
    pub kind: String,
}

impl From<&EntryRow> for EntryView {
    fn from(e: &EntryRow) -> Self {
        EntryView {
            amount_cents: Money(e.amount_cents),
            at: Timestamp(e.at),
            description: e.description.clone(),
            id: e.id.clone(),
            kind: e.kind.clone(),
        }
    }
}

impl EntryView {
    pub fn day(&self) -> String {
        day(self.at)
    }

    /// "Charge", "Payment", "Refund": the entry's type in the history's words.
    pub fn kind_name(&self) -> &'static str {
        match self.kind.as_str() {
            "charge" => "Charge",
            "payment" => "Payment",
            "refund" => "Refund",
            "credit" => "Credit",
            "credit_applied" => "Credit applied",
            _ => "Entry",
        }
    }

    /// A payment and applied credit lower what is owed (a credit only once applied).
    pub fn lowers_balance(&self) -> bool {
        self.kind == EntryKind::Payment.as_str() || self.kind == EntryKind::CreditApplied.as_str()
    }
}

/// The largest history one request returns; a narrower range or kind shows the rest.
pub const MAX_HISTORY_ENTRIES: i64 = 1000;

/// The Transaction History filter, as the API and the account page's address take it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HistoryFilter {
    pub kind: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The history in the window the viewer may see.
#[derive(Debug, Serialize)]
pub struct TransactionsView {
    pub entries: Vec<EntryView>,
    #[serde(serialize_with = "rfc3339")]
    pub from: Timestamp,
    pub full_history: bool,
    pub kind: String,
    #[serde(serialize_with = "rfc3339")]
    pub to: Timestamp,
    /// More than `MAX_HISTORY_ENTRIES` matched: only the newest are listed.
    pub truncated: bool,
}

impl TransactionsView {
    pub fn from_day(&self) -> String {
        day(self.from)
    }
    pub fn to_day(&self) -> String {
        day(self.to)
    }

    /// The kinds the history can show, as (value, label, chosen).
    pub fn kinds(&self) -> [(&'static str, &'static str, bool); 4] {
        let k = self.kind.as_str();
        [("all", "All", k == "all"), ("charges", "Charges", k == "charges"), ("payments", "Payments", k == "payments"), ("refunds", "Refunds", k == "refunds")]
    }
}

pub async fn transactions(app: &App, account: &Account<'_>, kind: &str, from: Option<&str>, to: Option<&str>) -> ApiResult<TransactionsView> {
    let filter = EntryKind::parse_filter(kind)?;
    let viewer_may = account.payer.is_primary || account.can_view_full_ledger;
    let window = history_window(account.settings.show_full_ledger_history, viewer_may, from, to, app.now())?;
    let rows = store::entries(&app.db, account.family_id, filter, &window, MAX_HISTORY_ENTRIES + 1).await?;
    Ok(TransactionsView {
        truncated: rows.len() as i64 > MAX_HISTORY_ENTRIES,
        entries: rows.iter().take(MAX_HISTORY_ENTRIES as usize).map(EntryView::from).collect(),
        from: window.from,
        full_history: window.full_history,
        kind: kind.to_string(),
        to: window.to,
    })
}

/// What My Account's Payments and Transaction History sections show.
pub struct PaymentsSection {
    pub methods: MethodsView,
    pub balance: BalanceView,
    pub history: TransactionsView,
    /// A wrong filter in the address, said next to the default window shown instead.
    pub history_error: Option<String>,
    pub may_make_payments: bool,
    /// The Credit line, where the organization shows credit.
    pub credit: Option<CreditLine>,
}

/// The Credit line of the Payments section, and whether Apply Credit is offered.
pub struct CreditLine {
    pub available: Money,
    pub may_apply: bool,
}

impl PaymentsSection {
    /// Make Payment is offered: the organization takes payments and the viewer may pay.
    pub fn may_pay(&self) -> bool {
        self.methods.accepting_payments && self.may_make_payments
    }

    /// Why a secondary without the permission may not pay, said next to the balance.
    pub fn cannot_pay(&self) -> String {
        PaymentError::NotPermitted.to_string()
    }
}

pub async fn payments_section(app: &App, account: &Account<'_>, filter: &HistoryFilter, show_credit: bool) -> ApiResult<PaymentsSection> {
    let kind = filter.kind.as_deref().filter(|k| !k.is_empty()).unwrap_or("all");
    let (history, history_error) = match transactions(app, account, kind, filter.from.as_deref(), filter.to.as_deref()).await {
        Ok(h) => (h, None),
        Err(e) if e.status < 500 => (transactions(app, account, "all", None, None).await?, Some(e.message.clone())),
        Err(e) => return Err(e),
    };
    let row = store::balance(&app.db, account.family_id).await?;
    let may_make_payments = account.payer.may_make_payments();
    let balance = balance_view(&row);
    Ok(PaymentsSection {
        methods: list_methods(app, account).await?,
        credit: show_credit.then(|| CreditLine { available: balance.credit_cents, may_apply: may_make_payments && row.sums().applicable() > 0 }),
        balance,
        history,
        history_error,
        may_make_payments,
    })
}

/// A payment staff took, as its request answers. Field order is the API's (alphabetical).
#[cfg(feature = "http")]
#[derive(Debug, Serialize)]
pub struct StaffPaymentView {
    pub amount_cents: Money,
    #[serde(serialize_with = "rfc3339")]
    pub at: Timestamp,
    pub family_id: FamilyId,
    pub gateway_charge_ref: Option<String>,
    pub id: String,
    /// `cash`, `check` or `saved_method`.
    pub method: String,
    pub payment_method_id: Option<PaymentMethodId>,
    pub reference: Option<String>,
    /// The answer of an earlier request with the same idempotency key: nothing was taken again.
    pub replayed: bool,
    pub status: String,
}

#[cfg(feature = "http")]
impl StaffPaymentView {
    fn new(p: StaffPaymentRow, replayed: bool) -> Self {
        StaffPaymentView {
            amount_cents: Money(p.amount_cents),
            at: Timestamp(p.created_at),
            family_id: FamilyId(p.family_id),
            gateway_charge_ref: p.gateway_charge_ref,
            id: p.id,
            method: p.method,
            payment_method_id: p.payment_method_id.map(PaymentMethodId::from),
            reference: p.reference,
            replayed,
            status: p.status,
        }
    }
}

/// Staff take a payment for a family (Take Payment): cash or a check enter the ledger at once; a
/// saved method of that family is charged at the gateway like the family's own payments. One
/// payment per idempotency key and family, however often it is sent: a replay answers the first
/// payment (the same key for a different payment is 409), a pending charge whose gateway call
/// failed is charged again with the same gateway key, so never twice.
#[cfg(feature = "http")]
pub async fn take_staff_payment(
    app: &App,
    org_id: &str,
    requester: &Requester,
    family_id: &str,
    payment: &StaffPayment,
    idempotency_key: &str,
) -> ApiResult<StaffPaymentView> {
    check_idempotency_key(idempotency_key)?;
    let family = crate::store::families::find_active_family(&app.db, org_id, family_id).await?;
    let method = match payment.method.payment_method_id() {
        Some(id) => Some(store::find_family_method(&app.db, &family.id, id).await?.ok_or(PaymentError::MethodNotFound)?),
        None => None,
    };
    let actor = requester.actor();
    let payment_id = new_id("pay")?;
    let new = NewStaffPayment {
        id: &payment_id,
        org_id,
        family_id: &family.id,
        method: payment.method.as_str(),
        payment_method_id: method.as_ref().map(|m| m.id.as_str()),
        reference: payment.reference.as_deref(),
        amount_cents: payment.amount_cents,
        idempotency_key,
        taken_by: &actor,
    };
    let description = payment.description(method.as_ref().map(|m| method_label(m.kind, &m.last4)).as_deref());
    let entry_id = new_id("led")?;
    let entry = NewEntry {
        id: &entry_id,
        org_id,
        family_id: &family.id,
        kind: EntryKind::Payment,
        amount_cents: payment.amount_cents,
        description: &description,
        posted_by: &actor,
        payment_id: Some(&payment_id),
        location_id: None,
    };
    // Cash and checks are taken now: the claim and its ledger entry in one batch.
    let mut statements = vec![store::claim_staff_payment(&app.db, &new, if method.is_some() { "pending" } else { "succeeded" }, app.now())?];
    if method.is_none() {
        statements.push(store::insert_entry_of_claim(&app.db, &entry, app.now())?);
    }
    let first = won(&app.db.batch(statements).await?, 0)?;
    let Some(taken) = store::find_staff_payment(&app.db, &family.id, idempotency_key).await? else {
        // Nothing claimed and nothing to replay: the family was merged meanwhile.
        crate::store::families::find_active_family(&app.db, org_id, family_id).await?;
        return Err(OperationError::Conflict.into());
    };
    if !first {
        let same = taken.method == new.method
            && taken.payment_method_id.as_deref() == new.payment_method_id
            && taken.reference.as_deref() == new.reference
            && taken.amount_cents == new.amount_cents;
        if !same {
            return Err(PaymentError::IdempotencyKeyReused.into());
        }
        match taken.status.as_str() {
            "succeeded" => return Ok(StaffPaymentView::new(taken, true)),
            "declined" => return Err(PaymentError::Declined(taken.failure_message.unwrap_or_default()).into()),
            _ => {} // pending: its gateway call failed or is running; calling again with its key is safe
        }
    }
    let Some(m) = method else {
        return Ok(StaffPaymentView::new(taken, !first));
    };
    let gateway = gateway_of(app, org_id, &m).ok_or(PaymentError::NotConfigured)?;
    match gateway.charge(&method_ref(&m), payment.amount_cents, &format!("charge-{}", taken.id)).await {
        Ok(charge_ref) => {
            // A replay finishing a pending payment enters the ledger under the first claim's id.
            let entry = NewEntry { payment_id: Some(&taken.id), ..entry };
            app.db.batch(store::staff_payment_succeeded(&app.db, &taken.id, &charge_ref, &entry, app.now())?).await?;
            Ok(StaffPaymentView::new(StaffPaymentRow { status: "succeeded".into(), gateway_charge_ref: Some(charge_ref), ..taken }, !first))
        }
        Err(GatewayError::Declined(message) | GatewayError::Rejected(message)) => {
            store::staff_payment_declined(&app.db, &taken.id, &message, app.now()).await?;
            Err(PaymentError::Declined(message).into())
        }
        Err(e) => Err(gateway_error(e)),
    }
}
