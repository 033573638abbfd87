//! Writing files so that a reader, or a crash, never sees half of one: a
//! temporary file beside the target, synced, renamed over it, and the
//! directory synced so the rename itself is durable.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{AppError, Result};

/// Writes `bytes` to `path` atomically, creating its directory if needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_all_atomic(&[(path, bytes)])
}

/// Writes each `(path, bytes)` atomically, as [`write_atomic`] does, at
/// the cost of fewer syncs: the temporary files are written and synced
/// together (the file system commits them in one journal transaction),
/// then renamed in order, then each directory is synced once. A reader
/// sees each file old or new, never half; a crash before the directory
/// sync may leave some renamed and some not.
pub fn write_all_atomic(files: &[(&Path, &[u8])]) -> Result<()> {
    let staged: Vec<Staged> = match files {
        [] => return Ok(()),
        [(path, bytes)] => vec![stage(path, bytes)?],
        _ => std::thread::scope(|scope| {
            let writers: Vec<_> = files
                .iter()
                .map(|(path, bytes)| scope.spawn(move || stage(path, bytes)))
                .collect();
            writers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect::<Result<Vec<_>>>()
        })?,
    };
    let mut dirs: Vec<PathBuf> = Vec::new();
    for s in staged {
        s.tmp.persist(&s.path).map_err(|e| AppError::Write {
            path: s.path.display().to_string(),
            source: e.error,
        })?;
        if !dirs.contains(&s.dir) {
            dirs.push(s.dir);
        }
    }
    for dir in dirs {
        sync_dir(&dir).map_err(|source| AppError::Write {
            path: dir.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

/// A synced temporary file waiting to be renamed over `path`.
struct Staged {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
    dir: PathBuf,
}

fn stage(path: &Path, bytes: &[u8]) -> Result<Staged> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| AppError::CreateDir {
        path: dir.display().to_string(),
        source,
    })?;
    let failed = |source: std::io::Error| AppError::Write {
        path: path.display().to_string(),
        source,
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".sloe-").suffix(".tmp");
    // A NamedTempFile is private (0600) by default; reports are read by
    // CI uploaders and colleagues, so create it as `fs::write` would and let
    // the umask decide.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(failed)?;
    tmp.write_all(bytes).map_err(failed)?;
    tmp.as_file().sync_all().map_err(failed)?;
    Ok(Staged {
        tmp,
        path: path.to_path_buf(),
        dir: dir.to_path_buf(),
    })
}

/// Appends `bytes` to `path`, creating it if needed (GitHub's step summary
/// is one file every step of a job appends to).
pub fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

// Windows cannot open a directory as a file; its rename is durable once the
// file is.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("reports/a.json");
        write_atomic(&path, b"first").expect("writes");
        write_atomic(&path, b"second").expect("replaces");
        assert_eq!(std::fs::read(&path).expect("reads"), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("reports"))
            .expect("lists")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.json")]);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_not_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a.json");
        write_atomic(&path, b"{}").expect("writes");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        // Whatever the umask, the group or others read it unless the
        // umask forbids it; 0600 would mean the temporary file's mode leaked.
        let expected = std::fs::File::create(dir.path().join("plain"))
            .and_then(|f| f.metadata())
            .expect("plain file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, expected & 0o777);
    }

    #[test]
    fn several_files_in_several_directories() {
        let dir = tempfile::tempdir().expect("temp dir");
        let a = dir.path().join("a/one.json");
        let b = dir.path().join("b/two.json");
        let c = dir.path().join("a/three.json");
        write_all_atomic(&[(&a, b"1"), (&b, b"2"), (&c, b"3")]).expect("writes");
        for (path, want) in [(&a, "1"), (&b, "2"), (&c, "3")] {
            assert_eq!(std::fs::read_to_string(path).expect("reads"), want);
        }
        let left: Vec<_> = std::fs::read_dir(dir.path().join("a"))
            .expect("lists")
            .map(|e| e.expect("entry").file_name())
            .filter(|n| n.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_path_that_is_a_directory_names_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("taken")).expect("mkdir");
        let e = write_atomic(&dir.path().join("taken"), b"x").expect_err("refused");
        assert!(e.to_string().starts_with("write "), "{e}");
        assert!(e.to_string().contains("taken"), "{e}");
    }
}
