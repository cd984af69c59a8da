//! Verifying a large file chunk by chunk: where every policy judges each row on its own
//! (no groups of rows, no peers, no period before), each chunk of rows is judged as it is
//! read and then dropped, so memory is that of a chunk and the verdicts, not of the file.
//! The verdicts are those of judging the whole table: records keep their places across
//! chunks, and entities sort by key.

use super::judge::Judged;
use super::plan::{self, Choice, Seen};
use super::{Request, Verdicts};
use crate::data::{self, DatasetSpec, Table};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::engine::Evaluator;
use crate::eval::frame;
use crate::eval::model::Model;
use crate::eval::needs::Needs;
use crate::eval::script::ScriptHost;
use crate::load::RuleTree;
use crate::source::SourceFile;
use std::collections::BTreeMap;

/// Whether every chosen policy judges a row from that row alone: none groups rows, and an
/// entity policy uses no statistic, period before or methodology figure (a records policy
/// cannot). Entity policies stream only where their dataset is the only entity dataset.
fn row_by_row(model: &Model<'_>, choice: &Choice<'_>, specs: &[DatasetSpec]) -> bool {
    let entity_datasets = specs.iter().filter(|s| !s.records).count();
    choice.run.iter().all(|c| {
        if !c.def.by.is_empty() {
            return false;
        }
        if c.over_records() {
            return true;
        }
        let mut needs = Needs::new(model);
        plan::walk(&mut needs, c);
        !needs.across_rows && entity_datasets == 1
    })
}

/// The run, judged chunk by chunk; `None` when it cannot be (a policy reads across rows,
/// or a file is small, or not clean: the whole-table run then reports what it must), when
/// the caller is to forget what `sources` gained since the call.
/// What judging a chunk needs, shared by the threads that judge chunks.
#[derive(Clone)]
struct Chunk<'r, 'm> {
    model: &'r Model<'m>,
    choice: &'r Choice<'m>,
    spec: &'r DatasetSpec,
    scripts: &'r ScriptHost,
    period: Option<&'r str>,
}

impl Chunk<'_, '_> {
    /// The verdicts of the chosen policies over a chunk's rows, period by period, with
    /// what the evaluator had to say.
    fn judge<'d>(
        &self,
        table: Table,
        mut judged: Judged<'d>,
        sources: &mut Vec<SourceFile>,
    ) -> (Judged<'d>, Vec<Diagnostic>) {
        let Chunk { model, choice, spec, scripts, period } = *self;
        let tables = [table];
        let frames = match tables.first() {
            Some(t) if t.records => plan::record_periods(t, period)
                .iter()
                .map(|p| frame::of_records(&tables, 0, std::slice::from_ref(spec), p))
                .collect(),
            _ => frame::periods(&tables)
                .iter()
                .filter(|p| period.is_none_or(|w| w == p.as_ref()))
                .map(|p| frame::build(&tables, std::slice::from_ref(spec), p))
                .collect::<Vec<_>>(),
        };
        let mut diags = Vec::new();
        for frame in frames.iter().filter(|f| !f.keys.is_empty()) {
            let mut ev = Evaluator::new(model, frame, Some(scripts));
            for (rank, c) in choice.run.iter().enumerate().filter(|(_, c)| c.dataset_name() == spec.name) {
                judged.judge(&mut ev, rank, c, model, sources);
            }
            ev.finish();
            diags.append(&mut ev.diagnostics);
            judged.end_frame();
        }
        (judged, diags)
    }
}

/// Chunks judged, merged into the run's verdicts in the file's order.
struct Merged<'d> {
    /// The next chunk to merge.
    next: usize,
    /// Chunks judged before one above them.
    waiting: BTreeMap<usize, (Judged<'d>, Vec<Diagnostic>)>,
}

impl<'d> Merged<'d> {
    fn add(
        &mut self,
        (seq, part, found): (usize, Judged<'d>, Vec<Diagnostic>),
        judged: &mut Judged<'d>,
        diags: &mut Vec<Diagnostic>,
    ) {
        self.waiting.insert(seq, (part, found));
        while let Some((part, found)) = self.waiting.remove(&self.next) {
            judged.merge(part);
            // Each chunk's evaluator says the same things: once is enough.
            for d in found {
                if !diags.iter().any(|x: &Diagnostic| x.code == d.code && x.message == d.message) {
                    diags.push(d);
                }
            }
            self.next = self.next.saturating_add(1);
        }
    }
}

pub fn run(
    model: &Model<'_>,
    tree: &RuleTree,
    choice: &Choice<'_>,
    specs: &[DatasetSpec],
    request: &Request,
    sources: &mut Vec<SourceFile>,
) -> Option<(Option<Verdicts>, Vec<Diagnostic>)> {
    if !row_by_row(model, choice, specs) {
        return None;
    }
    let mut diags = Vec::new();
    let scripts = ScriptHost::load(model, sources, &mut diags, &request.budget);
    if diags.iter().any(Diagnostic::is_error) {
        return None;
    }
    let script_sources: Vec<usize> = (tree.files.len()..sources.len()).collect();
    let loader = data::Loader {
        data_dir: &request.data_dir,
        derive: &crate::classify::dataset::FromClassify(tree),
        cache: data::CacheUse::Off,
    };
    let delimiters = specs.iter().map(|s| (s.name.clone(), s.delimiter)).collect();
    let mut judged = Judged::new(&choice.run, &delimiters, request.keep_judged, request.spans);
    let mut files: Vec<Table> = Vec::new();
    let mut seen: Vec<Seen> = Vec::new();
    // Chunks are judged on the thread pool, a few at a time, while the next are read;
    // their verdicts are merged in the file's order. Cells with spans register the file
    // as a source, which only the calling thread can do: such a run judges in turn.
    let parallel = !request.spans;
    let in_flight_limit = rayon::current_num_threads().max(1);
    let (done, finished) = std::sync::mpsc::channel::<(usize, Judged<'_>, Vec<Diagnostic>)>();
    let mut merged = Merged { next: 0, waiting: BTreeMap::new() };
    let complete = rayon::in_place_scope(|scope| {
        let mut chunk = 0usize;
        for spec in specs {
            let mut periods = Seen { dataset: spec.name.clone(), records: spec.records, periods: Default::default() };
            let context = Chunk { model, choice, spec, scripts: &scripts, period: request.period.as_deref() };
            let mut each = |table: Table| {
                periods.add(&table);
                let part = judged.for_chunk(chunk);
                if parallel {
                    // Wait for a chunk to be judged before taking on more.
                    while chunk.saturating_sub(merged.next).saturating_sub(merged.waiting.len()) >= in_flight_limit {
                        let Ok(result) = finished.recv() else { break };
                        merged.add(result, &mut judged, &mut diags);
                    }
                    let done = done.clone();
                    let (context, seq, unjudged) = (context.clone(), chunk, judged.for_chunk(chunk));
                    scope.spawn(move |_| {
                        let mut no_sources = Vec::new();
                        // A chunk always answers, so that the merging never waits for one
                        // that cannot come: a bug while judging it stops the run, not hangs it.
                        let judge = std::panic::AssertUnwindSafe(|| context.judge(table, part, &mut no_sources));
                        let result = std::panic::catch_unwind(judge).unwrap_or_else(|_| {
                            let d = Diagnostic::new(Code::InternalError, "judging a chunk of the file failed")
                                .help("this is a bug in assay: please report it with the rules and the data");
                            (unjudged, vec![d])
                        });
                        // The receiver outlives the scope: a send cannot fail.
                        let _ = done.send((seq, result.0, result.1));
                    });
                } else {
                    let (part, found) = context.judge(table, part, sources);
                    merged.add((chunk, part, found), &mut judged, &mut diags);
                }
                chunk = chunk.saturating_add(1);
                true
            };
            let timer = crate::timing::Timer::start();
            let file = loader.stream(spec, &mut each);
            while merged.next < chunk {
                let Ok(result) = finished.recv() else { break };
                merged.add(result, &mut judged, &mut diags);
            }
            files.push(file?);
            timer.lap(&format!("read `{}` and judge it chunk by chunk", spec.name));
            seen.push(periods);
        }
        Some(())
    });
    complete?;
    if let Err(d) = plan::check_period(request.period.as_deref(), &seen, choice) {
        diags.push(*d);
        return Some((None, diags));
    }
    diags.extend(scripts.budget_diagnostic());
    crate::eval::script::resolve_positions(&mut diags, sources, &script_sources);
    if diags.iter().any(Diagnostic::is_error) {
        return Some((None, diags));
    }
    Some((Some(plan::verdicts(judged, choice, tree, &files, request)), diags))
}
