//! One side of a diff: a directory of rules, or a git revision (`HEAD~1`, `main:rules`)
//! read with `git ls-tree` and `git cat-file` into a throwaway folder, never touching the
//! working tree or the index.

use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::load::{self, RuleTree};
use crate::source::SourceFile;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A side's rules, and the folder to remove once done (for revisions).
pub struct Side {
    /// As the user wrote it.
    pub label: String,
    pub tree: RuleTree,
    /// The rules' directory (as read), for `DEFAULT_DATA` and scripts.
    pub dir: PathBuf,
    /// For a revision: the throwaway folder and the revision, to name files as `REV:path`.
    temp: Option<(PathBuf, String)>,
}

impl Drop for Side {
    fn drop(&mut self) {
        if let Some((t, _)) = &self.temp {
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
    let (rev, written) = match spec.split_once(':') {
        Some((r, p)) => (r, p),
        None => (spec, "rules"),
    };
    // Run from the repository's top so that a revision reads the same from any subfolder;
    // the prefix is where the user stands, for `REV:./path`.
    let top = git(&["rev-parse", "--show-toplevel"]).map_err(|why| unreadable(spec, &why))?;
    let top = PathBuf::from(top.trim_end_matches(['\n', '\r']));
    let prefix = git(&["rev-parse", "--show-prefix"]).map_err(|why| unreadable(spec, &why))?;
    let sub = in_tree(prefix.trim_end_matches(['\n', '\r']), written)
        .ok_or_else(|| unreadable(spec, &format!("`{written}` leads outside the repository")))?;
    let shown = if sub.is_empty() { format!("{rev}:") } else { format!("{rev}:{sub}") };
    let mut ls = vec!["ls-tree", "-r", "-z", "--full-tree", "--name-only", rev];
    if !sub.is_empty() {
        ls.extend(["--", sub.as_str()]);
    }
    let listed = git_in(&top, &ls).map_err(|why| unreadable(spec, &why))?;
    let names: Vec<&str> = listed.split('\0').filter(|n| !n.is_empty()).collect();
    if names.is_empty() {
        return Err(unreadable(spec, &format!("`{shown}` holds no files")));
    }
    let temp = std::env::temp_dir().join(format!("assay-diff-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&temp);
    let copied = copy_out(&top, rev, &names, &temp);
    if let Err(why) = copied {
        let _ = std::fs::remove_dir_all(&temp);
        return Err(unreadable(spec, &why));
    }
    let root = if sub.is_empty() { temp.clone() } else { temp.join(&sub) };
    let mut tree = load::load(std::slice::from_ref(&root));
    let temp = Some((temp, rev.to_string()));
    rename(temp.as_ref(), &mut tree.diagnostics, &mut tree.files);
    Ok(Side { label: spec.to_string(), tree, dir: root, temp })
}

impl Side {
    /// Name this side's files as the user knows them in diagnostics and sources made from
    /// its tree (by checking or evaluating it): a revision's as `REV:path/file`.
    pub fn own(&self, diagnostics: &mut [Diagnostic], sources: &mut [SourceFile]) {
        rename(self.temp.as_ref(), diagnostics, sources);
    }
}

/// Name the files of a revision as `REV:path/file`, not by their temporary copy, in
/// sources (the rules, and scripts read later) and in diagnostics' text.
fn rename(temp: Option<&(PathBuf, String)>, diagnostics: &mut [Diagnostic], sources: &mut [SourceFile]) {
    let Some((temp, rev)) = temp else { return };
    let prefix = load::display(temp);
    let swap =
        |text: &str| text.replace(&format!("{prefix}/"), &format!("{rev}:")).replace(&prefix, &format!("{rev}:"));
    for f in sources.iter_mut().filter(|f| f.name.starts_with(&prefix)) {
        let relative = f.name.strip_prefix(&prefix).unwrap_or(&f.name).trim_start_matches('/');
        f.name = format!("{rev}:{relative}");
    }
    for d in diagnostics {
        d.message = swap(&d.message);
        d.help = d.help.as_deref().map(swap);
        for l in &mut d.labels {
            l.text = swap(&l.text);
        }
    }
}

/// The path inside the revision's tree that `written` names, as git reads `REV:path`: from
/// the top of the repository, or from the current folder (`prefix`) when it starts with
/// `./` or `../`. `None` when it climbs above the top.
fn in_tree(prefix: &str, written: &str) -> Option<String> {
    let relative = written == "." || written == ".." || written.starts_with("./") || written.starts_with("../");
    let start = if relative { prefix } else { "" };
    let mut parts: Vec<&str> = Vec::new();
    for part in start.split('/').chain(written.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Write each listed file of `rev` (paths from the top) under `temp`.
fn copy_out(top: &Path, rev: &str, names: &[&str], temp: &Path) -> Result<(), String> {
    for name in names {
        let bytes = git_bytes_in(top, &["cat-file", "blob", &format!("{rev}:{name}")])?;
        let target = temp.join(name);
        let written =
            target.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&target, bytes));
        written.map_err(|e| format!("cannot write a temporary copy: {e}"))?;
    }
    Ok(())
}

fn unreadable(spec: &str, why: &str) -> Diagnostic {
    Diagnostic::new(Code::RevisionUnreadable, format!("cannot read `{spec}`: {}", why.trim()))
        .help("give a directory of rules, or a git revision such as `HEAD~1` (meaning `HEAD~1:rules`, from the top of the repository), `main:rules` or `main:./rules` (from the current folder)")
}

fn git(args: &[&str]) -> Result<String, String> {
    git_bytes_in(Path::new("."), args).map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn git_in(dir: &Path, args: &[&str]) -> Result<String, String> {
    git_bytes_in(dir, args).map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn git_bytes_in(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("--literal-pathspecs")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        Err(if err.trim().is_empty() { "neither a directory nor a git revision".to_string() } else { err })
    }
}

#[cfg(test)]
mod tests {
    use super::in_tree;

    #[test]
    fn a_path_reads_from_the_top_unless_it_starts_with_a_dot() {
        assert_eq!(in_tree("src/", "rules").as_deref(), Some("rules"));
        assert_eq!(in_tree("src/", "./rules").as_deref(), Some("src/rules"));
        assert_eq!(in_tree("src/a/", "../rules/").as_deref(), Some("src/rules"));
        assert_eq!(in_tree("", "./").as_deref(), Some(""));
        assert_eq!(in_tree("", "../x"), None);
    }
}
