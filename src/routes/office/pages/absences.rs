//! The day's absences: every future absence families reported for a date, with the student, the
//! family and the classes missed. Linked from each attendance sheet.

use super::frame::*;
use crate::app::App;
use crate::commands::absences::{self, AbsenceList};
use crate::commands::attendance;
use crate::error::ApiResult;
use crate::http::{get, OrgSlug, Query, Response, Router};
use crate::routes::pages::form::*;
use askama::Template;
use serde::Deserialize;
use std::rc::Rc;

pub fn routes(router: Router) -> Router {
    router.route("/office/:org/absences", get(day_page))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DateQuery {
    date: String,
}

#[derive(Template)]
#[template(path = "office/absences.html")]
pub struct DayPage {
    chrome: Chrome,
    date: String,
    list: Option<AbsenceList>,
    errors: Errors,
}

pub async fn day_page(app: Rc<App>, OrgSlug(org): OrgSlug, me: MaybeStaff, Query(q): Query<DateQuery>) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, None);
    let date = if q.date.is_empty() { attendance::org_today(&app, &staff.org).await?.to_string() } else { q.date };
    let mut errors = Errors::default();
    let list = match absences::on_day(&app, &staff.org, &date).await {
        Ok(list) => Some(list),
        Err(e) => {
            errors.refusal(e, &["date"])?;
            None
        }
    };
    let status = if errors.is_empty() { 200 } else { 422 };
    let chrome = chrome.at(Section::Families).with_errors(&errors);
    let page = DayPage { chrome: chrome.clone(), date, list, errors };
    respond(status, &page, &chrome)
}
