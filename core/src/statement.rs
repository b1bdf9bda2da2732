//! Statements for a location (My Account, Transaction History): **Generate Statement for This
//! Location** (the charges still outstanding today) and **Generate Ledger for This Location**
//! (every entry in a range, under the history's 30-day / full-history rule). A statement sums the
//! ledger the way the balance does (`credit::LedgerSums`): charges and refunds are owed, payments
//! and applied credit lower it, a credit waits until applied.

use crate::bulk::neutralise;
use crate::payments::{history_window, EntryKind, HistoryWindow, PaymentError};
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("This organization does not offer statements in the Customer Portal.")]
    StatementsDisabled,
    #[error("This organization does not offer ledger reports in the Customer Portal.")]
    LedgerReportDisabled,
    /// A range asked for where the viewer sees only the last 30 days.
    #[error("Only the last 30 days can be shown here: leave {field} out.")]
    RangeNotAllowed { field: &'static str },
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
}

/// One ledger entry of the location, as the statement reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementEntry {
    pub at: Timestamp,
    pub kind: EntryKind,
    pub amount_cents: i64,
    pub description: String,
}

/// A charge (or refund) not yet covered by the location's payments and applied credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutstandingCharge {
    pub entry: StatementEntry,
    /// What is left of it: its amount, or less where a payment covered part of it.
    pub outstanding_cents: i64,
}

/// Generate Statement for This Location: the outstanding charges, oldest first, and their total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outstanding {
    pub charges: Vec<OutstandingCharge>,
    pub total_cents: i64,
}

/// The location's outstanding charges: its payments and applied credit cover its charges oldest
/// first (the usual way an account is settled), and what is left is listed. The total equals the
/// location's charges and refunds less its payments and applied credit (never below zero).
pub fn outstanding(entries: &[StatementEntry]) -> Outstanding {
    let mut covering: i64 = entries
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::Payment | EntryKind::CreditApplied))
        .map(|e| e.amount_cents)
        .sum();
    let mut owed: Vec<&StatementEntry> = entries.iter().filter(|e| matches!(e.kind, EntryKind::Charge | EntryKind::Refund)).collect();
    owed.sort_by_key(|e| e.at);
    let mut charges = Vec::new();
    for e in owed {
        let covered = covering.min(e.amount_cents);
        covering -= covered;
        if e.amount_cents > covered {
            charges.push(OutstandingCharge { entry: e.clone(), outstanding_cents: e.amount_cents - covered });
        }
    }
    let total_cents = charges.iter().map(|c| c.outstanding_cents).sum();
    Outstanding { charges, total_cents }
}

/// Generate Ledger for This Location: each kind's sum over the range, and what the range owes
/// (charges and refunds less payments and applied credit; negative when it paid more).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerTotals {
    pub charges_cents: i64,
    pub payments_cents: i64,
    pub refunds_cents: i64,
    pub credits_cents: i64,
    pub credits_applied_cents: i64,
    pub net_cents: i64,
}

pub fn ledger_totals(entries: &[StatementEntry]) -> LedgerTotals {
    let mut t = LedgerTotals::default();
    for e in entries {
        let sum = match e.kind {
            EntryKind::Charge => &mut t.charges_cents,
            EntryKind::Payment => &mut t.payments_cents,
            EntryKind::Refund => &mut t.refunds_cents,
            EntryKind::Credit => &mut t.credits_cents,
            EntryKind::CreditApplied => &mut t.credits_applied_cents,
        };
        *sum += e.amount_cents;
    }
    t.net_cents = t.charges_cents + t.refunds_cents - t.payments_cents - t.credits_applied_cents;
    t
}

/// The ledger report's range under Transaction History's rule: where the organization shows the
/// full history and the viewer may see it, `from`/`to` (`YYYY-MM-DD`, default: everything up to
/// now); otherwise the last 30 days, and a range asked for is refused rather than silently cut.
pub fn ledger_range(
    org_shows_full_ledger: bool,
    viewer_may_see_full: bool,
    from: Option<&str>,
    to: Option<&str>,
    now: Timestamp,
) -> Result<HistoryWindow, StatementError> {
    let window = history_window(org_shows_full_ledger, viewer_may_see_full, from, to, now).map_err(|e| match e {
        PaymentError::Invalid { field, message } => StatementError::Invalid { field, message },
        other => StatementError::Invalid { field: "from", message: other.to_string() },
    })?;
    if !window.full_history {
        let given = |v: Option<&str>| v.is_some_and(|s| !s.is_empty());
        if given(from) {
            return Err(StatementError::RangeNotAllowed { field: "from" });
        }
        if given(to) {
            return Err(StatementError::RangeNotAllowed { field: "to" });
        }
    }
    Ok(window)
}

/// How a statement is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementFormat {
    Html,
    Csv,
    Pdf,
}

impl StatementFormat {
    /// `html` (the default), `csv` or `pdf`.
    pub fn parse(s: Option<&str>) -> Result<Self, StatementError> {
        match s.unwrap_or("") {
            "" | "html" => Ok(StatementFormat::Html),
            "csv" => Ok(StatementFormat::Csv),
            "pdf" => Ok(StatementFormat::Pdf),
            _ => Err(StatementError::Invalid { field: "format", message: "format must be html, csv or pdf.".into() }),
        }
    }
}

/// An entry kind as the ledger stores it (`charge`, `payment`, ...).
pub fn entry_kind(stored: &str) -> Option<EntryKind> {
    [EntryKind::Charge, EntryKind::Payment, EntryKind::Refund, EntryKind::Credit, EntryKind::CreditApplied].into_iter().find(|k| k.as_str() == stored)
}

/// `47.50`, `-12.00`: an amount as a CSV cell (no currency sign or separators, two places).
pub fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// "Charge", "Payment", "Credit applied": an entry's type in the history's words.
pub fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Charge => "Charge",
        EntryKind::Payment => "Payment",
        EntryKind::Refund => "Refund",
        EntryKind::Credit => "Credit",
        EntryKind::CreditApplied => "Credit applied",
    }
}

/// A statement as CSV: a header row, then each line, every cell made formula-safe the way the
/// contacts report does it (`bulk::neutralise`).
pub fn write_csv<const N: usize>(header: [&str; N], rows: impl IntoIterator<Item = [String; N]>) -> Result<Vec<u8>, csv::Error> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(header.map(neutralise).iter().map(|c| c.as_bytes()))?;
    for row in rows {
        csv.write_record(row.iter().map(|c| neutralise(c)).collect::<Vec<_>>().iter().map(|c| c.as_bytes()))?;
    }
    csv.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(day: i64, kind: EntryKind, amount_cents: i64) -> StatementEntry {
        StatementEntry { at: Timestamp(day * 86_400_000), kind, amount_cents, description: format!("{} {day}", kind.as_str()) }
    }

    #[test]
    fn payments_cover_the_oldest_charges_first_and_the_rest_is_outstanding() {
        let o = outstanding(&[
            entry(3, EntryKind::Charge, 4750),
            entry(1, EntryKind::Charge, 3000),
            entry(2, EntryKind::Payment, 4000),
            entry(4, EntryKind::Charge, 1000),
        ]);
        let left: Vec<(i64, i64)> = o.charges.iter().map(|c| (c.entry.amount_cents, c.outstanding_cents)).collect();
        assert_eq!(left, vec![(4750, 3750), (1000, 1000)]);
        assert_eq!(o.total_cents, 4750);
    }

    #[test]
    fn applied_credit_lowers_the_statement_and_a_credit_waiting_does_not() {
        let o = outstanding(&[entry(1, EntryKind::Charge, 5000), entry(2, EntryKind::Credit, 2000)]);
        assert_eq!(o.total_cents, 5000);
        let o = outstanding(&[entry(1, EntryKind::Charge, 5000), entry(2, EntryKind::Credit, 2000), entry(3, EntryKind::CreditApplied, 2000)]);
        assert_eq!(o.total_cents, 3000);
    }

    #[test]
    fn the_statement_total_is_the_balance_of_the_same_entries() {
        let entries = [
            entry(1, EntryKind::Charge, 12_345),
            entry(2, EntryKind::Refund, 500),
            entry(3, EntryKind::Payment, 2_000),
            entry(4, EntryKind::Credit, 1_000),
            entry(5, EntryKind::CreditApplied, 700),
        ];
        let t = ledger_totals(&entries);
        assert_eq!(outstanding(&entries).total_cents, t.net_cents);
        assert_eq!(t, LedgerTotals { charges_cents: 12_345, payments_cents: 2_000, refunds_cents: 500, credits_cents: 1_000, credits_applied_cents: 700, net_cents: 10_145 });
    }

    #[test]
    fn an_overpaid_location_has_nothing_outstanding() {
        let o = outstanding(&[entry(1, EntryKind::Charge, 1000), entry(2, EntryKind::Payment, 1500)]);
        assert_eq!((o.charges.len(), o.total_cents), (0, 0));
        assert_eq!(ledger_totals(&[entry(1, EntryKind::Charge, 1000), entry(2, EntryKind::Payment, 1500)]).net_cents, -500);
    }

    #[test]
    fn the_ledger_range_follows_the_transaction_history_rule() {
        let now = Timestamp::parse_rfc3339("2026-03-15T12:00:00Z").unwrap();
        let last_30 = ledger_range(false, true, None, None, now).unwrap();
        assert_eq!((last_30.from, last_30.to, last_30.full_history), (now.plus_hours(-24 * 30), now, false));
        assert_eq!(ledger_range(false, true, Some("2026-01-01"), None, now), Err(StatementError::RangeNotAllowed { field: "from" }));
        assert_eq!(ledger_range(true, false, None, Some("2026-03-01"), now), Err(StatementError::RangeNotAllowed { field: "to" }));
        let full = ledger_range(true, true, Some("2026-01-01"), Some("2026-01-31"), now).unwrap();
        assert_eq!(full.from, Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap());
        assert_eq!(full.to, Timestamp::parse_rfc3339("2026-01-31T23:59:59.999Z").unwrap());
        assert!(matches!(ledger_range(true, true, Some("2026-02-30"), None, now), Err(StatementError::Invalid { field: "from", .. })));
        assert!(matches!(ledger_range(true, true, Some("2026-02-01"), Some("2026-01-01"), now), Err(StatementError::Invalid { .. })));
    }

    #[test]
    fn amounts_in_a_csv_have_two_decimal_places() {
        assert_eq!(decimal(4750), "47.50");
        assert_eq!(decimal(5), "0.05");
        assert_eq!(decimal(-1200), "-12.00");
        assert_eq!(decimal(123_456_789), "1234567.89");
    }

    #[test]
    fn csv_cells_a_spreadsheet_would_run_are_neutralised() {
        let csv = write_csv(["Date", "Description", "Amount"], [["2026-03-01".to_string(), "=HYPERLINK(\"x\")".to_string(), decimal(-4750)]]).unwrap();
        assert_eq!(String::from_utf8(csv).unwrap(), "Date,Description,Amount\n2026-03-01,\"'=HYPERLINK(\"\"x\"\")\",'-47.50\n");
    }

    #[test]
    fn the_format_is_html_unless_csv_or_pdf_is_asked_for() {
        assert_eq!(StatementFormat::parse(None), Ok(StatementFormat::Html));
        assert_eq!(StatementFormat::parse(Some("pdf")), Ok(StatementFormat::Pdf));
        assert!(StatementFormat::parse(Some("xlsx")).is_err());
    }
}
