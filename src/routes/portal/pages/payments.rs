//! My Account, Payments and Transaction History: the section data for the account page and the
//! payment pages (Make Payment, Add Payment Method, edit and delete a method).

use crate::app::App;
use crate::error::ApiResult;
use crate::http::{Customer, Router};
use serde::Deserialize;

/// The account page's query string: the Transaction History filter.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HistoryQuery {
    pub kind: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// What the Payments and Transaction History sections show.
pub struct PaymentsSection {}

pub async fn load(_app: &App, _me: &Customer, _query: &HistoryQuery) -> ApiResult<PaymentsSection> {
    Ok(PaymentsSection {})
}

/// The payment pages' routes.
pub fn payment_routes(router: Router) -> Router {
    router
}
