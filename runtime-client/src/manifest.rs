//! Argo manifests as data: parse YAML or JSON text, check the kind, stamp argot's labels and
//! parameters. Pure; always compiled.

use std::fmt;

use serde_json::{Map, Value, json};
use sha2::Digest;

/// The Argo API version every manifest must have.
pub const ARGO_API_VERSION: &str = "argoproj.io/v1alpha1";
/// Label: the pipeline's name.
pub const LABEL_PIPELINE: &str = "argot.dev/pipeline";
/// The annotation in which argot records each artifact's kind: compact JSON
/// `{"<template>": {"<artifact>": "<Kind>"}}` (argot's `ARTIFACT_KINDS_ANNOTATION`).
pub const ANNOTATION_ARTIFACT_KINDS: &str = "argot.dev/artifact-kinds";
/// Label: the pipeline's version.
pub const LABEL_VERSION: &str = "argot.dev/version";
/// Label: the source revision (e.g. git commit) the pipeline was built from.
pub const LABEL_SOURCE_REVISION: &str = "argot.dev/source-revision";
/// Label: the submission id that makes a retried submit idempotent.
pub const LABEL_SUBMISSION: &str = "argot.dev/submission";

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The text is neither valid YAML nor JSON.
    #[error("the manifest is not valid YAML or JSON")]
    Parse {
        /// The YAML parser's error (YAML is a superset of JSON).
        #[source]
        source: serde_saphyr::Error,
    },
    /// The text holds no document, or several where one was expected.
    #[error("expected one manifest document, found {0}\nhelp: put each object in its own file")]
    DocumentCount(usize),
    /// The document is not an Argo object (`apiVersion: argoproj.io/v1alpha1` and a `kind`).
    #[error(
        "not an Argo manifest: apiVersion is {api_version:?} and kind is {kind:?}\nhelp: argot submits argoproj.io/v1alpha1 objects (Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow)"
    )]
    NotArgo {
        /// The document's `apiVersion`.
        api_version: String,
        /// The document's `kind`.
        kind: String,
    },
    /// The manifest's kind cannot be used by this command.
    #[error("{command} takes a {expected}, but the manifest is a {found}\nhelp: {help}")]
    WrongKind {
        /// The command.
        command: &'static str,
        /// What it takes.
        expected: &'static str,
        /// What it got.
        found: String,
        /// What to do instead.
        help: &'static str,
    },
    /// The object has neither `metadata.name` nor `metadata.generateName` (or lacks a name where
    /// one is required).
    #[error("the {kind} has no metadata.{field}\nhelp: set metadata.{field} in the manifest")]
    MissingName {
        /// The object's kind.
        kind: String,
        /// The missing field.
        field: &'static str,
    },
    /// A `-p` argument is not `name=value`.
    #[error("parameter {0:?} is not name=value\nhelp: write -p name=value, e.g. -p rows=1000")]
    BadParameter(String),
}

/// The kinds of Argo object argot handles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A run.
    Workflow,
    /// A namespaced template that runs are created from.
    WorkflowTemplate,
    /// A cluster-wide template.
    ClusterWorkflowTemplate,
    /// A schedule that creates runs.
    CronWorkflow,
    /// Any other Argo kind, as written.
    Other(String),
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Workflow => "Workflow",
            Kind::WorkflowTemplate => "WorkflowTemplate",
            Kind::ClusterWorkflowTemplate => "ClusterWorkflowTemplate",
            Kind::CronWorkflow => "CronWorkflow",
            Kind::Other(k) => k,
        })
    }
}

/// One Argo object as JSON, with helpers to read and stamp it.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The whole object.
    pub value: Value,
}

/// Labels recorded on every submitted run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunLabels {
    /// The pipeline's name (`argot.dev/pipeline`); when `None`, an existing label is kept.
    pub pipeline: Option<String>,
    /// Its version (`argot.dev/version`).
    pub version: Option<String>,
    /// The source revision (`argot.dev/source-revision`).
    pub source_revision: Option<String>,
}

impl Manifest {
    /// Parses one Argo object from YAML or JSON text (empty documents are ignored).
    ///
    /// # Errors
    /// [`ManifestError::Parse`], [`ManifestError::DocumentCount`], [`ManifestError::NotArgo`].
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let docs: Vec<Value> =
            serde_saphyr::from_multiple(text).map_err(|source| ManifestError::Parse { source })?;
        let mut docs: Vec<Value> = docs.into_iter().filter(|d| !d.is_null()).collect();
        if docs.len() != 1 {
            return Err(ManifestError::DocumentCount(docs.len()));
        }
        Manifest::from_value(docs.remove(0))
    }

    /// Wraps an object, checking it is an Argo object.
    ///
    /// # Errors
    /// [`ManifestError::NotArgo`].
    pub fn from_value(value: Value) -> Result<Manifest, ManifestError> {
        let api_version = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
        if api_version != ARGO_API_VERSION || kind.is_empty() || !value.is_object() {
            return Err(ManifestError::NotArgo {
                api_version: api_version.to_owned(),
                kind: kind.to_owned(),
            });
        }
        Ok(Manifest { value })
    }

    /// A Workflow that runs a WorkflowTemplate (or, with `cluster_scope`, a
    /// ClusterWorkflowTemplate) by reference, like `argo submit --from`.
    pub fn from_template(template: &str, cluster_scope: bool) -> Manifest {
        let mut reference = json!({ "name": template });
        if cluster_scope {
            reference["clusterScope"] = json!(true);
        }
        Manifest {
            value: json!({
                "apiVersion": ARGO_API_VERSION,
                "kind": "Workflow",
                "metadata": { "generateName": format!("{}-", template.trim_end_matches('-')) },
                "spec": { "workflowTemplateRef": reference },
            }),
        }
    }

    /// The object's kind.
    pub fn kind(&self) -> Kind {
        match self.value.get("kind").and_then(Value::as_str).unwrap_or("") {
            "Workflow" => Kind::Workflow,
            "WorkflowTemplate" => Kind::WorkflowTemplate,
            "ClusterWorkflowTemplate" => Kind::ClusterWorkflowTemplate,
            "CronWorkflow" => Kind::CronWorkflow,
            other => Kind::Other(other.to_owned()),
        }
    }

    /// `metadata.name`, if set.
    pub fn name(&self) -> Option<&str> {
        self.value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// `metadata.generateName`, if set.
    pub fn generate_name(&self) -> Option<&str> {
        self.value
            .pointer("/metadata/generateName")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// `metadata.namespace`, if set.
    pub fn namespace(&self) -> Option<&str> {
        self.value
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// A label's value.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.value
            .pointer("/metadata/labels")
            .and_then(|l| l.get(key))
            .and_then(Value::as_str)
    }

    fn metadata_mut(&mut self) -> &mut Map<String, Value> {
        let obj = self.value.as_object_mut().expect("checked in from_value");
        let meta = obj
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !meta.is_object() {
            *meta = Value::Object(Map::new());
        }
        meta.as_object_mut().expect("just made an object")
    }

    /// Sets `metadata.namespace`.
    pub fn set_namespace(&mut self, namespace: &str) {
        self.metadata_mut()
            .insert("namespace".into(), Value::String(namespace.to_owned()));
    }

    /// Sets a label, making the value a valid Kubernetes label value (see [`label_value`]).
    pub fn set_label(&mut self, key: &str, value: &str) {
        let meta = self.metadata_mut();
        let labels = meta
            .entry("labels")
            .or_insert_with(|| Value::Object(Map::new()));
        if !labels.is_object() {
            *labels = Value::Object(Map::new());
        }
        labels
            .as_object_mut()
            .expect("just made an object")
            .insert(key.to_owned(), Value::String(label_value(value)));
    }

    /// Stamps the run labels. The pipeline name defaults to an existing label, else the
    /// name or generateName stem of the object.
    pub fn stamp_run_labels(&mut self, labels: &RunLabels) {
        let pipeline = labels.pipeline.clone().or_else(|| {
            self.label(LABEL_PIPELINE).map(str::to_owned).or_else(|| {
                self.generate_name()
                    .map(|g| g.trim_end_matches('-').to_owned())
                    .or_else(|| self.name().map(str::to_owned))
            })
        });
        if let Some(p) = pipeline {
            self.set_label(LABEL_PIPELINE, &p);
        }
        if let Some(v) = &labels.version {
            self.set_label(LABEL_VERSION, v);
        }
        if let Some(r) = &labels.source_revision {
            self.set_label(LABEL_SOURCE_REVISION, r);
        }
    }

    /// Sets workflow arguments (`spec.arguments.parameters`): replaces the value of a parameter
    /// with the same name, appends the others in the order given.
    pub fn set_parameters(&mut self, params: &[(String, String)]) {
        if params.is_empty() {
            return;
        }
        // A CronWorkflow's runs take their arguments from `spec.workflowSpec`.
        let cron = self.kind() == Kind::CronWorkflow;
        let obj = self.value.as_object_mut().expect("checked in from_value");
        let mut spec = obj.entry("spec").or_insert_with(|| json!({}));
        if !spec.is_object() {
            *spec = json!({});
        }
        if cron {
            spec = spec
                .as_object_mut()
                .expect("object")
                .entry("workflowSpec")
                .or_insert_with(|| json!({}));
            if !spec.is_object() {
                *spec = json!({});
            }
        }
        let args = spec
            .as_object_mut()
            .expect("object")
            .entry("arguments")
            .or_insert_with(|| json!({}));
        if !args.is_object() {
            *args = json!({});
        }
        let list = args
            .as_object_mut()
            .expect("object")
            .entry("parameters")
            .or_insert_with(|| json!([]));
        if !list.is_array() {
            *list = json!([]);
        }
        let list = list.as_array_mut().expect("array");
        for (name, value) in params {
            match list
                .iter_mut()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
            {
                Some(p) => p["value"] = Value::String(value.clone()),
                None => list.push(json!({ "name": name, "value": value })),
            }
        }
    }

    /// Checks this is a Workflow, the only kind `submit` creates directly.
    ///
    /// # Errors
    /// [`ManifestError::WrongKind`] naming what to do instead, and
    /// [`ManifestError::MissingName`] if it has neither name nor generateName.
    pub fn require_workflow(&self) -> Result<(), ManifestError> {
        match self.kind() {
            Kind::Workflow => {}
            Kind::WorkflowTemplate | Kind::ClusterWorkflowTemplate => {
                return Err(ManifestError::WrongKind {
                    command: "submit",
                    expected: "Workflow",
                    found: self.kind().to_string(),
                    help: "install it with `argot apply FILE`, then run it with `argot submit --from-template NAME`",
                });
            }
            Kind::CronWorkflow => {
                return Err(ManifestError::WrongKind {
                    command: "submit",
                    expected: "Workflow",
                    found: self.kind().to_string(),
                    help: "schedule it with `argot apply FILE`",
                });
            }
            Kind::Other(k) => {
                return Err(ManifestError::WrongKind {
                    command: "submit",
                    expected: "Workflow",
                    found: k,
                    help: "submit a Workflow manifest",
                });
            }
        }
        if self.name().is_none() && self.generate_name().is_none() {
            return Err(ManifestError::MissingName {
                kind: "Workflow".into(),
                field: "generateName",
            });
        }
        Ok(())
    }

    /// Renders the object as YAML (for `--dry-run` output).
    pub fn to_yaml(&self) -> String {
        serde_saphyr::to_string(&self.value).unwrap_or_else(|_| self.value.to_string())
    }
}

/// Parses `name=value` (the value may contain `=`).
///
/// # Errors
/// [`ManifestError::BadParameter`].
pub fn parse_parameter(text: &str) -> Result<(String, String), ManifestError> {
    match text.split_once('=') {
        Some((n, v)) if !n.is_empty() => Ok((n.to_owned(), v.to_owned())),
        _ => Err(ManifestError::BadParameter(text.to_owned())),
    }
}

/// Makes text a valid Kubernetes label value: at most 63 characters of `[A-Za-z0-9._-]`,
/// starting and ending alphanumeric. Other characters become `_`; too-long values keep a
/// prefix and a short hash so different inputs stay different.
pub fn label_value(text: &str) -> String {
    let mut v: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if v.len() > 63 {
        let hash = hex(&sha2::Sha256::digest(text.as_bytes())[..4]);
        v.truncate(54);
        v = format!("{v}-{hash}");
    }
    v.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned()
}

/// A fresh submission id: 16 hex characters from the clock, process id and a counter.
pub fn new_submission_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut h = sha2::Sha256::new();
    h.update(now.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    hex(&h.finalize()[..8])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yaml_and_stamps() {
        let mut m = Manifest::parse(
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: train-\nspec:\n  arguments:\n    parameters:\n    - name: rows\n      value: '10'\n",
        )
        .unwrap();
        assert_eq!(m.kind(), Kind::Workflow);
        m.stamp_run_labels(&RunLabels {
            version: Some("1.2.0".into()),
            ..RunLabels::default()
        });
        assert_eq!(m.label(LABEL_PIPELINE), Some("train"));
        m.set_parameters(&[("rows".into(), "20".into()), ("lr".into(), "0.1".into())]);
        assert_eq!(
            m.value.pointer("/spec/arguments/parameters/0/value"),
            Some(&json!("20"))
        );
        assert_eq!(
            m.value.pointer("/spec/arguments/parameters/1/name"),
            Some(&json!("lr"))
        );
        assert!(m.require_workflow().is_ok());
    }

    #[test]
    fn rejects_non_argo_and_bad_params() {
        assert!(matches!(
            Manifest::parse("apiVersion: v1\nkind: Pod\n"),
            Err(ManifestError::NotArgo { .. })
        ));
        assert!(parse_parameter("novalue").is_err());
        assert_eq!(
            parse_parameter("a=b=c").unwrap(),
            ("a".into(), "b=c".into())
        );
        assert_eq!(label_value("feature/x y"), "feature_x_y");
        assert!(label_value(&"a".repeat(100)).len() <= 63);
        assert_ne!(new_submission_id(), new_submission_id());
    }
}
