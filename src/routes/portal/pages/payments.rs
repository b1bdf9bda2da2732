//! My Account, Payments and Transaction History: the section data for the account page and the
//! payment pages (Make Payment, Add Payment Method, edit and delete a method). Every read and write
//! goes through `commands::payments`, the functions the JSON API calls, so the page offers exactly
//! what the API allows (each method's `actions`, `accepting_payments`, the history window).

use super::form::*;
use super::frame::*;
use super::assets::CARD_ELEMENT_SCRIPT;
use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::payments::{self as commands, CardElement};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::response::policy_letting_in;
use crate::http::{get, post, Customer, Form, OrgSlug, Path, Query, Response, Router};
use askama::Template;
use portal_core::ids::PaymentMethodId;
use portal_core::payments::{contains_card_number, MethodEdit, MethodInput, PaymentError};
use portal_core::time::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use std::rc::Rc;

/// The account page's query string: the Transaction History filter.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HistoryQuery {
    pub kind: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A saved method as a row of the Payments section.
pub struct MethodCard {
    pub id: String,
    pub label: String,
    pub kind: &'static str,
    pub expiry: Option<String>,
    pub is_default: bool,
    pub recurring: bool,
    pub owner: String,
    pub owner_id: String,
    pub may_edit: bool,
    pub may_delete: bool,
    pub may_change_recurring: bool,
}

pub struct HistoryLine {
    pub date: String,
    pub kind: String,
    pub description: String,
    pub amount: String,
}

/// What the Payments and Transaction History sections show.
pub struct PaymentsSection {
    pub accepting: bool,
    pub not_configured: Option<String>,
    pub outstanding: String,
    pub credit: Option<String>,
    pub last_payment: Option<(String, String)>,
    /// Why the viewer may not pay (a secondary without the permission), said next to the balance.
    pub cannot_pay: Option<String>,
    pub methods: Vec<MethodCard>,
    pub history: Vec<HistoryLine>,
    pub kind: String,
    pub full_history: bool,
    pub from: String,
    pub to: String,
    pub history_error: Option<String>,
    pub truncated: bool,
}

impl PaymentsSection {
    pub fn may_pay(&self) -> bool {
        self.accepting && self.cannot_pay.is_none()
    }

    pub fn kinds(&self) -> [(&'static str, &'static str, bool); 4] {
        let k = self.kind.as_str();
        [("all", "All", k == "all"), ("charges", "Charges", k == "charges"), ("payments", "Payments", k == "payments"), ("refunds", "Refunds", k == "refunds")]
    }
}

/// "$1,234.50".
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let dollars = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}${grouped}.{:02}", c % 100)
}

/// "120", "120.5", "$1,200.00" → cents; None for anything else (or more than two decimals).
pub fn parse_money(input: &str) -> Option<i64> {
    let s: String = input.trim().trim_start_matches('$').chars().filter(|c| *c != ',').collect();
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    whole.checked_mul(100)?.checked_add(frac)
}

fn day_of(rfc3339: &str) -> String {
    Timestamp::parse_rfc3339(rfc3339).map(|t| t.to_datetime().format("%Y-%m-%d").to_string()).unwrap_or_default()
}

fn text(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

fn card(m: &Value) -> MethodCard {
    let actions: Vec<&str> = m["actions"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let expiry = m["exp_month"].as_i64().zip(m["exp_year"].as_i64()).map(|(mo, y)| format!("{mo:02}/{y}"));
    MethodCard {
        id: text(m, "id"),
        label: text(m, "label"),
        kind: if m["kind"] == "bank_account" { "Bank account" } else { "Credit card" },
        expiry,
        is_default: m["is_default"] == true,
        recurring: m["recurring_authorized"] == true,
        owner: m["guardian_name"].as_str().unwrap_or("A guardian").to_string(),
        owner_id: text(m, "guardian_id"),
        may_edit: actions.contains(&"edit"),
        may_delete: actions.contains(&"delete"),
        may_change_recurring: actions.contains(&"change_recurring"),
    }
}

/// The sections from the API's reads: the family's methods, the balance, the history window.
pub async fn load(app: &App, me: &Customer, query: &HistoryQuery) -> ApiResult<PaymentsSection> {
    let account = me.account();
    let listed = commands::list_methods(app, &account).await?;
    let balance = commands::balance_json(app, &me.me.family_id).await?;
    let kind = query.kind.clone().filter(|k| !k.is_empty()).unwrap_or_else(|| "all".into());
    let mut history_error = None;
    let history = match commands::transactions(app, &account, &kind, query.from.as_deref(), query.to.as_deref()).await {
        Ok(h) => h,
        // A wrong filter in the address bar: say so and show the default window instead.
        Err(e) if e.status < 500 => {
            history_error = Some(e.message.clone());
            commands::transactions(app, &account, "all", None, None).await?
        }
        Err(e) => return Err(e),
    };
    let accepting = listed["accepting_payments"] == true;
    let outstanding = balance["outstanding_cents"].as_i64().unwrap_or(0);
    let credit = balance["credit_cents"].as_i64().unwrap_or(0);
    let cannot_pay = (!me.me.is_primary && !me.can_make_payments).then(|| PaymentError::NotPermitted.to_string());
    Ok(PaymentsSection {
        accepting,
        not_configured: listed["message"].as_str().map(str::to_string),
        outstanding: money(outstanding),
        credit: (credit > 0).then(|| money(credit)),
        last_payment: balance["last_payment"].as_object().map(|p| {
            (money(p.get("amount_cents").and_then(Value::as_i64).unwrap_or(0)), day_of(p.get("at").and_then(Value::as_str).unwrap_or("")))
        }),
        cannot_pay,
        methods: listed["payment_methods"].as_array().map(|a| a.iter().map(card).collect()).unwrap_or_default(),
        history: history["entries"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        let kind = text(e, "kind");
                        let cents = e["amount_cents"].as_i64().unwrap_or(0);
                        HistoryLine {
                            date: day_of(&text(e, "at")),
                            // A refund adds to what is owed (balance = charges + refunds − payments): only payments subtract.
                            amount: if kind == "payment" { format!("−{}", money(cents)) } else { money(cents) },
                            kind: match kind.as_str() {
                                "charge" => "Charge",
                                "payment" => "Payment",
                                "refund" => "Refund",
                                _ => "Entry",
                            }
                            .to_string(),
                            description: text(e, "description"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
        kind: text(&history, "kind"),
        full_history: history["full_history"] == true,
        from: day_of(&text(&history, "from")),
        to: day_of(&text(&history, "to")),
        history_error,
        truncated: history["truncated"] == true,
    })
}

/// The payment pages' routes.
pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org/account/payments/pay", get(pay_page).post(pay))
        .route("/portal/:org/account/payments/add-method", get(add_method_page).post(add_method))
        .route("/portal/:org/account/payments/methods/:payment_method_id", get(edit_method_page).post(edit_method))
        .route("/portal/:org/account/payments/methods/:payment_method_id/delete", post(delete_method))
}

/// A refusal the person can act on (shown on the form), or a failure (the error page).
fn on_form(e: ApiError, errors: &mut Errors, field: &'static str) -> ApiResult<()> {
    if e.status >= 500 && e.code != ErrorCode::GatewayUnavailable {
        return Err(e);
    }
    errors.field(field, e.message.clone());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Make Payment.

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PayForm {
    amount: String,
    payment_method_id: String,
    idempotency_key: String,
}

#[derive(Template)]
#[template(path = "portal/make_payment.html")]
pub struct PayPage {
    chrome: Chrome,
    outstanding: String,
    methods: Vec<MethodCard>,
    form: PayForm,
    errors: Errors,
}

async fn pay_form(app: &App, me: &Customer, chrome: Chrome, form: PayForm, errors: Errors, status: u16) -> ApiResult<Response> {
    let section = load(app, me, &HistoryQuery::default()).await?;
    if section.cannot_pay.is_some() {
        return Err(PaymentError::NotPermitted.into());
    }
    if !section.accepting {
        return Err(PaymentError::NotConfigured.into());
    }
    let mut form = form;
    if form.payment_method_id.is_empty() {
        // Preselect the payer's default (else any default, else the first method).
        let mine = section.methods.iter().find(|m| m.is_default && m.owner_id == me.me.id);
        let pick = mine.or_else(|| section.methods.iter().find(|m| m.is_default)).or(section.methods.first());
        form.payment_method_id = pick.map(|m| m.id.clone()).unwrap_or_default();
    }
    let page = PayPage { chrome: chrome.clone().with_errors(&errors), outstanding: section.outstanding, methods: section.methods, form, errors };
    respond(status, &page, &chrome)
}

pub async fn pay_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let balance = commands::balance_json(&app, &me.me.family_id).await?;
    let outstanding = balance["outstanding_cents"].as_i64().unwrap_or(0);
    // A new key per form shown: submitting this form twice pays once.
    let form = PayForm {
        amount: if outstanding > 0 { format!("{}.{:02}", outstanding / 100, outstanding % 100) } else { String::new() },
        payment_method_id: String::new(),
        idempotency_key: new_id("form")?,
    };
    pay_form(&app, &me, chrome, form, Errors::default(), 200).await
}

pub async fn pay(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Form(form): Form<PayForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let mut errors = Errors::default();
    let amount = parse_money(&form.amount).filter(|c| *c > 0);
    if amount.is_none() {
        errors.field("amount", "Enter the amount to pay, like 120.00.");
    }
    if form.payment_method_id.is_empty() {
        errors.field("payment_method_id", "Choose the payment method to pay with.");
    }
    if let (Some(cents), true) = (amount, errors.is_empty()) {
        let key = Some(form.idempotency_key.clone()).filter(|k| !k.is_empty());
        match commands::pay(&app, &me.account(), cents, &form.payment_method_id, key).await {
            Ok(_) => return back_to_account(&org, "payments", Flash::PaymentMade),
            Err(e) if e.message.contains("amount") => on_form(e, &mut errors, "amount")?,
            Err(e) => on_form(e, &mut errors, "payment_method_id")?,
        }
    }
    pay_form(&app, &me, chrome, form, errors, 422).await
}

// ---------------------------------------------------------------------------------------------
// Add Payment Method: the sandbox's test-card form in development; in production the gateway's
// own card element (Stripe's Payment Element), whose confirmed setup is posted back to be read
// from the gateway and saved by the same command.

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MethodForm {
    kind: String,
    gateway_token: String,
    last4: String,
    exp_month: String,
    exp_year: String,
    is_default: Option<String>,
    recurring_authorized: Option<String>,
    /// The gateway's id of the setup its card element confirmed (production).
    setup_intent: String,
}

#[derive(Template)]
#[template(path = "portal/payment_method_form.html")]
pub struct AddMethodPage {
    chrome: Chrome,
    sandbox: bool,
    element: Option<CardElement>,
    element_script: String,
    /// Where the gateway sends the family back after a confirmation that left the page.
    return_url: String,
    /// A setup confirmed away from the page, waiting for the family's options.
    confirmed_setup: String,
    recurring_toggle: bool,
    form: MethodForm,
    errors: Errors,
}

async fn add_form(app: &App, me: &Customer, chrome: Chrome, form: MethodForm, errors: Errors, status: u16) -> ApiResult<Response> {
    let sandbox = me.payments.gateway_kind == "sandbox";
    let confirmed_setup = form.setup_intent.clone();
    // A new setup each time the element is shown: a setup is confirmed once.
    let element = match sandbox || !confirmed_setup.is_empty() {
        true => None,
        false => commands::start_card_element(app, &me.account()).await?,
    };
    let page = AddMethodPage {
        chrome: chrome.clone().with_errors(&errors),
        sandbox,
        return_url: format!("{}/portal/{}/account/payments/add-method", app.config.public_base_url, chrome.org),
        element_script: CARD_ELEMENT_SCRIPT.url(),
        confirmed_setup,
        element,
        recurring_toggle: !me.payments.require_recurring_authorization,
        form,
        errors,
    };
    let resp = respond(status, &page, &chrome)?;
    if let Some(e) = &page.element {
        resp.headers().set("content-security-policy", &policy_letting_in(&e.sources))?;
    }
    Ok(resp)
}

/// `?setup_intent=...`: where the gateway sends the family back after confirming a card away from
/// the page (a bank's check); `redirect_status` is the gateway's, read only from the gateway itself.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Returned {
    setup_intent: String,
}

pub async fn add_method_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Query(returned): Query<Returned>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let listed = commands::list_methods(&app, &me.account()).await?;
    if listed["accepting_payments"] != true {
        return Err(PaymentError::NotConfigured.into());
    }
    let form = MethodForm {
        kind: "card".into(),
        gateway_token: "tok_visa".into(),
        last4: "4242".into(),
        setup_intent: returned.setup_intent,
        ..MethodForm::default()
    };
    add_form(&app, &me, chrome, form, Errors::default(), 200).await
}

fn number(input: &str, field: &'static str, message: &str, errors: &mut Errors) -> Option<i64> {
    match input.trim() {
        "" => None,
        s => s.parse().map_err(|_| errors.field(field, message)).ok(),
    }
}

pub async fn add_method(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Form(form): Form<MethodForm>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let mut errors = Errors::default();
    // As the API does: a full card number must never be taken, not even to say it is wrong.
    if contains_card_number(&form.gateway_token) || contains_card_number(&form.last4) {
        errors.field("gateway_token", PaymentError::CardNumberRefused.to_string());
        let kept = MethodForm { gateway_token: String::new(), last4: String::new(), ..form };
        return add_form(&app, &me, chrome, kept, errors, 422).await;
    }
    let recurring = |form: &MethodForm| (!me.payments.require_recurring_authorization).then_some(form.recurring_authorized.is_some());
    // On Stripe the element is the only way in: a post without its setup (JavaScript off) is a
    // card not confirmed, not a sandbox form with missing fields.
    if !form.setup_intent.is_empty() || me.payments.gateway_kind == "stripe" {
        let saved = commands::save_confirmed_card(&app, &me.account(), form.setup_intent.trim(), form.is_default.is_some(), recurring(&form)).await;
        match saved {
            Ok(_) => return back_to_account(&org, "payments", Flash::MethodSaved),
            // The element starts afresh: a setup that failed is not tried again.
            Err(e) => on_form(e, &mut errors, "setup_intent")?,
        }
        let fresh = MethodForm { setup_intent: String::new(), ..form };
        return add_form(&app, &me, chrome, fresh, errors, 422).await;
    }
    let exp_month = number(&form.exp_month, "exp_month", "Enter the expiry month as a number, 1 to 12.", &mut errors);
    let exp_year = number(&form.exp_year, "exp_year", "Enter the expiry year with four digits, like 2030.", &mut errors);
    if errors.is_empty() {
        let input = MethodInput {
            kind: form.kind.clone(),
            gateway_token: form.gateway_token.trim().to_string(),
            last4: form.last4.trim().to_string(),
            exp_month,
            exp_year,
            is_default: Some(form.is_default.is_some()),
            recurring_authorized: recurring(&form),
        };
        match commands::save_method(&app, &me.account(), &input).await {
            Ok(_) => return back_to_account(&org, "payments", Flash::MethodSaved),
            Err(e) => {
                let field = match e.message.as_str() {
                    m if m.contains("last4") => "last4",
                    m if m.contains("exp_month") || m.contains("expired") || m.contains("A card needs") => "exp_month",
                    m if m.contains("exp_year") => "exp_year",
                    m if m.contains("kind") => "kind",
                    _ => "gateway_token",
                };
                on_form(e, &mut errors, field)?
            }
        }
    }
    add_form(&app, &me, chrome, form, errors, 422).await
}

// ---------------------------------------------------------------------------------------------
// Edit (default, recurring) and delete a saved method.

#[derive(Template)]
#[template(path = "portal/payment_method_edit.html")]
pub struct EditMethodPage {
    chrome: Chrome,
    method: MethodCard,
    errors: Errors,
}

async fn family_method(app: &App, me: &Customer, id: &str) -> ApiResult<MethodCard> {
    let listed = commands::list_methods(app, &me.account()).await?;
    listed["payment_methods"]
        .as_array()
        .and_then(|a| a.iter().find(|m| m["id"] == id))
        .map(card)
        .ok_or_else(|| PaymentError::MethodNotFound.into())
}

pub async fn edit_method_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<PaymentMethodId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let method = family_method(&app, &me, &id).await?;
    if !method.may_edit {
        return Err(PaymentError::NotYourMethod.into());
    }
    respond(200, &EditMethodPage { chrome: chrome.clone(), method, errors: Errors::default() }, &chrome)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditForm {
    is_default: Option<String>,
    recurring_authorized: Option<String>,
}

pub async fn edit_method(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    Path(id): Path<PaymentMethodId>,
    Form(form): Form<EditForm>,
) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let method = family_method(&app, &me, &id).await?;
    // Only what the page offered: a default stays default (another one is made default instead),
    // and the recurring toggle only when the organization lets it change.
    let edit = MethodEdit {
        is_default: form.is_default.is_some().then_some(true),
        recurring_authorized: method.may_change_recurring.then_some(form.recurring_authorized.is_some()),
        expiry: None,
    };
    let mut errors = Errors::default();
    match commands::edit_method(&app, &me.account(), &id, &edit).await {
        Ok(_) => return back_to_account(&org, "payments", Flash::MethodUpdated),
        Err(e) => on_form(e, &mut errors, "is_default")?,
    }
    respond(422, &EditMethodPage { chrome: chrome.clone().with_errors(&errors), method, errors }, &chrome)
}

pub async fn delete_method(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeCustomer,
    Path(id): Path<PaymentMethodId>,
    Form(_): Form<NoFields>,
) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    commands::delete_method(&app, &me.account(), &id).await?;
    back_to_account(&org, "payments", Flash::MethodDeleted)
}

#[cfg(test)]
mod tests {
    use super::{money, parse_money};

    #[test]
    fn writes_money() {
        assert_eq!(money(0), "$0.00");
        assert_eq!(money(12000), "$120.00");
        assert_eq!(money(123456789), "$1,234,567.89");
        assert_eq!(money(-505), "-$5.05");
    }

    #[test]
    fn reads_money() {
        assert_eq!(parse_money("120"), Some(12000));
        assert_eq!(parse_money(" $1,200.5 "), Some(120050));
        assert_eq!(parse_money(".75"), Some(75));
        assert_eq!(parse_money("1.234"), None);
        assert_eq!(parse_money("-5"), None);
        assert_eq!(parse_money("abc"), None);
        assert_eq!(parse_money(""), None);
    }
}
