//! The built-in functions and statistics, with the choices each one makes callers state.

use rust_decimal::Decimal;

/// How a built-in's result type follows from its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// The unit of the first argument (all value arguments must share it).
    SameAsArgs,
    /// A count.
    Count,
    /// A dimensionless ratio.
    Ratio,
    /// A truth value.
    Bool,
    /// The class of an activity.
    ClassOf,
    /// Whatever the first argument is (`previous(x)` is of x's type).
    FirstArg,
}

/// A named option: `trim: 25%`, `method: linear`.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    pub name: &'static str,
    /// Leaving it out is an `unstated-choice` error.
    pub required: bool,
    /// The words it accepts; empty means it takes a number (a ratio).
    pub words: &'static [&'static str],
    pub meaning: &'static str,
    /// The values a number option may take; checked at `check` time when it is written
    /// as a literal. One read from a parameter can only be known at run time: out of
    /// range, the statistic is missing and the run warns (`figure-all-missing`).
    pub range: Option<Range>,
}

/// The values a number may take where a built-in reads one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// A share, written as a percentage: at least `low`% and at most (or, without
    /// `high_allowed`, below) `high`%.
    Share { low: u32, high: u32, high_allowed: bool },
    /// A whole number from `low` to `high`.
    Whole { low: u32, high: u32 },
}

impl Range {
    /// Whether a value (a ratio: 0.25 for 25%) is in the range.
    pub fn holds(self, value: Decimal) -> bool {
        match self {
            Range::Share { low, high, high_allowed } => {
                let (low, high) = (Decimal::new(low.into(), 2), Decimal::new(high.into(), 2));
                value >= low && (value < high || (high_allowed && value == high))
            }
            Range::Whole { low, high } => value.fract().is_zero() && value >= low.into() && value <= high.into(),
        }
    }

    /// The range in words: "at least 0% and below 50%".
    pub fn describe(self) -> String {
        match self {
            Range::Share { low, high, high_allowed: true } => format!("between {low}% and {high}%"),
            Range::Share { low, high, high_allowed: false } => format!("at least {low}% and below {high}%"),
            Range::Whole { low, high } => format!("a whole number from {low} to {high}"),
        }
    }
}

/// The fraction dropped from each end of a trimmed mean: dropping half or more from each
/// end leaves nothing to average.
pub const TRIM: Range = Range::Share { low: 0, high: 50, high_allowed: false };
/// A quantile's fraction (`quantile(x, 25%, ...)`, the second value).
pub const QUANTILE: Range = Range::Share { low: 0, high: 100, high_allowed: true };
/// Decimal places kept by `round`: a decimal holds at most 28.
pub const PLACES: Range = Range::Whole { low: 0, high: 28 };

#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    pub name: &'static str,
    /// Statistics summarise a group and must be written `... over GROUP`.
    pub aggregate: bool,
    pub min_args: usize,
    pub max_args: usize,
    pub options: &'static [Opt],
    pub returns: Returns,
    pub signature: &'static str,
}

const MISSING: Opt = Opt {
    name: "missing",
    required: true,
    words: &["skip", "propagate"],
    meaning: "what a missing value in the group does: `skip` leaves it out, `propagate` makes the result missing",
    range: None,
};

pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "min",
        aggregate: false,
        min_args: 2,
        max_args: 16,
        options: &[],
        returns: Returns::SameAsArgs,
        signature: "min(a, b, ...)",
    },
    Builtin {
        name: "max",
        aggregate: false,
        min_args: 2,
        max_args: 16,
        options: &[],
        returns: Returns::SameAsArgs,
        signature: "max(a, b, ...)",
    },
    Builtin {
        name: "abs",
        aggregate: false,
        min_args: 1,
        max_args: 1,
        options: &[],
        returns: Returns::SameAsArgs,
        signature: "abs(x)",
    },
    Builtin {
        name: "round",
        aggregate: false,
        min_args: 1,
        max_args: 1,
        options: &[Opt {
            name: "places",
            required: true,
            words: &[],
            meaning: "how many decimal places to keep (rounding half away from zero)",
            range: Some(PLACES),
        }],
        returns: Returns::SameAsArgs,
        signature: "round(x, places: 2)",
    },
    Builtin {
        name: "coalesce",
        aggregate: false,
        min_args: 2,
        max_args: 2,
        options: &[],
        returns: Returns::SameAsArgs,
        signature: "coalesce(x, default)",
    },
    Builtin {
        name: "is_missing",
        aggregate: false,
        min_args: 1,
        max_args: 1,
        options: &[],
        returns: Returns::Bool,
        signature: "is_missing(x)",
    },
    Builtin {
        name: "any",
        aggregate: true,
        min_args: 1,
        max_args: 1,
        options: &[],
        returns: Returns::Bool,
        signature: "any(condition) over GROUP",
    },
    Builtin {
        name: "all",
        aggregate: true,
        min_args: 1,
        max_args: 1,
        options: &[],
        returns: Returns::Bool,
        signature: "all(condition) over GROUP",
    },
    Builtin {
        name: "previous",
        aggregate: false,
        min_args: 1,
        max_args: 1,
        options: &[],
        returns: Returns::FirstArg,
        signature: "previous(x)",
    },
    Builtin {
        name: "class",
        aggregate: false,
        min_args: 1,
        max_args: 1,
        options: &[],
        returns: Returns::ClassOf,
        signature: "class(activity)",
    },
    Builtin {
        name: "count",
        aggregate: true,
        min_args: 0,
        max_args: 0,
        options: &[],
        returns: Returns::Count,
        signature: "count() over peers",
    },
    Builtin {
        name: "sum",
        aggregate: true,
        min_args: 1,
        max_args: 1,
        options: &[MISSING],
        returns: Returns::SameAsArgs,
        signature: "sum(x, missing: skip) over peers",
    },
    Builtin {
        name: "mean",
        aggregate: true,
        min_args: 1,
        max_args: 1,
        options: &[MISSING],
        returns: Returns::SameAsArgs,
        signature: "mean(x, missing: skip) over peers",
    },
    Builtin {
        name: "median",
        aggregate: true,
        min_args: 1,
        max_args: 1,
        options: &[MISSING],
        returns: Returns::SameAsArgs,
        signature: "median(x, missing: skip) over peers",
    },
    Builtin {
        name: "quantile",
        aggregate: true,
        min_args: 2,
        max_args: 2,
        options: &[
            Opt {
                name: "method",
                required: true,
                words: &["linear", "lower", "higher", "nearest", "midpoint"],
                meaning: "how to interpolate between the two values around the quantile",
                range: None,
            },
            MISSING,
        ],
        returns: Returns::SameAsArgs,
        signature: "quantile(x, 25%, method: linear, missing: skip) over peers",
    },
    Builtin {
        name: "trimmed_mean",
        aggregate: true,
        min_args: 1,
        max_args: 1,
        options: &[
            Opt {
                name: "trim",
                required: true,
                words: &[],
                meaning: "the fraction dropped from each end, such as 25%",
                range: Some(TRIM),
            },
            Opt {
                name: "round",
                required: true,
                words: &["down", "up", "nearest"],
                meaning: "how many values are dropped from each end when the count times the fraction is not whole",
                range: None,
            },
            Opt {
                name: "ties",
                required: true,
                words: &["key", "key_descending"],
                meaning: "which of several equal values are dropped first: ordered by entity key",
                range: None,
            },
            MISSING,
        ],
        returns: Returns::SameAsArgs,
        signature: "trimmed_mean(x, trim: 25%, round: down, ties: key, missing: skip) over peers",
    },
    Builtin {
        name: "rank",
        aggregate: true,
        min_args: 1,
        max_args: 1,
        options: &[
            Opt {
                name: "order",
                required: true,
                words: &["ascending", "descending"],
                meaning: "whether rank 1 is the smallest or the largest value",
                range: None,
            },
            Opt {
                name: "ties",
                required: true,
                words: &["min", "max", "dense", "key"],
                meaning: "the rank given to equal values",
                range: None,
            },
            MISSING,
        ],
        returns: Returns::Count,
        signature: "rank(x, order: ascending, ties: min, missing: skip) over peers",
    },
    Builtin {
        name: "percentile_rank",
        aggregate: true,
        min_args: 1,
        max_args: 1,
        options: &[
            Opt {
                name: "method",
                required: true,
                words: &["below", "at_or_below", "mean"],
                meaning: "whether the share counts values strictly below, at or below, or the mean of the two",
                range: None,
            },
            MISSING,
        ],
        returns: Returns::Ratio,
        signature: "percentile_rank(x, method: below, missing: skip) over peers",
    },
];

/// The aggregate forms of `min` and `max` (one value argument, used with `over`).
pub const MIN_AGG: Builtin = Builtin {
    name: "min",
    aggregate: true,
    min_args: 1,
    max_args: 1,
    options: &[MISSING],
    returns: Returns::SameAsArgs,
    signature: "min(x, missing: skip) over peers",
};
pub const MAX_AGG: Builtin = Builtin {
    name: "max",
    aggregate: true,
    min_args: 1,
    max_args: 1,
    options: &[MISSING],
    returns: Returns::SameAsArgs,
    signature: "max(x, missing: skip) over peers",
};

/// The built-in for a call: `min`/`max` mean the statistic when taken `over` a group.
pub fn lookup(name: &str, under_over: bool) -> Option<&'static Builtin> {
    match (name, under_over) {
        ("min", true) => Some(&MIN_AGG),
        ("max", true) => Some(&MAX_AGG),
        _ => BUILTINS.iter().find(|b| b.name == name),
    }
}

pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|b| b.name)
}
