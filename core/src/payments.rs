//! Payments in My Account: saved payment methods, who may pay, the ledger and the window of the
//! transaction history. Only gateway tokens and display fields are ever accepted or kept.

use crate::ids::LocationId;
use crate::time::Timestamp;

pub const NOT_CONFIGURED_MESSAGE: &str = "This account is not configured to accept online payments.";
/// Up to three saved payment methods per guardian (the seed's limit).
pub const MAX_METHODS_PER_GUARDIAN: i64 = 3;
/// Without the full-ledger setting (and, for a secondary, the permission) the history shows this many days.
pub const DEFAULT_HISTORY_DAYS: i64 = 30;
/// The largest single amount accepted anywhere ($1,000,000.00): keeps sums far from overflow.
pub const MAX_AMOUNT_CENTS: i64 = 100_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("This account is not configured to accept online payments.")]
    NotConfigured,
    #[error("A guardian can keep at most three saved payment methods. Delete one before adding another.")]
    MethodLimit,
    #[error(
        "That looks like a full card or account number. Send only the payment gateway's token: card and \
         account numbers are never accepted or stored."
    )]
    CardNumberRefused,
    #[error(
        "This organization requires saved payment methods to stay authorized for recurring billing: they \
         cannot be deleted and that authorization cannot be removed here."
    )]
    RecurringAuthorizationRequired,
    #[error("Your Primary Guardian has not given you permission to make payments.")]
    NotPermitted,
    #[error("There is no such payment method on file for this family.")]
    MethodNotFound,
    #[error("Only the guardian who saved this payment method, or the Primary Guardian, can change it.")]
    NotYourMethod,
    /// Input that breaks a rule, with the field it is about (its name in the request).
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("The payment was declined: {0}")]
    Declined(String),
    #[error("This idempotency key was already used for a different payment.")]
    IdempotencyKeyReused,
    #[error("The payment gateway could not be reached. Try again with the same idempotency key: you will not be charged twice.")]
    GatewayUnavailable,
    #[error("The card was not confirmed with the payment gateway. Enter it again.")]
    CardNotConfirmed,
}

fn invalid(field: &'static str, message: impl Into<String>) -> PaymentError {
    PaymentError::Invalid { field, message: message.into() }
}

/// Which payment gateway an organization uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayKind {
    None,
    /// The local gateway of development and tests: records every call, moves no money.
    Sandbox,
    /// Stripe, through the platform's key and the organization's connected account.
    Stripe,
}

impl GatewayKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(GatewayKind::None),
            "sandbox" => Some(GatewayKind::Sandbox),
            "stripe" => Some(GatewayKind::Stripe),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            GatewayKind::None => "none",
            GatewayKind::Sandbox => "sandbox",
            GatewayKind::Stripe => "stripe",
        }
    }
}

/// Checks a gateway setting before it is saved: Stripe needs the organization's connected account
/// (`acct_...`); the sandbox moves no money, so only a development deployment may use it.
pub fn check_gateway_setting(kind: GatewayKind, account_id: Option<&str>, development: bool) -> Result<(), PaymentError> {
    match kind {
        GatewayKind::Stripe => match account_id {
            Some(a) if a.len() > 5 && a.len() <= 64 && a.starts_with("acct_") && a[5..].bytes().all(|b| b.is_ascii_alphanumeric()) => {
                Ok(())
            }
            _ => Err(invalid("payment_gateway.account_id", "A Stripe gateway needs the organization's connected account id (acct_...).")),
        },
        GatewayKind::Sandbox if !development => {
            Err(invalid("payment_gateway.kind", "The sandbox gateway moves no money; it is available in development only."))
        }
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    Card,
    BankAccount,
}

impl MethodKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "card" => Some(MethodKind::Card),
            "bank_account" => Some(MethodKind::BankAccount),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            MethodKind::Card => "card",
            MethodKind::BankAccount => "bank_account",
        }
    }
    /// "Credit card", "Bank account": the type as the family reads it.
    pub fn name(self) -> &'static str {
        match self {
            MethodKind::Card => "Credit card",
            MethodKind::BankAccount => "Bank account",
        }
    }
}

/// "Card ending in 4242": how a method is named in the audit log and e-mails.
pub fn method_label(kind: MethodKind, last4: &str) -> String {
    match kind {
        MethodKind::BankAccount => format!("Bank account ending in {last4}"),
        MethodKind::Card => format!("Card ending in {last4}"),
    }
}

/// True if `text` holds a run of 13 to 19 digits (single spaces or dashes allowed between them)
/// that passes the Luhn check: a primary account number that must never reach us.
pub fn contains_card_number(text: &str) -> bool {
    let mut digits: Vec<u8> = Vec::with_capacity(19);
    let mut last_was_separator = false;
    let check = |digits: &mut Vec<u8>| {
        let found = (13..=19).contains(&digits.len()) && luhn_valid(digits);
        digits.clear();
        found
    };
    for c in text.chars() {
        if let Some(d) = c.to_digit(10) {
            digits.push(d as u8);
            last_was_separator = false;
        } else if (c == ' ' || c == '-') && !digits.is_empty() && !last_was_separator {
            last_was_separator = true;
        } else {
            if check(&mut digits) {
                return true;
            }
            last_was_separator = false;
        }
    }
    check(&mut digits)
}

fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// The organization's payment settings, as the rules need them.
#[derive(Debug, Clone, Copy)]
pub struct PaymentPolicy {
    pub gateway_configured: bool,
    pub require_recurring_authorization: bool,
}

/// What the family is offered for saved methods: delete and the recurring toggle only when the
/// organization does not require recurring authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodOffers {
    pub accepting_payments: bool,
    pub can_delete: bool,
    pub can_change_recurring: bool,
}

pub fn offers(policy: &PaymentPolicy) -> MethodOffers {
    MethodOffers {
        accepting_payments: policy.gateway_configured,
        can_delete: !policy.require_recurring_authorization,
        can_change_recurring: !policy.require_recurring_authorization,
    }
}

/// A method to save, as the customer sent it (before the gateway vaults the token).
#[derive(Debug, Clone, Default)]
pub struct MethodInput {
    pub kind: String,
    pub gateway_token: String,
    pub last4: String,
    pub exp_month: Option<i64>,
    pub exp_year: Option<i64>,
    pub is_default: Option<bool>,
    pub recurring_authorized: Option<bool>,
}

/// A method the rules accept for saving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMethod {
    pub kind: MethodKind,
    pub gateway_token: String,
    pub last4: String,
    pub expiry: Option<(i64, i64)>,
    pub wants_default: bool,
    pub recurring_authorized: bool,
}

/// (year, month) of `now`, to refuse cards that have already expired.
pub fn year_month(now: Timestamp) -> (i64, i64) {
    use chrono::Datelike;
    let d = now.to_datetime();
    (i64::from(d.year()), i64::from(d.month()))
}

fn check_gateway_token(token: &str) -> Result<(), PaymentError> {
    let ok = !token.is_empty()
        && token.len() <= 255
        && token.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(invalid("gateway_token", "gateway_token must be the token the payment gateway's form returned (letters, digits, _ - . :)."))
    }
}

fn check_expiry(month: i64, year: i64, now: (i64, i64)) -> Result<(), PaymentError> {
    if !(1..=12).contains(&month) {
        return Err(invalid("exp_month", "exp_month must be between 1 and 12."));
    }
    if !(2000..=2200).contains(&year) {
        return Err(invalid("exp_year", "exp_year must be a four-digit year."));
    }
    if (year, month) < now {
        return Err(invalid("exp_year", "This card has expired."));
    }
    Ok(())
}

/// Decides whether `input` may be saved for a guardian who has `saved` active methods.
/// A card saved through the gateway's own element may be kept only by the guardian who started
/// its setup, and only once the gateway says it is confirmed.
pub fn check_confirmed_setup(started_by: Option<&str>, me: &str, confirmed: bool) -> Result<(), PaymentError> {
    match (started_by, confirmed) {
        (Some(who), _) if who != me => Err(PaymentError::NotYourMethod),
        (None, _) => Err(PaymentError::NotYourMethod),
        (_, false) => Err(PaymentError::CardNotConfirmed),
        _ => Ok(()),
    }
}

/// Whether a guardian who keeps `saved` methods may add another.
pub fn may_add_method(saved: i64, policy: &PaymentPolicy) -> Result<(), PaymentError> {
    if !policy.gateway_configured {
        return Err(PaymentError::NotConfigured);
    }
    if saved >= MAX_METHODS_PER_GUARDIAN {
        return Err(PaymentError::MethodLimit);
    }
    Ok(())
}

pub fn decide_new_method(
    input: &MethodInput,
    saved: i64,
    policy: &PaymentPolicy,
    now: (i64, i64),
) -> Result<NewMethod, PaymentError> {
    may_add_method(saved, policy)?;
    let kind = MethodKind::parse(&input.kind).ok_or_else(|| invalid("kind", "kind must be card or bank_account."))?;
    check_gateway_token(&input.gateway_token)?;
    if input.last4.len() != 4 || !input.last4.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("last4", "last4 must be the last four digits."));
    }
    let expiry = match (kind, input.exp_month, input.exp_year) {
        (MethodKind::Card, Some(m), Some(y)) => {
            check_expiry(m, y, now)?;
            Some((m, y))
        }
        (MethodKind::Card, _, _) => return Err(invalid("exp_month", "A card needs exp_month and exp_year.")),
        (MethodKind::BankAccount, None, None) => None,
        (MethodKind::BankAccount, _, _) => return Err(invalid("exp_month", "A bank account has no expiry date.")),
    };
    let recurring_authorized = match (policy.require_recurring_authorization, input.recurring_authorized) {
        (true, Some(false)) => {
            return Err(invalid(
                "recurring_authorized",
                "This organization requires saved payment methods to be authorized for recurring billing.",
            ))
        }
        (true, _) => true,
        (false, r) => r.unwrap_or(false),
    };
    Ok(NewMethod {
        kind,
        gateway_token: input.gateway_token.clone(),
        last4: input.last4.clone(),
        expiry,
        // A guardian's first method is their default, whatever was asked.
        wants_default: saved == 0 || input.is_default.unwrap_or(false),
        recurring_authorized,
    })
}

/// Who acts on a saved method or pays.
#[derive(Debug, Clone)]
pub struct Payer {
    pub guardian_id: String,
    pub is_primary: bool,
    pub can_make_payments: bool,
}

impl Payer {
    pub fn may_make_payments(&self) -> bool {
        may_make_payments(self.is_primary, self.can_make_payments)
    }
}

/// The Primary Guardian pays; a secondary only with the permission the primary gave them.
pub fn may_make_payments(is_primary: bool, permitted: bool) -> bool {
    is_primary || permitted
}

/// A saved method as the rules see it.
#[derive(Debug, Clone)]
pub struct MethodFacts {
    pub owner_guardian_id: String,
    pub kind: MethodKind,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MethodEdit {
    pub is_default: Option<bool>,
    pub recurring_authorized: Option<bool>,
    pub expiry: Option<(i64, i64)>,
}

fn may_manage(payer: &Payer, method: &MethodFacts) -> Result<(), PaymentError> {
    if payer.is_primary || payer.guardian_id == method.owner_guardian_id {
        Ok(())
    } else {
        Err(PaymentError::NotYourMethod)
    }
}

/// Checks an edit of a saved method's flags or expiry.
pub fn may_edit_method(
    payer: &Payer,
    method: &MethodFacts,
    edit: &MethodEdit,
    policy: &PaymentPolicy,
    now: (i64, i64),
) -> Result<(), PaymentError> {
    may_manage(payer, method)?;
    if edit.recurring_authorized.is_some() && policy.require_recurring_authorization {
        return Err(PaymentError::RecurringAuthorizationRequired);
    }
    if edit.is_default == Some(false) {
        return Err(invalid("is_default", "Choose another method as the default instead: each guardian keeps one default."));
    }
    if let Some((m, y)) = edit.expiry {
        if method.kind != MethodKind::Card {
            return Err(invalid("exp_month", "A bank account has no expiry date."));
        }
        check_expiry(m, y, now)?;
    }
    Ok(())
}

pub fn may_delete_method(payer: &Payer, method: &MethodFacts, policy: &PaymentPolicy) -> Result<(), PaymentError> {
    may_manage(payer, method)?;
    if policy.require_recurring_authorization {
        return Err(PaymentError::RecurringAuthorizationRequired);
    }
    Ok(())
}

pub fn check_amount(amount_cents: i64) -> Result<(), PaymentError> {
    if (1..=MAX_AMOUNT_CENTS).contains(&amount_cents) {
        Ok(())
    } else {
        Err(invalid("amount_cents", format!("amount_cents must be between 1 and {MAX_AMOUNT_CENTS}.")))
    }
}

/// A secondary pays only with the primary's permission; nobody pays without a gateway.
pub fn may_pay(payer: &Payer, policy: &PaymentPolicy, amount_cents: i64) -> Result<(), PaymentError> {
    if !payer.may_make_payments() {
        return Err(PaymentError::NotPermitted);
    }
    if !policy.gateway_configured {
        return Err(PaymentError::NotConfigured);
    }
    check_amount(amount_cents)
}

/// A client's idempotency key: 1 to 255 visible ASCII characters.
pub fn check_idempotency_key(key: &str) -> Result<(), PaymentError> {
    if !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(invalid("idempotency_key", "The idempotency key must be 1 to 255 visible ASCII characters."))
    }
}

/// A retried request must be the same payment as the first one with its key.
pub fn check_replay(stored: (&str, i64), requested: (&str, i64)) -> Result<(), PaymentError> {
    if stored == requested {
        Ok(())
    } else {
        Err(PaymentError::IdempotencyKeyReused)
    }
}

/// How staff take a payment at the front desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffPaymentMethod {
    Cash,
    Check,
    /// One of the family's saved methods, charged at the gateway.
    SavedMethod { payment_method_id: String },
}

impl StaffPaymentMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            StaffPaymentMethod::Cash => "cash",
            StaffPaymentMethod::Check => "check",
            StaffPaymentMethod::SavedMethod { .. } => "saved_method",
        }
    }

    pub fn payment_method_id(&self) -> Option<&str> {
        match self {
            StaffPaymentMethod::SavedMethod { payment_method_id } => Some(payment_method_id),
            _ => None,
        }
    }
}

/// A payment staff take: the amount, how it was paid, and an optional reference (a check number,
/// a receipt number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffPayment {
    pub amount_cents: i64,
    pub method: StaffPaymentMethod,
    pub reference: Option<String>,
}

/// The longest reference staff may note on a payment.
pub const MAX_REFERENCE_CHARS: usize = 100;

/// Staff take a payment: `method` is cash, check or saved_method (which needs `payment_method_id`,
/// and only it does); the amount follows the family's rules; a reference is one line and never a
/// card number.
pub fn parse_staff_payment(
    amount_cents: i64,
    method: &str,
    payment_method_id: Option<&str>,
    reference: Option<&str>,
) -> Result<StaffPayment, PaymentError> {
    let method = match (method, payment_method_id) {
        ("cash" | "check", Some(_)) => {
            return Err(invalid("payment_method_id", "payment_method_id is only for method saved_method."));
        }
        ("cash", None) => StaffPaymentMethod::Cash,
        ("check", None) => StaffPaymentMethod::Check,
        ("saved_method", Some(id)) if !id.is_empty() => StaffPaymentMethod::SavedMethod { payment_method_id: id.to_string() },
        ("saved_method", _) => return Err(invalid("payment_method_id", "A saved_method payment needs the payment_method_id of one of the family's saved methods.")),
        _ => return Err(invalid("method", "method must be cash, check or saved_method.")),
    };
    check_amount(amount_cents)?;
    let reference = match reference.map(str::trim) {
        None | Some("") => None,
        Some(r) if contains_card_number(r) => return Err(PaymentError::CardNumberRefused),
        Some(r) => Some(crate::text::single_line(r, MAX_REFERENCE_CHARS).ok_or_else(|| {
            invalid("reference", format!("reference must be at most {MAX_REFERENCE_CHARS} characters of visible text on one line."))
        })?),
    };
    Ok(StaffPayment { amount_cents, method, reference })
}

impl StaffPayment {
    /// The ledger's words for it: "Cash payment", "Check payment (no. 1042)".
    pub fn description(&self, method_label: Option<&str>) -> String {
        let what = match (&self.method, method_label) {
            (StaffPaymentMethod::Cash, _) => "Cash payment".to_string(),
            (StaffPaymentMethod::Check, _) => "Check payment".to_string(),
            (StaffPaymentMethod::SavedMethod { .. }, Some(label)) => format!("Payment with {label}"),
            (StaffPaymentMethod::SavedMethod { .. }, None) => "Payment with a saved method".to_string(),
        };
        match &self.reference {
            Some(r) => format!("{what} ({r})"),
            None => what,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Charge,
    Payment,
    Refund,
    /// Credit staff gave the family: waits until applied.
    Credit,
    /// Credit the family applied to outstanding charges: lowers what is owed.
    CreditApplied,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Charge => "charge",
            EntryKind::Payment => "payment",
            EntryKind::Refund => "refund",
            EntryKind::Credit => "credit",
            EntryKind::CreditApplied => "credit_applied",
        }
    }
    /// The history's filter: `all` (None), `charges`, `payments`, `refunds`.
    pub fn parse_filter(s: &str) -> Result<Option<Self>, PaymentError> {
        match s {
            "all" => Ok(None),
            "charges" => Ok(Some(EntryKind::Charge)),
            "payments" => Ok(Some(EntryKind::Payment)),
            "refunds" => Ok(Some(EntryKind::Refund)),
            _ => Err(invalid("kind", "kind must be all, charges, payments or refunds.")),
        }
    }
}

/// A charge, refund or credit staff post to a family's ledger (payments come only from
/// `POST /payments`), maybe for one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerPost {
    pub kind: EntryKind,
    pub amount_cents: i64,
    pub description: String,
    pub location_id: Option<LocationId>,
}

pub fn parse_ledger_post(kind: &str, amount_cents: i64, description: &str, location_id: Option<&str>) -> Result<LedgerPost, PaymentError> {
    let kind = match kind {
        "charge" => EntryKind::Charge,
        "refund" => EntryKind::Refund,
        "credit" => EntryKind::Credit,
        _ => return Err(invalid("kind", "kind must be charge, refund or credit; payments are made by the family.")),
    };
    check_amount(amount_cents)?;
    let description = crate::text::single_line(description, 200)
        .ok_or_else(|| invalid("description", "description must be 1 to 200 characters of visible text on one line."))?;
    let location_id = match location_id {
        None => None,
        Some(id) if !id.is_empty() && id.len() <= 100 => Some(LocationId::from(id.to_string())),
        Some(_) => return Err(invalid("location_id", "location_id must be the id of one of the organization's locations.")),
    };
    Ok(LedgerPost { kind, amount_cents, description, location_id })
}

/// An amount in cents: a number in the API, dollars on the pages ("$1,234.50").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Money(pub i64);

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let cents = self.0.unsigned_abs();
        let dollars = (cents / 100).to_string();
        f.write_str(sign)?;
        f.write_str("$")?;
        for (i, digit) in dollars.chars().enumerate() {
            if i > 0 && (dollars.len() - i) % 3 == 0 {
                f.write_str(",")?;
            }
            write!(f, "{digit}")?;
        }
        write!(f, ".{:02}", cents % 100)
    }
}

/// What is outstanding, and the family's credit (`credit::LedgerSums::balance` works them out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub outstanding_cents: i64,
    pub credit_cents: i64,
}

/// The time range the transaction history shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryWindow {
    pub from: Timestamp,
    pub to: Timestamp,
    pub full_history: bool,
}

/// `YYYY-MM-DD` (the start of that day, or with `end_of_day` its last millisecond) or RFC 3339.
fn parse_date(s: &str, field: &'static str, end_of_day: bool) -> Result<Timestamp, PaymentError> {
    if let Some(t) = Timestamp::parse_rfc3339(s) {
        return Ok(t);
    }
    // By hand: chrono's format-string parser costs the wasm more than the rest of this module.
    let not_a_date = || invalid(field, format!("{s} is not a date (YYYY-MM-DD or RFC 3339)."));
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(not_a_date());
    }
    let number = |r: std::ops::Range<usize>| s.get(r).filter(|p| p.bytes().all(|c| c.is_ascii_digit())).and_then(|p| p.parse::<u32>().ok());
    let (y, m, d) = (number(0..4).ok_or_else(not_a_date)?, number(5..7).ok_or_else(not_a_date)?, number(8..10).ok_or_else(not_a_date)?);
    let day = chrono::NaiveDate::from_ymd_opt(y as i32, m, d).ok_or_else(not_a_date)?;
    let start = day.and_hms_opt(0, 0, 0).map(|d| d.and_utc().timestamp_millis()).unwrap_or(0);
    Ok(Timestamp(if end_of_day { start + 86_400_000 - 1 } else { start }))
}

/// The last 30 days, unless the organization shows the full ledger and the viewer may see it: then
/// the range the customer chose (from the beginning up to now by default).
pub fn history_window(
    org_shows_full_ledger: bool,
    viewer_may_see_full: bool,
    from: Option<&str>,
    to: Option<&str>,
    now: Timestamp,
) -> Result<HistoryWindow, PaymentError> {
    // Checked even where the range is not the customer's to choose: a wrong date is an error,
    // never silently the default range.
    let from = from.filter(|s| !s.is_empty()).map(|s| parse_date(s, "from", false)).transpose()?;
    let to = to.filter(|s| !s.is_empty()).map(|s| parse_date(s, "to", true)).transpose()?;
    if !(org_shows_full_ledger && viewer_may_see_full) {
        return Ok(HistoryWindow {
            from: now.plus_hours(-24 * DEFAULT_HISTORY_DAYS),
            to: now,
            full_history: false,
        });
    }
    let (from, to) = (from.unwrap_or(Timestamp(0)), to.unwrap_or(now));
    if from > to {
        return Err(invalid("from", "from must not be after to."));
    }
    Ok(HistoryWindow { from, to, full_history: true })
}

#[cfg(test)]
mod tests {
    #[test]
    fn staff_take_cash_check_or_a_saved_method() {
        let cash = parse_staff_payment(2500, "cash", None, Some(" receipt 7 ")).unwrap();
        assert_eq!(cash.method, StaffPaymentMethod::Cash);
        assert_eq!(cash.description(None), "Cash payment (receipt 7)");
        let saved = parse_staff_payment(100, "saved_method", Some("pm_1"), None).unwrap();
        assert_eq!(saved.method.payment_method_id(), Some("pm_1"));
        assert_eq!(saved.description(Some("Visa ending 4242")), "Payment with Visa ending 4242");
        let field = |r: Result<StaffPayment, PaymentError>| match r {
            Err(PaymentError::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        };
        assert_eq!(field(parse_staff_payment(100, "saved_method", None, None)), "payment_method_id");
        assert_eq!(field(parse_staff_payment(100, "cash", Some("pm_1"), None)), "payment_method_id");
        assert_eq!(field(parse_staff_payment(100, "card", None, None)), "method");
        assert_eq!(field(parse_staff_payment(0, "check", None, None)), "amount_cents");
        assert_eq!(field(parse_staff_payment(100, "check", None, Some("a\nb"))), "reference");
        assert_eq!(parse_staff_payment(100, "check", None, Some("4242 4242 4242 4242")), Err(PaymentError::CardNumberRefused));
    }

    use super::*;

    const OPEN: PaymentPolicy = PaymentPolicy { gateway_configured: true, require_recurring_authorization: false };
    const STRICT: PaymentPolicy = PaymentPolicy { gateway_configured: true, require_recurring_authorization: true };
    const NONE: PaymentPolicy = PaymentPolicy { gateway_configured: false, require_recurring_authorization: false };
    const MAY_2026: (i64, i64) = (2026, 5);

    #[test]
    fn a_card_from_the_gateways_element_is_kept_only_by_who_started_it_once_confirmed() {
        assert_eq!(check_confirmed_setup(Some("gdn_me"), "gdn_me", true), Ok(()));
        assert_eq!(check_confirmed_setup(Some("gdn_me"), "gdn_me", false), Err(PaymentError::CardNotConfirmed));
        assert_eq!(check_confirmed_setup(Some("gdn_other"), "gdn_me", true), Err(PaymentError::NotYourMethod));
        assert_eq!(check_confirmed_setup(None, "gdn_me", true), Err(PaymentError::NotYourMethod));
    }

    fn card() -> MethodInput {
        MethodInput {
            kind: "card".into(),
            gateway_token: "tok_visa".into(),
            last4: "4242".into(),
            exp_month: Some(12),
            exp_year: Some(2030),
            ..Default::default()
        }
    }

    fn payer(primary: bool, may_pay: bool) -> Payer {
        Payer { guardian_id: "g1".into(), is_primary: primary, can_make_payments: may_pay }
    }

    fn owned_by(id: &str) -> MethodFacts {
        MethodFacts { owner_guardian_id: id.into(), kind: MethodKind::Card }
    }

    #[test]
    fn full_card_numbers_are_recognized_with_or_without_separators() {
        assert!(contains_card_number("4242424242424242"));
        assert!(contains_card_number(r#"{"gateway_token":"4242 4242 4242 4242"}"#));
        assert!(contains_card_number("card 5555-5555-5555-4444 here"));
        assert!(contains_card_number(r#"{"n":378282246310005}"#), "15-digit Amex");
    }

    #[test]
    fn tokens_short_numbers_and_non_luhn_runs_are_not_card_numbers() {
        assert!(!contains_card_number(r#"{"gateway_token":"tok_visa","last4":"4242","exp_year":2030}"#));
        assert!(!contains_card_number("4242424242424241"), "fails Luhn");
        assert!(!contains_card_number("424242424242"), "12 digits");
        assert!(!contains_card_number("1795000000123"), "a millisecond timestamp fails Luhn");
        assert!(!contains_card_number("42424242424242424242"), "20 digits");
    }

    #[test]
    fn nothing_is_saved_without_a_gateway() {
        assert_eq!(decide_new_method(&card(), 0, &NONE, MAY_2026), Err(PaymentError::NotConfigured));
    }

    #[test]
    fn a_fourth_method_is_refused() {
        assert!(decide_new_method(&card(), 2, &OPEN, MAY_2026).is_ok());
        assert_eq!(decide_new_method(&card(), 3, &OPEN, MAY_2026), Err(PaymentError::MethodLimit));
    }

    #[test]
    fn the_first_method_is_the_default() {
        let first = decide_new_method(&card(), 0, &OPEN, MAY_2026).unwrap();
        assert!(first.wants_default);
        let second = decide_new_method(&card(), 1, &OPEN, MAY_2026).unwrap();
        assert!(!second.wants_default);
        let asked = decide_new_method(&MethodInput { is_default: Some(true), ..card() }, 1, &OPEN, MAY_2026).unwrap();
        assert!(asked.wants_default);
    }

    #[test]
    fn cards_need_a_future_expiry_and_bank_accounts_have_none() {
        let expired = MethodInput { exp_month: Some(4), exp_year: Some(2026), ..card() };
        assert!(matches!(decide_new_method(&expired, 0, &OPEN, MAY_2026), Err(PaymentError::Invalid { .. })));
        let this_month = MethodInput { exp_month: Some(5), exp_year: Some(2026), ..card() };
        assert!(decide_new_method(&this_month, 0, &OPEN, MAY_2026).is_ok());
        let no_expiry = MethodInput { exp_month: None, ..card() };
        assert!(matches!(decide_new_method(&no_expiry, 0, &OPEN, MAY_2026), Err(PaymentError::Invalid { .. })));
        let bank = MethodInput { kind: "bank_account".into(), exp_month: None, exp_year: None, ..card() };
        assert_eq!(decide_new_method(&bank, 0, &OPEN, MAY_2026).unwrap().expiry, None);
        let bank_with_expiry = MethodInput { kind: "bank_account".into(), ..card() };
        assert!(matches!(decide_new_method(&bank_with_expiry, 0, &OPEN, MAY_2026), Err(PaymentError::Invalid { .. })));
    }

    #[test]
    fn last4_and_token_are_checked() {
        let bad_last4 = MethodInput { last4: "42a2".into(), ..card() };
        assert!(matches!(decide_new_method(&bad_last4, 0, &OPEN, MAY_2026), Err(PaymentError::Invalid { .. })));
        let bad_token = MethodInput { gateway_token: "tok visa".into(), ..card() };
        assert!(matches!(decide_new_method(&bad_token, 0, &OPEN, MAY_2026), Err(PaymentError::Invalid { .. })));
    }

    #[test]
    fn when_recurring_authorization_is_required_it_is_given_and_cannot_be_withdrawn() {
        assert!(decide_new_method(&card(), 0, &STRICT, MAY_2026).unwrap().recurring_authorized);
        let refused = MethodInput { recurring_authorized: Some(false), ..card() };
        assert!(matches!(decide_new_method(&refused, 0, &STRICT, MAY_2026), Err(PaymentError::Invalid { .. })));
        let edit = MethodEdit { recurring_authorized: Some(false), ..Default::default() };
        assert_eq!(
            may_edit_method(&payer(true, true), &owned_by("g1"), &edit, &STRICT, MAY_2026),
            Err(PaymentError::RecurringAuthorizationRequired)
        );
        assert_eq!(
            may_delete_method(&payer(true, true), &owned_by("g1"), &STRICT),
            Err(PaymentError::RecurringAuthorizationRequired)
        );
        assert_eq!(offers(&STRICT), MethodOffers { accepting_payments: true, can_delete: false, can_change_recurring: false });
        assert_eq!(offers(&OPEN), MethodOffers { accepting_payments: true, can_delete: true, can_change_recurring: true });
    }

    #[test]
    fn a_secondary_manages_only_their_own_methods_and_the_primary_all() {
        let secondary = payer(false, false);
        assert!(may_delete_method(&secondary, &owned_by("g1"), &OPEN).is_ok());
        assert_eq!(may_delete_method(&secondary, &owned_by("g2"), &OPEN), Err(PaymentError::NotYourMethod));
        assert!(may_delete_method(&payer(true, false), &owned_by("g2"), &OPEN).is_ok());
    }

    #[test]
    fn a_default_is_moved_not_removed() {
        let edit = MethodEdit { is_default: Some(false), ..Default::default() };
        assert!(matches!(may_edit_method(&payer(true, true), &owned_by("g1"), &edit, &OPEN, MAY_2026), Err(PaymentError::Invalid { .. })));
    }

    #[test]
    fn a_secondary_pays_only_with_permission() {
        assert_eq!(may_pay(&payer(false, false), &OPEN, 100), Err(PaymentError::NotPermitted));
        assert!(may_pay(&payer(false, true), &OPEN, 100).is_ok());
        assert!(may_pay(&payer(true, false), &OPEN, 100).is_ok());
        assert_eq!(may_pay(&payer(true, false), &NONE, 100), Err(PaymentError::NotConfigured));
        assert!(matches!(may_pay(&payer(true, false), &OPEN, 0), Err(PaymentError::Invalid { .. })));
        assert!(matches!(may_pay(&payer(true, false), &OPEN, MAX_AMOUNT_CENTS + 1), Err(PaymentError::Invalid { .. })));
    }

    #[test]
    fn writes_money_in_dollars() {
        assert_eq!(Money(0).to_string(), "$0.00");
        assert_eq!(Money(12000).to_string(), "$120.00");
        assert_eq!(Money(123456789).to_string(), "$1,234,567.89");
        assert_eq!(Money(-505).to_string(), "-$5.05");
    }

    #[test]
    fn a_replayed_key_must_carry_the_same_payment() {
        assert!(check_replay(("pm_1", 500), ("pm_1", 500)).is_ok());
        assert_eq!(check_replay(("pm_1", 500), ("pm_1", 600)), Err(PaymentError::IdempotencyKeyReused));
        assert!(check_idempotency_key("order-42").is_ok());
        assert!(check_idempotency_key("").is_err());
        assert!(check_idempotency_key("has space").is_err());
    }

    #[test]
    fn staff_post_charges_refunds_and_credits_only() {
        assert_eq!(parse_ledger_post("charge", 5000, " Tuition ", None).unwrap().description, "Tuition");
        let credit = parse_ledger_post("credit", 2000, "Goodwill", Some("loc_1")).unwrap();
        assert_eq!((credit.kind, credit.location_id.as_deref()), (EntryKind::Credit, Some("loc_1")));
        assert!(parse_ledger_post("payment", 5000, "x", None).is_err());
        assert!(parse_ledger_post("credit_applied", 5000, "x", None).is_err());
        assert!(parse_ledger_post("refund", 0, "x", None).is_err());
        assert!(parse_ledger_post("refund", 10, "  ", None).is_err());
        assert!(parse_ledger_post("credit", 10, "x", Some("")).is_err());
    }

    #[test]
    fn the_history_shows_30_days_unless_the_full_ledger_is_shown_and_allowed() {
        let now = Timestamp::parse_rfc3339("2026-11-23T12:00:00Z").unwrap();
        let w = history_window(false, true, Some("2020-01-01"), None, now).unwrap();
        assert_eq!((w.from, w.to, w.full_history), (now.plus_hours(-24 * 30), now, false));
        let secondary = history_window(true, false, Some("2020-01-01"), None, now).unwrap();
        assert!(!secondary.full_history);
        let full = history_window(true, true, Some("2026-01-01"), Some("2026-01-31"), now).unwrap();
        assert_eq!(full.from, Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap());
        assert_eq!(full.to, Timestamp::parse_rfc3339("2026-01-31T23:59:59.999Z").unwrap());
        assert_eq!(history_window(true, true, None, None, now).unwrap().from, Timestamp(0));
        assert!(history_window(true, true, Some("2026-02-01"), Some("2026-01-01"), now).is_err());
        assert!(history_window(true, true, Some("yesterday"), None, now).is_err());
        assert!(history_window(true, true, Some("2026-02-30"), None, now).is_err());
        assert!(history_window(true, true, Some("2026-1-05"), None, now).is_err());
        // Not the customer's range to choose, but still not a date: an error, not the default.
        assert!(history_window(false, true, Some("2026-02-30"), None, now).is_err());
        assert!(history_window(true, false, None, Some("soon"), now).is_err());
    }

    #[test]
    fn stripe_needs_an_account_and_the_sandbox_stays_in_development() {
        assert!(check_gateway_setting(GatewayKind::Stripe, Some("acct_1Abc"), false).is_ok());
        assert!(check_gateway_setting(GatewayKind::Stripe, None, false).is_err());
        assert!(check_gateway_setting(GatewayKind::Stripe, Some("acct_"), false).is_err());
        assert!(check_gateway_setting(GatewayKind::Sandbox, None, false).is_err());
        assert!(check_gateway_setting(GatewayKind::Sandbox, None, true).is_ok());
    }
}
