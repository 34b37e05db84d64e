//! Argo's own JSON schema (v4.1.2, copied unchanged into `tests/data/`), made strict.
//!
//! Two patches, both documented by the schema's provider: `IntOrString` also accepts integers
//! (Kubernetes and Argo do), and every definition that lists properties gets
//! `additionalProperties: false`, so a misspelt field fails instead of passing silently.

use std::sync::OnceLock;

use serde_json::{Value, json};

const SCHEMA: &str = include_str!("../data/argo-schema-v4.1.2.json");

/// The Argo kinds argot emits.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `Workflow`.
    Workflow,
}

fn strict_definitions() -> &'static Value {
    static DEFS: OnceLock<Value> = OnceLock::new();
    DEFS.get_or_init(|| {
        let mut schema: Value = serde_json::from_str(SCHEMA).expect("the Argo schema is JSON");
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
    })
}

fn validator(kind: Kind) -> &'static jsonschema::Validator {
    static WORKFLOW: OnceLock<jsonschema::Validator> = OnceLock::new();
    let cell = match kind {
        Kind::Workflow => &WORKFLOW,
    };
    cell.get_or_init(|| {
        let name = match kind {
            Kind::Workflow => "io.argoproj.workflow.v1alpha1.Workflow",
        };
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": format!("#/definitions/{name}"),
            "definitions": strict_definitions(),
        });
        jsonschema::draft202012::new(&root).expect("the patched Argo schema compiles")
    })
}

/// Every schema violation of `manifest`, as `path: message` lines.
pub fn violations(kind: Kind, manifest: &Value) -> Vec<String> {
    validator(kind)
        .iter_errors(manifest)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

/// Panics with every violation if `manifest` does not match the strict schema.
pub fn assert_valid(kind: Kind, manifest: &Value) {
    let v = violations(kind, manifest);
    assert!(
        v.is_empty(),
        "manifest violates Argo's schema:\n{}",
        v.join("\n")
    );
}
