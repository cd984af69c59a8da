//! Writing results: atomically (a temporary file beside the target, then a rename), so a
//! failed run never leaves a partial file; or to standard output.

use std::io::Write;
use std::path::Path;

/// Write `text` to `path` atomically, or to standard output when `path` is `None` or `-`.
pub fn write(path: Option<&Path>, text: &str) -> Result<(), String> {
    let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
        let mut stdout = std::io::stdout().lock();
        return stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("cannot write the output: {e}"));
    };
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
