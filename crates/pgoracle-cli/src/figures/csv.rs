//! The CSV files written beside each SVG: a header row, then one row per record; numbers in
//! Rust's `{:.9e}` format (ten significant digits, no locale), text quoted only when needed.

/// A CSV document under construction.
pub(super) struct Csv {
    text: String,
}

impl Csv {
    /// A document with the given column names.
    pub(super) fn new(header: &[&str]) -> Self {
        let mut csv = Csv {
            text: String::new(),
        };
        csv.row(header.iter().map(|h| h.to_string()));
        csv
    }

    /// Appends one row of already formatted cells.
    pub(super) fn row(&mut self, cells: impl IntoIterator<Item = String>) {
        let cells: Vec<String> = cells.into_iter().map(quote).collect();
        self.text.push_str(&cells.join(","));
        self.text.push('\n');
    }

    /// The finished document.
    pub(super) fn finish(self) -> String {
        self.text
    }
}

/// A number as written in the CSV files: `{:.9e}`.
pub(super) fn num(x: f64) -> String {
    format!("{x:.9e}")
}

/// RFC 4180 quoting: a cell containing a comma, a quote or a line break is wrapped in quotes,
/// with inner quotes doubled.
fn quote(cell: String) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}
