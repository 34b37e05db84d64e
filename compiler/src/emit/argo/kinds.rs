//! Output kinds and Argo versions: the `Workflow` argot builds becomes the object the user
//! asked for (`WorkflowTemplate`, `ClusterWorkflowTemplate`, `CronWorkflow`), in the shape the
//! chosen Argo version accepts, and what would not work is refused: CronWorkflow settings
//! (A0046), fields the version lacks (A0047), tasks that cannot run a published template
//! (A0048).
//!
//! Every kind holds the same `WorkflowSpec`: a template kind is the workflow under a stable
//! `metadata.name` (a template is found by name — `templateRef`, `argo submit --from` — and
//! `kubectl apply` needs one), a `CronWorkflow` wraps it as `spec.workflowSpec`. What differs
//! between versions is read from Argo's own schemas (`tests/data/argo-schema-v*.json`; the
//! test `the_field_table_matches_argos_schemas` keeps [`FIELDS`] true to them, and
//! `every_example_is_valid_for_every_version_or_refused` checks what argot emits against
//! each).

use serde::{Deserialize, Serialize};

use super::{ObjectMeta, PIPELINE_LABEL, Workflow, WorkflowSpec};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{OutputKind, Pipeline};
use crate::namer::ObjectKind;
use crate::rules::syntax::{check_cron, is_time_zone};

/// The Argo minor versions argot emits for (`--argo-version`), oldest first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArgoVersion {
    /// Argo Workflows 3.6.
    V3_6,
    /// Argo Workflows 3.7.
    V3_7,
    /// Argo Workflows 4.0.
    V4_0,
    /// Argo Workflows 4.1 (the default).
    #[default]
    V4_1,
}

impl ArgoVersion {
    /// Every supported version, oldest first.
    pub const ALL: [ArgoVersion; 4] = [
        ArgoVersion::V3_6,
        ArgoVersion::V3_7,
        ArgoVersion::V4_0,
        ArgoVersion::V4_1,
    ];

    /// The version as `--argo-version` spells it (`4.1`).
    pub fn as_str(self) -> &'static str {
        match self {
            ArgoVersion::V3_6 => "3.6",
            ArgoVersion::V3_7 => "3.7",
            ArgoVersion::V4_0 => "4.0",
            ArgoVersion::V4_1 => "4.1",
        }
    }

    /// The release whose schema argot checks this version's manifests against (the newest
    /// patch of the minor line when argot was last updated).
    pub fn schema_release(self) -> &'static str {
        match self {
            ArgoVersion::V3_6 => "3.6.19",
            ArgoVersion::V3_7 => "3.7.18",
            ArgoVersion::V4_0 => "4.0.10",
            ArgoVersion::V4_1 => "4.1.2",
        }
    }

    /// The version `text` names: `4.1`, `v4.1` or a patch release such as `3.7.18`.
    pub fn parse(text: &str) -> Option<ArgoVersion> {
        let text = text.strip_prefix('v').unwrap_or(text);
        let minor = match text.match_indices('.').nth(1) {
            Some((at, _)) if text[at + 1..].chars().all(|c| c.is_ascii_digit()) => &text[..at],
            Some(_) => return None,
            None => text,
        };
        ArgoVersion::ALL.into_iter().find(|v| v.as_str() == minor)
    }

    /// True from 4.0 on, where `CronWorkflow.spec.schedule` is gone and only `schedules`
    /// remains (`cron_workflow_types.go`: "v3.6 and after: Schedules").
    fn lists_schedules_only(self) -> bool {
        self >= ArgoVersion::V4_0
    }
}

impl std::fmt::Display for ArgoVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An Argo `CronWorkflow`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronWorkflow {
    /// `argoproj.io/v1alpha1`.
    pub api_version: String,
    /// `CronWorkflow`.
    pub kind: String,
    /// Object metadata (a fixed name).
    pub metadata: ObjectMeta,
    /// When and how runs start, and the workflow each run is.
    pub spec: CronWorkflowSpec,
}

/// The part of Argo's `CronWorkflowSpec` argot sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronWorkflowSpec {
    /// The one schedule, in the field Argo 3.x reads (3.6 and 3.7 accept `schedules` too, but
    /// a single `schedule` is what every 3.x tool shows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// The schedules (Argo 3.6 and later; the only form from 4.0 on).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<String>,
    /// The IANA time zone the schedules are read in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// `Allow`, `Forbid` or `Replace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_policy: Option<String>,
    /// How many seconds late a missed run may still start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_deadline_seconds: Option<i64>,
    /// Succeeded runs kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_jobs_history_limit: Option<i64>,
    /// Failed runs kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_jobs_history_limit: Option<i64>,
    /// Labels every run gets (the pipeline label, so runs are found by pipeline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_metadata: Option<ObjectMeta>,
    /// The workflow each run is.
    pub workflow_spec: WorkflowSpec,
}

/// The object `compile` writes: a `Workflow` (or a template kind, which has the same shape) or
/// a `CronWorkflow`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Manifest {
    /// A `Workflow`, `WorkflowTemplate` or `ClusterWorkflowTemplate`.
    Workflow(Box<Workflow>),
    /// A `CronWorkflow`.
    CronWorkflow(Box<CronWorkflow>),
}

impl Manifest {
    /// The manifest's `kind` field.
    pub fn kind(&self) -> &str {
        match self {
            Manifest::Workflow(w) => &w.kind,
            Manifest::CronWorkflow(c) => &c.kind,
        }
    }

    /// The workflow spec every kind holds.
    pub fn workflow_spec(&self) -> &WorkflowSpec {
        match self {
            Manifest::Workflow(w) => &w.spec,
            Manifest::CronWorkflow(c) => &c.spec.workflow_spec,
        }
    }
}

/// `workflow` (what [`super::workflow`] built for `pipeline`) as the object of the pipeline's
/// kind, in the shape `version` accepts.
pub fn manifest(mut workflow: Workflow, pipeline: &Pipeline, version: ArgoVersion) -> Manifest {
    if version < ArgoVersion::V4_0 {
        // Argo 3.x types `memoize.cache.configMap` as a `ConfigMapKeySelector`, whose `key`
        // its schema requires; the controller reads only the name (`MemoizationCache`), and
        // 4.0 made it a `LocalObjectReference`. Any key satisfies 3.x; this one says why.
        for template in &mut workflow.spec.templates {
            if let Some(memoize) = &mut template.memoize {
                memoize.cache.config_map.key = Some(MEMOIZE_CACHE_KEY_3X.to_owned());
            }
        }
    }
    let publish = &pipeline.publish;
    let kind = publish.kind();
    let pipeline_label = workflow.metadata.labels.get(PIPELINE_LABEL).cloned();
    // A run started from a template or by the cron controller gets the labels of
    // `workflowMetadata`, not the template object's own: the pipeline label goes there too, so
    // `runs --pipeline` finds those runs.
    let run_metadata = pipeline_label.map(|label| {
        let mut meta = ObjectMeta::default();
        meta.labels.insert(PIPELINE_LABEL.to_owned(), label);
        meta
    });
    // The pipeline's name within the kind's own budget (Argo's `maxCharsInObjectName`, 63;
    // `maxCharsInCronWorkflowName`, 52), shortened with a stable hash like every name.
    let fixed_name = |workflow: &Workflow, object: ObjectKind| ObjectMeta {
        name: Some(object.name_for(&pipeline.name)),
        generate_name: None,
        ..workflow.metadata.clone()
    };
    match kind {
        OutputKind::Workflow => Manifest::Workflow(Box::new(workflow)),
        OutputKind::WorkflowTemplate | OutputKind::ClusterWorkflowTemplate => {
            let metadata = fixed_name(&workflow, ObjectKind::WorkflowTemplate);
            let mut spec = workflow.spec;
            spec.workflow_metadata = run_metadata;
            Manifest::Workflow(Box::new(Workflow {
                api_version: workflow.api_version,
                kind: kind.argo_kind().to_owned(),
                metadata,
                spec,
            }))
        }
        OutputKind::CronWorkflow => {
            let metadata = fixed_name(&workflow, ObjectKind::CronWorkflow);
            let (schedule, schedules) = match publish.schedules.as_slice() {
                [one] if !version.lists_schedules_only() => (Some(one.clone()), Vec::new()),
                all => (None, all.to_vec()),
            };
            Manifest::CronWorkflow(Box::new(CronWorkflow {
                api_version: workflow.api_version,
                kind: kind.argo_kind().to_owned(),
                metadata,
                spec: CronWorkflowSpec {
                    schedule,
                    schedules,
                    timezone: publish.timezone.clone(),
                    concurrency_policy: publish.concurrency_policy.clone(),
                    starting_deadline_seconds: publish.starting_deadline_seconds,
                    successful_jobs_history_limit: publish.successful_jobs_history_limit,
                    failed_jobs_history_limit: publish.failed_jobs_history_limit,
                    workflow_metadata: run_metadata,
                    workflow_spec: workflow.spec,
                },
            }))
        }
    }
}

/// The `memoize.cache.configMap.key` written for Argo 3.x (see [`manifest`]).
pub const MEMOIZE_CACHE_KEY_3X: &str = "argot-memoize-unused";

/// The concurrency policies Argo accepts (`validate.CronWorkflow`; `cron_workflow_types.go`:
/// `AllowConcurrent`, `ForbidConcurrent`, `ReplaceConcurrent`).
pub const CONCURRENCY_POLICIES: [&str; 3] = ["Allow", "Forbid", "Replace"];

/// A0046 and A0047 on `manifest`, the object emitted for `pipeline`.
pub fn check(pipeline: &Pipeline, manifest: &Manifest, version: ArgoVersion) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if pipeline.publish.kind() == OutputKind::CronWorkflow {
        cron(pipeline, &mut out);
    }
    template_refs(pipeline, &mut out);
    fields(pipeline, manifest, version, &mut out);
    out
}

/// A0046: what Argo's `validate.CronWorkflow` (`workflow/validate/validate.go`) refuses, at
/// compile time instead of when the object is created.
fn cron(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    let publish = &pipeline.publish;
    let mut report = |message: String, help: &str| {
        out.push(Diagnostic::error(
            Code::InvalidCronWorkflow,
            &pipeline.name,
            message,
            help,
        ));
    };
    if publish.schedules.is_empty() {
        report(
            format!(
                "pipeline `{}` compiles to a CronWorkflow, which needs at least one schedule",
                pipeline.name
            ),
            "add `schedule = \"0 3 * * *\"` to #[pipeline(…)], or pass `--schedule \"0 3 * * *\"`",
        );
    }
    for schedule in &publish.schedules {
        if let Err(why) = check_cron(schedule) {
            report(
                format!("the CronWorkflow schedule `{schedule}` is not one Argo can parse: {why}"),
                "write five fields (minute hour day-of-month month day-of-week), such as `0 3 * * *`, or a descriptor such as `@daily`",
            );
            continue;
        }
        if let Some(zone) = zone_prefix(schedule) {
            if publish.timezone.is_some() {
                report(
                    format!(
                        "the schedule `{schedule}` names its own time zone and the CronWorkflow has `timezone` too; Argo prefixes `CRON_TZ=<timezone>` to every schedule, so this one would carry two zones and fail to parse"
                    ),
                    "drop the `CRON_TZ=`/`TZ=` prefix from the schedule, or drop `timezone`",
                );
            } else if !is_time_zone(zone) {
                report(
                    format!(
                        "the schedule `{schedule}` names the time zone `{zone}`, which is not in the IANA time zone database"
                    ),
                    "use a name such as `Europe/Paris`, `America/New_York` or `UTC` (see `timedatectl list-timezones`)",
                );
            }
        }
    }
    if let Some(zone) = &publish.timezone
        && !is_time_zone(zone)
    {
        report(
            format!(
                "the CronWorkflow time zone `{zone}` is not in the IANA time zone database, so Argo's `time.LoadLocation` refuses it"
            ),
            "use a name such as `Europe/Paris`, `America/New_York` or `UTC` (see `timedatectl list-timezones`); names are case-sensitive",
        );
    }
    if let Some(policy) = &publish.concurrency_policy
        && !CONCURRENCY_POLICIES.contains(&policy.as_str())
    {
        report(
            format!("`{policy}` is not a CronWorkflow concurrency policy"),
            "use `Allow` (runs may overlap), `Forbid` (skip a run while the last one runs) or `Replace` (stop the last one)",
        );
    }
    if let Some(seconds) = publish.starting_deadline_seconds
        && seconds < 0
    {
        report(
            format!(
                "the CronWorkflow starting deadline is {seconds} seconds; it cannot be negative"
            ),
            "give the seconds a missed run may start late, from 0",
        );
    }
    for (what, limit) in [
        (
            "successful_jobs_history_limit",
            publish.successful_jobs_history_limit,
        ),
        (
            "failed_jobs_history_limit",
            publish.failed_jobs_history_limit,
        ),
    ] {
        if let Some(n) = limit
            && !(0..=i64::from(i32::MAX)).contains(&n)
        {
            report(
                format!(
                    "`{what}` is {n}; Argo keeps a number of runs from 0 to 2147483647 (an int32)"
                ),
                "give how many finished runs to keep, such as 3",
            );
        }
    }
}

/// A0048: every task with a `templateRef` names an object Kubernetes can name, and has no
/// settings of its own (Argo runs the published template as it is).
fn template_refs(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for task in &pipeline.tasks {
        let Some(reference) = &task.template_ref else {
            continue;
        };
        let what = if reference.cluster_scope {
            "ClusterWorkflowTemplate"
        } else {
            "WorkflowTemplate"
        };
        if !crate::rules::syntax::is_dns_subdomain(&reference.name)
            || reference.name.len() > crate::namer::WORKFLOW_TEMPLATE_NAME_MAX
        {
            out.push(Diagnostic::error(
                Code::InvalidTemplateRef,
                &pipeline.name,
                format!(
                    "task `{}` runs a template of {what} `{}`, which cannot be the name of one",
                    task.name, reference.name
                ),
                "give the object's name as `argo template list` prints it: lowercase letters, digits, `-` and `.`, at most 63 characters (a pipeline `ml_library` compiles to `ml-library`)",
            ));
        }
        if !task.config.is_default() {
            out.push(Diagnostic::error(
                Code::InvalidTemplateRef,
                &pipeline.name,
                format!(
                    "task `{}` runs the template `{}` published in {what} `{}`, and also has settings of its own, which that template would not have",
                    task.name, task.component, reference.name
                ),
                "drop the task's settings, or give them to the component in the library (`#[component(settings = …)]`) and publish it again",
            ));
        }
    }
}

/// The zone of a `CRON_TZ=zone …` or `TZ=zone …` schedule.
fn zone_prefix(schedule: &str) -> Option<&str> {
    let spec = schedule.trim();
    let rest = spec
        .strip_prefix("CRON_TZ=")
        .or_else(|| spec.strip_prefix("TZ="))?;
    rest.split_once(' ').map(|(zone, _)| zone)
}

/// A field some Argo versions lack: where it appears in a manifest (the object keys on the way
/// to it, array indices left out) and from which version (`since`) up to which (`until`) Argo's
/// schema has it.
#[derive(Clone, Copy, Debug)]
pub struct VersionedField {
    /// The schema definition that declares the field.
    pub definition: &'static str,
    /// The field's name.
    pub field: &'static str,
    /// The keys that lead to it, ending with the field.
    pub path: &'static [&'static str],
    /// The first version that has it (`None`: every supported one).
    pub since: Option<ArgoVersion>,
    /// The last version that has it (`None`: still there).
    pub until: Option<ArgoVersion>,
}

impl VersionedField {
    /// True when `version`'s schema has the field.
    pub fn in_version(&self, version: ArgoVersion) -> bool {
        self.since.is_none_or(|v| version >= v) && self.until.is_none_or(|v| version <= v)
    }
}

macro_rules! field {
    (core $def:literal, $field:literal, [$($key:literal),+], $since:expr, $until:expr) => {
        VersionedField {
            definition: concat!("io.k8s.api.core.v1.", $def),
            field: $field,
            path: &[$($key),+],
            since: $since,
            until: $until,
        }
    };
    ($def:literal, $field:literal, [$($key:literal),+], $since:expr, $until:expr) => {
        VersionedField {
            definition: concat!("io.argoproj.workflow.v1alpha1.", $def),
            field: $field,
            path: &[$($key),+],
            since: $since,
            until: $until,
        }
    };
}

/// The fields of a workflow that differ between the supported versions, from a diff of
/// Argo's schemas 3.6.19, 3.7.18, 4.0.10 and 4.1.2 (status-only definitions left out: argot
/// never writes a status). A field argot emits for a version that lacks it is refused (A0047).
pub const FIELDS: &[VersionedField] = &[
    field!(
        "Backoff",
        "cap",
        ["retryStrategy", "backoff", "cap"],
        Some(ArgoVersion::V3_7),
        None
    ),
    field!(
        "Template",
        "annotations",
        ["templates", "annotations"],
        Some(ArgoVersion::V3_7),
        None
    ),
    field!(
        "Mutex",
        "database",
        ["synchronization", "mutexes", "database"],
        Some(ArgoVersion::V3_7),
        None
    ),
    field!(
        "SemaphoreRef",
        "database",
        ["synchronization", "semaphores", "database"],
        Some(ArgoVersion::V3_7),
        None
    ),
    field!(
        "Artifact",
        "plugin",
        ["artifacts", "plugin"],
        Some(ArgoVersion::V4_0),
        None
    ),
    field!(
        "Template",
        "pendingTimeout",
        ["templates", "pendingTimeout"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "Template",
        "podResources",
        ["templates", "podResources"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "Template",
        "resourceClaims",
        ["templates", "resourceClaims"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "WorkflowSpec",
        "podResources",
        ["spec", "podResources"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "WorkflowSpec",
        "podResources",
        ["workflowSpec", "podResources"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "WorkflowSpec",
        "resourceClaims",
        ["spec", "resourceClaims"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "WorkflowSpec",
        "resourceClaims",
        ["workflowSpec", "resourceClaims"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "WorkflowSpec",
        "executorPlugins",
        ["spec", "executorPlugins"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "WorkflowSpec",
        "executorPlugins",
        ["workflowSpec", "executorPlugins"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "UserContainer",
        "restartPolicyRules",
        ["initContainers", "restartPolicyRules"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "UserContainer",
        "restartPolicyRules",
        ["sidecars", "restartPolicyRules"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "ScriptTemplate",
        "restartPolicyRules",
        ["script", "restartPolicyRules"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "HTTPArtifact",
        "saveStreamViaFile",
        ["http", "saveStreamViaFile"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "S3Artifact",
        "addressingStyle",
        ["s3", "addressingStyle"],
        Some(ArgoVersion::V4_1),
        None
    ),
    field!(
        "CronWorkflowSpec",
        "schedule",
        ["spec", "schedule"],
        None,
        Some(ArgoVersion::V3_7)
    ),
    field!(
        "Synchronization",
        "mutex",
        ["synchronization", "mutex"],
        None,
        Some(ArgoVersion::V3_7)
    ),
    field!(
        "Synchronization",
        "semaphore",
        ["synchronization", "semaphore"],
        None,
        Some(ArgoVersion::V3_7)
    ),
    field!(
        "WorkflowSpec",
        "podPriority",
        ["spec", "podPriority"],
        None,
        Some(ArgoVersion::V3_6)
    ),
    field!(
        "Template",
        "priority",
        ["templates", "priority"],
        None,
        Some(ArgoVersion::V3_6)
    ),
    // Kubernetes types the schemas embed, from the Kubernetes release each Argo built with.
    field!(core "Container", "restartPolicyRules", ["container", "restartPolicyRules"], Some(ArgoVersion::V4_1), None),
    field!(core "EnvVarSource", "fileKeyRef", ["valueFrom", "fileKeyRef"], Some(ArgoVersion::V4_1), None),
    field!(core "VolumeProjection", "podCertificate", ["sources", "podCertificate"], Some(ArgoVersion::V4_1), None),
    field!(core "Lifecycle", "stopSignal", ["lifecycle", "stopSignal"], Some(ArgoVersion::V3_7), None),
];

/// A0047: every field of `manifest` that `version`'s schema lacks, once per field and
/// template.
fn fields(
    pipeline: &Pipeline,
    manifest: &Manifest,
    version: ArgoVersion,
    out: &mut Vec<Diagnostic>,
) {
    // Only fields a later Argo added can slip into an older version's manifest: a field Argo
    // removed (`schedule`, `mutex`, `semaphore`, `podPriority`, a template's `priority`) is
    // one argot's types cannot hold, or write only for the versions that have it (a 3.x
    // `schedule`). (The golden tests validate every example against each version's schema
    // with strict keys, so a type that gained one would be caught there.) For the newest
    // version nothing is left to look for, and the manifest is not rendered again.
    let absent: Vec<&VersionedField> = FIELDS
        .iter()
        .filter(|f| f.since.is_some_and(|since| version < since))
        .collect();
    if absent.is_empty() {
        return;
    }
    // One pass over the compact JSON finds the keys that appear at all; only then is the
    // manifest walked for where they are (most compiles stop here: no key appears).
    let text = serde_json::to_string(manifest).expect("argot's Argo types always serialise");
    let missing: Vec<&VersionedField> = absent
        .into_iter()
        .filter(|f| text.contains(&format!("\"{}\":", f.field)))
        .collect();
    if missing.is_empty() {
        return;
    }
    let value: serde_json::Value = serde_json::from_str(&text).expect("argot's own JSON");
    let mut found: Vec<(String, Option<String>, &VersionedField)> = Vec::new();
    let mut keys = Vec::new();
    walk(&value, &mut keys, None, &missing, &mut found);
    for (path, template, field) in found {
        let whose = match &template {
            Some(name) => format!(" (template `{name}`)"),
            None => String::new(),
        };
        let Some(since) = field.since else {
            continue;
        };
        let help = format!(
            "compile with `--argo-version {since}` or newer if the cluster runs it, or drop the setting that emits `{}`",
            field.field
        );
        out.push(Diagnostic::error(
            Code::UnsupportedByArgoVersion,
            &pipeline.name,
            format!(
                "the manifest sets `{path}`{whose}, which Argo {version} does not have (Argo {since} added it; schema {})",
                version.schema_release()
            ),
            &help,
        ));
    }
}

/// Finds in `value` every field of `missing`, with its dotted path and the template it is in.
fn walk<'a>(
    value: &serde_json::Value,
    keys: &mut Vec<String>,
    template: Option<&str>,
    missing: &[&'a VersionedField],
    found: &mut Vec<(String, Option<String>, &'a VersionedField)>,
) {
    match value {
        serde_json::Value::Object(map) => {
            let template = match (keys.last().map(String::as_str), map.get("name")) {
                (Some("templates"), Some(serde_json::Value::String(name))) => Some(name.as_str()),
                _ => template,
            };
            for (key, child) in map {
                keys.push(key.clone());
                for field in missing {
                    if keys.ends_with_path(field.path)
                        && !found.iter().any(|(p, t, f)| {
                            std::ptr::eq(*f, *field)
                                && t.as_deref() == template
                                && p == &keys.join(".")
                        })
                    {
                        found.push((keys.join("."), template.map(str::to_owned), field));
                    }
                }
                walk(child, keys, template, missing, found);
                keys.pop();
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                walk(item, keys, template, missing, found);
            }
        }
        _ => {}
    }
}

trait EndsWithPath {
    fn ends_with_path(&self, path: &[&str]) -> bool;
}

impl EndsWithPath for Vec<String> {
    fn ends_with_path(&self, path: &[&str]) -> bool {
        self.len() >= path.len()
            && self[self.len() - path.len()..]
                .iter()
                .zip(path)
                .all(|(k, p)| k == p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_as_the_flag_takes_them() {
        assert_eq!(ArgoVersion::parse("4.1"), Some(ArgoVersion::V4_1));
        assert_eq!(ArgoVersion::parse("v3.6"), Some(ArgoVersion::V3_6));
        assert_eq!(ArgoVersion::parse("3.7.18"), Some(ArgoVersion::V3_7));
        assert_eq!(ArgoVersion::parse("4.0.x"), None);
        assert_eq!(ArgoVersion::parse("3.5"), None);
        assert_eq!(ArgoVersion::parse(""), None);
        assert!(ArgoVersion::V3_6 < ArgoVersion::V4_1);
    }

    #[test]
    fn time_zones_are_sorted_for_the_binary_search() {
        let zones = crate::rules::time_zones::TIME_ZONES;
        assert!(zones.windows(2).all(|w| w[0] < w[1]));
        for ok in [
            "Europe/Paris",
            "America/New_York",
            "UTC",
            "Etc/GMT+5",
            "Local",
            "US/Pacific",
        ] {
            assert!(is_time_zone(ok), "{ok}");
        }
        for bad in ["europe/paris", "Europe/Pariss", "CEST", "", "Mars/Olympus"] {
            assert!(!is_time_zone(bad), "{bad}");
        }
    }

    #[test]
    fn every_field_path_ends_with_its_field() {
        for f in FIELDS {
            assert_eq!(f.path.last(), Some(&f.field), "{f:?}");
            assert!(
                f.definition.starts_with("io.argoproj.workflow.v1alpha1.")
                    || f.definition.starts_with("io.k8s.api.core.v1."),
                "{f:?}"
            );
            assert!(f.since.is_some() || f.until.is_some(), "{f:?}");
        }
    }
}
