//! The Customer Portal: `/portal/{org}` (pages) and `/portal/{org}/api` (JSON). Every request is
//! gated first by the organization's portal switch.

mod pages;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::switch::{portal_view, PortalView};
use portal_core::portal_switch::PORTAL_UNAVAILABLE_MESSAGE;
use worker::{Method, Request, Response};

pub async fn route(app: &App, req: Request, org: &str, rest: &[&str]) -> ApiResult<Response> {
    let is_api = matches!(rest.first(), Some(&"api"));
    match portal_view(app, org).await? {
        PortalView::UnknownOrganization if is_api => {
            Err(ApiError::new(404, "organization_not_found", "There is no such Customer Portal."))
        }
        PortalView::UnknownOrganization => pages::not_found(),
        PortalView::Disabled if is_api => Err(ApiError::portal_unavailable()),
        PortalView::Disabled => pages::message_page(503, "Customer Portal unavailable", PORTAL_UNAVAILABLE_MESSAGE),
        PortalView::Enabled => match (req.method(), rest) {
            (Method::Get | Method::Head, []) => pages::sign_in(org),
            (_, []) => Err(ApiError::method_not_allowed()),
            (_, ["api", ..]) => Err(ApiError::route_not_found()),
            _ => pages::not_found(),
        },
    }
}
