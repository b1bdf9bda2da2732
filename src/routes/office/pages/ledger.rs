//! A family's Ledger tab: the balance and every charge, payment, refund and credit (newest first),
//! Post Charge, Post Refund, Post Credit (with its location), and Take Payment (cash, check, or one of the family's saved methods
//! charged at the gateway). The same commands as the JSON API (`commands::families::ledger`,
//! `post_to_ledger`, `payments::take_staff_payment`).

use super::frame::*;
use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::{enrollments, families};
use crate::store::enrollments::LocationRow;
use crate::commands::payments::{self, BalanceView, EntryView, MethodView, MAX_HISTORY_ENTRIES};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::{get, Form, OrgSlug, Path, Query, Response, Router, Staff};
use crate::routes::pages::form::*;
use askama::Template;
use portal_core::ids::FamilyId;
use portal_core::payments::{parse_ledger_post, parse_staff_payment, EntryKind, Money, MAX_AMOUNT_CENTS};
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router
        .route("/office/:org/families/:family_id/ledger", get(ledger_page))
        .route("/office/:org/families/:family_id/ledger/charge", get(charge_page).post(post_charge))
        .route("/office/:org/families/:family_id/ledger/refund", get(refund_page).post(post_refund))
        .route("/office/:org/families/:family_id/ledger/credit", get(credit_page).post(post_credit))
        .route("/office/:org/families/:family_id/ledger/payment", get(take_payment_page).post(take_payment))
}

/// The family's Ledger tab, where each form here leads back to.
fn ledger_path(family_id: &FamilyId) -> String {
    format!("families/{family_id}/ledger")
}

/// Rows on one page of the ledger: a family's whole ledger would outgrow a page's budget.
const ROWS_PER_PAGE: usize = 100;

#[derive(Template)]
#[template(path = "office/ledger.html")]
pub struct LedgerPage {
    chrome: Chrome,
    family_id: FamilyId,
    family_name: String,
    /// The family tab shown.
    current: &'static str,
    balance: BalanceView,
    /// This page's entries, newest first.
    entries: Vec<EntryView>,
    /// The kind shown ("all", "charges", "payments", "refunds").
    kind: String,
    page: usize,
    has_next: bool,
    /// The ledger reaches back further than can be listed.
    truncated: bool,
}

impl LedgerPage {
    /// The kinds the ledger can show, as (value, label, chosen).
    pub fn kinds(&self) -> [(&'static str, &'static str, bool); 4] {
        let k = self.kind.as_str();
        [("all", "All", k == "all"), ("charges", "Charges", k == "charges"), ("payments", "Payments", k == "payments"), ("refunds", "Refunds", k == "refunds")]
    }

    /// The address of another page of the same ledger.
    pub fn page_href(&self, page: usize) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if self.kind != "all" {
            query.append_pair("kind", &self.kind);
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        let query = query.finish();
        let path = format!("/office/{}/{}", self.chrome.org, ledger_path(&self.family_id));
        if query.is_empty() { path } else { format!("{path}?{query}") }
    }
}

#[derive(Deserialize)]
pub struct LedgerQuery {
    kind: Option<String>,
    page: Option<u32>,
}

pub async fn ledger_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    FlashIn(flash): FlashIn,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
    Query(query): Query<LedgerQuery>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let chrome = chrome.at(Section::Families);
    let family = families::find(&app, &staff.org.id, &family_id).await?;
    let kind = query.kind.filter(|k| !k.is_empty()).unwrap_or_else(|| "all".into());
    let filter = EntryKind::parse_filter(&kind)?;
    let ledger = families::ledger(&app, &staff.org.id, &family_id, filter).await?;
    let page = query.page.map_or(1, |p| p.max(1) as usize);
    let start = (page - 1).saturating_mul(ROWS_PER_PAGE);
    let entries = ledger.entries.iter().skip(start).take(ROWS_PER_PAGE).map(EntryView::from).collect();
    let page = LedgerPage {
        chrome: chrome.clone(),
        family_name: family.name,
        current: "ledger",
        balance: ledger.balance,
        entries,
        kind,
        page,
        has_next: ledger.entries.len() > start.saturating_add(ROWS_PER_PAGE),
        truncated: ledger.entries.len() as i64 >= MAX_HISTORY_ENTRIES,
        family_id,
    };
    respond(200, &page, &chrome)
}

/// Where the API names a field otherwise than the forms here do.
const FORM_FIELD_OF: &[(&str, &str)] = &[("amount_cents", "amount"), ("payment_method_id", "method"), ("location_id", "location")];

/// A command's refusal on a ledger form, beside the field it names (in the form's words).
fn refuse(errors: &mut Errors, e: ApiError, fields: &[&'static str]) -> ApiResult<()> {
    let renamed = e.field.as_deref().and_then(|api| FORM_FIELD_OF.iter().find(|(named, _)| *named == api)).map(|(_, form)| *form);
    let e = match renamed {
        Some(form) => e.at(form),
        None => e,
    };
    errors.refusal(e, fields)
}

/// The amount field, typed in dollars: its cents, or its error added.
fn amount_field(errors: &mut Errors, input: &str) -> Option<i64> {
    match parse_money(input) {
        Some(cents) if (1..=MAX_AMOUNT_CENTS).contains(&cents) => Some(cents),
        Some(cents) if cents > MAX_AMOUNT_CENTS => {
            errors.field("amount", format!("Enter an amount of at most {}.", Money(MAX_AMOUNT_CENTS)));
            None
        }
        _ => {
            errors.field("amount", "Enter the amount in dollars, like 120.00.");
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Post Charge, Post Refund, Post Credit.

/// What a ledger form posts: the forms differ in little else (a credit may name its location).
#[derive(Clone, Copy, PartialEq)]
enum Posting {
    Charge,
    Refund,
    Credit,
}

impl Posting {
    /// The `kind` the command takes.
    fn kind(self) -> &'static str {
        match self {
            Posting::Charge => "charge",
            Posting::Refund => "refund",
            Posting::Credit => "credit",
        }
    }

    /// The page's title and its button, in the Office Portal's words.
    fn title(self) -> &'static str {
        match self {
            Posting::Charge => "Post Charge",
            Posting::Refund => "Post Refund",
            Posting::Credit => "Post Credit",
        }
    }

    fn flash(self) -> Flash {
        match self {
            Posting::Charge => Flash::ChargePosted,
            Posting::Refund => Flash::RefundPosted,
            Posting::Credit => Flash::CreditPosted,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PostForm {
    amount: String,
    description: String,
    /// A credit's location id; empty for none.
    location: String,
}

#[derive(Template)]
#[template(path = "office/charge.html")]
pub struct PostPage {
    chrome: Chrome,
    family_id: FamilyId,
    family_name: String,
    title: &'static str,
    kind: &'static str,
    /// The locations a credit may name (empty for charges and refunds).
    locations: Vec<LocationRow>,
    form: PostForm,
    errors: Errors,
}

async fn post_page(app: &App, staff: &Staff, chrome: Chrome, family_id: FamilyId, posting: Posting, form: PostForm, errors: Errors) -> ApiResult<Response> {
    let family = families::find(app, &staff.org.id, &family_id).await?;
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let locations = if posting == Posting::Credit { enrollments::locations(app, &staff.org).await? } else { vec![] };
    let page = PostPage { chrome: chrome.clone(), family_id, family_name: family.name, title: posting.title(), kind: posting.kind(), locations, form, errors };
    respond(status, &page, &chrome)
}

async fn show_post_form(app: Rc<App>, org: String, me: MaybeStaff, family_id: FamilyId, posting: Posting) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    post_page(&app, &staff, chrome, family_id, posting, PostForm::default(), Errors::default()).await
}

async fn post(app: Rc<App>, org: String, me: MaybeStaff, family_id: FamilyId, form: PostForm, posting: Posting) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    // An unknown family is the not-found page before anything is checked.
    families::find(&app, &staff.org.id, &family_id).await?;
    let mut errors = Errors::default();
    let amount = amount_field(&mut errors, &form.amount);
    if form.description.trim().is_empty() {
        errors.field("description", "Enter a description, like May tuition.");
    }
    if let (Some(cents), true) = (amount, errors.is_empty()) {
        let location = Some(form.location.as_str()).filter(|l| !l.is_empty());
        let posted = match parse_ledger_post(posting.kind(), cents, &form.description, location) {
            Ok(post) => families::post_to_ledger(&app, &staff.org.id, &staff.requester(), &family_id, post).await,
            Err(e) => Err(e.into()),
        };
        match posted {
            Ok(_) => return redirect_with(&org, &ledger_path(&family_id), posting.flash()),
            Err(e) => refuse(&mut errors, e, &["amount", "description", "location"])?,
        }
    }
    post_page(&app, &staff, chrome, family_id, posting, form, errors).await
}

pub async fn charge_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>) -> ApiResult<Response> {
    show_post_form(app, org, me, family_id, Posting::Charge).await
}

pub async fn post_charge(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>, Form(form): Form<PostForm>) -> ApiResult<Response> {
    post(app, org, me, family_id, form, Posting::Charge).await
}

pub async fn refund_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>) -> ApiResult<Response> {
    show_post_form(app, org, me, family_id, Posting::Refund).await
}

pub async fn post_refund(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>, Form(form): Form<PostForm>) -> ApiResult<Response> {
    post(app, org, me, family_id, form, Posting::Refund).await
}

pub async fn credit_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>) -> ApiResult<Response> {
    show_post_form(app, org, me, family_id, Posting::Credit).await
}

pub async fn post_credit(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>, Form(form): Form<PostForm>) -> ApiResult<Response> {
    post(app, org, me, family_id, form, Posting::Credit).await
}

// ---------------------------------------------------------------------------------------------
// Take Payment: one payment however often its form is posted. The form carries an idempotency
// key made when it is shown; every post of that form is the same payment.

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PaymentForm {
    amount: String,
    /// "cash", "check", or the id of one of the family's saved methods.
    method: String,
    reference: String,
    idempotency_key: String,
}

impl PaymentForm {
    /// The command's method and saved method id.
    fn method(&self) -> (&str, Option<&str>) {
        match self.method.as_str() {
            "cash" | "check" => (&self.method, None),
            saved => ("saved_method", Some(saved)),
        }
    }
}

#[derive(Template)]
#[template(path = "office/take_payment.html")]
pub struct PaymentPage {
    chrome: Chrome,
    family_id: FamilyId,
    family_name: String,
    outstanding: Money,
    methods: Vec<MethodView>,
    form: PaymentForm,
    errors: Errors,
}

/// The Take Payment page: a new form (`None`: the outstanding balance as the amount, cash, a new
/// idempotency key) or the one posted, with its errors.
async fn payment_page(app: &App, staff: &Staff, chrome: Chrome, family_id: FamilyId, posted: Option<PaymentForm>, errors: Errors) -> ApiResult<Response> {
    let family = families::find(app, &staff.org.id, &family_id).await?;
    let outstanding = payments::family_balance(app, &family.id).await?.outstanding_cents;
    let methods = payments::family_methods(app, &family.id).await?;
    let form = match posted {
        Some(form) => form,
        None => PaymentForm {
            amount: if outstanding.0 > 0 { format!("{}.{:02}", outstanding.0 / 100, outstanding.0 % 100) } else { String::new() },
            method: "cash".into(),
            reference: String::new(),
            // A new key per form shown: posting this form twice takes one payment.
            idempotency_key: new_id("form")?,
        },
    };
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = PaymentPage { chrome: chrome.clone(), family_id, family_name: family.name, outstanding, methods, form, errors };
    respond(status, &page, &chrome)
}

pub async fn take_payment_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Path(family_id): Path<FamilyId>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    payment_page(&app, &staff, chrome, family_id, None, Errors::default()).await
}

pub async fn take_payment(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    me: MaybeStaff,
    Path(family_id): Path<FamilyId>,
    Form(form): Form<PaymentForm>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    families::find(&app, &staff.org.id, &family_id).await?;
    let mut form = form;
    let mut errors = Errors::default();
    let amount = amount_field(&mut errors, &form.amount);
    if form.method.is_empty() {
        errors.field("method", "Choose how the family paid.");
    }
    if form.idempotency_key.is_empty() {
        // Not a form this page made: with a key of its own from now on.
        errors.form("Check the payment, then select Take Payment again.");
        form.idempotency_key = new_id("form")?;
    }
    if let (Some(cents), true) = (amount, errors.is_empty()) {
        let (method, saved) = form.method();
        let taken = match parse_staff_payment(cents, method, saved, Some(&form.reference)) {
            Ok(payment) => payments::take_staff_payment(&app, &staff.org.id, &staff.requester(), &family_id, &payment, &form.idempotency_key).await,
            Err(e) => Err(e.into()),
        };
        match taken {
            // The first post, or a replay of it: either way the payment the form took.
            Ok(_) => return redirect_with(&org, &ledger_path(&family_id), Flash::PaymentTaken),
            Err(e) => {
                let settled = matches!(e.code, ErrorCode::PaymentDeclined | ErrorCode::IdempotencyKeyReused);
                if e.code == ErrorCode::IdempotencyKeyReused {
                    errors.form("This form already took a different payment. Check the ledger, then take this payment again if it is still owed.");
                } else {
                    let about_method = matches!(e.code, ErrorCode::PaymentDeclined | ErrorCode::PaymentMethodNotFound | ErrorCode::PaymentsNotConfigured);
                    let e = if about_method && e.field.is_none() { e.at("method") } else { e };
                    refuse(&mut errors, e, &["amount", "method", "reference"])?;
                }
                // That key's payment is decided: the form, corrected, is a new payment. (A gateway
                // that could not be reached keeps the key, so trying again never charges twice.)
                if settled {
                    form.idempotency_key = new_id("form")?;
                }
            }
        }
    }
    payment_page(&app, &staff, chrome, family_id, Some(form), errors).await
}
