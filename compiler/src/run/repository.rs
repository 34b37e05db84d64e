//! The local artifact repository: where `run` also stores an output whose task names its
//! key (`set_output_key`), so a user finds it where the cluster would put it.
//!
//! | on Argo | here |
//! | --- | --- |
//! | the controller fills the key's variables when it creates the pod (`SubstituteParams`) | the same variables with the local run's values: `workflow.name` the run id, `workflow.uid` the run's UUID, `workflow.namespace` `local`, `workflow.creationTimestamp.*` the run's start (UTC), `pod.name` `<run id>-<task>`, run-time values as the task's other settings receive them |
//! | the executor uploads what the archive strategy makes to exactly that key (`saveArtifactFromFile`, `stageArchiveFile`) | `.argot/repository/<key>` (the folder `repository` beside the runs folder) holds the same: the file or folder as it is (`Archive::None`), or a gzipped tarball whose entries are named after the output's path as Argo's `TarGzToWriter` names them; `Archive::Zip` is refused before the run starts (A0031) |
//! | a later upload to the key replaces the object | a later run (or attempt) writing the key replaces what is there |
//! | the upload failing errors the node | the copy failing errors the task (and a retry policy applies) |
//!
//! A task whose outputs come from the cache stores them under the key too: on a cluster
//! without `memoize` it would run, and upload, again. The run's records are unchanged: the
//! metadata store keeps the run folder's copy as the output (`file://…/outputs/<name>`), and
//! the task's report says where the keyed copy went.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::ir::{Archive, ComponentSpec, Implementation, IoKind, KeyPart, TaskConfig};

/// The local repository for runs kept in `workdir`: `repository` beside it
/// (`.argot/repository` for the default `.argot/runs`), as the cache is.
pub fn repository_dir(workdir: &Path) -> PathBuf {
    match workdir.parent() {
        Some(parent) => parent.join("repository"),
        None => PathBuf::from("repository"),
    }
}

/// The local stand-in for `{{pod.name}}`: `<run id>-<task>`, every character Kubernetes
/// would not take in a pod name written as `-`.
pub(crate) fn local_pod_name(run_id: &str, task: &str) -> String {
    let name: String = format!("{run_id}-{task}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    name.trim_matches('-').to_owned()
}

/// Where one output went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stored {
    pub output: String,
    pub key: String,
    pub path: PathBuf,
}

/// The values a key's variables take in this run.
pub(crate) struct KeyValues<'a> {
    pub globals: &'a super::rewrite::Globals,
    pub run_id: &'a str,
    pub task: &'a str,
}

impl KeyValues<'_> {
    fn of(&self, part: &KeyPart) -> Option<String> {
        match part {
            KeyPart::Text(t) => Some(t.clone()),
            KeyPart::WorkflowName => self.globals.get("workflow.name"),
            KeyPart::WorkflowUid => self.globals.get("workflow.uid"),
            KeyPart::WorkflowNamespace => self.globals.get("workflow.namespace"),
            KeyPart::Created(t) => self
                .globals
                .get("workflow.creationTimestamp")
                .and_then(|at| t.of_rfc3339(&at).map(str::to_owned)),
            KeyPart::PodName => Some(local_pod_name(self.run_id, self.task)),
            // Filled in from the task's values before (`TaskConfig::with_setting_values`).
            KeyPart::Setting(_) => None,
        }
    }
}

/// Stores every output of `task` whose key `config` names (its run-time values filled in)
/// from the task's folder `dir` into `repository`.
///
/// # Errors
/// A key that cannot be filled in or is no relative path once it is, or a write that failed.
pub(crate) fn store_keyed_outputs(
    repository: &Path,
    config: &TaskConfig,
    spec: &ComponentSpec,
    dir: &Path,
    values: &KeyValues<'_>,
) -> Result<Vec<Stored>, String> {
    let mut stored = Vec::new();
    for output in &spec.outputs {
        let IoKind::Artifact { kind } = &output.kind else {
            continue;
        };
        let Some(options) = config.outputs.get(&output.name) else {
            continue;
        };
        let Some(key) = &options.key else {
            continue;
        };
        let key = key
            .expand(&|part| values.of(part))
            .map_err(|e| format!("output `{}`: {e}", output.name))?;
        let source = dir.join("outputs").join(&output.name);
        let target = repository.join(&key);
        let packing =
            options
                .archive
                .unwrap_or(if crate::rules::repo_keys::unarchived_by_default(kind) {
                    Archive::None
                } else {
                    Archive::Tar
                });
        // The name Argo's archive gives the output: the base name of its path in the pod.
        let own = match &spec.implementation {
            Implementation::Container(c) => c.output_path(&output.name),
            _ => None,
        };
        let base = own
            .and_then(|p| p.rsplit('/').find(|s| !s.is_empty()))
            .unwrap_or(&output.name);
        store(&source, &target, packing, base).map_err(|e| {
            format!(
                "output `{}`: cannot store it under key `{key}` (`{}`): {e}",
                output.name,
                target.display()
            )
        })?;
        stored.push(Stored {
            output: output.name.clone(),
            key,
            path: target,
        });
    }
    Ok(stored)
}

/// Writes `source` packed as `packing` at `target`, replacing what is there, through a
/// temporary sibling so a failure leaves the old object whole.
fn store(source: &Path, target: &Path, packing: Archive, base: &str) -> io::Result<()> {
    let parent = target
        .parent()
        .ok_or_else(|| io::Error::other("the key names no object"))?;
    fs::create_dir_all(parent)?;
    let name = target
        .file_name()
        .ok_or_else(|| io::Error::other("the key names no object"))?
        .to_string_lossy()
        .into_owned();
    // Tasks of one run may write one key at once (in branches, or with equal values).
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = parent.join(format!(".{name}.argot-{}-{n}", std::process::id()));
    remove_any(&tmp)?;
    let written = match packing {
        Archive::None => super::cache::copy_tree(source, &tmp),
        Archive::Tar => fs::File::create(&tmp).and_then(|f| tar_gz(source, base, f)),
        Archive::Zip => Err(io::Error::other(
            "zip archives are not made locally (refused before the run starts)",
        )),
    };
    if let Err(e) = written {
        let _ = remove_any(&tmp);
        return Err(e);
    }
    // A file replaces a file in one rename; a folder (or a file over a folder) needs the old
    // one out of the way first.
    let replace_in_one = fs::symlink_metadata(&tmp)?.is_file()
        && fs::symlink_metadata(target).map_or(true, |m| !m.is_dir());
    if !replace_in_one {
        remove_any(target)?;
    }
    fs::rename(&tmp, target)
}

fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            make_writable(path);
            fs::remove_dir_all(path)
        }
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Outputs are read-only in the run folder, and so is their copy: a folder's files must be
/// writable again before a later run replaces it (on unix, removing needs the folder's
/// write bit).
fn make_writable(path: &Path) {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return;
    };
    if meta.is_dir() {
        #[allow(clippy::permissions_set_readonly_false)]
        {
            let mut perms = meta.permissions();
            perms.set_readonly(false);
            let _ = fs::set_permissions(path, perms);
        }
        if let Ok(entries) = fs::read_dir(path) {
            for entry in entries.flatten() {
                make_writable(&entry.path());
            }
        }
    }
}

/// `source` as a gzipped tarball, as Argo's `TarGzToWriter` (`util/archive/archive.go`)
/// makes it: a file as one entry named `base`; a folder walked in lexical order, each entry
/// named `base/<path inside>`, the folder itself `base`.
fn tar_gz(source: &Path, base: &str, out: fs::File) -> io::Result<()> {
    let mut gz =
        flate2::write::GzEncoder::new(io::BufWriter::new(out), flate2::Compression::default());
    tar_entry(source, base, &mut gz)?;
    gz.write_all(&[0u8; 1024])?;
    gz.finish()?.flush()
}

fn tar_entry(path: &Path, name: &str, out: &mut dyn Write) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    #[cfg(unix)]
    let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777;
    #[cfg(not(unix))]
    let mode = if meta.is_dir() { 0o755 } else { 0o644 };
    if meta.file_type().is_symlink() {
        let target = fs::read_link(path)?;
        let header = tar_header(name, mode, 0, mtime, b'2', &target.to_string_lossy())?;
        return out.write_all(&header);
    }
    if meta.is_dir() {
        out.write_all(&tar_header(name, mode, 0, mtime, b'5', "")?)?;
        let mut names: Vec<String> = fs::read_dir(path)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<io::Result<_>>()?;
        names.sort();
        for child in names {
            tar_entry(&path.join(&child), &format!("{name}/{child}"), out)?;
        }
        return Ok(());
    }
    let size = meta.len();
    out.write_all(&tar_header(name, mode, size, mtime, b'0', "")?)?;
    let mut file = fs::File::open(path)?;
    let copied = io::copy(&mut file, out)?;
    if copied != size {
        return Err(io::Error::other("the file changed while it was archived"));
    }
    let pad = (512 - (size % 512) as usize) % 512;
    out.write_all(&vec![0u8; pad])
}

/// A POSIX ustar header: a name longer than 100 bytes is split into prefix and name at a
/// `/`.
fn tar_header(
    name: &str,
    mode: u32,
    size: u64,
    mtime: u64,
    kind: u8,
    link: &str,
) -> io::Result<[u8; 512]> {
    let mut h = [0u8; 512];
    let (prefix, rest) = if name.len() <= 100 {
        ("", name)
    } else {
        let split = name[..name.len().min(156)]
            .rfind('/')
            .filter(|&i| name.len() - i - 1 <= 100 && i <= 155)
            .ok_or_else(|| io::Error::other(format!("a name too long for a tar header: {name}")))?;
        (&name[..split], &name[split + 1..])
    };
    if link.len() > 100 {
        return Err(io::Error::other(format!(
            "a link target too long for a tar header: {link}"
        )));
    }
    let octal = |h: &mut [u8; 512], at: usize, len: usize, value: u64| {
        let text = format!("{value:0width$o}", width = len - 1);
        h[at..at + len - 1].copy_from_slice(&text.as_bytes()[text.len() - (len - 1)..]);
    };
    h[..rest.len()].copy_from_slice(rest.as_bytes());
    octal(&mut h, 100, 8, u64::from(mode));
    octal(&mut h, 108, 8, 0);
    octal(&mut h, 116, 8, 0);
    if size >= 8u64.pow(11) {
        return Err(io::Error::other(
            "a file too large for a ustar header (8 GiB)",
        ));
    }
    octal(&mut h, 124, 12, size);
    octal(&mut h, 136, 12, mtime.min(8u64.pow(11) - 1));
    h[156] = kind;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads back a ustar stream: (name, type, content) of each entry.
    fn untar(bytes: &[u8]) -> Vec<(String, u8, Vec<u8>)> {
        let mut out = Vec::new();
        let mut at = 0;
        while at + 512 <= bytes.len() && bytes[at..at + 512].iter().any(|&b| b != 0) {
            let h = &bytes[at..at + 512];
            let field = |a: usize, n: usize| {
                String::from_utf8(
                    h[a..a + n]
                        .iter()
                        .take_while(|&&b| b != 0)
                        .copied()
                        .collect(),
                )
                .unwrap()
            };
            let stored: u64 = u64::from_str_radix(field(148, 6).trim(), 8).unwrap();
            let mut copy = h.to_vec();
            copy[148..156].copy_from_slice(b"        ");
            assert_eq!(
                stored,
                copy.iter().map(|&b| u64::from(b)).sum::<u64>(),
                "checksum"
            );
            assert_eq!(&h[257..263], b"ustar\0");
            let prefix = field(345, 155);
            let name = if prefix.is_empty() {
                field(0, 100)
            } else {
                format!("{prefix}/{}", field(0, 100))
            };
            let size = u64::from_str_radix(&field(124, 11), 8).unwrap() as usize;
            at += 512;
            out.push((name, h[156], bytes[at..at + size].to_vec()));
            at += size.div_ceil(512) * 512;
        }
        out
    }

    fn gunzip(path: &Path) -> Vec<u8> {
        let mut d = flate2::read::GzDecoder::new(fs::File::open(path).unwrap());
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut d, &mut bytes).unwrap();
        bytes
    }

    #[test]
    fn a_folder_is_tarred_as_argo_names_its_entries_and_replaced_by_a_later_store() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("model");
        fs::create_dir_all(src.join("weights")).unwrap();
        fs::write(src.join("config.json"), "{}").unwrap();
        fs::write(src.join("weights/a.bin"), vec![7u8; 700]).unwrap();
        // Past 100 bytes a name is split into the header's prefix and name.
        let long = "x".repeat(90);
        fs::write(src.join("weights").join(&long), "long").unwrap();
        let target = tmp.path().join("repo/models/m.tgz");
        store(&src, &target, Archive::Tar, "model").unwrap();
        let entries = untar(&gunzip(&target));
        let names: Vec<&str> = entries.iter().map(|(n, _, _)| n.as_str()).collect();
        let long_name = format!("model/weights/{long}");
        assert_eq!(
            names,
            [
                "model",
                "model/config.json",
                "model/weights",
                "model/weights/a.bin",
                long_name.as_str()
            ]
        );
        assert_eq!(entries[0].1, b'5');
        assert_eq!(entries[3].2, vec![7u8; 700]);
        assert_eq!(entries[4].2, b"long");
        // One part longer than a header's name field cannot be written: an error, not a
        // wrong name.
        fs::write(src.join("y".repeat(101)), "").unwrap();
        let err = store(&src, &target, Archive::Tar, "model").unwrap_err();
        assert!(
            err.to_string().contains("too long for a tar header"),
            "{err}"
        );
        assert_eq!(untar(&gunzip(&target)).len(), 5, "the old object is whole");
        fs::remove_file(src.join("y".repeat(101))).unwrap();

        // A single file, as it is: a later store replaces it, and no temporary file stays.
        let file = tmp.path().join("model.bin");
        fs::write(&file, "v1").unwrap();
        let target = tmp.path().join("repo/latest/model.bin");
        store(&file, &target, Archive::None, "model").unwrap();
        fs::write(&file, "v2").unwrap();
        store(&file, &target, Archive::None, "model").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "v2");
        let left: Vec<_> = fs::read_dir(target.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1);

        // A folder over a read-only folder.
        let dir_target = tmp.path().join("repo/latest/dir");
        store(&src, &dir_target, Archive::None, "model").unwrap();
        super::super::cache::make_read_only(&dir_target);
        fs::write(src.join("config.json"), "{\"v\": 2}").ok();
        store(&src, &dir_target, Archive::None, "model").unwrap();
        assert!(dir_target.join("weights/a.bin").is_file());
    }

    #[test]
    fn a_local_pod_name_is_a_name_kubernetes_would_take() {
        assert_eq!(
            local_pod_name("fit-20260101-000000-abcd", "train(0)"),
            "fit-20260101-000000-abcd-train-0"
        );
        assert_eq!(local_pod_name("r", "Prep.Fetch"), "r-prep.fetch");
    }

    #[test]
    fn the_repository_sits_beside_the_runs() {
        assert_eq!(
            repository_dir(Path::new(".argot/runs")),
            Path::new(".argot/repository")
        );
    }
}
