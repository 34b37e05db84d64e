//! The main container and pod metadata argot generates for a task's template, as Kubernetes'
//! own types, and the typed edits (`edit_template`) laid over them. One function makes them
//! for both backends: the Argo emitter writes the result, the local runner runs what it
//! can of the same result, so an edit means the same thing in both.
//!
//! Argo names a container template's container `main` whatever the template says
//! (`common.MainContainerName` in `workflow/common/common.go`, set when the controller
//! builds the pod), and applies a template's `podSpecPatch` to the pod it made as a
//! Kubernetes strategic merge patch of a `PodSpec` (`ApplyPodSpecPatch` in Argo's
//! `util/util.go`: the patch is first decoded as a `PodSpec`, then
//! `strategicpatch.StrategicMergePatch(podSpecJson, patch, apiv1.PodSpec{})`): lists such as
//! `hostAliases` or `tolerations` are merged by their Kubernetes merge key, anything else the
//! patch sets replaces the pod's.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, EmptyDirVolumeSource, PodSpec, VolumeMount};

use super::argv::escape;
use super::{COMPONENT_LABEL, OUTPUTS_DIR, OUTPUTS_VOLUME, native_args, render_cmd_arg};
use crate::ir::{ComponentSpec, Implementation, Pipeline, TaskConfig, TemplateEdit};

/// The name Argo gives the main container (`common.MainContainerName`).
pub const MAIN_CONTAINER: &str = "main";

/// The volume the outputs folder is, when the component has outputs (Argo's `emptyDir`).
pub fn outputs_volume() -> k8s_openapi::api::core::v1::Volume {
    k8s_openapi::api::core::v1::Volume {
        name: OUTPUTS_VOLUME.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Default::default()
    }
}

/// The main container of the template running `spec` with the merged settings `config` in
/// pipeline `p`, named [`MAIN_CONTAINER`], before any edit. Input parameters of a container
/// component are Argo placeholders (`{{inputs.parameters.x}}`), as the template holds them.
pub fn main_container(p: &Pipeline, config: &TaskConfig, spec: &ComponentSpec) -> Container {
    let placeholder = |name: &str| format!("{{{{inputs.parameters.{name}}}}}");
    let (image, command, args) = match &spec.implementation {
        Implementation::Native => (
            p.image.clone().unwrap_or_default(),
            vec![escape(&p.binary_path).into_owned()],
            native_args(spec)
                .iter()
                .map(|a| escape(a).into_owned())
                .collect(),
        ),
        Implementation::Container(c) => (
            c.image.clone(),
            c.command
                .iter()
                .map(|a| escape(&render_cmd_arg(a, placeholder)).into_owned())
                .collect(),
            c.args
                .iter()
                .map(|a| escape(&render_cmd_arg(a, placeholder)).into_owned())
                .collect(),
        ),
        // A resource step has no container of argot's: Argo's executor runs it.
        Implementation::Resource(_) => (String::new(), Vec::new(), Vec::new()),
    };
    // The outputs folder is a volume for both flavors: the image's own /tmp may be read-only
    // (`readOnlyRootFilesystem`) or not writable by the pod's user.
    let mut volume_mounts = Vec::new();
    if !spec.outputs.is_empty() {
        volume_mounts.push(VolumeMount {
            name: OUTPUTS_VOLUME.to_owned(),
            mount_path: OUTPUTS_DIR.to_owned(),
            ..VolumeMount::default()
        });
    }
    volume_mounts.extend(config.volume_mounts.iter().cloned());
    // `allowPrivilegeEscalation` exists only on a container's security context, not the
    // pod's; a task's own context keeps it unless it says otherwise.
    let own_context = config.security_context.clone();
    let security_context = if p.settings.secure_defaults {
        let mut context = own_context.unwrap_or_default();
        context.allow_privilege_escalation = context.allow_privilege_escalation.or(Some(false));
        Some(context)
    } else {
        own_context
    };
    Container {
        name: MAIN_CONTAINER.to_owned(),
        image: Some(config.image.clone().unwrap_or(image)),
        command: nonempty(command),
        args: nonempty(args),
        image_pull_policy: config.image_pull_policy.clone(),
        env: nonempty(config.env.clone()),
        resources: config.resources.clone(),
        volume_mounts: nonempty(volume_mounts),
        security_context,
        ..Container::default()
    }
}

fn nonempty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

/// The labels of the template's pods: argot's component label, then the settings'.
pub fn labels(spec: &ComponentSpec, config: &TaskConfig) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(
        COMPONENT_LABEL.to_owned(),
        crate::namer::generated(&spec.name, crate::namer::DNS_LABEL_MAX),
    )]);
    labels.extend(config.labels.clone());
    labels
}

/// The template argot generates for `spec` with `config`, as an `edit_template` closure
/// first sees it.
pub fn generated(p: &Pipeline, config: &TaskConfig, spec: &ComponentSpec) -> TemplateEdit {
    TemplateEdit {
        container: main_container(p, config, spec),
        pod: PodSpec::default(),
        labels: labels(spec, config),
        annotations: config.annotations.clone(),
    }
}

/// A template and what the task's edits made of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Edited {
    /// As argot generated it.
    pub generated: TemplateEdit,
    /// After every edit, in order.
    pub edited: TemplateEdit,
    /// The settings as the edited template leaves them ([`effective`]), computed once for
    /// the checks and the local runner.
    pub effective: TaskConfig,
}

impl Edited {
    /// The top-level fields of the main container the edits changed (`workingDir`,
    /// `lifecycle`, …), as Kubernetes names them, in the container's field order.
    pub fn changed_container_fields(&self) -> Vec<String> {
        changed_fields(
            &json(&self.generated.container),
            &json(&self.edited.container),
        )
    }

    /// The pod fields the patch sets (`hostAliases`, …).
    pub fn pod_fields(&self) -> Vec<String> {
        match pod_patch_value(&self.edited.pod) {
            Some(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// A digest (hex SHA-256) of the edited template's serialised form: it keys the local
    /// cache and joins Argo's `memoize` key, so a changed edit never reuses the old result.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let bytes = serde_json::to_vec(&self.edited).expect("a template serialises");
        crate::util::hex(&Sha256::digest(&bytes))
    }
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("Kubernetes types serialise")
}

/// The keys whose values differ between two JSON objects, in `after`'s order, then those
/// only `before` has.
fn changed_fields(before: &serde_json::Value, after: &serde_json::Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let mut changed: Vec<String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    changed.extend(before.keys().filter(|k| !after.contains_key(*k)).cloned());
    changed
}

/// `config` as the edited template says: the settings argot models (environment,
/// resources, mounts other than argot's outputs folder, image, pull policy, security
/// context, labels, annotations, the pod patch's volumes) read back from it, so that the checks on settings and the
/// local runner see what the edits made.
pub fn effective(config: &TaskConfig, edited: &Edited) -> TaskConfig {
    let (before, after) = (&edited.generated, &edited.edited);
    let main = &after.container;
    let mut out = config.clone();
    out.env = main.env.clone().unwrap_or_default();
    out.resources = main.resources.clone();
    out.volume_mounts = main
        .volume_mounts
        .iter()
        .flatten()
        .filter(|m| !(m.name == OUTPUTS_VOLUME && m.mount_path == OUTPUTS_DIR))
        .cloned()
        .collect();
    if main.image != before.container.image {
        out.image = main.image.clone();
    }
    out.image_pull_policy = main.image_pull_policy.clone();
    if main.security_context != before.container.security_context {
        out.security_context = main.security_context.clone();
    }
    out.labels = after.labels.clone();
    if before.labels.get(COMPONENT_LABEL) == after.labels.get(COMPONENT_LABEL) {
        out.labels.remove(COMPONENT_LABEL);
    }
    out.annotations = after.annotations.clone();
    // Volumes the pod patch adds are the pod's too (merged by name, `ApplyPodSpecPatch`).
    for volume in after.pod.volumes.iter().flatten() {
        out.volumes.retain(|v| v.name != volume.name);
        out.volumes.push(volume.clone());
    }
    out
}

/// The edits of `config` applied to the template argot generates for it; `Ok(None)` when it
/// has none.
///
/// # Errors
/// An edit read back from serialised IR (no closure to run), naming where it was written.
pub fn edited(
    p: &Pipeline,
    config: &TaskConfig,
    spec: &ComponentSpec,
) -> Result<Option<Edited>, String> {
    if config.edits.is_empty() {
        return Ok(None);
    }
    let generated = generated(p, config, spec);
    let mut edited = generated.clone();
    for edit in &config.edits {
        edit.apply(&mut edited).ok_or_else(|| {
            format!(
                "the template edit written at {} has no closure: it was read back from serialised IR, which records only where it was written",
                edit.at
            )
        })?;
    }
    let mut out = Edited {
        generated,
        edited,
        effective: TaskConfig::default(),
    };
    out.effective = effective(config, &out);
    Ok(Some(out))
}

/// The pod patch as JSON, without the empty `containers` list Kubernetes' `PodSpec` always
/// has; `None` when it sets nothing.
fn pod_patch_value(pod: &PodSpec) -> Option<serde_json::Value> {
    let mut value = json(pod);
    if let serde_json::Value::Object(map) = &mut value {
        if map
            .get("containers")
            .is_some_and(|c| c.as_array().is_some_and(Vec::is_empty))
        {
            map.remove("containers");
        }
        if map.is_empty() {
            return None;
        }
    }
    Some(value)
}

/// The template's `podSpecPatch`: the pod fields an edit set, as compact JSON (Argo accepts
/// JSON or YAML: `ConvertYAMLToJSON` leaves text starting with `{` as it is); `None` when the
/// edits set none.
pub fn pod_spec_patch(pod: &PodSpec) -> Option<String> {
    pod_patch_value(pod).map(|v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_pod_patch_is_no_patch_and_a_set_field_is_compact_json() {
        assert_eq!(pod_spec_patch(&PodSpec::default()), None);
        let pod = PodSpec {
            host_aliases: Some(vec![k8s_openapi::api::core::v1::HostAlias {
                ip: "10.0.0.7".into(),
                hostnames: Some(vec!["data.internal".into()]),
            }]),
            ..PodSpec::default()
        };
        assert_eq!(
            pod_spec_patch(&pod).as_deref(),
            Some(r#"{"hostAliases":[{"hostnames":["data.internal"],"ip":"10.0.0.7"}]}"#)
        );
    }

    #[test]
    fn changed_fields_name_what_an_edit_set_or_cleared() {
        let before = serde_json::json!({"name": "main", "image": "a", "args": ["x"]});
        let after = serde_json::json!({"name": "main", "image": "b", "workingDir": "/w"});
        assert_eq!(
            changed_fields(&before, &after),
            ["image", "workingDir", "args"]
        );
    }
}
