//! The attendance sheet of a class meeting, and marking it. Staff take attendance whatever the
//! portal options say (the option decides what families see).

use crate::app::App;
use crate::commands::attendance::{self, parse_date, MarkInput};
use crate::error::ApiResult;
use crate::http::{json, Json, Path, Query, Response, Staff};
use portal_core::ids::ClassId;
use serde::Deserialize;
use std::rc::Rc;

#[derive(Deserialize)]
pub struct SheetQuery {
    date: Option<String>,
}

/// `?date=` (default: today in the organization's time zone).
pub async fn sheet(app: Rc<App>, staff: Staff, Path(class_id): Path<ClassId>, Query(q): Query<SheetQuery>) -> ApiResult<Response> {
    let date = match q.date {
        Some(d) => parse_date(&d, "date")?,
        None => attendance::org_today(&app, &staff.org).await?,
    };
    json(200, &attendance::sheet(&app, &staff.org, &class_id, date).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marks {
    date: String,
    records: Vec<MarkInput>,
}

pub async fn mark(app: Rc<App>, staff: Staff, Path(class_id): Path<ClassId>, Json(body): Json<Marks>) -> ApiResult<Response> {
    let date = parse_date(&body.date, "date")?;
    json(200, &attendance::mark(&app, &staff.org, &staff.actor().label, &class_id, date, &body.records).await?)
}
