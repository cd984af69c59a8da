//! Any text as a rhai script behind a `script` declaration: compiled as evaluation loads
//! scripts, and each declared function it defines called with values (numbers at the
//! edges of exact decimals, text, truth values, dates, missing values; the input's first
//! byte picks them) on one row or several. Nothing may panic: compile errors, run-time
//! failures and sandbox limits are diagnostics that render and point into the script,
//! and a call gives a value per row of a kind the engine holds.
#![no_main]

use assay::eval::column::Column;
use assay::eval::model::Model;
use assay::eval::script::{resolve_positions, ScriptHost};
use assay::source::Span;
use assay::value::{Date, Value};
use assay_fuzz::{checked_tree, on_big_stack, show};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

const RULES: &str = r#"unit GBP "pound sterling" symbol "£"
script tools "tools.rhai" {
  fn f0() : GBP
  fn f1(x: GBP) : GBP
  fn f2(x: GBP, y: count) : GBP
  fn f3(x: GBP, y: count, z: ratio) : ratio
}
"#;

/// The values a script may be handed, picked by the bits of `pick`.
fn value(pick: usize) -> Value {
    match pick % 9 {
        0 => Value::Num(Decimal::ZERO),
        1 => Value::Num(Decimal::new(15, 1)),
        2 => Value::Num(Decimal::new(-7, 0)),
        3 => Value::Num(Decimal::MAX),
        4 => Value::Num(Decimal::new(1, 28)),
        5 => Value::Text("North".into()),
        6 => Value::Bool(true),
        7 => Date::new(2020, 2, 29).map_or(Value::Bool(false), Value::Date),
        _ => Value::missing("no value in the data"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else { return };
    let Ok(script) = std::str::from_utf8(body) else { return };
    on_big_stack(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("tools.rhai"), script).expect("the script");
        let tree = checked_tree(&dir.path().join("main.assay"), RULES);
        let model = Model::new(&tree);
        let mut sources = tree.files.clone();
        let mut diags = Vec::new();
        let first_script = sources.len();
        let host = ScriptHost::load(&model, &mut sources, &mut diags, &assay::eval::budget::ScriptBudget::default());
        let script_sources: Vec<usize> = (first_script..sources.len()).collect();
        // Several rows when the high bit is set; each row's arguments differ.
        let rows = if choice & 0x80 == 0 { 1 } else { 3 };
        for arity in 0..4usize {
            let args: Vec<Column> = (0..arity)
                .map(|a| {
                    let at = |row: usize| value(usize::from(choice) + a * 5 + row * 2);
                    if rows == 1 {
                        Column::Const(at(0))
                    } else {
                        Column::from_vec((0..rows).map(at).collect())
                    }
                })
                .collect();
            let out = host.call(&format!("f{arity}"), &args, rows, Span::new(0, 0, 0), &mut diags);
            for row in 0..rows {
                let v = out.get(row);
                assert!(matches!(v, Value::Num(_) | Value::Approx(..) | Value::Bool(_) | Value::Missing(_)), "f{arity} gave {v:?}");
            }
        }
        resolve_positions(&mut diags, &sources, &script_sources);
        show(&diags, &sources, choice);
    });
});
