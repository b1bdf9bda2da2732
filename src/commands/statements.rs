//! Generate Statement for This Location and Generate Ledger for This Location: the location's
//! ledger entries, summed by `portal_core::statement`, as views the HTML page, the CSV and the PDF
//! all read.

use crate::app::App;
use crate::context::Account;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::enrollments::find_location;
use crate::store::statements::{location_entries, StatementRow};
use portal_core::payments::Money;
use portal_core::statement::{self, entry_kind, kind_name, ledger_range, LedgerTotals, StatementEntry, StatementError};
use portal_core::time::Timestamp;

/// What the ledger report is titled for entries recorded against no location.
pub const NO_LOCATION: &str = "Entries without a location";

fn day(t: Timestamp) -> String {
    t.to_datetime().format("%Y-%m-%d").to_string()
}

/// Who the statement is for, as its heading says.
pub struct StatementHeading {
    pub organization: String,
    pub family: String,
    pub location: String,
    /// Today, the day the statement was made.
    pub date: String,
}

/// One line of a statement.
pub struct StatementLine {
    pub date: String,
    pub kind: &'static str,
    pub description: String,
    pub amount: Money,
    /// What is left of a charge (the outstanding statement), else the amount.
    pub outstanding: Money,
}

impl StatementLine {
    fn new(e: &StatementEntry, outstanding_cents: i64) -> Self {
        StatementLine {
            date: day(e.at),
            kind: kind_name(e.kind),
            description: e.description.clone(),
            amount: Money(e.amount_cents),
            outstanding: Money(outstanding_cents),
        }
    }
}

/// Generate Statement for This Location.
pub struct OutstandingStatement {
    pub heading: StatementHeading,
    pub lines: Vec<StatementLine>,
    pub total: Money,
}

/// Generate Ledger for This Location.
pub struct LedgerReport {
    pub heading: StatementHeading,
    pub from: String,
    pub to: String,
    /// The range was the viewer's to choose (else the last 30 days).
    pub full_history: bool,
    pub lines: Vec<StatementLine>,
    pub totals: LedgerTotals,
}

impl LedgerReport {
    /// The totals as (label, amount), in the order the report prints them.
    pub fn total_lines(&self) -> [(&'static str, Money); 6] {
        let t = &self.totals;
        [
            ("Charges", Money(t.charges_cents)),
            ("Payments", Money(t.payments_cents)),
            ("Refunds", Money(t.refunds_cents)),
            ("Credits", Money(t.credits_cents)),
            ("Credits applied", Money(t.credits_applied_cents)),
            ("Balance for the period", Money(t.net_cents)),
        ]
    }
}

/// The organization and family a statement is made for.
pub struct StatementFor<'a> {
    pub account: &'a Account<'a>,
    pub organization: &'a str,
    pub family: &'a str,
}

async fn heading(app: &App, who: &StatementFor<'_>, location_id: Option<&str>) -> ApiResult<StatementHeading> {
    let location = match location_id {
        Some(id) => find_location(&app.db, who.account.org_id, id)
            .await?
            .ok_or_else(|| ApiError::not_found(ErrorCode::LocationNotFound, "There is no such location in this organization."))?
            .name,
        None => NO_LOCATION.to_string(),
    };
    Ok(StatementHeading { organization: who.organization.to_string(), family: who.family.to_string(), location, date: day(app.now()) })
}

async fn entries(app: &App, who: &StatementFor<'_>, location_id: Option<&str>, from: Timestamp, to: Timestamp) -> ApiResult<Vec<StatementEntry>> {
    let rows = location_entries(&app.db, who.account.family_id, location_id, from.millis(), to.millis()).await?;
    Ok(rows.into_iter().filter_map(entry).collect())
}

fn entry(r: StatementRow) -> Option<StatementEntry> {
    Some(StatementEntry { kind: entry_kind(&r.kind)?, amount_cents: r.amount_cents, description: r.description, at: Timestamp(r.at) })
}

/// The charges of `location_id` still outstanding today (`allowed`: the organization's
/// `allow_statements`).
pub async fn outstanding(app: &App, who: &StatementFor<'_>, allowed: bool, location_id: Option<&str>) -> ApiResult<OutstandingStatement> {
    if !allowed {
        return Err(StatementError::StatementsDisabled.into());
    }
    let location_id = location_id.filter(|l| !l.is_empty()).ok_or_else(|| ApiError::invalid_field("location_id", "Choose a location."))?;
    let heading = heading(app, who, Some(location_id)).await?;
    let all = entries(app, who, Some(location_id), Timestamp(0), app.now()).await?;
    let o = statement::outstanding(&all);
    Ok(OutstandingStatement {
        heading,
        lines: o.charges.iter().map(|c| StatementLine::new(&c.entry, c.outstanding_cents)).collect(),
        total: Money(o.total_cents),
    })
}

/// Every entry of `location_id` (`None`: of no location) in the range the viewer may see
/// (`allowed`: the organization's `allow_ledger_report`).
pub async fn ledger(
    app: &App,
    who: &StatementFor<'_>,
    allowed: bool,
    location_id: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> ApiResult<LedgerReport> {
    if !allowed {
        return Err(StatementError::LedgerReportDisabled.into());
    }
    let account = who.account;
    let viewer_may = account.payer.is_primary || account.can_view_full_ledger;
    let window = ledger_range(account.settings.show_full_ledger_history, viewer_may, from, to, app.now())?;
    let location_id = location_id.filter(|l| !l.is_empty());
    let heading = heading(app, who, location_id).await?;
    let all = entries(app, who, location_id, window.from, window.to).await?;
    Ok(LedgerReport {
        heading,
        from: day(window.from),
        to: day(window.to),
        full_history: window.full_history,
        totals: statement::ledger_totals(&all),
        lines: all.iter().map(|e| StatementLine::new(e, e.amount_cents)).collect(),
    })
}

/// What My Account's Transaction History offers: Generate Statement / Ledger for This Location,
/// each where the organization allows it, for the location the family chose.
pub struct StatementOffer {
    pub statements: bool,
    pub ledger: bool,
    pub location_id: Option<String>,
    /// The ledger's range is the viewer's to choose (else the last 30 days).
    pub full_history: bool,
}

impl StatementOffer {
    pub fn new(allow_statements: bool, allow_ledger_report: bool, location_id: Option<String>, account: &Account<'_>) -> Self {
        StatementOffer {
            statements: allow_statements,
            ledger: allow_ledger_report,
            location_id,
            full_history: account.settings.show_full_ledger_history && (account.payer.is_primary || account.can_view_full_ledger),
        }
    }

    pub fn any(&self) -> bool {
        self.statements || self.ledger
    }
}
