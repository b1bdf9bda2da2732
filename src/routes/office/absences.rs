//! The day's absences: every future absence families reported for a date.

use crate::app::App;
use crate::commands::{absences, attendance};
use crate::error::ApiResult;
use crate::http::{json, Query, Response, Staff};
use serde::Deserialize;
use std::rc::Rc;

#[derive(Deserialize)]
pub struct DayQuery {
    date: Option<String>,
}

/// `?date=` (default: today in the organization's time zone).
pub async fn on_day(app: Rc<App>, staff: Staff, Query(q): Query<DayQuery>) -> ApiResult<Response> {
    let date = match q.date {
        Some(d) => d,
        None => attendance::org_today(&app, &staff.org).await?.to_string(),
    };
    json(200, &absences::on_day(&app, &staff.org, &date).await?)
}
