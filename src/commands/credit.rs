//! Apply Credit: the family applies credit staff gave it to outstanding charges. The amount is
//! decided by `portal_core::credit` and checked again inside the one insert, so a second click
//! (or a second device) racing the first applies nothing more.

use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::payments::{family_balance, BalanceView};
use crate::commands::require_live;
use crate::context::Account;
use crate::error::ApiResult;
use crate::store::credit::{self as store, Application};
use crate::store::payments::balance;
use crate::store::sessions::still_live;
use crate::store::won;
use portal_core::credit::{amount_to_apply, CreditError, APPLIED_DESCRIPTION};
use portal_core::payments::PaymentError;

/// Applies `requested` cents of credit (by default as much as the credit and the outstanding
/// charges allow) and answers the balance after it.
pub async fn apply(app: &App, account: &Account<'_>, show_credit: bool, requested: Option<i64>) -> ApiResult<BalanceView> {
    if !show_credit {
        return Err(CreditError::Disabled.into());
    }
    if !account.payer.may_make_payments() {
        return Err(PaymentError::NotPermitted.into());
    }
    let sums = balance(&app.db, account.family_id).await?.sums();
    amount_to_apply(&sums, requested)?;
    let id = new_id("led")?;
    let actor = account.actor();
    let application = Application {
        id: &id,
        org_id: account.org_id,
        family_id: account.family_id,
        amount_cents: requested,
        description: APPLIED_DESCRIPTION,
        applied_by: &actor,
    };
    let results = app.db.batch(vec![store::apply(&app.db, &application, app.now(), still_live(account.session_id, app.now()))?]).await?;
    if !won(&results, 0)? {
        require_live(app, account.session_id).await?;
        // Another application (or a payment) got there first: say what is left, if anything.
        let sums = balance(&app.db, account.family_id).await?.sums();
        amount_to_apply(&sums, requested)?;
        return Err(CreditError::NothingToApply.into());
    }
    family_balance(app, account.family_id).await
}
