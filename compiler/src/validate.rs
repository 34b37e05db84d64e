//! Validation: from a [`Pipeline`] to a [`ValidPipeline`], or coded [`Diagnostics`].
//!
//! A [`ValidPipeline`] can only be made here, and the emitters and the runner take nothing
//! else, so nothing unvalidated is ever emitted or run. The rules themselves live in
//! [`crate::rules`], one module per family; this module runs them in order and applies the
//! levels the user chose (`--deny warnings`, `--allow CODE`).
//!
//! Validation is target-neutral: it proves the pipeline sound (graph, names, bindings, values,
//! settings) for every backend. What only Argo cares about — images, the manifest's size
//! budget and metadata — is checked by the Argo backend on what it emits
//! (`emit::argo::emit`), so the local runner needs no image and no budget.

use std::collections::BTreeSet;

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::ir::{Depends, Pipeline, TaskId};
use crate::rules::{self, Checker};
pub use crate::rules::{BranchNames, Limits, Names, TemplateDef};

/// A pipeline that passed validation, with the names every backend uses.
#[derive(Clone, Debug)]
pub struct ValidPipeline {
    pipeline: Pipeline,
    names: Names,
    deps: Vec<Vec<TaskId>>,
    depends: Vec<Option<Depends>>,
    region_reads: Vec<Vec<TaskId>>,
    warnings: Diagnostics,
}

impl ValidPipeline {
    /// The validated IR.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The resolved names.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The tasks `task` depends on (data and ordering edges), deduplicated, in task order.
    pub fn dependencies(&self, task: TaskId) -> &[TaskId] {
        &self.deps[task.index()]
    }

    /// The full `depends` expression of `task`: [`Depends::Done`] for each task it reads from
    /// or runs `.after`, then its own result-based terms; `None` when it depends on nothing.
    /// Every task it names is in [`ValidPipeline::dependencies`].
    pub fn depends(&self, task: TaskId) -> Option<&Depends> {
        self.depends[task.index()].as_ref()
    }

    /// The tasks outside region `region` that it or a region inside it reads or waits for
    /// (the conditions of its branches included), in task order.
    pub fn region_reads(&self, region: crate::ir::RegionId) -> &[TaskId] {
        &self.region_reads[region.index()]
    }

    /// Warnings found while validating (after `--allow`); after
    /// [`crate::emit::argo::validate_and_emit`], the Argo backend's too.
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }

    pub(crate) fn set_warnings(&mut self, warnings: Diagnostics) {
        self.warnings = warnings;
    }

    /// A pipeline the local runner derived from this one by unrolling its loops: every task
    /// of `pipeline` is an instance of a task of this one, whose template it keeps
    /// (`task_templates`), and every region an instance of one of its regions (`branches`
    /// names them). Its dependencies are recomputed; nothing is validated again (the
    /// instances are what validation proved sound, once per item).
    #[cfg(feature = "store")]
    pub(crate) fn unrolled(
        &self,
        pipeline: Pipeline,
        task_templates: Vec<u32>,
        branches: Vec<Option<crate::rules::BranchNames>>,
    ) -> ValidPipeline {
        let depends = rules::full_depends(&pipeline);
        let region_reads = rules::region_reads(&pipeline);
        let deps = depends
            .iter()
            .map(|d| {
                let mut v: Vec<TaskId> = d
                    .iter()
                    .flat_map(|d| d.tasks())
                    .filter_map(|r| match r {
                        crate::ir::TaskRef::Local(t) => Some(*t),
                        crate::ir::TaskRef::Foreign { .. } => None,
                    })
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        let mut names = self.names.clone();
        names.task_templates = task_templates;
        names.branches = branches;
        ValidPipeline {
            pipeline,
            names,
            deps,
            depends,
            region_reads,
            warnings: self.warnings.clone(),
        }
    }
}

/// Which warnings are errors and which are silenced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Levels {
    /// Every warning is an error (`--deny warnings`).
    pub deny_warnings: bool,
    /// These warnings are errors (`--deny CODE`).
    pub deny: BTreeSet<Code>,
    /// These warnings are not reported (`--allow CODE`); allowing wins over denying.
    pub allow: BTreeSet<Code>,
}

/// Why a level cannot be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LevelError {
    /// Only warnings can be allowed.
    #[error(
        "{0} is an error, not a warning, so it cannot be allowed (run `explain {0}` to see how to fix it)"
    )]
    NotAWarning(Code),
}

impl Levels {
    /// Silences warning `code`; errors cannot be silenced.
    pub fn allow(&mut self, code: Code) -> Result<(), LevelError> {
        if code.default_severity() == Severity::Error {
            return Err(LevelError::NotAWarning(code));
        }
        self.allow.insert(code);
        Ok(())
    }

    /// Applies the levels: drops allowed warnings, raises denied ones to errors.
    pub fn apply(&self, list: Vec<Diagnostic>) -> Vec<Diagnostic> {
        list.into_iter()
            .filter(|d| !(d.severity == Severity::Warning && self.allow.contains(&d.code)))
            .map(|mut d| {
                if d.severity == Severity::Warning
                    && (self.deny_warnings || self.deny.contains(&d.code))
                {
                    d.severity = Severity::Error;
                }
                d
            })
            .collect()
    }
}

/// A `--deny` flag: every warning, or one warning code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deny {
    /// `--deny warnings`.
    Warnings,
    /// `--deny A0012`.
    Code(Code),
}

impl std::str::FromStr for Deny {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if text.eq_ignore_ascii_case("warnings") {
            return Ok(Deny::Warnings);
        }
        match Code::parse(text) {
            Some(code) if code.default_severity() == Severity::Warning => Ok(Deny::Code(code)),
            Some(code) => Err(format!("{code} is already an error")),
            None => Err(format!(
                "`{text}` is neither `warnings` nor a diagnostic code (run `explain` to list them)"
            )),
        }
    }
}

/// An `--allow` flag: a warning code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allow(pub Code);

impl std::str::FromStr for Allow {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let code = Code::parse(text).ok_or_else(|| {
            format!("`{text}` is not a diagnostic code (run `explain` to list them)")
        })?;
        Levels::default()
            .allow(code)
            .map(|()| Allow(code))
            .map_err(|e| e.to_string())
    }
}

impl Levels {
    /// The levels the `--deny` and `--allow` flags ask for.
    pub fn from_flags(deny: &[Deny], allow: &[Allow]) -> Levels {
        let mut levels = Levels::default();
        for d in deny {
            match d {
                Deny::Warnings => levels.deny_warnings = true,
                Deny::Code(code) => {
                    levels.deny.insert(*code);
                }
            }
        }
        levels.allow.extend(allow.iter().map(|a| a.0));
        levels
    }
}

/// Parses a size flag: bytes (`1048576`) or a number with a binary unit (`256KiB`, `1.5MiB`,
/// `1GiB`; case-insensitive).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let (number, unit) = [
        ("gib", 1usize << 30),
        ("mib", 1 << 20),
        ("kib", 1 << 10),
        ("b", 1),
    ]
    .into_iter()
    .find_map(|(suffix, unit)| {
        lower
            .strip_suffix(suffix)
            .map(|n| (n.trim().to_owned(), unit))
    })
    .unwrap_or((lower.clone(), 1));
    let bad = || {
        format!(
            "`{text}` is not a size; write bytes (`1048576`) or KiB, MiB, GiB (`256KiB`, `1.5MiB`)"
        )
    };
    let value: f64 = number.parse().map_err(|_| bad())?;
    if !value.is_finite() || value <= 0.0 {
        return Err(bad());
    }
    Ok((value * unit as f64).round() as usize)
}

/// Options that change what is valid.
#[derive(Clone, Debug, Default)]
pub struct ValidateOptions {
    /// Overrides the pipeline's image for native components (`--image`); only the Argo
    /// backend checks images.
    pub image: Option<String>,
    /// Size limits: validation bounds parameter values (`--max-param-bytes`); the manifest
    /// budget (`--max-manifest-bytes`) is the Argo backend's.
    pub limits: Limits,
    /// Denied and allowed warnings (`--deny`, `--allow`).
    pub levels: Levels,
    /// Workflow settings that override the pipeline's attributes (`--service-account`, …).
    pub settings: crate::ir::SettingsOverrides,
}

/// Checks every target-neutral rule; returns the proof of validity or every problem found.
/// `emit::argo::validate_and_emit` adds Argo's own checks (what `compile` and the `validate`
/// command run).
pub fn validate(
    pipeline: &Pipeline,
    options: &ValidateOptions,
) -> Result<ValidPipeline, Diagnostics> {
    validate_owned(pipeline.clone(), options)
}

/// [`validate`] for a pipeline the caller no longer needs (`compile` after tracing): the proof
/// keeps it without a copy.
pub(crate) fn validate_owned(
    mut pipeline: Pipeline,
    options: &ValidateOptions,
) -> Result<ValidPipeline, Diagnostics> {
    apply_overrides(&mut pipeline, options);
    let (valid, found) = check_rules(pipeline, &options.limits);
    let found = options.levels.apply(found);
    let errors = found.iter().any(|d| d.severity == Severity::Error);
    let diagnostics = Diagnostics::new(found);
    match valid {
        Some(mut valid) if !errors => {
            valid.warnings = diagnostics;
            Ok(valid)
        }
        _ => Err(diagnostics),
    }
}

/// Runs every rule over `pipeline` (its overrides already applied) and returns what
/// they found, in the order they ran and before levels, with the proof when none of it is an
/// error at its default severity. Levels are the caller's to apply, once, over these and any
/// backend's findings ([`crate::emit::argo::validate_and_emit`] merges Argo's in).
pub(crate) fn check_rules(
    pipeline: Pipeline,
    limits: &Limits,
) -> (Option<ValidPipeline>, Vec<Diagnostic>) {
    let mut cx = Checker::new(&pipeline, limits);
    cx.empty();
    let mut names = cx.names();
    cx.regions();
    cx.scopes();
    cx.branches();
    cx.calls();
    cx.recursion();
    cx.templates(&mut names);
    cx.run_volumes(&names);
    cx.output_keys(&names);
    cx.io_names();
    cx.arguments();
    cx.placeholders();
    cx.output_paths();
    cx.collected_artifacts();
    cx.required_params();
    cx.values();
    cx.settings();
    cx.resource_steps();
    let deps = cx.cycles();
    if !cx.has_errors() {
        cx.unused_outputs(&deps);
    }
    let sound = !cx.has_errors();
    let found = cx.out;
    let depends = rules::full_depends(&pipeline);
    let region_reads = rules::region_reads(&pipeline);
    let valid = sound.then(|| ValidPipeline {
        pipeline,
        names,
        deps,
        depends,
        region_reads,
        warnings: Diagnostics::default(),
    });
    (valid, found)
}

/// The command line's overrides of what the pipeline declares (`--image`, `--service-account`, …).
pub(crate) fn apply_overrides(pipeline: &mut Pipeline, options: &ValidateOptions) {
    if let Some(image) = &options.image {
        pipeline.image = Some(image.clone());
    }
    pipeline.settings.apply(&options.settings);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("256kib"), Ok(256 << 10));
        assert_eq!(parse_size("1.5 MiB"), Ok(3 << 19));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        for bad in ["", "lots", "-1", "0", "1MB", "NaN", "infMiB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn deny_and_allow_flags_parse() {
        assert_eq!("warnings".parse::<Deny>(), Ok(Deny::Warnings));
        assert_eq!("a0012".parse::<Deny>(), Ok(Deny::Code(Code::MutableImage)));
        assert!(
            "A0001".parse::<Deny>().is_err(),
            "an error is already denied"
        );
        assert!("A9999".parse::<Deny>().is_err());
        assert_eq!("A0017".parse::<Allow>(), Ok(Allow(Code::UnusedOutput)));
        assert!(
            "A0013"
                .parse::<Allow>()
                .unwrap_err()
                .contains("cannot be allowed")
        );
        let levels = Levels::from_flags(&[Deny::Warnings], &[Allow(Code::MutableImage)]);
        assert!(levels.deny_warnings && levels.allow.contains(&Code::MutableImage));
    }
}
