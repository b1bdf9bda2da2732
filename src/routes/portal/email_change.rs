//! Changing the login e-mail, as JSON (issue 26): the use case is in `commands::email_change`;
//! the confirm link is a page (`pages::email_change`).

use crate::app::App;
use crate::commands::email_change;
use crate::context::Client;
use crate::error::ApiResult;
use crate::http::{json, Customer, Json, Response};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

#[derive(Deserialize)]
pub struct EmailChange {
    new_email: String,
    current_password: String,
}

/// Field order is the API's (alphabetical).
#[derive(Serialize)]
struct ChangeAsked {
    message: &'static str,
    status: &'static str,
}

/// 202: the link is on its way to the new address; the login changes when it is confirmed.
pub async fn request(app: Rc<App>, me: Customer, client: Client, Json(body): Json<EmailChange>) -> ApiResult<Response> {
    email_change::request(&app, &me.signed_in(), &client, &body.new_email, &body.current_password).await?;
    json(202, &ChangeAsked { message: "Check your new inbox: open the link we sent there to confirm the change.", status: "sent" })
}
