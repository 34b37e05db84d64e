//! Kubernetes resource steps: a task that creates, applies, patches, replaces, deletes or
//! reads a Kubernetes object, waits until a typed condition over the object holds, and reads
//! output parameters from it (Argo's `resource` template).
//!
//! ```
//! use argot::prelude::*;
//! use argot::kubernetes::{Pvc, field};
//!
//! #[pipeline(image = "ghcr.io/acme/train:1.0")]
//! pub fn with_scratch() {
//!     let scratch = Pvc::new("scratch", "10Gi").add();
//!     let _ = scratch.name(); // a `ParamRef<String>` later tasks can read
//! }
//! # fn main() {}
//! ```
//!
//! The object is any `serde::Serialize` value with `apiVersion` and `kind` — a `k8s-openapi`
//! type, `kube`'s `DynamicObject`, or a struct of your own such as [`PyTorchJob`] — serialised
//! into the template's `manifest` field in its own field order, so the output is
//! deterministic. Argo substitutes `{{…}}` in the manifest before `kubectl` sees it:
//! `{{workflow.name}}` in a name gives every run its own object ([`run_scoped_name`]).
//!
//! Conditions are Kubernetes label selectors whose keys are paths into the object, which Argo's
//! executor evaluates against the object after the action and then every few seconds
//! (`argoexec`'s `checkResourceState`: `labels.ParseToRequirements`, each key looked up in the
//! object's JSON). They are built with [`field`], so a malformed one is a diagnostic (A0054)
//! rather than a step that never finishes.
//!
//! A value of the run — a pipeline parameter or another task's output — can be placed at a
//! position of the object with [`ResourceStep::value_at`] (a JSON pointer such as
//! `/spec/pytorchReplicaSpecs/Worker/replicas`), or with the helpers' own methods
//! ([`Pvc::size_from`]). The value becomes an input parameter of the step's template, and the
//! manifest holds, at that position, an `expr` expression that Argo evaluates when it
//! substitutes the template (`SubstituteParams` in `workflow/common/util.go`, which
//! substitutes the whole template, `resource.manifest` included): it writes the value as a
//! JSON literal (a string quoted and escaped, a number bare), so no value can break the YAML
//! or add fields to the object. A position the object lacks, or one that says what the object
//! is (`apiVersion`, `kind`), is refused (A0053).
//!
//! The local runner refuses a pipeline with a resource step (A0056): there is no cluster to
//! create the object in.

use std::panic::Location;

use serde::Serialize;

use crate::dsl::{IntoParam, ParamRef};
use crate::ir::{
    ComponentSpec, Implementation, InputSpec, IoKind, OutputSpec, ResourceImpl, ResourceOutput,
    ResourceQuery, ResourceValue, SelectorOp, SelectorRequirement,
};
pub use crate::ir::{MergeStrategy, ResourceAction};
use crate::schema::{Schema, TypeSchema};
use crate::trace::Bound;
use crate::trace::{self, TaskHandle};

/// A condition over the object a resource step manages: requirements that must all hold.
/// Start one with [`field`]; join with [`ObjectCondition::and`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectCondition(Vec<SelectorRequirement>);

impl ObjectCondition {
    /// Both this condition and `other` hold (Argo joins them with a comma).
    pub fn and(mut self, other: ObjectCondition) -> ObjectCondition {
        self.0.extend(other.0);
        self
    }

    /// The requirements, in the order written.
    pub fn requirements(&self) -> &[SelectorRequirement] {
        &self.0
    }
}

impl std::fmt::Display for ObjectCondition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::ir::selector_text(&self.0))
    }
}

/// A dotted path into the object (`status.phase`, `status.replicaStatuses.Master.succeeded`),
/// to compare in a condition. (Not `Field`: [`crate::schema::Field`] has that name, and two public
/// items of one name make rustc print full paths in users' type errors.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectField(String);

/// The field at `path` of the object, to build a condition:
/// `field("status.phase").eq("Bound")`, `field("status.succeeded").gt(0)`.
pub fn field(path: &str) -> ObjectField {
    ObjectField(path.to_owned())
}

impl ObjectField {
    fn requirement(self, op: SelectorOp, values: Vec<String>) -> ObjectCondition {
        ObjectCondition(vec![SelectorRequirement {
            path: self.0,
            op,
            values,
        }])
    }

    /// The field's text equals `value` (a label value: at most 63 characters of
    /// `[A-Za-z0-9_.-]`, starting and ending with a letter or digit).
    pub fn eq(self, value: impl ToString) -> ObjectCondition {
        self.requirement(SelectorOp::Equals, vec![value.to_string()])
    }

    /// The field's text differs from `value`, or the field is absent.
    pub fn ne(self, value: impl ToString) -> ObjectCondition {
        self.requirement(SelectorOp::NotEquals, vec![value.to_string()])
    }

    /// The field is a number greater than `n`.
    pub fn gt(self, n: i64) -> ObjectCondition {
        self.requirement(SelectorOp::GreaterThan, vec![n.to_string()])
    }

    /// The field is a number less than `n`.
    pub fn lt(self, n: i64) -> ObjectCondition {
        self.requirement(SelectorOp::LessThan, vec![n.to_string()])
    }

    /// The field's text is one of `values`.
    pub fn is_in<I: IntoIterator<Item = V>, V: ToString>(self, values: I) -> ObjectCondition {
        let values = values.into_iter().map(|v| v.to_string()).collect();
        self.requirement(SelectorOp::In, values)
    }

    /// The field's text is none of `values`.
    pub fn not_in<I: IntoIterator<Item = V>, V: ToString>(self, values: I) -> ObjectCondition {
        let values = values.into_iter().map(|v| v.to_string()).collect();
        self.requirement(SelectorOp::NotIn, values)
    }

    /// The field is present.
    pub fn exists(self) -> ObjectCondition {
        self.requirement(SelectorOp::Exists, Vec::new())
    }

    /// The field is absent.
    pub fn absent(self) -> ObjectCondition {
        self.requirement(SelectorOp::DoesNotExist, Vec::new())
    }
}

/// `{{workflow.name}}-<stem>`: a name Argo makes unique per run, so a step that creates an
/// object can run again without "already exists". Use it for the object's `metadata.name`,
/// and to name the object from later tasks (`.add_pvc_volume("data", &run_scoped_name("data"), "/data")`).
pub fn run_scoped_name(stem: &str) -> String {
    format!("{{{{workflow.name}}}}-{stem}")
}

/// A resource step being built: what to do with which object, when it is done, what it
/// outputs. [`ResourceStep::add`] adds it to the pipeline being traced.
#[derive(Clone, Debug)]
#[must_use = "a resource step does nothing until `.add()` adds it to the pipeline"]
pub struct ResourceStep {
    name: String,
    description: Option<String>,
    resource: ResourceImpl,
    /// The values placed in the object, in the order placed; each distinct source is one input.
    values: Vec<PlacedValue>,
}

/// A type whose values can be placed in a resource step's object: `String`, the integer
/// types, `f32`, `f64` and `bool` — the scalars Kubernetes objects hold. Each is written as
/// a YAML scalar by an expression Argo evaluates (`sprig.quote`, `asInt`, `asFloat`), so the
/// manifest stays valid whatever the value. Sealed: the expressions are chosen for these types.
#[diagnostic::on_unimplemented(
    message = "a `{Self}` cannot be placed in a Kubernetes object",
    label = "expected a `String`, an integer, a float or a `bool` value here",
    note = "`value_at` places a scalar: a `Param<T>`, a `ParamRef<T>` or a constant where `T` is `String`, an integer type, `f32`, `f64` or `bool`"
)]
pub trait ObjectValue: sealed::Sealed + crate::value::ParamType + Schema {
    /// The type as messages spell it.
    #[doc(hidden)]
    const RUST_TYPE: &'static str;
}

mod sealed {
    /// Implemented only for the types [`super::ObjectValue`] lists.
    pub trait Sealed {}
}

macro_rules! object_values {
    ($($t:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl ObjectValue for $t {
            const RUST_TYPE: &'static str = stringify!($t);
        }
    )*};
}
object_values!(
    String, i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, f32, f64, bool
);

/// Where a placed value comes from: the [`Bound`] an [`IntoParam`] yields, kept in a form the
/// step (which is `Clone`) can hold until it is added.
#[derive(Clone, Debug, PartialEq)]
enum ValueSource {
    Constant(String),
    Invalid(String),
    Param(&'static str),
    Output(TaskHandle, &'static str),
}

impl ValueSource {
    fn of(bound: Bound) -> ValueSource {
        match bound {
            Bound::Constant(text) => ValueSource::Constant(text),
            Bound::Invalid(why) => ValueSource::Invalid(why),
            Bound::PipelineParam(name) => ValueSource::Param(name),
            Bound::Output(task, output) => ValueSource::Output(task, output),
            // `IntoParam` yields only the four above.
            other => ValueSource::Invalid(format!("{other:?} cannot be placed in an object")),
        }
    }

    fn bound(&self) -> Bound {
        match self {
            ValueSource::Constant(text) => Bound::Constant(text.clone()),
            ValueSource::Invalid(why) => Bound::Invalid(why.clone()),
            ValueSource::Param(name) => Bound::PipelineParam(name),
            ValueSource::Output(task, output) => Bound::Output(*task, output),
        }
    }
}

/// One value placed in the object.
#[derive(Clone, Debug)]
struct PlacedValue {
    at: String,
    source: ValueSource,
    rust_type: &'static str,
    schema: TypeSchema,
}

/// The input name a value placed at `at` is given: the pointer's last token as a Rust
/// identifier (`/spec/resources/requests/storage` → `storage`), `value` when nothing is left.
fn input_name(at: &str) -> String {
    let last = at.rsplit('/').next().unwrap_or_default();
    let last = last.replace("~1", "/").replace("~0", "~");
    let mut name: String = last
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    name = name.trim_matches('_').to_owned();
    if name.is_empty() {
        return "value".to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("value_{name}");
    }
    name
}

impl ResourceStep {
    /// A step named `name` (its component and task name) doing `action` on `object`.
    ///
    /// # Panics
    /// If `object` cannot be serialised (a map with non-string keys); while tracing, the panic
    /// is reported as A0022 naming the step.
    pub fn new(name: &str, action: ResourceAction, object: &impl Serialize) -> Self {
        let value = serde_json::to_value(object).unwrap_or_else(|e| {
            panic!("the object of resource step `{name}` cannot be serialised: {e}")
        });
        let manifest = serde_saphyr::to_string(&value).unwrap_or_else(|e| {
            panic!("the object of resource step `{name}` cannot be written as YAML: {e}")
        });
        ResourceStep {
            name: name.to_owned(),
            description: None,
            resource: ResourceImpl {
                action,
                manifest,
                merge_strategy: None,
                set_owner_reference: false,
                success: Vec::new(),
                failure: Vec::new(),
                outputs: Vec::new(),
                values: Vec::new(),
            },
            values: Vec::new(),
        }
    }

    /// Creates `object` (`kubectl create`; fails if it exists).
    pub fn create(name: &str, object: &impl Serialize) -> Self {
        Self::new(name, ResourceAction::Create, object)
    }

    /// Creates or updates `object` (`kubectl apply`).
    pub fn apply(name: &str, object: &impl Serialize) -> Self {
        Self::new(name, ResourceAction::Apply, object)
    }

    /// Patches the object `patch` names, merging with `strategy` (custom resources need
    /// [`MergeStrategy::Merge`] or [`MergeStrategy::Json`]).
    pub fn patch(name: &str, patch: &impl Serialize, strategy: MergeStrategy) -> Self {
        let mut step = Self::new(name, ResourceAction::Patch, patch);
        step.resource.merge_strategy = Some(strategy);
        step
    }

    /// Replaces `object` (`kubectl replace`).
    pub fn replace(name: &str, object: &impl Serialize) -> Self {
        Self::new(name, ResourceAction::Replace, object)
    }

    /// Deletes the object `object` names.
    pub fn delete(name: &str, object: &impl Serialize) -> Self {
        Self::new(name, ResourceAction::Delete, object)
    }

    /// Reads the existing object `object` names (to await a condition or read outputs).
    pub fn get(name: &str, object: &impl Serialize) -> Self {
        Self::new(name, ResourceAction::Get, object)
    }

    /// A description (the template's documentation, like a component's doc comment).
    pub fn description(mut self, text: &str) -> Self {
        self.description = Some(text.to_owned());
        self
    }

    /// The step succeeds once `condition` holds (without one, once the action is done).
    pub fn succeed_when(mut self, condition: ObjectCondition) -> Self {
        self.resource.success = condition.0;
        self
    }

    /// The step fails once `condition` holds.
    pub fn fail_when(mut self, condition: ObjectCondition) -> Self {
        self.resource.failure = condition.0;
        self
    }

    /// Makes the workflow the object's owner: deleting the workflow deletes the object.
    pub fn owned_by_workflow(mut self) -> Self {
        self.resource.set_owner_reference = true;
        self
    }

    /// Output parameter `output`: the text `kubectl get -o jsonpath=QUERY` prints
    /// (`{.metadata.name}`).
    pub fn output_json_path(mut self, output: &str, query: &str) -> Self {
        self.resource.outputs.push(ResourceOutput {
            name: output.to_owned(),
            from: ResourceQuery::JsonPath(query.to_owned()),
        });
        self
    }

    /// Output parameter `output`: what `jq FILTER` prints for the object (`.status.phase`).
    pub fn output_jq(mut self, output: &str, filter: &str) -> Self {
        self.resource.outputs.push(ResourceOutput {
            name: output.to_owned(),
            from: ResourceQuery::JqFilter(filter.to_owned()),
        });
        self
    }

    /// Places `value` (a pipeline parameter `Param<T>`, a task's output `ParamRef<T>`, or a
    /// constant) at `at` in the object when the step runs: `at` is a JSON pointer (RFC 6901)
    /// such as `/spec/pytorchReplicaSpecs/Worker/replicas` or
    /// `/spec/template/spec/containers/0/image` (`~1` for a `/` in a key, `~0` for `~`). The
    /// field may exist in the object (its value there is replaced) or be a new key of an
    /// existing mapping; an array element must exist. `T` is a scalar ([`ObjectValue`]):
    /// a `String` is written as a quoted, escaped JSON string, a number bare.
    ///
    /// Refused (A0053) when validated: a pointer that is malformed or points into what the
    /// object lacks, at `apiVersion` or `kind` (they say what the object is, which the step's
    /// conditions and outputs were written for), or at or inside another placed value.
    pub fn value_at<T: ObjectValue>(mut self, at: &str, value: impl IntoParam<T>) -> Self {
        self.values.push(PlacedValue {
            at: at.to_owned(),
            source: ValueSource::of(value.__bind()),
            rust_type: T::RUST_TYPE,
            schema: TypeSchema::of::<T>(),
        });
        self
    }

    /// The step's inputs, one per distinct placed value (named after where it is first
    /// placed), and where each value goes.
    fn placed(&self) -> (Vec<(InputSpec, &ValueSource)>, Vec<ResourceValue>) {
        let mut inputs: Vec<(InputSpec, &ValueSource)> = Vec::new();
        let mut values = Vec::new();
        for placed in &self.values {
            let existing = inputs.iter().find(|(spec, source)| {
                **source == placed.source
                    && matches!(&spec.kind, IoKind::Parameter { rust_type, .. } if rust_type.as_str() == placed.rust_type)
            });
            let input = match existing {
                Some((spec, _)) => spec.name.clone(),
                None => {
                    let stem = input_name(&placed.at);
                    let mut name = stem.clone();
                    let mut n = 2;
                    while inputs.iter().any(|(spec, _)| spec.name == name) {
                        name = format!("{stem}_{n}");
                        n += 1;
                    }
                    inputs.push((
                        InputSpec {
                            name: name.clone(),
                            kind: IoKind::Parameter {
                                rust_type: placed.rust_type.to_owned(),
                                schema: placed.schema.clone(),
                            },
                            default: None,
                            optional: false,
                        },
                        &placed.source,
                    ));
                    name
                }
            };
            values.push(ResourceValue {
                at: placed.at.clone(),
                input,
            });
        }
        (inputs, values)
    }

    /// The component this step is: an input parameter per distinct placed value, a `String`
    /// output parameter per query.
    pub fn spec(&self) -> ComponentSpec {
        let (inputs, values) = self.placed();
        let mut resource = self.resource.clone();
        resource.values = values;
        ComponentSpec {
            name: self.name.clone(),
            description: self.description.clone(),
            inputs: inputs.into_iter().map(|(spec, _)| spec).collect(),
            outputs: self
                .resource
                .outputs
                .iter()
                .map(|o| OutputSpec {
                    name: o.name.clone(),
                    kind: IoKind::Parameter {
                        rust_type: "String".to_owned(),
                        schema: crate::schema::TypeSchema::Text,
                    },
                })
                .collect(),
            implementation: Implementation::Resource(resource),
            code_hash: None,
            config: crate::ir::TaskConfig::default(),
        }
    }

    /// Adds the step to the pipeline being traced; returns its task.
    ///
    /// # Panics
    /// Outside a `#[pipeline]` function.
    #[track_caller]
    pub fn add(self) -> ResourceTask {
        let location = Location::caller();
        ResourceTask {
            handle: trace::add_built_task(self.spec(), self.arguments(), location),
        }
    }

    /// The values bound to the step's inputs.
    fn arguments(&self) -> Vec<(String, Bound)> {
        self.placed()
            .0
            .into_iter()
            .map(|(spec, source)| (spec.name, source.bound()))
            .collect()
    }
}

/// A resource step's task: order other tasks after it, read its outputs.
#[derive(Clone, Copy, Debug)]
pub struct ResourceTask {
    handle: TaskHandle,
}

impl ResourceTask {
    /// Output parameter `output` (declared with `output_json_path` or `output_jq`); reading an
    /// undeclared one is A0007 when the pipeline is validated.
    pub fn output(&self, output: &'static str) -> ParamRef<String> {
        ParamRef::__new(self.handle, output)
    }

    /// Runs this step only after `other` finished well.
    pub fn after(self, other: &impl crate::AsTask) -> Self {
        trace::add_after(self.handle, other.task_handle());
        self
    }
}

impl crate::AsTask for ResourceTask {
    fn task_handle(&self) -> TaskHandle {
        self.handle
    }
}

/// A persistent volume claim created by a step (KFP's `VolumeOp`), named
/// `{{workflow.name}}-<stem>` so each run has its own.
#[derive(Clone, Debug)]
#[must_use = "a claim does nothing until `.add()` adds its step to the pipeline"]
pub struct Pvc {
    stem: String,
    size: String,
    size_from: Option<(ValueSource, &'static str)>,
    access_modes: Vec<String>,
    storage_class: Option<String>,
    wait_bound: bool,
    owned: bool,
}

impl Pvc {
    /// A claim of `size` (a quantity: `10Gi`), `ReadWriteOnce`, the default storage class.
    pub fn new(stem: &str, size: &str) -> Self {
        Pvc {
            stem: stem.to_owned(),
            size: size.to_owned(),
            size_from: None,
            access_modes: vec!["ReadWriteOnce".to_owned()],
            storage_class: None,
            wait_bound: false,
            owned: false,
        }
    }

    /// The access modes (`ReadWriteMany` for a claim several pods write at once).
    pub fn access_modes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, modes: I) -> Self {
        self.access_modes = modes.into_iter().map(Into::into).collect();
        self
    }

    /// Takes the size from a value of the run instead (a `Param<String>` such as
    /// `claim_size`, or a task's output): Argo places it in the object when the step runs. The
    /// size given to [`Pvc::new`] stays in the object only as a placeholder.
    pub fn size_from(mut self, size: impl IntoParam<String>) -> Self {
        self.size_from = Some((ValueSource::of(size.__bind()), String::RUST_TYPE));
        self
    }

    /// The storage class.
    pub fn storage_class(mut self, class: &str) -> Self {
        self.storage_class = Some(class.to_owned());
        self
    }

    /// Waits until the claim is `Bound`. Leave it off for a `WaitForFirstConsumer` storage
    /// class: such a claim binds only when a pod uses it, so the step would never finish.
    pub fn wait_until_bound(mut self) -> Self {
        self.wait_bound = true;
        self
    }

    /// Deletes the claim with the workflow (an owner reference).
    pub fn owned_by_workflow(mut self) -> Self {
        self.owned = true;
        self
    }

    /// The claim's name as later tasks mount it: `{{workflow.name}}-<stem>`.
    pub fn claim_name(&self) -> String {
        run_scoped_name(&self.stem)
    }

    /// The claim as a Kubernetes object.
    pub fn object(&self) -> k8s_openapi::api::core::v1::PersistentVolumeClaim {
        use k8s_openapi::api::core::v1::{
            PersistentVolumeClaim, PersistentVolumeClaimSpec, VolumeResourceRequirements,
        };
        use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
        PersistentVolumeClaim {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(self.claim_name()),
                ..Default::default()
            },
            spec: Some(PersistentVolumeClaimSpec {
                access_modes: Some(self.access_modes.clone()),
                storage_class_name: self.storage_class.clone(),
                resources: Some(VolumeResourceRequirements {
                    requests: Some(
                        [("storage".to_owned(), Quantity(self.size.clone()))]
                            .into_iter()
                            .collect(),
                    ),
                    limits: None,
                }),
                ..Default::default()
            }),
            status: None,
        }
    }

    /// The step that creates the claim, with output `name`.
    pub fn step(&self) -> ResourceStep {
        let mut step = ResourceStep::create(&format!("create-{}", self.stem), &self.object())
            .output_json_path("name", "{.metadata.name}");
        if self.wait_bound {
            step = step.succeed_when(field("status.phase").eq("Bound"));
        }
        if self.owned {
            step = step.owned_by_workflow();
        }
        if let Some((source, rust_type)) = &self.size_from {
            step.values.push(PlacedValue {
                at: "/spec/resources/requests/storage".to_owned(),
                source: source.clone(),
                rust_type,
                schema: TypeSchema::of::<String>(),
            });
        }
        step
    }

    /// Adds the step to the pipeline being traced.
    #[track_caller]
    pub fn add(self) -> PvcTask {
        let claim_name = self.claim_name();
        let location = Location::caller();
        PvcTask {
            task: ResourceTask {
                handle: {
                    let step = self.step();
                    trace::add_built_task(step.spec(), step.arguments(), location)
                },
            },
            claim_name,
        }
    }
}

/// The task that created a claim.
#[derive(Clone, Debug)]
pub struct PvcTask {
    task: ResourceTask,
    claim_name: String,
}

impl PvcTask {
    /// The created claim's name as an output parameter (for a task that takes it as a value).
    pub fn name(&self) -> ParamRef<String> {
        self.task.output("name")
    }

    /// The claim's name for `.add_pvc_volume(volume, &claim.claim_name(), mount_path)` of a
    /// later task, which must also run `.after(&claim)`.
    pub fn claim_name(&self) -> String {
        self.claim_name.clone()
    }
}

impl crate::AsTask for PvcTask {
    fn task_handle(&self) -> TaskHandle {
        self.task.handle
    }
}

/// A CSI `VolumeSnapshot` (`snapshot.storage.k8s.io/v1`) of a claim: a typed minimal object,
/// since `k8s-openapi` holds only built-in kinds.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshot {
    api_version: &'static str,
    kind: &'static str,
    /// `name` (or `generateName`) of the snapshot.
    pub metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    /// What to snapshot.
    pub spec: VolumeSnapshotSpec,
}

/// The `spec` of a [`VolumeSnapshot`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotSpec {
    /// The class (driver settings); the cluster's default when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_snapshot_class_name: Option<String>,
    /// The claim to snapshot.
    pub source: VolumeSnapshotSource,
}

/// The `spec.source` of a [`VolumeSnapshot`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSnapshotSource {
    /// The claim, in the workflow's namespace.
    pub persistent_volume_claim_name: String,
}

impl VolumeSnapshot {
    /// A snapshot named `{{workflow.name}}-<stem>` of claim `claim`.
    pub fn of_claim(stem: &str, claim: &str) -> Self {
        VolumeSnapshot {
            api_version: "snapshot.storage.k8s.io/v1",
            kind: "VolumeSnapshot",
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(run_scoped_name(stem)),
                ..Default::default()
            },
            spec: VolumeSnapshotSpec {
                volume_snapshot_class_name: None,
                source: VolumeSnapshotSource {
                    persistent_volume_claim_name: claim.to_owned(),
                },
            },
        }
    }

    /// The step that takes the snapshot and waits until it can be restored from
    /// (`status.readyToUse`), failing on a reported error; output `name`.
    pub fn step(&self, name: &str) -> ResourceStep {
        ResourceStep::create(name, self)
            .succeed_when(field("status.readyToUse").eq(true))
            .fail_when(field("status.error.message").exists())
            .output_json_path("name", "{.metadata.name}")
    }
}

/// A Kubeflow training-operator `PyTorchJob` (`kubeflow.org/v1`): a typed minimal object of
/// a master and workers, each one container of `image` running `command`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PyTorchJob {
    api_version: &'static str,
    kind: &'static str,
    /// The job's name.
    pub metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    /// The replicas.
    pub spec: PyTorchJobSpec,
}

/// The `spec` of a [`PyTorchJob`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PyTorchJobSpec {
    /// `Master` and `Worker` replica specs.
    pub pytorch_replica_specs: std::collections::BTreeMap<String, ReplicaSpec>,
}

/// One replica group of a [`PyTorchJob`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaSpec {
    /// How many pods.
    pub replicas: u32,
    /// `OnFailure`, `Never`, `Always` or `ExitCode`.
    pub restart_policy: String,
    /// The pod.
    pub template: k8s_openapi::api::core::v1::PodTemplateSpec,
}

impl PyTorchJob {
    /// A job named `{{workflow.name}}-<stem>`: one master and `workers` workers, each running
    /// `command` in `image` (container name `pytorch`, which the operator requires).
    pub fn new(stem: &str, image: &str, command: &[&str], workers: u32) -> Self {
        use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
        let pod = PodTemplateSpec {
            metadata: None,
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "pytorch".to_owned(),
                    image: Some(image.to_owned()),
                    command: Some(command.iter().map(|s| (*s).to_owned()).collect()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        };
        let replica = |replicas| ReplicaSpec {
            replicas,
            restart_policy: "OnFailure".to_owned(),
            template: pod.clone(),
        };
        let mut specs = std::collections::BTreeMap::new();
        specs.insert("Master".to_owned(), replica(1));
        if workers > 0 {
            specs.insert("Worker".to_owned(), replica(workers));
        }
        PyTorchJob {
            api_version: "kubeflow.org/v1",
            kind: "PyTorchJob",
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(run_scoped_name(stem)),
                ..Default::default()
            },
            spec: PyTorchJobSpec {
                pytorch_replica_specs: specs,
            },
        }
    }

    /// Edits every replica's pod (volumes, resources, environment).
    pub fn edit_pods(
        mut self,
        mut edit: impl FnMut(&mut k8s_openapi::api::core::v1::PodSpec),
    ) -> Self {
        for replica in self.spec.pytorch_replica_specs.values_mut() {
            if let Some(pod) = replica.template.spec.as_mut() {
                edit(pod);
            }
        }
        self
    }

    /// The step that launches the job and waits for it: done when the master succeeded,
    /// failed when it failed (the operator's `status.replicaStatuses.Master`), owned by the
    /// workflow so stopping the run stops the job; output `name`.
    pub fn step(&self, name: &str) -> ResourceStep {
        ResourceStep::create(name, self)
            .succeed_when(field("status.replicaStatuses.Master.succeeded").gt(0))
            .fail_when(field("status.replicaStatuses.Master.failed").gt(0))
            .owned_by_workflow()
            .output_json_path("name", "{.metadata.name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_render_as_argo_label_selectors() {
        let c = field("status.phase")
            .eq("Bound")
            .and(field("status.succeeded").gt(0))
            .and(field("status.x").is_in(["a", "b"]))
            .and(field("status.y").not_in(["c"]))
            .and(field("status.z").exists())
            .and(field("status.w").absent())
            .and(field("status.v").ne("Failed"))
            .and(field("status.u").lt(3));
        assert_eq!(
            c.to_string(),
            "status.phase == Bound,status.succeeded > 0,status.x in (a,b),status.y notin (c),status.z,!status.w,status.v != Failed,status.u < 3"
        );
    }

    #[test]
    fn a_pvc_is_named_after_the_run_and_outputs_its_name() {
        let step = Pvc::new("data", "5Gi").wait_until_bound().step();
        let spec = step.spec();
        let Implementation::Resource(r) = &spec.implementation else {
            panic!("a resource step")
        };
        assert_eq!(r.action, ResourceAction::Create);
        assert!(
            r.manifest.contains("name: '{{workflow.name}}-data'")
                || r.manifest.contains("name: \"{{workflow.name}}-data\""),
            "{}",
            r.manifest
        );
        assert!(
            r.manifest
                .starts_with("apiVersion: v1\nkind: PersistentVolumeClaim\n"),
            "{}",
            r.manifest
        );
        assert!(r.manifest.contains("storage: 5Gi"), "{}", r.manifest);
        assert_eq!(
            crate::ir::selector_text(&r.success),
            "status.phase == Bound"
        );
        assert_eq!(spec.outputs[0].name, "name");
    }

    #[test]
    fn placed_values_become_inputs_named_after_where_they_go() {
        let size = crate::dsl::Param::<String>::named("claim_size");
        let workers = crate::dsl::Param::<u32>::named("workers");
        let step = Pvc::new("data", "1Gi").size_from(size).step();
        let job = PyTorchJob::new("train", "img", &["run"], 2)
            .step("train")
            .value_at("/spec/pytorchReplicaSpecs/Worker/replicas", workers)
            .value_at("/spec/pytorchReplicaSpecs/Master/replicas", workers)
            .value_at("/metadata/labels/team~1name", "vision".to_owned())
            .value_at("/metadata/annotations/0", 3_u8);
        let spec = step.spec();
        assert_eq!(spec.inputs.len(), 1);
        assert_eq!(spec.inputs[0].name, "storage");
        let spec = job.spec();
        // One input per distinct value, however many places it goes to.
        let names: Vec<_> = spec.inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["replicas", "team_name", "value_0"]);
        let Implementation::Resource(r) = &spec.implementation else {
            panic!("a resource step")
        };
        let inputs: Vec<_> = r.values.iter().map(|v| v.input.as_str()).collect();
        assert_eq!(inputs, ["replicas", "replicas", "team_name", "value_0"]);
        assert!(matches!(
            &spec.inputs[0].kind,
            IoKind::Parameter { rust_type, schema: TypeSchema::Integer { .. } } if rust_type == "u32"
        ));
        let args = job.arguments();
        assert!(matches!(args[0], (ref n, Bound::PipelineParam("workers")) if n == "replicas"));
        assert!(matches!(args[1], (_, Bound::Constant(ref c)) if c == "vision"));
        assert!(matches!(args[2], (_, Bound::Constant(ref c)) if c == "3"));
        // The object as written keeps its own values; the emitter places the expressions.
        assert!(r.manifest.contains("replicas: 2"), "{}", r.manifest);
    }

    #[test]
    fn a_pytorch_job_is_awaited_on_its_master() {
        let job = PyTorchJob::new(
            "train",
            "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime",
            &["python", "train.py"],
            2,
        );
        let Implementation::Resource(r) = job.step("train").spec().implementation else {
            panic!("a resource step")
        };
        assert!(
            r.manifest
                .starts_with("apiVersion: kubeflow.org/v1\nkind: PyTorchJob\n"),
            "{}",
            r.manifest
        );
        assert!(r.set_owner_reference);
        assert_eq!(
            crate::ir::selector_text(&r.success),
            "status.replicaStatuses.Master.succeeded > 0"
        );
        assert_eq!(
            crate::ir::selector_text(&r.failure),
            "status.replicaStatuses.Master.failed > 0"
        );
    }
}
