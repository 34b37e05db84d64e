//! Per-task settings ([`TaskConfig`]) on this machine, with Argo's meaning.
//!
//! | setting | on Argo | here |
//! | --- | --- | --- |
//! | `retry` | `retryStrategy`: `processNodeRetries` retries a Failed attempt under `OnFailure`/`Always`, an Error under `OnError`/`Always`, a transient Kubernetes error under `OnTransientError`; waits `duration × factorⁿ⁻¹` up to `cap`; stops past `maxDuration` | the same policy, waits and limits; no local error is a transient Kubernetes error, so `OnTransientError` retries nothing |
//! | `timeout`, `active_deadline_seconds` | the controller / kubelet stop the pod (SIGTERM, then SIGKILL) and the node fails | the process is stopped the same way once the shorter one has passed; nothing is ever Pending here, so both count from the start |
//! | `cache: false` | no memoization | no cache lookup and no cache entry |
//! | `env` (literal values) | the main container's environment; the kubelet expands `$(VAR)` of earlier variables | the process's environment, expanded the same way |
//! | `resources` | where and with what the pod is scheduled | CPUs take slots of the run (`task_slots`); memory requests share the run's memory (`--memory`, the machine's by default: `task_memory`); extended resources (GPUs) and ephemeral storage are ignored, with a note |
//! | `node_selector`, `tolerations`, `affinity` | where the pod is scheduled | nothing to schedule: ignored |
//! | `security_context`, `pod_security_context` | the user, groups and privileges of the pod's processes | the process runs as the user running `run`: ignored |
//! | run-time values in env values, labels, annotations, the image (`argot-setting-N`) | `SubstituteParams` pastes each value's wire form where the text names it | the same wire form pasted the same way (`TaskConfig::with_setting_values`); a label that is then not a valid label value errors the task, as the API server refuses the pod; a container component runs the filled-in image |
//! | `outputs[].key` (`set_output_key`) | the executor uploads the output to that key of the workflow's repository | also stored under `.argot/repository/<key>`, its variables the run's (`repository`); a zip is refused (A0031) |
//! | `env` from a secret | the kubelet reads the secret | read from where `run --secret` says (`SecretSource`), refused without it (A0031) |
//! | claims, run volumes and empty folders | mounted into the pod | a folder of this machine (`local_volumes`): `.argot/volumes/<claim>`, `<run folder>/volumes/<name>`, a fresh folder; a native component finds it by `ARGOT_VOLUME_<NAME>`, a container component's runtime binds it at the mount path (`container_mounts`, `subPath` joined) |
//! | secret volumes | the kubelet writes the keys as files, read-only | the files written from where `run --secret` says into a private temporary folder, removed when the task ends (`secret_volume`); bound read-only into a container; refused without it (A0031) |
//! | config map volumes | the kubelet writes the keys as files | refused before the run starts (A0031): this machine has no config maps |
//! | sidecars, init containers | more containers in the task's pod, sharing its network and volumes | refused before the run starts (A0031): a process here has no pod to share |
//! | `env` from config maps or the downward API; other volumes | read from the cluster | refused before the run starts (A0031): nothing on this machine holds them |

use std::collections::BTreeMap;
use std::time::Duration;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::ir::{RetryOn, RetryPolicy, RetryStatus, TaskConfig, TaskId};
use crate::rules::syntax::parse_seconds;
use crate::validate::{TemplateDef, ValidPipeline};

/// A0031 for each setting of a task the local runner cannot honour; a secret it reads is
/// honoured when `secrets` says where its value is on this machine.
pub(crate) fn check(
    valid: &ValidPipeline,
    secrets: &BTreeMap<String, super::SecretSource>,
) -> Result<(), Diagnostics> {
    let p = valid.pipeline();
    let mut found = Vec::new();
    for (i, task) in p.tasks.iter().enumerate() {
        if let crate::ir::Implementation::Resource(resource) =
            &p.components[&task.component].implementation
        {
            found.push(
                Diagnostic::error(
                    Code::ResourceStepNeedsCluster,
                    &p.name,
                    format!(
                        "task `{}` is a Kubernetes resource step (`{}` of a {}), which needs a cluster",
                        task.name,
                        resource.action.as_str(),
                        resource_kind(&resource.manifest)
                    ),
                    "submit the pipeline to a cluster (`submit`), or run a pipeline without resource steps locally",
                )
                .at_opt(task.location.as_ref()),
            );
            continue;
        }
        let template = valid.names().template_of(TaskId(i as u32));
        // What the template's edits made of the settings is what runs.
        let config = template.effective_config();
        let native =
            p.components[&task.component].implementation == crate::ir::Implementation::Native;
        for (what, help) in edit_refusals(template, native) {
            found.push(
                Diagnostic::error(
                    Code::TemplateEdit,
                    &p.name,
                    format!("task `{}`: {what}", task.name),
                    help,
                )
                .at_opt(task.location.as_ref()),
            );
        }
        let cluster_only =
            "run the pipeline on a cluster (`submit`), or drop the setting for local runs";
        let mut refuse = |what: String, help: &str| {
            found.push(
                Diagnostic::error(
                    Code::LocalUnsupported,
                    &p.name,
                    format!("task `{}`: {what}", task.name),
                    help,
                )
                .at_opt(task.location.as_ref()),
            );
        };
        for (name, output) in &config.outputs {
            if output.key.is_some() && output.archive == Some(crate::ir::Archive::Zip) {
                refuse(
                    format!(
                        "output `{name}` is stored under its key as a zip file (`Archive::Zip`), which `run` does not make for the local repository"
                    ),
                    "store it as it is (`Archive::None`) or as Argo's default gzipped tar (a `.tgz` key), or run the pipeline on a cluster (`submit`)",
                );
            }
        }
        for env in &config.env {
            match env.value_from.as_ref().map(|v| &v.secret_key_ref) {
                None => {}
                Some(Some(secret)) => {
                    let reference = format!("{}/{}", secret.name, secret.key);
                    if !secrets.contains_key(&reference) {
                        refuse(
                            format!(
                                "environment variable `{}` is secret `{reference}`, and this run was not told where its value is on this machine",
                                env.name
                            ),
                            &format!(
                                "pass `--secret {reference}=env:VARIABLE` or `--secret {reference}=file:PATH`; the value is read when the task starts and never recorded"
                            ),
                        );
                    }
                }
                Some(None) => refuse(
                    format!(
                        "environment variable `{}` is read from the cluster (a config map or the downward API), which this machine does not have",
                        env.name
                    ),
                    cluster_only,
                ),
            }
        }
        // A volume only an edit's pod patch adds matters here through a mount (A0063 above).
        let from_settings = |v: &&k8s_openapi::api::core::v1::Volume| {
            template.config.volumes.iter().any(|own| own.name == v.name)
        };
        for volume in config.volumes.iter().filter(from_settings) {
            // A claim named after the run (`{{workflow.name}}-…`) is one a resource step
            // creates on a cluster.
            if volume
                .persistent_volume_claim
                .as_ref()
                .is_some_and(|c| c.claim_name.contains("{{"))
            {
                refuse(
                    format!(
                        "volume `{}` mounts a claim named after the run, which a resource step creates on a cluster",
                        volume.name
                    ),
                    cluster_only,
                );
                continue;
            }
            // A native component finds a claim's, an empty folder's or a secret's local
            // stand-in through `volume_path`; a config map is the cluster's.
            if volume.config_map.is_some() {
                let which = volume
                    .config_map
                    .as_ref()
                    .filter(|c| !c.name.is_empty())
                    .map_or_else(
                        || "a config map".to_owned(),
                        |c| format!("config map `{}`", c.name),
                    );
                refuse(
                    format!(
                        "volume `{}` is {which}, which this machine does not have",
                        volume.name
                    ),
                    cluster_only,
                );
                continue;
            }
            let local = volume.persistent_volume_claim.is_some()
                || volume.empty_dir.is_some()
                || volume.secret.is_some();
            if !local {
                refuse(
                    format!(
                        "volume `{}` needs a pod; the local runner stands in only for claims, empty folders, secrets and run volumes",
                        volume.name
                    ),
                    cluster_only,
                );
                continue;
            }
            for reference in secret_files(volume).into_iter().map(|(r, _)| r) {
                if !secrets.contains_key(&reference) {
                    refuse(
                        format!(
                            "volume `{}` holds secret `{reference}`, and this run was not told where its value is on this machine",
                            volume.name
                        ),
                        &format!(
                            "pass `--secret {reference}=env:VARIABLE` or `--secret {reference}=file:PATH`; the file is written to a private temporary folder removed when the task ends"
                        ),
                    );
                }
            }
        }
        for (what, containers) in [
            ("sidecar", &config.sidecars),
            ("init container", &config.init_containers),
        ] {
            for c in containers {
                refuse(
                    format!(
                        "{what} `{}` needs a pod: the local runner runs the task as one process, and starting `{}` beside it would not share the pod's network and volumes as on Argo",
                        c.name,
                        c.image.as_deref().unwrap_or_default()
                    ),
                    cluster_only,
                );
            }
        }
        for mount in &config.volume_mounts {
            let known = config.volumes.iter().any(|v| v.name == mount.name)
                || config.run_volumes.iter().any(|v| v.name == mount.name);
            let sub_path = mount.sub_path.as_deref().unwrap_or_default();
            if known && !is_relative_inside(sub_path) {
                refuse(
                    format!(
                        "the mount at `{}` has subPath `{sub_path}`, which leaves its volume (the kubelet refuses it)",
                        mount.mount_path
                    ),
                    "give a relative path inside the volume, without `..`",
                );
            }
            // A mount an edit added is refused with the edit (A0063).
            let edited = !template.config.volume_mounts.contains(mount);
            if !known && !edited {
                refuse(
                    format!(
                        "the mount at `{}` needs a pod; the local runner runs a process",
                        mount.mount_path
                    ),
                    cluster_only,
                );
            }
        }
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics::new(found))
    }
}

/// What an `edit_template` made of a task's template that this machine cannot reproduce
/// (A0063), each with what to do: a native component's command or arguments (argot's
/// entrypoint needs them as generated), a mount with no local folder, `envFrom`, an argument
/// of a container component holding an Argo variable argot did not write.
pub(crate) fn edit_refusals(template: &TemplateDef, native: bool) -> Vec<(String, &'static str)> {
    let Some(edited) = &template.edited else {
        return Vec::new();
    };
    let mut refused = Vec::new();
    let changed = edited.changed_container_fields();
    let (before, after) = (&edited.generated.container, &edited.edited.container);
    for (field, what) in [("command", "command"), ("args", "arguments")] {
        if !changed.iter().any(|c| c == field) {
            continue;
        }
        if native {
            refused.push((
                format!("an edit changes the {what} of its native component, which argot's entrypoint needs as generated: the local run would not run what the pod runs"),
                "change the environment or the working directory instead, or run the pipeline on a cluster (`submit`)",
            ));
            continue;
        }
        let generated: Vec<&String> = [&before.command, &before.args]
            .into_iter()
            .flatten()
            .flatten()
            .collect();
        let own = if field == "command" {
            &after.command
        } else {
            &after.args
        };
        for arg in own.iter().flatten() {
            if !generated.contains(&arg) && arg.contains("{{") {
                refused.push((
                    format!("an edit writes the argument {arg:?}, whose `{{{{…}}}}` Argo would fill in and the local runner cannot"),
                    "pass values through the component's inputs, or run the pipeline on a cluster (`submit`)",
                ));
            }
        }
    }
    for mount in after.volume_mounts.iter().flatten() {
        let generated = before.volume_mounts.iter().flatten().any(|m| m == mount);
        if !generated {
            refused.push((
                format!(
                    "an edit mounts volume `{}` at `{}`, which the local runner has no folder for",
                    mount.name, mount.mount_path
                ),
                "mount it with `add_pvc_volume`, `add_empty_dir_volume` or `add_run_volume`, which `run` maps to folders, or run the pipeline on a cluster (`submit`)",
            ));
        }
    }
    if after.env_from.as_ref().is_some_and(|e| !e.is_empty()) {
        refused.push((
            "an edit sets `envFrom`, whose variables are in the cluster's config maps or secrets".to_owned(),
            "set each variable with `set_env_variable` or `set_env_from_secret` (given locally with `run --secret`)",
        ));
    }
    refused
}

/// The fields of each task's edited template this machine has no use for, for one note per
/// run: a main container's field other than those `run` honours (environment, working
/// directory, image, command, arguments, and the settings `ignored_here` covers), and every
/// pod field of the patch.
fn ignored_edits(valid: &ValidPipeline) -> Option<String> {
    const HONOURED: &[&str] = &[
        "env",
        "workingDir",
        "image",
        "command",
        "args",
        "volumeMounts",
        "resources",
        "securityContext",
        "imagePullPolicy",
        "envFrom",
        "name",
    ];
    let p = valid.pipeline();
    let mut fields: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (i, task) in p.tasks.iter().enumerate() {
        let Some(edited) = &valid.names().template_of(TaskId(i as u32)).edited else {
            continue;
        };
        let container = edited
            .changed_container_fields()
            .into_iter()
            .filter(|f| !HONOURED.contains(&f.as_str()));
        let pod = edited.pod_fields().into_iter().map(|f| format!("pod.{f}"));
        for field in container.chain(pod) {
            fields.entry(field).or_default().push(&task.name);
        }
    }
    (!fields.is_empty()).then(|| {
        let listed: Vec<String> = fields
            .iter()
            .map(|(field, tasks)| {
                let names: Vec<String> = tasks.iter().map(|t| format!("`{t}`")).collect();
                format!("`{field}` ({})", names.join(", "))
            })
            .collect();
        format!(
            "template fields set by `edit_template` only concern a pod on a cluster; ignored here: {}",
            listed.join(", ")
        )
    })
}

/// `kind` of the object in a resource step's manifest, for messages.
fn resource_kind(manifest: &str) -> String {
    manifest
        .lines()
        .find_map(|l| l.strip_prefix("kind:"))
        .map(|k| format!("`{}`", k.trim()))
        .unwrap_or_else(|| "Kubernetes object".to_owned())
}

/// The environment variables of `config`: literal values expanded as the kubelet expands
/// `$(VAR)` with the variables before it and `base` (the variables Argo and the kubelet add);
/// a secret's value read from where `secrets` says, as is (the kubelet does not expand a
/// `valueFrom`).
///
/// # Errors
/// A secret whose value cannot be read, saying why.
pub(crate) fn environment(
    config: &TaskConfig,
    base: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, super::SecretSource>,
) -> Result<Vec<(String, String)>, String> {
    let mut defined = base.clone();
    let mut out = Vec::new();
    for env in &config.env {
        let value = match env
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref())
        {
            Some(secret) => {
                let reference = format!("{}/{}", secret.name, secret.key);
                let source = secrets
                    .get(&reference)
                    .ok_or_else(|| format!("secret `{reference}` has no local source: pass `--secret {reference}=env:VARIABLE` or `=file:PATH`"))?;
                source.read().map_err(|why| {
                    format!(
                        "environment variable `{}` (secret `{reference}`): {why}",
                        env.name
                    )
                })?
            }
            None => {
                let raw = env.value.clone().unwrap_or_default();
                crate::protocol::argv::expand(&raw, &|name| defined.get(name).cloned())
            }
        };
        defined.insert(env.name.clone(), value.clone());
        out.push((env.name.clone(), value));
    }
    Ok(out)
}

/// The files of a secret volume: for each key, `NAME/KEY` (how `--secret` names it) and the
/// file's path in the volume.
pub(crate) fn secret_files(volume: &k8s_openapi::api::core::v1::Volume) -> Vec<(String, String)> {
    let Some(secret) = &volume.secret else {
        return Vec::new();
    };
    let name = secret.secret_name.as_deref().unwrap_or_default();
    secret
        .items
        .iter()
        .flatten()
        .map(|item| (format!("{name}/{}", item.key), item.path.clone()))
        .collect()
}

/// A private temporary folder holding the files of `volume`, a secret volume, each written
/// from where `secrets` says (never from the manifest); removed when dropped.
///
/// # Errors
/// A secret whose value cannot be read, or a folder or file that cannot be written.
pub(crate) fn secret_volume(
    volume: &k8s_openapi::api::core::v1::Volume,
    secrets: &BTreeMap<String, super::SecretSource>,
) -> Result<tempfile::TempDir, String> {
    // `tempfile` creates the folder readable by its owner only.
    let dir = tempfile::Builder::new()
        .prefix("argot-secret-")
        .tempdir()
        .map_err(|e| {
            format!(
                "cannot create a private folder for secret volume `{}`: {e}",
                volume.name
            )
        })?;
    for (reference, path) in secret_files(volume) {
        let source = secrets.get(&reference).ok_or_else(|| {
            format!("secret `{reference}` has no local source: pass `--secret {reference}=env:VARIABLE` or `=file:PATH`")
        })?;
        let value = source
            .read()
            .map_err(|why| format!("volume `{}` (secret `{reference}`): {why}", volume.name))?;
        let file = dir.path().join(&path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&file, value)
            .map_err(|e| format!("cannot write secret volume `{}`: {e}", volume.name))?;
    }
    Ok(dir)
}

/// The local folder standing in for each volume of `config`: a claim's is
/// `<workdir>/../volumes/<claim>` (beside the runs and the cache, kept from run to run as the
/// claim is); a run volume's is `<run folder>/volumes/<name>`, shared by the run's tasks and
/// kept with the run; an empty folder's is fresh in the attempt's folder `tmp`. Secret
/// volumes are [`secret_volume`]'s.
/// True when `sub_path` names a place inside a volume: empty, or relative without `..`
/// (the kubelet refuses the others: `validateLocalDescendingPath`).
fn is_relative_inside(sub_path: &str) -> bool {
    let path = std::path::Path::new(sub_path);
    !path.is_absolute()
        && path.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
}

/// The folder of this machine standing in for each of the task's volumes, by name, and
/// whether it holds a secret: `local_volumes`' folders, created, and each secret volume's
/// files written into a private folder (`secret_volume`) kept in `secret_dirs` until the task
/// ends. A native component finds them by `ARGOT_VOLUME_<NAME>`; a container component gets
/// them bound at its mount paths (`container_mounts`).
pub(crate) fn volume_folders(
    config: &TaskConfig,
    run_folder: &std::path::Path,
    tmp: &std::path::Path,
    secrets: &BTreeMap<String, super::SecretSource>,
    secret_dirs: &mut Vec<tempfile::TempDir>,
) -> Result<BTreeMap<String, (std::path::PathBuf, bool)>, String> {
    let mut dirs = BTreeMap::new();
    for (name, dir) in local_volumes(config, run_folder, tmp) {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        dirs.insert(name, (dir, false));
    }
    for volume in config.volumes.iter().filter(|v| v.secret.is_some()) {
        let dir = secret_volume(volume, secrets)?;
        dirs.insert(volume.name.clone(), (dir.path().to_path_buf(), true));
        secret_dirs.push(dir);
    }
    Ok(dirs)
}

/// Where each volume mount of a container component's task is on this machine, for `docker
/// run --volume`: the volume's folder (`volume_folders`) with `subPath` joined, created when
/// missing and, but for secrets, writable by the image's user whoever it is (as an `emptyDir`
/// is). A secret volume is read-only, as the kubelet mounts it.
pub(crate) fn container_mounts(
    config: &TaskConfig,
    folders: &BTreeMap<String, (std::path::PathBuf, bool)>,
) -> Result<Vec<super::container::Mount>, String> {
    let mut mounts = Vec::new();
    for m in &config.volume_mounts {
        // `check` refused a mount of a volume this machine has no folder for.
        let Some((dir, secret)) = folders.get(&m.name) else {
            continue;
        };
        let host = match m.sub_path.as_deref().filter(|s| !s.is_empty()) {
            Some(sub) => dir.join(sub),
            None => dir.clone(),
        };
        std::fs::create_dir_all(&host)
            .map_err(|e| format!("cannot create `{}`: {e}", host.display()))?;
        #[cfg(unix)]
        if !secret {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o777));
        }
        mounts.push(super::container::Mount {
            host,
            at: m.mount_path.clone(),
            read_only: *secret || m.read_only == Some(true),
        });
    }
    Ok(mounts)
}

pub(crate) fn local_volumes(
    config: &TaskConfig,
    run_folder: &std::path::Path,
    tmp: &std::path::Path,
) -> Vec<(String, std::path::PathBuf)> {
    let workdir = run_folder.parent().unwrap_or(run_folder);
    let shared = workdir.parent().unwrap_or(workdir).join("volumes");
    config
        .volumes
        .iter()
        .filter_map(|v| {
            let dir = match (&v.persistent_volume_claim, &v.empty_dir) {
                (Some(claim), _) => shared.join(&claim.claim_name),
                (None, Some(_)) => tmp.join("volumes").join(&v.name),
                (None, None) => return None,
            };
            Some((v.name.clone(), dir))
        })
        .chain(
            config
                .run_volumes
                .iter()
                .map(|v| (v.name.clone(), run_folder.join("volumes").join(&v.name))),
        )
        .collect()
}

/// The folder of this machine standing in for working directory `dir` (a path in the
/// container) of a native component: inside a volume the task mounts, that volume's local
/// folder (`local_volumes`) and the rest of the path; anywhere else a fresh folder
/// `workdir` in the attempt's folder `tmp`, as a container runtime creates a missing
/// working directory empty.
pub(crate) fn local_working_dir(
    dir: &str,
    config: &TaskConfig,
    run_folder: &std::path::Path,
    tmp: &std::path::Path,
) -> std::path::PathBuf {
    let volumes = local_volumes(config, run_folder, tmp);
    let inside = config.volume_mounts.iter().find_map(|m| {
        let rest = std::path::Path::new(dir).strip_prefix(&m.mount_path).ok()?;
        let (_, local) = volumes.iter().find(|(name, _)| *name == m.name)?;
        Some(local.join(rest))
    });
    inside.unwrap_or_else(|| tmp.join("workdir"))
}

/// Why the pod of a task with `config` (its run-time values filled in) would not be created:
/// a label value Kubernetes refuses (`ValidateLabels`), which only a run-time value can make
/// (validation checks the rest).
pub(crate) fn refused_pod(config: &TaskConfig) -> Option<String> {
    config
        .labels
        .iter()
        .find(|(_, v)| !crate::rules::syntax::is_label_value(v))
        .map(|(k, v)| {
            format!(
                "pod label `{k}` is {v:?} once its values are filled in, which is not a valid label value (at most 63 letters, digits, `-`, `_` and `.`): on a cluster the API server refuses the pod and the task errors"
            )
        })
}

/// The settings this machine has no use for — they place a pod on a cluster — each with the
/// tasks that have it, for one note per run: node selectors, tolerations, affinities,
/// security contexts, extended resources (GPUs) and ephemeral storage (CPUs take slots and
/// memory requests share the run's memory: see `scheduler`).
pub(crate) fn ignored_here(valid: &ValidPipeline) -> Vec<String> {
    let p = valid.pipeline();
    let mut kinds: [(&str, Vec<&str>); 7] = [
        ("node selectors", Vec::new()),
        ("tolerations", Vec::new()),
        ("affinities", Vec::new()),
        ("security contexts", Vec::new()),
        (
            "extended resources (GPUs) and ephemeral storage",
            Vec::new(),
        ),
        (
            "pod labels, annotations, images of native components (this binary runs them), image pull policies, service accounts, priority classes and schedulers",
            Vec::new(),
        ),
        ("output archive formats and artifact GC", Vec::new()),
    ];
    for (i, task) in p.tasks.iter().enumerate() {
        let config = valid
            .names()
            .template_of(TaskId(i as u32))
            .effective_config();
        let native =
            p.components[&task.component].implementation == crate::ir::Implementation::Native;
        let other_resources = config.resources.as_ref().is_some_and(|r| {
            [&r.requests, &r.limits]
                .into_iter()
                .flatten()
                .any(|m| m.keys().any(|k| k != "cpu" && k != "memory"))
        });
        let pod = !config.labels.is_empty()
            || (native && config.image.is_some())
            || !config.annotations.is_empty()
            || config.image_pull_policy.is_some()
            || config.service_account.is_some()
            || config.priority_class.is_some()
            || config.scheduler_name.is_some();
        for (k, has) in [
            !config.node_selector.is_empty(),
            !config.tolerations.is_empty(),
            config.affinity.is_some(),
            config.security_context.is_some() || config.pod_security_context.is_some(),
            other_resources,
            pod,
            // What collects an output after its loop is run here, not ignored; nor is the
            // archive of an output stored under a key (`run::repository` writes it).
            config
                .outputs
                .values()
                .any(|o| o.gc.is_some() || (o.archive.is_some() && o.key.is_none())),
        ]
        .into_iter()
        .enumerate()
        {
            if has {
                kinds[k].1.push(&task.name);
            }
        }
    }
    kinds
        .into_iter()
        .filter(|(_, tasks)| !tasks.is_empty())
        .map(|(what, tasks)| {
            let names: Vec<String> = tasks.iter().map(|t| format!("`{t}`")).collect();
            let why = match what {
                "security contexts" => "only concern a pod's processes (a process here runs as you)",
                "output archive formats and artifact GC" => {
                    "only concern the artifact repository (outputs stay in the run folder as they are)"
                }
                _ => "only place a pod on a cluster",
            };
            format!("{what} {why}; ignored here ({})", names.join(", "))
        })
        .chain(ignored_edits(valid))
        .collect()
}

/// What `run` makes of the pipeline's semaphores, for the run's notes: the limit of one it was
/// not told (it cannot read the config map holding it), and a `--semaphore` that names none.
pub(crate) fn semaphore_notes(
    valid: &ValidPipeline,
    limits: &BTreeMap<String, usize>,
) -> Vec<String> {
    let p = valid.pipeline();
    let mut holders: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (i, task) in p.tasks.iter().enumerate() {
        for s in &valid
            .names()
            .template_of(TaskId(i as u32))
            .config
            .semaphores
        {
            holders.entry(s.id()).or_default().push(&task.name);
        }
    }
    let mut notes = Vec::new();
    for (id, tasks) in &holders {
        if !limits.contains_key(id) {
            let names: Vec<String> = tasks.iter().map(|t| format!("`{t}`")).collect();
            notes.push(format!(
                "semaphore `{id}` ({}): its limit is in that config map on the cluster; here one holder runs at a time (give --semaphore {id}=N)",
                names.join(", ")
            ));
        }
    }
    for id in limits.keys().filter(|id| !holders.contains_key(*id)) {
        notes.push(format!(
            "--semaphore {id}: no task of this pipeline holds that semaphore"
        ));
    }
    notes
}

/// How long the task's process may run, and which setting says so: the shorter of `timeout`
/// and `active_deadline_seconds`.
pub(crate) fn time_limit(config: &TaskConfig) -> Option<(Duration, String)> {
    let timeout = config.timeout.as_ref().and_then(|t| {
        parse_seconds(t)
            .ok()
            .map(|s| (Duration::from_secs(s), format!("timeout of {t}")))
    });
    let deadline = config.active_deadline_seconds.map(|s| {
        (
            Duration::from_secs(s.max(0) as u64),
            format!("active deadline of {s}s"),
        )
    });
    match (timeout, deadline) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// How an attempt that did not succeed ended, as Argo's retry expression sees it
/// (`buildRetryStrategyLocalScope`: `lastRetry.*`).
pub(crate) struct LastAttempt<'a> {
    /// Failed (the component exited non-zero), or errored (it could not run properly).
    pub failed: bool,
    /// The exit code: `-1` when the process never ran, 128 + N when signal N killed it.
    pub exit_code: i64,
    /// How long it ran.
    pub duration: Duration,
    /// What went wrong.
    pub message: &'a str,
}

/// Whether `last` is retried under `retry`'s policy and condition (`processNodeRetries`: the
/// policy first — `RetryPolicyActual`, `OnFailure` by default, `Always` with an expression —
/// then the expression); the limit and backoff are [`wait_before`]'s.
pub(crate) fn retries(retry: Option<&RetryPolicy>, last: &LastAttempt<'_>) -> bool {
    let Some(retry) = retry else {
        return false;
    };
    let by_policy = match retry.policy() {
        RetryOn::Always => true,
        RetryOn::OnFailure => last.failed,
        RetryOn::OnError => !last.failed,
        RetryOn::OnTransientError => false,
    };
    let status = if last.failed {
        RetryStatus::Failed
    } else {
        RetryStatus::Error
    };
    by_policy
        && retry.condition.as_ref().is_none_or(|c| {
            c.holds(
                status,
                last.exit_code,
                last.duration.as_secs_f64(),
                last.message,
            )
        })
}

/// The wait before retry `n` (1 for the first retry) and, when the backoff has a
/// `max_duration`, whether that retry may still start `elapsed` after the first attempt
/// started. `None`: no more retries.
pub(crate) fn wait_before(config: &TaskConfig, n: u32, elapsed: Duration) -> Option<Duration> {
    let retry = config.retry.as_ref()?;
    if n > retry.limit() {
        return None;
    }
    let Some(backoff) = &retry.backoff else {
        return Some(Duration::ZERO);
    };
    let secs = |t: &str| parse_seconds(t).ok().map(Duration::from_secs);
    let base = secs(&backoff.duration)?;
    let mut wait = match backoff.factor {
        Some(f) if f > 0 => base.saturating_mul(f.saturating_pow(n.saturating_sub(1))),
        _ => base,
    };
    if let Some(cap) = backoff.cap.as_deref().and_then(secs) {
        wait = wait.min(cap);
    }
    if let Some(max) = backoff.max_duration.as_deref().and_then(secs)
        && (elapsed >= max || elapsed + wait > max)
    {
        return None;
    }
    Some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Backoff, RetryCondition, RetryPolicy};

    #[test]
    fn a_sub_path_stays_inside_its_volume() {
        for inside in ["", "epochs", "a/b", "./a"] {
            assert!(is_relative_inside(inside), "{inside}");
        }
        for outside in ["/etc", "..", "a/../../b", "../x"] {
            assert!(!is_relative_inside(outside), "{outside}");
        }
    }

    fn with_backoff(limit: u32, backoff: Option<Backoff>) -> TaskConfig {
        TaskConfig {
            retry: Some(RetryPolicy {
                limit: Some(limit),
                on: None,
                backoff,
                condition: None,
            }),
            ..TaskConfig::default()
        }
    }

    #[test]
    fn waits_grow_by_the_factor_up_to_the_cap_and_stop_at_the_limit() {
        let c = with_backoff(
            4,
            Some(Backoff {
                duration: "10s".into(),
                factor: Some(2),
                cap: Some("30s".into()),
                max_duration: None,
            }),
        );
        let s = Duration::from_secs;
        let waits: Vec<Option<Duration>> = (1..=5).map(|n| wait_before(&c, n, s(0))).collect();
        assert_eq!(
            waits,
            [Some(s(10)), Some(s(20)), Some(s(30)), Some(s(30)), None]
        );
        // No backoff: retry at once, `limit` times.
        let c = with_backoff(2, None);
        assert_eq!(wait_before(&c, 2, s(0)), Some(Duration::ZERO));
        assert_eq!(wait_before(&c, 3, s(0)), None);
    }

    #[test]
    fn max_duration_stops_retries_that_would_start_too_late() {
        let c = with_backoff(
            10,
            Some(Backoff {
                duration: "10s".into(),
                factor: None,
                cap: None,
                max_duration: Some("1m".into()),
            }),
        );
        let s = Duration::from_secs;
        assert_eq!(wait_before(&c, 1, s(45)), Some(s(10)));
        assert_eq!(wait_before(&c, 1, s(55)), None, "the wait would pass it");
        assert_eq!(wait_before(&c, 1, s(60)), None);
    }

    fn attempt(failed: bool, exit_code: i64, secs: u64, message: &str) -> LastAttempt<'_> {
        LastAttempt {
            failed,
            exit_code,
            duration: Duration::from_secs(secs),
            message,
        }
    }

    fn policy(on: Option<RetryOn>, condition: Option<RetryCondition>) -> RetryPolicy {
        RetryPolicy {
            limit: Some(3),
            on,
            backoff: None,
            condition,
        }
    }

    #[test]
    fn policies_pick_failures_and_errors_as_argo_does() {
        use RetryOn::*;
        let retried = |on, failed| retries(Some(&policy(on, None)), &attempt(failed, 1, 0, ""));
        assert!(retried(None, true) && !retried(None, false));
        assert!(retried(Some(Always), true) && retried(Some(Always), false));
        assert!(!retried(Some(OnError), true) && retried(Some(OnError), false));
        assert!(!retried(Some(OnTransientError), true));
        assert!(!retried(Some(OnTransientError), false));
        assert!(
            !retries(None, &attempt(true, 1, 0, "")),
            "no policy, no retry"
        );
    }

    #[test]
    fn a_condition_decides_on_top_of_the_policy_which_it_turns_to_always() {
        use crate::settings::RetryIf;
        let oom = RetryIf::exit_code().is(137).into_condition();
        let p = policy(None, Some(oom.clone()));
        // `RetryPolicyActual`: an expression without a policy retries errors too.
        assert!(retries(Some(&p), &attempt(true, 137, 5, "exit code 137")));
        assert!(!retries(Some(&p), &attempt(true, 1, 5, "exit code 1")));
        let any_error =
            (RetryIf::errored() | RetryIf::message_contains("deleted")).into_condition();
        let p = policy(None, Some(any_error));
        assert!(retries(Some(&p), &attempt(false, -1, 0, "cannot start")));
        assert!(retries(Some(&p), &attempt(true, 1, 0, "pod deleted")));
        assert!(!retries(Some(&p), &attempt(true, 1, 0, "exit code 1")));
        // A given policy still applies first: OnError never retries a failure.
        let p = policy(Some(RetryOn::OnError), Some(oom));
        assert!(!retries(Some(&p), &attempt(true, 137, 5, "exit code 137")));
        let short = (!RetryIf::duration_secs().greater_than(60)).into_condition();
        let p = policy(None, Some(short));
        assert!(retries(Some(&p), &attempt(true, 1, 60, "")));
        assert!(!retries(Some(&p), &attempt(true, 1, 61, "")));
    }

    #[test]
    fn the_shorter_limit_wins() {
        let c = TaskConfig {
            timeout: Some("1m".into()),
            active_deadline_seconds: Some(30),
            ..TaskConfig::default()
        };
        assert_eq!(
            time_limit(&c),
            Some((Duration::from_secs(30), "active deadline of 30s".into()))
        );
        let c = TaskConfig {
            timeout: Some("20s".into()),
            ..c
        };
        assert_eq!(
            time_limit(&c),
            Some((Duration::from_secs(20), "timeout of 20s".into()))
        );
        assert_eq!(time_limit(&TaskConfig::default()), None);
    }

    #[test]
    fn env_values_expand_earlier_variables_as_the_kubelet_does() {
        use k8s_openapi::api::core::v1::EnvVar;
        let var = |name: &str, value: &str| EnvVar {
            name: name.into(),
            value: Some(value.into()),
            ..EnvVar::default()
        };
        let c = TaskConfig {
            env: vec![
                var("A", "x"),
                var("B", "$(A)-$(ARGO_POD_NAME)-$(LATER)-$$(A)"),
                var("LATER", "y"),
            ],
            ..TaskConfig::default()
        };
        let base = BTreeMap::from([("ARGO_POD_NAME".to_owned(), "pod".to_owned())]);
        assert_eq!(
            environment(&c, &base, &BTreeMap::new()).unwrap(),
            [
                ("A".to_owned(), "x".to_owned()),
                ("B".to_owned(), "x-pod-$(LATER)-$(A)".to_owned()),
                ("LATER".to_owned(), "y".to_owned()),
            ]
        );
    }
}
