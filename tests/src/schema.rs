//! Argo's own JSON schemas (v4.1.2, v4.0.10, v3.7.18, v3.6.19, copied unchanged into
//! `tests/data/`), made strict.
//!
//! Two patches, both documented by the schema's provider: `IntOrString` also accepts integers
//! (Kubernetes and Argo do), and every definition that lists properties gets
//! `additionalProperties: false`, so a misspelt field fails instead of passing silently.
//!
//! [`violations`] and [`assert_valid`] check against 4.1 (argot's default); the `_for`
//! forms take the [`ArgoVersion`] a manifest was compiled for, and [`assert_valid_manifest`]
//! also reads the kind from the manifest's `kind` field.

use std::sync::OnceLock;

pub use argot::emit::argo::ArgoVersion;
use serde_json::{Value, json};

/// The schema text of each version, in [`ArgoVersion::ALL`] order.
const SCHEMAS: [&str; 4] = [
    include_str!("../data/argo-schema-v3.6.19.json"),
    include_str!("../data/argo-schema-v3.7.18.json"),
    include_str!("../data/argo-schema-v4.0.10.json"),
    include_str!("../data/argo-schema-v4.1.2.json"),
];

/// The Argo kinds argot emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `Workflow`.
    Workflow,
    /// `WorkflowTemplate`.
    WorkflowTemplate,
    /// `ClusterWorkflowTemplate`.
    ClusterWorkflowTemplate,
    /// `CronWorkflow`.
    CronWorkflow,
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::Workflow,
        Kind::WorkflowTemplate,
        Kind::ClusterWorkflowTemplate,
        Kind::CronWorkflow,
    ];

    /// The kind as a manifest's `kind` field (and the schema's definition) names it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Workflow => "Workflow",
            Kind::WorkflowTemplate => "WorkflowTemplate",
            Kind::ClusterWorkflowTemplate => "ClusterWorkflowTemplate",
            Kind::CronWorkflow => "CronWorkflow",
        }
    }

    /// The kind a manifest's `kind` field names.
    pub fn of(manifest: &Value) -> Option<Kind> {
        let name = manifest.get("kind")?.as_str()?;
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

fn index(version: ArgoVersion) -> usize {
    ArgoVersion::ALL
        .iter()
        .position(|v| *v == version)
        .expect("every version has a schema")
}

/// The unpatched schema of `version`, as Argo publishes it (for tests that read it).
pub fn raw(version: ArgoVersion) -> &'static Value {
    static RAW: [OnceLock<Value>; 4] = [const { OnceLock::new() }; 4];
    RAW[index(version)].get_or_init(|| {
        serde_json::from_str(SCHEMAS[index(version)]).expect("the Argo schema is JSON")
    })
}

fn strict_definitions(version: ArgoVersion) -> Value {
    let mut schema = raw(version).clone();
    let defs = schema["definitions"]
        .as_object_mut()
        .expect("the schema has definitions");
    for (name, def) in defs.iter_mut() {
        if name == "io.k8s.apimachinery.pkg.util.intstr.IntOrString" {
            *def = json!({"type": ["string", "integer"]});
            continue;
        }
        if let Some(obj) = def.as_object_mut()
            && obj.contains_key("properties")
            && !obj.contains_key("additionalProperties")
        {
            obj.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
    schema["definitions"].take()
}

fn validator(version: ArgoVersion, kind: Kind) -> &'static jsonschema::Validator {
    static CELLS: [[OnceLock<jsonschema::Validator>; 4]; 4] =
        [const { [const { OnceLock::new() }; 4] }; 4];
    let k = Kind::ALL.iter().position(|k| *k == kind).expect("a kind");
    CELLS[index(version)][k].get_or_init(|| {
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": format!("#/definitions/io.argoproj.workflow.v1alpha1.{}", kind.name()),
            "definitions": strict_definitions(version),
        });
        jsonschema::draft202012::new(&root).expect("the patched Argo schema compiles")
    })
}

/// Every violation of `manifest` against Argo 4.1's strict schema for `kind`, as
/// `path: message` lines.
pub fn violations(kind: Kind, manifest: &Value) -> Vec<String> {
    violations_for(ArgoVersion::V4_1, kind, manifest)
}

/// Every violation of `manifest` against `version`'s strict schema for `kind`.
pub fn violations_for(version: ArgoVersion, kind: Kind, manifest: &Value) -> Vec<String> {
    validator(version, kind)
        .iter_errors(manifest)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

/// Panics with every violation if `manifest` does not match Argo 4.1's strict schema.
pub fn assert_valid(kind: Kind, manifest: &Value) {
    assert_valid_for(ArgoVersion::V4_1, kind, manifest);
}

/// Panics with every violation if `manifest` does not match `version`'s strict schema.
pub fn assert_valid_for(version: ArgoVersion, kind: Kind, manifest: &Value) {
    let v = violations_for(version, kind, manifest);
    assert!(
        v.is_empty(),
        "manifest violates Argo {version}'s schema ({}):\n{}",
        version.schema_release(),
        v.join("\n")
    );
}

/// [`assert_valid_for`] with the kind the manifest's `kind` field names (a kind argot does not
/// emit fails).
pub fn assert_valid_manifest(version: ArgoVersion, manifest: &Value) {
    let kind = Kind::of(manifest).unwrap_or_else(|| {
        panic!(
            "manifest kind {:?} is not one argot emits",
            manifest.get("kind")
        )
    });
    assert_valid_for(version, kind, manifest);
}
