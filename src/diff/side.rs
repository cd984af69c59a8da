//! One side of a diff: a directory of rules, or a git revision (`HEAD~1`, `main:rules`)
//! read with `git ls-tree` and `git cat-file` into a throwaway folder, never touching the
//! working tree or the index.

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::load::{self, RuleTree};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A side's rules, and the folder to remove once done (for revisions).
pub struct Side {
    /// As the user wrote it.
    pub label: String,
    pub tree: RuleTree,
    /// The rules' directory (as read), for `DEFAULT_DATA` and scripts.
    pub dir: PathBuf,
    temp: Option<PathBuf>,
}

impl Drop for Side {
    fn drop(&mut self) {
        if let Some(t) = &self.temp {
            let _ = std::fs::remove_dir_all(t);
        }
    }
}

/// Read a side: an existing path is a directory (or file) of rules; anything else is a git
/// revision, `REV` meaning `REV:rules`.
pub fn read(spec: &str, n: usize) -> Result<Side, Diagnostic> {
    let path = Path::new(spec);
    if path.exists() {
        let tree = load::load(&[path.to_path_buf()]);
        return Ok(Side { label: spec.to_string(), tree, dir: path.to_path_buf(), temp: None });
    }
    let (rev, sub) = match spec.split_once(':') {
        Some((r, p)) => (r, p.trim_matches('/')),
        None => (spec, "rules"),
    };
    let sub = if sub.is_empty() { "." } else { sub };
    let listed = git(&["ls-tree", "-r", "-z", "--name-only", &format!("{rev}:{}", sub.trim_start_matches("./"))])
        .map_err(|why| unreadable(spec, &why))?;
    let temp = std::env::temp_dir().join(format!("assay-diff-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&temp);
    let root = temp.join(sub);
    for name in listed.split('\0').filter(|n| !n.is_empty()) {
        let object = format!("{rev}:{}/{name}", sub.trim_start_matches("./"));
        let bytes = git_bytes(&["cat-file", "blob", &object]).map_err(|why| unreadable(spec, &why))?;
        let target = root.join(name);
        let written =
            target.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&target, bytes));
        written.map_err(|e| unreadable(spec, &format!("cannot write a temporary copy: {e}")))?;
    }
    let mut tree = load::load(std::slice::from_ref(&root));
    // Show files as `REV:path/file`, not by their temporary copy.
    let prefix = load::display(&temp);
    for f in &mut tree.files {
        let relative = f.name.strip_prefix(&prefix).unwrap_or(&f.name).trim_start_matches('/');
        f.name = format!("{rev}:{relative}");
    }
    Ok(Side { label: spec.to_string(), tree, dir: root, temp: Some(temp) })
}

fn unreadable(spec: &str, why: &str) -> Diagnostic {
    Diagnostic::new(Code::RevisionUnreadable, format!("cannot read `{spec}`: {}", why.trim()))
        .help("give a directory of rules, or a git revision such as `HEAD~1` (meaning `HEAD~1:rules`) or `main:rules`")
}

fn git(args: &[&str]) -> Result<String, String> {
    git_bytes(args).map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn git_bytes(args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git").args(args).output().map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        Err(if err.trim().is_empty() { "neither a directory nor a git revision".to_string() } else { err })
    }
}
