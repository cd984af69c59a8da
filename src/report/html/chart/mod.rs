//! Charts for the HTML report, drawn as inline SVG by plotters.
//!
//! Each function returns one `<figure class="chart">` holding the `<svg>` (with a `<title>`, a
//! `<desc>` saying in words what it shows, and `role="img"`), a `<figcaption>`, and the values
//! plotted as a table inside `<details>`, the text alternative. Caller text is escaped with
//! [`escape`]; text handed to plotters is not, since plotters escapes what it writes (the unit
//! tests hold it to that). The same input gives the same bytes: nothing here is random or
//! drawn in hash order.
//!
//! How a test finds the marks: plotters writes one element a line, and each mark is a line
//! that starts `<rect class="mark ` (bars of [`distribution`] and [`grouped`]) or
//! `<circle class="mark ` (points of [`trend`]), in the order they are plotted. The class
//! goes on to say what the mark is: `peer`, `highlighted` or `trimmed` for a distribution,
//! `s0`, `s1`, … (the series' colour, counted from 0) for the others. A bar spans from the
//! zero line to its value, so for a bar of a value at or above zero its top edge (`y`) is
//! the value's place, and for a negative value its bottom edge (`y + height`); a smaller
//! `y` is a larger value. Nothing else drawn is a `<rect>` or `<circle>` of those
//! colours (legend swatches are `<polygon>`s), which is how the classes are put on.

use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::markup::escape;

/// What a mark is, which sets its colour and its legend entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    Peer,
    Highlighted,
    Trimmed,
}

/// One entity's value in a distribution: `value` places it. What it is called and its
/// exact figure come from the caller's `describe` (see [`distribution`]), only for the
/// marks drawn: a group of a million is placed and ranked, but only its drawn marks named.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    pub value: f64,
    pub kind: MarkKind,
}

/// A mark's name and its exact figure as printed (never re-derived from the f64).
#[derive(Debug, Clone)]
pub struct Described {
    pub label: String,
    pub text: String,
}

/// A horizontal reference line: a quartile, the median, a methodology's target.
#[derive(Debug, Clone)]
pub struct RefLine {
    pub label: String,
    pub value: f64,
    pub text: String,
}

/// A ranked distribution across a peer group: one bar per member in rank order, lowest first.
#[derive(Debug, Clone)]
pub struct Distribution {
    pub title: String,
    pub axis: String,
    pub marks: Vec<Mark>,
    pub lines: Vec<RefLine>,
}

/// One series of a grouped chart or a trend: one value per group or period; `None` = missing.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<(f64, String)>>,
}

/// Several series side by side in groups.
#[derive(Debug, Clone)]
pub struct Grouped {
    pub title: String,
    pub axis: String,
    pub groups: Vec<String>,
    pub series: Vec<Series>,
}

/// Values across periods (a trend), one line per series.
#[derive(Debug, Clone)]
pub struct Trend {
    pub title: String,
    pub axis: String,
    pub periods: Vec<String>,
    pub series: Vec<Series>,
}

/// The drawing's own size; the `<svg>` scales to its container (`width="100%"`).
const WIDTH: u32 = 720;
const HEIGHT: u32 = 360;
/// A distribution draws at most this many marks chosen evenly by rank, plus the highlighted.
const MAX_MARKS: usize = 400;
const FONT: &str = "sans-serif";

const PEER: RGBColor = RGBColor(0x8C, 0x8C, 0x8C);
const HIGHLIGHTED: RGBColor = RGBColor(0xC4, 0x3E, 0x1C);
const TRIMMED: RGBColor = RGBColor(0xE8, 0xD9, 0xB5);
const REFERENCE: RGBColor = RGBColor(0x22, 0x22, 0x22);
const AXIS_TEXT: RGBColor = RGBColor(0x33, 0x33, 0x33);
/// Series colours (Okabe and Ito's, readable with colour blindness), reused after eight.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x6A, 0x3D, 0x9A),
    RGBColor(0x00, 0x00, 0x00),
];

type Drawn<T> = Result<T, DrawingAreaErrorKind<std::io::Error>>;
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// The plotting area every chart shares: `x` across (its labels drawn by the caller, its
/// description `x_desc` when not empty), `y` from `lo` to `hi` with six labelled ticks
/// and faint grid lines, `right` pixels kept free on the right (for reference-line names).
fn axes<'a, 'b>(
    root: &'a Area<'b>,
    right: u32,
    x: std::ops::Range<f64>,
    (lo, hi): (f64, f64),
    y_desc: &str,
    x_desc: &str,
) -> Drawn<Chart<'a, 'b>> {
    let mut chart = ChartBuilder::on(root)
        .margin_top(34)
        .margin_right(right)
        .margin_left(8)
        .margin_bottom(6)
        .x_label_area_size(40)
        .y_label_area_size(78)
        .build_cartesian_2d(x, lo..hi)?;
    let y_fmt = tick_formatter(lo, hi);
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&y_fmt)
        .y_desc(y_desc)
        .label_style((FONT, 12).into_font().color(&AXIS_TEXT))
        .axis_desc_style((FONT, 13).into_font().color(&AXIS_TEXT))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(0xE4, 0xE4, 0xE4));
    if !x_desc.is_empty() {
        mesh.x_desc(x_desc);
    }
    mesh.draw()?;
    Ok(chart)
}

impl MarkKind {
    const ALL: [MarkKind; 3] = [MarkKind::Peer, MarkKind::Highlighted, MarkKind::Trimmed];

    fn name(self) -> &'static str {
        match self {
            MarkKind::Peer => "peer",
            MarkKind::Highlighted => "highlighted",
            MarkKind::Trimmed => "trimmed",
        }
    }

    fn colour(self) -> RGBColor {
        match self {
            MarkKind::Peer => PEER,
            MarkKind::Highlighted => HIGHLIGHTED,
            MarkKind::Trimmed => TRIMMED,
        }
    }
}

fn palette(index: usize) -> RGBColor {
    PALETTE.get(index.checked_rem(PALETTE.len()).unwrap_or(0)).copied().unwrap_or(BLACK)
}

// ---------------------------------------------------------------------------------------
// Distribution

/// A ranked distribution: one bar per mark, lowest first, with reference lines.
/// `describe(i)` names the `i`th of `d.marks` and gives its figure; it is asked only for the
/// marks drawn (the lowest, the highest and every highlighted one among them).
pub fn distribution(d: &Distribution, describe: &dyn Fn(usize) -> Described) -> String {
    let mut ranked: Vec<(usize, &Mark)> = d.marks.iter().enumerate().filter(|(_, m)| m.value.is_finite()).collect();
    ranked.sort_by(|(_, a), (_, b)| a.value.total_cmp(&b.value));
    let unplottable = d.marks.len().saturating_sub(ranked.len());
    let total = ranked.len();
    if total == 0 {
        return empty_figure(&d.title, unplottable);
    }
    // (rank from 1, mark, its description) of the marks drawn.
    let shown: Vec<Shown<'_>> = sample(&ranked)
        .into_iter()
        .filter_map(|i| ranked.get(i).map(|(at, m)| (i.saturating_add(1), *m, describe(*at))))
        .collect();
    let lines: Vec<&RefLine> = d.lines.iter().filter(|l| l.value.is_finite()).collect();

    let mut notes = Vec::new();
    if shown.len() < total {
        notes.push(sampling_note(shown.len(), total));
    }
    if unplottable > 0 {
        notes.push(format!("{} not a finite number, not plotted", count(unplottable, "value", "values")));
    }

    let trimmed = ranked.iter().filter(|(_, m)| m.kind == MarkKind::Trimmed).count();
    let desc = distribution_desc(&shown, total, trimmed, &lines, &notes);
    let svg = draw(&d.title, &desc, &mark_classes(), |root| draw_distribution(root, d, &shown, &lines));

    let mut out = String::new();
    open_figure(&mut out, &svg, &d.title, &notes);
    out.push_str("<details><summary>Values plotted</summary>\n<table>\n<thead><tr>");
    out.push_str(
        "<th scope=\"col\">Rank</th><th scope=\"col\">Name</th><th scope=\"col\">Value</th><th scope=\"col\">Kind</th>",
    );
    out.push_str("</tr></thead>\n<tbody>\n");
    for (rank, m, about) in &shown {
        let _ = writeln!(
            out,
            "<tr><td>{rank}</td><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
            escape(&about.label),
            escape(&about.text),
            m.kind.name()
        );
    }
    out.push_str("</tbody>\n</table>\n");
    let left_out = total.saturating_sub(shown.len());
    if left_out > 0 {
        let _ = writeln!(
            out,
            "<p>{} not drawn {} left out of this table.</p>",
            count(left_out, "value", "values"),
            if left_out == 1 { "is" } else { "are" }
        );
    }
    if !lines.is_empty() {
        out.push_str("<table>\n<caption>Reference lines</caption>\n<thead><tr><th scope=\"col\">Line</th><th scope=\"col\">Value</th></tr></thead>\n<tbody>\n");
        for l in &lines {
            let _ = writeln!(out, "<tr><th scope=\"row\">{}</th><td>{}</td></tr>", escape(&l.label), escape(&l.text));
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</details>\n</figure>\n");
    out
}

/// Indices (into the ranked marks) to draw: all of them up to [`MAX_MARKS`], else that many
/// spread evenly by rank (the lowest and the highest among them) and every highlighted one.
fn sample(ranked: &[(usize, &Mark)]) -> Vec<usize> {
    let n = ranked.len();
    if n <= MAX_MARKS {
        return (0..n).collect();
    }
    let mut keep = vec![false; n];
    let last = n.saturating_sub(1) as f64;
    let steps = MAX_MARKS.saturating_sub(1) as f64;
    for i in 0..MAX_MARKS {
        let at = (i as f64 * last / steps).round() as usize;
        if let Some(k) = keep.get_mut(at) {
            *k = true;
        }
    }
    for (k, (_, m)) in keep.iter_mut().zip(ranked) {
        if m.kind == MarkKind::Highlighted {
            *k = true;
        }
    }
    keep.iter().enumerate().filter(|(_, k)| **k).map(|(i, _)| i).collect()
}

fn sampling_note(shown: usize, total: usize) -> String {
    let spacing = total.saturating_sub(1) as f64 / MAX_MARKS.saturating_sub(1) as f64;
    let every = spacing.round() as usize;
    let about = if (spacing - every as f64).abs() < 1e-9 { "" } else { "about " };
    format!(
        "{} of {} shown: {about}every {} by rank, and each highlighted one",
        thousands(shown),
        thousands(total),
        ordinal(every)
    )
}

/// A drawn mark: its rank (from 1), the mark, and what it is.
type Shown<'m> = (usize, &'m Mark, Described);

/// The chart in words. The lowest, the highest and every highlighted mark are among those
/// drawn (see [`sample`]).
fn distribution_desc(
    shown: &[Shown<'_>],
    total: usize,
    trimmed: usize,
    lines: &[&RefLine],
    notes: &[String],
) -> String {
    let mut parts = Vec::new();
    match (shown.first(), shown.last()) {
        (Some((_, _, first)), Some((_, _, last))) if total > 1 => {
            parts.push(format!("{}, lowest {}, highest {}", count(total, "value", "values"), first.text, last.text));
        }
        (Some((_, _, only)), _) => parts.push(format!("1 value, {}: {}", only.label, only.text)),
        _ => {}
    }
    for (rank, m, about) in shown {
        if m.kind == MarkKind::Highlighted {
            parts.push(format!(
                "highlighted: {}, {}, rank {} of {}",
                about.label,
                about.text,
                thousands(*rank),
                thousands(total)
            ));
        }
    }
    if trimmed > 0 {
        parts.push(format!("{} trimmed", count(trimmed, "value", "values")));
    }
    if !lines.is_empty() {
        let list: Vec<String> = lines.iter().map(|l| format!("{} {}", l.label, l.text)).collect();
        parts.push(format!("reference lines: {}", list.join(", ")));
    }
    parts.extend(notes.iter().cloned());
    parts.join("; ")
}

fn draw_distribution(root: &Area, d: &Distribution, shown: &[Shown<'_>], lines: &[&RefLine]) -> Drawn<()> {
    let n = shown.len() as f64;
    let (lo, hi) = value_range(shown.iter().map(|(_, m, _)| m.value).chain(lines.iter().map(|l| l.value)));
    let right = if lines.is_empty() { 16 } else { 150 };
    let mut chart = axes(root, right, 0f64..n, (lo, hi), &d.axis, "rank, lowest first")?;

    let gap = if shown.len() > 100 { 0.0 } else { 0.12 };
    chart.draw_series(shown.iter().enumerate().map(|(i, (_, m, _))| {
        let x = i as f64;
        Rectangle::new([(x + gap, 0.0), (x + 1.0 - gap, m.value)], m.kind.colour().filled())
    }))?;
    chart.draw_series(std::iter::once(PathElement::new(vec![(0.0, 0.0), (n, 0.0)], BLACK.stroke_width(1))))?;
    for l in lines {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, l.value), (n, l.value)],
            REFERENCE.stroke_width(1),
        )))?;
    }

    // Ranks under up to ten bars spread evenly, the first and the last among them.
    let ticks = shown.len().min(10);
    let mut last_tick = None;
    for k in 0..ticks {
        let i = if ticks > 1 { (k as f64 * (n - 1.0) / (ticks as f64 - 1.0)).round() as usize } else { 0 };
        if last_tick == Some(i) {
            continue;
        }
        last_tick = Some(i);
        if let Some((rank, _, _)) = shown.get(i) {
            let (x, y) = chart.backend_coord(&(i as f64 + 0.5, lo));
            root.draw(&PathElement::new(vec![(x, y), (x, y.saturating_add(4))], AXIS_TEXT.stroke_width(1)))?;
            root.draw(&Text::new(thousands(*rank), (x, y.saturating_add(6)), text_style(12, HPos::Center, VPos::Top)))?;
        }
    }

    // Reference lines are named in the right margin, nudged apart where they would touch.
    let mut labels: Vec<(i32, String)> = lines
        .iter()
        .map(|l| (chart.backend_coord(&(n, l.value)).1, clip(&format!("{} {}", l.label, l.text), 24)))
        .collect();
    labels.sort_by_key(|(y, _)| *y);
    let mut next_free = i32::MIN;
    let label_x = chart.backend_coord(&(n, 0.0)).0.saturating_add(6);
    for (y, text) in labels {
        let y = y.max(next_free);
        next_free = y.saturating_add(13);
        root.draw(&Text::new(text, (label_x, y), text_style(11, HPos::Left, VPos::Center)))?;
    }

    // Highlighted members are named at their bar's end, when there are few enough to read.
    let highlighted: Vec<(usize, &Mark, &Described)> = shown
        .iter()
        .enumerate()
        .filter(|(_, (_, m, _))| m.kind == MarkKind::Highlighted)
        .map(|(i, (_, m, about))| (i, *m, about))
        .collect();
    if highlighted.len() <= 5 {
        for (i, m, about) in highlighted {
            let centre = i as f64 + 0.5;
            let (x, y) = chart.backend_coord(&(centre, m.value));
            let h = if centre < n / 3.0 {
                HPos::Left
            } else if centre > n * 2.0 / 3.0 {
                HPos::Right
            } else {
                HPos::Center
            };
            let (v, dy) = if m.value < 0.0 { (VPos::Top, 4) } else { (VPos::Bottom, -4) };
            root.draw(&Text::new(clip(&about.label, 30), (x, y.saturating_add(dy)), text_style(11, h, v)))?;
        }
    }

    let present: Vec<(String, RGBColor)> = MarkKind::ALL
        .iter()
        .filter(|k| shown.iter().any(|(_, m, _)| m.kind == **k))
        .map(|k| (legend_name(*k).to_owned(), k.colour()))
        .collect();
    legend(root, &present)?;
    Ok(())
}

fn legend_name(kind: MarkKind) -> &'static str {
    match kind {
        MarkKind::Peer => "Peer",
        MarkKind::Highlighted => "Highlighted",
        MarkKind::Trimmed => "Trimmed",
    }
}

fn mark_classes() -> Vec<(String, String)> {
    MarkKind::ALL.iter().map(|k| (svg_colour(k.colour()), format!("mark {}", k.name()))).collect()
}

// ---------------------------------------------------------------------------------------
// Grouped bars

/// Several series side by side in each group: one bar per present value, missing ones left out.
pub fn grouped(g: &Grouped) -> String {
    series_figure(&g.title, &g.series, &g.groups, ("group", "groups", "Group"), |root| draw_grouped(root, g))
}

/// A figure of series over labelled places (groups or periods): the drawing, its
/// description in words and the table of plotted values. `words`: the place in the
/// description, singular and plural, and as the table's heading.
fn series_figure(
    title: &str,
    series: &[Series],
    places: &[String],
    words: (&str, &str, &str),
    paint: impl FnOnce(&Area) -> Drawn<()>,
) -> String {
    if plotted_values(series, places.len()) == 0 {
        return empty_figure(title, 0);
    }
    let desc = series_desc(series, places, words.0, words.1);
    let svg = draw(title, &desc, &series_classes(series.len()), paint);
    let mut out = String::new();
    open_figure(&mut out, &svg, title, &[]);
    series_table(&mut out, series, places, words.2);
    out.push_str("</figure>\n");
    out
}

fn draw_grouped(root: &Area, g: &Grouped) -> Drawn<()> {
    let groups = g.groups.len();
    let n = groups as f64;
    let (lo, hi) = value_range(series_values(&g.series, groups));
    let mut chart = axes(root, 16, 0f64..n, (lo, hi), &g.axis, "")?;

    let width = 0.8 / g.series.len().max(1) as f64;
    for (s, series) in g.series.iter().enumerate() {
        let colour = palette(s);
        let left = 0.1 + s as f64 * width;
        chart.draw_series(series.values.iter().take(groups).enumerate().filter_map(|(i, v)| {
            let (value, _) = v.as_ref().filter(|(v, _)| v.is_finite())?;
            let x = i as f64 + left;
            Some(Rectangle::new([(x, 0.0), (x + width, *value)], colour.filled()))
        }))?;
    }
    chart.draw_series(std::iter::once(PathElement::new(vec![(0.0, 0.0), (n, 0.0)], BLACK.stroke_width(1))))?;

    let slot = (chart.backend_coord(&(1.0, lo)).0.saturating_sub(chart.backend_coord(&(0.0, lo)).0)).max(1);
    category_labels(root, &g.groups, slot, |i| chart.backend_coord(&(i as f64 + 0.5, lo)))?;
    legend(root, &series_legend(&g.series))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Trend

/// Values across periods, one line per series; a missing value breaks its line.
pub fn trend(t: &Trend) -> String {
    series_figure(&t.title, &t.series, &t.periods, ("period", "periods", "Period"), |root| draw_trend(root, t))
}

fn draw_trend(root: &Area, t: &Trend) -> Drawn<()> {
    let periods = t.periods.len();
    let (lo, hi) = value_range(series_values(&t.series, periods));
    let mut chart = axes(root, 16, -0.5f64..(periods as f64 - 0.5), (lo, hi), &t.axis, "")?;
    if lo < 0.0 {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(-0.5, 0.0), (periods as f64 - 0.5, 0.0)],
            BLACK.stroke_width(1),
        )))?;
    }

    for (s, series) in t.series.iter().enumerate() {
        let colour = palette(s);
        // Runs of consecutive present values, each drawn as one line.
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (i, v) in series.values.iter().take(periods).enumerate() {
            match v.as_ref().filter(|(v, _)| v.is_finite()) {
                Some((value, _)) => {
                    if let Some(run) = runs.last_mut() {
                        run.push((i as f64, *value));
                    }
                }
                None => runs.push(Vec::new()),
            }
        }
        for run in runs.iter().filter(|r| r.len() > 1) {
            chart.draw_series(std::iter::once(PathElement::new(run.clone(), colour.stroke_width(2))))?;
        }
        chart.draw_series(runs.iter().flatten().map(|p| Circle::new(*p, 3, colour.filled())))?;
    }

    let slot = (chart.backend_coord(&(1.0, lo)).0.saturating_sub(chart.backend_coord(&(0.0, lo)).0)).max(1);
    category_labels(root, &t.periods, slot, |i| chart.backend_coord(&(i as f64, lo)))?;
    legend(root, &series_legend(&t.series))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Shared by grouped bars and trends

fn series_values(series: &[Series], slots: usize) -> impl Iterator<Item = f64> + '_ {
    series.iter().flat_map(move |s| s.values.iter().take(slots).flatten().map(|(v, _)| *v).filter(|v| v.is_finite()))
}

fn plotted_values(series: &[Series], slots: usize) -> usize {
    series_values(series, slots).count()
}

fn series_classes(series: usize) -> Vec<(String, String)> {
    (0..series.min(PALETTE.len())).map(|s| (svg_colour(palette(s)), format!("mark s{s}"))).collect()
}

fn series_legend(series: &[Series]) -> Vec<(String, RGBColor)> {
    series.iter().enumerate().map(|(s, x)| (x.name.clone(), palette(s))).collect()
}

/// "12 values in 4 groups, 3 series; lowest …; highest …; 2 missing".
fn series_desc(series: &[Series], slots: &[String], one: &str, many: &str) -> String {
    let mut lowest: Option<(f64, &str, &str, &str)> = None;
    let mut highest: Option<(f64, &str, &str, &str)> = None;
    let mut plotted = 0usize;
    let mut missing = 0usize;
    for s in series {
        for (i, slot) in slots.iter().enumerate() {
            match s.values.get(i).and_then(|v| v.as_ref()).filter(|(v, _)| v.is_finite()) {
                Some((v, text)) => {
                    plotted = plotted.saturating_add(1);
                    let here = (*v, text.as_str(), s.name.as_str(), slot.as_str());
                    if lowest.is_none_or(|l| *v < l.0) {
                        lowest = Some(here);
                    }
                    if highest.is_none_or(|h| *v > h.0) {
                        highest = Some(here);
                    }
                }
                None => missing = missing.saturating_add(1),
            }
        }
    }
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    let mut parts = vec![format!(
        "{} in {} {}, {} ({})",
        count(plotted, "value", "values"),
        slots.len(),
        if slots.len() == 1 { one } else { many },
        count(series.len(), "series", "series"),
        names.join(", ")
    )];
    if let (Some(first), Some(last)) = (slots.first(), slots.last()) {
        if slots.len() > 1 {
            parts.push(format!("{many} {first} to {last}"));
        }
    }
    if let Some((_, text, s, slot)) = lowest {
        parts.push(format!("lowest {text} ({s}, {slot})"));
    }
    if let Some((_, text, s, slot)) = highest {
        parts.push(format!("highest {text} ({s}, {slot})"));
    }
    if missing > 0 {
        parts.push(format!("{missing} missing, not plotted"));
    }
    parts.join("; ")
}

/// One row per series, one column per group or period, "missing" where there is no value.
fn series_table(out: &mut String, series: &[Series], slots: &[String], heading: &str) {
    out.push_str("<details><summary>Values plotted</summary>\n<table>\n<thead><tr>");
    let _ = write!(out, "<th scope=\"col\">Series \\ {}</th>", escape(heading));
    for slot in slots {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(slot));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for s in series {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", escape(&s.name));
        for i in 0..slots.len() {
            match s.values.get(i).and_then(|v| v.as_ref()).filter(|(v, _)| v.is_finite()) {
                Some((_, text)) => {
                    let _ = write!(out, "<td>{}</td>", escape(text));
                }
                None => out.push_str("<td>missing</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</details>\n");
}

/// Group or period names under the plot, centred on their slot and cut to fit it.
fn category_labels(root: &Area, names: &[String], slot: i32, at: impl Fn(usize) -> (i32, i32)) -> Drawn<()> {
    let fits = (slot / 7).max(1) as usize;
    for (i, name) in names.iter().enumerate() {
        let (x, y) = at(i);
        root.draw(&Text::new(clip(name, fits), (x, y.saturating_add(8)), text_style(12, HPos::Center, VPos::Top)))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Drawing and the figure around it

fn text_style(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    (FONT, size).into_font().color(&AXIS_TEXT).pos(Pos::new(h, v))
}

/// A row of swatches and names along the top; swatches are polygons, so no legend entry is
/// counted as a mark.
fn legend(root: &Area, entries: &[(String, RGBColor)]) -> Drawn<()> {
    let mut x = 86i32;
    for (name, colour) in entries {
        let name = clip(name, 28);
        root.draw(&Polygon::new(
            vec![(x, 9), (x.saturating_add(12), 9), (x.saturating_add(12), 21), (x, 21)],
            colour.filled(),
        ))?;
        if *colour == TRIMMED {
            root.draw(&PathElement::new(
                vec![(x, 9), (x.saturating_add(12), 9), (x.saturating_add(12), 21), (x, 21), (x, 9)],
                PEER.stroke_width(1),
            ))?;
        }
        root.draw(&Text::new(name.clone(), (x.saturating_add(17), 15), text_style(12, HPos::Left, VPos::Center)))?;
        let width = (name.chars().count() as i32).saturating_mul(7);
        x = x.saturating_add(width).saturating_add(34);
    }
    Ok(())
}

/// Runs `paint` on a fresh SVG and finishes it: a scalable size, `role="img"`, `<title>`,
/// `<desc>`, and the marks' classes. A drawing error leaves a note instead of the chart.
fn draw(title: &str, desc: &str, classes: &[(String, String)], paint: impl FnOnce(&Area) -> Drawn<()>) -> String {
    let mut svg = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).and_then(|()| paint(&root)).and_then(|()| root.present())
    };
    match result {
        Ok(()) => finish_svg(&svg, title, desc, classes),
        Err(e) => format!("<p class=\"chart-error\">The chart could not be drawn: {}</p>\n", escape(&e.to_string())),
    }
}

fn finish_svg(svg: &str, title: &str, desc: &str, classes: &[(String, String)]) -> String {
    let mut out = String::with_capacity(svg.len().saturating_add(512));
    let mut lines = svg.lines();
    // plotters' opening tag (with a fixed width and height) is replaced by one that scales.
    if lines.next().is_some() {
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" \
             preserveAspectRatio=\"xMidYMid meet\" role=\"img\" class=\"chart-svg\" \
             style=\"max-width:{WIDTH}px;height:auto\">"
        );
    }
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(out, "<desc>{}</desc>", escape(desc));
    for line in lines {
        let class = ["<rect ", "<circle "]
            .iter()
            .find(|tag| line.starts_with(**tag))
            .and_then(|_| classes.iter().find(|(colour, _)| line.contains(&format!("fill=\"{colour}\""))));
        match (class, line.split_once(' ')) {
            (Some((_, class)), Some((tag, rest))) => {
                let _ = writeln!(out, "{tag} class=\"{class}\" {rest}");
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

fn open_figure(out: &mut String, svg: &str, title: &str, notes: &[String]) {
    out.push_str("<figure class=\"chart\">\n");
    out.push_str(svg);
    let _ = write!(out, "<figcaption>{}", escape(title));
    for note in notes {
        let _ = write!(out, " ({})", escape(note));
    }
    out.push_str("</figcaption>\n");
}

fn empty_figure(title: &str, unplottable: usize) -> String {
    let mut out = String::from("<figure class=\"chart chart-empty\">\n");
    let _ = writeln!(out, "<figcaption>{}</figcaption>", escape(title));
    out.push_str("<p>No values to plot");
    if unplottable > 0 {
        let _ = write!(out, " ({} not a finite number)", count(unplottable, "value", "values"));
    }
    out.push_str(".</p>\n</figure>\n");
    out
}

// ---------------------------------------------------------------------------------------
// Numbers and words

/// The value axis: from min(0, lowest) to max(0, highest), a little headroom beyond the
/// extremes, and a unit span when every value is the same zero.
fn value_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = hi - lo;
    if span <= 0.0 || !span.is_finite() {
        return (0.0, 1.0);
    }
    if hi > 0.0 {
        hi += span * 0.05;
    }
    if lo < 0.0 {
        lo -= span * 0.05;
    }
    (lo, hi)
}

/// Tick labels with as many decimals as the tick spacing needs, and thousands separated.
fn tick_formatter(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let step = (hi - lo) / 6.0;
    let decimals = if step > 0.0 { (-step.log10().floor()).clamp(0.0, 6.0) as usize } else { 0 };
    move |v: &f64| format_number(*v, decimals)
}

fn format_number(v: f64, decimals: usize) -> String {
    let digits = format!("{:.*}", decimals, v.abs());
    let (whole, fraction) = digits.split_once('.').map_or((digits.as_str(), ""), |(w, f)| (w, f));
    let grouped = group_digits(whole);
    let zero = digits.chars().all(|c| c == '0' || c == '.');
    let sign = if v < 0.0 && !zero { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

fn group_digits(whole: &str) -> String {
    let len = whole.chars().count();
    let mut out = String::with_capacity(len.saturating_add(len / 3));
    for (i, c) in whole.chars().enumerate() {
        let left = len.saturating_sub(i);
        if i > 0 && left % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn thousands(n: usize) -> String {
    group_digits(&n.to_string())
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `1st`, `2nd`, `11th`, `1,002nd`.
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{}{suffix}", thousands(n))
}

/// At most `max` characters, the last an ellipsis when cut (full text is in the table).
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn svg_colour(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

#[cfg(test)]
mod tests;
