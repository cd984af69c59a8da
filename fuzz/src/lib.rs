//! What the fuzz targets share: inputs run on the stack the `assay` binary gives its
//! commands, rule trees from text, data files in a throwaway folder, and diagnostics
//! rendered as a user would see them.

use assay::check::{check, CheckOptions};
use assay::cli::{render_all, ErrorFormat};
use assay::data::{CacheUse, DatasetSpec, LoadContext, Loader, Table};
use assay::diagnostic::Diagnostic;
use assay::eval::model::Model;
use assay::load::{load_bytes, RuleTree};
use assay::source::SourceFile;
use std::path::Path;

/// The stack `assay` runs its commands on (src/main.rs): the library's nesting limits are
/// sized for it, so an input that only overflows a smaller stack is not a bug.
const STACK_SIZE: usize = 64 * 1024 * 1024;

/// Run `f` on a thread with the binary's stack; a panic in it is a panic here (and so a
/// crash for libFuzzer).
pub fn on_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new().stack_size(STACK_SIZE).spawn_scoped(scope, f);
        match worker.map(|w| w.join()) {
            Ok(Ok(r)) => r,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(err) => panic!("cannot start a thread for the input: {err}"),
        }
    })
}

/// Render the diagnostics in one of the formats `--error-format` offers (chosen by `pick`,
/// so that every format gets inputs without rendering each input three times), after
/// checking that every label points into a file that exists, at or before its end (the
/// renderer clips a label that runs past the end: a problem at the end of a file is
/// underlined one byte long).
pub fn show(diags: &[Diagnostic], sources: &[SourceFile], pick: u8) -> String {
    for d in diags {
        for label in &d.labels {
            let Some(file) = sources.get(label.span.file) else {
                panic!("{}: a label points into file {} of {}: {d:?}", d.code, label.span.file, sources.len());
            };
            assert!(
                label.span.start <= label.span.end && label.span.start <= file.text.len(),
                "{}: label {:?} outside `{}` ({} bytes): {d:?}",
                d.code,
                label.span,
                file.name,
                file.text.len()
            );
        }
    }
    let format = match pick % 3 {
        0 => ErrorFormat::Human,
        1 => ErrorFormat::Plain,
        _ => ErrorFormat::Json,
    };
    render_all(diags, sources, format, pick % 2 == 0)
}

/// A rules tree from one file's text, which must check without errors (the targets' own
/// fixed rules, not fuzz input). `path` is where the file claims to be: scripts are found
/// beside it.
pub fn checked_tree(path: &Path, text: &str) -> RuleTree {
    let tree = load_bytes(&path.to_string_lossy(), text.as_bytes().to_vec());
    let report = check(&tree, CheckOptions::default());
    assert_eq!(report.errors(), 0, "the target's own rules have errors: {:?}", report.diagnostics);
    tree
}

/// The declarations the data targets read their fuzzed file with; `choice` picks one,
/// `ext` is the file's extension (`csv`, `yaml`).
pub fn data_rules(choice: u8, ext: &str) -> String {
    let dataset = match choice % 4 {
        // Reject bad rows; a period column; every kind of field.
        0 => {
            r#"dataset returns "Returns" {
  file "data.EXT"
  on_bad_row reject
  entity organisation key "Code"
  period year from "Year"
  missing "n/a", "-"
  field name : text from "Name" optional
  field region : region from "Region" optional
  field turnover : GBP from "Turnover" or "Income"
  field share : percent from "Share" optional
  field staff : FTE from "Staff" optional
  field opened : date from "Opened" optional
  field cost[a in area] : GBP from "{a.title} cost" optional
}"#
        }
        // Skip bad rows; the header on the second line, `;` between cells, rows left out.
        1 => {
            r#"dataset returns "Returns" {
  file "data.EXT"
  on_bad_row skip
  header_row 2
  delimiter ";"
  entity organisation key "Code"
  period year from "Year"
  exclude "Name" matches "^TOTAL"
  field name : text from "Name" optional
  field region : region from "Region"
  field turnover : GBP from "Turnover"
  field share : ratio from "Share" optional
  field cost[a in area] : GBP from "{a.title} cost" or "{a} cost" optional
}"#
        }
        // Warn about bad rows; the period given by the file, tabs between cells.
        2 => {
            r#"dataset returns "Returns" {
  file "data.EXT" period "2020/21"
  on_bad_row warn
  delimiter "	"
  entity organisation key "Code"
  missing ""
  field turnover : GBP from "Turnover"
  field opened : date from "Opened" optional
  field region : region from "Region" optional
}"#
        }
        // Records rolled up to one row per organisation and period.
        _ => {
            r#"dataset lines "Ledger lines" records {
  file "data.EXT"
  on_bad_row warn
  entity organisation key "Org"
  period year from "Year"
  exclude "Centre" matches "^TOTAL"
  field amount : GBP from "Amount" sum
  field staff : FTE from "Staff" optional sum
  field region : region from "Region" same
}"#
        }
    };
    format!(
        r#"unit GBP "pound sterling" symbol "£"
unit FTE "whole-time equivalent"
set region "Region" {{ north "North" also "N", south "South" also "S" }}
set area "Area" {{ finance "Finance", hr "HR" }}
{}
"#,
        dataset.replace("EXT", ext)
    )
}

/// A dataset read from one file as the data loader reads it.
pub struct Read {
    pub table: Option<Table>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Vec<SourceFile>,
}

/// A throwaway data folder holding one file.
pub struct DataDir {
    dir: tempfile::TempDir,
}

impl DataDir {
    /// A folder with `bytes` as its file `name`.
    pub fn new(name: &str, bytes: &[u8]) -> DataDir {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join(name), bytes).expect("the data file written");
        DataDir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Load the first dataset of `rules` from this folder through [`Loader`], as every
    /// command does.
    pub fn load(&self, rules: &str) -> Read {
        self.load_with(rules, |spec, ctx, tree| {
            let derive = assay::classify::dataset::FromClassify(tree);
            let loader = Loader { data_dir: self.path(), derive: &derive, cache: CacheUse::Off };
            loader.load(spec, ctx).map(|l| l.table)
        })
    }

    /// Load it through the column cache kept in `cache` for files of any size: the first
    /// load of a clean file writes an entry, the next reads it.
    pub fn load_cached(&self, rules: &str, cache: &Path) -> Read {
        self.load_with(rules, |spec, ctx, _| {
            assay::data::cache::load_with(spec, self.path(), ctx, cache, 0, None).map(|(table, _)| table)
        })
    }

    fn load_with(
        &self,
        rules: &str,
        load: impl FnOnce(&DatasetSpec, &mut LoadContext<'_>, &RuleTree) -> Option<Table>,
    ) -> Read {
        let tree = checked_tree(Path::new("rules.assay"), rules);
        let specs = Model::new(&tree).entity_datasets();
        let spec = specs.first().expect("the rules declare a dataset");
        let mut sources = tree.files.clone();
        let mut ctx = LoadContext { sources: &mut sources, diagnostics: Vec::new() };
        let table = load(spec, &mut ctx, &tree);
        let diagnostics = ctx.diagnostics;
        Read { table, diagnostics, sources }
    }
}

/// A loaded table's content, to compare two readings of one file.
pub fn table_summary(table: &Table) -> String {
    let files: Vec<_> = table.files.iter().map(|f| (&f.sha256, &f.headers, &f.sheet)).collect();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        table.keys, table.periods, table.columns, table.column_index, table.origins, table.counts, table.parts, files
    )
}

/// A table has one key, period and origin per row, and one value per row in every column.
pub fn assert_rows_line_up(table: &Table) {
    let rows = table.keys.len();
    assert_eq!(table.periods.len(), rows, "periods of `{}`", table.dataset);
    assert_eq!(table.origins.len(), rows, "origins of `{}`", table.dataset);
    for (field, column) in &table.columns {
        assert_eq!(column.len(), rows, "column `{field}` of `{}`", table.dataset);
    }
    match &table.parts {
        // Rolled-up records: counts are of records, each row sums some of them.
        Some(parts) => {
            assert_eq!(parts.len(), rows, "parts of `{}`", table.dataset);
            let summed: usize = parts.iter().map(Vec::len).sum();
            assert_eq!(summed, table.counts.used, "records summed in `{}`: {:?}", table.dataset, table.counts);
        }
        None => assert_eq!(table.counts.used, rows, "rows used by `{}`: {:?}", table.dataset, table.counts),
    }
}
