//! JUnit XML for CI dashboards: a test suite per policy, a test case per row that did
//! not pass (a failure when it fails the run, skipped when waived, passing with its
//! message as output otherwise) and one for the rows that passed.

use super::fails;
use crate::policy::{Status, Verdicts};
use crate::report::markup::escape;
use std::fmt::Write;

pub fn render(verdicts: &Verdicts, deny_warnings: bool) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures) = (0usize, 0usize);
    for p in &verdicts.policies {
        let rows: Vec<_> = verdicts.violations.iter().filter(|v| v.policy == p.name).collect();
        let failed = rows.iter().filter(|v| fails(v, deny_warnings)).count();
        let skipped = rows.iter().filter(|v| v.status == Status::Waived).count();
        let count = rows.len().saturating_add(1);
        tests = tests.saturating_add(count);
        failures = failures.saturating_add(failed);
        let _ = writeln!(
            suites,
            r#"  <testsuite name="{}" tests="{count}" failures="{failed}" errors="0" skipped="{skipped}">"#,
            escape(&p.name)
        );
        for v in rows {
            let whose = if v.index.is_empty() { v.entity.clone() } else { format!("{} {}", v.label(), v.entity) };
            let name = match &v.record {
                Some((file, line)) => format!("{whose} ({file}:{line})"),
                None if v.period.is_empty() => whose,
                None => format!("{whose} ({})", v.period),
            };
            let _ = write!(suites, r#"    <testcase classname="{}" name="{}""#, escape(&p.name), escape(&name));
            let message = match &v.reason {
                Some(r) => format!("{} ({r})", v.message),
                None => v.message.clone(),
            };
            if fails(v, deny_warnings) {
                let _ = writeln!(
                    suites,
                    ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                    v.severity.as_str(),
                    escape(&message),
                    escape(&p.title)
                );
            } else if v.status == Status::Waived {
                let _ =
                    writeln!(suites, ">\n      <skipped message=\"waived: {}\"/>\n    </testcase>", escape(&message));
            } else {
                let _ = writeln!(
                    suites,
                    ">\n      <system-out>{}: {}</system-out>\n    </testcase>",
                    v.severity.as_str(),
                    escape(&message)
                );
            }
        }
        let _ = writeln!(
            suites,
            r#"    <testcase classname="{}" name="{} of {} verdicts passed"/>"#,
            escape(&p.name),
            p.passed,
            p.rows
        );
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"assay verify\" tests=\"{tests}\" failures=\"{failures}\">\n{suites}</testsuites>\n"
    )
}
