//! Staff decide the requests queue: drops and transfers (`enrollments`) and makeups
//! (`makeup_requests`), each by its kind. Here rather than in either, which import each other's
//! pieces the other way.

use crate::app::App;
use crate::commands::access::OrgContext;
use crate::commands::enrollments::{self, optional_text, request_not_found, RequestView};
use crate::commands::makeup_requests;
use crate::error::ApiResult;
use crate::store::enrollments as store;
use portal_core::access::Requester;
use portal_core::enrollment::{may_decide, RequestKind};
use portal_core::ids::RequestId;

/// Approves or denies a pending request of the organization; a decided one is a 409.
pub async fn decide(app: &App, org: &OrgContext, staff: &Requester, id: &RequestId, approve: bool, note: Option<&str>) -> ApiResult<RequestView> {
    let request = &store::find_request(&app.db, &org.id, id).await?.ok_or_else(request_not_found)?;
    may_decide(request.status)?;
    let note = optional_text(note, 1000, "note")?;
    match request.kind {
        RequestKind::Makeup => makeup_requests::decide(app, org, staff, request, approve, note).await,
        RequestKind::Drop | RequestKind::Transfer => enrollments::decide_change(app, org, staff, request, approve, note).await,
    }
}
