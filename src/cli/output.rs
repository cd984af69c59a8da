//! Writing results atomically: a file through a temporary file beside it, a folder through
//! a temporary folder beside it, then a rename, so a failed run never leaves a partial one.

use std::io::Write;
use std::path::Path;

/// Write `text` to `path` atomically; the error says why, naming the path.
pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    write_file_parts(path, &[text])
}

/// Write the texts one after another as the file `path`, atomically (a large output made
/// in pieces is written without first being joined into one).
pub fn write_file_parts<T: AsRef<str>>(path: &Path, parts: &[T]) -> Result<(), String> {
    let mut file = AtomicFile::create(path)?;
    for part in parts {
        file.write_all(part.as_ref().as_bytes()).map_err(|e| file.error(&e))?;
    }
    file.commit()
}

/// A file written as a stream, atomically: into a temporary file beside it, renamed into
/// place by [`AtomicFile::commit`]; dropped without it (a failed run), it is removed, and
/// `path` is left as it was.
pub struct AtomicFile {
    path: std::path::PathBuf,
    temp: std::path::PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<AtomicFile, String> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
        let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let file = std::fs::File::create(&temp).map_err(|e| cannot_write(path, &e))?;
        Ok(AtomicFile { path: path.to_path_buf(), temp, file: Some(std::io::BufWriter::with_capacity(1 << 20, file)) })
    }

    /// Why a write failed, naming the file.
    pub fn error(&self, e: &std::io::Error) -> String {
        cannot_write(&self.path, e)
    }

    /// The file in its place. No `fsync`: the rename is what keeps a failed run from
    /// leaving a partial file; flushing to the disk before it (a fifth of a large
    /// `verify`) would guard only against a power cut mid-run, as `write_folder` does not.
    pub fn commit(mut self) -> Result<(), String> {
        let result = match self.file.take() {
            Some(f) => f.into_inner().map_err(|e| e.into_error()).and_then(|_| std::fs::rename(&self.temp, &self.path)),
            None => Ok(()),
        };
        result.map_err(|e| self.error(&e))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.file.as_mut() {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other("the file is closed")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() || self.temp.exists() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

fn cannot_write(path: &Path, e: &std::io::Error) -> String {
    format!("cannot write `{}`: {e}", crate::load::display(path))
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

/// The file that marks a folder as written by [`write_folder`], so that a later run may
/// replace it (and never a folder of the user's).
pub const FOLDER_MARK: &str = ".assay-output";

/// Can [`write_folder`] write `dir`: its parent exists, and it is new, empty or written by
/// an earlier run? Asked before any work, and again when writing.
pub fn folder_writable(dir: &Path) -> Result<(), String> {
    let shown = crate::load::display(dir);
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(format!("cannot write `{shown}`: the folder `{}` does not exist", crate::load::display(parent)));
    }
    if dir.exists() {
        let ours = dir.join(FOLDER_MARK).is_file();
        let empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !dir.is_dir() || !(ours || empty) {
            return Err(format!(
                "cannot write `{shown}`: it exists and was not written by assay (give a new or empty folder)"
            ));
        }
    }
    Ok(())
}

/// Write `files` (paths relative to `dir`) as the folder `dir`, all or nothing: they are
/// written into a new folder beside it, which then takes its place. An existing `dir` is
/// replaced only when it is empty or an earlier run wrote it (it holds [`FOLDER_MARK`]).
pub fn write_folder(dir: &Path, files: &[(std::path::PathBuf, &str)]) -> Result<(), String> {
    folder_writable(dir)?;
    let shown = crate::load::display(dir);
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    let temp = parent.join(format!(".{name}.{}.tmp", std::process::id()));
    let old = parent.join(format!(".{name}.{}.old", std::process::id()));
    let result = (|| {
        std::fs::create_dir(&temp)?;
        for (path, text) in files {
            let at = temp.join(path);
            if let Some(p) = at.parent() {
                std::fs::create_dir_all(p)?;
            }
            std::fs::write(&at, text)?;
        }
        std::fs::write(temp.join(FOLDER_MARK), "written by assay; a later run may replace this folder\n")?;
        if dir.exists() {
            std::fs::rename(dir, &old)?;
            if let Err(e) = std::fs::rename(&temp, dir) {
                // Put the earlier folder back: the run leaves what it found.
                let _ = std::fs::rename(&old, dir);
                return Err(e);
            }
            let _ = std::fs::remove_dir_all(&old);
            Ok(())
        } else {
            std::fs::rename(&temp, dir)
        }
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_dir_all(&temp);
        format!("cannot write `{shown}`: {e}")
    })
}
