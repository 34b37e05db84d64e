//! What Argo and the kubelet do to a parameter value on its way into a container, reproduced
//! for the local runner so that a local run never hides a difference from a cluster run.
//!
//! Values argot encodes ([`crate::value`]) contain nothing either rewriter recognises, so for
//! them every function here is the identity. A value argot does not control — a container
//! component's output parameter, read raw from the file the image wrote — is rewritten:
//!
//! - **Argo** (`SubstituteParams`, `workflow/common/util.go`): the consuming template, with its
//!   input values filled in by `ProcessArgs`, is marshalled to JSON and every `{{…}}` tag naming
//!   a global variable is replaced (pass 1); then globals, `inputs.parameters.*`, input artifact
//!   paths and output paths are replaced in the result (pass 2). An input value is therefore
//!   substituted twice, and text inserted by a pass is not scanned again within that pass
//!   (`util/template`, fasttemplate). Unknown tags are kept (`allowUnresolved`). Global
//!   variables are those `setGlobalParameters` (`workflow/controller/operator.go`) defines; the
//!   local run's values are [`Globals::local`].
//! - **The kubelet** expands `$(VAR)` and `$$` in a container's `command` and `args` (Kubernetes
//!   `third_party/forked/golang/expansion/expand.go`, modelled by [`crate::protocol::argv::expand`]),
//!   with the variables the container declares — argot declares none — plus those Argo adds to
//!   every main container (`EnvVar…` in `workflow/common/common.go`) and Kubernetes' service
//!   links for the `kubernetes` service ([`kubelet_env`]). Only values in a container
//!   component's argv meet it: native components read their values from files.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::ir::{CmdArg, ComponentSpec, Implementation, IoKind, Piece};
use crate::protocol::argv::{escape, expand};
use crate::protocol::{INPUTS_DIR, OUTPUTS_DIR, param_file_path, render_cmd_arg};

/// Argo's `{{…}}` substitution (fasttemplate, tags trimmed): one left-to-right pass; a tag
/// `lookup` knows is replaced, any other is kept as written; replaced text is not rescanned.
pub fn substitute(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        match lookup(after[..end].trim()) {
            Some(value) => out.push_str(&value),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The global variables of one run, as Argo's controller defines them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Globals(BTreeMap<String, String>);

impl Globals {
    /// The globals of a local run: `workflow.name` is the run id, `workflow.namespace` is
    /// `local`, `workflow.uid` a UUID derived from the run id, `workflow.parameters.X` the run's
    /// wire values, `workflow.creationTimestamp` its start.
    pub fn local(
        run_id: &str,
        entrypoint: &str,
        started_at: &str,
        labels: &BTreeMap<String, String>,
        parameters: &BTreeMap<String, String>,
    ) -> Globals {
        let mut g = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            g.insert(k.to_owned(), v);
        };
        put("workflow.name", run_id.to_owned());
        put("workflow.namespace", "local".to_owned());
        put("workflow.uid", uid_of(run_id));
        put("workflow.mainEntrypoint", entrypoint.to_owned());
        put("workflow.serviceAccountName", String::new());
        put("workflow.creationTimestamp", started_at.to_owned());
        put("workflow.creationTimestamp.RFC3339", started_at.to_owned());
        put("workflow.status", "Running".to_owned());
        let list: Vec<serde_json::Value> = parameters
            .iter()
            .map(|(name, value)| serde_json::json!({"name": name, "value": value}))
            .collect();
        let json = serde_json::Value::Array(list).to_string();
        put("workflow.parameters", json.clone());
        put("workflow.parameters.json", json);
        for (name, value) in parameters {
            put(&format!("workflow.parameters.{name}"), value.clone());
        }
        for (key, value) in labels {
            put(&format!("workflow.labels.{key}"), value.clone());
        }
        Globals(g)
    }

    pub(crate) fn get(&self, tag: &str) -> Option<String> {
        self.0.get(tag).cloned()
    }
}

/// A stable UUID-shaped id for a run id (Kubernetes gives each object a random UUID).
fn uid_of(run_id: &str) -> String {
    let d = Sha256::digest(run_id.as_bytes());
    let h = crate::util::hex(&d[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The input values `spec`'s process sees, given the values its task's arguments resolve to
/// (in wire form, or raw for values argot does not control): Argo's two substitution passes of
/// `SubstituteParams`.
pub fn argo_inputs(
    spec: &ComponentSpec,
    globals: &Globals,
    values: &[(String, String)],
) -> Vec<(String, String)> {
    let pass1: Vec<(String, String)> = values
        .iter()
        .map(|(n, v)| (n.clone(), substitute(v, &|tag| globals.get(tag))))
        .collect();
    let lookup = |tag: &str| -> Option<String> {
        if let Some(v) = globals.get(tag) {
            return Some(v);
        }
        if let Some(name) = tag.strip_prefix("inputs.parameters.") {
            return pass1
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone());
        }
        if tag == "inputs.parameters" {
            let list: Vec<serde_json::Value> = pass1
                .iter()
                .map(|(n, v)| serde_json::json!({"name": n, "value": v}))
                .collect();
            return Some(serde_json::Value::Array(list).to_string());
        }
        let path = |prefix: &str, suffix: &str| {
            tag.strip_prefix(prefix)
                .and_then(|t| t.strip_suffix(suffix))
                .map(str::to_owned)
        };
        if let Some(name) = path("inputs.artifacts.", ".path") {
            // A native component's parameters are files too (`param_file_path`).
            return match spec.input(&name)?.kind {
                IoKind::Artifact { .. } => Some(format!("{INPUTS_DIR}/{name}")),
                IoKind::Parameter { .. } if spec.implementation == Implementation::Native => {
                    Some(param_file_path(&name))
                }
                IoKind::Parameter { .. } => None,
            };
        }
        if let Some(name) = path("outputs.artifacts.", ".path") {
            return spec
                .output(&name)
                .is_some_and(|o| o.kind.is_artifact())
                .then(|| format!("{OUTPUTS_DIR}/{name}"));
        }
        if let Some(name) = path("outputs.parameters.", ".path") {
            return spec
                .output(&name)
                .is_some_and(|o| !o.kind.is_artifact())
                .then(|| format!("{OUTPUTS_DIR}/{name}"));
        }
        None
    };
    pass1
        .iter()
        .map(|(n, v)| (n.clone(), substitute(v, &lookup)))
        .collect()
}

/// The environment variables the kubelet expands `$(VAR)` with in an argot container: the ones
/// Argo adds to the main container (`workflow/common/common.go`) and the service links of the
/// `kubernetes` service, with plausible local values.
pub fn kubelet_env(run_id: &str, task: &str) -> BTreeMap<String, String> {
    let pod = format!("{run_id}-{task}");
    [
        ("ARGO_CONTAINER_NAME", "main".to_owned()),
        ("ARGO_TEMPLATE", "{}".to_owned()),
        ("ARGO_NODE_ID", pod.clone()),
        ("ARGO_POD_NAME", pod.clone()),
        ("ARGO_POD_UID", uid_of(&pod)),
        ("ARGO_WORKFLOW_NAME", run_id.to_owned()),
        ("ARGO_WORKFLOW_UID", uid_of(run_id)),
        ("ARGO_INCLUDE_SCRIPT_OUTPUT", "false".to_owned()),
        ("ARGO_DEADLINE", "0001-01-01T00:00:00Z".to_owned()),
        ("ARGO_PROGRESS_FILE", "/var/run/argo/progress".to_owned()),
        ("ARGO_PROGRESS_PATCH_TICK_DURATION", "1m0s".to_owned()),
        ("ARGO_PROGRESS_FILE_TICK_DURATION", "3s".to_owned()),
        ("KUBERNETES_SERVICE_HOST", "10.96.0.1".to_owned()),
        ("KUBERNETES_SERVICE_PORT", "443".to_owned()),
        ("KUBERNETES_SERVICE_PORT_HTTPS", "443".to_owned()),
        ("KUBERNETES_PORT", "tcp://10.96.0.1:443".to_owned()),
        ("KUBERNETES_PORT_443_TCP", "tcp://10.96.0.1:443".to_owned()),
        ("KUBERNETES_PORT_443_TCP_PROTO", "tcp".to_owned()),
        ("KUBERNETES_PORT_443_TCP_PORT", "443".to_owned()),
        ("KUBERNETES_PORT_443_TCP_ADDR", "10.96.0.1".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// One argv element of a container component as its process receives it: the text argot
/// wrote (escaped for the kubelet, as the emitter writes it) with Argo's values inserted, then
/// the kubelet's expansion.
pub fn container_arg(
    arg: &CmdArg,
    value: &dyn Fn(&str) -> String,
    env: &BTreeMap<String, String>,
) -> String {
    let emitted: String = arg
        .0
        .iter()
        .map(|piece| match piece {
            Piece::InputValue(name) => value(name),
            other => escape(&render_cmd_arg(&CmdArg(vec![other.clone()]), |_| {
                String::new()
            }))
            .into_owned(),
        })
        .collect();
    expand(&emitted, &|name| env.get(name).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::InputSpec;

    fn globals() -> Globals {
        Globals::local(
            "demo-20260101-000000-abcd",
            "demo",
            "2026-01-01T00:00:00Z",
            &BTreeMap::from([("argot.dev/pipeline".to_owned(), "demo".to_owned())]),
            &BTreeMap::from([("token".to_owned(), "s3cret".to_owned())]),
        )
    }

    fn native(inputs: &[&str]) -> ComponentSpec {
        let mut spec = ComponentSpec {
            name: "c".into(),
            description: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            implementation: Implementation::Native,
            code_hash: None,
            config: Default::default(),
        };
        for name in inputs {
            spec.inputs.push(InputSpec {
                name: (*name).to_owned(),
                kind: IoKind::Parameter {
                    rust_type: "String".into(),
                    schema: crate::schema::TypeSchema::Text,
                },
                default: None,
                optional: false,
            });
        }
        spec
    }

    #[test]
    fn substitution_keeps_unknown_tags_and_does_not_rescan() {
        let lookup = |t: &str| match t {
            "a" => Some("{{b}}".to_owned()),
            "b" => Some("B".to_owned()),
            _ => None,
        };
        assert_eq!(
            substitute("x{{ a }}y{{c}}z{{b", &lookup),
            "x{{b}}y{{c}}z{{b"
        );
        assert_eq!(substitute("{{b}}{{b}}", &lookup), "BB");
    }

    #[test]
    fn raw_values_meet_the_globals_and_wire_values_pass_unchanged() {
        let g = globals();
        let spec = native(&["raw", "wire", "other"]);
        let wire = crate::value::encode(&"{{workflow.uid}} $(HOME)".to_owned()).unwrap();
        let values = vec![
            (
                "raw".to_owned(),
                "{{workflow.name}}/{{workflow.parameters.token}}/{{inputs.parameters.other}}/{{inputs.artifacts.other.path}}/{{nope}}".to_owned(),
            ),
            ("wire".to_owned(), wire.clone()),
            ("other".to_owned(), "{{workflow.namespace}}".to_owned()),
        ];
        let seen = argo_inputs(&spec, &g, &values);
        assert_eq!(
            seen[0].1,
            "demo-20260101-000000-abcd/s3cret/local//tmp/argot/params/other/{{nope}}"
        );
        assert_eq!(seen[1].1, wire);
        assert_eq!(seen[2].1, "local");
        let uid = g.get("workflow.uid").unwrap();
        assert_eq!(uid.len(), 36);
        assert_eq!(uid, globals().get("workflow.uid").unwrap(), "stable");
    }

    #[test]
    fn container_arguments_meet_the_kubelet() {
        let env = kubelet_env("run", "task");
        let arg = CmdArg(vec![
            Piece::Literal("lit $(HOME) $$ ".into()),
            Piece::InputValue("v".into()),
        ]);
        let value =
            |_: &str| "$(HOME) $$ $(ARGO_CONTAINER_NAME) $(KUBERNETES_SERVICE_PORT)".to_owned();
        assert_eq!(
            container_arg(&arg, &value, &env),
            "lit $(HOME) $$ $(HOME) $ main 443"
        );
        let path = CmdArg(vec![Piece::OutputPath("out".into())]);
        assert_eq!(container_arg(&path, &value, &env), "/tmp/argot/outputs/out");
    }
}
