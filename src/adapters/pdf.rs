//! A table as a PDF (statements): the built-in Helvetica in WinAnsi encoding (no font is embedded),
//! lines paginated with the table's header on every page. Pages are A4, and everything is drawn
//! inside the part of an A4 page that a Letter page also holds, so either prints without cut-off.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

const PAGE_WIDTH: f32 = 595.0; // A4
const PAGE_HEIGHT: f32 = 842.0;
const LEFT: f32 = 36.0;
/// 523 points of text: narrower than both A4 (595) and Letter (612) less half-inch margins.
pub const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * LEFT;
/// Letter is 50 points shorter than A4: 61 points top and bottom stay clear on both.
const TOP: f32 = PAGE_HEIGHT - 61.0;
const BOTTOM: f32 = 61.0;
const SIZE: f32 = 9.0;
const LEADING: f32 = 12.0;
const REGULAR: Name = Name(b"F1");
const BOLD: Name = Name(b"F2");

/// A column: its title, width in points and whether its cells are right-aligned (amounts).
pub struct Column {
    pub title: &'static str,
    pub width: f32,
    pub right: bool,
}

/// What a statement PDF shows: a title, the lines under it, a table and its totals.
pub struct PdfTable<'a> {
    pub title: &'a str,
    pub heading: Vec<String>,
    pub columns: &'a [Column],
    pub rows: Vec<Vec<String>>,
    /// (label, amount) lines under the table, the amount in the last column.
    pub totals: Vec<(String, String)>,
}

/// Helvetica's advance widths (thousandths of the font size) for ASCII 32 to 126 (Adobe's AFM).
const WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space to /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 to ?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ to O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P to _
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` to o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p to ~
];

/// Bold is wider; its widths are not kept, so bold text is measured with room to spare.
fn width(text: &[u8], size: f32, bold: bool) -> f32 {
    let units: u32 = text.iter().map(|&b| if (32..=126).contains(&b) { u32::from(WIDTHS[usize::from(b - 32)]) } else { 667 }).sum();
    units as f32 * size / 1000.0 * if bold { 1.1 } else { 1.0 }
}

/// Text in WinAnsi (Windows-1252): Latin-1 is the same bytes, a few typographic marks have their
/// own, anything else becomes `?` (the built-in fonts have no other glyphs).
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '−' => b'-',
            _ => b'?',
        })
        .collect()
}

/// `text` broken into lines no wider than `max` points (at word ends where it can).
fn wrap(text: &[u8], max: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let candidate = if line.is_empty() { word.to_vec() } else { [line.as_slice(), b" ", word].concat() };
        if width(&candidate, SIZE, false) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word wider than the column is cut where it reaches the edge.
        for &b in word {
            if !line.is_empty() && width(&[line.as_slice(), &[b]].concat(), SIZE, false) > max {
                lines.push(std::mem::take(&mut line));
            }
            line.push(b);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

struct Pages {
    done: Vec<Content>,
    page: Content,
    y: f32,
}

impl Pages {
    fn text(&mut self, font: Name, size: f32, x: f32, y: f32, text: &[u8]) {
        self.page.begin_text().set_font(font, size).next_line(x, y).show(Str(text)).end_text();
    }

    fn rule(&mut self, y: f32) {
        self.page.set_line_width(0.5).move_to(LEFT, y).line_to(LEFT + TEXT_WIDTH, y).stroke();
    }

    fn cell(&mut self, font: Name, column: &Column, x: f32, y: f32, text: &[u8]) {
        let at = if column.right { x + column.width - 4.0 - width(text, SIZE, font == BOLD) } else { x };
        self.text(font, SIZE, at, y, text);
    }

    fn header(&mut self, columns: &[Column]) {
        let mut x = LEFT;
        let y = self.y;
        for c in columns {
            self.cell(BOLD, c, x, y, &win_ansi(c.title));
            x += c.width;
        }
        self.rule(y - 4.0);
        self.y -= LEADING + 4.0;
    }

    /// Room for `height` points more, else the next page (with the table's header again).
    fn room(&mut self, height: f32, columns: Option<&[Column]>) {
        if self.y - height >= BOTTOM {
            return;
        }
        self.done.push(std::mem::replace(&mut self.page, Content::new()));
        self.y = TOP;
        if let Some(columns) = columns {
            self.header(columns);
        }
    }
}

/// The table as a PDF file.
pub fn render(table: &PdfTable<'_>) -> Vec<u8> {
    let mut p = Pages { done: Vec::new(), page: Content::new(), y: TOP };
    p.text(BOLD, 16.0, LEFT, p.y, &win_ansi(table.title));
    p.y -= 22.0;
    for line in &table.heading {
        p.text(REGULAR, 10.0, LEFT, p.y, &win_ansi(line));
        p.y -= 14.0;
    }
    p.y -= 10.0;
    p.header(table.columns);
    for row in &table.rows {
        let cells: Vec<Vec<Vec<u8>>> = table.columns.iter().zip(row).map(|(c, text)| wrap(&win_ansi(text), c.width - 6.0)).collect();
        let height = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * LEADING;
        p.room(height, Some(table.columns));
        let mut x = LEFT;
        for (c, lines) in table.columns.iter().zip(&cells) {
            for (i, line) in lines.iter().enumerate() {
                p.cell(REGULAR, c, x, p.y - i as f32 * LEADING, line);
            }
            x += c.width;
        }
        p.y -= height;
    }
    p.rule(p.y + LEADING - 4.0);
    p.y -= 4.0;
    let last = table.columns.last().map(|c| c.width).unwrap_or(0.0);
    let amounts = Column { title: "", width: last, right: true };
    for (label, amount) in &table.totals {
        p.room(LEADING, None);
        p.text(BOLD, SIZE, LEFT, p.y, &win_ansi(label));
        p.cell(BOLD, &amounts, LEFT + TEXT_WIDTH - last, p.y, &win_ansi(amount));
        p.y -= LEADING;
    }
    p.done.push(p.page);
    write(table.title, p.done)
}

fn write(title: &str, mut pages: Vec<Content>) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let (catalog, tree, regular, bold, info) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4), Ref::new(5));
    let count = pages.len();
    let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(6 + 2 * i as i32)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(count as i32);
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info).title(TextStr(title));
    for (i, mut content) in pages.drain(..).enumerate() {
        let footer = format!("Page {} of {count}", i + 1);
        content.begin_text().set_font(REGULAR, 8.0).next_line(LEFT, BOTTOM - 20.0).show(Str(footer.as_bytes())).end_text();
        let (id, content_id) = (page_ids[i], Ref::new(7 + 2 * i as i32));
        let mut page = pdf.page(id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)).parent(tree).contents(content_id);
        page.resources().fonts().pair(REGULAR, regular).pair(BOLD, bold);
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}
