//! Pod and run settings in the DSL: methods on every task handle, named as Kubeflow
//! Pipelines names them (`set_cpu_limit`, `set_retry`, `add_node_selector_constraint`, …),
//! the same methods on [`ComponentSettings`] for every task of a component
//! (`#[component(settings = …)]`) and on [`task_defaults`] for every task of the pipeline.
//!
//! A task's settings are laid over its component's and the pipeline's defaults
//! ([`crate::ir::TaskConfig::merged_over`]); validation checks them (A0030, A0039) and the
//! Argo emitter puts them on the task's template, which is shared by the tasks with equal
//! settings. Values are Kubernetes' own: quantities as Kubernetes writes them (`500m`,
//! `4Gi`), tolerations as `k8s-openapi`'s `Toleration`.
//!
//! ```
//! use argot::prelude::*;
//!
//! #[component]
//! fn fit(rows: u32) -> Result<f64> {
//!     Ok(f64::from(rows))
//! }
//!
//! #[pipeline(image = "ghcr.io/acme/train:1.0")]
//! fn nightly() {
//!     task_defaults().set_retry(2);
//!     fit(1000)
//!         .set_cpu_request("2")
//!         .set_memory_limit("8Gi")
//!         .set_accelerator_limit("nvidia.com/gpu", 1)
//!         .set_timeout("2h")
//!         .add_node_selector_constraint("cloud.google.com/gke-accelerator", "nvidia-tesla-t4");
//! }
//! # fn main() {}
//! ```

use k8s_openapi::api::core::v1::{
    ConfigMapKeySelector, ConfigMapVolumeSource, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    KeyToPath, ObjectFieldSelector, PersistentVolumeClaimVolumeSource, ResourceRequirements,
    SecretKeySelector, SecretVolumeSource, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::dsl::{Param, ParamRef};
use crate::format::{Displayed, Formatted};
pub use crate::ir::TemplateEdit;
use crate::ir::{
    Backoff, Comparison, RetryCondition, RetryOn, RetryPolicy, RetryStatus, RetryValue, TaskConfig,
};
use crate::trace::{self, Bound, FormatBound};

mod output_key;

pub use output_key::{Fixed, KeyValue, OutputKey, OutputKeyValue, WithValues};

/// A key of a Kubernetes secret: what a task reads as an environment variable
/// ([`TaskOptions::set_env_from_secret`]). Only the reference travels: the manifest holds the
/// secret's name and key, never its value, and a `Secret` cannot feed a parameter (it is not
/// a value argot knows). Locally, `run --secret NAME/KEY=env:VAR` (or `=file:PATH`) says
/// where the value is on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    name: String,
    key: String,
}

impl Secret {
    /// Key `key` of the secret called `name` in the workflow's namespace.
    pub fn new(name: impl Into<String>, key: impl Into<String>) -> Secret {
        Secret {
            name: name.into(),
            key: key.into(),
        }
    }
}

/// When a failed attempt is tried again, beyond the retry policy and limit: the typed form
/// of Argo's `retryStrategy.expression`, given to [`TaskOptions::set_retry_expression`].
/// Conditions combine with `&`, `|` and `!` (or [`RetryIf::and`], [`RetryIf::or`]).
///
/// ```
/// use argot::prelude::*;
///
/// // Retry a crash or an out-of-memory kill, not a wrong answer (exit code 2), and give up
/// // on attempts that ran for more than an hour.
/// let retry = (RetryIf::exit_code().is_not(2) | RetryIf::exit_code().is(137))
///     & RetryIf::duration_secs().at_most(3600);
/// # let _ = retry;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryIf(RetryCondition);

/// A number of the last attempt, to compare with a constant ([`RetryIf::exit_code`],
/// [`RetryIf::duration_secs`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryNumber(RetryValue);

impl RetryNumber {
    fn compare(self, op: Comparison, than: i64) -> RetryIf {
        RetryIf(RetryCondition::Compare {
            value: self.0,
            op,
            than,
        })
    }

    /// The number equals `n`.
    pub fn is(self, n: i64) -> RetryIf {
        self.compare(Comparison::Equal, n)
    }

    /// The number differs from `n`.
    pub fn is_not(self, n: i64) -> RetryIf {
        self.compare(Comparison::NotEqual, n)
    }

    /// The number is greater than `n`.
    pub fn greater_than(self, n: i64) -> RetryIf {
        self.compare(Comparison::Greater, n)
    }

    /// The number is at least `n`.
    pub fn at_least(self, n: i64) -> RetryIf {
        self.compare(Comparison::GreaterOrEqual, n)
    }

    /// The number is less than `n`.
    pub fn less_than(self, n: i64) -> RetryIf {
        self.compare(Comparison::Less, n)
    }

    /// The number is at most `n`.
    pub fn at_most(self, n: i64) -> RetryIf {
        self.compare(Comparison::LessOrEqual, n)
    }
}

impl RetryIf {
    /// The last attempt's main-container exit code (`lastRetry.exitCode`): `-1` when it never
    /// ran, 128 + N when signal N killed it (137 for an out-of-memory kill).
    pub fn exit_code() -> RetryNumber {
        RetryNumber(RetryValue::ExitCode)
    }

    /// How many seconds the last attempt ran (`lastRetry.duration`).
    pub fn duration_secs() -> RetryNumber {
        RetryNumber(RetryValue::DurationSeconds)
    }

    /// The last attempt failed: its main container exited non-zero (`lastRetry.status ==
    /// "Failed"`).
    pub fn failed() -> RetryIf {
        RetryIf(RetryCondition::Status(RetryStatus::Failed))
    }

    /// The last attempt errored: it could not run properly (`lastRetry.status == "Error"`).
    pub fn errored() -> RetryIf {
        RetryIf(RetryCondition::Status(RetryStatus::Error))
    }

    /// The last attempt's message contains `text` (`lastRetry.message contains "…"`). Argo
    /// writes its own messages (`Error (exit code 1)`, `pod deleted`); `run` writes
    /// `exit code 1` for the same failure, so match on the part both share.
    pub fn message_contains(text: &str) -> RetryIf {
        RetryIf(RetryCondition::MessageContains(text.to_owned()))
    }

    /// Both conditions hold.
    pub fn and(self, other: RetryIf) -> RetryIf {
        RetryIf(match (self.0, other.0) {
            (RetryCondition::All(mut all), RetryCondition::All(more)) => {
                all.extend(more);
                RetryCondition::All(all)
            }
            (RetryCondition::All(mut all), c) => {
                all.push(c);
                RetryCondition::All(all)
            }
            (a, b) => RetryCondition::All(vec![a, b]),
        })
    }

    /// At least one of the conditions holds.
    pub fn or(self, other: RetryIf) -> RetryIf {
        RetryIf(match (self.0, other.0) {
            (RetryCondition::Any(mut any), RetryCondition::Any(more)) => {
                any.extend(more);
                RetryCondition::Any(any)
            }
            (RetryCondition::Any(mut any), c) => {
                any.push(c);
                RetryCondition::Any(any)
            }
            (a, b) => RetryCondition::Any(vec![a, b]),
        })
    }

    /// The condition in the IR.
    pub fn into_condition(self) -> RetryCondition {
        self.0
    }
}

impl std::ops::BitAnd for RetryIf {
    type Output = RetryIf;
    fn bitand(self, other: RetryIf) -> RetryIf {
        self.and(other)
    }
}

impl std::ops::BitOr for RetryIf {
    type Output = RetryIf;
    fn bitor(self, other: RetryIf) -> RetryIf {
        self.or(other)
    }
}

impl std::ops::Not for RetryIf {
    type Output = RetryIf;
    fn not(self) -> RetryIf {
        RetryIf(match self.0 {
            RetryCondition::Not(inner) => *inner,
            c => RetryCondition::Not(Box::new(c)),
        })
    }
}

/// When the kubelet pulls a task's image (`imagePullPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImagePullPolicy {
    /// On every start.
    Always,
    /// Only when the node does not have it.
    IfNotPresent,
    /// Never: the node must have it.
    Never,
}

impl ImagePullPolicy {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ImagePullPolicy::Always => "Always",
            ImagePullPolicy::IfNotPresent => "IfNotPresent",
            ImagePullPolicy::Never => "Never",
        }
    }
}

/// Sets environment variable `name` from `source`, replacing an earlier one.
fn set_env_from(config: &mut TaskConfig, name: &str, source: EnvVarSource) {
    config.env.retain(|e| e.name != name);
    config.env.push(EnvVar {
        name: name.to_owned(),
        value: None,
        value_from: Some(source),
    });
}

/// Where settings go: one task, or the pipeline's defaults.
#[doc(hidden)]
pub trait SettingsTarget {
    /// Applies `edit` to the settings this handle stands for.
    fn __edit(&self, edit: &mut dyn FnMut(&mut TaskConfig));

    /// The text a setting holds for `pieces`: constant text as it is. Only a task can take
    /// run-time values ([`SettingValue`] is implemented for them on task handles alone), so
    /// the defaults and a component's settings only ever see text.
    #[doc(hidden)]
    fn __text(
        &self,
        pieces: Vec<FormatBound>,
        _location: &'static std::panic::Location<'static>,
    ) -> Option<String> {
        let mut text = String::new();
        for piece in pieces {
            if let FormatBound::Text(t) = piece {
                text.push_str(&t);
            }
        }
        Some(text)
    }
}

impl<T: crate::AsTask> SettingsTarget for T {
    fn __edit(&self, edit: &mut dyn FnMut(&mut TaskConfig)) {
        trace::configure_task(self.task_handle(), edit);
    }

    /// Each run-time value becomes an argument of the task (`argot-setting-N`), and the text
    /// holds its placeholder.
    fn __text(
        &self,
        pieces: Vec<FormatBound>,
        location: &'static std::panic::Location<'static>,
    ) -> Option<String> {
        let mut text = String::new();
        for piece in pieces {
            let bound = match piece {
                FormatBound::Text(t) => {
                    text.push_str(&t);
                    continue;
                }
                FormatBound::Param(name, _) => Bound::PipelineParam(name),
                FormatBound::Output(task, output, _) => Bound::Output(task, output),
            };
            text.push_str(&trace::bind_setting(self.task_handle(), bound, location)?);
        }
        Some(text)
    }
}

/// A value an environment variable, a pod label or annotation, or the image of a task can
/// take: text (`&str`, `String`) anywhere, and on a task also a pipeline parameter
/// `Param<T>`, a task's output `ParamRef<T>` or a [`format_arg!`](crate::format_arg) of them,
/// where `T` is a string, an integer, a float, `bool` or `char`.
///
/// A run-time value arrives as its wire form ([`crate::value`]), on Argo (which pastes
/// `{{inputs.parameters.…}}` into the text) and under `run` alike: a `String` as itself
/// unless it holds `{`, `}`, `$`, a control character, outer whitespace or starts with `"`
/// (then as an escaped JSON string literal), a number or `bool` as JSON writes it (`0.5`,
/// `2`, `true`; a float with no fraction keeps `.0`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the value of this setting here",
    label = "expected text, or on a task a `Param<T>`, a `ParamRef<T>` or `format_arg!(…)`",
    note = "a run-time value (a pipeline parameter or a task's output) can only be given to one task's setting: `task_defaults()` and `#[component(settings = …)]` take text; a `Secret` goes through `set_env_from_secret`"
)]
pub trait SettingValue<Target> {
    #[doc(hidden)]
    fn __pieces(self) -> Vec<FormatBound>;
}

impl<S> SettingValue<S> for &str {
    fn __pieces(self) -> Vec<FormatBound> {
        vec![FormatBound::Text(self.to_owned())]
    }
}

impl<S> SettingValue<S> for String {
    fn __pieces(self) -> Vec<FormatBound> {
        vec![FormatBound::Text(self)]
    }
}

impl<S> SettingValue<S> for &String {
    fn __pieces(self) -> Vec<FormatBound> {
        vec![FormatBound::Text(self.clone())]
    }
}

/// A handle whose settings can take run-time values: a task's (anything [`crate::AsTask`]),
/// not the defaults' or a component's, which hold for tasks that may not see the value. A
/// run-time value given to `task_defaults()` fails to compile, rustc saying that
/// `TaskDefaults` does not implement `AsTask`, required for `TakesRunTimeValues`.
pub trait TakesRunTimeValues: crate::AsTask {}

impl<T: crate::AsTask> TakesRunTimeValues for T {}

impl<T: TakesRunTimeValues, U: Displayed> SettingValue<T> for Param<U> {
    fn __pieces(self) -> Vec<FormatBound> {
        vec![FormatBound::Param(self.name(), U::DISPLAY)]
    }
}

impl<T: TakesRunTimeValues, U: Displayed> SettingValue<T> for ParamRef<U> {
    fn __pieces(self) -> Vec<FormatBound> {
        let (task, output) = self.__parts();
        vec![FormatBound::Output(task, output, U::DISPLAY)]
    }
}

impl<T: TakesRunTimeValues> SettingValue<T> for Formatted {
    fn __pieces(self) -> Vec<FormatBound> {
        self.__into_pieces()
    }
}

/// The settings of every task of the pipeline being traced, under each task's and its
/// component's own; see [`task_defaults`].
#[derive(Clone, Copy, Debug)]
pub struct TaskDefaults {
    _private: (),
}

/// The pipeline-wide defaults, set with the same methods as a task's:
/// `task_defaults().set_retry(2).set_memory_request("1Gi");`.
pub fn task_defaults() -> TaskDefaults {
    TaskDefaults { _private: () }
}

impl SettingsTarget for TaskDefaults {
    fn __edit(&self, edit: &mut dyn FnMut(&mut TaskConfig)) {
        trace::configure_defaults(edit);
    }
}

/// A component's settings, built by the function `#[component(settings = …)]` names with
/// the same methods as a task's; every task of the component gets them, under its own.
///
/// ```
/// use argot::prelude::*;
///
/// fn gpu(s: ComponentSettings) -> ComponentSettings {
///     s.set_accelerator_limit("nvidia.com/gpu", 1).set_memory_request("16Gi")
/// }
///
/// #[component(settings = gpu)]
/// fn train(rows: u32) -> Result<f64> {
///     Ok(f64::from(rows))
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Default)]
pub struct ComponentSettings {
    config: std::cell::RefCell<TaskConfig>,
}

impl SettingsTarget for ComponentSettings {
    fn __edit(&self, edit: &mut dyn FnMut(&mut TaskConfig)) {
        edit(&mut self.config.borrow_mut());
    }
}

/// The settings `settings` builds (generated code, for `#[component(settings = …)]`).
#[doc(hidden)]
pub fn component_settings(settings: fn(ComponentSettings) -> ComponentSettings) -> TaskConfig {
    settings(ComponentSettings::default()).config.into_inner()
}

/// Adds `volume`, mounted at `mount_path`, and the variable through which
/// [`crate::dsl::volume_path`] finds it.
fn add_volume(config: &mut TaskConfig, volume: Volume, mount_path: &str) {
    let name = volume.name.clone();
    config.volumes.retain(|v| v.name != name);
    config.run_volumes.retain(|v| v.name != name);
    config.volumes.push(volume);
    mount(config, &name, mount_path);
}

/// Mounts volume `name` at `mount_path`, with the variable through which
/// [`crate::dsl::volume_path`] finds it.
fn mount(config: &mut TaskConfig, name: &str, mount_path: &str) {
    let name = name.to_owned();
    config.volume_mounts.retain(|m| m.name != name);
    config.volume_mounts.push(VolumeMount {
        name: name.clone(),
        mount_path: mount_path.to_owned(),
        ..VolumeMount::default()
    });
    let var = crate::protocol::volume_env(&name);
    config.env.retain(|e| e.name != var);
    config.env.push(EnvVar {
        name: var,
        value: Some(mount_path.to_owned()),
        value_from: None,
    });
}

fn quantity(q: &str) -> Quantity {
    Quantity(q.to_owned())
}

fn set_resource(config: &mut TaskConfig, limit: bool, name: &str, q: &str) {
    let resources = config
        .resources
        .get_or_insert_with(ResourceRequirements::default);
    let map = if limit {
        resources.limits.get_or_insert_with(Default::default)
    } else {
        resources.requests.get_or_insert_with(Default::default)
    };
    map.insert(name.to_owned(), quantity(q));
}

/// Pod and run settings of a task (or, on [`task_defaults`], of every task). Each returns the
/// handle, so calls chain.
pub trait TaskOptions: SettingsTarget + Sized {
    /// Requests `cpu` cores (`"500m"`, `"2"`).
    fn set_cpu_request(self, cpu: &str) -> Self {
        self.__edit(&mut |c| set_resource(c, false, "cpu", cpu));
        self
    }

    /// Limits the task to `cpu` cores.
    fn set_cpu_limit(self, cpu: &str) -> Self {
        self.__edit(&mut |c| set_resource(c, true, "cpu", cpu));
        self
    }

    /// Requests `memory` (`"512Mi"`, `"4Gi"`).
    fn set_memory_request(self, memory: &str) -> Self {
        self.__edit(&mut |c| set_resource(c, false, "memory", memory));
        self
    }

    /// Limits the task's memory.
    fn set_memory_limit(self, memory: &str) -> Self {
        self.__edit(&mut |c| set_resource(c, true, "memory", memory));
        self
    }

    /// Asks for `count` of an extended resource (`"nvidia.com/gpu"`, `"google.com/tpu"`, any
    /// vendor's): Kubernetes takes extended resources as limits (the request equals it).
    fn set_accelerator_limit(self, resource: &str, count: u32) -> Self {
        let count = count.to_string();
        self.__edit(&mut |c| set_resource(c, true, resource, &count));
        self
    }

    /// Requests any resource by name (`ephemeral-storage`, `hugepages-2Mi`, …).
    fn set_resource_request(self, resource: &str, quantity: &str) -> Self {
        self.__edit(&mut |c| set_resource(c, false, resource, quantity));
        self
    }

    /// Limits any resource by name.
    fn set_resource_limit(self, resource: &str, quantity: &str) -> Self {
        self.__edit(&mut |c| set_resource(c, true, resource, quantity));
        self
    }

    /// Retries a failed attempt up to `limit` more times (Argo `retryStrategy.limit`; by
    /// default only failures of the main container, `OnFailure`).
    fn set_retry(self, limit: u32) -> Self {
        self.__edit(&mut |c| {
            c.retry.get_or_insert_with(RetryPolicy::default).limit = Some(limit);
        });
        self
    }

    /// Which failures are retried (`RetryOn::Always`, `OnError`, `OnTransientError`), as
    /// often as [`TaskOptions::set_retry`] says here, on the component or in the pipeline's
    /// defaults (once when none does).
    fn set_retry_policy(self, on: RetryOn) -> Self {
        self.__edit(&mut |c| {
            c.retry.get_or_insert_with(RetryPolicy::default).on = Some(on);
        });
        self
    }

    /// Retries only while `condition` holds for the last attempt, on top of the limit and the
    /// policy (Argo `retryStrategy.expression`): `.set_retry(3)
    /// .set_retry_expression(RetryIf::exit_code().is(137))` retries out-of-memory kills only.
    /// Without [`TaskOptions::set_retry_policy`], failures and errors are both retried when
    /// the condition holds (Argo 3.5 and later). The limit and backoff not set on the task
    /// come from its component and the pipeline's defaults (one retry when none says).
    fn set_retry_expression(self, condition: RetryIf) -> Self {
        let condition = condition.into_condition();
        self.__edit(&mut |c| {
            c.retry.get_or_insert_with(RetryPolicy::default).condition = Some(condition.clone());
        });
        self
    }

    /// Waits between attempts: `duration` first (`"10s"`), multiplied by `factor` each time,
    /// at most `cap` (Argo `retryStrategy.backoff`).
    fn set_retry_backoff(self, duration: &str, factor: Option<u32>, cap: Option<&str>) -> Self {
        self.__edit(&mut |c| {
            let retry = c.retry.get_or_insert_with(RetryPolicy::default);
            let max_duration = retry.backoff.as_ref().and_then(|b| b.max_duration.clone());
            retry.backoff = Some(Backoff {
                duration: duration.to_owned(),
                factor,
                cap: cap.map(str::to_owned),
                max_duration,
            });
        });
        self
    }

    /// Argo's template `timeout` (`"30m"`): counted from when the pod is created, time spent
    /// Pending included, enforced by the controller.
    fn set_timeout(self, duration: &str) -> Self {
        self.__edit(&mut |c| c.timeout = Some(duration.to_owned()));
        self
    }

    /// Argo's `activeDeadlineSeconds`: how long the pod may run once started, enforced by
    /// the kubelet.
    fn set_active_deadline(self, seconds: i64) -> Self {
        self.__edit(&mut |c| c.active_deadline_seconds = Some(seconds));
        self
    }

    /// Sets environment variable `name` of the main container to `value`: text (where the
    /// kubelet expands `$(VAR)` of earlier variables) or, on a task, a run-time value
    /// ([`SettingValue`]: `set_env_variable("TAG", tag)`).
    #[track_caller]
    fn set_env_variable<V: SettingValue<Self>>(self, name: &str, value: V) -> Self {
        let location = std::panic::Location::caller();
        let Some(value) = self.__text(value.__pieces(), location) else {
            return self;
        };
        self.__edit(&mut |c| {
            c.env.retain(|e| e.name != name);
            c.env.push(EnvVar {
                name: name.to_owned(),
                value: Some(value.clone()),
                value_from: None,
            });
        });
        self
    }

    /// Runs the task in `image` instead of the pipeline's (a native component: the image
    /// must hold the same binary) or the component's own (a container component); on a task
    /// it may take run-time values: `set_container_image(format_arg!("busybox:{}", tag))`.
    /// `run` uses it for container components; a native component runs this binary.
    #[track_caller]
    fn set_container_image<V: SettingValue<Self>>(self, image: V) -> Self {
        let location = std::panic::Location::caller();
        let Some(image) = self.__text(image.__pieces(), location) else {
            return self;
        };
        self.__edit(&mut |c| c.image = Some(image.clone()));
        self
    }

    /// Sets environment variable `name` of the main container to key of a Kubernetes secret
    /// (`valueFrom.secretKeyRef`): the value stays in the cluster.
    fn set_env_from_secret(self, name: &str, secret: &Secret) -> Self {
        self.__edit(&mut |c| {
            c.env.retain(|e| e.name != name);
            c.env.push(EnvVar {
                name: name.to_owned(),
                value: None,
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: secret.name.clone(),
                        key: secret.key.clone(),
                        optional: None,
                    }),
                    ..EnvVarSource::default()
                }),
            });
        });
        self
    }

    /// Mounts an existing persistent volume claim at `mount_path` (checkpoints, a shared data
    /// set). A component finds it with `argot::volume_path(name)`; `run` gives it the folder
    /// `.argot/volumes/<claim>`, kept from run to run as the claim is.
    fn add_pvc_volume(self, name: &str, claim: &str, mount_path: &str) -> Self {
        self.__edit(&mut |c| {
            let volume = Volume {
                name: name.to_owned(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim.to_owned(),
                    read_only: None,
                }),
                ..Volume::default()
            };
            add_volume(c, volume, mount_path);
        });
        self
    }

    /// Mounts an empty folder the pod keeps while it lives (scratch space); `run` gives each
    /// task a fresh folder in its run folder.
    fn add_empty_dir_volume(self, name: &str, mount_path: &str) -> Self {
        self.__edit(&mut |c| {
            let volume = Volume {
                name: name.to_owned(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Volume::default()
            };
            add_volume(c, volume, mount_path);
        });
        self
    }

    /// Mounts a memory-backed empty folder (`emptyDir.medium: Memory`), for example at
    /// `/dev/shm` for data loaders, at most `size_limit` (`"2Gi"`) when given.
    fn add_memory_volume(self, name: &str, mount_path: &str, size_limit: Option<&str>) -> Self {
        self.__edit(&mut |c| {
            let volume = Volume {
                name: name.to_owned(),
                empty_dir: Some(EmptyDirVolumeSource {
                    medium: Some("Memory".to_owned()),
                    size_limit: size_limit.map(quantity),
                }),
                ..Volume::default()
            };
            add_volume(c, volume, mount_path);
        });
        self
    }

    /// Mounts a volume created for the run (Argo's `spec.volumeClaimTemplates`): a claim of
    /// `size` (`"10Gi"`) made when the run starts and deleted with it, shared by every task
    /// that mounts it under the same `name` (`ReadWriteOnce`: tasks using it at the same time
    /// must land on one node). `run` gives the run one folder for it, shared by its tasks.
    fn add_run_volume(self, name: &str, size: &str, mount_path: &str) -> Self {
        self.__edit(&mut |c| {
            c.volumes.retain(|v| v.name != name);
            c.run_volumes.retain(|v| v.name != name);
            c.run_volumes.push(crate::ir::RunVolume {
                name: name.to_owned(),
                size: size.to_owned(),
                storage_class: None,
            });
            mount(c, name, mount_path);
        });
        self
    }

    /// Mounts key `secret.key` of a Kubernetes secret as the file `<mount_path>/<key>`
    /// (a `secret` volume; more keys of the same secret join the same volume). The manifest
    /// names the secret and key only. `run` writes the file from where `--secret NAME/KEY=…`
    /// says into a private temporary folder removed when the task ends (refused without it,
    /// A0031).
    fn add_secret_volume(self, name: &str, secret: &Secret, mount_path: &str) -> Self {
        self.__edit(&mut |c| {
            let mut items: Vec<KeyToPath> = c
                .volumes
                .iter()
                .find(|v| v.name == name)
                .and_then(|v| v.secret.as_ref())
                .filter(|s| s.secret_name.as_deref() == Some(secret.name.as_str()))
                .and_then(|s| s.items.clone())
                .unwrap_or_default();
            items.retain(|i| i.key != secret.key);
            items.push(KeyToPath {
                key: secret.key.clone(),
                path: secret.key.clone(),
                mode: None,
            });
            let volume = Volume {
                name: name.to_owned(),
                secret: Some(SecretVolumeSource {
                    secret_name: Some(secret.name.clone()),
                    items: Some(items),
                    ..SecretVolumeSource::default()
                }),
                ..Volume::default()
            };
            add_volume(c, volume, mount_path);
        });
        self
    }

    /// Mounts every key of config map `config_map` as a file in `mount_path` (a `configMap`
    /// volume). `run` has no config maps: it refuses (A0031).
    fn add_config_map_volume(self, name: &str, config_map: &str, mount_path: &str) -> Self {
        self.__edit(&mut |c| {
            let volume = Volume {
                name: name.to_owned(),
                config_map: Some(ConfigMapVolumeSource {
                    name: config_map.to_owned(),
                    ..ConfigMapVolumeSource::default()
                }),
                ..Volume::default()
            };
            add_volume(c, volume, mount_path);
        });
        self
    }

    /// Sets environment variable `name` to key `key` of config map `config_map`
    /// (`valueFrom.configMapKeyRef`). `run` cannot read a config map: it refuses (A0031).
    fn set_env_from_config_map(self, name: &str, config_map: &str, key: &str) -> Self {
        self.__edit(&mut |c| {
            let source = EnvVarSource {
                config_map_key_ref: Some(ConfigMapKeySelector {
                    name: config_map.to_owned(),
                    key: key.to_owned(),
                    optional: None,
                }),
                ..EnvVarSource::default()
            };
            set_env_from(c, name, source);
        });
        self
    }

    /// Sets environment variable `name` from the downward API: a field of the pod such as
    /// `metadata.name`, `metadata.namespace` or `status.podIP` (`valueFrom.fieldRef`). `run`
    /// has no pod: it refuses (A0031).
    fn set_env_from_field(self, name: &str, field_path: &str) -> Self {
        self.__edit(&mut |c| {
            let source = EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: field_path.to_owned(),
                    api_version: None,
                }),
                ..EnvVarSource::default()
            };
            set_env_from(c, name, source);
        });
        self
    }

    /// Adds a label to the task's pod (KFP's `add_pod_label`); on a task the value may be a
    /// run-time value ([`SettingValue`]), which must then make a valid label value when the
    /// task starts.
    #[track_caller]
    fn add_pod_label<V: SettingValue<Self>>(self, key: &str, value: V) -> Self {
        let location = std::panic::Location::caller();
        let Some(value) = self.__text(value.__pieces(), location) else {
            return self;
        };
        self.__edit(&mut |c| {
            c.labels.insert(key.to_owned(), value.clone());
        });
        self
    }

    /// Adds an annotation to the task's pod (KFP's `add_pod_annotation`); on a task the value
    /// may be a run-time value ([`SettingValue`]).
    #[track_caller]
    fn add_pod_annotation<V: SettingValue<Self>>(self, key: &str, value: V) -> Self {
        let location = std::panic::Location::caller();
        let Some(value) = self.__text(value.__pieces(), location) else {
            return self;
        };
        self.__edit(&mut |c| {
            c.annotations.insert(key.to_owned(), value.clone());
        });
        self
    }

    /// When the kubelet pulls the task's image.
    fn set_image_pull_policy(self, policy: ImagePullPolicy) -> Self {
        self.__edit(&mut |c| c.image_pull_policy = Some(policy.as_str().to_owned()));
        self
    }

    /// Runs the task's pod under service account `name` instead of the workflow's.
    fn set_service_account(self, name: &str) -> Self {
        self.__edit(&mut |c| c.service_account = Some(name.to_owned()));
        self
    }

    /// The task's pod's priority class.
    fn set_priority_class(self, name: &str) -> Self {
        self.__edit(&mut |c| c.priority_class = Some(name.to_owned()));
        self
    }

    /// The scheduler that places the task's pod.
    fn set_scheduler_name(self, name: &str) -> Self {
        self.__edit(&mut |c| c.scheduler_name = Some(name.to_owned()));
        self
    }

    /// The main container's security context (Kubernetes' own `SecurityContext`: user, group,
    /// capabilities, a read-only root file system, …). Under argot's secure defaults the
    /// container keeps `allowPrivilegeEscalation: false` unless this says otherwise. `run`
    /// ignores it (a process here runs as you) and says so once per run.
    fn set_security_context(self, context: k8s_openapi::api::core::v1::SecurityContext) -> Self {
        self.__edit(&mut |c| c.security_context = Some(context.clone()));
        self
    }

    /// The pod's security context (Kubernetes' `PodSecurityContext`: `fsGroup`, supplemental
    /// groups, sysctls, …) on the task's template. Argo puts a template's in place of the
    /// workflow's, so argot lays it over the workflow's: fields it leaves unset keep the
    /// pipeline's (`runAsNonRoot`, `runAsUser` of the secure defaults). Ignored by `run`.
    fn set_pod_security_context(
        self,
        context: k8s_openapi::api::core::v1::PodSecurityContext,
    ) -> Self {
        self.__edit(&mut |c| c.pod_security_context = Some(context.clone()));
        self
    }

    /// Where the pod may be scheduled and next to which pods (Kubernetes' `Affinity`: node
    /// affinity, pod affinity and anti-affinity), on the task's template. Ignored by `run`
    /// (there is one machine), said once per run.
    fn set_affinity(self, affinity: k8s_openapi::api::core::v1::Affinity) -> Self {
        self.__edit(&mut |c| c.affinity = Some(affinity.clone()));
        self
    }

    /// Runs `container` beside the task's main container for the pod's life (Argo
    /// `sidecars`: a proxy, a database, a metrics exporter); Argo stops it once the main
    /// container has finished. A later one with the same name replaces it. `run` refuses a
    /// task with sidecars (A0031): it runs the task as one process.
    fn add_sidecar(self, container: k8s_openapi::api::core::v1::Container) -> Self {
        self.__edit(&mut |c| {
            c.sidecars.retain(|s| s.name != container.name);
            c.sidecars.push(container.clone());
        });
        self
    }

    /// Runs `container` to completion before the main container, after the init containers
    /// added before it (Argo `initContainers`). `run` refuses it (A0031).
    fn add_init_container(self, container: k8s_openapi::api::core::v1::Container) -> Self {
        self.__edit(&mut |c| {
            c.init_containers.retain(|s| s.name != container.name);
            c.init_containers.push(container.clone());
        });
        self
    }

    /// Holds mutex `name` while the task runs (Argo `synchronization.mutexes`, 3.6 and
    /// later): no two tasks holding it run at once, on the cluster across workflows of the
    /// namespace, under `run` within the run.
    fn add_mutex(self, name: &str) -> Self {
        self.__edit(&mut |c| {
            if !c.mutexes.iter().any(|m| m == name) {
                c.mutexes.push(name.to_owned());
            }
        });
        self
    }

    /// Packs output artifact `output` as `archive` before upload (Argo
    /// `outputs.artifacts[].archive`): `Archive::None` keeps a single file readable as it is
    /// in the repository and Argo's UI, `Archive::Tar` (Argo's default) and `Archive::Zip`
    /// pack a folder. `Metrics`, `Html` and `Markdown` outputs are unarchived unless told
    /// otherwise. `run` keeps outputs in the run folder as they are, and says so once.
    fn set_output_archive(self, output: &str, archive: crate::ir::Archive) -> Self {
        self.__edit(&mut |c| {
            c.outputs.entry(output.to_owned()).or_default().archive = Some(archive);
        });
        self
    }

    /// When Argo deletes output artifact `output` from the repository (Argo
    /// `outputs.artifacts[].artifactGC`), over the pipeline's `artifact_gc`: `Never` keeps a
    /// model while the run's scratch data goes. `run` deletes nothing, and says so once.
    fn set_output_gc(self, output: &str, gc: crate::ir::ArtifactGc) -> Self {
        self.__edit(&mut |c| {
            c.outputs.entry(output.to_owned()).or_default().gc = Some(gc);
        });
        self
    }

    /// Stores output artifact `output` under `key` in the workflow's artifact repository
    /// (a key-only `outputs.artifacts[].s3.key`: Argo's `ArtifactLocation.Relocate` takes
    /// the bucket and credentials of the namespace's default repository, or of the
    /// pipeline's `artifact_repository_ref`, whatever its kind), instead of where the
    /// repository's `keyFormat` puts it. `key` is text or an [`OutputKey`]; its extension
    /// must say how the output is packed (A0049): `.tgz` for Argo's default tar, `.zip` for
    /// `Archive::Zip`, neither for `Archive::None`. Two outputs that would always write one
    /// key are refused (A0049): in a loop, or on several tasks, use
    /// [`OutputKey::pod_name`] or [`OutputKey::value`]. `run` copies the output to
    /// `.argot/repository/<key>` (beside the runs folder), replacing what a run wrote there.
    #[track_caller]
    fn set_output_key<K: OutputKeyValue<Self>>(self, output: &str, key: K) -> Self {
        let location = std::panic::Location::caller();
        let mut parts = Vec::new();
        for piece in key.__pieces() {
            match piece {
                output_key::Piece::Part(part) => parts.push(part),
                output_key::Piece::Value(bound) => {
                    let Some(placeholder) = self.__text(vec![bound], location) else {
                        return self;
                    };
                    let input = crate::ir::setting_tags(&placeholder)
                        .first()
                        .and_then(|(_, tag)| crate::ir::setting_tag_input(tag))
                        .map(str::to_owned);
                    match input {
                        Some(input) => parts.push(crate::ir::KeyPart::Setting(input)),
                        // Only a task binds values (`OutputKeyValue` sees to it); text is text.
                        None => parts.push(crate::ir::KeyPart::Text(placeholder)),
                    }
                }
            }
        }
        let key = crate::ir::RepoKey { parts };
        self.__edit(&mut |c| {
            c.outputs.entry(output.to_owned()).or_default().key = Some(key.clone());
        });
        self
    }

    /// Takes a slot of a semaphore while the task runs (Argo `synchronization.semaphores`,
    /// 3.6 and later): at most as many holders run at once as key `key` of config map
    /// `config_map` says, on the cluster across the namespace's workflows. `run` cannot read
    /// the config map: it allows one holder at a time unless `--semaphore CONFIG_MAP/KEY=N`
    /// gives the limit.
    fn add_semaphore(self, config_map: &str, key: &str) -> Self {
        let semaphore = crate::ir::SemaphoreRef {
            config_map: config_map.to_owned(),
            key: key.to_owned(),
        };
        self.__edit(&mut |c| {
            if !c.semaphores.contains(&semaphore) {
                c.semaphores.push(semaphore.clone());
            }
        });
        self
    }

    /// Schedules the pod only on nodes labelled `key=value`.
    fn add_node_selector_constraint(self, key: &str, value: &str) -> Self {
        self.__edit(&mut |c| {
            c.node_selector.insert(key.to_owned(), value.to_owned());
        });
        self
    }

    /// Lets the pod run on nodes with a matching taint.
    fn add_toleration(self, toleration: Toleration) -> Self {
        self.__edit(&mut |c| {
            if !c.tolerations.contains(&toleration) {
                c.tolerations.push(toleration.clone());
            }
        });
        self
    }

    /// Reuses this task's result on the cluster (Argo `memoize`), kept in config map
    /// `config_map` under a key made of the component's code and the task's input
    /// *parameters* — not its input artifacts' contents, which Argo's key cannot see — for
    /// `max_age` (a Go duration such as `24h`) or for ever. Locally the run's cache does this
    /// job, keyed on artifacts' contents too, with the same max age.
    fn set_memoize(self, config_map: &str, max_age: Option<&str>) -> Self {
        self.__edit(&mut |c| {
            c.memoize = Some(crate::ir::Memoize {
                config_map: config_map.to_owned(),
                max_age: max_age.map(str::to_owned),
            });
        });
        self
    }

    /// `false`: never reuse a cached result of this task (KFP's `set_caching_options`).
    fn set_caching_options(self, enable_caching: bool) -> Self {
        self.__edit(&mut |c| c.cache = Some(enable_caching));
        self
    }
}

impl<T: SettingsTarget> TaskOptions for T {}

/// The typed escape hatch: [`EditTemplate::edit_template`] on a task or on
/// [`task_defaults`] (not on a component's settings, which are built outside any trace).
pub trait EditTemplate: SettingsTarget + Sized {
    /// Sets what argot does not model yet on the template argot generated for the task:
    /// `edit` receives it as Kubernetes' own types ([`TemplateEdit`]: the main container
    /// whole, a `PodSpec` emitted as Argo's `podSpecPatch`, the pod's labels and
    /// annotations) and changes any field.
    ///
    /// ```
    /// use argot::prelude::*;
    ///
    /// #[component]
    /// fn fit(rows: u32) -> Result<f64> {
    ///     Ok(f64::from(rows))
    /// }
    ///
    /// #[pipeline(image = "ghcr.io/acme/train:1.0")]
    /// fn nightly() {
    ///     fit(1000).edit_template(|t| {
    ///         t.container.working_dir = Some("/workspace".into());
    ///         t.container.termination_message_policy = Some("FallbackToLogsOnError".into());
    ///         t.pod.host_aliases = Some(vec![argot::k8s::HostAlias {
    ///             ip: "10.0.0.7".into(),
    ///             hostnames: Some(vec!["data.internal".into()]),
    ///         }]);
    ///     });
    /// }
    /// # fn main() {}
    /// ```
    ///
    /// Edits apply after every other setting, the defaults' first, then the task's, each in
    /// the order written; a later `set_…` call does not undo one. The closure may run more
    /// than once (validation, emission, `run`): it must do the same each time. The IR
    /// records where it was written, not what it does.
    ///
    /// Validation checks the edited template as it checks settings (environment variable
    /// names, resources; A0063 for `pod.containers`, `pod.init_containers` or a renamed
    /// main container). `run` honours the environment, the working directory and, for a
    /// container component, the image, command and arguments; it notes the fields it has
    /// no use for once per run, and refuses (A0063) an edit it cannot reproduce: a native
    /// component's command or arguments, mounts it has no folder for, `envFrom`.
    #[track_caller]
    fn edit_template(self, edit: impl Fn(&mut TemplateEdit) + Send + Sync + 'static) -> Self {
        let location = std::panic::Location::caller();
        let edit = trace::template_edit(location, std::sync::Arc::new(edit));
        self.__edit(&mut |c| c.edits.push(edit.clone()));
        self
    }
}

impl<T: crate::AsTask> EditTemplate for T {}

impl EditTemplate for TaskDefaults {}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(f: impl Fn(ComponentSettings) -> ComponentSettings) -> TaskConfig {
        f(ComponentSettings::default()).config.into_inner()
    }

    #[test]
    fn a_task_setting_one_resource_keeps_its_components_others() {
        let component = config(|s| {
            s.set_accelerator_limit("nvidia.com/gpu", 1)
                .set_cpu_request("2")
                .set_memory_limit("8Gi")
        });
        let task = config(|s| s.set_cpu_request("6").set_retry(3));
        let merged = task.merged_over(&component);
        let resources = merged.resources.unwrap();
        let requests = resources.requests.unwrap();
        let limits = resources.limits.unwrap();
        assert_eq!(requests["cpu"].0, "6");
        assert_eq!(limits["nvidia.com/gpu"].0, "1");
        assert_eq!(limits["memory"].0, "8Gi");
        assert_eq!(merged.retry.unwrap().limit(), 3);

        // Each retry field falls back on its own: a task that only adds an expression keeps
        // the pipeline's limit and backoff.
        let defaults = config(|s| s.set_retry(2).set_retry_backoff("30s", Some(2), None));
        let task = config(|s| s.set_retry_expression(RetryIf::exit_code().is(137)));
        let retry = task.merged_over(&defaults).retry.unwrap();
        assert_eq!(retry.limit(), 2);
        assert_eq!(retry.backoff.unwrap().duration, "30s");
        assert!(retry.condition.is_some());
        assert_eq!(
            config(|s| s.set_retry_policy(RetryOn::Always))
                .retry
                .unwrap()
                .limit(),
            1
        );
    }

    /// The typed condition becomes the expr-lang text Argo's `retryStrategy.expression`
    /// takes (`asInt(lastRetry.exitCode) > 1` is the docs' own example in `retries.md`).
    #[test]
    fn retry_conditions_render_as_argo_expressions() {
        let e = |c: RetryIf| c.into_condition().expression();
        assert_eq!(
            e(RetryIf::exit_code().greater_than(1)),
            "asInt(lastRetry.exitCode) > 1"
        );
        assert_eq!(
            e(RetryIf::errored() | RetryIf::exit_code().is(137)),
            r#"(lastRetry.status == "Error") || (asInt(lastRetry.exitCode) == 137)"#
        );
        assert_eq!(
            e(!RetryIf::duration_secs().at_least(60) & RetryIf::failed() & RetryIf::failed()),
            r#"(!(asFloat(lastRetry.duration) >= 60)) && (lastRetry.status == "Failed") && (lastRetry.status == "Failed")"#
        );
        // Quotes are escaped as JSON does; `{` so that Argo's `{{…}}` substitution sees nothing.
        assert_eq!(
            e(RetryIf::message_contains(r#"say "{{workflow.uid}}""#)),
            r#"lastRetry.message contains "say \"\u007b\u007bworkflow.uid}}\"""#
        );
        assert_eq!(e(!!RetryIf::failed()), e(RetryIf::failed()));
    }

    #[test]
    fn volumes_come_with_their_mount_and_the_variable_that_finds_them() {
        let c = config(|s| s.add_pvc_volume("checkpoints", "ckpt", "/checkpoints"));
        assert_eq!(c.volumes[0].name, "checkpoints");
        assert_eq!(c.volume_mounts[0].mount_path, "/checkpoints");
        assert_eq!(c.env[0].name, "ARGOT_VOLUME_CHECKPOINTS");
        assert_eq!(c.env[0].value.as_deref(), Some("/checkpoints"));
        // Set again, it replaces rather than repeats.
        let c = config(|s| {
            s.add_empty_dir_volume("scratch", "/a")
                .add_empty_dir_volume("scratch", "/b")
        });
        assert_eq!(
            (c.volumes.len(), c.volume_mounts.len(), c.env.len()),
            (1, 1, 1)
        );
        assert_eq!(c.volume_mounts[0].mount_path, "/b");
    }

    #[test]
    fn run_time_values_are_pasted_where_their_placeholders_are_and_nowhere_else() {
        let zero = crate::ir::setting_placeholder("argot-setting-0");
        let one = crate::ir::setting_placeholder("argot-setting-1");
        let c = config(|s| {
            s.set_env_variable("URL", format!("gs://{zero}/{one}/{{{{x}}}}").as_str())
                .add_pod_label("v", zero.as_str())
                .set_container_image(format!("busybox:{one}").as_str())
        });
        let values = [
            ("argot-setting-0".to_owned(), "b".to_owned()),
            ("argot-setting-1".to_owned(), "1.36".to_owned()),
        ];
        let filled = c.with_setting_values(&values);
        // Only setting placeholders are filled: other tags stay as Argo would see them.
        assert_eq!(filled.env[0].value.as_deref(), Some("gs://b/1.36/{{x}}"));
        assert_eq!(filled.labels["v"], "b");
        assert_eq!(filled.image.as_deref(), Some("busybox:1.36"));
        // A placeholder without a value is left as it is.
        let partial = c.with_setting_values(&values[..1]);
        assert_eq!(partial.image, Some(format!("busybox:{one}")));
    }
}
