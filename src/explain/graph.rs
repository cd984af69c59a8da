//! The derivation graph an explanation is made of: one node per figure, parameter,
//! statistic, script call or data value, with edges to the inputs it was computed from.

use crate::ast::Date;
use crate::data::stamp::Stamp;
use crate::eval::run::UnitOut;
use crate::source::Span;
use crate::value::Value;

/// A whole explanation: the requested figure is `nodes[root]`.
#[derive(Debug, Clone)]
pub struct Graph {
    pub stamp: Stamp,
    pub notices: Vec<String>,
    pub period: String,
    pub nodes: Vec<Node>,
    pub root: usize,
    /// The comparison with a saved result (`--against`).
    pub against: Option<super::against::Against>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Kpi,
    Figure,
    Total,
    /// One entity's (scaled) share of a total.
    Contribution,
    /// A methodology's `scale` for one entity.
    Scale,
    Param,
    /// A value read from a data file.
    Field,
    Statistic,
    Script,
    /// A policy's requirement for one row or entity: its verdict.
    Policy,
    /// The class an activity is given, and the line that gives it.
    Class,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Kpi => "kpi",
            Kind::Figure => "figure",
            Kind::Total => "total",
            Kind::Contribution => "contribution",
            Kind::Scale => "scale",
            Kind::Param => "parameter",
            Kind::Field => "data",
            Kind::Statistic => "statistic",
            Kind::Script => "script",
            Kind::Policy => "policy",
            Kind::Class => "class",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Kind,
    /// As a formula writes it: `saving[finance]`, `rate[small]`.
    pub name: String,
    pub methodology: Option<String>,
    pub entity: Option<String>,
    /// (index set, member) for each index.
    pub index: Vec<(String, String)>,
    pub value: Value,
    pub unit: UnitOut,
    /// The rule text that defines the value, with each sub-expression's value.
    pub rule: Option<Rule>,
    /// Where a data value was read (several cells for a value summed from records).
    pub cells: Vec<Cell>,
    pub param: Option<ParamInfo>,
    pub stat: Option<StatInfo>,
    pub script: Option<ScriptInfo>,
    pub total: Option<TotalInfo>,
    /// The `assay explain` arguments that explain this node on its own, one per word.
    pub selector: Option<Vec<String>>,
    pub inputs: Vec<usize>,
    /// Inputs not followed because `--depth` was reached.
    pub truncated: bool,
    /// A contribution that is its figure times the methodology's `scale` (one that declares
    /// no scale contributes its figure as it is).
    pub scaled: bool,
}

impl Node {
    pub fn new(kind: Kind, name: String, value: Value, unit: UnitOut) -> Node {
        Node {
            kind,
            name,
            methodology: None,
            entity: None,
            index: Vec::new(),
            value,
            unit,
            rule: None,
            cells: Vec::new(),
            param: None,
            stat: None,
            script: None,
            total: None,
            selector: None,
            inputs: Vec::new(),
            truncated: false,
            scaled: false,
        }
    }

    /// The command that explains this node on its own, quoted for a shell.
    pub fn command(&self) -> Option<String> {
        let selector = self.selector.as_ref()?;
        let args: Vec<String> =
            ["assay", "explain"].into_iter().map(String::from).chain(selector.iter().cloned()).collect();
        Some(super::shell::command(&args))
    }
}

/// A rule's text and where it is.
#[derive(Debug, Clone)]
pub struct Rule {
    pub span: Span,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub text: String,
    pub terms: Vec<Term>,
}

/// One sub-expression of a rule with its value.
#[derive(Debug, Clone)]
pub struct Term {
    pub span: Span,
    pub text: String,
    pub value: Value,
    pub unit: UnitOut,
}

/// A data cell: file, sheet, row (line), column, the raw text, and the line it is on.
#[derive(Debug, Clone)]
pub struct Cell {
    pub file: String,
    pub sheet: Option<String>,
    /// 1-based line of a text file, or row of a spreadsheet.
    pub row: usize,
    /// 1-based column.
    pub column: Option<usize>,
    pub header: Option<String>,
    pub raw: Option<String>,
    /// The whole line of a text file, and the cell's byte range in it.
    pub line_text: Option<String>,
    pub range: Option<(usize, usize)>,
}

#[derive(Debug, Clone)]
pub struct ParamInfo {
    /// The date the value in force took effect, if it is dated.
    pub since: Option<Date>,
    /// The date the value was chosen for (the period's start).
    pub on: Option<Date>,
    pub cites: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct StatInfo {
    /// The statistic as written: `trimmed_mean(cost_share[f], trim: 25%, ...) over peers`.
    pub text: String,
    pub group: String,
    pub size: usize,
    pub minimum: usize,
    /// How trimming chose its members, in words.
    pub trimming: Option<String>,
    /// The members, in the statistic's order (a large group: both ends, each side of every
    /// cut and this entity).
    pub members: Vec<Member>,
    /// Members not listed.
    pub omitted: usize,
    /// How many members are kept, trimmed low, trimmed high and left out (the whole group).
    pub counts: [usize; 4],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Kept,
    TrimmedLow,
    TrimmedHigh,
    /// Missing, or not a number: left out (`missing: skip`) or making the result missing.
    LeftOut,
    /// Every value of the group counts (no trimming).
    Used,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Kept => "kept",
            Status::TrimmedLow => "trimmed (low)",
            Status::TrimmedHigh => "trimmed (high)",
            Status::LeftOut => "left out",
            Status::Used => "used",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Member {
    pub entity: String,
    pub value: Value,
    pub status: Status,
    /// The entity being explained.
    pub this: bool,
    /// 1-based place in the statistic's order (left-out members after the others).
    pub rank: usize,
}

#[derive(Debug, Clone)]
pub struct ScriptInfo {
    pub function: String,
    pub arguments: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct TotalInfo {
    /// The dimensions the total declaration groups by (`total saving by org_type`).
    pub total_by: Vec<String>,
    /// The group explained (empty: the overall total).
    pub by: Vec<(String, String)>,
    pub scaled: bool,
    /// Values summed and values left out as missing.
    pub count: usize,
    pub missing: usize,
    /// Contributions shown (largest first) of all that are non-zero.
    pub shown: usize,
    pub nonzero: usize,
}
