//! A cache entry's bytes: integers, texts and tagged values written little-endian, and read
//! back refusing anything truncated or out of range rather than misreading it.

use super::{MAGIC, MISSING_TAG};
use crate::data::RowOrigin;
use crate::value::{Reason, Value};
use std::sync::Arc;

/// A value from its slot.
pub(super) fn value(b: &[u8], dict: &[Arc<str>]) -> Option<Value> {
    let (tag, p) = b.split_first()?;
    let id = |p: &[u8]| -> Option<Arc<str>> {
        let i: [u8; 4] = p.get(..4)?.try_into().ok()?;
        dict.get(u32::from_le_bytes(i) as usize).cloned()
    };
    Some(match *tag {
        0 => Value::Num(rust_decimal::Decimal::deserialize(p.get(..16)?.try_into().ok()?)),
        1 => Value::Text(id(p)?),
        2 => Value::Member(id(p)?),
        3 => Value::Bool(*p.first()? == 1),
        4 => {
            let y: [u8; 2] = p.get(..2)?.try_into().ok()?;
            Value::Date(crate::ast::Date { year: u16::from_le_bytes(y), month: *p.get(2)?, day: *p.get(3)? })
        }
        MISSING_TAG => Value::Missing(Reason(id(p)?)),
        _ => return None,
    })
}

/// Bytes after a value's tag.
pub(super) fn payload(tag: u8) -> Option<usize> {
    match tag {
        0 => Some(16),
        1 | 2 | MISSING_TAG => Some(4),
        3 => Some(1),
        4 => Some(4),
        _ => None,
    }
}

pub(super) struct Dec<'b> {
    pub(super) buf: &'b [u8],
    pub(super) pos: usize,
}

impl<'b> Dec<'b> {
    pub(super) fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        let s = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos = self.pos.saturating_add(n);
        Some(s)
    }
    pub(super) fn magic(&mut self) -> Option<()> {
        (self.take(MAGIC.len())? == MAGIC).then_some(())
    }
    pub(super) fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    pub(super) fn u32(&mut self) -> Option<usize> {
        let b: [u8; 4] = self.take(4)?.try_into().ok()?;
        usize::try_from(u32::from_le_bytes(b)).ok()
    }
    pub(super) fn u64(&mut self) -> Option<u64> {
        let b: [u8; 8] = self.take(8)?.try_into().ok()?;
        Some(u64::from_le_bytes(b))
    }
    pub(super) fn str(&mut self) -> Option<&'b str> {
        let n = self.u32()?;
        std::str::from_utf8(self.take(n)?).ok()
    }
    pub(super) fn opt_str(&mut self) -> Option<Option<&'b str>> {
        match self.u8()? {
            0 => Some(None),
            _ => self.str().map(Some),
        }
    }
    pub(super) fn origin(&mut self) -> Option<RowOrigin> {
        let file = self.u32()?;
        let line = usize::try_from(self.u64()?).ok()?;
        let offset = usize::try_from(self.u64()?).ok()?;
        Some(RowOrigin { file, line, offset })
    }
}

#[derive(Default)]
pub(super) struct Enc(pub(super) Vec<u8>);

impl Enc {
    pub(super) fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    pub(super) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(super) fn u32(&mut self, v: usize) {
        self.0.extend_from_slice(&u32::try_from(v).unwrap_or(u32::MAX).to_le_bytes());
    }
    pub(super) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn str(&mut self, s: &str) {
        self.u32(s.len());
        self.bytes(s.as_bytes());
    }
    pub(super) fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }
    /// A key in a slot of `width` bytes after its u16 length.
    pub(super) fn key(&mut self, k: &str, width: usize) {
        self.0.extend_from_slice(&u16::try_from(k.len()).unwrap_or(u16::MAX).to_le_bytes());
        self.bytes(k.as_bytes());
        self.0.resize(self.0.len().saturating_add(width.saturating_sub(k.len())), 0);
    }
    pub(super) fn origin(&mut self, o: &RowOrigin) {
        self.u32(o.file);
        self.u64(o.line as u64);
        self.u64(o.offset as u64);
    }
}
