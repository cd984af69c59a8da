//! Splitting records into fields (the chunks come from `data::stream`).

/// One field of a record: its byte range, and whether it was quoted with `""` inside.
#[derive(Debug, Clone, Copy, Default)]
pub struct FieldRange {
    pub start: usize,
    pub end: usize,
    pub escaped: bool,
}

/// Split the record starting at `pos` into `fields`; returns where the next record starts.
/// Quoted fields lose their quotes (`escaped` says whether `""` needs unescaping).
#[allow(
    clippy::arithmetic_side_effects,
    reason = "positions step by 1 or 2 from a byte found in `bytes`, so they stay within its length + 2; the innermost loop of classify"
)]
pub fn split_record(bytes: &[u8], mut pos: usize, delimiter: u8, fields: &mut Vec<FieldRange>) -> usize {
    fields.clear();
    let len = bytes.len();
    loop {
        if bytes.get(pos) == Some(&b'"') {
            let start = pos + 1;
            let mut i = start;
            let mut escaped = false;
            let end;
            loop {
                match bytes.get(i) {
                    None => {
                        end = len;
                        break;
                    }
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => {
                        escaped = true;
                        i += 2;
                    }
                    Some(b'"') => {
                        end = i;
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            fields.push(FieldRange { start, end, escaped });
            // Anything between the closing quote and the delimiter is kept out, leniently.
            while let Some(&b) = bytes.get(i) {
                if b == delimiter || b == b'\n' {
                    break;
                }
                i += 1;
            }
            pos = i;
        } else {
            let start = pos;
            let mut i = pos;
            while let Some(&b) = bytes.get(i) {
                if b == delimiter || b == b'\n' {
                    break;
                }
                i += 1;
            }
            let end = if i > start && bytes.get(i - 1) == Some(&b'\r') && bytes.get(i) != Some(&delimiter) {
                i - 1
            } else {
                i
            };
            fields.push(FieldRange { start, end, escaped: false });
            pos = i;
        }
        match bytes.get(pos) {
            Some(&b) if b == delimiter => pos += 1,
            Some(_) => return pos + 1,
            None => return len,
        }
    }
}

/// A field's text, unescaping `""` when needed (into `scratch`).
pub fn field_bytes<'a>(bytes: &'a [u8], f: FieldRange, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    let raw = bytes.get(f.start..f.end).unwrap_or_default();
    if !f.escaped {
        return raw;
    }
    scratch.clear();
    let mut it = raw.iter().peekable();
    while let Some(&b) = it.next() {
        scratch.push(b);
        if b == b'"' && it.peek() == Some(&&b'"') {
            it.next();
        }
    }
    scratch.as_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        split_record(line.as_bytes(), 0, b',', &mut out);
        out.iter()
            .map(|f| {
                let mut s = Vec::new();
                String::from_utf8(field_bytes(line.as_bytes(), *f, &mut s).to_vec()).unwrap()
            })
            .collect()
    }

    #[test]
    fn splits_quoted_fields_with_delimiters_and_escaped_quotes() {
        assert_eq!(fields("a,b,c\n"), ["a", "b", "c"]);
        assert_eq!(fields("a,\"b, \"\"x\"\"\",c\r\n"), ["a", "b, \"x\"", "c"]);
        assert_eq!(fields("a,,\n"), ["a", "", ""]);
        assert_eq!(fields("\"multi\nline\",z"), ["multi\nline", "z"]);
    }
}
