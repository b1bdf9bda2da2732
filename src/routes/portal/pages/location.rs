//! The Location selector beside the Family Switcher: the chosen location is remembered in this
//! browser (a cookie), then My Account again.

use super::frame::*;
use crate::app::App;
use crate::commands::enrollments::locations;
use crate::error::{ApiError, ApiResult};
use crate::http::{post, see_other, Form, OrgSlug, Response, Router};
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router.route("/portal/:org/location", post(choose))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LocationForm {
    location_id: String,
}

pub async fn choose(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeCustomer, Form(form): Form<LocationForm>) -> ApiResult<Response> {
    let (me, _) = signed_in!(org, me, None);
    let all = locations(&app, &me.org).await?;
    if !all.iter().any(|l| l.id == form.location_id) {
        return Err(ApiError::invalid_field("location_id", "Choose one of the locations."));
    }
    see_other(&format!("/portal/{org}/account#your-students"), &[location_cookie(&org, &form.location_id), Flash::LocationChosen.cookie(&org)])
}
