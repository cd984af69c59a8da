//! Ground floor, below every stage: one value of a figure or a data cell (exact decimals,
//! text, truth values, dates, set members, `missing(reason)`) and how numbers are shown.

pub mod approx;
mod date;
pub mod format;

pub use approx::Bound;
pub use date::Date;
pub use format::UnitOut;

use rust_decimal::Decimal;
use std::fmt;
use std::sync::Arc;

/// Why a value is missing: shown in every output that carries the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reason(pub Arc<str>);

impl Reason {
    pub fn new(text: impl Into<Arc<str>>) -> Reason {
        Reason(text.into())
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One value of a figure for one entity.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An exact number.
    Num(Decimal),
    /// A number rounded on the way (a quotient that does not end), within its bound of the
    /// true value; written only to its certain digits (see [`approx`]).
    Approx(Decimal, Bound),
    Text(Arc<str>),
    Bool(bool),
    Date(Date),
    /// A member of a set, by name.
    Member(Arc<str>),
    Missing(Reason),
}

impl Value {
    pub fn missing(reason: impl Into<Arc<str>>) -> Value {
        Value::Missing(Reason::new(reason))
    }

    /// The number, exact or approximate.
    pub fn as_num(&self) -> Option<Decimal> {
        match self {
            Value::Num(d) | Value::Approx(d, _) => Some(*d),
            _ => None,
        }
    }

    /// The number with its bound (zero when exact), for arithmetic that carries bounds.
    pub fn as_near(&self) -> Option<approx::Near> {
        match self {
            Value::Num(d) => Some((*d, Bound::ZERO)),
            Value::Approx(d, b) => Some((*d, *b)),
            _ => None,
        }
    }

    /// A computed number: exact when its bound is zero.
    pub fn near((d, bound): approx::Near) -> Value {
        if bound.is_zero() {
            Value::Num(d)
        } else {
            Value::Approx(d, bound)
        }
    }

    /// Whether this is a number whose digits are not all certain.
    pub fn is_approx(&self) -> bool {
        matches!(self, Value::Approx(..))
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing(_))
    }

    /// The text of a text or member value (members by name), for grouping and matching.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) | Value::Member(t) => Some(t),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Num(d) => write!(f, "{}", d.normalize()),
            Value::Approx(d, b) => match approx::certain(*d, *b) {
                Some(c) => write!(f, "≈{}", c.normalize()),
                None => f.write_str("≈?"),
            },
            Value::Text(t) | Value::Member(t) => f.write_str(t),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Date(d) => write!(f, "{d}"),
            Value::Missing(r) => write!(f, "missing({r})"),
        }
    }
}
