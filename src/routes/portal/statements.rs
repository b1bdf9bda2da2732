//! Generate Statement for This Location and Generate Ledger for This Location:
//! `GET /portal/{org}/api/statements/outstanding` and `/statements/ledger`, each as a printable
//! page, CSV or PDF (`?format=`). Read like Transaction History: any signed-in guardian of the family.

use crate::adapters::pdf::{self, Column, PdfTable};
use crate::app::App;
use crate::commands::statements::{self, LedgerReport, OutstandingStatement, StatementFor, StatementHeading, StatementLine};
use crate::error::{ApiError, ApiResult};
use crate::http::response::{page, with_headers};
use crate::http::{Customer, Query, Response};
use crate::routes::pages::assets::STYLESHEET;
use askama::Template;
use portal_core::payments::Money;
use portal_core::statement::{decimal, write_csv, StatementFormat};
use serde::Deserialize;
use std::rc::Rc;

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct StatementQuery {
    location_id: Option<String>,
    format: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn who(me: &Customer) -> (crate::context::Account<'_>, &str, &str) {
    (me.account(), &me.org.name, &me.family_name)
}

pub async fn outstanding(app: Rc<App>, me: Customer, Query(q): Query<StatementQuery>) -> ApiResult<Response> {
    let format = StatementFormat::parse(q.format.as_deref())?;
    if q.from.is_some() || q.to.is_some() {
        return Err(ApiError::invalid_field(if q.from.is_some() { "from" } else { "to" }, "A statement is as of today: it takes no range."));
    }
    let (account, organization, family) = who(&me);
    let s = statements::outstanding(&app, &StatementFor { account: &account, organization, family }, me.options.allow_statements, q.location_id.as_deref()).await?;
    match format {
        StatementFormat::Html => page(200, &StatementPage::outstanding(&me.org.slug, &s)),
        StatementFormat::Csv => download(&outstanding_csv(&s)?, "text/csv; charset=utf-8", "statement", &s.heading.date, "csv"),
        StatementFormat::Pdf => download(&pdf::render(&outstanding_pdf(&s)), "application/pdf", "statement", &s.heading.date, "pdf"),
    }
}

pub async fn ledger(app: Rc<App>, me: Customer, Query(q): Query<StatementQuery>) -> ApiResult<Response> {
    let format = StatementFormat::parse(q.format.as_deref())?;
    let (account, organization, family) = who(&me);
    let who = StatementFor { account: &account, organization, family };
    let r = statements::ledger(&app, &who, me.options.allow_ledger_report, q.location_id.as_deref(), q.from.as_deref(), q.to.as_deref()).await?;
    match format {
        StatementFormat::Html => page(200, &StatementPage::ledger(&me.org.slug, &r)),
        StatementFormat::Csv => download(&ledger_csv(&r)?, "text/csv; charset=utf-8", "ledger", &r.heading.date, "csv"),
        StatementFormat::Pdf => download(&pdf::render(&ledger_pdf(&r)), "application/pdf", "ledger", &r.heading.date, "pdf"),
    }
}

fn download(body: &[u8], content_type: &str, name: &str, date: &str, extension: &str) -> ApiResult<Response> {
    let disposition = format!("attachment; filename=\"{name}-{date}.{extension}\"");
    with_headers(200, body, &[("content-type", content_type), ("content-disposition", &disposition), ("cache-control", "no-store")])
}

// ---------------------------------------------------------------------------------------------
// The printable page.

#[derive(Template)]
#[template(path = "portal/statement.html")]
struct StatementPage<'a> {
    stylesheet: String,
    org: &'a str,
    title: &'static str,
    heading: &'a StatementHeading,
    /// The ledger report's range, as it reads.
    period: Option<String>,
    lines: &'a [StatementLine],
    /// The outstanding statement lists what is left of each charge beside its amount.
    outstanding: bool,
    totals: Vec<(&'static str, Money)>,
}

impl<'a> StatementPage<'a> {
    fn outstanding(org: &'a str, s: &'a OutstandingStatement) -> Self {
        StatementPage {
            stylesheet: STYLESHEET.url("portal"),
            org,
            title: OUTSTANDING_TITLE,
            heading: &s.heading,
            period: None,
            lines: &s.lines,
            outstanding: true,
            totals: vec![("Total outstanding", s.total)],
        }
    }

    fn ledger(org: &'a str, r: &'a LedgerReport) -> Self {
        StatementPage {
            stylesheet: STYLESHEET.url("portal"),
            org,
            title: LEDGER_TITLE,
            heading: &r.heading,
            period: Some(period(r)),
            lines: &r.lines,
            outstanding: false,
            totals: r.total_lines().to_vec(),
        }
    }
}

const OUTSTANDING_TITLE: &str = "Statement of outstanding charges";
const LEDGER_TITLE: &str = "Ledger";

fn period(r: &LedgerReport) -> String {
    if r.full_history {
        format!("From {} to {}", r.from, r.to)
    } else {
        format!("The last 30 days ({} to {})", r.from, r.to)
    }
}

// ---------------------------------------------------------------------------------------------
// CSV and PDF.

fn csv_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("the statement could not be written as CSV: {e}"))
}

fn outstanding_csv(s: &OutstandingStatement) -> ApiResult<Vec<u8>> {
    let rows = s.lines.iter().map(|l| [l.date.clone(), l.kind.to_string(), l.description.clone(), decimal(l.amount.0), decimal(l.outstanding.0)]);
    let total = [s.heading.date.clone(), "Total outstanding".to_string(), String::new(), String::new(), decimal(s.total.0)];
    write_csv(["Date", "Type", "Description", "Amount", "Outstanding"], rows.chain([total])).map_err(csv_error)
}

fn ledger_csv(r: &LedgerReport) -> ApiResult<Vec<u8>> {
    let rows = r.lines.iter().map(|l| [l.date.clone(), l.kind.to_string(), l.description.clone(), decimal(l.amount.0)]);
    let totals = r.total_lines().map(|(label, amount)| [r.to.clone(), "Total".to_string(), label.to_string(), decimal(amount.0)]);
    write_csv(["Date", "Type", "Description", "Amount"], rows.chain(totals)).map_err(csv_error)
}

fn heading_lines(h: &StatementHeading, period: Option<String>) -> Vec<String> {
    let mut lines = vec![h.organization.clone(), format!("Family: {}", h.family), format!("Location: {}", h.location), format!("Date: {}", h.date)];
    lines.extend(period);
    lines
}

const OUTSTANDING_COLUMNS: [Column; 5] = [
    Column { title: "Date", width: 62.0, right: false },
    Column { title: "Type", width: 70.0, right: false },
    Column { title: "Description", width: 231.0, right: false },
    Column { title: "Amount", width: 80.0, right: true },
    Column { title: "Outstanding", width: 80.0, right: true },
];
const LEDGER_COLUMNS: [Column; 4] = [
    Column { title: "Date", width: 62.0, right: false },
    Column { title: "Type", width: 80.0, right: false },
    Column { title: "Description", width: 301.0, right: false },
    Column { title: "Amount", width: 80.0, right: true },
];

fn outstanding_pdf(s: &OutstandingStatement) -> PdfTable<'_> {
    PdfTable {
        title: OUTSTANDING_TITLE,
        heading: heading_lines(&s.heading, None),
        columns: &OUTSTANDING_COLUMNS,
        rows: s.lines.iter().map(|l| vec![l.date.clone(), l.kind.to_string(), l.description.clone(), l.amount.to_string(), l.outstanding.to_string()]).collect(),
        totals: vec![("Total outstanding".to_string(), s.total.to_string())],
    }
}

fn ledger_pdf(r: &LedgerReport) -> PdfTable<'_> {
    PdfTable {
        title: LEDGER_TITLE,
        heading: heading_lines(&r.heading, Some(period(r))),
        columns: &LEDGER_COLUMNS,
        rows: r.lines.iter().map(|l| vec![l.date.clone(), l.kind.to_string(), l.description.clone(), l.amount.to_string()]).collect(),
        totals: r.total_lines().iter().map(|(label, amount)| (label.to_string(), amount.to_string())).collect(),
    }
}
