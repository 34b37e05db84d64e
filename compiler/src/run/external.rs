//! Artifacts from outside the pipeline on this machine, with Argo's meaning.
//!
//! | source | on Argo | here |
//! | --- | --- | --- |
//! | `raw` | the init container writes the text | the text is written |
//! | `http` | the init container GETs the URL (Go's `net/http`); a failure is an Error of the pod | a GET with a blocking client (`fetch` feature); a failure is an Error of the attempt, retried as Argo retries one |
//! | `s3`, `gcs`, `git` | fetched with the pod's cloud credentials or git | refused (A0031): this machine has no such credentials, unless `run --artifact-file URI=PATH` names a copy |
//!
//! `--artifact-file URI=PATH` also works for a URL, to run without the network. Each attempt
//! fetches again, as each pod does; the file is written whole or not at all.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir::{Argument, ExternalSource};
use crate::validate::ValidPipeline;

/// The address an external artifact is known by: the key of `run --artifact-file` and the URI
/// the metadata store records as what the task consumed. `raw` texts have none (they are
/// recorded as the file they are written to).
pub(crate) fn source_uri(source: &ExternalSource) -> Option<String> {
    match source {
        ExternalSource::Raw { .. } => None,
        ExternalSource::Http { url } => Some(url.clone()),
        // Resolved to `Http` before a task runs (`scheduler::resolve_job`).
        ExternalSource::HttpFromParam { .. } => None,
        ExternalSource::S3 { bucket, key, .. } => Some(format!("s3://{bucket}/{key}")),
        ExternalSource::Gcs { bucket, key } => Some(format!("gs://{bucket}/{key}")),
        ExternalSource::Git { repo, revision } => Some(match revision {
            Some(r) => format!("{repo}@{r}"),
            None => repo.clone(),
        }),
    }
}

/// Parses `URI=PATH` (`--artifact-file`): the last `=` splits, since a URL may hold `=` in
/// its query but a path given here rarely does.
///
/// # Errors
/// A message saying what form is expected.
pub fn parse_artifact_file_flag(text: &str) -> Result<(String, PathBuf), String> {
    match text.rsplit_once('=') {
        Some((uri, path)) if !uri.is_empty() && !path.is_empty() => {
            Ok((uri.to_owned(), PathBuf::from(path)))
        }
        _ => Err(format!(
            "expected URI=PATH (`s3://bucket/key=./local/copy`, `https://host/file=./file`), got `{text}`"
        )),
    }
}

/// A0031 for each artifact from outside the pipeline that this machine cannot fetch and for
/// which `files` names no local copy.
pub(crate) fn check(
    valid: &ValidPipeline,
    files: &BTreeMap<String, PathBuf>,
) -> Result<(), Diagnostics> {
    let p = valid.pipeline();
    let mut found = Vec::new();
    for task in &p.tasks {
        for (input, argument) in &task.arguments {
            let Argument::External { source, .. } = argument else {
                continue;
            };
            let uri = source_uri(source);
            if uri.as_ref().is_some_and(|u| files.contains_key(u)) {
                continue;
            }
            let uri = uri.unwrap_or_else(|| "URL".to_owned());
            let why = match source {
                ExternalSource::Http { .. } | ExternalSource::HttpFromParam { .. }
                    if cfg!(feature = "fetch") =>
                {
                    continue;
                }
                ExternalSource::Http { .. } | ExternalSource::HttpFromParam { .. } => {
                    "this program was built without argot's `fetch` feature, which downloads URLs"
                }
                ExternalSource::S3 { .. } | ExternalSource::Gcs { .. } => {
                    "on a cluster the pod reads it with its own cloud credentials, which this machine does not have"
                }
                ExternalSource::Git { .. } => {
                    "on a cluster the pod clones it with git and the cluster's credentials; the local runner does not clone repositories"
                }
                ExternalSource::Raw { .. } => continue,
            };
            found.push(
                Diagnostic::error(
                    Code::LocalUnsupported,
                    &p.name,
                    format!(
                        "task `{}`: input `{input}` is {}, which `run` cannot fetch: {why}",
                        task.name,
                        source.describe()
                    ),
                    format!(
                        "copy it to this machine and pass `--artifact-file {uri}=PATH`, or run the pipeline on a cluster (`submit`)"
                    ),
                )
                .at_opt(task.location.as_ref()),
            );
        }
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics::new(found))
    }
}

/// What the repository side of artifacts (Argo's business, not this machine's) means for a
/// local run, once per run: an artifact GC strategy deletes nothing here.
pub(crate) fn notes(valid: &ValidPipeline) -> Vec<String> {
    let settings = &valid.pipeline().settings;
    settings
        .artifact_gc
        .iter()
        .map(|strategy| {
            format!(
                "artifact GC ({strategy}) applies to the cluster's artifact repository; this run keeps its artifacts in its folder until you delete it"
            )
        })
        .collect()
}

/// Writes the artifact `source` at `dest` (a file), from the copy `files` names if any.
///
/// # Errors
/// Why it could not be fetched, for the task's message.
pub(crate) fn fetch(
    source: &ExternalSource,
    files: &BTreeMap<String, PathBuf>,
    dest: &Path,
) -> Result<(), String> {
    let dir = dest.parent().expect("an artifact's path is in a folder");
    fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    // Whole or not at all: written beside `dest`, renamed over it once complete.
    let mut part = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot create a file in `{}`: {e}", dir.display()))?;
    let copy = source_uri(source).and_then(|uri| files.get(&uri));
    match (source, copy) {
        (_, Some(path)) => {
            let mut from = fs::File::open(path).map_err(|e| {
                format!(
                    "cannot read `{}`, the local copy of {}: {e}",
                    path.display(),
                    source.describe()
                )
            })?;
            std::io::copy(&mut from, part.as_file_mut())
                .map_err(|e| format!("cannot copy `{}`: {e}", path.display()))?;
        }
        (ExternalSource::Raw { data }, None) => {
            std::io::Write::write_all(part.as_file_mut(), data.as_bytes())
                .map_err(|e| format!("cannot write `{}`: {e}", part.path().display()))?;
        }
        (ExternalSource::Http { url }, None) => download(url, part.as_file_mut())?,
        (other, None) => {
            return Err(format!(
                "{} cannot be fetched on this machine (validation of the run refuses it)",
                other.describe()
            ));
        }
    }
    part.persist(dest)
        .map_err(|e| format!("cannot write `{}`: {}", dest.display(), e.error))?;
    Ok(())
}

#[cfg(feature = "fetch")]
fn download(url: &str, to: &mut fs::File) -> Result<(), String> {
    use std::time::Duration;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .build()
        .into();
    let response = agent.get(url).call().map_err(|e| match e {
        ureq::Error::StatusCode(code) => {
            format!("downloading `{url}` failed: the server answered HTTP {code}")
        }
        other => format!("downloading `{url}` failed: {other}"),
    })?;
    let mut body = response.into_body().into_reader();
    std::io::copy(&mut body, to).map_err(|e| format!("downloading `{url}` failed: {e}"))?;
    Ok(())
}

#[cfg(not(feature = "fetch"))]
fn download(url: &str, _to: &mut fs::File) -> Result<(), String> {
    Err(format!(
        "cannot download `{url}`: this program was built without argot's `fetch` feature"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_file_flags_split_at_the_last_equals_sign() {
        assert_eq!(
            parse_artifact_file_flag("https://h/x?a=b=./copy").unwrap(),
            ("https://h/x?a=b".to_owned(), PathBuf::from("./copy"))
        );
        assert!(parse_artifact_file_flag("s3://b/k").is_err());
        assert!(parse_artifact_file_flag("=./x").is_err());
    }

    #[test]
    fn raw_text_is_written_whole_and_a_failed_fetch_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("t").join("data");
        let raw = ExternalSource::Raw {
            data: "a,b\n1,2\n".into(),
        };
        fetch(&raw, &BTreeMap::new(), &dest).unwrap();
        assert_eq!(fs::read_to_string(&dest).unwrap(), "a,b\n1,2\n");

        let missing = dir.path().join("t").join("missing");
        let s3 = ExternalSource::S3 {
            endpoint: "s3.amazonaws.com".into(),
            bucket: "b".into(),
            key: "k".into(),
        };
        let err = fetch(&s3, &BTreeMap::new(), &missing).unwrap_err();
        assert!(err.contains("s3://b/k"), "{err}");
        assert!(!missing.exists());
        // Only `dest` and nothing half-written beside it.
        let names: Vec<_> = fs::read_dir(dir.path().join("t")).unwrap().collect();
        assert_eq!(names.len(), 1);

        let copy = dir.path().join("copy");
        fs::write(&copy, "mirrored").unwrap();
        let files = BTreeMap::from([("s3://b/k".to_owned(), copy)]);
        fetch(&s3, &files, &missing).unwrap();
        assert_eq!(fs::read_to_string(&missing).unwrap(), "mirrored");
    }
}
