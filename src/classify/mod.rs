//! Stage 3b, classifying records: a `records` dataset streamed through a decision table in
//! parallel chunks and added up per entity, period and output, with exact sums, flat
//! memory, and the records no row matches reported rather than lost.

mod chunk;
pub mod dataset;
mod layout;
mod matcher;
pub mod phases;
mod problems;
mod records;
pub mod report;
mod split;

pub use chunk::{Acc, EntityPeriod, Example};

use crate::ast::{DefKind, HitPolicy};
use crate::check::suggest;
use crate::check::symbols::{Item, Symbols};
use crate::data::stamp::{FileStamp, Stamp};
use crate::data::stream::{ChunkReader, RawChunk, ReadError};
use crate::data::{BadRowPolicy, DatasetSpec, FieldKind};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::load::RuleTree;
use crate::source::SourceFile;
use chunk::{Ambiguity, BadRow, ChunkOut};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use crate::data::CHUNK_BYTES;

#[derive(Debug, Clone)]
pub struct Request {
    pub table: String,
    /// A data file, or a folder that the dataset's `file` paths are relative to.
    pub data: PathBuf,
    pub chunk_bytes: usize,
}

/// Rows read, used, left out and unclassified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub read: u64,
    /// Left out by the dataset's `exclude` rules.
    pub excluded: u64,
    pub used: u64,
    pub skipped: u64,
    pub classified: u64,
    pub unclassified: u64,
}

/// The aggregates of one run.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub table: String,
    pub dataset: String,
    pub hit: HitPolicy,
    /// The entity and period column names of the output (`organisation`, `year`).
    pub entity: String,
    pub period: String,
    pub outputs: Vec<String>,
    /// The table's input fields, for showing examples.
    pub inputs: Vec<String>,
    /// The summed fields.
    pub sums: Vec<String>,
    pub groups: Vec<Vec<String>>,
    pub entities: BTreeMap<(String, String), EntityPeriod>,
    pub counts: Counts,
    pub examples: Vec<Example>,
    pub stamp: Stamp,
    pub notices: Vec<String>,
    /// Where the time went (filled when `ASSAY_TIMINGS` is set).
    pub phases: phases::Phases,
}

/// Progress of a run: bytes read of the total, records read.
pub trait Progress: Sync {
    fn update(&self, bytes: u64, total: u64, records: u64);
}

impl Progress for () {
    fn update(&self, _: u64, _: u64, _: u64) {}
}

/// Where each record's lines go (`classify --records`), written in file order as chunks
/// are merged; and the first write that failed.
pub struct Sink<'w> {
    out: &'w mut dyn std::io::Write,
    /// What the lines say of the table.
    table: records::TableText,
    failed: Option<std::io::Error>,
}

impl Sink<'_> {
    fn write(&mut self, bytes: &[u8]) {
        write_lines(&mut *self.out, &mut self.failed, bytes);
    }
}

/// Write `bytes` unless a write failed already, keeping the first failure.
fn write_lines(out: &mut dyn std::io::Write, failed: &mut Option<std::io::Error>, bytes: &[u8]) {
    if failed.is_none() {
        if let Err(e) = out.write_all(bytes) {
            *failed = Some(e);
        }
    }
}

/// Classify the records of a table's dataset. Errors stop the run; warnings are returned
/// with the outcome. `sources` gains the data lines that diagnostics show. With `records`,
/// every record is written there too, a line for each output tuple it fell in (see
/// [`records`]); a failed run may leave some written.
pub fn run(
    tree: &RuleTree,
    request: &Request,
    sources: &mut Vec<SourceFile>,
    progress: &dyn Progress,
    records: Option<&mut dyn std::io::Write>,
) -> (Option<Outcome>, Vec<Diagnostic>) {
    let mut scratch = Vec::new();
    let syms = Symbols::build(&tree.asts, &mut scratch);
    let setup = match Setup::new(tree, request, &syms) {
        Ok(s) => s,
        Err(d) => return (None, vec![*d]),
    };
    let mut sink = records.map(|out| {
        let places = setup.matcher.row_spans.iter().map(|span| place(tree, *span)).collect();
        let (entity, period, inputs, sums) = columns(&setup);
        let width = (sums.len(), setup.matcher.outputs.len());
        let table = records::TableText::new(places, &setup.matcher.groups, width);
        let mut sink = Sink { out, table, failed: None };
        sink.write(&records::header(&entity, &period, &inputs, &sums, &setup.matcher.outputs));
        sink
    });
    let mut state = State::new(&setup.matcher, setup.sum_fields.len());
    let mut diags = Vec::new();
    let mut data_stamps = Vec::new();
    let total: u64 = setup.files.iter().filter_map(|(p, _)| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let mut bytes = Bytes { done: 0, total, progress };
    for (path, period) in &setup.files {
        let stamp = classify_file(&setup, (path, period), &mut state, &mut bytes, sink.as_mut(), sources, &mut diags);
        data_stamps.extend(stamp);
    }
    if state.overflow {
        diags.push(
            Diagnostic::new(Code::NumberOutOfRange, "a sum is beyond the 28 significant digits of exact decimals")
                .primary(setup.spec.span, format!("dataset `{}`", setup.spec.name))
                .help("check the amounts for a misplaced decimal point or a wrong unit"),
        );
    }
    if let Some(e) = sink.and_then(|s| s.failed) {
        diags.push(
            Diagnostic::new(Code::OutputError, format!("cannot write the records: {e}"))
                .help("check that the disk has room and the folder is writable"),
        );
    }
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    let stamp = Stamp::new(crate::data::stamp::rule_stamps(&tree.files), data_stamps);
    (Some(outcome(request, &setup, state, stamp)), diags)
}

/// What every file of a run is read with: the table's dataset, its fields as read, the
/// compiled table, the files and the fields summed.
struct Setup<'a> {
    dataset: &'a crate::ast::DatasetDef,
    spec: DatasetSpec,
    matcher: matcher::Matcher,
    files: Vec<(PathBuf, Option<String>)>,
    /// The dataset's plain number fields (by index), which every output group adds up.
    sum_fields: Vec<usize>,
    /// The size of the chunks read.
    chunk_bytes: usize,
}

impl<'a> Setup<'a> {
    fn new(tree: &RuleTree, request: &Request, syms: &Symbols<'a>) -> Result<Setup<'a>, Box<Diagnostic>> {
        let (def, dataset) = find_table(syms, &request.table)?;
        let Some(ds_name) = tree
            .asts
            .iter()
            .flat_map(|f| &f.definitions)
            .find(|d| d.node.name.node == def.dataset.node && matches!(d.node.kind, DefKind::Dataset(_)))
            .map(|d| d.node.name.clone())
        else {
            return Err(Box::new(Diagnostic::new(Code::InternalError, "the table's dataset vanished after checking")));
        };
        // The units say which symbol or percent sign each number field's cells may carry.
        let units = crate::check::units::UnitTable::build(&tree.asts, &mut Vec::new());
        let spec = DatasetSpec::build(&ds_name, dataset, syms, &units);
        let matcher = matcher::Matcher::compile(&request.table, def, &spec, syms);
        let files = data_files(&spec, &request.data)?;
        let sum_fields = spec
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| matches!(f.kind, FieldKind::Number) && f.key.index.is_empty())
            .map(|(i, _)| i)
            .collect();
        Ok(Setup { dataset, spec, matcher, files, sum_fields, chunk_bytes: chunk_bytes(request.chunk_bytes) })
    }
}

/// Bytes classified so far of all the files, reported as they go.
struct Bytes<'p> {
    done: u64,
    total: u64,
    progress: &'p dyn Progress,
}

/// Classify one file into `state`; its problems go to `diags`. The file's stamp, unless it
/// could not be read through.
fn classify_file(
    setup: &Setup<'_>,
    (path, period): (&Path, &Option<String>),
    state: &mut State,
    bytes: &mut Bytes<'_>,
    sink: Option<&mut Sink<'_>>,
    sources: &mut Vec<SourceFile>,
    diags: &mut Vec<Diagnostic>,
) -> Option<FileStamp> {
    let spec = &setup.spec;
    let display = crate::load::display(path);
    let mut shown = problems::Shown::new(display.clone(), path.to_path_buf());
    let (mut reader, first, layout) = match open(setup, path, period, &mut shown, sources) {
        Ok(opened) => opened,
        Err(d) => {
            diags.extend(d);
            return None;
        }
    };
    let read_before = state.counts.read;
    if let Some(e) = stream(setup, &layout, (&mut reader, first), state, bytes, sink) {
        diags.push(problems::read_error(&e, &shown, spec));
        return None;
    }
    if state.counts.read == read_before {
        diags.push(
            Diagnostic::new(Code::DataEmpty, format!("`{display}` has a header but no records"))
                .primary(spec.span, format!("dataset `{}`", spec.name))
                .help("check that the export finished; there is nothing to classify"),
        );
    }
    diags.extend(state.file_diagnostics(&layout, &setup.matcher, spec, &mut shown, sources));
    Some(FileStamp { path: display, sha256: reader.sha256() })
}

/// Open a file of records: its first chunk and where the run's cells are in it, from its
/// header; or why it cannot be classified.
fn open(
    setup: &Setup<'_>,
    path: &Path,
    period: &Option<String>,
    shown: &mut problems::Shown,
    sources: &mut Vec<SourceFile>,
) -> Result<(ChunkReader<std::fs::File>, RawChunk, chunk::Layout), Vec<Diagnostic>> {
    let spec = &setup.spec;
    let display = crate::load::display(path);
    let extension = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    if !matches!(extension.as_str(), "csv" | "txt" | "tsv") {
        return Err(vec![Diagnostic::new(
            Code::DataUnreadable,
            format!("`{display}`: `assay classify` streams delimited text"),
        )
        .primary(spec.span, format!("dataset `{}`", spec.name))
        .help("export the records as CSV (a spreadsheet's Save As, CSV UTF-8); `eval` reads spreadsheets and YAML, but holds them in memory")]);
    }
    let file = crate::source::open_input(path).map_err(|err| {
        vec![Diagnostic::new(Code::DataUnreadable, format!("cannot read `{display}`: {err}"))
            .primary(spec.span, format!("dataset `{}`", spec.name))
            .help("check that the file exists and is readable")]
    })?;
    let mut reader = ChunkReader::new(file, setup.chunk_bytes);
    let first = reader.next_chunk().map_err(|e| vec![problems::read_error(&e, shown, spec)])?;
    let Some(mut first) = first else {
        return Err(vec![problems::empty(&display, spec)]);
    };
    let layout = layout::read_header(&mut first, spec, &setup.matcher, &setup.sum_fields, period, shown, sources)?;
    Ok((reader, first, layout))
}

/// Classify a file's chunks in parallel batches, reading the next batch while the current
/// one is classified, and merge them into `state` in file order; the read error that
/// stopped it, if any.
fn stream(
    setup: &Setup<'_>,
    layout: &chunk::Layout,
    (reader, first): (&mut ChunkReader<std::fs::File>, RawChunk),
    state: &mut State,
    bytes: &mut Bytes<'_>,
    sink: Option<&mut Sink<'_>>,
) -> Option<ReadError> {
    let (matcher, spec) = (&setup.matcher, &setup.spec);
    let (lines, mut written) = match sink {
        Some(Sink { out, table, failed }) => (Some(&*table), Some((out, failed))),
        None => (None, None),
    };
    let timed = std::env::var_os("ASSAY_TIMINGS").is_some();
    let batch_len = batch_len();
    let mut batch = vec![first];
    let mut read_error = None;
    loop {
        fill_batch(reader, &mut batch, batch_len, &mut read_error);
        if batch.is_empty() {
            break;
        }
        let batch_bytes: u64 = batch.iter().map(|c| c.bytes.len() as u64).sum();
        let mut next = Vec::new();
        let mut next_error = None;
        let outs: Vec<ChunkOut> = if read_error.is_some() {
            batch.par_iter().map(|c| chunk::process(c, layout, matcher, spec, timed, lines)).collect()
        } else {
            let (outs, read) = rayon::join(
                || batch.par_iter().map(|c| chunk::process(c, layout, matcher, spec, timed, lines)).collect(),
                || {
                    let started = std::time::Instant::now();
                    fill_batch(reader, &mut next, batch_len, &mut next_error);
                    started.elapsed()
                },
            );
            state.phases.read = state.phases.read.saturating_add(read);
            outs
        };
        let started = std::time::Instant::now();
        for mut out in outs {
            if let Some((to, failed)) = written.as_mut() {
                write_lines(&mut **to, failed, &std::mem::take(&mut out.records));
            }
            state.merge(out);
        }
        state.phases.merge = state.phases.merge.saturating_add(started.elapsed());
        bytes.done = bytes.done.saturating_add(batch_bytes);
        bytes.progress.update(bytes.done, bytes.total, state.counts.read);
        if read_error.is_some() {
            break;
        }
        read_error = next_error;
        for done in std::mem::replace(&mut batch, next) {
            reader.recycle(done.bytes);
        }
        if batch.is_empty() && read_error.is_none() {
            break;
        }
    }
    read_error
}

/// The run's aggregates, with its counts, the data's notice and the stamp.
fn outcome(request: &Request, setup: &Setup<'_>, state: State, stamp: Stamp) -> Outcome {
    let (spec, matcher) = (&setup.spec, &setup.matcher);
    let notices =
        request.data.parent().filter(|_| request.data.is_file()).map_or(request.data.as_path(), |p| p).join("NOTICE");
    let notices = crate::source::read_input_text(&notices)
        .ok()
        .and_then(|t| t.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_string))
        .into_iter()
        .collect();
    let counts = Counts {
        read: state.counts.read,
        excluded: state.counts.excluded,
        used: state.counts.read.saturating_sub(state.counts.skipped.saturating_add(state.counts.excluded)),
        skipped: state.counts.skipped,
        classified: state.entities.values().map(|e| e.classified.records).sum(),
        unclassified: state.entities.values().map(|e| e.unclassified.records).sum(),
    };
    let (entity, period, inputs, sums) = columns(setup);
    Outcome {
        table: request.table.clone(),
        dataset: spec.name.clone(),
        hit: matcher.hit,
        entity,
        period,
        outputs: matcher.outputs.clone(),
        inputs,
        sums,
        groups: matcher.groups.clone(),
        entities: state.entities,
        counts,
        examples: state.examples,
        stamp,
        notices,
        phases: state.phases,
    }
}

/// The names of a run's columns: the entity and period (as the dataset calls them), the
/// table's inputs and the summed fields.
fn columns(setup: &Setup<'_>) -> (String, String, Vec<String>, Vec<String>) {
    let (spec, dataset) = (&setup.spec, setup.dataset);
    let entity = dataset.entity.as_ref().map_or_else(|| "entity".to_string(), |e| e.node.name.node.clone());
    let period = dataset.period.as_ref().map_or_else(|| "period".to_string(), |p| p.node.name.node.clone());
    let name = |i: &usize| spec.fields.get(*i).map(|f| f.key.field.clone());
    let inputs = setup.matcher.inputs.iter().filter_map(|i| name(&i.field)).collect();
    let sums = setup.sum_fields.iter().filter_map(name).collect();
    (entity, period, inputs, sums)
}

/// Where a table row is written: `rules/tables/ledger_activity.assay:12`.
fn place(tree: &RuleTree, span: crate::source::Span) -> String {
    tree.files
        .get(span.file)
        .map_or_else(String::new, |f| format!("{}:{}", crate::load::display(&f.path), f.line_col(span.start).0))
}

/// Chunks per batch: two per thread, so a thread that finishes early has another to take.
fn batch_len() -> usize {
    rayon::current_num_threads().max(1).saturating_mul(2)
}

/// Bytes in flight stay under this however many threads there are (two batches: the one
/// being classified and the one being read).
const BATCH_BYTES: usize = 64 << 20;

/// The chunk size: as asked, but smaller on many cores so that a batch stays within
/// `BATCH_BYTES` (and never under 1 MB, where per-chunk work would start to show).
fn chunk_bytes(asked: usize) -> usize {
    asked.min(BATCH_BYTES.checked_div(batch_len()).unwrap_or(BATCH_BYTES).max(1 << 20))
}

/// Read chunks until the batch is full or the input ends (or fails).
fn fill_batch<R: std::io::Read>(
    reader: &mut ChunkReader<R>,
    batch: &mut Vec<RawChunk>,
    len: usize,
    error: &mut Option<ReadError>,
) {
    while batch.len() < len && error.is_none() {
        match reader.next_chunk() {
            Ok(Some(c)) => batch.push(c),
            Ok(None) => break,
            Err(e) => *error = Some(e),
        }
    }
}

/// The running totals of a run, merged chunk by chunk in file order.
struct State {
    groups: usize,
    sums: usize,
    counts: Counts,
    entities: BTreeMap<(String, String), EntityPeriod>,
    examples: Vec<Example>,
    bad_rows: u64,
    bad: Vec<BadRow>,
    ambiguous: u64,
    ambiguities: Vec<Ambiguity>,
    overflow: bool,
    phases: phases::Phases,
}

impl State {
    fn new(matcher: &matcher::Matcher, sums: usize) -> State {
        State {
            groups: matcher.groups.len(),
            sums,
            counts: Counts::default(),
            entities: BTreeMap::new(),
            examples: Vec::new(),
            bad_rows: 0,
            bad: Vec::new(),
            ambiguous: 0,
            ambiguities: Vec::new(),
            overflow: false,
            phases: phases::Phases::default(),
        }
    }

    fn merge(&mut self, out: ChunkOut) {
        self.counts.read = self.counts.read.saturating_add(out.read);
        self.counts.excluded = self.counts.excluded.saturating_add(out.excluded);
        self.bad_rows = self.bad_rows.saturating_add(out.bad_rows);
        self.ambiguous = self.ambiguous.saturating_add(out.ambiguous);
        self.overflow |= out.overflow;
        self.phases.add(&out.phases);
        let room = chunk::MAX_KEPT.saturating_sub(self.bad.len());
        self.bad.extend(out.bad.into_iter().take(room));
        let room = chunk::MAX_KEPT.saturating_sub(self.ambiguities.len());
        self.ambiguities.extend(out.ambiguities.into_iter().take(room));
        let room = chunk::MAX_EXAMPLES.saturating_sub(self.examples.len());
        self.examples.extend(out.examples.into_iter().take(room));
        for (key, acc) in out.entities {
            match self.entities.get_mut(&key) {
                Some(e) => self.overflow |= !e.merge(&acc),
                None => {
                    let mut e = EntityPeriod::new(self.groups, self.sums);
                    self.overflow |= !e.merge(&acc);
                    self.entities.insert(key, e);
                }
            }
        }
    }

    /// The diagnostics of one file's bad rows and ambiguous records; resets them.
    fn file_diagnostics(
        &mut self,
        layout: &chunk::Layout,
        matcher: &matcher::Matcher,
        spec: &DatasetSpec,
        shown: &mut problems::Shown,
        sources: &mut Vec<SourceFile>,
    ) -> Vec<Diagnostic> {
        let bad = std::mem::take(&mut self.bad);
        let bad_rows = std::mem::take(&mut self.bad_rows);
        let ambiguities = std::mem::take(&mut self.ambiguities);
        let ambiguous = std::mem::take(&mut self.ambiguous);
        if spec.policy != BadRowPolicy::Reject {
            self.counts.skipped = self.counts.skipped.saturating_add(bad_rows);
        }
        problems::report(&bad, bad_rows, &ambiguities, ambiguous, layout, matcher, spec, shown, sources)
    }
}

/// The table named on the command line, and the dataset it classifies.
fn find_table<'a>(
    syms: &Symbols<'a>,
    name: &str,
) -> Result<(&'a crate::ast::ClassifyDef, &'a crate::ast::DatasetDef), Box<Diagnostic>> {
    let table = match syms.get(name).map(|s| s.item) {
        Some(Item::Classify(t)) => t,
        _ => {
            let tables = syms.names_where(|i| matches!(i, Item::Classify(_)));
            return Err(Box::new(Diagnostic::new(Code::UnknownSelection, format!("no decision table `{name}`")).help(
                suggest::help_for(name, tables.iter().copied(), &format!("the tables are: {}", list(&tables))),
            )));
        }
    };
    match syms.get(&table.dataset.node).map(|s| s.item) {
        Some(Item::Dataset(d)) if d.records => Ok((table, d)),
        _ => Err(Box::new(
            Diagnostic::new(
                Code::InvalidDataset,
                format!("table `{name}` classifies `{}`, which is not a `records` dataset", table.dataset.node),
            )
            .primary(table.dataset.span, "not a records dataset")
            .help(
                "`assay classify` streams the records of a dataset declared `dataset NAME \"title\" records { ... }`",
            ),
        )),
    }
}

fn list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// The files to read: the one given, or the dataset's files under the folder given.
fn data_files(spec: &DatasetSpec, data: &Path) -> Result<Vec<(PathBuf, Option<String>)>, Box<Diagnostic>> {
    if data.is_file() {
        let name = data.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let period = spec.files.iter().find(|(f, _)| f.node.ends_with(&name)).and_then(|(_, p)| p.clone());
        return Ok(vec![(data.to_path_buf(), period)]);
    }
    if !data.is_dir() {
        let shown = crate::load::display(data);
        return Err(Box::new(match crate::source::readable_input(data) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Diagnostic::new(Code::DataUnreadable, format!("cannot read `{shown}`: {e}"))
                    .help("give `--data` a CSV file, or the folder that the dataset's `file` paths are relative to")
            }
            _ => Diagnostic::new(Code::DataFileMissing, format!("`{shown}` not found"))
                .help("give `--data` a CSV file, or the folder that the dataset's `file` paths are relative to"),
        }));
    }
    let mut out = Vec::new();
    for (file, period) in &spec.files {
        let path = data.join(&file.node);
        let shown = crate::load::display(&path);
        match crate::source::readable_input(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Box::new(
                    Diagnostic::new(Code::DataFileMissing, format!("`{shown}` not found"))
                        .primary(file.span, format!("dataset `{}` reads this file", spec.name))
                        .help(
                            "file paths are relative to the data folder (`--data`); or give `--data` the file itself",
                        ),
                ));
            }
            Err(e) => {
                return Err(Box::new(
                    Diagnostic::new(Code::DataUnreadable, format!("cannot read `{shown}`: {e}"))
                        .primary(file.span, format!("dataset `{}` reads this file", spec.name))
                        .help("data files are regular files"),
                ));
            }
        }
        out.push((path, period.clone()));
    }
    if out.is_empty() {
        return Err(Box::new(
            Diagnostic::new(Code::InvalidDataset, format!("dataset `{}` names no file", spec.name))
                .primary(spec.span, "no `file`")
                .help("give `--data` the CSV file to classify"),
        ));
    }
    Ok(out)
}
