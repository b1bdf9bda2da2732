//! Bulk portal access (the CRM CSV round trip): the contacts report's columns, reading an edited
//! report back ("update matching data"), and what each row asks for.

use serde::{Deserialize, Serialize};

/// Larger uploads are refused with 413 before they are read.
pub const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;
/// Rows past this many are refused with 413, before anything changes.
pub const MAX_IMPORT_ROWS: usize = 20_000;

pub const CONTACT_ID: &str = "ContactId";
pub const CUSTOMER_ID: &str = "CustomerId";
pub const FIRST_NAME: &str = "First Name";
pub const LAST_NAME: &str = "Last Name";
pub const CUSTOMER_NAME: &str = "Customer Name";
pub const HAS_ACCESS: &str = "Has Access To Portal";
/// The report's header row, in order.
pub const REPORT_COLUMNS: [&str; 6] = [CONTACT_ID, CUSTOMER_ID, FIRST_NAME, LAST_NAME, CUSTOMER_NAME, HAS_ACCESS];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("The file is not UTF-8 text (line {0}). Save it as \"CSV UTF-8\" and upload it again.")]
    NotUtf8(u64),
    #[error("The file is empty: it needs the report's header row and at least one contact.")]
    Empty,
    #[error("Line {line} is not valid CSV: {message}")]
    Malformed { line: u64, message: String },
    #[error("Unknown column \"{0}\". The columns are: ContactId, CustomerId, First Name, Last Name, Customer Name, Has Access To Portal.")]
    UnknownColumn(String),
    #[error("The column {0} is missing; ContactId, CustomerId and Has Access To Portal are required.")]
    MissingColumn(&'static str),
    #[error("The column {0} appears twice.")]
    DuplicateColumn(&'static str),
    #[error("The file has more than {MAX_IMPORT_ROWS} rows; split it into smaller files.")]
    TooManyRows,
}

/// One line of the contacts report.
pub struct ReportLine<'a> {
    pub contact_id: &'a str,
    pub customer_id: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub customer_name: &'a str,
    pub has_access: bool,
}

/// A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV Injection": `=`,
/// `+`, `-`, `@`, tab, carriage return; ASVS 1.2.10 adds NUL).
const FORMULA_STARTS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\0'];

/// A cell as the report writes it: one a spreadsheet would run as a formula (a guardian named
/// `=HYPERLINK(...)`) gets a leading `'`, so the spreadsheet shows it as text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// A cell as the import reads it: the inverse of `neutralise`, so that what the report wrote
/// reads back as the value it was.
fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(value) if value.starts_with(FORMULA_STARTS) => value,
        _ => cell,
    }
}

/// The contacts report as CSV (RFC 4180 quoting, UTF-8, a header row, `\n` line ends), every cell
/// neutralised against formula injection.
pub fn write_report<'a>(lines: impl IntoIterator<Item = ReportLine<'a>>) -> Result<Vec<u8>, csv::Error> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(REPORT_COLUMNS)?;
    for l in lines {
        let access = if l.has_access { "Yes" } else { "No" };
        let cells = [l.contact_id, l.customer_id, l.first_name, l.last_name, l.customer_name, access];
        csv.write_record(cells.map(neutralise).iter().map(|c| c.as_bytes()))?;
    }
    csv.into_inner().map_err(|e| e.into_error().into())
}

/// One contact line of an import, as written in the file (values are checked row by row, so one
/// bad row does not stop the others).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    pub line: u64,
    pub contact_id: String,
    pub customer_id: String,
    pub has_access: String,
}

/// A header cell as the report names it, whatever its case, spacing or punctuation; the Striven
/// export's own names ("Customer: CustomerId", "Customer: Name") are understood too.
fn column(cell: &str) -> Option<&'static str> {
    let key: String = cell.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    match key.as_str() {
        "contactid" => Some(CONTACT_ID),
        "customerid" | "customercustomerid" => Some(CUSTOMER_ID),
        "firstname" => Some(FIRST_NAME),
        "lastname" => Some(LAST_NAME),
        "customername" => Some(CUSTOMER_NAME),
        "hasaccesstoportal" => Some(HAS_ACCESS),
        _ => None,
    }
}

/// Line numbers as a text editor shows them: a line ends with `\n`, `\r\n` or a lone `\r` (the
/// line ends the CSV reader accepts; it counts only `\n`, and puts the `\n` of a `\r\n` and any
/// blank lines at the start of the next record). Counts forward: offsets must not go back.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter { text, offset: 0, line: 1 }
    }

    /// The line of the byte at `offset`.
    fn line_at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.text.len());
        debug_assert!(offset >= self.offset, "line numbers are counted forward");
        for i in self.offset..offset {
            let b = self.text[i];
            if b == b'\n' || (b == b'\r' && self.text.get(i + 1) != Some(&b'\n')) {
                self.line += 1;
            }
        }
        self.offset = self.offset.max(offset);
        self.line
    }

    /// The line of a record the reader started at `offset`: that of its first byte that is not a
    /// line end.
    fn record_line(&mut self, offset: u64) -> u64 {
        let offset = usize::try_from(offset).unwrap_or(usize::MAX).min(self.text.len());
        let skipped = self.text[offset..].iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
        self.line_at(offset + skipped)
    }
}

/// Refuses the broken quoting the `csv` crate reads leniently: text after a closing quote
/// (`"gdn_1"x` would be read as `gdn_1x`) and a quote never closed (its value would swallow the
/// rest of the file). Spaces and tabs after a closing quote are fine (values are trimmed); a quote
/// inside an unquoted value is read as itself, as spreadsheets do.
fn check_quoting(text: &str) -> Result<(), ImportError> {
    #[derive(Clone, Copy)]
    enum State {
        FieldStart,
        Unquoted,
        /// Inside a quoted value that opened at this offset.
        Quoted(usize),
        /// A quote inside a quoted value: the closing one, or the first of a doubled `""`.
        QuoteInQuoted(usize),
        /// Spaces or tabs after a closing quote.
        AfterClosed(usize),
    }
    use State::*;
    let bytes = text.as_bytes();
    let mut state = FieldStart;
    for (i, &b) in bytes.iter().enumerate() {
        state = match (state, b) {
            (Quoted(open), b'"') => QuoteInQuoted(open),
            (Quoted(open), _) => Quoted(open),
            (QuoteInQuoted(open), b'"') => Quoted(open),
            (FieldStart, b'"') => Quoted(i),
            (_, b',' | b'\r' | b'\n') => FieldStart,
            (QuoteInQuoted(open) | AfterClosed(open), b' ' | b'\t') => AfterClosed(open),
            (QuoteInQuoted(open) | AfterClosed(open), _) => {
                let mut lines = LineCounter::new(bytes);
                let (opened, line) = (lines.line_at(open), lines.line_at(i));
                let found: String = text[i..].chars().take(12).take_while(|c| !matches!(c, ',' | '\r' | '\n')).collect();
                let from = if opened == line { String::new() } else { format!(" (the quoted value starts on line {opened})") };
                let message = format!(
                    "there is text after a closing quote{from}: \"{found}\". A quoted value ends at a comma or the end of the line, and a quote inside it is written twice (\"\")."
                );
                return Err(ImportError::Malformed { line, message });
            }
            (FieldStart | Unquoted, _) => Unquoted,
        };
    }
    if let Quoted(open) = state {
        let line = LineCounter::new(bytes).line_at(open);
        let message = "a quote opened on this line is never closed, so the rest of the file would be read as one value.".into();
        return Err(ImportError::Malformed { line, message });
    }
    Ok(())
}

/// Reads an edited contacts report. File-level problems (encoding, CSV syntax, columns, size)
/// refuse the whole file; row values are left for `plan_row`.
pub fn parse_import(bytes: &[u8]) -> Result<Vec<ImportRow>, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ImportError::NotUtf8(LineCounter::new(bytes).line_at(e.valid_up_to())))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text); // spreadsheets write a byte-order mark
    check_quoting(text)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let malformed = |e: csv::Error| {
        let line = e.position().map_or(1, |p| LineCounter::new(text.as_bytes()).record_line(p.byte()));
        let message = match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                format!("it has {len} fields where the header has {expected_len} (an unbalanced quote can cause this)")
            }
            _ => e.to_string(),
        };
        ImportError::Malformed { line, message }
    };
    let header = reader.headers().map_err(malformed)?.clone();
    if header.iter().all(|c| c.trim().is_empty()) {
        return Err(ImportError::Empty);
    }
    let mut index = std::collections::HashMap::new();
    for (i, cell) in header.iter().enumerate() {
        let name = column(cell).ok_or_else(|| ImportError::UnknownColumn(cell.trim().to_string()))?;
        if index.insert(name, i).is_some() {
            return Err(ImportError::DuplicateColumn(name));
        }
    }
    let at = |name: &'static str| index.get(name).copied().ok_or(ImportError::MissingColumn(name));
    let (contact, customer, access) = (at(CONTACT_ID)?, at(CUSTOMER_ID)?, at(HAS_ACCESS)?);

    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(text.as_bytes());
    while reader.read_record(&mut record).map_err(malformed)? {
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(ImportError::TooManyRows);
        }
        let get = |i: usize| unneutralise(record.get(i).unwrap_or_default().trim()).trim().to_string();
        rows.push(ImportRow {
            line: record.position().map_or(0, |p| lines.record_line(p.byte())),
            contact_id: get(contact),
            customer_id: get(customer),
            has_access: get(access),
        });
    }
    if rows.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(rows)
}

/// A contact as the import sees it.
#[derive(Debug, Clone)]
pub struct ContactFacts {
    pub family_id: String,
    pub is_primary: bool,
    /// Can log in, or holds a live invitation: what the report shows as "Yes".
    pub has_access: bool,
    pub has_email: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowPlan {
    Unchanged,
    /// Yes → No: revoke the login or pending invitation, with all its consequences.
    Revoke,
    /// No → Yes for a primary guardian: send an invitation.
    Invite,
}

impl RowPlan {
    /// The action an import's result names: `revoke` or `invite` (none when nothing changes).
    pub fn action(self) -> Option<&'static str> {
        match self {
            RowPlan::Unchanged => None,
            RowPlan::Revoke => Some("revoke"),
            RowPlan::Invite => Some("invite"),
        }
    }
}

/// "Yes" or "No", as a spreadsheet may spell them.
pub fn parse_yes_no(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" => Some(true),
        "no" | "n" | "false" => Some(false),
        _ => None,
    }
}

/// What one row asks for, or why it cannot be applied. `contact` is `None` when the ContactId is
/// not a contact of this organization (another organization's ids included).
pub fn plan_row(row: &ImportRow, contact: Option<&ContactFacts>) -> Result<RowPlan, String> {
    if row.contact_id.is_empty() {
        return Err("ContactId is empty.".into());
    }
    let wants = parse_yes_no(&row.has_access)
        .ok_or_else(|| format!("Has Access To Portal must be Yes or No, not \"{}\".", row.has_access))?;
    let Some(c) = contact else {
        return Err(format!("There is no contact {} in this organization.", row.contact_id));
    };
    if c.family_id != row.customer_id {
        return Err(format!(
            "Contact {} belongs to customer {}, not {}.",
            row.contact_id, c.family_id, row.customer_id
        ));
    }
    match (c.has_access, wants) {
        (a, w) if a == w => Ok(RowPlan::Unchanged),
        (true, false) => Ok(RowPlan::Revoke),
        _ if !c.is_primary => Err(
            "Staff cannot give a secondary guardian access: only the family's Primary Guardian can invite them."
                .into(),
        ),
        _ if !c.has_email => Err("This primary guardian has no e-mail address to send the invitation to.".into()),
        _ => Ok(RowPlan::Invite),
    }
}

/// Rows of `rows` whose ContactId already appeared earlier in the file: each gets a row error.
pub fn repeated_contacts(rows: &[ImportRow]) -> std::collections::HashSet<u64> {
    let mut seen = std::collections::HashSet::new();
    rows.iter()
        .filter(|r| !r.contact_id.is_empty() && !seen.insert(r.contact_id.as_str()))
        .map(|r| r.line)
        .collect()
}

/// One change a dry run listed, as its apply carries it out: the file's line, the contact, and
/// what the dry run planned for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedChange {
    pub line: u64,
    pub contact_id: String,
    pub plan: RowPlan,
}

/// A job as applying it as a dry run needs to know it.
pub struct DryRunFacts<'a> {
    pub dry_run: bool,
    /// `queued`, `running`, `done` or `failed`.
    pub status: &'a str,
    /// The job that applied it already, if one did.
    pub applied_by: Option<&'a str>,
}

/// Why a dry run cannot be applied (Finish on the confirmation page).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("This import is not a dry run: its changes were applied as it ran.")]
    NotDryRun,
    #[error("This dry run has not finished yet: wait until it is done, then apply it.")]
    NotFinished,
    #[error("This dry run failed before it finished, so it does not list every change: run the import again.")]
    Failed,
    #[error("This dry run has already been applied (import {0}).")]
    AlreadyApplied(String),
    #[error("{}", stale_message(*.count, .contacts))]
    Stale { count: usize, contacts: Vec<String> },
}

/// How many changed contacts a stale refusal names.
pub const STALE_NAMED: usize = 5;

fn stale_message(count: usize, contacts: &[String]) -> String {
    let named = contacts.join(", ");
    let more = if count > contacts.len() { format!(" and {} more", count - contacts.len()) } else { String::new() };
    let (who, have) = if count == 1 { ("contact", "has") } else { ("contacts", "have") };
    format!(
        "{count} {who} the dry run would change {have} changed since it ran (access, name, family or e-mail): {named}{more}. \
         Nothing was applied: run the import again to see what it would change now."
    )
}

/// The row error of an apply whose contact changed between the apply's start and its row.
pub const STALE_ROW: &str =
    "This contact changed after the dry run (access, name, family or e-mail), so this row was not applied: run the import again.";

/// Whether this job is a dry run that can be applied now (whether its contacts are still as it saw
/// them is asked of D1, in the apply's own batch).
pub fn may_apply(job: &DryRunFacts<'_>) -> Result<(), ApplyError> {
    if !job.dry_run {
        return Err(ApplyError::NotDryRun);
    }
    if let Some(by) = job.applied_by {
        return Err(ApplyError::AlreadyApplied(by.to_string()));
    }
    match job.status {
        "done" => Ok(()),
        "failed" => Err(ApplyError::Failed),
        _ => Err(ApplyError::NotFinished),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_report_ok<'a>(lines: impl IntoIterator<Item = ReportLine<'a>>) -> Vec<u8> {
        write_report(lines).expect("a report in memory")
    }

    fn facts(family: &str, primary: bool, access: bool) -> ContactFacts {
        ContactFacts { family_id: family.into(), is_primary: primary, has_access: access, has_email: true }
    }

    fn row(access: &str) -> ImportRow {
        ImportRow { line: 2, contact_id: "gdn_1".into(), customer_id: "fam_1".into(), has_access: access.into() }
    }

    #[test]
    fn reads_the_report_with_quotes_commas_newlines_and_a_bom() {
        let csv = "\u{feff}ContactId,CustomerId,First Name,Last Name,Customer Name,Has Access To Portal\n\
                   gdn_1,fam_1,\"Ann, Jr.\",\"O\"\"Neil\",\"Lee\nfamily\",Yes\n\
                   gdn_2,fam_1,Bob,Lee,Lee,No\n";
        let rows = parse_import(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], ImportRow { line: 2, contact_id: "gdn_1".into(), customer_id: "fam_1".into(), has_access: "Yes".into() });
        assert_eq!(rows[1].line, 4, "the quoted newline makes the second contact start on line 4");
    }

    #[test]
    fn the_report_quotes_what_needs_quoting_and_reads_back() {
        let line = ReportLine {
            contact_id: "gdn_1",
            customer_id: "fam_1",
            first_name: "Ann, Jr.",
            last_name: "O\"Neil",
            customer_name: "Lee\nfamily",
            has_access: true,
        };
        let second = ReportLine { contact_id: "gdn_2", customer_id: "fam_1", first_name: "Bob", last_name: "", customer_name: "a\rb", has_access: false };
        let csv = write_report_ok([line, second]);
        assert_eq!(
            String::from_utf8(csv.clone()).unwrap(),
            "ContactId,CustomerId,First Name,Last Name,Customer Name,Has Access To Portal\n\
             gdn_1,fam_1,\"Ann, Jr.\",\"O\"\"Neil\",\"Lee\nfamily\",Yes\n\
             gdn_2,fam_1,Bob,,\"a\rb\",No\n"
        );
        assert_eq!(parse_import(&csv).unwrap()[0].has_access, "Yes");
    }

    #[test]
    fn matches_columns_by_name_whatever_their_case_spacing_and_order() {
        let csv = "has access to portal, CONTACTID ,Customer: CustomerId\nNo,gdn_1,fam_1\n";
        let rows = parse_import(csv.as_bytes()).unwrap();
        assert_eq!((rows[0].contact_id.as_str(), rows[0].customer_id.as_str(), rows[0].has_access.as_str()), ("gdn_1", "fam_1", "No"));
    }

    #[test]
    fn refuses_unknown_missing_and_repeated_columns() {
        assert_eq!(parse_import(b"ContactId,CustomerId,Shoe Size,Has Access To Portal\n"), Err(ImportError::UnknownColumn("Shoe Size".into())));
        assert_eq!(parse_import(b"ContactId,Has Access To Portal\ngdn_1,No\n"), Err(ImportError::MissingColumn(CUSTOMER_ID)));
        assert_eq!(parse_import(b"ContactId,CustomerId,contact id,Has Access To Portal\n"), Err(ImportError::DuplicateColumn(CONTACT_ID)));
        assert_eq!(parse_import(b""), Err(ImportError::Empty));
        assert_eq!(parse_import(b"ContactId,CustomerId,Has Access To Portal\n"), Err(ImportError::Empty));
    }

    #[test]
    fn names_the_line_of_bad_encoding_and_broken_quoting() {
        let latin1 = b"ContactId,CustomerId,Has Access To Portal\ngdn_1,fam_1,Yes\ngdn_2,fam_1,\xe9\n";
        assert_eq!(parse_import(latin1), Err(ImportError::NotUtf8(3)));
        let unbalanced = "ContactId,CustomerId,Has Access To Portal\ngdn_1,fam_1,Yes\ngdn_2,\"fam_1,No\ngdn_3,fam_1,No\n";
        assert!(matches!(parse_import(unbalanced.as_bytes()), Err(ImportError::Malformed { line: 3, .. })), "{:?}", parse_import(unbalanced.as_bytes()));
        let short = "ContactId,CustomerId,Has Access To Portal\ngdn_1,fam_1\n";
        assert!(matches!(parse_import(short.as_bytes()), Err(ImportError::Malformed { line: 2, .. })));
    }

    #[test]
    fn the_report_neutralises_cells_a_spreadsheet_would_run_as_formulas() {
        let line = |id, first, last, customer| ReportLine {
            contact_id: id,
            customer_id: "fam_1",
            first_name: first,
            last_name: last,
            customer_name: customer,
            has_access: true,
        };
        let csv = write_report_ok([
            line("gdn_1", "=HYPERLINK(\"http://evil\",\"x\")", "+1", "-2+3"),
            line("gdn_2", "@SUM(1+1)", "\tTab", "\rReturn"),
            line("gdn_3", "Ann", "O'Neil", "'quoted"),
            line("gdn_4", "\0nul", "a=b", "x-y"),
        ]);
        assert_eq!(
            String::from_utf8(csv.clone()).unwrap(),
            "ContactId,CustomerId,First Name,Last Name,Customer Name,Has Access To Portal\n\
             gdn_1,fam_1,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",'+1,'-2+3,Yes\n\
             gdn_2,fam_1,'@SUM(1+1),'\tTab,\"'\rReturn\",Yes\n\
             gdn_3,fam_1,Ann,O'Neil,'quoted,Yes\n\
             gdn_4,fam_1,'\0nul,a=b,x-y,Yes\n"
        );
        // As a spreadsheet reads the file: no cell starts with a formula character.
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&csv[..]);
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\0']), "{cell:?}");
            }
        }
    }

    #[test]
    fn an_exported_report_imports_as_it_was_exported_whatever_the_names() {
        let names = ["=HYPERLINK(\"http://evil\",\"x\")", "+1", "-2+3", "@SUM(1+1)", "\tTab", "\rReturn", "'=x", "Ann"];
        let lines = names.iter().enumerate().map(|(i, n)| (format!("gdn_{i}"), n)).collect::<Vec<_>>();
        let csv = write_report_ok(lines.iter().map(|(id, n)| ReportLine {
            contact_id: id,
            customer_id: "fam_1",
            first_name: n,
            last_name: n,
            customer_name: n,
            has_access: id.ends_with('1'),
        }));
        let rows = parse_import(&csv).unwrap();
        assert_eq!(rows.len(), names.len());
        for (row, (id, _)) in rows.iter().zip(&lines) {
            assert_eq!((row.contact_id.as_str(), row.customer_id.as_str()), (id.as_str(), "fam_1"));
            assert_eq!(parse_yes_no(&row.has_access), Some(id.ends_with('1')));
            let facts = facts("fam_1", true, id.ends_with('1'));
            assert_eq!(plan_row(row, Some(&facts)), Ok(RowPlan::Unchanged), "{row:?}");
        }
        // The columns the import reads are read back as they were, even were they neutralised.
        let csv = write_report_ok([ReportLine { contact_id: "-1", customer_id: "=2", first_name: "", last_name: "", customer_name: "", has_access: false }]);
        let row = &parse_import(&csv).unwrap()[0];
        assert_eq!((row.contact_id.as_str(), row.customer_id.as_str(), row.has_access.as_str()), ("-1", "=2", "No"));
    }

    #[test]
    fn lines_are_numbered_as_an_editor_shows_them_whatever_the_line_ends() {
        let lines = |csv: &str| parse_import(csv.as_bytes()).unwrap().iter().map(|r| r.line).collect::<Vec<_>>();
        // Windows line ends (what Excel writes), a quoted line break included.
        assert_eq!(lines("ContactId,CustomerId,Has Access To Portal\r\ngdn_1,fam_1,Yes\r\ngdn_2,\"fam\r\n1\",No\r\ngdn_3,fam_1,No\r\n"), [2, 3, 5]);
        // Blank lines, which the reader skips.
        assert_eq!(lines("ContactId,CustomerId,Has Access To Portal\n\ngdn_1,fam_1,Yes\n\n\ngdn_2,fam_1,No\n"), [3, 6]);
        assert_eq!(lines("ContactId,CustomerId,Has Access To Portal\r\n\r\ngdn_1,fam_1,Yes\r\n"), [3]);
        // Old Mac line ends (a lone carriage return).
        assert_eq!(lines("ContactId,CustomerId,Has Access To Portal\rgdn_1,fam_1,Yes\rgdn_2,fam_1,No\r"), [2, 3]);
        // File-level errors name the same lines.
        let short = "ContactId,CustomerId,Has Access To Portal\r\ngdn_1,fam_1,Yes\r\n\r\ngdn_2,fam_1\r\n";
        assert!(matches!(parse_import(short.as_bytes()), Err(ImportError::Malformed { line: 4, .. })), "{:?}", parse_import(short.as_bytes()));
        assert_eq!(parse_import(b"ContactId,CustomerId,Has Access To Portal\r\ngdn_1,fam_1,Yes\rgdn_2,fam_1,\xe9\r\n"), Err(ImportError::NotUtf8(3)));
    }

    #[test]
    fn refuses_text_after_a_closing_quote_and_a_quote_never_closed() {
        const HEAD: &str = "ContactId,CustomerId,Has Access To Portal\n";
        let malformed = |body: &str| match parse_import(format!("{HEAD}{body}").as_bytes()) {
            Err(ImportError::Malformed { line, message }) => (line, message),
            other => panic!("{body:?} was read as {other:?}"),
        };
        let (line, message) = malformed("\"gdn_x\"x,fam,Yes\n");
        assert_eq!(line, 2);
        assert!(message.contains("after a closing quote"), "{message}");
        assert!(ImportError::Malformed { line, message }.to_string().starts_with("Line 2 "));
        // The line is the one the stray text is on, past quoted newlines; in any column.
        assert_eq!(malformed("gdn_1,\"fam\n1\",Yes\ngdn_2,fam_1,\"Yes\"No\n").0, 4);
        let (line, message) = malformed("gdn_1,\"fam\n1\"x,Yes\n");
        assert_eq!(line, 3);
        assert!(message.contains("starts on line 2") && message.contains("\"x\""), "{message}");
        assert_eq!(malformed("gdn_1,fam_1,\"Yes\" \"No\"\r\n").0, 2);
        // A quote that is never closed swallows the rest of the file: refused, at its line.
        let (line, message) = malformed("gdn_1,fam_1,No\ngdn_2,fam_1,\"Yes\ngdn_3,fam_1,No\n");
        assert_eq!(line, 3);
        assert!(message.contains("never closed"), "{message}");
        assert_eq!(malformed("gdn_1,fam_1,\"Yes").0, 2);
        // In the header too.
        assert!(matches!(parse_import(b"\"ContactId\"x,CustomerId,Has Access To Portal\ngdn_1,fam_1,No\n"), Err(ImportError::Malformed { line: 1, .. })));
    }

    #[test]
    fn well_formed_quoting_is_read_as_before() {
        let csv = "\"ContactId\",\"CustomerId\",\"Has Access To Portal\"\r\n\
                   \"gdn_1\",\"fam_1\",\"Yes\"\r\n\
                   \"gdn_2\" ,fam_1,\"\"\"No\"\"\"\r\n\
                   gdn_3,fa\"m_3,No\r\n\
                   \"\",\"\",No";
        let rows = parse_import(csv.as_bytes()).unwrap();
        let got: Vec<_> = rows.iter().map(|r| (r.line, r.contact_id.as_str(), r.customer_id.as_str(), r.has_access.as_str())).collect();
        assert_eq!(got, [(2, "gdn_1", "fam_1", "Yes"), (3, "gdn_2", "fam_1", "\"No\""), (4, "gdn_3", "fa\"m_3", "No"), (5, "", "", "No")]);
    }

    #[test]
    fn refuses_too_many_rows() {
        let mut csv = String::from("ContactId,CustomerId,Has Access To Portal\n");
        for i in 0..=MAX_IMPORT_ROWS {
            csv.push_str(&format!("g{i},f,No\n"));
        }
        assert_eq!(parse_import(csv.as_bytes()), Err(ImportError::TooManyRows));
    }

    #[test]
    fn a_row_revokes_invites_or_changes_nothing() {
        assert_eq!(plan_row(&row("Yes"), Some(&facts("fam_1", false, true))), Ok(RowPlan::Unchanged));
        assert_eq!(plan_row(&row("no"), Some(&facts("fam_1", false, true))), Ok(RowPlan::Revoke));
        assert_eq!(plan_row(&row("No"), Some(&facts("fam_1", true, true))), Ok(RowPlan::Revoke));
        assert_eq!(plan_row(&row("Yes"), Some(&facts("fam_1", true, false))), Ok(RowPlan::Invite));
        assert_eq!(plan_row(&row(" NO "), Some(&facts("fam_1", true, false))), Ok(RowPlan::Unchanged));
    }

    #[test]
    fn staff_cannot_grant_a_secondary_access_by_import() {
        let err = plan_row(&row("Yes"), Some(&facts("fam_1", false, false))).unwrap_err();
        assert!(err.contains("Primary Guardian"), "{err}");
    }

    #[test]
    fn unknown_contacts_other_customers_and_bad_values_are_row_errors() {
        assert!(plan_row(&row("Yes"), None).unwrap_err().contains("no contact gdn_1"));
        assert!(plan_row(&row("No"), Some(&facts("fam_2", true, true))).unwrap_err().contains("belongs to customer fam_2"));
        assert!(plan_row(&row("Maybe"), Some(&facts("fam_1", true, true))).unwrap_err().contains("Yes or No"));
        let no_email = ContactFacts { has_email: false, ..facts("fam_1", true, false) };
        assert!(plan_row(&row("Yes"), Some(&no_email)).is_err());
    }

    #[test]
    fn a_contact_listed_twice_is_reported_on_its_later_lines() {
        let rows = vec![row("Yes"), ImportRow { line: 3, ..row("No") }, ImportRow { line: 4, contact_id: "gdn_2".into(), ..row("No") }];
        assert_eq!(repeated_contacts(&rows), [3].into_iter().collect());
    }
    #[test]
    fn only_a_finished_dry_run_not_yet_applied_can_be_applied() {
        let job = |dry_run, status, applied_by| DryRunFacts { dry_run, status, applied_by };
        assert_eq!(may_apply(&job(true, "done", None)), Ok(()));
        assert_eq!(may_apply(&job(false, "done", None)), Err(ApplyError::NotDryRun));
        assert_eq!(may_apply(&job(true, "queued", None)), Err(ApplyError::NotFinished));
        assert_eq!(may_apply(&job(true, "running", None)), Err(ApplyError::NotFinished));
        assert_eq!(may_apply(&job(true, "failed", None)), Err(ApplyError::Failed));
        assert_eq!(may_apply(&job(true, "done", Some("imp_2"))), Err(ApplyError::AlreadyApplied("imp_2".into())));
    }

    #[test]
    fn a_stale_dry_run_names_the_changed_contacts_and_says_to_run_the_import_again() {
        let one = ApplyError::Stale { count: 1, contacts: vec!["gdn_1".into()] }.to_string();
        assert!(one.starts_with("1 contact the dry run would change has changed") && one.contains("gdn_1."), "{one}");
        let many = ApplyError::Stale { count: 7, contacts: vec!["gdn_1".into(), "gdn_2".into()] }.to_string();
        assert!(many.contains("7 contacts") && many.contains("gdn_1, gdn_2 and 5 more."), "{many}");
        assert!(many.contains("run the import again"), "{many}");
    }

    #[test]
    fn a_planned_change_keeps_its_plan_in_the_words_the_results_use() {
        let change = PlannedChange { line: 3, contact_id: "gdn_1".into(), plan: RowPlan::Revoke };
        let json = serde_json::to_string(&change).unwrap();
        assert_eq!(json, r#"{"line":3,"contact_id":"gdn_1","plan":"revoke"}"#);
        assert_eq!(serde_json::from_str::<PlannedChange>(&json).unwrap(), change);
    }
}
