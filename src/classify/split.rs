//! Reading a delimited file as a stream of chunks that end at record boundaries (a line
//! break outside quotes), hashing it on the way for the stamp, and splitting records
//! into fields.

use sha2::{Digest, Sha256};
use std::io::Read;

/// A record longer than this is taken to be a quote that is never closed.
const MAX_RECORD_BYTES: usize = 64 << 20;

/// A piece of the file holding whole records.
#[derive(Debug)]
pub struct RawChunk {
    pub bytes: Vec<u8>,
    /// The 1-based line number of the chunk's first byte.
    pub first_line: usize,
}

/// Why reading stopped early.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// A quote opened on this line is never closed.
    UnclosedQuote {
        line: usize,
    },
}

pub struct ChunkReader<R: Read> {
    input: R,
    hasher: Sha256,
    chunk_bytes: usize,
    carry: Vec<u8>,
    eof: bool,
    next_line: usize,
    started: bool,
}

impl<R: Read> ChunkReader<R> {
    pub fn new(input: R, chunk_bytes: usize) -> Self {
        ChunkReader {
            input,
            hasher: Sha256::new(),
            chunk_bytes: chunk_bytes.max(1024),
            carry: Vec::new(),
            eof: false,
            next_line: 1,
            started: false,
        }
    }

    /// Read until `buf` holds `want` bytes or the input ends.
    fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> Result<(), ReadError> {
        while buf.len() < want && !self.eof {
            let start = buf.len();
            buf.resize(want, 0);
            let n = loop {
                match self.input.read(buf.get_mut(start..).unwrap_or_default()) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(ReadError::Io(e)),
                }
            };
            buf.truncate(start + n);
            self.hasher.update(buf.get(start..).unwrap_or_default());
            if n == 0 {
                self.eof = true;
            }
        }
        Ok(())
    }

    /// The next chunk of whole records, or `None` at the end of the input.
    pub fn next_chunk(&mut self) -> Result<Option<RawChunk>, ReadError> {
        let mut buf = std::mem::take(&mut self.carry);
        let mut want = self.chunk_bytes;
        loop {
            self.fill(&mut buf, want)?;
            if !self.started {
                self.started = true;
                if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
                    buf.drain(..3);
                }
            }
            if buf.is_empty() {
                return Ok(None);
            }
            let split = if self.eof { Some(buf.len()) } else { record_boundary(&buf) };
            match split {
                Some(end) => {
                    if self.eof && quote_count(&buf) % 2 == 1 {
                        return Err(ReadError::UnclosedQuote { line: self.next_line + open_quote_line(&buf) });
                    }
                    self.carry = buf.split_off(end);
                    let chunk = RawChunk { first_line: self.next_line, bytes: buf };
                    self.next_line += newline_count(&chunk.bytes);
                    return Ok(Some(chunk));
                }
                None if buf.len() >= MAX_RECORD_BYTES => {
                    return Err(ReadError::UnclosedQuote { line: self.next_line + open_quote_line(&buf) });
                }
                None => want = buf.len() * 2,
            }
        }
    }

    /// The SHA-256 of every byte read, once the input has been read to its end.
    pub fn sha256(self) -> String {
        let digest = self.hasher.finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn quote_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'"').count()
}

fn newline_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'\n').count()
}

/// The lines before the quote left open at the end of `bytes` (which starts outside quotes).
fn open_quote_line(bytes: &[u8]) -> usize {
    let mut inside = false;
    let mut open = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'"' {
            inside = !inside;
            if inside {
                open = i;
            }
        }
    }
    newline_count(bytes.get(..open).unwrap_or_default())
}

/// Just past the last line break of `buf` that is outside quotes (`buf` starts outside).
fn record_boundary(buf: &[u8]) -> Option<usize> {
    let mut p = buf.iter().rposition(|b| *b == b'\n')?;
    let mut odd = quote_count(buf.get(..p).unwrap_or_default()) % 2 == 1;
    while odd {
        let q = buf.get(..p)?.iter().rposition(|b| *b == b'\n')?;
        odd ^= quote_count(buf.get(q..p).unwrap_or_default()) % 2 == 1;
        p = q;
    }
    Some(p + 1)
}

/// One field of a record: its byte range, and whether it was quoted with `""` inside.
#[derive(Debug, Clone, Copy, Default)]
pub struct FieldRange {
    pub start: usize,
    pub end: usize,
    pub escaped: bool,
}

/// Split the record starting at `pos` into `fields`; returns where the next record starts.
/// Quoted fields lose their quotes (`escaped` says whether `""` needs unescaping).
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

    #[test]
    fn chunks_end_outside_quotes_and_keep_line_numbers() {
        let text = "h\n1,\"a\nb\"\n2,c\n3,d\n";
        let mut reader = ChunkReader::new(text.as_bytes(), 1024);
        reader.chunk_bytes = 6;
        let mut chunks = Vec::new();
        while let Some(c) = reader.next_chunk().unwrap() {
            chunks.push((c.first_line, String::from_utf8(c.bytes).unwrap()));
        }
        let joined: String = chunks.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(joined, text);
        assert!(chunks.iter().all(|(_, t)| t.ends_with('\n')));
        assert!(chunks.iter().any(|(l, t)| *l == 2 && t.starts_with("1,\"a\nb\"")));
    }

    #[test]
    fn an_unclosed_quote_is_an_error_with_its_line() {
        let mut reader = ChunkReader::new("h\n1,x\n2,\"oops\n3,y\n".as_bytes(), 1024);
        assert!(matches!(reader.next_chunk(), Err(ReadError::UnclosedQuote { line: 3 })));
    }
}
