//! Resource steps: their conditions (A0054), objects and outputs (A0055), the values placed
//! in their objects (A0053), and settings that only a container could honour (A0057).

use super::Checker;
use super::syntax::{is_dns_subdomain, is_label_value, is_qualified_name};
use crate::diagnostics::Code;
use crate::ir::{
    Implementation, MergeStrategy, ResourceAction, ResourceImpl, ResourceQuery, SelectorOp,
    SelectorRequirement, TaskConfig, TaskId,
};

impl Checker<'_> {
    /// A0053, A0054, A0055, A0057 over every resource step.
    pub(crate) fn resource_steps(&mut self) {
        let p = self.p;
        for (name, spec) in &p.components {
            let Implementation::Resource(resource) = &spec.implementation else {
                continue;
            };
            let task = p
                .tasks
                .iter()
                .position(|t| &t.component == name)
                .map(|i| TaskId(i as u32));
            for (which, requirements) in [
                ("success", &resource.success),
                ("failure", &resource.failure),
            ] {
                for requirement in requirements {
                    if let Err(why) = check_requirement(requirement) {
                        self.report(
                            Code::InvalidResourceCondition,
                            task,
                            format!(
                                "the {which} condition of resource step `{name}` has `{requirement}`: {why}"
                            ),
                            "build the condition with `argot::kubernetes::field(\"status.phase\").eq(\"Bound\")` and friends, with a dotted path and label-value operands",
                        );
                    }
                }
            }
            for why in manifest_problems(resource) {
                self.report(
                    Code::InvalidResourceManifest,
                    task,
                    format!("the object of resource step `{name}` {why}"),
                    "give the object `apiVersion`, `kind` and `metadata.name` (or `generateName` when it is created), and patch a custom resource with `MergeStrategy::Merge` or `Json`",
                );
            }
            for why in value_problems(spec, resource) {
                self.report(
                    Code::InvalidResourceValue,
                    task,
                    format!("resource step `{name}` {why}"),
                    "place values with `value_at(\"/spec/…\", value)` at a field the object has (or a new key of a mapping it has), not at `apiVersion` or `kind`",
                );
            }
            for output in &resource.outputs {
                let query = match &output.from {
                    ResourceQuery::JsonPath(q) | ResourceQuery::JqFilter(q) => q,
                };
                if query.trim().is_empty() {
                    self.report(
                        Code::InvalidResourceManifest,
                        task,
                        format!(
                            "output `{}` of resource step `{name}` has an empty query",
                            output.name
                        ),
                        "read it with a JSON path such as `{.metadata.name}` or a jq filter such as `.status.phase`",
                    );
                }
            }
            let component_settings = container_settings(&spec.config);
            if !component_settings.is_empty() {
                self.report(
                    Code::ResourceStepSetting,
                    task,
                    format!(
                        "resource step `{name}` sets {}, which a resource step has no container for",
                        component_settings.join(", ")
                    ),
                    "set them on the object's own pods, or drop them from the step",
                );
            }
        }
        for (i, task) in p.tasks.iter().enumerate() {
            let Some(spec) = p.components.get(&task.component) else {
                continue;
            };
            if !matches!(spec.implementation, Implementation::Resource(_)) {
                continue;
            }
            let set = container_settings(&task.config);
            if !set.is_empty() {
                self.report(
                    Code::ResourceStepSetting,
                    Some(TaskId(i as u32)),
                    format!(
                        "task `{}` is a resource step and sets {}, which a resource step has no container for",
                        task.name,
                        set.join(", ")
                    ),
                    "set them on the object's own pods, or drop them from the step",
                );
            }
        }
    }
}

/// The settings of `config` that need a container of the user's, by the method that sets them.
fn container_settings(config: &TaskConfig) -> Vec<&'static str> {
    let mut set = Vec::new();
    if !config.env.is_empty() {
        set.push("environment variables");
    }
    if config.resources.is_some() {
        set.push("resource requests or limits");
    }
    if !config.volumes.is_empty() || !config.volume_mounts.is_empty() {
        set.push("volumes");
    }
    if config.image_pull_policy.is_some() {
        set.push("an image pull policy");
    }
    if config.memoize.is_some() {
        set.push("memoization");
    }
    if !config.sidecars.is_empty() || !config.init_containers.is_empty() {
        set.push("sidecars or init containers");
    }
    if config.security_context.is_some() || config.pod_security_context.is_some() {
        set.push("a security context");
    }
    if config.image.is_some() {
        set.push("a container image");
    }
    if !config.run_volumes.is_empty() {
        set.push("run volumes");
    }
    set
}

/// Why Argo's selector parser (`labels.ParseToRequirements`, `NewRequirement`) would refuse
/// `requirement`, if it would.
pub(crate) fn check_requirement(requirement: &SelectorRequirement) -> Result<(), String> {
    if !is_qualified_name(&requirement.path) {
        return Err(format!(
            "the path {:?} is not a qualified name (letters, digits, `-`, `_`, `.`, at most 63 characters)",
            requirement.path
        ));
    }
    let values = &requirement.values;
    match requirement.op {
        SelectorOp::Exists | SelectorOp::DoesNotExist => {
            if !values.is_empty() {
                return Err("an existence test takes no value".to_owned());
            }
        }
        SelectorOp::GreaterThan | SelectorOp::LessThan => {
            if values.len() != 1 || values[0].parse::<i64>().is_err() {
                return Err("`>` and `<` compare with one whole number".to_owned());
            }
        }
        SelectorOp::Equals | SelectorOp::NotEquals | SelectorOp::In | SelectorOp::NotIn => {
            let single = matches!(requirement.op, SelectorOp::Equals | SelectorOp::NotEquals);
            if single && values.len() != 1 {
                return Err("`==` and `!=` compare with exactly one value".to_owned());
            }
            if values.is_empty() {
                return Err("`in` and `notin` need at least one value".to_owned());
            }
            if let Some(bad) = values.iter().find(|v| v.is_empty() || !is_label_value(v)) {
                return Err(format!(
                    "{bad:?} is not a label value (1 to 63 characters of `[A-Za-z0-9_.-]`, starting and ending with a letter or digit)"
                ));
            }
        }
    }
    Ok(())
}

/// What is wrong with a resource step's object, each as the end of a sentence.
pub(crate) fn manifest_problems(resource: &ResourceImpl) -> Vec<String> {
    let object: serde_json::Value = match serde_saphyr::from_str(&resource.manifest) {
        Ok(v) => v,
        Err(e) => return vec![format!("is not valid YAML: {e}")],
    };
    let Some(object) = object.as_object() else {
        return vec!["is not a mapping".to_owned()];
    };
    let mut problems = Vec::new();
    let text = |key: &str| {
        object
            .get(key)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    let api_version = text("apiVersion");
    if api_version.is_none() {
        problems.push("has no `apiVersion`".to_owned());
    }
    if text("kind").is_none() {
        problems.push("has no `kind`".to_owned());
    }
    let metadata = object.get("metadata").and_then(|m| m.as_object());
    let meta_text = |key: &str| {
        metadata
            .and_then(|m| m.get(key))
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    match (meta_text("name"), meta_text("generateName")) {
        (Some(name), _) => {
            // `{{…}}` is substituted by Argo per run; only a literal name can be checked now.
            if !name.contains("{{") && !is_dns_subdomain(name) {
                problems.push(format!(
                    "is named {name:?}, which is not a DNS subdomain (lowercase letters, digits, `-` and `.`)"
                ));
            }
        }
        (None, Some(_)) if resource.action == ResourceAction::Create => {}
        (None, Some(_)) => problems.push(format!(
            "has only a `generateName`, which names a new object: `{}` needs the `name` of an existing one",
            resource.action.as_str()
        )),
        (None, None) => problems.push("has no `metadata.name`".to_owned()),
    }
    if resource.action == ResourceAction::Patch
        && matches!(
            resource.merge_strategy,
            None | Some(MergeStrategy::Strategic)
        )
        && let Some(group) = api_version.and_then(|v| v.split_once('/')).map(|(g, _)| g)
        && is_custom_group(group)
    {
        problems.push(format!(
            "is a custom resource (API group `{group}`), which Kubernetes cannot patch with the `strategic` merge strategy"
        ));
    }
    problems
}

/// What is wrong with the values placed in a resource step's object, each as the end of a
/// sentence that starts with the step.
pub(crate) fn value_problems(
    spec: &crate::ir::ComponentSpec,
    resource: &ResourceImpl,
) -> Vec<String> {
    let mut problems = Vec::new();
    for input in &spec.inputs {
        if !resource.values.iter().any(|v| v.input == input.name) {
            problems.push(format!(
                "has input `{}`, which is placed nowhere in its object",
                input.name
            ));
        }
    }
    if resource.values.is_empty() {
        return problems;
    }
    // An object that is not YAML is A0055's to report.
    let Ok(object) = serde_saphyr::from_str::<serde_json::Value>(&resource.manifest) else {
        return problems;
    };
    let mut placed: Vec<Vec<String>> = Vec::new();
    for value in &resource.values {
        let at = &value.at;
        let is_parameter = spec
            .input(&value.input)
            .is_some_and(|i| !i.kind.is_artifact());
        if !is_parameter {
            problems.push(format!(
                "places input `{}` at {at:?}, but it has no such parameter input",
                value.input
            ));
        }
        let tokens = match crate::ir::pointer_tokens(at) {
            Ok(tokens) => tokens,
            Err(why) => {
                problems.push(format!(
                    "places a value at {at:?}, which is not a JSON pointer: {why}"
                ));
                continue;
            }
        };
        if let [only] = tokens.as_slice()
            && (only == "apiVersion" || only == "kind")
        {
            problems.push(format!(
                "places a value at `{only}`, which says what the object is: it must be written in the object"
            ));
            continue;
        }
        let (parent, last) = tokens.split_at(tokens.len() - 1);
        let mut here = &object;
        let mut missing = None;
        for (depth, token) in parent.iter().enumerate() {
            let next = match here {
                serde_json::Value::Object(map) => map.get(token),
                serde_json::Value::Array(items) => {
                    token.parse::<usize>().ok().and_then(|i| items.get(i))
                }
                _ => None,
            };
            match next {
                Some(next) => here = next,
                None => {
                    missing = Some(depth);
                    break;
                }
            }
        }
        if let Some(depth) = missing {
            problems.push(format!(
                "places a value at {at:?}, but the object has nothing at `/{}`",
                tokens[..=depth].join("/")
            ));
            continue;
        }
        match here {
            serde_json::Value::Object(_) => {}
            serde_json::Value::Array(items) => {
                if !last[0].parse::<usize>().is_ok_and(|i| i < items.len()) {
                    problems.push(format!(
                        "places a value at {at:?}, but the list there has {} element(s), numbered from 0",
                        items.len()
                    ));
                    continue;
                }
            }
            _ => {
                problems.push(format!(
                    "places a value at {at:?}, but what the object has at its parent is neither a mapping nor a list"
                ));
                continue;
            }
        }
        if let Some(other) = placed
            .iter()
            .find(|other| other.starts_with(&tokens) || tokens.starts_with(other.as_slice()))
        {
            problems.push(format!(
                "places two values at {at:?} and `/{}`, one where the other goes",
                other.join("/")
            ));
            continue;
        }
        placed.push(tokens);
    }
    problems
}

/// Is `group` an API group of custom resources? Built-in groups are dot-free (`apps`, `batch`)
/// or under `k8s.io`.
fn is_custom_group(group: &str) -> bool {
    group.contains('.') && !group.ends_with(".k8s.io") && group != "k8s.io"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str, op: SelectorOp, values: &[&str]) -> SelectorRequirement {
        SelectorRequirement {
            path: path.to_owned(),
            op,
            values: values.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn requirements_are_checked_as_the_label_selector_parser_does() {
        assert!(check_requirement(&req("status.phase", SelectorOp::Equals, &["Bound"])).is_ok());
        assert!(
            check_requirement(&req("status.succeeded", SelectorOp::GreaterThan, &["0"])).is_ok()
        );
        assert!(check_requirement(&req("status.x", SelectorOp::In, &["a", "b"])).is_ok());
        assert!(check_requirement(&req("status.x", SelectorOp::Exists, &[])).is_ok());
        for bad in [
            req("status phase", SelectorOp::Equals, &["Bound"]),
            req("status.phase", SelectorOp::Equals, &["Bound!"]),
            req("status.phase", SelectorOp::Equals, &[""]),
            req("status.succeeded", SelectorOp::GreaterThan, &["zero"]),
            req("status.x", SelectorOp::In, &[]),
            req(&"a".repeat(64), SelectorOp::Exists, &[]),
        ] {
            assert!(check_requirement(&bad).is_err(), "{bad}");
        }
    }

    fn resource(action: ResourceAction, manifest: &str) -> ResourceImpl {
        ResourceImpl {
            action,
            manifest: manifest.to_owned(),
            merge_strategy: None,
            set_owner_reference: false,
            success: Vec::new(),
            failure: Vec::new(),
            outputs: Vec::new(),
            values: Vec::new(),
        }
    }

    #[test]
    fn objects_need_a_kind_and_a_name() {
        let ok = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: '{{workflow.name}}-x'\n";
        assert!(manifest_problems(&resource(ResourceAction::Create, ok)).is_empty());
        let generated = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: pi-\n";
        assert!(manifest_problems(&resource(ResourceAction::Create, generated)).is_empty());
        assert_eq!(
            manifest_problems(&resource(ResourceAction::Delete, generated)).len(),
            1
        );
        let bare = "metadata: {}\n";
        assert_eq!(
            manifest_problems(&resource(ResourceAction::Create, bare)).len(),
            3
        );
        let upper = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Data\n";
        assert_eq!(
            manifest_problems(&resource(ResourceAction::Apply, upper)).len(),
            1
        );
        let crd = "apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata:\n  name: job\n";
        assert_eq!(
            manifest_problems(&resource(ResourceAction::Patch, crd)).len(),
            1
        );
        let mut merged = resource(ResourceAction::Patch, crd);
        merged.merge_strategy = Some(MergeStrategy::Merge);
        assert!(manifest_problems(&merged).is_empty());
        let builtin = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n";
        assert!(manifest_problems(&resource(ResourceAction::Patch, builtin)).is_empty());
    }
}
