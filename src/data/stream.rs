//! Reading a delimited file as a stream of chunks that end at record boundaries (a line
//! break outside quotes), hashing it on the way for the stamp. Buffers handed back with
//! `recycle` are read into again, so a large file streams through the same few buffers.

use sha2::{Digest, Sha256};
use std::io::Read;

/// A record longer than this is taken to be a quote that is never closed.
const MAX_RECORD_BYTES: usize = 64 << 20;

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// A piece of the file holding whole records.
#[derive(Debug)]
pub struct RawChunk {
    pub bytes: Vec<u8>,
    /// The 1-based line number of the chunk's first byte.
    pub first_line: usize,
    /// Where the chunk's first byte is in the file's text (after a byte-order mark).
    pub offset: usize,
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
    /// The bytes after the last chunk's end: the start of the next one.
    carry: Vec<u8>,
    /// Buffers handed back, to read the next chunks into.
    spare: Vec<Vec<u8>>,
    eof: bool,
    next_line: usize,
    next_offset: usize,
    started: bool,
}

impl<R: Read> ChunkReader<R> {
    pub fn new(input: R, chunk_bytes: usize) -> Self {
        ChunkReader {
            input,
            hasher: Sha256::new(),
            chunk_bytes: chunk_bytes.max(1024),
            carry: Vec::new(),
            spare: Vec::new(),
            eof: false,
            next_line: 1,
            next_offset: 0,
            started: false,
        }
    }

    /// Hand back a chunk's buffer once its bytes are no longer needed.
    pub fn recycle(&mut self, mut bytes: Vec<u8>) {
        bytes.clear();
        self.spare.push(bytes);
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
            buf.truncate(start.saturating_add(n));
            self.hasher.update(buf.get(start..).unwrap_or_default());
            if n == 0 {
                self.eof = true;
            }
        }
        Ok(())
    }

    /// The next chunk of whole records, or `None` at the end of the input.
    pub fn next_chunk(&mut self) -> Result<Option<RawChunk>, ReadError> {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        let mut want = self.chunk_bytes;
        loop {
            self.fill(&mut buf, want)?;
            // The mark is looked for once the buffer could hold it.
            if !self.started && (buf.len() >= BOM.len() || self.eof) {
                self.started = true;
                if buf.starts_with(&BOM) {
                    buf.drain(..BOM.len());
                }
            }
            if buf.is_empty() {
                return Ok(None);
            }
            let split = if self.eof { Some(buf.len()) } else { record_boundary(&buf) };
            match split {
                Some(end) => {
                    if self.eof && quote_count(&buf) % 2 == 1 {
                        return Err(ReadError::UnclosedQuote {
                            line: self.next_line.saturating_add(open_quote_line(&buf)),
                        });
                    }
                    self.carry.extend_from_slice(buf.get(end..).unwrap_or_default());
                    buf.truncate(end);
                    let chunk = RawChunk { first_line: self.next_line, offset: self.next_offset, bytes: buf };
                    self.next_line = self.next_line.saturating_add(newline_count(&chunk.bytes));
                    self.next_offset = self.next_offset.saturating_add(chunk.bytes.len());
                    return Ok(Some(chunk));
                }
                None if buf.len() >= MAX_RECORD_BYTES => {
                    return Err(ReadError::UnclosedQuote {
                        line: self.next_line.saturating_add(open_quote_line(&buf)),
                    });
                }
                None => want = buf.len().saturating_mul(2),
            }
        }
    }

    /// The SHA-256 of every byte read, once the input has been read to its end.
    pub fn sha256(self) -> String {
        crate::data::stamp::hex(&self.hasher.finalize())
    }
}

fn quote_count(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'"', bytes).count()
}

fn newline_count(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

/// The lines before the quote left open at the end of `bytes` (which starts outside quotes).
fn open_quote_line(bytes: &[u8]) -> usize {
    let mut inside = false;
    let mut open = 0;
    for i in memchr::memchr_iter(b'"', bytes) {
        inside = !inside;
        if inside {
            open = i;
        }
    }
    newline_count(bytes.get(..open).unwrap_or_default())
}

/// Just past the last line break of `buf` that is outside quotes (`buf` starts outside).
fn record_boundary(buf: &[u8]) -> Option<usize> {
    let mut p = memchr::memrchr(b'\n', buf)?;
    let mut odd = quote_count(buf.get(..p).unwrap_or_default()) % 2 == 1;
    while odd {
        let q = memchr::memrchr(b'\n', buf.get(..p)?)?;
        odd ^= quote_count(buf.get(q..p).unwrap_or_default()) % 2 == 1;
        p = q;
    }
    Some(p.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(text: &str, chunk_bytes: usize) -> Vec<RawChunk> {
        let mut reader = ChunkReader::new(text.as_bytes(), 1024);
        reader.chunk_bytes = chunk_bytes;
        let mut out = Vec::new();
        while let Some(c) = reader.next_chunk().unwrap() {
            out.push(c);
        }
        out
    }

    #[test]
    fn chunks_end_outside_quotes_and_keep_line_numbers() {
        let text = "h\n1,\"a\nb\"\n2,c\n3,d\n";
        let chunks = chunks(text, 6);
        let joined: String = chunks.iter().map(|c| std::str::from_utf8(&c.bytes).unwrap()).collect();
        assert_eq!(joined, text);
        assert!(chunks.iter().all(|c| c.bytes.ends_with(b"\n")));
        assert!(chunks.iter().any(|c| c.first_line == 2 && c.bytes.starts_with(b"1,\"a\nb\"")));
        for c in &chunks {
            assert_eq!(text.get(c.offset..c.offset + c.bytes.len()).map(str::as_bytes), Some(c.bytes.as_slice()));
        }
    }

    #[test]
    fn recycled_buffers_read_the_same_chunks() {
        let text: String = (0..300).map(|i| format!("{i},\"x\n{i}\"\n")).collect();
        let fresh = chunks(&text, 64);
        let mut reader = ChunkReader::new(text.as_bytes(), 1024);
        reader.chunk_bytes = 64;
        let mut recycled = Vec::new();
        while let Some(c) = reader.next_chunk().unwrap() {
            recycled.push((c.first_line, c.offset, c.bytes.clone()));
            reader.recycle(c.bytes);
        }
        let fresh: Vec<_> = fresh.into_iter().map(|c| (c.first_line, c.offset, c.bytes)).collect();
        assert!(fresh.len() > 10, "many chunks");
        assert_eq!(fresh, recycled);
        assert_eq!(reader.sha256(), crate::data::stamp::sha256_hex(text.as_bytes()));
    }

    #[test]
    fn offsets_count_from_after_the_byte_order_mark() {
        let text = "\u{feff}h\n1\n2\n";
        let chunks = chunks(text, 2);
        assert_eq!(chunks.first().map(|c| (c.offset, c.bytes.as_slice())), Some((0, &b"h\n"[..])));
        assert_eq!(chunks.last().map(|c| (c.offset, c.first_line)), Some((4, 3)));
    }

    #[test]
    fn an_unclosed_quote_is_an_error_with_its_line() {
        let mut reader = ChunkReader::new("h\n1,x\n2,\"oops\n3,y\n".as_bytes(), 1024);
        assert!(matches!(reader.next_chunk(), Err(ReadError::UnclosedQuote { line: 3 })));
    }
}
