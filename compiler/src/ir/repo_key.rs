//! Where an output artifact is stored in the workflow's artifact repository, when the user
//! names it: a [`RepoKey`], made of literal text and the variables Argo substitutes in an
//! output artifact's key.
//!
//! # Where Argo fills the key in
//! The controller substitutes the whole template before it creates the pod
//! (`SubstituteParams` in `workflow/common/util.go`, called by `ProcessArgs` from
//! `executeTemplate` in `workflow/controller/operator.go`): the global variables of
//! `setGlobalParameters` (`workflow.name`, `workflow.uid`, `workflow.namespace`,
//! `workflow.creationTimestamp.<strftime char>`), the local ones of `executeTemplate`
//! (`pod.name`, set again for every retry attempt) and the template's
//! `inputs.parameters.*`. The executor then uploads the file to exactly that key
//! (`saveArtifactFromFile` in `workflow/executor/executor.go`: a key that is set is used as
//! it is, never joined to the repository's `keyFormat`), in the repository the workflow
//! uses: `ArtifactLocation.Relocate` (`pkg/apis/workflow/v1alpha1/workflow_types.go`)
//! copies the bucket, endpoint and credentials of the template's archive location — the
//! namespace's default repository or `spec.artifactRepositoryRef` — whatever its kind, and
//! keeps the key. So a key-only `s3: {key}` works on S3, GCS, Azure, … repositories alike.
//!
//! The key is uploaded as the archive strategy makes it (`stageArchiveFile`): a gzipped tar
//! by default, a zip, or the file (or folder) as it is with `archive: {none: {}}`. A key's
//! extension must say which (A0049): `.tgz`/`.tar.gz` for tar, `.zip` for zip, neither for
//! none.

use serde::{Deserialize, Serialize};

/// A key in the artifact repository: the parts in order, joined without separators.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RepoKey {
    /// The parts, in order.
    pub parts: Vec<KeyPart>,
}

/// One part of a [`RepoKey`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyPart {
    /// Literal text (it must not hold `{{` or `}}`).
    Text(String),
    /// The workflow's name (`{{workflow.name}}`); locally, the run id.
    WorkflowName,
    /// The workflow's UID (`{{workflow.uid}}`); locally, a UUID derived from the run id.
    WorkflowUid,
    /// The workflow's namespace (`{{workflow.namespace}}`); locally, `local`.
    WorkflowNamespace,
    /// A piece of the workflow's creation time, UTC (`{{workflow.creationTimestamp.Y}}`, …);
    /// locally, the run's start.
    Created(TimePart),
    /// The pod's name (`{{pod.name}}`): different for every task, loop iteration and retry
    /// attempt; locally, `<run id>-<task>`.
    PodName,
    /// A run-time value of the task (`{{inputs.parameters.argot-setting-N}}`): a pipeline
    /// parameter or a task's output parameter, in wire form.
    Setting(String),
}

/// A piece of a time, as a `strftime` character Argo's `setGlobalParameters` defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimePart {
    /// Four-digit year (`%Y`).
    Year,
    /// Two-digit month (`%m`).
    Month,
    /// Two-digit day of the month (`%d`).
    Day,
    /// Two-digit hour, 24-hour clock (`%H`).
    Hour,
    /// Two-digit minute (`%M`).
    Minute,
    /// Two-digit second (`%S`).
    Second,
}

impl TimePart {
    /// The `strftime` character.
    pub fn char(self) -> char {
        match self {
            TimePart::Year => 'Y',
            TimePart::Month => 'm',
            TimePart::Day => 'd',
            TimePart::Hour => 'H',
            TimePart::Minute => 'M',
            TimePart::Second => 'S',
        }
    }

    /// This piece of an RFC 3339 UTC time (`2024-05-01T10:00:00Z`, as a local run's start
    /// is written), or `None` when the text is not one.
    pub fn of_rfc3339(self, time: &str) -> Option<&str> {
        let b = time.as_bytes();
        let shaped = b.len() >= 19
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':';
        if !shaped {
            return None;
        }
        let range = match self {
            TimePart::Year => 0..4,
            TimePart::Month => 5..7,
            TimePart::Day => 8..10,
            TimePart::Hour => 11..13,
            TimePart::Minute => 14..16,
            TimePart::Second => 17..19,
        };
        let piece = time.get(range)?;
        piece.bytes().all(|c| c.is_ascii_digit()).then_some(piece)
    }
}

impl KeyPart {
    /// The Argo variable this part is (`workflow.name`, `pod.name`, …), without braces;
    /// `None` for text.
    pub fn variable(&self) -> Option<String> {
        Some(match self {
            KeyPart::Text(_) => return None,
            KeyPart::WorkflowName => "workflow.name".to_owned(),
            KeyPart::WorkflowUid => "workflow.uid".to_owned(),
            KeyPart::WorkflowNamespace => "workflow.namespace".to_owned(),
            KeyPart::Created(t) => format!("workflow.creationTimestamp.{}", t.char()),
            KeyPart::PodName => "pod.name".to_owned(),
            KeyPart::Setting(input) => format!("inputs.parameters.{input}"),
        })
    }
}

/// How an output is uploaded, as far as its key's extension goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packing {
    /// A gzipped tarball (Argo's default).
    Tar,
    /// A zip file.
    Zip,
    /// As it is.
    None,
}

impl RepoKey {
    /// The key as Argo's template holds it, each variable as its `{{…}}` tag.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                KeyPart::Text(t) => out.push_str(t),
                other => {
                    out.push_str("{{");
                    out.push_str(&other.variable().unwrap_or_default());
                    out.push_str("}}");
                }
            }
        }
        out
    }

    /// The setting inputs (`argot-setting-N`) the key reads, in order, each once.
    pub fn setting_inputs(&self) -> Vec<&str> {
        let mut inputs: Vec<&str> = Vec::new();
        for part in &self.parts {
            if let KeyPart::Setting(input) = part
                && !inputs.contains(&input.as_str())
            {
                inputs.push(input);
            }
        }
        inputs
    }

    /// True when every run writes one key for it whichever task or iteration writes: no
    /// `pod.name` and no run-time value of the task.
    pub fn is_same_for_every_task(&self) -> bool {
        !self
            .parts
            .iter()
            .any(|p| matches!(p, KeyPart::PodName | KeyPart::Setting(_)))
    }

    /// The key with each setting input found in `values` (input name → text) pasted in as
    /// text; the others are kept.
    pub fn with_setting_values(&self, values: &[(String, String)]) -> RepoKey {
        let parts = self
            .parts
            .iter()
            .map(|part| match part {
                KeyPart::Setting(input) => values
                    .iter()
                    .find(|(n, _)| n == input)
                    .map_or_else(|| part.clone(), |(_, v)| KeyPart::Text(v.clone())),
                other => other.clone(),
            })
            .collect();
        RepoKey { parts }
    }

    /// What is wrong with the key as written, whatever its variables become (A0049): each
    /// problem with its fix.
    pub fn problems(&self) -> Vec<(String, &'static str)> {
        let mut found = Vec::new();
        let rendered = self.render();
        if rendered.is_empty() {
            found.push((
                "the key is empty".to_owned(),
                "name the object, such as `models/latest/model.bin`",
            ));
            return found;
        }
        for part in &self.parts {
            if let KeyPart::Text(t) = part
                && (t.contains("{{") || t.contains("}}"))
            {
                found.push((
                    format!("the literal text {t:?} holds `{{{{` or `}}}}`, which Argo would take for a variable (or refuse)"),
                    "use the key builder's variables (`workflow_name()`, `pod_name()`, `value(param)`, …) instead of writing `{{…}}`",
                ));
            }
            if let KeyPart::Setting(input) = part
                && !crate::ir::is_setting_input(input)
            {
                found.push((
                    format!("the key reads `{input}`, which is not a value of the task's settings"),
                    "build the key with `OutputKey::value(…)`",
                ));
            }
        }
        if rendered.starts_with('/') {
            found.push((
                format!("the key `{rendered}` starts with `/`"),
                "a key is relative to the repository's bucket: drop the leading `/`",
            ));
        }
        // Segments of literal text only: a variable's value is checked when it is known.
        let segments: Vec<&str> = rendered.split('/').collect();
        let last = segments.len() - 1;
        for (i, segment) in segments.iter().enumerate() {
            if *segment == "." || *segment == ".." {
                found.push((
                    format!("the key `{rendered}` has a `{segment}` part"),
                    "name the object directly: no `.` or `..` parts",
                ));
            } else if segment.is_empty() && i > 0 && i < last {
                found.push((
                    format!("the key `{rendered}` has an empty part (`//`)"),
                    "write one `/` between parts",
                ));
            }
        }
        if rendered.ends_with('/') {
            found.push((
                format!("the key `{rendered}` ends with `/`"),
                "end the key with the object's name (a folder output is stored under it)",
            ));
        }
        found
    }

    /// Why the key's extension does not say what `packing` uploads, if it does not.
    pub fn packing_mismatch(&self, packing: Packing) -> Option<String> {
        // The extension is known only when the key ends in literal text.
        let tail = match self.parts.last() {
            Some(KeyPart::Text(t)) => Some(t.as_str()),
            _ => None,
        };
        let tar = tail.is_some_and(|t| t.ends_with(".tgz") || t.ends_with(".tar.gz"));
        let zip = tail.is_some_and(|t| t.ends_with(".zip"));
        let key = self.render();
        match packing {
            Packing::Tar if !tar => Some(format!(
                "the key `{key}` does not end with `.tgz` or `.tar.gz`, yet the output is uploaded as a gzipped tarball (Argo's default archive)"
            )),
            Packing::Zip if !zip => Some(format!(
                "the key `{key}` does not end with `.zip`, yet the output is uploaded as a zip file (`Archive::Zip`)"
            )),
            Packing::None if tar || zip => Some(format!(
                "the key `{key}` ends with an archive's extension, yet the output is uploaded as it is (`Archive::None`)"
            )),
            _ => None,
        }
    }

    /// The key with every part's value from `value` (a part it has none for is an error),
    /// checked as a path under a local folder: relative, no empty, `.` or `..` part.
    ///
    /// # Errors
    /// A part without a value, or a key that is not such a path once filled in.
    pub fn expand(&self, value: &dyn Fn(&KeyPart) -> Option<String>) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                KeyPart::Text(t) => out.push_str(t),
                other => match value(other) {
                    Some(v) => out.push_str(&v),
                    None => {
                        return Err(format!(
                            "`{{{{{}}}}}` has no value here",
                            other.variable().unwrap_or_default()
                        ));
                    }
                },
            }
        }
        if out.is_empty()
            || out.starts_with('/')
            || out.contains('\\')
            || out.contains('\0')
            || out
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(format!(
                "the key is `{out}` once filled in, which is not a relative path of non-empty parts without `.` or `..`"
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> KeyPart {
        KeyPart::Text(t.to_owned())
    }

    #[test]
    fn a_key_renders_as_argo_substitutes_it() {
        let key = RepoKey {
            parts: vec![
                text("runs/"),
                KeyPart::Created(TimePart::Year),
                text("/"),
                KeyPart::WorkflowName,
                text("/"),
                KeyPart::Setting("argot-setting-0".into()),
                text("-"),
                KeyPart::PodName,
                text("/model.tgz"),
            ],
        };
        assert_eq!(
            key.render(),
            "runs/{{workflow.creationTimestamp.Y}}/{{workflow.name}}/{{inputs.parameters.argot-setting-0}}-{{pod.name}}/model.tgz"
        );
        assert_eq!(key.setting_inputs(), ["argot-setting-0"]);
        assert!(!key.is_same_for_every_task());
        assert!(key.problems().is_empty(), "{:?}", key.problems());
        assert!(key.packing_mismatch(Packing::Tar).is_none());
        assert!(key.packing_mismatch(Packing::None).is_some());
        assert!(key.packing_mismatch(Packing::Zip).is_some());
        // Filled in as the runner fills it.
        let filled = key.with_setting_values(&[("argot-setting-0".into(), "v2".into())]);
        let expanded = filled
            .expand(&|p| match p {
                KeyPart::Created(t) => t.of_rfc3339("2024-05-01T10:20:30Z").map(str::to_owned),
                KeyPart::WorkflowName => Some("fit-1".into()),
                KeyPart::PodName => Some("fit-1-train".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(expanded, "runs/2024/fit-1/v2-fit-1-train/model.tgz");
        // A value that would climb out of the repository is refused when it is known.
        let own = RepoKey {
            parts: vec![
                text("a/"),
                KeyPart::Setting("argot-setting-0".into()),
                text("/b"),
            ],
        };
        let bad = own.with_setting_values(&[("argot-setting-0".into(), "..".into())]);
        let err = bad
            .expand(&|p| p.variable().map(|_| "x".to_owned()))
            .unwrap_err();
        assert!(err.contains("without `.` or `..`"), "{err}");
        // A variable with no value here is named.
        let err = key.expand(&|_| None).unwrap_err();
        assert!(err.contains("{{workflow.creationTimestamp.Y}}"), "{err}");
    }

    #[test]
    fn bad_keys_are_found_whatever_their_variables_become() {
        let problems = |parts: Vec<KeyPart>| {
            RepoKey { parts }
                .problems()
                .into_iter()
                .map(|(what, _)| what)
                .collect::<Vec<_>>()
        };
        assert_eq!(problems(vec![]), ["the key is empty"]);
        assert_eq!(problems(vec![text("")]), ["the key is empty"]);
        let p = problems(vec![text("/models/m.bin")]);
        assert!(p[0].contains("starts with `/`"), "{p:?}");
        let p = problems(vec![text("models/../m.bin")]);
        assert!(p[0].contains("has a `..` part"), "{p:?}");
        let p = problems(vec![text("models//m.bin")]);
        assert!(p[0].contains("empty part"), "{p:?}");
        let p = problems(vec![text("models/{{workflow.name}}/m.bin")]);
        assert!(p[0].contains("holds `{{`"), "{p:?}");
        let p = problems(vec![text("models/"), KeyPart::WorkflowName, text("/")]);
        assert!(p[0].contains("ends with `/`"), "{p:?}");
        let p = problems(vec![KeyPart::Setting("x".into())]);
        assert!(p[0].contains("not a value of the task's settings"), "{p:?}");
        // A variable may stand anywhere, even first.
        assert!(problems(vec![KeyPart::WorkflowUid, text("/m.bin")]).is_empty());
    }

    #[test]
    fn the_extension_must_say_how_the_output_is_packed() {
        let key = |t: &str| RepoKey {
            parts: vec![text(t)],
        };
        assert!(key("m.tgz").packing_mismatch(Packing::Tar).is_none());
        assert!(key("m.tar.gz").packing_mismatch(Packing::Tar).is_none());
        assert!(key("m.bin").packing_mismatch(Packing::Tar).is_some());
        assert!(key("m.zip").packing_mismatch(Packing::Zip).is_none());
        assert!(key("m.tgz").packing_mismatch(Packing::Zip).is_some());
        assert!(key("m.bin").packing_mismatch(Packing::None).is_none());
        assert!(key("m.zip").packing_mismatch(Packing::None).is_some());
        // A key ending in a variable has no known extension: only `none` takes it.
        let open = RepoKey {
            parts: vec![text("m/"), KeyPart::PodName],
        };
        assert!(open.packing_mismatch(Packing::None).is_none());
        assert!(open.packing_mismatch(Packing::Tar).is_some());
    }

    #[test]
    fn time_parts_are_read_from_an_rfc3339_time() {
        let t = "2026-12-02T09:08:07Z";
        let all: Vec<&str> = [
            TimePart::Year,
            TimePart::Month,
            TimePart::Day,
            TimePart::Hour,
            TimePart::Minute,
            TimePart::Second,
        ]
        .iter()
        .map(|p| p.of_rfc3339(t).unwrap())
        .collect();
        assert_eq!(all, ["2026", "12", "02", "09", "08", "07"]);
        assert_eq!(TimePart::Year.of_rfc3339("yesterday"), None);
    }
}
