//! The rules [`crate::validate()`] checks, one module per family.
//!
//! Every rule is an entry of the table in [`crate::diagnostics`] (code, severity, title, the
//! Argo or Kubernetes source it ports, its test, its explanation) plus a method of
//! [`Checker`] in one of these modules that reports it:
//!
//! | module | rules |
//! | --- | --- |
//! | `names` | names and their collisions (A0004, A0005, A0008, A0016) |
//! | `arguments` | arguments and references (A0002, A0003, A0007, A0011, A0020) |
//! | `artifacts` | artifacts from outside the pipeline (A0050); where a container writes its outputs (A0051) |
//! | `values` | values on their way to the container (A0010, A0014, A0015) |
//! | `graph` | the task graph (A0001, A0006, A0017) |
//! | `settings` | workflow settings: names, repository key, pod GC, lengths of time, user (A0023–A0027) |
//! | `scopes` | regions: what a task can see, constructs not run yet (A0028, A0029); each task's full `depends` |
//! | `recursion` | a pipeline calling itself: the depth bound and where the call is written (A0040, A0041) |
//! | `templates` | template identity by component and merged task settings; the settings (A0030) |
//! | `repo_keys` | the repository keys outputs are stored under (A0049) |
//! | `kube_objects` | resource steps: conditions, objects, settings without a container (A0054, A0055, A0057) |
//!
//! Rules only Argo cares about — images (A0009, A0012, A0018), the manifest's size budget and
//! metadata (A0013, A0019, A0021) — are the Argo backend's ([`crate::emit::argo`]): they run
//! on what it emits, so `validate` stays target-neutral and the local runner needs no image.
//!
//! [`syntax`] (here) and [`crate::protocol::argv`] hold the rules' building blocks as plain,
//! separately tested functions. A construct added later (conditions, loops, exit handlers, pod settings) adds its
//! codes to the table and its checks here, in the same form.

use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{Pipeline, TaskId};

mod arguments;
mod artifacts;
mod graph;
mod kube_objects;
mod names;
mod recursion;
pub(crate) mod repo_keys;
pub(crate) mod resources;
mod scopes;
mod settings;
pub mod syntax;
mod templates;
pub(crate) mod time_zones;
mod values;

pub use names::{BranchNames, Names, TemplateDef};

/// Size limits checked at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes the Argo manifest may take as compact JSON (A0013); warned about above
    /// 80% (A0021). Checked by the Argo backend only. Default
    /// [`Limits::DEFAULT_MAX_MANIFEST_BYTES`].
    pub max_manifest_bytes: usize,
    /// The most bytes one parameter value (a constant or a default) may take (A0014).
    /// Default [`Limits::DEFAULT_MAX_PARAM_BYTES`].
    pub max_param_bytes: usize,
}

impl Limits {
    /// 1 MiB: Argo's default `MAX_WORKFLOW_SIZE` (etcd itself refuses 1.5 MiB).
    pub const DEFAULT_MAX_MANIFEST_BYTES: usize = 1024 * 1024;
    /// 256 KiB.
    pub const DEFAULT_MAX_PARAM_BYTES: usize = 256 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_manifest_bytes: Self::DEFAULT_MAX_MANIFEST_BYTES,
            max_param_bytes: Self::DEFAULT_MAX_PARAM_BYTES,
        }
    }
}

/// Runs the rules over one pipeline and collects what they find.
pub(crate) struct Checker<'a> {
    pub(crate) p: &'a Pipeline,
    pub(crate) limits: &'a Limits,
    pub(crate) out: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(p: &'a Pipeline, limits: &'a Limits) -> Self {
        Self {
            p,
            limits,
            out: Vec::new(),
        }
    }

    /// Reports `code` with its default severity, at `task`'s location when there is one.
    pub(crate) fn report(
        &mut self,
        code: Code,
        task: Option<TaskId>,
        message: String,
        help: impl Into<String>,
    ) -> &mut Diagnostic {
        let location = task
            .and_then(|t| self.p.tasks.get(t.index()))
            .and_then(|t| t.location.as_ref());
        let d = Diagnostic::new(code, &self.p.name, message, help).at_opt(location);
        self.out.push(d);
        self.out.last_mut().expect("just pushed")
    }

    /// True when an error was reported so far.
    pub(crate) fn has_errors(&self) -> bool {
        self.out
            .iter()
            .any(|d| d.severity == crate::diagnostics::Severity::Error)
    }
}

pub(crate) use scopes::{full_depends, region_reads};

/// `` `a`, `b`, `c` ``, or `(none)`.
pub(crate) fn list<'a>(items: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<String> = items.map(|s| format!("`{s}`")).collect();
    if v.is_empty() {
        "(none)".to_owned()
    } else {
        v.join(", ")
    }
}

/// Like [`list`], showing at most `max` items and how many more there are.
pub(crate) fn short_list<'a>(items: impl Iterator<Item = &'a str>, max: usize) -> String {
    let all: Vec<&str> = items.collect();
    let mut shown: Vec<String> = all.iter().take(max).map(|s| format!("`{s}`")).collect();
    if all.len() > max {
        shown.push(format!("and {} more", all.len() - max));
    }
    shown.join(", ")
}

/// `1,234,567`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1.3 MiB`, `12 KiB`, `300 B`.
pub(crate) fn human_bytes(n: usize) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if f >= KIB * KIB {
        format!("{:.1} MiB", f / (KIB * KIB))
    } else if f >= KIB {
        format!("{:.0} KiB", f / KIB)
    } else {
        format!("{n} B")
    }
}

/// `300 bytes`, or `1.3 MiB (1,363,233 bytes)`.
pub(crate) fn size_phrase(n: usize) -> String {
    if n < 1024 {
        format!("{n} bytes")
    } else {
        format!("{} ({} bytes)", human_bytes(n), thousands(n))
    }
}

/// A short, printable excerpt of a value for messages.
pub(crate) fn excerpt(value: &str) -> String {
    let mut s: String = value.chars().take(40).collect();
    if s.len() < value.len() {
        s.push('…');
    }
    format!("{s:?}")
}
