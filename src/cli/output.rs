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
