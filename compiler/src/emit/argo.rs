//! Argo Workflows emission: `ValidPipeline` → typed Argo structs → YAML or JSON.
//!
//! One container template per distinct component (never one per task); one DAG template, the
//! entrypoint, whose tasks pass task-specific values as arguments and state every dependency
//! in an explicit `depends` expression. Native components run the pipeline binary as
//! `<binary> component <name> …` — no shell anywhere.
//!
//! # How parameter values reach a native component
//! Every value argot writes or submits is in the wire form of [`crate::value`], which neither
//! Argo's `{{…}}` substitution nor the kubelet's `$(VAR)`/`$$` expansion recognises. On top of
//! that, each parameter input `x` of a native component's template is also declared as an input
//! artifact `x` with `raw: {data: "{{inputs.parameters.x}}"}` at [`PARAMS_DIR`]`/x`, and the
//! argv says `--param-file x /tmp/argot/params/x` ([`crate::protocol`]): the value travels in a
//! file, so it is never in argv (no kubelet expansion, no 128 KiB `MAX_ARG_STRLEN`). Argo accepts this because
//! parameter and artifact names are separate namespaces (`validateInputs` in
//! `workflow/validate/validate.go` checks each list on its own and puts
//! `inputs.parameters.x` in scope for `resolveAllVariables`), a raw artifact has a location
//! without any argument (`ProcessArgs` in `workflow/common/util.go`: `HasLocationOrKey`), and
//! `SubstituteParams` replaces `{{inputs.parameters.x}}` in every string of the template,
//! `raw.data` included. A large value also appears twice in the template Argo hands the pod in
//! `ARGO_TEMPLATE`; Argo offloads that variable to a file past `MaxEnvVarLen` (128 KiB,
//! `workflow/common/common.go`), so it does not hit the per-string limit of execve. Container
//! components keep `{{inputs.parameters.x}}` in their argv (an image cannot read argot's files)
//! and so receive the wire form.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use k8s_openapi::api::core::v1::{EnvVar, ResourceRequirements, Toleration, Volume, VolumeMount};
use serde::{Deserialize, Serialize};

use crate::ir::{ComponentSpec, Implementation, IoKind, RegionId, RegionKind, WorkflowSettings};
pub use crate::protocol::{
    ARTIFACT_KINDS_ANNOTATION, INPUTS_DIR, OUTPUTS_DIR, PARAMS_DIR, PIPELINE_LABEL,
};
use crate::protocol::{
    COMPONENT_LABEL, input_artifact_path, output_artifact_path, output_parameter_path,
    param_file_path,
};
use crate::rules::syntax::parse_seconds;
use crate::validate::{TemplateDef, ValidPipeline};

mod check;
mod images;
pub mod kinds;
pub mod manifest;
pub mod telemetry;

pub use check::{
    ArgoOptions, Emitted, check_budget, emit, validate_and_emit, validate_and_emit_for,
};
pub use kinds::{ArgoVersion, CronWorkflow, CronWorkflowSpec, Manifest};

/// The Argo API version argot emits.
pub const API_VERSION: &str = "argoproj.io/v1alpha1";

pub use crate::protocol::OUTPUTS_VOLUME;

/// An Argo `Workflow`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workflow {
    /// `argoproj.io/v1alpha1`.
    pub api_version: String,
    /// `Workflow`.
    pub kind: String,
    /// Object metadata.
    pub metadata: ObjectMeta,
    /// The workflow spec.
    pub spec: WorkflowSpec,
}

/// The part of Kubernetes `ObjectMeta` argot sets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectMeta {
    /// A fixed name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A name prefix the API server completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate_name: Option<String>,
    /// Labels.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub annotations: IndexMap<String, String>,
}

/// The part of Argo's `WorkflowSpec` argot sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkflowSpec {
    /// The template run first.
    pub entrypoint: String,
    /// The template run after it, whatever happened (the exit handler).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_exit: Option<String>,
    /// Workflow parameters (the pipeline's parameters).
    #[serde(default, skip_serializing_if = "Arguments::is_empty")]
    pub arguments: Arguments,
    /// The service account every pod runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// Where the artifact repository is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_repository_ref: Option<ArtifactRepositoryRef>,
    /// Secrets for pulling private images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<LocalObjectReference>,
    /// When finished pods are deleted.
    #[serde(rename = "podGC", default, skip_serializing_if = "Option::is_none")]
    pub pod_gc: Option<PodGc>,
    /// When the run's output artifacts are deleted from the repository.
    #[serde(
        rename = "artifactGC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub artifact_gc: Option<ArtifactGc>,
    /// When the finished workflow is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_strategy: Option<TtlStrategy>,
    /// Seconds the workflow may run before Argo fails it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<u64>,
    /// At most this many pods at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// The security context of every pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<PodSecurityContext>,
    /// Claims created for the run, which tasks mount by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_claim_templates: Vec<k8s_openapi::api::core::v1::PersistentVolumeClaim>,
    /// The run's custom Prometheus metrics (argot's SLI telemetry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<telemetry::PrometheusMetrics>,
    /// Labels every workflow started from this spec gets (a template's or a CronWorkflow's
    /// runs; see [`kinds::manifest`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_metadata: Option<ObjectMeta>,
    /// The templates.
    pub templates: Vec<Template>,
}

/// `artifactRepositoryRef`: a config map and the key in it holding the repository.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArtifactRepositoryRef {
    /// The config map's name.
    pub config_map: String,
    /// The key; absent, Argo uses the config map's default-repository annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// A reference to an object in the workflow's namespace, by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalObjectReference {
    /// The object's name.
    pub name: String,
}

/// `podGC`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodGc {
    /// One of Argo's strategies (`OnPodCompletion`, …).
    pub strategy: String,
}

/// `artifactGC` (the workflow's default for every output artifact).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactGc {
    /// One of Argo's strategies (`OnWorkflowDeletion`, …).
    pub strategy: String,
}

/// `ttlStrategy`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TtlStrategy {
    /// Seconds a finished workflow is kept, whatever its outcome.
    pub seconds_after_completion: u64,
}

/// The part of Kubernetes' `PodSecurityContext` argot sets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSecurityContext {
    /// Refuse to start a container whose user is root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_non_root: Option<bool>,
    /// The user id every container runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<u32>,
}

/// A container's security context: Kubernetes' own (a task may set any of it,
/// [`crate::TaskOptions::set_security_context`]).
pub use k8s_openapi::api::core::v1::SecurityContext;

/// Arguments: of a workflow or of a DAG task.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Arguments {
    /// Parameter arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// Artifact arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Artifact>,
}

impl Arguments {
    /// True when there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.parameters.is_empty() && self.artifacts.is_empty()
    }
}

/// An Argo parameter (input, output or argument).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Parameter {
    /// Name.
    pub name: String,
    /// A value (arguments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A default (inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Where an output's value is read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<ValueFrom>,
}

/// Where an output parameter's value comes from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValueFrom {
    /// A file in the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Another parameter (a DAG template's output from one of its tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// A `kubectl -o jsonpath` query over a resource step's object.
    #[serde(rename = "jsonPath", default, skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    /// A `jq` filter over a resource step's object.
    #[serde(rename = "jqFilter", default, skip_serializing_if = "Option::is_none")]
    pub jq_filter: Option<String>,
    /// The value when the source gives none (a skipped task's output, a loop without
    /// iterations: `getTemplateOutputsFromScope` in `workflow/controller/operator.go`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// Argo's `resource` template: a Kubernetes object Argo's executor acts on with `kubectl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceTemplate {
    /// `create`, `apply`, `patch`, `replace`, `delete` or `get`.
    pub action: String,
    /// The object, as YAML text.
    pub manifest: String,
    /// How a patch merges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_strategy: Option<String>,
    /// Makes the workflow the object's owner.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub set_owner_reference: bool,
    /// A label-selector expression over the object that ends the step successfully.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_condition: Option<String>,
    /// A label-selector expression over the object that fails the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_condition: Option<String>,
}

/// An Argo artifact (input, output or argument).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Artifact {
    /// Name.
    pub name: String,
    /// Local path in the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Another artifact this one is (arguments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Content Argo writes into the file itself (inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<RawArtifact>,
    /// The file's mode bits, set when Argo loads an input artifact (the delivered binary's
    /// `0755`: executable without a `chmod` in a shell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<i32>,
    /// A URL the pod downloads (an artifact from outside the pipeline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpArtifact>,
    /// An S3 object (an artifact from outside the pipeline), or a key in the artifact
    /// repository (the delivered binary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Location>,
    /// A GCS object (an artifact from outside the pipeline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcs: Option<GcsArtifact>,
    /// A git repository (an artifact from outside the pipeline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitArtifact>,
    /// The pod starts without it when no argument supplies it (an input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
    /// How an output is packed before upload; absent, Argo tars and gzips it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<ArchiveStrategy>,
    /// When Argo deletes an output (over the workflow's `artifactGC`).
    #[serde(
        rename = "artifactGC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub artifact_gc: Option<ArtifactGcSpec>,
}

/// `artifactGC` of one output artifact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArtifactGcSpec {
    /// `OnWorkflowCompletion`, `OnWorkflowDeletion` or `Never`.
    pub strategy: String,
}

/// `archive`: how an output artifact is packed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArchiveStrategy {
    /// Upload the file (or folder) as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub none: Option<NoneStrategy>,
    /// A gzipped tarball.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tar: Option<NoneStrategy>,
    /// A zip file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<NoneStrategy>,
}

impl ArchiveStrategy {
    /// The strategy for `archive`.
    pub fn of(archive: crate::ir::Archive) -> ArchiveStrategy {
        let on = Some(NoneStrategy {});
        match archive {
            crate::ir::Archive::None => ArchiveStrategy {
                none: on,
                ..ArchiveStrategy::default()
            },
            crate::ir::Archive::Tar => ArchiveStrategy {
                tar: on,
                ..ArchiveStrategy::default()
            },
            crate::ir::Archive::Zip => ArchiveStrategy {
                zip: on,
                ..ArchiveStrategy::default()
            },
        }
    }
}

/// `archive.none`, `archive.tar` and `archive.zip` as argot writes them: no fields (a tar's
/// compression level is Argo's default).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoneStrategy {}

/// The kinds whose artifacts are single files meant to be read as they are, uploaded without
/// an archive: Argo's UI shows an unarchived HTML page, Markdown text or JSON metrics inline,
/// and never the content of a `.tgz` (`docs/artifact-visualization.md`). Every other kind may
/// be a folder and keeps Argo's default (tar and gzip).
pub const UNARCHIVED_KINDS: &[&str] = &[
    <crate::dsl::Metrics as crate::dsl::ArtifactKind>::NAME,
    <crate::dsl::Html as crate::dsl::ArtifactKind>::NAME,
    <crate::dsl::Markdown as crate::dsl::ArtifactKind>::NAME,
];

impl Artifact {
    /// The argument artifact `name` fetched from `source`: its location is on the argument,
    /// so the template's input needs none (`ProcessArgs` in `workflow/common/util.go` takes
    /// an argument's location over the input's).
    pub fn external(name: &str, source: &crate::ir::ExternalSource) -> Artifact {
        Self::external_with(name, source, &|param| {
            format!("{{{{workflow.parameters.{param}}}}}")
        })
    }

    /// [`Artifact::external`], a URL parameter referenced as `param_reference` says.
    pub(crate) fn external_with(
        name: &str,
        source: &crate::ir::ExternalSource,
        param_reference: &dyn Fn(&str) -> String,
    ) -> Artifact {
        use crate::ir::ExternalSource as S;
        let mut a = Artifact {
            name: name.to_owned(),
            ..Artifact::default()
        };
        match source {
            S::Raw { data } => a.raw = Some(RawArtifact { data: data.clone() }),
            S::Http { url } => a.http = Some(HttpArtifact { url: url.clone() }),
            S::HttpFromParam { param } => {
                a.http = Some(HttpArtifact {
                    url: param_reference(param),
                })
            }
            S::S3 {
                endpoint,
                bucket,
                key,
            } => {
                a.s3 = Some(S3Location::Object(S3Artifact {
                    endpoint: endpoint.clone(),
                    bucket: bucket.clone(),
                    key: key.clone(),
                    use_sdk_creds: true,
                }))
            }
            S::Gcs { bucket, key } => {
                a.gcs = Some(GcsArtifact {
                    bucket: bucket.clone(),
                    key: key.clone(),
                })
            }
            S::Git { repo, revision } => {
                a.git = Some(GitArtifact {
                    repo: repo.clone(),
                    revision: revision.clone(),
                })
            }
        }
        a
    }
}

/// `http`: a URL downloaded with a GET.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpArtifact {
    /// The URL.
    pub url: String,
}

/// `s3`: an object of an S3-compatible store, read with the pod's cloud credentials.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct S3Artifact {
    /// Host and port of the store.
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// The object's key.
    pub key: String,
    /// Credentials from the SDK's default chain (IRSA, instance profile), not a secret.
    #[serde(rename = "useSDKCreds")]
    pub use_sdk_creds: bool,
}

/// `gcs`: an object of Google Cloud Storage, read with the pod's identity.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GcsArtifact {
    /// The bucket.
    pub bucket: String,
    /// The object's key.
    pub key: String,
}

/// `git`: a repository checked out at a revision.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitArtifact {
    /// The repository's URL.
    pub repo: String,
    /// A commit, tag or branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
}

/// Where an `s3` artifact is: an object of a store, or a key of the workflow's artifact
/// repository.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum S3Location {
    /// An object of an S3-compatible store.
    Object(S3Artifact),
    /// A key of the artifact repository.
    Key(S3KeyArtifact),
}

/// A key-only artifact: Argo fills in the bucket, endpoint and credentials from the
/// workflow's artifact repository (`ArtifactLocation.Relocate`, which copies the
/// repository's location, whatever its kind, and keeps this key).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct S3KeyArtifact {
    /// The key in the repository.
    pub key: String,
}

/// An artifact whose content is given inline; Argo substitutes `{{…}}` in it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawArtifact {
    /// The file's content.
    pub data: String,
}

/// An Argo template: a container or a DAG.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Template {
    /// Name.
    pub name: String,
    /// Inputs.
    #[serde(default, skip_serializing_if = "Arguments::is_empty")]
    pub inputs: Arguments,
    /// Outputs.
    #[serde(default, skip_serializing_if = "Arguments::is_empty")]
    pub outputs: Arguments,
    /// Pod metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<TemplateMeta>,
    /// A container to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<MainContainer>,
    /// A DAG of tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dag: Option<Dag>,
    /// A Kubernetes object to act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceTemplate>,
    /// Volumes of the template's pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// Retrying a failed pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_strategy: Option<RetryStrategy>,
    /// How long the pod may take, Pending time included (a duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Seconds the pod may run once started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    /// Node labels the pod must be scheduled on.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Taints the pod tolerates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// How many pods under this template's node may run at once (`checkParallelism`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// Start no new child once one has failed (`checkParallelism`: `IsFailFast`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_fast: Option<bool>,
    /// Reusing the template's outputs from a config map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memoize: Option<Memoize>,
    /// The pod's service account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// The pod's priority class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// The scheduler that places the pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_name: Option<String>,
    /// Locks the pod holds while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synchronization: Option<Synchronization>,
    /// Where the pod may be scheduled (overrides the workflow's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<k8s_openapi::api::core::v1::Affinity>,
    /// The pod's security context (in place of the workflow's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<k8s_openapi::api::core::v1::PodSecurityContext>,
    /// Containers beside the main one (Argo's `UserContainer`s: Kubernetes' `Container`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sidecars: Vec<k8s_openapi::api::core::v1::Container>,
    /// Containers run before the main one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<k8s_openapi::api::core::v1::Container>,
    /// Custom Prometheus metrics emitted when the template finishes (argot's SLI telemetry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<telemetry::PrometheusMetrics>,
    /// Pod fields an `edit_template` set: a strategic merge patch of Kubernetes' `PodSpec`,
    /// as JSON, which Argo lays over the pod it made (`ApplyPodSpecPatch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_spec_patch: Option<String>,
}

/// A template's main container: argot's own model, or, once an `edit_template` closure has
/// changed it, Kubernetes' whole `Container` (written without its name: Argo names it
/// `main` itself).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MainContainer {
    /// As argot generates it.
    Generated(Box<Container>),
    /// As an edit left it.
    Edited(EditedContainer),
}

/// Kubernetes' `Container` in a template: its `name` left out when written (Argo names the
/// main container), `main` when read without one.
#[derive(Clone, Debug, PartialEq)]
pub struct EditedContainer(pub Box<k8s_openapi::api::core::v1::Container>);

impl Serialize for EditedContainer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut value = serde_json::to_value(&*self.0).map_err(serde::ser::Error::custom)?;
        if let serde_json::Value::Object(map) = &mut value {
            map.remove("name");
        }
        value.serialize(s)
    }
}

impl<'de> Deserialize<'de> for EditedContainer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut value = serde_json::Value::deserialize(d)?;
        if let serde_json::Value::Object(map) = &mut value {
            map.entry("name")
                .or_insert_with(|| crate::protocol::template::MAIN_CONTAINER.into());
        }
        serde_json::from_value(value)
            .map(|c| EditedContainer(Box::new(c)))
            .map_err(serde::de::Error::custom)
    }
}

impl MainContainer {
    /// The image the container runs.
    pub fn image(&self) -> &str {
        match self {
            MainContainer::Generated(c) => &c.image,
            MainContainer::Edited(c) => c.0.image.as_deref().unwrap_or_default(),
        }
    }
}

impl Container {
    /// argot's model of `main`, a container [`crate::protocol::template::main_container`]
    /// made (every field it sets is one argot models).
    fn of(main: k8s_openapi::api::core::v1::Container) -> Container {
        Container {
            image: main.image.unwrap_or_default(),
            command: main.command.unwrap_or_default(),
            args: main.args.unwrap_or_default(),
            image_pull_policy: main.image_pull_policy,
            env: main.env.unwrap_or_default(),
            resources: main.resources,
            volume_mounts: main.volume_mounts.unwrap_or_default(),
            security_context: main.security_context,
        }
    }
}

/// Argo's `synchronization` (the 3.6+ list form).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Synchronization {
    /// The mutexes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mutexes: Vec<MutexRef>,
    /// The semaphores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub semaphores: Vec<SemaphoreRef>,
}

/// A semaphore whose limit a config map key holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SemaphoreRef {
    /// The config map and key.
    pub config_map_key_ref: ConfigMapKeyRef,
}

/// Key `key` of config map `name`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigMapKeyRef {
    /// The config map.
    pub name: String,
    /// The key.
    pub key: String,
}

/// A mutex by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MutexRef {
    /// Its name.
    pub name: String,
}

/// Argo's `memoize`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Memoize {
    /// The cache key (here an `expr` expression of the inputs).
    pub key: String,
    /// How long an entry is reused; empty for ever. Always written: every Argo schema
    /// requires it (Go's `json:"maxAge"` has no `omitempty`), and the controller reads `""` as
    /// no limit (`executeTemplate` in `workflow/controller/operator.go`).
    #[serde(default)]
    pub max_age: String,
    /// Where entries are kept.
    pub cache: MemoizeCache,
}

/// Argo's `memoize.cache`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoizeCache {
    /// The config map.
    pub config_map: ConfigMapName,
}

/// A config map named by `name` (Argo 4's `LocalObjectReference`; 3.x's
/// `ConfigMapKeySelector`, which also needs a key: see [`kinds::manifest`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigMapName {
    /// The config map's name.
    pub name: String,
    /// A key in it (Argo 3.x only, whose schema requires one the controller never reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// When and how often Argo retries a failed pod (`retryStrategy`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetryStrategy {
    /// Retries after the first attempt.
    pub limit: u32,
    /// Which failures are retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<String>,
    /// Waiting between attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
    /// A condition on the last attempt (expr-lang) a retry needs too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// `retryStrategy.backoff`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Backoff {
    /// The first wait.
    pub duration: String,
    /// The multiplier after each attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<u32>,
    /// The longest single wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<String>,
    /// How long after the first attempt retries may start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<String>,
}

/// Labels and annotations put on a template's pods.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateMeta {
    /// Labels.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub annotations: IndexMap<String, String>,
}

/// A container.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Container {
    /// Image.
    pub image: String,
    /// Entrypoint override.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// When the kubelet pulls the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// CPU, memory and extended resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Volume mounts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: Vec<VolumeMount>,
    /// The container's security context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
}

/// A DAG template body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dag {
    /// Tasks, in the order the pipeline created them.
    pub tasks: Vec<DagTask>,
}

/// One DAG task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DagTask {
    /// Name.
    pub name: String,
    /// The template it runs; empty when it runs a published one ([`DagTask::template_ref`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub template: String,
    /// The published template it runs instead (`templateRef`), in a `WorkflowTemplate` or
    /// `ClusterWorkflowTemplate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_ref: Option<TemplateRef>,
    /// Dependencies, as an Argo `depends` expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends: Option<String>,
    /// Runs the task only when this holds (a conditional branch's DAG task).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Runs the task once per item of this list (a loop known when compiling).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub with_items: Vec<serde_json::Value>,
    /// Runs the task once per item of the JSON list this resolves to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_param: Option<String>,
    /// Arguments.
    #[serde(default, skip_serializing_if = "Arguments::is_empty")]
    pub arguments: Arguments,
    /// Lifecycle hooks, by name (`exit`, or a name with an expression).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub hooks: IndexMap<String, LifecycleHook>,
}

/// Argo's `templateRef`: a template of another object, by that object's name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateRef {
    /// The `WorkflowTemplate`'s (or `ClusterWorkflowTemplate`'s) name.
    pub name: String,
    /// The template's name in it.
    pub template: String,
    /// `true` for a `ClusterWorkflowTemplate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_scope: Option<bool>,
}

/// A lifecycle hook of a DAG task: a template run when the expression holds (or, for the hook
/// named `exit`, once the task has completed).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleHook {
    /// The template it runs.
    pub template: String,
    /// When it runs (an `expr` expression; none for `exit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// The DAG templates a `fail_fast` pipeline's body runs: the root's, each condition's, each
/// loop's (outer and body), each hook's and each called pipeline's; not the exit handler's
/// nor any of what it holds.
///
/// Argo's `checkParallelism` (`workflow/controller/operator.go`) applies a template's
/// `failFast` to the children of that template's node only (`getUnsuccessfulChildren`
/// counts the nodes whose `boundaryID` is the node), and a tripped DAG returns before
/// `executeDAG`, so nothing nested in it advances. With `failFast` on every one of them, a
/// failure stops its own DAG and everything under it at once, and each DAG around it once
/// that DAG has been marked failed (when no pod of its own still runs); with it on the root
/// only, the DAG holding the failure would go on starting tasks to its end. The local runner
/// does the same (`run::fail_fast`). None of these templates is also run by the exit handler:
/// A0029 refuses every condition, loop, call and hook inside it.
fn fail_fast_templates(valid: &ValidPipeline) -> BTreeSet<String> {
    let p = valid.pipeline();
    let names = valid.names();
    let mut body = BTreeSet::from([names.dag_template.clone()]);
    for (r, region) in p.regions.iter().enumerate() {
        if crate::ir::in_exit_handler(&p.regions, RegionId(r as u32)) {
            continue;
        }
        match &region.kind {
            RegionKind::Branch { .. } | RegionKind::Loop { .. } => {
                if let Some(b) = &names.branches[r] {
                    body.insert(b.template.clone());
                    body.extend(b.body.clone());
                }
            }
            RegionKind::Hook { .. } => body.extend(names.hooks[r].clone()),
            RegionKind::Call { pipeline, .. } => {
                body.extend(names.call_templates.get(pipeline).cloned());
            }
            RegionKind::Root | RegionKind::ExitHandler => {}
        }
    }
    body
}

/// The pod's name, which the controller substitutes per attempt in a pod template
/// (`executeTemplate`, and again for each retry, in `workflow/controller/operator.go`).
const POD_NAME: &str = "{{pod.name}}";

/// Builds the `Workflow` for a validated pipeline.
pub fn workflow(valid: &ValidPipeline) -> Workflow {
    let p = valid.pipeline();
    let names = valid.names();

    let mut labels = IndexMap::new();
    labels.insert(PIPELINE_LABEL.to_owned(), names.workflow.clone());
    let mut annotations = IndexMap::new();
    if let Some(description) = &p.description {
        annotations.insert(
            "workflows.argoproj.io/description".to_owned(),
            description.clone(),
        );
    }

    let arguments = Arguments {
        parameters: p
            .params
            .iter()
            .map(|param| Parameter {
                name: param.name.clone(),
                value: param.default.clone(),
                ..Parameter::default()
            })
            .collect(),
        artifacts: Vec::new(),
    };

    let (mut templates, exit) =
        super::regions::dag_templates(valid, &|name| dag_template(name, Vec::new()));
    if p.settings.fail_fast {
        let body = fail_fast_templates(valid);
        for t in templates.iter_mut().filter(|t| body.contains(&t.name)) {
            t.fail_fast = Some(true);
        }
    }
    templates.extend(exit);
    let mut kinds: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
    let used = run_here(valid);
    for (template, _) in names.templates.iter().zip(&used).filter(|(_, used)| **used) {
        let spec = &p.components[&template.component];
        templates.push(component_template(valid, template, spec));
        let ios = spec.inputs.iter().map(|i| (&i.name, &i.kind));
        for (name, kind) in ios.chain(spec.outputs.iter().map(|o| (&o.name, &o.kind))) {
            if let IoKind::Artifact { kind } = kind {
                kinds
                    .entry(template.name.as_str())
                    .or_default()
                    .insert(name, kind);
            }
        }
    }
    if !kinds.is_empty() {
        annotations.insert(
            ARTIFACT_KINDS_ANNOTATION.to_owned(),
            serde_json::to_string(&kinds).expect("a map of strings serialises"),
        );
    }

    Workflow {
        api_version: API_VERSION.to_owned(),
        kind: "Workflow".to_owned(),
        metadata: ObjectMeta {
            name: None,
            generate_name: Some(format!("{}-", names.workflow)),
            labels,
            annotations,
        },
        spec: WorkflowSpec {
            entrypoint: names.dag_template.clone(),
            on_exit: names.exit_template.clone(),
            arguments,
            metrics: p
                .settings
                .telemetry
                .then(|| telemetry::run_metrics(&names.workflow)),
            templates,
            volume_claim_templates: claim_templates(valid),
            ..settings_spec(&p.settings)
        },
    }
}

/// `containers` with the secure defaults' `allowPrivilegeEscalation: false` where they do not
/// say otherwise, as the main container has it.
fn secured(
    containers: &[k8s_openapi::api::core::v1::Container],
    secure_defaults: bool,
) -> Vec<k8s_openapi::api::core::v1::Container> {
    containers
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if secure_defaults {
                let context = c.security_context.get_or_insert_with(Default::default);
                context.allow_privilege_escalation =
                    context.allow_privilege_escalation.or(Some(false));
            }
            c
        })
        .collect()
}

/// The claims created for the run (`spec.volumeClaimTemplates`): each run volume of the
/// templates' settings once, in the order templates first mount them (validation made sure
/// one name means one claim, A0043). Argo creates them when the workflow starts
/// (`createPVCs`) and mounts them into pods whose containers mount their name.
fn claim_templates(
    valid: &ValidPipeline,
) -> Vec<k8s_openapi::api::core::v1::PersistentVolumeClaim> {
    use k8s_openapi::api::core::v1::{
        PersistentVolumeClaim, PersistentVolumeClaimSpec, VolumeResourceRequirements,
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut claims = Vec::new();
    for template in &valid.names().templates {
        for volume in &template.config.run_volumes {
            if seen.contains(&volume.name.as_str()) {
                continue;
            }
            seen.push(&volume.name);
            claims.push(PersistentVolumeClaim {
                metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                    name: Some(volume.name.clone()),
                    ..Default::default()
                },
                spec: Some(PersistentVolumeClaimSpec {
                    access_modes: Some(vec!["ReadWriteOnce".to_owned()]),
                    resources: Some(VolumeResourceRequirements {
                        requests: Some(
                            [(
                                "storage".to_owned(),
                                k8s_openapi::apimachinery::pkg::api::resource::Quantity(
                                    volume.size.clone(),
                                ),
                            )]
                            .into(),
                        ),
                        limits: None,
                    }),
                    storage_class_name: volume.storage_class.clone(),
                    ..Default::default()
                }),
                status: None,
            });
        }
    }
    claims
}

/// For each of `valid`'s templates, whether it is emitted: not when every task that would run
/// it runs a published template instead (`templateRef`: the template is the library's).
pub fn run_here(valid: &ValidPipeline) -> Vec<bool> {
    let names = valid.names();
    let mut published = vec![false; names.templates.len()];
    let mut local = vec![false; names.templates.len()];
    for (i, task) in valid.pipeline().tasks.iter().enumerate() {
        let t = names.task_templates[i] as usize;
        match task.template_ref {
            Some(_) => published[t] = true,
            None => local[t] = true,
        }
    }
    published
        .into_iter()
        .zip(local)
        .map(|(published, local)| local || !published)
        .collect()
}

/// A DAG template named `name` with `tasks`.
fn dag_template(name: &str, tasks: Vec<DagTask>) -> Template {
    Template {
        name: name.to_owned(),
        inputs: Arguments::default(),
        outputs: Arguments::default(),
        metadata: None,
        container: None,
        dag: Some(Dag { tasks }),
        resource: None,
        volumes: Vec::new(),
        retry_strategy: None,
        timeout: None,
        active_deadline_seconds: None,
        node_selector: BTreeMap::new(),
        tolerations: Vec::new(),
        parallelism: None,
        fail_fast: None,
        memoize: None,
        service_account_name: None,
        priority_class_name: None,
        scheduler_name: None,
        synchronization: None,
        affinity: None,
        security_context: None,
        sidecars: Vec::new(),
        init_containers: Vec::new(),
        metrics: None,
        pod_spec_patch: None,
    }
}

/// The workflow-level fields of `settings`; `entrypoint` and `templates` are left empty for
/// the caller. Validation has checked every value (A0023–A0027).
fn settings_spec(settings: &WorkflowSettings) -> WorkflowSpec {
    // Validated by A0026; a value that does not parse cannot reach here.
    let seconds = |text: &Option<String>| {
        text.as_deref()
            .map(|t| parse_seconds(t).expect("validation checked the length of time"))
    };
    let security_context = if settings.secure_defaults {
        Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(
                settings
                    .run_as_user
                    .unwrap_or(WorkflowSettings::DEFAULT_RUN_AS_USER),
            ),
        })
    } else {
        settings.run_as_user.map(|user| PodSecurityContext {
            run_as_user: Some(user),
            ..PodSecurityContext::default()
        })
    };
    let mut pull_secrets: Vec<&String> = Vec::new();
    for secret in &settings.image_pull_secrets {
        if !pull_secrets.contains(&secret) {
            pull_secrets.push(secret);
        }
    }
    WorkflowSpec {
        entrypoint: String::new(),
        on_exit: None,
        arguments: Arguments::default(),
        service_account_name: settings.service_account.clone(),
        artifact_repository_ref: settings.artifact_repository_ref.as_ref().map(|r| {
            ArtifactRepositoryRef {
                config_map: r.config_map.clone(),
                key: r.key.clone(),
            }
        }),
        image_pull_secrets: pull_secrets
            .into_iter()
            .map(|name| LocalObjectReference { name: name.clone() })
            .collect(),
        pod_gc: settings.pod_gc.as_ref().map(|strategy| PodGc {
            strategy: strategy.clone(),
        }),
        artifact_gc: settings.artifact_gc.as_ref().map(|strategy| ArtifactGc {
            strategy: strategy.clone(),
        }),
        ttl_strategy: seconds(&settings.ttl).map(|s| TtlStrategy {
            seconds_after_completion: s,
        }),
        active_deadline_seconds: seconds(&settings.active_deadline),
        parallelism: settings.parallelism,
        security_context,
        volume_claim_templates: Vec::new(),
        metrics: None,
        workflow_metadata: None,
        templates: Vec::new(),
    }
}

fn component_template(
    valid: &ValidPipeline,
    template: &TemplateDef,
    spec: &ComponentSpec,
) -> Template {
    if let Implementation::Resource(resource) = &spec.implementation {
        return resource_template(valid, template, spec, resource);
    }
    let mut inputs = Arguments::default();
    for input in &spec.inputs {
        match input.kind {
            IoKind::Parameter { .. } => inputs.parameters.push(Parameter {
                name: input.name.clone(),
                default: input.default.clone(),
                ..Parameter::default()
            }),
            IoKind::Artifact { .. } => inputs.artifacts.push(Artifact {
                name: input.name.clone(),
                path: Some(input_artifact_path(&input.name)),
                // `ProcessArgs` (`workflow/common/util.go`) skips an unsupplied input only
                // when it is optional; otherwise the workflow errors.
                optional: input.optional.then_some(true),
                ..Artifact::default()
            }),
        }
    }
    if spec.implementation == Implementation::Native {
        for input in spec.inputs.iter().filter(|i| !i.kind.is_artifact()) {
            inputs.artifacts.push(Artifact {
                name: input.name.clone(),
                path: Some(param_file_path(&input.name)),
                raw: Some(RawArtifact {
                    data: input_parameter(&input.name),
                }),
                ..Artifact::default()
            });
        }
        // A collection's entries in item order (the names Argo aggregated over the loop's
        // succeeded iterations) arrive as a parameter, placed where the entrypoint reads the
        // collection's list (`--param-file NAME`, `protocol::native_args`).
        for input in spec
            .inputs
            .iter()
            .filter(|i| i.kind.collection_of().is_some())
        {
            let entries = crate::ir::collection_entries_input(&input.name);
            inputs.parameters.push(Parameter {
                name: entries.clone(),
                ..Parameter::default()
            });
            inputs.artifacts.push(Artifact {
                name: entries.clone(),
                path: Some(param_file_path(&input.name)),
                raw: Some(RawArtifact {
                    data: input_parameter(&entries),
                }),
                ..Artifact::default()
            });
        }
    }
    // Where a container image writes an output itself: Argo's executor collects an output
    // from any path of the main container's filesystem, a volume or not.
    let own_path = |name: &str| match &spec.implementation {
        Implementation::Container(c) => c.output_path(name).map(str::to_owned),
        Implementation::Native | Implementation::Resource(_) => None,
    };
    // The values of the settings' run-time pieces, which Argo pastes into the settings' text
    // (`SubstituteParams` substitutes the whole template).
    for input in setting_inputs(&template.config) {
        inputs.parameters.push(Parameter {
            name: input,
            ..Parameter::default()
        });
    }
    let mut outputs = Arguments::default();
    for output in &spec.outputs {
        match &output.kind {
            IoKind::Parameter { .. } => outputs.parameters.push(Parameter {
                name: output.name.clone(),
                value_from: Some(ValueFrom {
                    path: Some(
                        own_path(&output.name)
                            .unwrap_or_else(|| output_parameter_path(&output.name)),
                    ),
                    ..ValueFrom::default()
                }),
                ..Parameter::default()
            }),
            IoKind::Artifact { kind } => outputs.artifacts.push(Artifact {
                name: output.name.clone(),
                path: Some(
                    own_path(&output.name).unwrap_or_else(|| output_artifact_path(&output.name)),
                ),
                // Collected after its loop: each pod saves it, unarchived, as the key-only
                // entry `<prefix>/<pod name>` of the repository (Argo's `map-reduce.yaml`);
                // `ProcessArgs` substitutes `{{pod.name}}` per attempt (`executeTemplate`).
                s3: template
                    .config
                    .outputs
                    .get(&output.name)
                    .and_then(|o| o.collect.as_ref())
                    .map(|prefix| {
                        S3Location::Key(S3KeyArtifact {
                            key: format!("{prefix}/{POD_NAME}"),
                        })
                    })
                    // Else where the task names its key (A0062 refuses both on one output).
                    .or_else(|| keyed_output(&template.config, &output.name)),
                archive: match template.config.outputs.get(&output.name).and_then(|o| {
                    o.archive
                        .or(o.collect.as_ref().map(|_| crate::ir::Archive::None))
                }) {
                    Some(archive) => Some(ArchiveStrategy::of(archive)),
                    None => UNARCHIVED_KINDS
                        .contains(&kind.as_str())
                        .then(|| ArchiveStrategy::of(crate::ir::Archive::None)),
                },
                artifact_gc: template
                    .config
                    .outputs
                    .get(&output.name)
                    .and_then(|o| o.gc)
                    .map(|gc| ArtifactGcSpec {
                        strategy: gc.as_str().to_owned(),
                    }),
                ..Artifact::default()
            }),
        }
    }
    // The entry each collected output was saved under, which Argo aggregates over the loop
    // in item order, the failed iterations left out (`processAggregateNodeOutputs`). An output
    // parameter with a `value` is kept as the controller substituted it (`SaveParameters`
    // reads only `valueFrom.path`).
    for (name, options) in &template.config.outputs {
        if options.collect.is_some() && spec.output(name).is_some_and(|o| o.kind.is_artifact()) {
            outputs.parameters.push(Parameter {
                name: crate::ir::collected_entry_output(name),
                value: Some(POD_NAME.to_owned()),
                ..Parameter::default()
            });
        }
    }
    if let (Implementation::Native, Some(delivery)) =
        (&spec.implementation, &valid.pipeline().binary_delivery)
    {
        inputs
            .artifacts
            .push(delivered_binary(delivery, &valid.pipeline().binary_path));
    }
    // The main container and the pod's labels come from the one function the local runner
    // uses too, so an edit sees (and `run` honours) the same template.
    let p = valid.pipeline();
    let config = &template.config;
    let settings = &p.settings;
    let mut volumes = Vec::new();
    if !spec.outputs.is_empty() {
        volumes.push(crate::protocol::template::outputs_volume());
    }
    volumes.extend(config.volumes.iter().cloned());
    // Validation ran the edits once, for every backend.
    let edited = template.edited.clone();
    let mut meta = TemplateMeta::default();
    let mut edited_digest = None;
    let (container, pod_spec_patch) = match edited {
        None => {
            meta.labels.insert(
                COMPONENT_LABEL.to_owned(),
                crate::namer::generated(&spec.name, crate::namer::DNS_LABEL_MAX),
            );
            for (k, v) in &config.labels {
                meta.labels.insert(k.clone(), v.clone());
            }
            for (k, v) in &config.annotations {
                meta.annotations.insert(k.clone(), v.clone());
            }
            let main = crate::protocol::template::main_container(p, config, spec);
            (
                MainContainer::Generated(Box::new(Container::of(main))),
                None,
            )
        }
        Some(edited) => {
            edited_digest = Some(edited.digest());
            let edited = edited.edited;
            meta.labels.extend(edited.labels);
            meta.annotations.extend(edited.annotations);
            (
                MainContainer::Edited(EditedContainer(Box::new(edited.container))),
                crate::protocol::template::pod_spec_patch(&edited.pod),
            )
        }
    };
    Template {
        name: template.name.clone(),
        inputs,
        outputs,
        metadata: (!meta.labels.is_empty() || !meta.annotations.is_empty()).then_some(meta),
        container: Some(container),
        dag: None,
        resource: None,
        volumes,
        retry_strategy: retry_strategy(config),
        timeout: config.timeout.clone(),
        active_deadline_seconds: config.active_deadline_seconds,
        node_selector: config.node_selector.clone(),
        tolerations: config.tolerations.clone(),
        parallelism: None,
        fail_fast: None,
        service_account_name: config.service_account.clone(),
        priority_class_name: config.priority_class.clone(),
        scheduler_name: config.scheduler_name.clone(),
        synchronization: synchronization(config),
        affinity: config.affinity.clone(),
        sidecars: secured(&config.sidecars, settings.secure_defaults),
        init_containers: secured(&config.init_containers, settings.secure_defaults),
        // Argo puts a template's security context in place of the workflow's: the workflow's
        // fields the task leaves unset are copied in, so the task keeps the pipeline's user.
        security_context: config.pod_security_context.as_ref().map(|own| {
            let mut context = own.clone();
            if let Some(workflow) = settings_spec(settings).security_context {
                context.run_as_non_root = context.run_as_non_root.or(workflow.run_as_non_root);
                context.run_as_user = context.run_as_user.or(workflow.run_as_user.map(i64::from));
            }
            context
        }),
        metrics: template_metrics(valid, spec),
        pod_spec_patch,
        memoize: config.memoize.as_ref().map(|m| Memoize {
            key: memoize_key(spec, config, edited_digest.clone()),
            max_age: m.max_age.clone().unwrap_or_default(),
            cache: MemoizeCache {
                config_map: ConfigMapName {
                    name: m.config_map.clone(),
                    key: None,
                },
            },
        }),
    }
}

/// A template's `retryStrategy` from its merged settings.
fn retry_strategy(config: &crate::ir::TaskConfig) -> Option<RetryStrategy> {
    config.retry.as_ref().map(|r| RetryStrategy {
        limit: r.limit(),
        retry_policy: r.on.map(|on| on.as_str().to_owned()),
        backoff: r.backoff.as_ref().map(|b| Backoff {
            duration: b.duration.clone(),
            factor: b.factor,
            cap: b.cap.clone(),
            max_duration: b.max_duration.clone(),
        }),
        expression: r.condition.as_ref().map(|c| c.expression()),
    })
}

/// A template's `synchronization` (mutexes and semaphores) from its merged settings.
fn synchronization(config: &crate::ir::TaskConfig) -> Option<Synchronization> {
    (!config.mutexes.is_empty() || !config.semaphores.is_empty()).then(|| Synchronization {
        mutexes: config
            .mutexes
            .iter()
            .map(|name| MutexRef { name: name.clone() })
            .collect(),
        semaphores: config
            .semaphores
            .iter()
            .map(|s| SemaphoreRef {
                config_map_key_ref: ConfigMapKeyRef {
                    name: s.config_map.clone(),
                    key: s.key.clone(),
                },
            })
            .collect(),
    })
}

/// The telemetry of a template running `spec`, unless the pipeline opted out.
fn template_metrics(
    valid: &ValidPipeline,
    spec: &ComponentSpec,
) -> Option<telemetry::PrometheusMetrics> {
    let p = valid.pipeline();
    p.settings.telemetry.then(|| {
        telemetry::task_metrics(
            &valid.names().workflow,
            &crate::namer::generated(&spec.name, crate::namer::DNS_LABEL_MAX),
        )
    })
}

/// The template of a resource step. Only the settings that concern the executor pod Argo
/// runs for it (where it is scheduled, as which service account, its retries and time limits,
/// its labels) apply; a container's settings (environment, resources, volumes, image pull
/// policy) and memoization have nothing to apply to and are left out.
fn resource_template(
    valid: &ValidPipeline,
    template: &TemplateDef,
    spec: &ComponentSpec,
    resource: &crate::ir::ResourceImpl,
) -> Template {
    let mut outputs = Arguments::default();
    for output in &resource.outputs {
        let (json_path, jq_filter) = match &output.from {
            crate::ir::ResourceQuery::JsonPath(q) => (Some(q.clone()), None),
            crate::ir::ResourceQuery::JqFilter(q) => (None, Some(q.clone())),
        };
        outputs.parameters.push(Parameter {
            name: output.name.clone(),
            value_from: Some(ValueFrom {
                json_path,
                jq_filter,
                ..ValueFrom::default()
            }),
            ..Parameter::default()
        });
    }
    let mut meta = TemplateMeta::default();
    meta.labels.insert(
        COMPONENT_LABEL.to_owned(),
        crate::namer::generated(&spec.name, crate::namer::DNS_LABEL_MAX),
    );
    let config = &template.config;
    for (k, v) in &config.labels {
        meta.labels.insert(k.clone(), v.clone());
    }
    for (k, v) in &config.annotations {
        meta.annotations.insert(k.clone(), v.clone());
    }
    let condition = |requirements: &[crate::ir::SelectorRequirement]| {
        (!requirements.is_empty()).then(|| crate::ir::selector_text(requirements))
    };
    // The values placed in the object arrive as input parameters (`SubstituteParams` fills
    // the template's inputs, then substitutes the whole template, the manifest included).
    let mut inputs = Arguments::default();
    for input in spec.inputs.iter().filter(|i| !i.kind.is_artifact()) {
        inputs.parameters.push(Parameter {
            name: input.name.clone(),
            ..Parameter::default()
        });
    }
    Template {
        name: template.name.clone(),
        inputs,
        outputs,
        metadata: Some(meta),
        container: None,
        dag: None,
        fail_fast: None,
        resource: Some(ResourceTemplate {
            action: resource.action.as_str().to_owned(),
            manifest: placed_manifest(spec, resource),
            merge_strategy: resource.merge_strategy.map(|m| m.as_str().to_owned()),
            set_owner_reference: resource.set_owner_reference,
            success_condition: condition(&resource.success),
            failure_condition: condition(&resource.failure),
        }),
        volumes: Vec::new(),
        retry_strategy: retry_strategy(config),
        timeout: config.timeout.clone(),
        active_deadline_seconds: config.active_deadline_seconds,
        node_selector: config.node_selector.clone(),
        tolerations: config.tolerations.clone(),
        parallelism: None,
        memoize: None,
        service_account_name: config.service_account.clone(),
        priority_class_name: config.priority_class.clone(),
        scheduler_name: config.scheduler_name.clone(),
        synchronization: synchronization(config),
        // The executor pod of a resource step is placed like any pod; it has no containers
        // of the user's beside it (A0057).
        affinity: config.affinity.clone(),
        security_context: None,
        sidecars: Vec::new(),
        init_containers: Vec::new(),
        metrics: template_metrics(valid, spec),
        pod_spec_patch: None,
    }
}

/// A resource step's manifest with each placed value's expression at its position; the
/// manifest as written when nothing is placed.
///
/// The object is read back (field order kept), each position set to a mark found nowhere in
/// the manifest, written as YAML again, and each mark (a plain scalar) replaced by
/// `{{=EXPR}}`. Argo evaluates the expression when it substitutes the template
/// (`expressionReplaceCore` in `util/template/expression_template.go`: a string result is
/// JSON-escaped into the template's JSON, so the manifest receives it as is), and its
/// validation reads the manifest as YAML with each `{{=…}}` replaced by a placeholder
/// (`SubstituteResourceManifestExpressions` in `workflow/validate/validate.go`), which a
/// plain scalar position accepts.
fn placed_manifest(spec: &ComponentSpec, resource: &crate::ir::ResourceImpl) -> String {
    if resource.values.is_empty() {
        return resource.manifest.clone();
    }
    let mut object: serde_json::Value =
        serde_saphyr::from_str(&resource.manifest).expect("validation read the object (A0055)");
    let mut marks = Vec::new();
    for (i, value) in resource.values.iter().enumerate() {
        let mut mark = format!("argot-value-{i}-here");
        while resource.manifest.contains(&mark) {
            mark.insert(0, 'x');
        }
        let tokens =
            crate::ir::pointer_tokens(&value.at).expect("validation checked the pointer (A0053)");
        let (last, parent) = tokens.split_last().expect("a pointer has a token");
        let mut here = &mut object;
        for token in parent {
            here = match here {
                serde_json::Value::Array(items) => {
                    &mut items[token.parse::<usize>().expect("A0053")]
                }
                other => &mut other[token.as_str()],
            };
        }
        match here {
            serde_json::Value::Array(items) => {
                items[last.parse::<usize>().expect("A0053")] =
                    serde_json::Value::String(mark.clone())
            }
            other => other[last.as_str()] = serde_json::Value::String(mark.clone()),
        }
        let schema = spec.input(&value.input).and_then(|i| match &i.kind {
            IoKind::Parameter { schema, .. } => Some(schema),
            IoKind::Artifact { .. } => None,
        });
        marks.push((mark, placed_value_expression(&value.input, schema)));
    }
    let mut yaml = serde_saphyr::to_string(&object).expect("an object read from YAML writes back");
    for (mark, expression) in marks {
        debug_assert_eq!(yaml.matches(&mark).count(), 1, "{yaml}");
        yaml = yaml.replacen(&mark, &expression, 1);
    }
    yaml
}

/// `{{=EXPR}}` writing input parameter `input`'s value as a YAML scalar on one line, by the
/// value's type. Argo's `expr` environment (`util/expr/env/env.go`: `GetFuncMap`) has Sprig's
/// functions under `sprig.`, `asInt` and `asFloat` (expr's `int` and `float`, which fail on
/// text that is not a number), and expr's own `fromJSON` (expr-lang `builtin/builtin.go`).
/// - `String`: its wire form is the text itself, or a JSON string literal when it starts with
///   `"` ([`crate::value`]): decoded with `fromJSON` then; written with `sprig.quote`, Go's
///   `%q` (`strconv.Quote`): in double quotes, `\"` and `\\`, every character Go does not
///   count as printable as `\a`…`\v`, `\xNN`, `\uNNNN` or `\UNNNNNNNN`, all of them YAML
///   double-quoted escapes, so no newline, quote, control character or line separator
///   reaches the YAML raw (Go's `json.Marshal`, Argo's `toJson`, would leave U+007F and the
///   C1 controls raw, which YAML refuses);
/// - integers, floats: `asInt`, `asFloat` (written as JSON numbers; Go writes a float below
///   1e-6 or from 1e21 as `1e-07`, which kubectl's YAML reader takes as a number);
/// - `bool`: `true` when the text is `true`, otherwise `false`.
///
/// A value the expression cannot read (an integer parameter given `two` by a plain
/// `argo submit -p`) makes Argo leave the expression unevaluated (`expressionReplaceCore`
/// with unresolved allowed): `kubectl` then cannot read the manifest as the object, and the
/// step fails without changing anything.
fn placed_value_expression(input: &str, schema: Option<&crate::schema::TypeSchema>) -> String {
    use crate::schema::TypeSchema;
    let x = format!("inputs.parameters['{input}']");
    let expression = match schema {
        Some(TypeSchema::Integer { .. }) => format!("asInt({x})"),
        Some(TypeSchema::Float) => format!("asFloat({x})"),
        Some(TypeSchema::Bool) => format!("{x} == 'true'"),
        _ => format!("sprig.quote({x} startsWith '\"' ? fromJSON({x}) : {x})"),
    };
    format!("{{{{={expression}}}}}")
}

/// The `memoize` key of a component's template: a SHA-256, computed by Argo's `expr` (with
/// Sprig's `sha256sum`, so any value makes a valid config map key), of the component's code
/// identity — its name and the hash of its code (native) or of its container (a constant
/// computed here, with the task's own image if it has one) — and of each input parameter's
/// value and each run-time value of its settings, each after a newline. Input artifacts are
/// not in it: Argo's key sees parameters, not artifacts' contents.
fn memoize_key(
    spec: &ComponentSpec,
    config: &crate::ir::TaskConfig,
    edited: Option<String>,
) -> String {
    use sha2::{Digest, Sha256};
    let code = match (&spec.code_hash, &spec.implementation) {
        (Some(hash), _) => hash.clone(),
        (None, implementation) => {
            let json = serde_json::to_vec(implementation).expect("an implementation serialises");
            crate::util::hex(&Sha256::digest(&json))
        }
    };
    // A task's own image is part of what runs; hashed, so its placeholders stay out of the
    // expression (their values are inputs of the key below).
    let code = match &config.image {
        Some(image) => format!("{code}/{}", crate::util::hex(&Sha256::digest(image))),
        None => code,
    };
    // A template an edit changed runs what the edit made of it: the edited template's
    // digest joins the code's, as it joins the local cache's key.
    let code = match &edited {
        Some(digest) => format!("{code}/{digest}"),
        None => code,
    };
    let mut parts = vec![super::regions::expr_string(&format!(
        "{}/{code}",
        spec.name
    ))];
    for input in spec.inputs.iter().filter(|i| !i.kind.is_artifact()) {
        parts.push(format!("'\\n' + inputs.parameters['{}']", input.name));
    }
    // The settings' run-time values change what the task does (an environment variable, the
    // image), so they are part of the key, as they are of the local cache's.
    for input in setting_inputs(config) {
        parts.push(format!("'\\n' + inputs.parameters['{input}']"));
    }
    format!("{{{{=sprig.sha256sum({})}}}}", parts.join(" + "))
}

/// The inputs the placeholders in `config`'s texts name, each once, in the order they appear
/// (then those the outputs' repository keys read).
pub(crate) fn setting_inputs(config: &crate::ir::TaskConfig) -> Vec<String> {
    let mut inputs: Vec<String> = Vec::new();
    for (_, text) in config.templated_texts() {
        for (_, tag) in crate::ir::setting_tags(text) {
            if let Some(input) = crate::ir::setting_tag_input(tag)
                && !inputs.iter().any(|i| i == input)
            {
                inputs.push(input.to_owned());
            }
        }
    }
    for input in key_setting_inputs(config) {
        if !inputs.iter().any(|i| i == input) {
            inputs.push(input.to_owned());
        }
    }
    inputs
}

/// The setting inputs the repository keys of `config`'s outputs read.
fn key_setting_inputs(config: &crate::ir::TaskConfig) -> impl Iterator<Item = &str> {
    config
        .outputs
        .values()
        .filter_map(|o| o.key.as_ref())
        .flat_map(|k| k.setting_inputs())
}

/// Output `name`'s key-only location when the task names its key (`set_output_key`): `s3:
/// {key}` with the key's variables as Argo's tags. The executor uploads to that key as it is
/// (`saveArtifactFromFile`), in the workflow's repository whatever its kind
/// (`ArtifactLocation.Relocate` copies the repository's location and keeps the key).
fn keyed_output(config: &crate::ir::TaskConfig, name: &str) -> Option<S3Location> {
    let key = config.outputs.get(name)?.key.as_ref()?;
    Some(S3Location::Key(S3KeyArtifact { key: key.render() }))
}

/// Argo's placeholder for input parameter `name` of the template: `{{inputs.parameters.NAME}}`.
fn input_parameter(name: &str) -> String {
    format!("{{{{inputs.parameters.{name}}}}}")
}

/// Output format of [`render_manifest`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// YAML (what `kubectl` and `argo submit` read).
    #[default]
    Yaml,
    /// Pretty-printed JSON.
    Json,
}

/// Errors serialising a manifest.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The YAML serialiser failed.
    #[error("cannot write the manifest as YAML: {0}")]
    Yaml(String),
    /// The JSON serialiser failed.
    #[error("cannot write the manifest as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Serialises a manifest of any kind. The same manifest always gives the same bytes.
pub fn render_object(manifest: &Manifest, format: Format) -> Result<String, RenderError> {
    match format {
        Format::Yaml => {
            serde_saphyr::to_string(manifest).map_err(|e| RenderError::Yaml(e.to_string()))
        }
        Format::Json => {
            let mut s = serde_json::to_string_pretty(manifest)?;
            s.push('\n');
            Ok(s)
        }
    }
}

/// Serialises a workflow. The same workflow always gives the same bytes.
pub fn render_manifest(workflow: &Workflow, format: Format) -> Result<String, RenderError> {
    match format {
        Format::Yaml => {
            serde_saphyr::to_string(workflow).map_err(|e| RenderError::Yaml(e.to_string()))
        }
        Format::Json => {
            let mut s = serde_json::to_string_pretty(workflow)?;
            s.push('\n');
            Ok(s)
        }
    }
}

/// The input artifact that puts the pipeline binary at `path` in a stock image.
///
/// A template input artifact with a location (`http`) or a key needs no argument from the
/// task (`common.ProcessArgs` requires one only when `!inArt.HasLocationOrKey()`), and its
/// `mode` is kept (`artifacts[i].Mode = inArt.Mode`): Argo's executor applies it when it
/// loads the file, so the binary is executable with no `chmod` and no shell in the pod.
fn delivered_binary(delivery: &crate::ir::BinaryDelivery, path: &str) -> Artifact {
    let mut artifact = Artifact {
        name: crate::protocol::DELIVERED_BINARY_ARTIFACT.to_owned(),
        path: Some(path.to_owned()),
        mode: Some(0o755),
        ..Artifact::default()
    };
    match delivery {
        crate::ir::BinaryDelivery::Url(url) => {
            artifact.http = Some(HttpArtifact { url: url.clone() });
        }
        crate::ir::BinaryDelivery::Key(key) => {
            artifact.s3 = Some(S3Location::Key(S3KeyArtifact { key: key.clone() }));
        }
    }
    artifact
}

#[cfg(test)]
mod repo_key_tests {
    /// A0049 judges a key's extension by the archive this emitter writes: both must agree
    /// on which kinds are unarchived by default.
    #[test]
    fn the_rule_and_the_emitter_agree_on_the_unarchived_kinds() {
        for kind in [
            "Artifact", "Dataset", "Model", "Metrics", "Html", "Markdown", "Mine",
        ] {
            assert_eq!(
                super::UNARCHIVED_KINDS.contains(&kind),
                crate::rules::repo_keys::unarchived_by_default(kind),
                "{kind}"
            );
        }
    }
}
