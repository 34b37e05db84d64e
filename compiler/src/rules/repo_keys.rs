//! A0049: the repository keys outputs are stored under (`set_output_key`).
//!
//! What Argo does with a key is in [`crate::ir::repo_key`]: the controller fills its
//! variables (`SubstituteParams`), the executor uploads what the archive strategy makes to
//! exactly that key (`saveArtifactFromFile`, `stageArchiveFile`). So a key must be a clean
//! relative path, its extension must say what is uploaded, and two outputs of one run must
//! not always write the same key.

use std::collections::BTreeMap;

use crate::diagnostics::Code;
use crate::dsl::ArtifactKind;
use crate::ir::repo_key::Packing;
use crate::ir::{Argument, IoKind, KeyPart, RegionKind, RepoKey, TaskId};

use super::{Checker, Names};

/// The kinds whose outputs Argo uploads unarchived unless told otherwise: the Argo backend
/// emits `archive: {none: {}}` for exactly these (`emit::argo::UNARCHIVED_KINDS`).
pub(crate) fn unarchived_by_default(kind: &str) -> bool {
    [
        crate::dsl::Metrics::NAME,
        crate::dsl::Html::NAME,
        crate::dsl::Markdown::NAME,
    ]
    .contains(&kind)
}

/// `key` as every task and iteration writing it would, or `None` when part of it differs:
/// the pod's name, or a value bound to anything but a constant or a pipeline parameter.
fn same_for_every_task(
    key: &RepoKey,
    arguments: &indexmap::IndexMap<String, Argument>,
) -> Option<String> {
    let mut parts = Vec::with_capacity(key.parts.len());
    for part in &key.parts {
        parts.push(match part {
            KeyPart::PodName => return None,
            KeyPart::Setting(input) => match arguments.get(input)? {
                Argument::Constant(value) => KeyPart::Text(value.clone()),
                Argument::PipelineParam(name) => {
                    KeyPart::Text(format!("{{{{workflow.parameters.{name}}}}}"))
                }
                _ => return None,
            },
            other => other.clone(),
        });
    }
    Some(RepoKey { parts }.render())
}

impl Checker<'_> {
    /// A0049 for every output key of every task, as its template holds it.
    pub(crate) fn output_keys(&mut self, names: &Names) {
        let p = self.p;
        // Keys every run writes once whoever writes them, with the first output writing each.
        let mut fixed: BTreeMap<String, (usize, &str)> = BTreeMap::new();
        for (i, task) in p.tasks.iter().enumerate() {
            let Some(&template) = names.task_templates.get(i) else {
                continue;
            };
            let Some(def) = names.templates.get(template as usize) else {
                continue;
            };
            let Some(spec) = p.components.get(&task.component) else {
                continue;
            };
            let id = Some(TaskId(i as u32));
            let regions: Vec<&RegionKind> = crate::ir::ancestry(&p.regions, task.region)
                .map(|(_, r)| &r.kind)
                .collect();
            let in_loop = regions.iter().any(|k| matches!(k, RegionKind::Loop { .. }));
            // A task in a branch or a hook may not run: it does not always collide.
            let always_runs = !regions
                .iter()
                .any(|k| matches!(k, RegionKind::Branch { .. } | RegionKind::Hook { .. }));
            let mut own: BTreeMap<String, &str> = BTreeMap::new();
            for (output, options) in &def.config.outputs {
                let Some(key) = &options.key else {
                    continue;
                };
                let who = format!("output `{output}` of task `{}`", task.name);
                for (what, help) in key.problems() {
                    self.report(Code::InvalidOutputKey, id, format!("{who}: {what}"), help);
                }
                for input in key.setting_inputs() {
                    if !task.arguments.contains_key(input) {
                        self.report(
                            Code::InvalidOutputKey,
                            id,
                            format!("{who}: the key reads `{input}`, which the task does not bind"),
                            "build the key on the task with `OutputKey::value(…)`",
                        );
                    }
                }
                let kind = spec.outputs.iter().find_map(|o| match &o.kind {
                    IoKind::Artifact { kind } if &o.name == output => Some(kind.as_str()),
                    _ => None,
                });
                // A name that is no output artifact is A0030's.
                let Some(kind) = kind else {
                    continue;
                };
                let packing = match options.archive {
                    Some(crate::ir::Archive::None) => Packing::None,
                    Some(crate::ir::Archive::Zip) => Packing::Zip,
                    Some(crate::ir::Archive::Tar) => Packing::Tar,
                    None if unarchived_by_default(kind) => Packing::None,
                    None => Packing::Tar,
                };
                if let Some(why) = key.packing_mismatch(packing) {
                    self.report(
                        Code::InvalidOutputKey,
                        id,
                        format!("{who}: {why}"),
                        "end the key with the extension of what is uploaded, or say how to pack it with `set_output_archive` (`Archive::None` stores the file as it is)",
                    );
                }
                let rendered = key.render();
                if let Some(other) = own.insert(rendered.clone(), output) {
                    self.report(
                        Code::InvalidOutputKey,
                        id,
                        format!("{who}: output `{other}` of the same task is stored under the same key `{rendered}`"),
                        "give each output a key of its own",
                    );
                    continue;
                }
                // The key every writer of it writes in a run, when nothing in it differs per
                // task or iteration (a value bound to a constant or a pipeline parameter is
                // the run's own).
                let Some(rendered) = same_for_every_task(key, &task.arguments) else {
                    continue;
                };
                if in_loop {
                    self.report(
                        Code::InvalidOutputKey,
                        id,
                        format!("{who}: the task runs in a loop, and every iteration would store the output under the same key `{rendered}`"),
                        "make the key differ per iteration: add `pod_name()`, or `value(…)` of something that differs",
                    );
                    continue;
                }
                if !always_runs {
                    continue;
                }
                if let Some((first, first_output)) = fixed.get(&rendered) {
                    let first = &p.tasks[*first].name;
                    self.report(
                        Code::InvalidOutputKey,
                        id,
                        format!("{who}: output `{first_output}` of task `{first}` is stored under the same key `{rendered}` in every run"),
                        "give each output a key of its own, or add `pod_name()` to the key",
                    );
                } else {
                    fixed.insert(rendered, (i, output));
                }
            }
        }
    }
}
