//! My Account payments: each command loads what the rule needs, asks `portal_core::payments`,
//! talks to the gateway where it must, and writes its change in one D1 batch.

use crate::app::App;
use crate::context::Account;
use crate::adapters::crypto::new_id;
use crate::error::{ApiError, ApiResult};
use serde_json::json;
use crate::adapters::gateway::{self, Gateway, GatewayError, MethodRef, PaymentGateway, Vaulted};
use crate::store::outbox::{self};
use crate::store::payments::{self as store, MethodRow, NewEntry, NewMethodRow, NewPayment, PaymentRow, KIND_DELETE_METHODS};
use crate::store::{Guard, won};
use portal_core::audit::Actor;
use portal_core::payments::{
    balance, check_confirmed_setup, check_idempotency_key, check_replay, decide_new_method, may_add_method, MethodKind, NewMethod, history_window, may_delete_method, may_edit_method,
    may_pay, method_label, offers, year_month, EntryKind, MethodEdit, MethodFacts, MethodInput, MethodOffers,
    Payer, PaymentError, PaymentPolicy, NOT_CONFIGURED_MESSAGE,
};
use portal_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{D1PreparedStatement, D1Result};


impl Account<'_> {
    fn gateway<'a>(&'a self, app: &'a App) -> Option<Gateway<'a>> {
        gateway::for_org(
            &app.config,
            &app.db,
            app.now(),
            self.org_id,
            &self.settings.gateway_kind,
            self.settings.gateway_account_id.as_deref(),
        )
    }

    fn policy(&self, app: &App) -> PaymentPolicy {
        PaymentPolicy {
            gateway_configured: self.gateway(app).is_some(),
            require_recurring_authorization: self.settings.require_recurring_authorization,
        }
    }

    fn actor(&self) -> Actor {
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

/// A saved method as the family sees it: display fields only, and the actions offered to `payer`.
pub fn method_json(m: &MethodRow, payer: Option<&Payer>, offered: &MethodOffers) -> Value {
    let manages = payer.is_some_and(|p| p.is_primary || p.guardian_id == m.guardian_id);
    let mut actions = Vec::new();
    if manages {
        actions.push("edit");
        if offered.can_delete {
            actions.push("delete");
        }
        if offered.can_change_recurring {
            actions.push("change_recurring");
        }
    }
    json!({
        "id": m.id,
        "guardian_id": m.guardian_id,
        "guardian_name": m.guardian_name,
        "kind": m.kind,
        "label": method_label(m.kind, &m.last4),
        "last4": m.last4,
        "exp_month": m.exp_month,
        "exp_year": m.exp_year,
        "is_default": m.is_default != 0,
        "recurring_authorized": m.recurring_authorized != 0,
        "actions": actions,
    })
}

/// Every method on file for the family, and whether the organization takes payments at all.
pub async fn list_methods(app: &App, account: &Account<'_>) -> ApiResult<Value> {
    let policy = account.policy(app);
    let offered = offers(&policy);
    let methods = store::family_methods(&app.db, account.family_id).await?;
    Ok(json!({
        "payment_methods": methods.iter().map(|m| method_json(m, Some(&account.payer), &offered)).collect::<Vec<_>>(),
        "accepting_payments": offered.accepting_payments,
        "message": (!offered.accepting_payments).then_some(NOT_CONFIGURED_MESSAGE),
        "delete_offered": offered.can_delete,
        "recurring_toggle_offered": offered.can_change_recurring,
    }))
}

async fn find_family_method(app: &App, account: &Account<'_>, id: &str) -> ApiResult<MethodRow> {
    store::find_family_method(&app.db, account.family_id, id)
        .await?
        .ok_or_else(|| PaymentError::MethodNotFound.into())
}

/// Vaults the token at the gateway, then saves the method (the guardian's own).
pub async fn save_method(app: &App, account: &Account<'_>, input: &MethodInput) -> ApiResult<Value> {
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
) -> ApiResult<Value> {
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
        return Ok(method_json(kept, Some(&account.payer), &offers(&policy)));
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
) -> ApiResult<Value> {
    let me = &account.payer.guardian_id;
    let row = NewMethodRow {
        id,
        org_id: account.org_id,
        guardian_id: me,
        gateway_kind: &account.settings.gateway_kind,
        gateway_account_id: account.settings.gateway_account_id.as_deref(),
        gateway_ref: &vaulted.method_ref,
        gateway_customer_ref: vaulted.customer_ref.as_deref(),
        method,
    };
    let results = app.db.batch(store::insert_method(&app.db, &row, app.now())?).await?;
    if !won(&results, 0)? {
        let saved = store::guardian_methods(&app.db, me).await?;
        if let Some(kept) = saved.iter().find(|m| m.gateway_ref == vaulted.method_ref) {
            return Ok(method_json(kept, Some(&account.payer), &offers(policy)));
        }
        let _ = gateway.delete_method(&MethodRef { method_ref: &vaulted.method_ref, customer_ref: vaulted.customer_ref.as_deref() }, &format!("delete-{id}")).await;
        return Err(PaymentError::MethodLimit.into());
    }
    let saved = find_family_method(app, account, id).await?;
    Ok(method_json(&saved, Some(&account.payer), &offers(policy)))
}

pub async fn edit_method(app: &App, account: &Account<'_>, id: &str, edit: &MethodEdit) -> ApiResult<Value> {
    let policy = account.policy(app);
    let m = find_family_method(app, account, id).await?;
    may_edit_method(&account.payer, &facts(&m), edit, &policy, year_month(app.now()))?;
    app.db.batch(store::edit_method(&app.db, &m, edit, app.now())?).await?;
    let m = find_family_method(app, account, id).await?;
    Ok(method_json(&m, Some(&account.payer), &offers(&policy)))
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
    let queued = deletion(app, account.org_id, &job, store::mark_deleting(&app.db, &m.id, &change_id, &job.reason, app.now())?)?
        .add_to(&mut batch);
    let results = app.db.batch(batch).await?;
    queued.enqueue(app, &results).await
}

/// The revoke preview's payment part: the methods that would go, and whether any is used for
/// recurring billing.
pub async fn revoke_preview(app: &App, guardian_id: &str) -> ApiResult<(Vec<Value>, bool)> {
    let methods = store::guardian_methods(&app.db, guardian_id).await?;
    let recurring = methods.iter().any(|m| m.recurring_authorized != 0);
    let offered = MethodOffers { accepting_payments: true, can_delete: false, can_change_recurring: false };
    Ok((methods.iter().map(|m| method_json(m, None, &offered)).collect(), recurring))
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

pub async fn balance_json(app: &App, family_id: &str) -> ApiResult<Value> {
    let row = store::balance(&app.db, family_id).await?;
    let b = balance(row.net_cents);
    Ok(json!({
        "outstanding_cents": b.outstanding_cents,
        "credit_cents": b.credit_cents,
        "last_payment": row.last_payment_cents.zip(row.last_payment_at).map(|(amount, at)| json!({
            "amount_cents": amount,
            "at": Timestamp(at).to_rfc3339(),
        })),
    }))
}

fn payment_json(p: &PaymentRow, replayed: bool) -> Value {
    json!({
        "id": p.id,
        "amount_cents": p.amount_cents,
        "payment_method_id": p.payment_method_id,
        "status": p.status,
        "gateway_charge_ref": p.gateway_charge_ref,
        "at": Timestamp(p.created_at).to_rfc3339(),
        "replayed": replayed,
    })
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
) -> ApiResult<Value> {
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
            "succeeded" => return Ok(payment_json(&payment, true)),
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
            };
            app.db.batch(store::succeed(&app.db, &payment.id, &charge_ref, &entry, app.now())?).await?;
            Ok(payment_json(&PaymentRow { status: "succeeded".into(), gateway_charge_ref: Some(charge_ref), ..payment }, !first))
        }
        Err(GatewayError::Declined(message) | GatewayError::Rejected(message)) => {
            store::decline(&app.db, &payment.id, &message, app.now()).await?;
            Err(PaymentError::Declined(message).into())
        }
        Err(e) => Err(gateway_error(e)),
    }
}

pub fn entry_json(e: &store::EntryRow) -> Value {
    json!({
        "id": e.id,
        "kind": e.kind,
        "amount_cents": e.amount_cents,
        "description": e.description,
        "at": Timestamp(e.at).to_rfc3339(),
    })
}

/// The largest history one request returns; a narrower range or kind shows the rest.
pub const MAX_HISTORY_ENTRIES: i64 = 1000;

pub async fn transactions(app: &App, account: &Account<'_>, kind: &str, from: Option<&str>, to: Option<&str>) -> ApiResult<Value> {
    let filter = EntryKind::parse_filter(kind)?;
    let viewer_may = account.payer.is_primary || account.can_view_full_ledger;
    let window = history_window(account.settings.show_full_ledger_history, viewer_may, from, to, app.now())?;
    let rows = store::entries(&app.db, account.family_id, filter, &window, MAX_HISTORY_ENTRIES + 1).await?;
    let truncated = rows.len() as i64 > MAX_HISTORY_ENTRIES;
    Ok(json!({
        "kind": kind,
        "from": window.from.to_rfc3339(),
        "to": window.to.to_rfc3339(),
        "full_history": window.full_history,
        "truncated": truncated,
        "entries": rows.iter().take(MAX_HISTORY_ENTRIES as usize).map(entry_json).collect::<Vec<_>>(),
    }))
}
