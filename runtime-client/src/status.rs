//! Reading an Argo Workflow's `status`: node decoding and mapping nodes back to tasks.
//!
//! Argo records one *node* per DAG task, step, retry attempt, loop iteration and group. Users
//! think in the task names they wrote, so [`WorkflowView::from_workflow`] folds nodes into
//! [`TaskStatus`] entries:
//!
//! - a task's name is the node's path below the workflow, without step-group markers
//!   (`[0]`) and without retry-attempt suffixes: `train`, `sub-dag.fail`, `print(1:b)`;
//! - a `Retry` node is one task; its children are attempts (`fail(0)`, `fail(1)`, …) counted in
//!   [`TaskStatus::attempts`], and the newest attempt's pod is the one [`TaskStatus::pod_node_id`]
//!   names for logs;
//! - a loop iteration (`name(index:item)`) keeps its item in [`TaskStatus::loop_item`];
//! - structural nodes (the workflow's own DAG/Steps node, `StepGroup`, `TaskGroup`) are not tasks.
//!
//! Node status may arrive three ways: `status.nodes` (plain), `status.compressedNodes` (base64 of
//! gzip of the same JSON map, when the controller compresses large status), or offloaded to
//! Argo's database (`status.offloadNodeStatusVersion` set, no nodes) — then this module returns
//! [`StatusError::Offloaded`] with what to do.
//!
//! This module is pure (no I/O) and always compiled, so the local runner and tests can use it.

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine;
use serde_json::Value;

use crate::phase::Phase;

/// Why a Workflow's status could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// `status.compressedNodes` is not valid base64.
    #[error("status.compressedNodes of workflow {workflow:?} is not valid base64")]
    CompressedBase64 {
        /// The workflow's name.
        workflow: String,
        /// The decoder's error.
        #[source]
        source: base64::DecodeError,
    },
    /// `status.compressedNodes` is base64 but not gzip of UTF-8 JSON text.
    #[error("status.compressedNodes of workflow {workflow:?} is not gzip-compressed text")]
    CompressedGzip {
        /// The workflow's name.
        workflow: String,
        /// The gzip reader's error.
        #[source]
        source: std::io::Error,
    },
    /// `status.compressedNodes` expands past [`MAX_DECOMPRESSED_NODES`] (a gzip bomb, or
    /// not Argo's).
    #[error(
        "status.compressedNodes of workflow {workflow:?} expands to more than {limit} bytes, more than any node status Argo stores; refusing to decompress it"
    )]
    CompressedTooLarge {
        /// The workflow's name.
        workflow: String,
        /// The bound, in bytes.
        limit: u64,
    },
    /// The decompressed node map is not a JSON object of nodes.
    #[error("status.compressedNodes of workflow {workflow:?} is not a JSON node map")]
    CompressedJson {
        /// The workflow's name.
        workflow: String,
        /// The JSON parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The controller offloaded node status to its database; the Kubernetes object has none.
    #[error(
        "node status of workflow {workflow:?} is offloaded to Argo's database \
         (offloadNodeStatusVersion {version:?}), so the Kubernetes API does not have it\n\
         help: read it through the Argo Server (`argo get {workflow}`), or raise the controller's \
         size limit / enable node status compression so status stays in the object"
    )]
    Offloaded {
        /// The workflow's name.
        workflow: String,
        /// The value of `status.offloadNodeStatusVersion`.
        version: String,
    },
}

/// A loop iteration's position and item, parsed from a node name like `print(1:b)`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoopItem {
    /// The zero-based index of the iteration.
    pub index: u32,
    /// The item as Argo rendered it (a scalar, or JSON text for an object item).
    pub value: String,
}

/// A named value: an input or output parameter of a task.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParameterValue {
    /// The parameter's name.
    pub name: String,
    /// Its value (`None` when Argo has not resolved it).
    pub value: Option<String>,
}

/// An artifact as a task's node status records it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArtifactLocation {
    /// The artifact's name in the template (`model`, `main-logs`, …).
    pub name: String,
    /// Where it is stored, as a URI (`s3://bucket/key`, `gcs://…`, `https://…`, `raw:`).
    /// `None` when the status has no location for it (e.g. an optional artifact not produced).
    pub uri: Option<String>,
    /// The storage kind (`s3`, `gcs`, `azure`, `oss`, `hdfs`, `http`, `git`, `artifactory`, `raw`).
    pub storage: Option<String>,
}

/// One task of a run, folded from its Argo nodes (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TaskStatus {
    /// The node id of the task (the `Retry` node for a retried task).
    pub node_id: String,
    /// The task's name as the user wrote it, with its path and loop item (`sub.fail`, `print(0:a)`).
    pub name: String,
    /// The template the task runs, when known.
    pub template: Option<String>,
    /// Argo's node type (`Pod`, `Retry`, `Skipped`, `Suspend`, `HTTP`, `Plugin`, `Container`).
    pub node_type: String,
    /// The task's phase.
    pub phase: Phase,
    /// When it started (RFC 3339, as Argo wrote it).
    pub started_at: Option<String>,
    /// When it finished (RFC 3339).
    pub finished_at: Option<String>,
    /// Argo's message: the failure reason of a failed task (taken from the newest attempt
    /// when the retry node only says "No more retries left").
    pub message: Option<String>,
    /// How many attempts ran (1 for a task without retries that ran, 0 if none ran).
    pub attempts: u32,
    /// The loop iteration this task is, if it is one.
    pub loop_item: Option<LoopItem>,
    /// The node id of the newest attempt that has a pod (for logs); `None` when it ran no pod.
    pub pod_node_id: Option<String>,
    /// Input parameters as resolved by Argo.
    pub input_parameters: Vec<ParameterValue>,
    /// Input artifacts with the locations they were read from.
    pub input_artifacts: Vec<ArtifactLocation>,
    /// Output parameters.
    pub output_parameters: Vec<ParameterValue>,
    /// Output artifacts with their stored locations.
    pub output_artifacts: Vec<ArtifactLocation>,
}

/// Counts of tasks by state, for progress display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// Tasks known so far.
    pub total: usize,
    /// Tasks that finished successfully (or were skipped/omitted).
    pub done: usize,
    /// Tasks running now.
    pub running: usize,
    /// Tasks that failed or errored.
    pub failed: usize,
}

/// A run as seen in one Argo Workflow object: identity, phase, and its tasks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorkflowView {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (empty if absent).
    pub namespace: String,
    /// `metadata.labels`, sorted.
    pub labels: BTreeMap<String, String>,
    /// The run's phase.
    pub phase: Phase,
    /// `status.message`, if any.
    pub message: Option<String>,
    /// `status.startedAt`.
    pub started_at: Option<String>,
    /// `status.finishedAt`.
    pub finished_at: Option<String>,
    /// The run's output parameters and artifacts: the entrypoint node's outputs.
    pub outputs: (Vec<ParameterValue>, Vec<ArtifactLocation>),
    /// Tasks, ordered by start time, then name.
    pub tasks: Vec<TaskStatus>,
    /// Set when node status is offloaded to Argo's database: the explanation and what to do.
    pub offloaded: Option<String>,
    /// The kind of each artifact by template and artifact name, from argot's
    /// `argot.dev/artifact-kinds` annotation; empty for a workflow argot did not write (or
    /// whose annotation does not parse: kinds are a help to lineage, never a reason to fail).
    pub artifact_kinds: BTreeMap<String, BTreeMap<String, String>>,
}

impl WorkflowView {
    /// The kind argot recorded for artifact `artifact` of template `template`, if any.
    pub fn artifact_kind(&self, template: Option<&str>, artifact: &str) -> Option<&str> {
        self.artifact_kinds
            .get(template?)
            .and_then(|m| m.get(artifact))
            .map(String::as_str)
    }
}

const STRUCTURAL_TYPES: &[&str] = &["DAG", "Steps", "StepGroup", "TaskGroup"];

/// Returns the node map of a Workflow object: `status.nodes`, or the decoded
/// `status.compressedNodes`; empty when the workflow has no status yet.
///
/// # Errors
/// [`StatusError::Offloaded`] when the nodes live in Argo's database, and the `Compressed*`
/// variants when `compressedNodes` cannot be decoded.
pub fn node_map(workflow: &Value) -> Result<serde_json::Map<String, Value>, StatusError> {
    let name = str_at(workflow, &["metadata", "name"]).unwrap_or_default();
    let status = match workflow.get("status") {
        Some(s) if s.is_object() => s,
        _ => return Ok(serde_json::Map::new()),
    };
    if let Some(Value::Object(nodes)) = status.get("nodes")
        && !nodes.is_empty()
    {
        return Ok(nodes.clone());
    }
    if let Some(Value::String(compressed)) = status.get("compressedNodes")
        && !compressed.is_empty()
    {
        return decode_compressed_nodes(&name, compressed);
    }
    if let Some(v) = status
        .get("offloadNodeStatusVersion")
        .and_then(Value::as_str)
        && !v.is_empty()
    {
        return Err(StatusError::Offloaded {
            workflow: name,
            version: v.to_owned(),
        });
    }
    Ok(serde_json::Map::new())
}

/// The most `status.compressedNodes` may expand to: 64 MiB.
///
/// Argo's controller keeps compressed nodes in the Workflow object only while the whole object
/// stays under `MAX_WORKFLOW_SIZE` (1 MiB by default, `workflow/packer/packer.go`), and etcd
/// refuses objects over 1.5 MiB, so the compressed text is at most about 1.5 MiB. Node status
/// JSON compresses about 10 to 20 times; 64 MiB is over 40 times the largest input, room for
/// any real status, while a gzip bomb (deflate reaches 1032:1) is cut off before it is held in
/// memory.
pub const MAX_DECOMPRESSED_NODES: u64 = 64 << 20;

/// Decodes Argo's `status.compressedNodes`: base64 (standard alphabet) of gzip of a JSON object
/// mapping node id to node status. At most [`MAX_DECOMPRESSED_NODES`] bytes are inflated.
///
/// # Errors
/// The `Compressed*` variants of [`StatusError`], naming `workflow`.
pub fn decode_compressed_nodes(
    workflow: &str,
    compressed: &str,
) -> Result<serde_json::Map<String, Value>, StatusError> {
    decode_compressed_nodes_within(workflow, compressed, MAX_DECOMPRESSED_NODES)
}

/// [`decode_compressed_nodes`] with another bound on the decompressed size, in bytes.
///
/// # Errors
/// As [`decode_compressed_nodes`]; [`StatusError::CompressedTooLarge`] past `limit`.
pub fn decode_compressed_nodes_within(
    workflow: &str,
    compressed: &str,
    limit: u64,
) -> Result<serde_json::Map<String, Value>, StatusError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compressed.trim())
        .map_err(|source| StatusError::CompressedBase64 {
            workflow: workflow.to_owned(),
            source,
        })?;
    let mut text = String::new();
    // One byte past the limit tells "exactly at the limit" from "over it".
    flate2::read::GzDecoder::new(bytes.as_slice())
        .take(limit.saturating_add(1))
        .read_to_string(&mut text)
        .map_err(|source| StatusError::CompressedGzip {
            workflow: workflow.to_owned(),
            source,
        })?;
    if text.len() as u64 > limit {
        return Err(StatusError::CompressedTooLarge {
            workflow: workflow.to_owned(),
            limit,
        });
    }
    serde_json::from_str(&text).map_err(|source| StatusError::CompressedJson {
        workflow: workflow.to_owned(),
        source,
    })
}

/// Encodes a node map the way Argo's controller does (gzip, then base64); for tests and tools.
pub fn encode_compressed_nodes(nodes: &serde_json::Map<String, Value>) -> String {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let json = serde_json::to_vec(nodes).expect("a JSON map always serialises");
    gz.write_all(&json).expect("writing to a Vec cannot fail");
    let bytes = gz
        .finish()
        .expect("finishing a gzip stream into a Vec cannot fail");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl WorkflowView {
    /// Reads a Workflow object (as JSON, e.g. parsed from YAML or from the API) into a view.
    ///
    /// When node status is offloaded to Argo's database the view has no tasks and
    /// [`WorkflowView::offloaded`] says so; the run's phase is still known.
    ///
    /// # Errors
    /// The `Compressed*` variants of [`StatusError`] (see [`node_map`]).
    pub fn from_workflow(workflow: &Value) -> Result<WorkflowView, StatusError> {
        let (nodes, offloaded) = match node_map(workflow) {
            Ok(n) => (n, None),
            Err(e @ StatusError::Offloaded { .. }) => (serde_json::Map::new(), Some(e.to_string())),
            Err(e) => return Err(e),
        };
        let name = str_at(workflow, &["metadata", "name"]).unwrap_or_default();
        let namespace = str_at(workflow, &["metadata", "namespace"]).unwrap_or_default();
        let labels = workflow
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let artifact_kinds = workflow
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(crate::manifest::ANNOTATION_ARTIFACT_KINDS))
            .and_then(Value::as_str)
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default();
        let status = workflow.get("status").cloned().unwrap_or(Value::Null);
        let phase = Phase::parse(status.get("phase").and_then(Value::as_str));
        let tasks = fold_tasks(&name, &nodes);
        let outputs = nodes
            .get(&name)
            .map(|root| {
                (
                    parameters(root.pointer("/outputs/parameters")),
                    artifacts(root.pointer("/outputs/artifacts")),
                )
            })
            .unwrap_or_default();
        Ok(WorkflowView {
            namespace,
            labels,
            phase,
            message: opt_str(status.get("message")),
            started_at: opt_str(status.get("startedAt")),
            finished_at: opt_str(status.get("finishedAt")),
            outputs,
            tasks,
            offloaded,
            artifact_kinds,
            name,
        })
    }

    /// Counts tasks by state.
    pub fn progress(&self) -> Progress {
        let mut p = Progress {
            total: self.tasks.len(),
            ..Progress::default()
        };
        for t in &self.tasks {
            match t.phase {
                Phase::Running => p.running += 1,
                Phase::Failed | Phase::Error => p.failed += 1,
                ref ph if ph.is_finished() => p.done += 1,
                _ => {}
            }
        }
        p
    }

    /// Tasks that failed or errored, in task order.
    pub fn failed_tasks(&self) -> Vec<&TaskStatus> {
        self.tasks.iter().filter(|t| t.phase.is_failure()).collect()
    }

    /// The report printed when a run did not succeed: its phase and message, then each failed
    /// task with its template, attempts and message.
    pub fn failure_report(&self) -> String {
        // Names and messages come from the cluster; control characters in them are escaped.
        let e = crate::cli::escape_control;
        let mut s = format!("run {} {}", e(&self.name), e(self.phase.as_str()));
        if let Some(m) = &self.message {
            s.push_str(&format!(": {}", e(m)));
        }
        s.push('\n');
        let failed = self.failed_tasks();
        if let Some(o) = &self.offloaded {
            s.push_str(&format!("  task details unavailable: {o}\n"));
        } else if failed.is_empty() {
            s.push_str("  no task failed (the run itself did; see the message above)\n");
        }
        for t in failed {
            s.push_str(&format!("  {} {}", e(&t.name), e(t.phase.as_str())));
            let mut extra = Vec::new();
            if let Some(tpl) = &t.template {
                extra.push(format!("template {}", e(tpl)));
            }
            if t.attempts > 1 {
                extra.push(format!("{} attempts", t.attempts));
            }
            if !extra.is_empty() {
                s.push_str(&format!(" ({})", extra.join(", ")));
            }
            s.push_str(&format!(
                ": {}\n",
                e(t.message.as_deref().unwrap_or("no message"))
            ));
        }
        s
    }

    /// Each task's output parameters and artifact locations, then the run's own outputs, one
    /// per line (`task.name = value`, `task.name -> uri`).
    pub fn outputs_report(&self) -> String {
        // One line per value: a value's own newlines and other control characters are escaped.
        let e = crate::cli::escape_control;
        let mut s = String::new();
        let mut line = |prefix: &str, params: &[ParameterValue], arts: &[ArtifactLocation]| {
            for p in params {
                s.push_str(&format!(
                    "{}{} = {}\n",
                    e(prefix),
                    e(&p.name),
                    e(p.value.as_deref().unwrap_or("<unresolved>"))
                ));
            }
            for a in arts {
                s.push_str(&format!(
                    "{}{} -> {}\n",
                    e(prefix),
                    e(&a.name),
                    e(a.uri.as_deref().unwrap_or("<no location>"))
                ));
            }
        };
        for t in &self.tasks {
            line(
                &format!("{}.", t.name),
                &t.output_parameters,
                &t.output_artifacts,
            );
        }
        line("run.", &self.outputs.0, &self.outputs.1);
        s
    }

    /// Finds a task by its name (as in [`TaskStatus::name`]) or by node id.
    pub fn task(&self, name_or_id: &str) -> Option<&TaskStatus> {
        self.tasks
            .iter()
            .find(|t| t.name == name_or_id || t.node_id == name_or_id)
    }
}

fn fold_tasks(workflow: &str, nodes: &serde_json::Map<String, Value>) -> Vec<TaskStatus> {
    // parent by child id, so retry attempts can find their Retry node.
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    for (id, node) in nodes {
        if let Some(children) = node.get("children").and_then(Value::as_array) {
            for c in children.iter().filter_map(Value::as_str) {
                parent.insert(c, id.as_str());
            }
        }
    }
    let node_type = |n: &Value| {
        n.get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let mut tasks = Vec::new();
    for (id, node) in nodes {
        let ty = node_type(node);
        if id == workflow || STRUCTURAL_TYPES.contains(&ty.as_str()) {
            continue;
        }
        let parent_is_retry = parent
            .get(id.as_str())
            .and_then(|p| nodes.get(*p))
            .is_some_and(|p| node_type(p) == "Retry");
        if parent_is_retry {
            continue; // an attempt: folded into its Retry node below
        }
        let full_name = node.get("name").and_then(Value::as_str).unwrap_or(id);
        let name = task_path(workflow, full_name);
        let loop_item = parse_loop_item(&name);
        let mut task = TaskStatus {
            node_id: id.clone(),
            template: template_name(node),
            node_type: ty.clone(),
            phase: Phase::parse(node.get("phase").and_then(Value::as_str)),
            started_at: opt_str(node.get("startedAt")),
            finished_at: opt_str(node.get("finishedAt")),
            message: opt_str(node.get("message")),
            attempts: u32::from(matches!(
                ty.as_str(),
                "Pod" | "Container" | "HTTP" | "Plugin"
            )),
            loop_item,
            pod_node_id: (ty == "Pod").then(|| id.clone()),
            input_parameters: parameters(node.pointer("/inputs/parameters")),
            input_artifacts: artifacts(node.pointer("/inputs/artifacts")),
            output_parameters: parameters(node.pointer("/outputs/parameters")),
            output_artifacts: artifacts(node.pointer("/outputs/artifacts")),
            name,
        };
        // A memoized task reused a cached result (Argo `NodeStatus.memoizationStatus`): said as
        // the local runner says a cache hit, so `runs stats` counts hits of both alike.
        if node.pointer("/memoizationStatus/hit") == Some(&Value::Bool(true))
            && task.message.is_none()
        {
            let cache = str_at(node, &["memoizationStatus", "cacheName"]).unwrap_or_default();
            task.message = Some(format!("cached: memoized in config map `{cache}`"));
        }
        if ty == "Retry" {
            fold_attempts(&mut task, node, nodes);
        }
        tasks.push(task);
    }
    tasks.sort_by(|a, b| {
        (a.started_at.is_none(), &a.started_at, &a.name).cmp(&(
            b.started_at.is_none(),
            &b.started_at,
            &b.name,
        ))
    });
    tasks
}

fn fold_attempts(task: &mut TaskStatus, node: &Value, nodes: &serde_json::Map<String, Value>) {
    let attempts: Vec<(&str, &Value)> = node
        .get("children")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|c| nodes.get(c).map(|n| (c, n)))
        .collect();
    task.attempts = u32::try_from(attempts.len()).unwrap_or(u32::MAX);
    let newest = attempts.iter().max_by_key(|(_, n)| attempt_index(n));
    if let Some((id, n)) = newest {
        if n.get("type").and_then(Value::as_str) == Some("Pod") {
            task.pod_node_id = Some((*id).to_owned());
        }
        if task.template.is_none() {
            task.template = template_name(n);
        }
        let generic = matches!(task.message.as_deref(), None | Some("No more retries left"));
        if task.phase.is_failure()
            && generic
            && let Some(m) = opt_str(n.get("message"))
        {
            task.message = Some(match task.message.take() {
                Some(g) => format!("{m} ({g})"),
                None => m,
            });
        }
        if task.input_parameters.is_empty() {
            task.input_parameters = parameters(n.pointer("/inputs/parameters"));
        }
        if task.input_artifacts.is_empty() {
            task.input_artifacts = artifacts(n.pointer("/inputs/artifacts"));
        }
        if task.output_parameters.is_empty() {
            task.output_parameters = parameters(n.pointer("/outputs/parameters"));
        }
        if task.output_artifacts.is_empty() {
            task.output_artifacts = artifacts(n.pointer("/outputs/artifacts"));
        }
    }
}

/// The retry index of an attempt node: the trailing `(N)` of its display name.
fn attempt_index(node: &Value) -> u32 {
    let d = node
        .get("displayName")
        .and_then(Value::as_str)
        .unwrap_or("");
    d.strip_suffix(')')
        .and_then(|s| s.rsplit_once('('))
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(0)
}

/// `wf.sub.fail` → `sub.fail`; `wf[0].fail` → `fail`; `wf.print(0:a)` → `print(0:a)`.
fn task_path(workflow: &str, full_name: &str) -> String {
    let rest = full_name.strip_prefix(workflow).unwrap_or(full_name);
    let mut out = String::with_capacity(rest.len());
    let mut chars = rest.chars().peekable();
    let mut depth = 0usize; // inside (...) of a loop item, brackets are the item's, not groups
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                depth += 1;
                out.push(c);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                out.push(c);
            }
            '[' if depth == 0 => {
                // a step-group index `[N]`: drop it
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out.trim_start_matches('.').to_owned()
}

fn parse_loop_item(name: &str) -> Option<LoopItem> {
    // The item may contain dots and parentheses: find the `(` matching the final `)`.
    let inner = name.strip_suffix(')')?;
    let mut depth = 0usize;
    let open = inner.char_indices().rev().find_map(|(i, c)| match c {
        ')' => {
            depth += 1;
            None
        }
        '(' if depth == 0 => Some(i),
        '(' => {
            depth -= 1;
            None
        }
        _ => None,
    })?;
    let (index, value) = inner[open + 1..].split_once(':')?;
    Some(LoopItem {
        index: index.parse().ok()?,
        value: value.to_owned(),
    })
}

fn template_name(node: &Value) -> Option<String> {
    opt_str(node.get("templateName")).or_else(|| opt_str(node.pointer("/templateRef/template")))
}

fn parameters(v: Option<&Value>) -> Vec<ParameterValue> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some(ParameterValue {
                name: p.get("name")?.as_str()?.to_owned(),
                value: opt_str(p.get("value")),
            })
        })
        .collect()
}

fn artifacts(v: Option<&Value>) -> Vec<ArtifactLocation> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| {
            let name = a.get("name")?.as_str()?.to_owned();
            let (storage, uri) = artifact_uri(a).map_or((None, None), |(k, u)| (Some(k), Some(u)));
            Some(ArtifactLocation { name, uri, storage })
        })
        .collect()
}

/// The storage kind and URI of an Argo artifact object, from whichever location field is set.
pub fn artifact_uri(artifact: &Value) -> Option<(String, String)> {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    for kind in ["s3", "gcs", "oss"] {
        if let Some(loc) = artifact.get(kind) {
            let key = s(loc, "key").unwrap_or_default();
            let uri = match s(loc, "bucket") {
                Some(b) => format!("{kind}://{b}/{key}"),
                None => format!("{kind}:{key}"),
            };
            return Some((kind.to_owned(), uri));
        }
    }
    if let Some(loc) = artifact.get("azure") {
        let c = s(loc, "container").unwrap_or_default();
        let b = s(loc, "blob").unwrap_or_default();
        return Some(("azure".into(), format!("azure://{c}/{b}")));
    }
    if let Some(loc) = artifact.get("hdfs") {
        return Some(("hdfs".into(), format!("hdfs://{}", s(loc, "path")?)));
    }
    for kind in ["http", "artifactory"] {
        if let Some(loc) = artifact.get(kind) {
            return Some((kind.to_owned(), s(loc, "url")?));
        }
    }
    if let Some(loc) = artifact.get("git") {
        return Some(("git".into(), s(loc, "repo")?));
    }
    if artifact.get("raw").is_some() {
        return Some(("raw".into(), "raw:".into()));
    }
    None
}

fn opt_str(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn str_at(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_paths() {
        assert_eq!(task_path("wf", "wf.sub.fail"), "sub.fail");
        assert_eq!(task_path("wf", "wf[0].fail"), "fail");
        assert_eq!(task_path("wf", "wf.print(0:[1,2])"), "print(0:[1,2])");
        assert_eq!(
            parse_loop_item("print(1:b)"),
            Some(LoopItem {
                index: 1,
                value: "b".into()
            })
        );
        assert_eq!(parse_loop_item("fail"), None);
    }

    #[test]
    fn a_memoization_hit_reads_as_a_cache_hit() {
        let wf = serde_json::json!({
            "metadata": {"name": "wf"},
            "status": {"phase": "Succeeded", "nodes": {
                "wf": {"id": "wf", "name": "wf", "type": "DAG", "phase": "Succeeded", "children": ["wf-1", "wf-2"]},
                "wf-1": {"id": "wf-1", "name": "wf.prepare", "type": "Pod", "phase": "Succeeded",
                         "memoizationStatus": {"hit": true, "key": "k", "cacheName": "argot-memo"}},
                "wf-2": {"id": "wf-2", "name": "wf.train", "type": "Pod", "phase": "Succeeded",
                         "memoizationStatus": {"hit": false, "key": "k2", "cacheName": "argot-memo"}}
            }}
        });
        let view = WorkflowView::from_workflow(&wf).unwrap();
        let message = |name: &str| {
            let task = view.tasks.iter().find(|t| t.name == name).unwrap();
            task.message.clone()
        };
        assert_eq!(
            message("prepare").as_deref(),
            Some("cached: memoized in config map `argot-memo`")
        );
        assert_eq!(message("train"), None);
    }

    #[test]
    fn compressed_round_trip() {
        let mut m = serde_json::Map::new();
        m.insert(
            "a".into(),
            serde_json::json!({"id": "a", "phase": "Running"}),
        );
        let enc = encode_compressed_nodes(&m);
        assert_eq!(decode_compressed_nodes("wf", &enc).unwrap(), m);
        assert!(matches!(
            decode_compressed_nodes("wf", "!!"),
            Err(StatusError::CompressedBase64 { .. })
        ));
    }
}
