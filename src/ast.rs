//! The typed syntax tree that lowering produces and every later stage reads.
//!
//! Every node that a diagnostic may point at is a [`Spanned`] value; equality ignores
//! spans, so the trees of two layouts of the same rules compare equal.

use crate::source::{FileId, Name, Spanned};
use rust_decimal::Decimal;

/// One parsed rule file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub id: FileId,
    pub definitions: Vec<Spanned<Definition>>,
    /// Every comment in the file, in order, for the formatter.
    pub comments: Vec<Spanned<Comment>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// The text after the `#` (or `##`), without the line break.
    pub text: String,
    pub doc: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// The `##` lines just above the definition, joined by newlines.
    pub doc: Option<String>,
    pub name: Name,
    pub kind: DefKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DefKind {
    Source(SourceDef),
    Unit(UnitDef),
    Class(ClassDef),
    Set(SetDef),
    Function(FunctionDef),
    Dataset(DatasetDef),
    Param(ParamDef),
    Kpi(KpiDef),
    Methodology(MethodologyDef),
    Classify(ClassifyDef),
    Policy(PolicyDef),
    Script(ScriptDef),
    Report(ReportDef),
}

impl DefKind {
    /// The keyword that introduces this kind of definition, as users write it.
    pub fn keyword(&self) -> &'static str {
        match self {
            DefKind::Source(_) => "source",
            DefKind::Unit(_) => "unit",
            DefKind::Class(_) => "class",
            DefKind::Set(_) => "set",
            DefKind::Function(_) => "function",
            DefKind::Dataset(_) => "dataset",
            DefKind::Param(_) => "param",
            DefKind::Kpi(_) => "kpi",
            DefKind::Methodology(_) => "methodology",
            DefKind::Classify(_) => "classify",
            DefKind::Policy(_) => "policy",
            DefKind::Script(_) => "script",
            DefKind::Report(_) => "report",
        }
    }

    /// The citations of a definition, for the kinds that take them.
    pub fn cites(&self) -> Option<&[Spanned<Cite>]> {
        match self {
            DefKind::Class(d) => Some(&d.cites),
            DefKind::Set(d) => Some(&d.cites),
            DefKind::Function(d) => Some(&d.cites),
            DefKind::Dataset(d) => Some(&d.cites),
            DefKind::Param(d) => Some(&d.cites),
            DefKind::Kpi(d) => Some(&d.cites),
            DefKind::Methodology(d) => Some(&d.cites),
            DefKind::Classify(d) => Some(&d.cites),
            DefKind::Policy(d) => Some(&d.cites),
            DefKind::Report(d) => Some(&d.cites),
            DefKind::Source(_) | DefKind::Unit(_) | DefKind::Script(_) => None,
        }
    }
}

/// `cite review2010 "s5.7"`
#[derive(Debug, Clone, PartialEq)]
pub struct Cite {
    pub source: Name,
    pub locator: Option<Spanned<String>>,
}

/// A free-form `key value` line, such as `document "004.txt"` or `sourcing "outsource"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub key: Name,
    pub value: Spanned<PropValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PropValue {
    Text(String),
    Word(String),
    Number(Decimal),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceDef {
    pub title: Spanned<String>,
    pub properties: Vec<Spanned<Property>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UnitDef {
    /// A new dimension: `unit GBP "pound sterling" symbol "£"`.
    Base { title: Spanned<String>, symbol: Option<Spanned<String>> },
    /// A name for a compound unit: `unit GBP_per_FTE = GBP / FTE`.
    Alias { expr: Spanned<UnitExpr>, title: Option<Spanned<String>> },
}

/// A product of named units with integer powers; the empty product is dimensionless `1`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnitExpr {
    pub factors: Vec<(Name, i32)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClassDef {
    pub title: Spanned<String>,
    pub cites: Vec<Spanned<Cite>>,
    pub properties: Vec<Spanned<Property>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SetDef {
    pub title: Spanned<String>,
    /// The members are alternatives (scenarios, ends of a range): totals never add them up.
    pub alternatives: bool,
    pub cites: Vec<Spanned<Cite>>,
    pub members: Vec<Spanned<SetMember>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SetMember {
    pub name: Name,
    pub title: Option<Spanned<String>>,
    /// Other spellings that data files use for this member (`also "NORTH - EAST"`).
    pub aliases: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub title: Spanned<String>,
    pub cites: Vec<Spanned<Cite>>,
    pub parent: Option<Name>,
    pub activities: Vec<Spanned<Activity>>,
    pub properties: Vec<Spanned<Property>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub name: Name,
    pub title: Spanned<String>,
    pub class: Name,
    /// The source also gives this activity another class; the rule records the choice.
    pub resolves: Option<Spanned<Resolution>>,
    pub cites: Vec<Spanned<Cite>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    pub other_class: Name,
    pub reason: Spanned<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DatasetDef {
    pub title: Spanned<String>,
    /// Many rows per entity and period (ledger lines), rather than one.
    pub records: bool,
    /// `from classify TABLE`: the table's aggregates over its records dataset, per entity
    /// and period; each field sums a field of those records (or counts them, `"records"`)
    /// over the output values its indices name.
    pub classified: Option<Name>,
    pub cites: Vec<Spanned<Cite>>,
    pub entity: Option<Spanned<EntityDecl>>,
    pub period: Option<Spanned<PeriodDecl>>,
    pub missing: Vec<Spanned<String>>,
    pub files: Vec<Spanned<DataFile>>,
    pub exclude: Vec<Spanned<Exclusion>>,
    pub fields: Vec<Spanned<Field>>,
    pub properties: Vec<Spanned<Property>>,
}

impl DatasetDef {
    /// A records dataset whose fields say how rows roll up: it also gives entity figures.
    pub fn rolls_up(&self) -> bool {
        self.records && self.fields.iter().any(|f| f.node.rollup.is_some())
    }

    /// Does this dataset give one value per entity and period for its (rolled-up) fields?
    pub fn gives_entities(&self) -> bool {
        !self.records || self.rolls_up()
    }
}

/// `file "x.csv" period "2013/14"`
#[derive(Debug, Clone, PartialEq)]
pub struct DataFile {
    pub path: Spanned<String>,
    /// `file "plan.csv" or "plan.yaml"`: other names the file may have; the data folder
    /// must hold exactly one of them.
    pub alternatives: Vec<Spanned<String>>,
    pub period: Option<Spanned<String>>,
}

/// `exclude "Organisation Code" matches " Result$"`
#[derive(Debug, Clone, PartialEq)]
pub struct Exclusion {
    pub column: Spanned<String>,
    pub cell: Spanned<Cell>,
}

/// How a records dataset's rows roll up to one value per entity and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollup {
    /// Add the rows' values (numbers only, never ratios or percentages).
    Sum,
    /// Every row must agree; the value they share.
    Same,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EntityDecl {
    pub name: Name,
    pub key_column: Spanned<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PeriodDecl {
    pub name: Name,
    pub column: Spanned<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: Name,
    pub indices: Vec<Spanned<IndexDecl>>,
    pub ty: Spanned<FieldType>,
    /// The column name, or a template such as `"{f.title} cost"` when indexed.
    pub column: Spanned<String>,
    /// Other names the column has in some files (`from "A" or "B"`).
    pub alternatives: Vec<Spanned<String>>,
    pub optional: bool,
    pub rollup: Option<Spanned<Rollup>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    Text,
    Date,
    /// A number in a unit, or (when the name is a declared set) a member of that set.
    Unit(UnitExpr),
}

/// `f in function`
#[derive(Debug, Clone, PartialEq)]
pub struct IndexDecl {
    pub var: Name,
    pub set: Name,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParamDef {
    pub indices: Vec<Spanned<IndexDecl>>,
    pub unit: Spanned<UnitExpr>,
    pub cites: Vec<Spanned<Cite>>,
    pub entries: Vec<Spanned<ParamEntry>>,
    /// Written as `param x : u = value` rather than with a block.
    pub short: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParamEntry {
    pub keys: Vec<Spanned<ParamKey>>,
    pub value: Expr,
    pub since: Option<Spanned<Date>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamKey {
    Name(String),
    /// `*`: every index value not given its own entry.
    Any,
}

impl ParamKey {
    /// The key as written: a member's name, or `*`.
    pub fn text(&self) -> &str {
        match self {
            ParamKey::Name(n) => n,
            ParamKey::Any => "*",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KpiDef {
    pub indices: Vec<Spanned<IndexDecl>>,
    pub title: Option<Spanned<String>>,
    pub unit: Spanned<UnitExpr>,
    pub formula: Expr,
    pub cites: Vec<Spanned<Cite>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MethodologyDef {
    pub title: Spanned<String>,
    pub cites: Vec<Spanned<Cite>>,
    pub peers: Option<Spanned<Peers>>,
    pub figures: Vec<Spanned<Figure>>,
    pub scale: Option<Expr>,
    pub totals: Vec<Spanned<Total>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Peers {
    /// Fields whose equal values make a peer group; empty means every entity.
    pub same: Vec<Name>,
    pub minimum: Option<Spanned<u32>>,
}

/// `let target[f in function] : percent = ...` inside a methodology.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub name: Name,
    pub indices: Vec<Spanned<IndexDecl>>,
    pub unit: Option<Spanned<UnitExpr>>,
    pub formula: Expr,
}

/// `total saving by kind, function`
#[derive(Debug, Clone, PartialEq)]
pub struct Total {
    pub figure: Name,
    pub by: Vec<Name>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClassifyDef {
    pub title: Option<Spanned<String>>,
    pub dataset: Name,
    pub hit: Spanned<HitPolicy>,
    pub cites: Vec<Spanned<Cite>>,
    pub columns: Vec<Spanned<Column>>,
    pub rows: Vec<Spanned<Row>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitPolicy {
    Unique,
    First,
    Collect,
}

impl HitPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            HitPolicy::Unique => "unique",
            HitPolicy::First => "first",
            HitPolicy::Collect => "collect",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: Name,
    pub output: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<Spanned<Cell>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Any,
    Exact(Literal),
    Starts(String),
    Regex(String),
    Range(Literal, Literal),
    Compare(CompareOp, Literal),
    Set(Vec<Literal>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// A constant in a decision-table cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Text(String),
    /// A bare word: a name such as an activity, or text written without quotes.
    Word(String),
    Number(Decimal),
    Date(Date),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDef {
    /// `policy p[a in area]`: judged once for each member of each index.
    pub indices: Vec<Spanned<IndexDecl>>,
    pub title: Spanned<String>,
    pub severity: Option<Spanned<Severity>>,
    pub cites: Vec<Spanned<Cite>>,
    pub var: Name,
    pub over: Name,
    /// `for g in plan by partnership`: rows grouped by these fields, one verdict per group;
    /// the requirement reads the group's rows through statistics `over g`.
    pub by: Vec<Name>,
    pub require: Expr,
    /// A justified exception: where it holds, a row that fails is waived, not passed.
    pub unless: Option<Expr>,
    pub message: Spanned<String>,
}

/// A `{...}` in a policy's message: its text and the expression it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Placeholder {
    pub text: String,
    /// `{s.field}`, `{kpi}` or `{methodology.figure}`; none when the text is none of these.
    pub expr: Option<Expr>,
}

impl PolicyDef {
    /// The message's placeholders, in order; their expressions point at the message.
    pub fn placeholders(&self) -> Vec<Placeholder> {
        let span = self.message.span;
        let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let name = |w: &str| Spanned::new(w.to_string(), span);
        self.message
            .node
            .split('{')
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(inner, _)| inner))
            .map(|inner| {
                let expr = match inner.split_once('.') {
                    Some((a, b)) if word(a) && word(b) => Some(ExprKind::Member {
                        target: Box::new(Spanned::new(ExprKind::Name(a.to_string()), span)),
                        member: name(b),
                    }),
                    None if word(inner) => Some(ExprKind::Name(inner.to_string())),
                    _ => None,
                };
                Placeholder { text: inner.to_string(), expr: expr.map(|e| Spanned::new(e, span)) }
            })
            .collect()
    }
}

/// `report peer_to_peer "Peer-to-peer comparison" each organisation { ... }`: what a report
/// page shows, section by section.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportDef {
    pub title: Spanned<String>,
    /// `each organisation`: a page per entity, marked against its peers; none: one page.
    pub each: Option<Name>,
    /// `label name`: the text field that names an entity (its key otherwise).
    pub label: Option<Name>,
    pub cites: Vec<Spanned<Cite>>,
    /// `peers same kind`: the groups distributions are drawn within (all entities when none).
    pub peers: Option<Spanned<Peers>>,
    pub sections: Vec<Spanned<ReportSection>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportSection {
    pub title: Spanned<String>,
    pub items: Vec<Spanned<ReportItem>>,
}

/// What a section shows. Figures with an index show one row, bar or chart per member.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportItem {
    /// `table a, b`: the figures side by side, a row per index member.
    Table(Vec<Spanned<FigureRef>>),
    /// `distribution k target m.t`: the figure across a peer group, ranked, with its
    /// quartiles and (optionally) a methodology's target drawn.
    Distribution { figure: Spanned<FigureRef>, target: Option<Spanned<FigureRef>> },
    /// `compare m.saving, n.saving`: several figures of one unit side by side, by index member.
    Compare(Vec<Spanned<FigureRef>>),
    /// `trend k`: the figure across the data's periods.
    Trend(Spanned<FigureRef>),
    /// `totals m, n`: the methodologies' totals side by side.
    Totals(Vec<Name>),
}

impl ReportItem {
    /// The keyword that introduces the item, as users write it.
    pub fn keyword(&self) -> &'static str {
        match self {
            ReportItem::Table(_) => "table",
            ReportItem::Distribution { .. } => "distribution",
            ReportItem::Compare(_) => "compare",
            ReportItem::Trend(_) => "trend",
            ReportItem::Totals(_) => "totals",
        }
    }
}

/// A KPI (`cost_share`) or a methodology's figure (`national_average.saving`).
#[derive(Debug, Clone, PartialEq)]
pub struct FigureRef {
    pub methodology: Option<Name>,
    pub name: Name,
}

impl FigureRef {
    /// As written: `cost_share` or `national_average.saving`.
    pub fn text(&self) -> String {
        match &self.methodology {
            Some(m) => format!("{}.{}", m.node, self.name.node),
            None => self.name.node.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScriptDef {
    pub path: Spanned<String>,
    pub functions: Vec<Spanned<ScriptFn>>,
}

/// A function a script promises to define, with the units it takes and returns.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptFn {
    pub name: Name,
    pub params: Vec<(Name, Spanned<UnitExpr>)>,
    pub returns: Spanned<UnitExpr>,
}

/// Dates are values too, so the type lives on the ground floor.
pub use crate::value::Date;

pub type Expr = Spanned<ExprKind>;

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(Decimal),
    /// `25%`, holding the number as written (25); its value is a ratio of 0.25.
    Percent(Decimal),
    /// `£1,185,262` or `£3.5m`: the number as written and its magnitude.
    Money {
        currency: String,
        amount: Decimal,
        magnitude: Option<Magnitude>,
    },
    Date(Date),
    Text(String),
    Bool(bool),
    Name(String),
    Index {
        target: Box<Expr>,
        indices: Vec<Expr>,
    },
    Member {
        target: Box<Expr>,
        member: Name,
    },
    Call {
        function: Name,
        args: Vec<Argument>,
    },
    /// `median(x) over peers`: an aggregate over a group of entities.
    Over {
        aggregate: Box<Expr>,
        group: Name,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    /// Binary operators of one precedence in a row, `a + b - c`: they group to the left,
    /// `(a + b) - c`, but the run is one flat node, so a formula summing 200,000 terms is
    /// one level deep, not a tree 200,000 levels deep that every stage walks recursively.
    Chain {
        first: Box<Expr>,
        links: Vec<Link>,
    },
    If {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Magnitude {
    Thousand,
    Million,
    Billion,
}

impl Magnitude {
    pub fn suffix(self) -> &'static str {
        match self {
            Magnitude::Thousand => "k",
            Magnitude::Million => "m",
            Magnitude::Billion => "bn",
        }
    }

    pub fn factor(self) -> Decimal {
        match self {
            Magnitude::Thousand => Decimal::from(1_000),
            Magnitude::Million => Decimal::from(1_000_000),
            Magnitude::Billion => Decimal::from(1_000_000_000),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Argument {
    pub name: Option<Name>,
    pub value: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

/// One operator of a [`ExprKind::Chain`] and the operand on its right.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub op: Spanned<BinaryOp>,
    pub operand: Expr,
}

impl ExprKind {
    /// The precedence of a chain's operators (one for all of them); `None` for other nodes.
    pub fn chain_precedence(&self) -> Option<u8> {
        match self {
            ExprKind::Chain { links, .. } => links.first().map(|l| l.op.node.precedence()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    /// Every binary operator, tightest-binding last.
    pub const ALL: [BinaryOp; 12] = [
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
    ];

    /// The highest [`precedence`](BinaryOp::precedence): prefix operators and postfixes
    /// (`[..]`, `.`, `over`) bind tighter than any binary operator.
    pub const MAX_PRECEDENCE: u8 = 5;

    /// How tightly the operator binds, higher binding tighter: the one table that both
    /// lowering (which builds the tree) and the formatter (which brackets it) read, so
    /// the two cannot disagree. Every binary operator is left-associative: `a - b - c`
    /// is `(a - b) - c`, and so is `a < b < c`.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 3,
            BinaryOp::Add | BinaryOp::Sub => 4,
            BinaryOp::Mul | BinaryOp::Div => Self::MAX_PRECEDENCE,
        }
    }

    /// The operator spelt `symbol` in rule text (the grammar's `infix` token).
    pub fn from_symbol(symbol: &str) -> Option<BinaryOp> {
        Self::ALL.into_iter().find(|op| op.as_str() == symbol)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(self, BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge)
    }
}

#[cfg(test)]
mod tests {
    use super::BinaryOp;

    #[test]
    fn every_operator_reads_back_from_its_symbol_and_binds_within_the_table() {
        for op in BinaryOp::ALL {
            assert_eq!(BinaryOp::from_symbol(op.as_str()), Some(op));
            assert!((1..=BinaryOp::MAX_PRECEDENCE).contains(&op.precedence()));
        }
        assert_eq!(BinaryOp::from_symbol("^"), None);
    }
}
