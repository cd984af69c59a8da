//! Writing a result file atomically: a temporary file beside the target, then a rename, so
//! a failed run never leaves a partial file.

use std::io::Write;
use std::path::Path;

/// Write `text` to `path` atomically; the error says why, naming the path.
pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&temp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot write `{}`: {e}", crate::load::display(path))
    })
}

/// Are `a` and `b` the same file, however each is spelled (relative, `./`, through a
/// symbolic link, or a hard link)? Compared by device and inode; a path that does not
/// exist is no file at all.
pub fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}
