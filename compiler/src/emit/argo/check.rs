//! The Argo backend's own checks, run on what it emits: images (A0009, A0012, A0018), then the
//! manifest's size budget and metadata (A0013, A0019, A0021).
//!
//! `validate` proves a pipeline sound for every backend; these rules matter only to a pod or to
//! etcd, so they live here and the local runner is not held to them. `compile` and the
//! `validate` command still report them, in the order and with the levels (`--deny`,
//! `--allow`) they always had: [`validate_and_emit`] runs both sets and applies the levels once.

use super::kinds::{self, ArgoVersion, Manifest};
use super::{Workflow, manifest, workflow};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::ir::Pipeline;
use crate::rules::{Checker, Limits};
use crate::validate::{self, Levels, ValidPipeline, ValidateOptions};

/// What the Argo backend checks with.
#[derive(Clone, Debug, Default)]
pub struct ArgoOptions {
    /// Size limits; the backend reads `max_manifest_bytes` (A0013, A0021).
    pub limits: Limits,
    /// Denied and allowed warnings (`--deny`, `--allow`), as for validation.
    pub levels: Levels,
    /// The Argo version emitted for (`--argo-version`; A0047).
    pub version: ArgoVersion,
}

/// A workflow that passed the Argo backend's checks.
#[derive(Clone, Debug)]
pub struct Emitted {
    /// The workflow (what a run on the cluster is, whatever the kind).
    pub workflow: Workflow,
    /// The object to write: the workflow as the pipeline's kind, for the chosen Argo version.
    pub manifest: Manifest,
    /// Warnings the backend's checks found (after `--allow`).
    pub warnings: Diagnostics,
}

/// Checks what only Argo cares about in `valid` and emits its workflow, or the problems found.
pub fn emit(valid: &ValidPipeline, options: &ArgoOptions) -> Result<Emitted, Diagnostics> {
    let (emitted, found) = check(valid, &options.limits, options.version);
    let found = options.levels.apply(found);
    finish(emitted, found)
}

/// Validates `pipeline` and runs the Argo backend's checks on it: what `compile` and the
/// `validate` command do. The diagnostics of both come in the order one pass over every rule
/// gives (images after the value rules, the manifest's last), with `options.levels` applied
/// once over all of them, so a denied warning of either kind does not hide the other kind.
pub fn validate_and_emit(
    pipeline: Pipeline,
    options: &ValidateOptions,
) -> Result<(ValidPipeline, Emitted), Diagnostics> {
    validate_and_emit_for(pipeline, options, ArgoVersion::default())
}

/// [`validate_and_emit`] for Argo `version`: the manifest takes the version's form, and what
/// the version lacks is refused (A0047).
pub fn validate_and_emit_for(
    mut pipeline: Pipeline,
    options: &ValidateOptions,
    version: ArgoVersion,
) -> Result<(ValidPipeline, Emitted), Diagnostics> {
    validate::apply_overrides(&mut pipeline, options);
    let images = image_rules(&pipeline);
    let (valid, neutral) = validate::check_rules(pipeline, &options.limits);
    let images_ok = !has_errors(&images);
    let mut found = in_rule_order(neutral, images);
    let mut emitted = None;
    if let Some(valid) = valid
        && images_ok
    {
        let workflow = workflow(&valid);
        found.extend(manifest::check(
            &workflow,
            &valid.pipeline().name,
            &options.limits,
        ));
        let manifest = kinds::manifest(workflow.clone(), valid.pipeline(), version);
        found.extend(kinds::check(valid.pipeline(), &manifest, version));
        emitted = Some((valid, workflow, manifest));
    }
    let found = options.levels.apply(found);
    match emitted {
        Some((mut valid, workflow, manifest)) if !has_errors(&found) => {
            let warnings = Diagnostics::new(found);
            valid.set_warnings(warnings.clone());
            Ok((
                valid,
                Emitted {
                    workflow,
                    manifest,
                    warnings,
                },
            ))
        }
        _ => Err(Diagnostics::new(found)),
    }
}

/// The size rules alone (A0013, A0021) on `valid`'s workflow: `run --max-manifest-bytes`,
/// which asks whether the cluster would take the pipeline without caring about its image.
pub fn check_budget(valid: &ValidPipeline, limits: &Limits) -> Vec<Diagnostic> {
    manifest::size_only(&workflow(valid), &valid.pipeline().name, limits)
}

/// The backend's rules on `valid`, before levels: the images, then, when they pass, the
/// emitted workflow's size and metadata.
fn check(
    valid: &ValidPipeline,
    limits: &Limits,
    version: ArgoVersion,
) -> (Option<(Workflow, Manifest)>, Vec<Diagnostic>) {
    let mut found = image_rules(valid.pipeline());
    if has_errors(&found) {
        return (None, found);
    }
    let workflow = workflow(valid);
    found.extend(manifest::check(&workflow, &valid.pipeline().name, limits));
    let manifest = kinds::manifest(workflow.clone(), valid.pipeline(), version);
    found.extend(kinds::check(valid.pipeline(), &manifest, version));
    (Some((workflow, manifest)), found)
}

fn finish(
    emitted: Option<(Workflow, Manifest)>,
    found: Vec<Diagnostic>,
) -> Result<Emitted, Diagnostics> {
    match emitted {
        Some((workflow, manifest)) if !has_errors(&found) => Ok(Emitted {
            workflow,
            manifest,
            warnings: Diagnostics::new(found),
        }),
        _ => Err(Diagnostics::new(found)),
    }
}

/// A0009, A0012, A0018 on `pipeline` (see `images.rs`).
fn image_rules(pipeline: &Pipeline) -> Vec<Diagnostic> {
    // The checker's limits are for the value rules; the image rules read none.
    let limits = Limits::default();
    let mut cx = Checker::new(pipeline, &limits);
    cx.images();
    cx.out
}

fn has_errors(found: &[Diagnostic]) -> bool {
    found.iter().any(|d| d.severity == Severity::Error)
}

/// Rules `validate` runs after the image rules used to run among them: settings (A0023–A0027),
/// cycles (A0001) and unused outputs (A0017). Each code comes from one rule family, so a
/// diagnostic's code says which side of the images it was reported on.
const REPORTED_AFTER_IMAGES: [Code; 7] = [
    Code::InvalidObjectName,
    Code::InvalidConfigMapKey,
    Code::InvalidPodGc,
    Code::InvalidDuration,
    Code::InvalidRunAsUser,
    Code::Cycle,
    Code::UnusedOutput,
];

/// `neutral` (validation's findings, in the order its rules ran) with `images` where one pass
/// over every rule reported them, so the user sees the order `compile` always printed.
fn in_rule_order(mut neutral: Vec<Diagnostic>, images: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let at = neutral
        .iter()
        .position(|d| REPORTED_AFTER_IMAGES.contains(&d.code))
        .unwrap_or(neutral.len());
    neutral.splice(at..at, images);
    neutral
}
