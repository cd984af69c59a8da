//! A test file's YAML as a small tree whose every node keeps its byte range, so that a
//! mistake in a test file is a diagnostic underlining it (as YAML data files are read).

use crate::data::{one_document, CharOffsets, YamlError};
use saphyr::{MarkedYaml, Scalar, YamlData};

/// A YAML node and where it was written (byte offsets).
#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Null,
    /// A scalar's text: numbers exactly as written (never through floating point).
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    pub fn text(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _)| k.text() == Some(key)).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            Kind::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq(items) => items,
            _ => &[],
        }
    }
}

/// Parse a file of one document; on a syntax error or a second document, what is wrong and
/// the byte offset it points at.
pub fn parse(text: &str) -> Result<Option<Node>, (String, usize)> {
    let offsets = CharOffsets::new(text);
    match one_document(text, &offsets) {
        Ok(doc) => Ok(doc.map(|d| convert(&d, text, &offsets))),
        Err(YamlError::Syntax(why, at)) => Err((why, at)),
        Err(YamlError::SecondDocument(at)) => {
            Err(("a second document starts here; a test file is one document (remove the `---`)".into(), at))
        }
    }
}

fn convert(node: &MarkedYaml<'_>, text: &str, offsets: &CharOffsets) -> Node {
    let start = offsets.byte(node.span.start.index());
    let end = offsets.byte(node.span.end.index()).max(start);
    let kind = match &node.data {
        YamlData::Value(Scalar::Null) => Kind::Null,
        YamlData::Value(Scalar::Boolean(b)) => Kind::Scalar(b.to_string()),
        YamlData::Value(Scalar::String(s)) => Kind::Scalar(s.to_string()),
        YamlData::Value(Scalar::Integer(_) | Scalar::FloatingPoint(_)) | YamlData::Representation(..) => {
            Kind::Scalar(text.get(start..end).unwrap_or("").trim().to_string())
        }
        YamlData::Sequence(items) => Kind::Seq(items.iter().map(|i| convert(i, text, offsets)).collect()),
        YamlData::Mapping(map) => {
            Kind::Map(map.iter().map(|(k, v)| (convert(k, text, offsets), convert(v, text, offsets))).collect())
        }
        _ => Kind::Null,
    };
    Node { kind, start, end }
}
