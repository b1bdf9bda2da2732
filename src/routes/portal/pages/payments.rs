//! The payment pages (Make Payment, Add Payment Method, edit and delete a method). Every read and
//! write goes through `commands::payments`, the functions the JSON API calls, so a page offers
//! exactly what the API allows (each method's `actions`, `accepting_payments`).

use crate::routes::pages::form::*;
use super::frame::*;
use crate::routes::pages::assets::CARD_ELEMENT_SCRIPT;
use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::payments::{self as commands, CardElement, MethodView};
use crate::error::{ApiError, ApiResult};
use crate::http::response::policy_letting_in;
use crate::http::{get, post, Customer, Form, OrgSlug, Path, Query, Response, Router};
use askama::Template;
use portal_core::ids::PaymentMethodId;
use portal_core::payments::{contains_card_number, MethodEdit, MethodInput, Money, PaymentError};
use serde::Deserialize;
use std::rc::Rc;

/// The payment pages' routes.
pub fn routes(router: Router) -> Router {
    router
        .route("/portal/:org/account/payments/pay", get(pay_page).post(pay))
        .route("/portal/:org/account/payments/add-method", get(add_method_page).post(add_method))
        .route("/portal/:org/account/payments/methods/:payment_method_id", get(edit_method_page).post(edit_method))
        .route("/portal/:org/account/payments/methods/:payment_method_id/delete", post(delete_method))
}

/// Where the API names a field otherwise than the form does.
const FORM_FIELD_OF: &[(&str, &str)] = &[("amount_cents", "amount")];

/// A command's refusal on a payment form, beside the field it names (in the form's words).
fn refuse(errors: &mut Errors, e: ApiError, fields: &[&'static str]) -> ApiResult<()> {
    let renamed = e.field.as_deref().and_then(|api| FORM_FIELD_OF.iter().find(|(named, _)| *named == api)).map(|(_, form)| *form);
    let e = match renamed {
        Some(form) => e.at(form),
        None => e,
    };
    errors.refusal(e, fields)
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
    outstanding: Money,
    methods: Vec<MethodView>,
    form: PayForm,
    errors: Errors,
}

async fn pay_form(app: &App, me: &Customer, chrome: Chrome, form: PayForm, errors: Errors, status: u16) -> ApiResult<Response> {
    let account = me.account();
    if !account.payer.may_make_payments() {
        return Err(PaymentError::NotPermitted.into());
    }
    let listed = commands::list_methods(app, &account).await?;
    if !listed.accepting_payments {
        return Err(PaymentError::NotConfigured.into());
    }
    let methods = listed.payment_methods;
    let mut form = form;
    if form.payment_method_id.is_empty() {
        // Preselect the payer's default (else any default, else the first method).
        let mine = methods.iter().find(|m| m.is_default && *m.guardian_id == *me.me.id);
        let pick = mine.or_else(|| methods.iter().find(|m| m.is_default)).or(methods.first());
        form.payment_method_id = pick.map(|m| m.id.to_string()).unwrap_or_default();
    }
    let outstanding = commands::family_balance(app, &me.me.family_id).await?.outstanding_cents;
    let page = PayPage { chrome: chrome.clone().with_errors(&errors), outstanding, methods, form, errors };
    respond(status, &page, &chrome)
}

pub async fn pay_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let Money(outstanding) = commands::family_balance(&app, &me.me.family_id).await?.outstanding_cents;
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
            Err(e) => refuse(&mut errors, e, &["amount", "payment_method_id"])?,
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
    let sandbox = me.options.payment_gateway_kind == "sandbox";
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
        element_script: CARD_ELEMENT_SCRIPT.url("portal"),
        confirmed_setup,
        element,
        recurring_toggle: !me.options.require_recurring_authorization,
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
    if !listed.accepting_payments {
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
    let recurring = |form: &MethodForm| (!me.options.require_recurring_authorization).then_some(form.recurring_authorized.is_some());
    // On Stripe the element is the only way in: a post without its setup (JavaScript off) is a
    // card not confirmed, not a sandbox form with missing fields.
    if !form.setup_intent.is_empty() || me.options.payment_gateway_kind == "stripe" {
        let saved = commands::save_confirmed_card(&app, &me.account(), form.setup_intent.trim(), form.is_default.is_some(), recurring(&form)).await;
        match saved {
            Ok(_) => return back_to_account(&org, "payments", Flash::MethodSaved),
            // The element starts afresh: a setup that failed is not tried again. The card is what
            // this form is about: a refusal that names no field goes beside the element.
            Err(e) => {
                let e = if e.field.is_none() { e.at("setup_intent") } else { e };
                refuse(&mut errors, e, &["setup_intent", "is_default", "recurring_authorized"])?
            }
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
            Err(e) => refuse(&mut errors, e, &["kind", "gateway_token", "last4", "exp_month", "exp_year", "is_default", "recurring_authorized"])?,
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
    method: MethodView,
    errors: Errors,
}

async fn family_method(app: &App, me: &Customer, id: &str) -> ApiResult<MethodView> {
    let listed = commands::list_methods(app, &me.account()).await?;
    listed.find(id).ok_or_else(|| PaymentError::MethodNotFound.into())
}

pub async fn edit_method_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Path(id): Path<PaymentMethodId>) -> ApiResult<Response> {
    let (me, chrome) = signed_in!(org, me, None);
    let method = family_method(&app, &me, &id).await?;
    if !method.may_edit() {
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
        recurring_authorized: method.may_change_recurring().then_some(form.recurring_authorized.is_some()),
        expiry: None,
    };
    let mut errors = Errors::default();
    match commands::edit_method(&app, &me.account(), &id, &edit).await {
        Ok(_) => return back_to_account(&org, "payments", Flash::MethodUpdated),
        Err(e) => refuse(&mut errors, e, &["is_default", "recurring_authorized"])?,
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
