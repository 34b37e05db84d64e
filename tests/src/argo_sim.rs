//! What Argo and the kubelet make of a manifest, modelled independently of the compiler, so
//! tests can check it instead of trusting the code under test.
//!
//! - [`pods`] resolves, for each DAG task, the command line its container receives and the
//!   files Argo writes from `raw` input artifacts: `ProcessArgs` and the two passes of
//!   `SubstituteParams` (global variables such as `{{workflow.uid}}` are replaced in input
//!   values too), then the kubelet's `$(VAR)`/`$$` expansion (with every identifier treated as
//!   a defined variable, so any expansion shows). [`container_argv`] is its command lines.
//! - [`violations`] re-checks the rules of Argo's validator (`workflow/validate/validate.go`)
//!   and Kubernetes' metadata limits that apply to argot's manifests.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// A value known only at run time (a task output), as it appears in a resolved argv.
pub const RUNTIME: &str = "\u{1}runtime\u{1}";

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn params(v: &Value) -> Vec<&Value> {
    v["parameters"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// Argo's `{{…}}` substitution (fasttemplate with trimmed tags): every tag found in `vars` is
/// replaced in one pass; a tag that is not found is kept.
pub fn substitute(text: &str, vars: &mut dyn FnMut(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let tag = after[..end].trim();
                match vars(tag) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The kubelet's expansion of a `command`/`args` string, every C identifier being a defined
/// environment variable (its value `<env:NAME>`).
pub fn kubelet_expand(input: &str) -> String {
    let defined = |name: &str| {
        let mut b = name.bytes();
        (matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
            && b.all(|c| c.is_ascii_alphanumeric() || c == b'_'))
        .then(|| format!("<env:{name}>"))
    };
    let mut out = String::new();
    let mut chars = input.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '$' || chars.peek().is_none() {
            out.push(c);
            continue;
        }
        let rest = &input[i + 1..];
        if rest.starts_with('$') {
            out.push('$');
            chars.next();
        } else if rest.starts_with('(') {
            match rest.find(')') {
                Some(end) => {
                    let name = &rest[1..end];
                    match defined(name) {
                        Some(v) => out.push_str(&v),
                        None => out.push_str(&format!("$({name})")),
                    }
                    for _ in 0..rest[..=end].chars().count() {
                        chars.next();
                    }
                }
                None => {
                    out.push_str("$(");
                    chars.next();
                }
            }
        } else {
            out.push('$');
        }
    }
    out
}

/// Argo inserts a value into the template's JSON as Go's `strconv.Quote` writes it and refuses
/// the result unless it is JSON (`util/template`): C0 controls other than `\b \t \n \f \r`
/// and DEL come out as `\x..`, `\a` or `\v`. Panics on such a value.
fn insertable(value: String) -> String {
    // The stand-in for a run-time value is not a value.
    let bad = value
        .replace(RUNTIME, "")
        .chars()
        .find(|&c| (c < ' ' && !"\u{8}\t\n\u{c}\r".contains(c)) || c == '\u{7f}');
    if let Some(c) = bad {
        panic!("Argo's substitution fails on {c:?} in a value: {value:?}");
    }
    value
}

/// The global variables of the simulated workflow (`setGlobalParameters` in
/// `workflow/controller/operator.go`), besides `workflow.parameters.*`.
pub const GLOBALS: [(&str, &str); 4] = [
    ("workflow.name", "sim-wf-x7k2p"),
    ("workflow.namespace", "sim-ns"),
    ("workflow.uid", "5f0c4d2e-0000-4000-8000-000000000001"),
    ("workflow.serviceAccountName", "default"),
];

/// What one task's container gets: its command line (command, then args, after Argo's
/// substitution and the kubelet's expansion) and the files Argo writes from `raw` input
/// artifacts, by path.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pod {
    /// `command` then `args`.
    pub argv: Vec<String>,
    /// Raw input artifacts: path → content.
    pub files: BTreeMap<String, String>,
}

/// The command line (command, then args) the container of each DAG task receives, by task
/// name. Task outputs appear as [`RUNTIME`]. Panics on what Argo would refuse to resolve.
pub fn container_argv(manifest: &Value) -> BTreeMap<String, Vec<String>> {
    pods(manifest, &BTreeMap::new(), &mut |_, _| None)
        .into_iter()
        .map(|(task, pod)| (task, pod.argv))
        .collect()
}

/// What the container of each DAG task receives, by task name, in the order of the DAG's
/// tasks. `submitted` are `submit -p` values (they replace the manifest's); `output(task,
/// name)` gives a task output parameter's value once that task has run (called in task
/// order), [`RUNTIME`] standing in for the ones it does not give.
///
/// The model of Argo: a DAG task's arguments resolve `{{workflow.parameters.…}}` and
/// `{{tasks.….outputs.parameters.…}}` (text inserted is not rescanned); `ProcessArgs` fills the
/// template's inputs from the arguments or defaults; `SubstituteParams` (`workflow/common/
/// util.go`) then replaces the global variables in the whole template, input values included
/// (pass 1), and globals plus `inputs.parameters.*` (with the pass-1 values) in the result
/// (pass 2). `raw` artifact data is substituted like any string. The kubelet then expands
/// `$(VAR)` and `$$` in `command` and `args` (every identifier being a defined variable).
pub fn pods(
    manifest: &Value,
    submitted: &BTreeMap<String, String>,
    output: &mut dyn FnMut(&str, &str) -> Option<String>,
) -> BTreeMap<String, Pod> {
    let spec = &manifest["spec"];
    // A parameter without a value is supplied at submit time.
    let mut workflow_params: BTreeMap<String, String> = params(&spec["arguments"])
        .into_iter()
        .map(|p| {
            (
                str_of(&p["name"]).to_owned(),
                p.get("value").map_or(RUNTIME, str_of).to_owned(),
            )
        })
        .collect();
    for (name, value) in submitted {
        assert!(
            workflow_params.contains_key(name),
            "submitted parameter `{name}` is not a workflow argument"
        );
        workflow_params.insert(name.clone(), value.clone());
    }
    let global = |tag: &str| -> Option<String> {
        if let Some(name) = tag.strip_prefix("workflow.parameters.") {
            return workflow_params.get(name).cloned().map(insertable);
        }
        GLOBALS
            .iter()
            .find(|(k, _)| *k == tag)
            .map(|(_, v)| (*v).to_owned())
    };
    let templates: BTreeMap<&str, &Value> = spec["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .map(|t| (str_of(&t["name"]), t))
        .collect();
    let entry = templates[str_of(&spec["entrypoint"])];
    let mut out = BTreeMap::new();
    for task in entry["dag"]["tasks"].as_array().expect("a DAG") {
        let task_name = str_of(&task["name"]);
        let template = templates[str_of(&task["template"])];
        let mut dag_vars = |tag: &str| {
            if let Some(v) = global(tag) {
                return Some(v);
            }
            let rest = tag.strip_prefix("tasks.")?;
            let (producer, name) = rest.split_once(".outputs.parameters.")?;
            Some(insertable(
                output(producer, name).unwrap_or_else(|| RUNTIME.to_owned()),
            ))
        };
        let args: BTreeMap<&str, String> = params(&task["arguments"])
            .into_iter()
            .map(|p| {
                (
                    str_of(&p["name"]),
                    substitute(str_of(&p["value"]), &mut dag_vars),
                )
            })
            .collect();
        // ProcessArgs, then SubstituteParams' pass 1 on the input values.
        let mut inputs: BTreeMap<String, String> = BTreeMap::new();
        for input in params(&template["inputs"]) {
            let name = str_of(&input["name"]);
            let value = args
                .get(name)
                .cloned()
                .or_else(|| input.get("default").map(|d| str_of(d).to_owned()))
                .unwrap_or_else(|| panic!("input `{name}` of task `{task_name}` is not supplied"));
            inputs.insert(name.to_owned(), substitute(&value, &mut |t| global(t)));
        }
        // Pass 2 on every string of the template.
        let pass2 = |text: &str| {
            let text = substitute(text, &mut |t| global(t));
            substitute(&text, &mut |tag: &str| {
                tag.strip_prefix("inputs.parameters.")
                    .and_then(|n| inputs.get(n).cloned())
                    .map(insertable)
                    .or_else(|| global(tag))
            })
        };
        let container = &template["container"];
        let argv: Vec<String> = ["command", "args"]
            .iter()
            .flat_map(|k| container[*k].as_array().cloned().unwrap_or_default())
            .map(|a| kubelet_expand(&pass2(str_of(&a))))
            .collect();
        let mut files = BTreeMap::new();
        for artifact in template["inputs"]["artifacts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            if let Some(raw) = artifact.get("raw") {
                let path = str_of(&artifact["path"]).to_owned();
                assert!(
                    !path.is_empty(),
                    "raw artifact `{}` of task `{task_name}` has no path",
                    str_of(&artifact["name"])
                );
                files.insert(path, pass2(str_of(&raw["data"])));
            }
        }
        out.insert(task_name.to_owned(), Pod { argv, files });
    }
    out
}

/// `[a-zA-Z0-9][-a-zA-Z0-9]*`, at most 128 (`isValidWorkflowFieldName`).
fn is_field_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphanumeric())
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'-')
        && s.len() <= 128
}

/// `^[-a-zA-Z0-9_]+$` (`isValidParamOrArtifactName`).
fn is_io_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

fn is_label_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
}

fn is_label_key(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => {
            prefix.len() <= 253
                && prefix.split('.').all(|l| {
                    !l.is_empty()
                        && l.bytes()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                })
                && is_label_part(name)
        }
        None => is_label_part(s),
    }
}

fn unique<'a>(what: &str, names: impl Iterator<Item = &'a str>, out: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    for n in names {
        if !seen.insert(n) {
            out.push(format!("{what} `{n}` is not unique"));
        }
    }
}

fn check_meta(whose: &str, m: &Value, out: &mut Vec<String>) {
    let mut total = 0;
    for (k, v) in m["labels"].as_object().into_iter().flatten() {
        let v = str_of(v);
        if !is_label_key(k) || !(v.is_empty() || is_label_part(v)) {
            out.push(format!("{whose}: label `{k}: {v}` is invalid"));
        }
    }
    for (k, v) in m["annotations"].as_object().into_iter().flatten() {
        total += k.len() + str_of(v).len();
        if !is_label_key(k) {
            out.push(format!("{whose}: annotation key `{k}` is invalid"));
        }
    }
    if total > 256 * 1024 {
        out.push(format!("{whose}: annotations take {total} bytes"));
    }
}

/// Everything Argo's validator or Kubernetes would refuse in `manifest`, as messages.
pub fn violations(manifest: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let meta = &manifest["metadata"];
    match meta["generateName"].as_str() {
        Some(g) => {
            let prefix = g.strip_suffix('-').unwrap_or("");
            let dns = !prefix.is_empty()
                && prefix
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                && !prefix.starts_with('-');
            if !dns || g.len() + 5 > 63 {
                out.push(format!(
                    "generateName `{g}` does not leave a valid name of at most 63 characters"
                ));
            }
        }
        None => out.push("no generateName".into()),
    }
    check_meta("workflow", meta, &mut out);
    let spec = &manifest["spec"];
    for p in params(&spec["arguments"]) {
        if !is_io_name(str_of(&p["name"])) {
            out.push(format!(
                "workflow parameter `{}` has an invalid name",
                str_of(&p["name"])
            ));
        }
    }
    unique(
        "workflow parameter",
        params(&spec["arguments"])
            .into_iter()
            .map(|p| str_of(&p["name"])),
        &mut out,
    );
    let templates: Vec<&Value> = spec["templates"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    unique(
        "template",
        templates.iter().map(|t| str_of(&t["name"])),
        &mut out,
    );
    let by_name: BTreeMap<&str, &Value> =
        templates.iter().map(|t| (str_of(&t["name"]), *t)).collect();
    if !by_name.contains_key(str_of(&spec["entrypoint"])) {
        out.push("the entrypoint is not a template".into());
    }
    for t in &templates {
        let name = str_of(&t["name"]);
        if !is_field_name(name) {
            out.push(format!("template name `{name}` is invalid"));
        }
        check_meta(&format!("template `{name}`"), &t["metadata"], &mut out);
        for (side, kind) in [
            ("inputs", "parameters"),
            ("inputs", "artifacts"),
            ("outputs", "parameters"),
            ("outputs", "artifacts"),
        ] {
            let items: Vec<&Value> = t[side][kind]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            for i in &items {
                if !is_io_name(str_of(&i["name"])) {
                    out.push(format!(
                        "template `{name}`: {side}.{kind} `{}` has an invalid name",
                        str_of(&i["name"])
                    ));
                }
            }
            unique(
                &format!("template `{name}` {side}.{kind}"),
                items.iter().map(|i| str_of(&i["name"])),
                &mut out,
            );
        }
        if let Some(c) = t.get("container") {
            if str_of(&c["image"]).trim().is_empty() {
                out.push(format!("template `{name}` has no image"));
            }
            let inputs: BTreeSet<&str> = params(&t["inputs"])
                .into_iter()
                .map(|p| str_of(&p["name"]))
                .collect();
            let mut unresolved = Vec::new();
            for a in ["command", "args"]
                .iter()
                .flat_map(|k| c[*k].as_array().cloned().unwrap_or_default())
            {
                substitute(str_of(&a), &mut |tag: &str| {
                    let ok = tag
                        .strip_prefix("inputs.parameters.")
                        .is_some_and(|n| inputs.contains(n));
                    if !ok {
                        unresolved.push(format!(
                            "template `{name}`: failed to resolve {{{{{tag}}}}}"
                        ));
                    }
                    Some(String::new())
                });
            }
            out.extend(unresolved);
        }
        if let Some(dag) = t.get("dag") {
            check_dag(name, dag, &by_name, &mut out);
        }
    }
    out
}

fn check_dag(template: &str, dag: &Value, by_name: &BTreeMap<&str, &Value>, out: &mut Vec<String>) {
    let tasks: Vec<&Value> = dag["tasks"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if tasks.is_empty() {
        out.push(format!("templates.{template} must have at least one task"));
    }
    unique("task", tasks.iter().map(|t| str_of(&t["name"])), out);
    let using_depends = tasks.iter().any(|t| t.get("depends").is_some());
    let names: BTreeSet<&str> = tasks.iter().map(|t| str_of(&t["name"])).collect();
    let mut deps: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in &tasks {
        let name = str_of(&t["name"]);
        if !is_field_name(name) || (using_depends && name.starts_with(|c: char| c.is_ascii_digit()))
        {
            out.push(format!("task name `{name}` is invalid"));
        }
        let d: Vec<&str> = t
            .get("depends")
            .map(|d| str_of(d).split(" && ").collect())
            .unwrap_or_default();
        for dep in &d {
            if !names.contains(dep) {
                out.push(format!("task `{name}`: dependency `{dep}` not defined"));
            }
        }
        deps.insert(name, d);
    }
    // Ancestors by depth-first search; a task among its own ancestors is a cycle.
    let ancestors = |start: &str| {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = deps.get(start).cloned().unwrap_or_default();
        while let Some(n) = stack.pop() {
            if seen.insert(n) {
                stack.extend(deps.get(n).cloned().unwrap_or_default());
            }
        }
        seen
    };
    for t in &tasks {
        let name = str_of(&t["name"]);
        let anc = ancestors(name);
        if anc.contains(name) {
            out.push(format!("dependency cycle through `{name}`"));
            continue;
        }
        let Some(template) = by_name.get(str_of(&t["template"])) else {
            out.push(format!(
                "task `{name}`: template `{}` undefined",
                str_of(&t["template"])
            ));
            continue;
        };
        let refs = params(&t["arguments"])
            .into_iter()
            .map(|p| (str_of(&p["name"]), str_of(&p["value"])))
            .chain(
                t["arguments"]["artifacts"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| (str_of(&a["name"]), str_of(&a["from"]))),
            );
        for (arg, value) in refs {
            if let Some(rest) = value.strip_prefix("{{tasks.") {
                let producer = rest.split('.').next().unwrap_or("");
                if !anc.contains(producer) {
                    out.push(format!(
                        "task `{name}`: missing dependency `{producer}` for `{arg}`"
                    ));
                }
            }
        }
        let supplied: BTreeSet<&str> = params(&t["arguments"])
            .into_iter()
            .map(|p| str_of(&p["name"]))
            .collect();
        for input in params(&template["inputs"]) {
            let n = str_of(&input["name"]);
            if !supplied.contains(n) && input.get("default").is_none() {
                out.push(format!(
                    "task `{name}`: inputs.parameters.{n} was not supplied"
                ));
            }
        }
        let template_artifacts: BTreeSet<&str> = template["inputs"]["artifacts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| str_of(&a["name"]))
            .collect();
        for a in t["arguments"]["artifacts"].as_array().into_iter().flatten() {
            if !template_artifacts.contains(str_of(&a["name"])) {
                out.push(format!(
                    "task `{name}`: artifact `{}` is not an input",
                    str_of(&a["name"])
                ));
            }
        }
        // `ProcessArgs` (`workflow/common/util.go`): an artifact with a location (`raw`) or
        // marked optional needs no argument.
        let needed = template["inputs"]["artifacts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a.get("raw").is_none() && a["optional"] != Value::Bool(true))
            .map(|a| str_of(&a["name"]));
        for a in needed {
            let given = t["arguments"]["artifacts"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|x| str_of(&x["name"]) == a);
            if !given {
                out.push(format!("task `{name}`: input artifact `{a}` not supplied"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_and_expansion_model_argo_and_the_kubelet() {
        let mut vars = |t: &str| (t == "inputs.parameters.x").then(|| "v".to_owned());
        assert_eq!(
            substitute("a{{ inputs.parameters.x }}b{{other}}", &mut vars),
            "avb{{other}}"
        );
        assert_eq!(
            kubelet_expand("$(HOME) $$ $(a b) $x $"),
            "<env:HOME> $ $(a b) $x $"
        );
    }
}
