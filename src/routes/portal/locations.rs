//! Locations in the portal: a family lists the organization's locations (classes, makeup tokens
//! and statements belong to one), and the pages keep the one they chose (`pages::frame`).

use crate::app::App;
use crate::commands::enrollments::{self, LocationRow};
use crate::error::ApiResult;
use crate::http::{json, Customer, Response};
use serde::Serialize;
use std::rc::Rc;

#[derive(Serialize)]
struct LocationList {
    locations: Vec<LocationRow>,
}

pub async fn list(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    json(200, &LocationList { locations: enrollments::locations(&app, &me.org).await? })
}
