//! The Customer Portal: `/portal/{org}` (pages) and `/portal/{org}/api` (JSON). Every request is
//! gated first by the organization's portal switch.

mod api;
mod auth;
mod guardians;
mod links;
mod pages;
mod payments;

pub use api::GUARDIAN_SIGN_IN;

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::adapters::switch::{portal_view, PortalView};
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
            (_, ["api", rest @ ..]) => api::route(app, req, org, rest).await,
            (Method::Get | Method::Head, []) => pages::sign_in(org),
            (Method::Get | Method::Head, ["account"]) => pages::account(org),
            (Method::Get | Method::Head, ["invitations", token]) => pages::invitation(app, org, token).await,
            (Method::Get | Method::Head, ["password-reset", token]) => pages::password_reset(app, org, token).await,
            (_, [] | ["account"] | ["invitations", _] | ["password-reset", _]) => Err(ApiError::method_not_allowed()),
            _ => pages::not_found(),
        },
    }
}
