//! The golden-file format (`golden/<operation>.json`, schema `pgoracle-golden-v1`): the typed
//! envelope that `pgoracle golden` writes and `pgoracle check` reads.
//!
//! The envelope follows Wycheproof's test vectors: a file header (schema, generator, the
//! operation and its book source, the comparison rule, a note for every flag used) and groups
//! of tests sharing a precision. Every test carries its `tc_id`, `id`, `operation`, `scalar`,
//! `comment`, `source`, `flags` and `input`, then either `"result": "valid"` with `expected`,
//! `tolerance` (per field: `rel` and κ), `reference` (the independent 50-digit values),
//! `reference_error`, `certified_digits` and, when a decision is within its rounding bound,
//! `indeterminate`; or `"result": "error"` with `expected_error`.
//!
//! Written with [`to_text`]: the header indented one key per line, each test on one line, so
//! that a diff of a regenerated file shows exactly the tests that changed.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use serde_json::ser::{Formatter, Serializer};
use serde_json::{Map, Number, Value};

use super::operation::Operation;

/// Schema name written in every golden file. Version 2 (issue #16): the tolerance is per
/// field with its κ, tests carry `certified_digits` and, where a decision is within its
/// rounding bound, `indeterminate`.
pub const SCHEMA: &str = "pgoracle-golden-v2";

/// One golden file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldenFile {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The program and version that wrote the file.
    pub generator: String,
    /// The oracle interface version of the inputs and outputs.
    pub interface_version: u32,
    /// The operation every test of the file exercises.
    pub operation: Operation,
    /// Where the operation comes from in the chapter ([`Operation::book_source`]).
    pub book: String,
    /// How many tests the groups hold.
    pub number_of_tests: usize,
    /// Where the reference values come from.
    pub reference: String,
    /// The agreement rule, in words.
    pub comparison: String,
    /// What each flag used in the file means (every flag used has a note).
    pub notes: BTreeMap<String, String>,
    /// The tests, grouped by precision.
    pub test_groups: Vec<TestGroup>,
}

/// Tests that share a precision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestGroup {
    /// `"f64"` or `"f32"`.
    pub scalar: String,
    /// The tests.
    pub tests: Vec<GoldenTest>,
}

/// Whether a test expects an output or an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expectation {
    /// `expected` holds the output fields.
    Valid,
    /// `expected_error` holds the error kind.
    Error,
}

/// One golden test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldenTest {
    /// Position in its file, from 1.
    pub tc_id: usize,
    /// The case id (a JSON string or integer), echoed by every result.
    pub id: Value,
    /// The operation.
    pub operation: Operation,
    /// `"f64"` or `"f32"`.
    pub scalar: String,
    /// The case's profile (interface version 2; absent: the book's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The case's convention overrides (interface version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conventions: Option<Map<String, Value>>,
    /// What the case exercises.
    pub comment: String,
    /// Where the input comes from (the book, a generator seed, …).
    pub source: String,
    /// Wycheproof-style flags, each explained in the file's `notes`.
    pub flags: Vec<String>,
    /// The operation's input object.
    pub input: Value,
    /// `valid` or `error`.
    pub result: Expectation,
    /// The expected error kind (error tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_error: Option<String>,
    /// The expected output fields (valid tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Map<String, Value>>,
    /// The agreement bound (valid tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<GoldenTolerance>,
    /// The independent reference value of every expected field, as decimal strings (valid tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Map<String, Value>>,
    /// Per numeric field, the normwise difference between the reference and pgoracle's value,
    /// relative to pgoracle's (the reference judged as `check` judges a candidate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_error: Option<Map<String, Value>>,
    /// Per real field, the number of significant digits the reference certifies: those on
    /// which its 50- and 100-digit evaluations agree (NIST StRD style; at most 40).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certified_digits: Option<Map<String, Value>>,
    /// The decisions within their rounding bound (`{ decision, at, margin, bound }`): a
    /// candidate may take either branch of each (flag `IndeterminateDecision`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indeterminate: Option<Vec<Value>>,
    /// Set when the reference took another branch of an indeterminate line-search decision
    /// (`{ steps, accepted, rel }`): `reference_error` is then measured against pgoracle's
    /// result on the reference's branch, whose per-field tolerance is `rel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_branch: Option<Value>,
    /// A `pgoracle hunt` finding (crate `pgoracle-hunt`): `{ "seed", "case", "kind",
    /// "disagreement", "candidate", "minimal", "shrink_steps" }`, the seed and case index that
    /// found it, the kind and description of the disagreement, and the candidate's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hunt: Option<Value>,
}

/// A test's tolerance: field f agrees when max_i |got_i − expected_i| ≤ `rel[f]`·max_i
/// |expected_i| + `abs` (scale 1 for an all-zero field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldenTolerance {
    /// Per real field, the relative (normwise) bound ε^(5/8) + 16·κ·ε
    /// ([`pgoracle::Tolerance::golden`]) with that field's κ.
    pub rel: Map<String, Value>,
    /// The absolute bound (0 in every generated file).
    pub abs: Number,
    /// Per real field, its condition number κ at this input ([`crate::conditioning`]).
    pub kappa: Map<String, Value>,
    /// The 2-norm condition number of the matrix a natural-gradient solve used (the
    /// reference's), included in the κ of the solve's fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditioning: Option<Value>,
}

impl GoldenTolerance {
    /// The relative bound of `field`; `default` for a field without one (an exact field).
    pub fn rel_of(&self, field: &str, default: f64) -> f64 {
        self.rel
            .get(field)
            .and_then(Value::as_f64)
            .unwrap_or(default)
    }
}

/// The file's text: the header one key per line, each test group opening on one line, and
/// each test compact on a line of its own; a final newline.
///
/// # Errors
/// serde_json's error if the file cannot be serialised (a map with a non-string key; none of
/// the envelope's types has one).
pub fn to_text(file: &GoldenFile) -> Result<String, serde_json::Error> {
    let mut out = Vec::new();
    let mut ser = Serializer::with_formatter(&mut out, Layout::default());
    file.serialize(&mut ser)?;
    out.push(b'\n');
    // serde_json writes UTF-8 only.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// How a container is laid out, by its nesting depth in a golden file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// One member per line, indented by depth (the file object, header objects).
    Indented,
    /// One element per line, the container's brackets inline (`test_groups`, `tests`).
    Lines,
    /// `{"key": value, "key": value}` on one line (a test group's opening).
    Spaced,
    /// No whitespace at all (a test).
    Compact,
}

/// The serde_json formatter of [`to_text`]. Depth 1 is the file object; at depth 2 objects
/// (the notes) are indented and arrays (`test_groups`) list one group per line; depth 3 is a
/// group object (spaced), depth 4 its `tests` (one per line), and everything deeper is compact
/// (the header's objects hold only strings, so nothing nests below them). A line is indented two spaces per enclosing container that is not spaced.
#[derive(Default)]
struct Layout {
    /// The open containers, innermost last, with whether each has a member yet.
    stack: Vec<(Style, bool)>,
}

impl Layout {
    fn style(&self) -> Style {
        self.stack
            .last()
            .map_or(Style::Compact, |&(style, _)| style)
    }

    fn open(&mut self, is_object: bool) {
        let depth = self.stack.len() + 1;
        let style = match (depth, is_object) {
            (1, _) | (2, true) => Style::Indented,
            (2, false) | (4, false) => Style::Lines,
            (3, true) => Style::Spaced,
            _ => Style::Compact,
        };
        self.stack.push((style, false));
    }

    fn newline<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"\n")?;
        for _ in self
            .stack
            .iter()
            .filter(|(style, _)| *style != Style::Spaced)
        {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    /// Before a member (key or element) of the innermost container.
    fn member<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if let Some(top) = self.stack.last_mut() {
            top.1 = true;
        }
        if !first {
            w.write_all(b",")?;
        }
        match self.style() {
            Style::Indented | Style::Lines => self.newline(w),
            Style::Spaced if !first => w.write_all(b" "),
            Style::Spaced | Style::Compact => Ok(()),
        }
    }

    /// Closes the innermost container; an empty one stays `{}` or `[]`.
    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        let (style, has_members) = self.stack.pop().unwrap_or((Style::Compact, false));
        if has_members && matches!(style, Style::Indented | Style::Lines) {
            self.newline(w)?;
        }
        w.write_all(bracket)
    }
}

impl Formatter for Layout {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(false);
        w.write_all(b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.member(w, first)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(true);
        w.write_all(b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.member(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        match self.style() {
            Style::Compact => w.write_all(b":"),
            _ => w.write_all(b": "),
        }
    }
}
