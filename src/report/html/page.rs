//! The page around a report's sections: one self-contained HTML document (styles inline,
//! no script, nothing fetched), the data's notice at the top and the stamp at the foot of
//! every page, laid out for the screen and for A4 paper.

use crate::data::stamp::Stamp;
use crate::report::markup::escape;
use std::fmt::Write;

/// What heads and closes every page.
pub struct Frame<'a> {
    /// The report's title, and what this page is of (an entity, a period).
    pub title: &'a str,
    pub subtitle: &'a str,
    /// The data folder's NOTICE ("synthetic data ..."), shown on every page.
    pub notices: &'a [String],
    pub stamp: &'a Stamp,
    /// The rule file and line that declares the report, and its citations.
    pub declared: &'a str,
    /// Links back (an index page), as (text, href).
    pub links: &'a [(String, String)],
}

const STYLE: &str = "
:root { --ink: #1b1f24; --muted: #5a6270; --line: #d5d9e0; --accent: #b3261e; --band: #f4f6f9; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 24px; }
header h1 { font-size: 1.6em; margin: 0 0 4px; }
header p.subtitle { color: var(--muted); margin: 0 0 12px; }
.notice { background: #fff4e5; border-left: 4px solid #e8a33d; padding: 8px 12px; margin: 12px 0; }
nav a { margin-right: 12px; }
section.report { margin: 28px 0; }
section.report h2 { font-size: 1.25em; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.figure { font-variant-numeric: tabular-nums; }
details.why > summary { cursor: pointer; color: var(--muted); font-size: 0.85em; }
details.why[open] { background: var(--band); padding: 6px 10px; margin: 4px 0; max-width: 100%; overflow-x: auto; }
details.why pre { white-space: pre-wrap; word-break: break-all; font-size: 0.8em; }
figure.chart { margin: 12px 0 24px; break-inside: avoid; }
figure.chart svg { width: 100%; height: auto; max-width: 760px; display: block; }
figcaption { font-weight: 600; margin: 4px 0; }
p.position { margin: 4px 0 8px; }
footer { margin-top: 40px; border-top: 1px solid var(--line); padding-top: 8px; color: var(--muted); font-size: 0.85em; }
footer code { word-break: break-all; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav, details.why > summary { display: none; }
  details.why:not([open]) { display: none; }
  section.report { break-before: auto; }
  h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
";

/// The whole document: head, notice, the sections in `body`, and the stamp.
pub fn document(frame: &Frame<'_>, body: &str) -> String {
    let mut out = String::with_capacity(body.len().saturating_add(8192));
    let title = escape(frame.title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <title>{title} — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n",
        escape(frame.subtitle)
    );
    if !frame.links.is_empty() {
        out.push_str("<nav>");
        for (text, href) in frame.links {
            let _ = write!(out, "<a href=\"{}\">{}</a>", escape(href), escape(text));
        }
        out.push_str("</nav>\n");
    }
    let _ = writeln!(out, "<h1>{title}</h1>\n<p class=\"subtitle\">{}</p>", escape(frame.subtitle));
    for n in frame.notices {
        let _ = writeln!(out, "<p class=\"notice\"><strong>Note:</strong> {}</p>", escape(n));
    }
    out.push_str("</header>\n<main>\n");
    out.push_str(body);
    out.push_str("</main>\n");
    footer(&mut out, frame);
    out.push_str("</body>\n</html>\n");
    out
}

/// The stamp: the tool and version, and the SHA-256 of every rule and data file.
fn footer(out: &mut String, frame: &Frame<'_>) {
    let s = frame.stamp;
    let _ = writeln!(
        out,
        "<footer>\n<p>Made by {} {} from {} rule file{} and {} data file{}; declared at <code>{}</code>. \
         Every figure's derivation is under it (“how”).</p>",
        escape(&s.tool),
        escape(&s.version),
        s.rules.len(),
        if s.rules.len() == 1 { "" } else { "s" },
        s.data.len(),
        if s.data.len() == 1 { "" } else { "s" },
        escape(frame.declared),
    );
    out.push_str("<details class=\"stamp\"><summary>Files (SHA-256)</summary>\n<table>\n");
    for (kind, files) in [("rules", &s.rules), ("data", &s.data)] {
        for f in files.iter() {
            let _ = writeln!(
                out,
                "<tr><td>{kind}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                escape(&f.path),
                escape(&f.sha256)
            );
        }
    }
    out.push_str("</table>\n</details>\n</footer>\n");
}
