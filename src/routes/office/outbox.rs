//! Failed e-mails of the organization, for staff to see and (owner or admin) to send again once the
//! cause is fixed. The platform operator's view of every organization is in `routes/platform.rs`;
//! both are `commands::failed_emails`.

use crate::app::App;
use crate::commands::failed_emails;
use crate::error::ApiResult;
use crate::http::{json, Path, Query, Response, Staff};
use crate::routes::bodies::{OutboxId, OutboxQuery};
use std::rc::Rc;

pub async fn index(app: Rc<App>, staff: Staff, Query(_q): Query<OutboxQuery>) -> ApiResult<Response> {
    json(200, &failed_emails::list(&app, Some(&staff.org.id)).await?)
}

pub async fn retry(app: Rc<App>, staff: Staff, Path(OutboxId(id)): Path<OutboxId>) -> ApiResult<Response> {
    staff.require_settings_role()?;
    json(202, &failed_emails::retry(&app, &id, Some(&staff.org.id)).await?)
}
