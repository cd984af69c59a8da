//! One hostile-input case and how it is run and judged: the files it starts from, the
//! command, where standard output goes, and what must come of it (exit status, the error
//! codes reported, the files left).

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A run taking longer than this is a hang: it is killed and the case fails.
const TIME_LIMIT: Duration = Duration::from_secs(30);
/// Diagnostics quote and underline; they never echo megabytes of a hostile file.
const MAX_STDERR: usize = 1 << 20;
/// Worker threads: most cases are short, so more than the cores keeps them busy.
const WORKERS: usize = 4;

/// A file's content, or a function making it (large files are made by the worker that
/// runs the case, so that they are not all held at once).
pub enum Content {
    Bytes(Vec<u8>),
    Made(fn() -> Vec<u8>),
}

/// Where the command's standard output goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Stdout {
    /// A pipe read to the end.
    Read,
    /// A pipe whose reading end is closed before the command starts.
    Closed,
    /// A pipe closed after its first line (`| head -1`).
    HeadLine,
    /// `/dev/full`: every write fails with "no space left".
    Full,
}

pub struct Case {
    pub name: String,
    files: Vec<(String, Content)>,
    setup: Vec<fn(&Path)>,
    args: Vec<String>,
    json: bool,
    stdout: Stdout,
    status: u8,
    codes: Vec<&'static str>,
    /// Files a successful run writes (its `--output`, files `fmt` rewrites).
    writes: Vec<String>,
}

impl Case {
    pub fn new(name: impl Into<String>) -> Case {
        Case {
            name: name.into(),
            files: Vec::new(),
            setup: Vec::new(),
            args: Vec::new(),
            json: true,
            stdout: Stdout::Read,
            status: 0,
            codes: Vec::new(),
            writes: Vec::new(),
        }
    }

    pub fn file(mut self, path: &str, content: impl AsRef<[u8]>) -> Case {
        self.files.push((path.to_string(), Content::Bytes(content.as_ref().to_vec())));
        self
    }

    pub fn made(mut self, path: &str, make: fn() -> Vec<u8>) -> Case {
        self.files.push((path.to_string(), Content::Made(make)));
        self
    }

    /// Something a file cannot say: a FIFO, a symbolic link, a folder.
    pub fn setup(mut self, f: fn(&Path)) -> Case {
        self.setup.push(f);
        self
    }

    /// The command line; `--error-format json` is added unless [`Case::human`] is asked.
    pub fn run<S: AsRef<str>>(mut self, args: &[S]) -> Case {
        self.args = args.iter().map(|a| a.as_ref().to_string()).collect();
        self
    }

    /// Diagnostics in the human format: each code must be printed on a line of its own.
    pub fn human(mut self) -> Case {
        self.json = false;
        self
    }

    pub fn stdout(mut self, stdout: Stdout) -> Case {
        self.stdout = stdout;
        self
    }

    /// The run must succeed (exit 0) reporting no error.
    pub fn ok(mut self) -> Case {
        self.status = 0;
        self
    }

    /// The run must exit with `status` and report exactly these error codes (each at
    /// least once, and no other error code).
    pub fn fails(mut self, status: u8, codes: &[&'static str]) -> Case {
        self.status = status;
        self.codes = codes.to_vec();
        self
    }

    /// A successful run may write this file.
    pub fn writes(mut self, path: &str) -> Case {
        self.writes.push(path.to_string());
        self
    }
}

/// Run every case on a few threads, the ones with large files first so that the quick
/// ones fill in around them; the failures, each with what was seen.
pub fn run_all(mut cases: Vec<Case>) -> Vec<String> {
    cases.sort_by_key(|c| !c.files.iter().any(|(_, content)| matches!(content, Content::Made(_))));
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                while let Some(case) = cases.get(next.fetch_add(1, Ordering::SeqCst)) {
                    if let Err(why) = run_case(case) {
                        failures.lock().unwrap().push(format!("[{}] {why}", case.name));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    failures
}

/// What a run left: its exit status, whatever it printed (standard output only when read
/// to the end) and how much standard error it printed.
struct Ran {
    status: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    stderr_len: usize,
}

fn run_case(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in &case.files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        match content {
            Content::Bytes(b) => std::fs::write(&path, b).unwrap(),
            Content::Made(make) => std::fs::write(&path, make()).unwrap(),
        }
    }
    for f in &case.setup {
        f(dir.path());
    }
    let before = snapshot(dir.path());
    let ran = spawn(case, dir.path())?;
    let after = snapshot(dir.path());
    let err = String::from_utf8_lossy(&ran.stderr).into_owned();
    let shown = || format!("status {:?}\nstderr: {}", ran.status, clip(&err));
    if ran.status == Some(101) || ran.status == Some(3) || err.contains("panicked") {
        return Err(format!("panicked\n{}", shown()));
    }
    if ran.stderr_len > MAX_STDERR {
        return Err(format!("{} bytes on standard error\n{}", ran.stderr_len, shown()));
    }
    if ran.status != Some(i32::from(case.status)) {
        return Err(format!("expected exit {}\n{}", case.status, shown()));
    }
    let found = codes(case, &ran).map_err(|e| format!("{e}\n{}", shown()))?;
    let expected: Vec<String> = case.codes.iter().map(|c| c.to_string()).collect();
    if found != expected {
        return Err(format!("expected error codes {expected:?}, found {found:?}\n{}", shown()));
    }
    let allowed = |path: &str| ran.status == Some(0) && case.writes.iter().any(|w| w == path);
    let changed: Vec<&String> =
        before.keys().chain(after.keys()).filter(|p| before.get(*p) != after.get(*p) && !allowed(p)).collect();
    if !changed.is_empty() {
        return Err(format!("files created, changed or removed: {changed:?}\n{}", shown()));
    }
    Ok(())
}

/// Spawn the binary in `dir` and wait for it, killing it after [`TIME_LIMIT`].
fn spawn(case: &Case, dir: &Path) -> Result<Ran, String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_assay"));
    cmd.args(&case.args).current_dir(dir).env("NO_COLOR", "1").env("ASSAY_CACHE", "off");
    if case.json {
        cmd.args(["--error-format", "json"]);
    }
    cmd.stdin(Stdio::null()).stderr(Stdio::piped());
    match case.stdout {
        Stdout::Read | Stdout::HeadLine => cmd.stdout(Stdio::piped()),
        Stdout::Closed => {
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            cmd.stdout(writer)
        }
        Stdout::Full => cmd.stdout(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap()),
    };
    let mut child = cmd.spawn().unwrap();
    let head_only = case.stdout == Stdout::HeadLine;
    let out = child.stdout.take().map(|s| std::thread::spawn(move || drain(s, head_only)));
    let err = child.stderr.take().map(|s| std::thread::spawn(move || drain(s, false)));
    let status = wait(&mut child)?;
    let (stdout, _) = out.map(|t| t.join().unwrap()).unwrap_or_default();
    let (stderr, stderr_len) = err.map(|t| t.join().unwrap()).unwrap_or_default();
    Ok(Ran { status, stdout, stderr, stderr_len })
}

fn wait(child: &mut Child) -> Result<Option<i32>, String> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Ok(status.code());
        }
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {} s: killed", TIME_LIMIT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Read a pipe to its end (or its first line), keeping the first [`MAX_STDERR`] bytes and
/// counting the rest.
fn drain(mut pipe: impl Read, first_line: bool) -> (Vec<u8>, usize) {
    let mut kept = Vec::new();
    let mut total = 0;
    let mut buf = vec![0u8; 1 << 16];
    while let Ok(n) = pipe.read(&mut buf) {
        if n == 0 {
            break;
        }
        total += n;
        let room = (MAX_STDERR + 1).saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
        if first_line && kept.contains(&b'\n') {
            break;
        }
    }
    (kept, total)
}

/// The error codes a run reported, sorted and without repeats. JSON diagnostics must be
/// valid JSON, each with a code; human ones are found by their code lines.
fn codes(case: &Case, ran: &Ran) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    if case.json {
        let mut diags = Vec::new();
        let err = String::from_utf8_lossy(&ran.stderr);
        if !err.trim().is_empty() {
            let v: serde_json::Value = serde_json::from_str(&err).map_err(|e| format!("stderr is not JSON: {e}"))?;
            diags.extend(v.as_array().cloned().ok_or("stderr is not a JSON array")?);
        }
        // `check` prints its diagnostics on standard output, in one document.
        if case.args.first().is_some_and(|c| c == "check") && case.stdout == Stdout::Read && !ran.stdout.is_empty() {
            let v: serde_json::Value =
                serde_json::from_slice(&ran.stdout).map_err(|e| format!("stdout is not JSON: {e}"))?;
            diags.extend(v["diagnostics"].as_array().cloned().ok_or("no diagnostics in check's JSON")?);
        }
        for d in diags {
            let code = d["code"].as_str().ok_or_else(|| format!("a diagnostic without a code: {d}"))?;
            if d["severity"] == "error" {
                found.push(code.to_string());
            }
        }
    } else {
        let text = format!("{}\n{}", String::from_utf8_lossy(&ran.stderr), String::from_utf8_lossy(&ran.stdout));
        let mut lines = text.lines().map(str::trim).peekable();
        while let Some(line) = lines.next() {
            // An error is its code line, a blank line, then `× message`.
            if let (true, Some(next)) = (is_code(line), lines.clone().nth(1)) {
                if next.starts_with('×') {
                    found.push(line.to_string());
                }
            }
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn is_code(line: &str) -> bool {
    !line.is_empty() && line.chars().all(|c| c.is_ascii_lowercase() || c == '-') && line.contains('-')
}

/// Every entry below `dir` (not following links): its kind, and for a file its size and a
/// hash of its bytes. FIFOs are never opened.
fn snapshot(dir: &Path) -> BTreeMap<String, (String, u64, u64)> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (String, u64, u64)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let name = path.strip_prefix(root).unwrap().display().to_string();
        let kind = meta.file_type();
        if kind.is_dir() {
            out.insert(name, ("folder".into(), 0, 0));
            walk(root, &path, out);
        } else if kind.is_file() {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::fs::read(&path).unwrap().hash(&mut h);
            out.insert(name, ("file".into(), meta.len(), h.finish()));
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&path).unwrap().display().to_string();
            out.insert(name, (format!("link to {target}"), 0, 0));
        } else {
            out.insert(name, ("other".into(), 0, 0));
        }
    }
}

fn clip(s: &str) -> String {
    let cut: String = s.chars().take(1500).collect();
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut
    }
}
