//! Pipeline parameter values of a run or a submission: defaults, `-p` overrides, and a check
//! of each value against the parameter's schema.
//!
//! A `-p NAME=VALUE` value is written by hand: a `String` parameter's value is the text itself,
//! any other type's value is JSON (`-p rows=5000`, `-p lrs=[0.1,0.2]`, `-p tag='"v1"'` for an
//! `Option<String>`). It is checked, then turned into the wire form ([`crate::value`]) — the
//! same form constants and defaults have — before it goes anywhere, so `run -p` and
//! `submit -p` deliver `{{workflow.uid}}`, `$(HOME)` or `$$` unchanged.
//!
//! The check is the parameter's [`TypeSchema`], which the macro recorded from the type (bounds
//! of an integer, members of an enum, element types of a list, …). The pipeline binary also
//! knows each parameter's declared type: the macro records its wire form (decided by `TypeId`)
//! and a decoding check ([`crate::value::ParamWire`]), which `run -p` and `submit -p` apply
//! after the schema's, so a struct without a schema is still checked field by field. Without
//! that record (an IR from elsewhere) a parameter whose schema is `string` travels as text.

use std::collections::BTreeMap;

use serde_json::Value;

use super::RunError;
use crate::ir::{Pipeline, PipelineParam};
use crate::schema::TypeSchema;
use crate::value::{self, WireForm};

/// The wire value of every pipeline parameter: the override if given, else the default.
/// Overrides must be in wire form; each is checked against its parameter's schema here, so a
/// caller of the runner that skipped [`override_to_wire`] still cannot start a run with a value
/// its components would refuse.
pub(crate) fn resolve(
    pipeline: &Pipeline,
    wire: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, RunError> {
    for (name, text) in wire {
        let param = find(pipeline, name)?;
        let form = wire_form_of(param);
        check_wire(&param.schema, form, text)
            .map_err(|detail| bad_parameter(param, form, text, not_valid(param, text, &detail)))?;
    }
    let mut values = BTreeMap::new();
    for param in &pipeline.params {
        let value = match wire.get(&param.name).or(param.default.as_ref()) {
            Some(v) => v.clone(),
            None => {
                return Err(RunError::MissingParameter {
                    name: param.name.clone(),
                    rust_type: param.rust_type.clone(),
                });
            }
        };
        values.insert(param.name.clone(), value);
    }
    Ok(values)
}

/// Checks one hand-written `-p NAME=VALUE` against `pipeline` and returns its wire form.
///
/// # Errors
/// [`RunError::UnknownParameter`] for a name the pipeline does not have,
/// [`RunError::BadParameter`] for a value that is not a value of the parameter's type.
pub fn override_to_wire(pipeline: &Pipeline, name: &str, text: &str) -> Result<String, RunError> {
    override_to_wire_checked(pipeline, name, text, None)
}

/// [`override_to_wire`] with what the macro recorded about the parameter's declared type
/// (`exact`): its wire form decided by `TypeId` (a type alias of `String` is text), and a check
/// that decodes the value as the component will, so structs and enums without a schema are
/// checked exactly too.
///
/// # Errors
/// As [`override_to_wire`].
pub fn override_to_wire_checked(
    pipeline: &Pipeline,
    name: &str,
    text: &str,
    exact: Option<crate::value::ParamWire>,
) -> Result<String, RunError> {
    let param = find(pipeline, name)?;
    let form = exact.map_or_else(|| wire_form_of(param), |w| w.form);
    let bad = |reason: String| bad_parameter(param, form, text, reason);
    let valid = |wire: &str| {
        check_wire(&param.schema, form, wire).is_ok()
            && exact.is_none_or(|w| (w.check)(wire).is_ok())
    };
    let wire = value::canonical(text, form).map_err(|reason| {
        let ty = &param.rust_type;
        let quoted = serde_json::to_string(text).expect("a string serialises");
        // Suggest quotes only where a JSON string could be a value of the type.
        let as_string = value::canonical(&quoted, form).unwrap_or_default();
        let hint = if valid(&as_string) {
            format!(" (text is a string in quotes: -p '{name}={quoted}')")
        } else {
            String::new()
        };
        bad(format!(
            "`{}` is not a valid `{ty}`: {reason}; a `{ty}` is written as JSON{hint}",
            text.chars().take(80).collect::<String>()
        ))
    })?;
    check_wire(&param.schema, form, &wire)
        .map_err(|detail| bad(not_valid(param, text, &detail)))?;
    if let Some(exact) = exact {
        (exact.check)(&wire).map_err(bad)?;
    }
    Ok(wire)
}

/// "`300` is not a valid `u8`: …", today's shape of a refusal.
fn not_valid(param: &PipelineParam, text: &str, detail: &str) -> String {
    format!(
        "`{}` is not a valid `{}`: {detail}",
        text.chars().take(80).collect::<String>(),
        param.rust_type
    )
}

/// The error for value `text` of `param`, with an example of a good one.
fn bad_parameter(param: &PipelineParam, form: WireForm, text: &str, reason: String) -> RunError {
    RunError::BadParameter {
        name: param.name.clone(),
        value: text.to_owned(),
        rust_type: param.rust_type.clone(),
        reason,
        example: example_of(param, form),
    }
}

/// Parameter `name` of `pipeline`, or the error that lists the ones it has.
fn find<'a>(pipeline: &'a Pipeline, name: &str) -> Result<&'a PipelineParam, RunError> {
    pipeline
        .params
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| {
            let known: Vec<String> = pipeline
                .params
                .iter()
                .map(|p| format!("`{}` ({})", p.name, p.rust_type))
                .collect();
            RunError::UnknownParameter {
                pipeline: pipeline.name.clone(),
                name: name.to_owned(),
                known: if known.is_empty() {
                    "(none)".to_owned()
                } else {
                    known.join(", ")
                },
            }
        })
}

/// How `param` travels when the binary's record of its type is not at hand: a top-level
/// `string` schema is `String`'s (only `String` implements `Schema` as `string`).
fn wire_form_of(param: &PipelineParam) -> WireForm {
    match param.schema {
        TypeSchema::Text => WireForm::Text,
        _ => WireForm::Json,
    }
}

/// Checks that `text`, a value in wire form `form`, is a value of `schema`.
///
/// # Errors
/// A sentence saying what is wrong and where.
pub fn check_wire(schema: &TypeSchema, form: WireForm, text: &str) -> Result<(), String> {
    let json = match form {
        // Every text is a `String`; a schema that says otherwise is checked on the text as a
        // JSON string.
        WireForm::Text => Value::String(value::decode_text(text)),
        WireForm::Json => serde_json::from_str(text).map_err(|e| {
            format!(
                "`{}` is not JSON ({e})",
                text.chars().take(80).collect::<String>()
            )
        })?,
    };
    schema.check(&json).or_else(|mismatch| {
        // What `value::decode` also reads: a list of the elements' wire texts as strings,
        // as Argo aggregates a loop's scalar outputs (`value::aggregate`).
        let unwrapped = match (&json, form) {
            (Value::Array(items), WireForm::Json) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .and_then(|s| serde_json::from_str::<Value>(s).ok())
                })
                .collect::<Option<Vec<Value>>>(),
            _ => None,
        };
        match unwrapped.map(|items| schema.check(&Value::Array(items))) {
            Some(Ok(())) => Ok(()),
            _ => Err(mismatch.to_string()),
        }
    })
}

/// A good `-p` value for `param` (which travels in wire form `form`): its default as it would be
/// typed, or one of its schema.
fn example_of(param: &PipelineParam, form: WireForm) -> String {
    match (&param.default, form) {
        (Some(d), WireForm::Text) => value::decode_text(d),
        (Some(d), WireForm::Json) => d.clone(),
        (None, WireForm::Text) => "some text".to_owned(),
        (None, WireForm::Json) => match &param.schema {
            TypeSchema::Any => "a JSON value (a string in quotes)".to_owned(),
            schema => schema.example(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;

    fn param(name: &str, rust_type: &str, schema: TypeSchema) -> serde_json::Value {
        serde_json::json!({"name": name, "rust_type": rust_type, "schema": schema})
    }

    fn pipeline(params: Vec<serde_json::Value>) -> Pipeline {
        serde_json::from_value(
            serde_json::json!({"name": "p", "binary_path": "/b", "params": params}),
        )
        .unwrap()
    }

    #[test]
    fn overrides_and_defaults_resolve_and_unknown_names_are_refused() {
        let mut rows = param("rows", "u32", u32::schema());
        rows["default"] = "1000".into();
        let pipeline = pipeline(vec![rows, param("lr", "f64", f64::schema())]);
        let mut over = BTreeMap::from([("lr".to_owned(), "0.1".to_owned())]);
        let values = resolve(&pipeline, &over).unwrap();
        assert_eq!(values["rows"], "1000");
        assert_eq!(values["lr"], "0.1");
        assert!(matches!(
            resolve(&pipeline, &BTreeMap::new()),
            Err(RunError::MissingParameter { .. })
        ));
        over.insert("rowz".into(), "1".into());
        assert!(matches!(
            resolve(&pipeline, &over),
            Err(RunError::UnknownParameter { .. })
        ));
        let err = override_to_wire(&pipeline, "rows", "many").unwrap_err();
        assert!(err.to_string().contains("not a valid `u32`"), "{err}");
        assert!(!err.to_string().contains("in quotes"), "{err}");
        let err = override_to_wire(&pipeline, "rows", "-5").unwrap_err();
        assert!(err.to_string().contains("not a valid `u32`"), "{err}");
    }

    #[test]
    fn the_runner_refuses_a_wire_value_outside_the_schema() {
        let pipeline = pipeline(vec![param("rows", "u32", u32::schema())]);
        let over = BTreeMap::from([("rows".to_owned(), "4294967296".to_owned())]);
        let err = resolve(&pipeline, &over).unwrap_err().to_string();
        assert_eq!(
            err,
            "-p rows=4294967296: `4294967296` is not a valid `u32`: 4294967296 is above the \
             maximum, 4294967295 (expected an integer from 0 to 4294967295)\n\
             help: pass a `u32` value, e.g. 42"
        );
        let over = BTreeMap::from([("rows".to_owned(), "12".to_owned())]);
        assert_eq!(resolve(&pipeline, &over).unwrap()["rows"], "12");
    }

    /// (schema, `-p` text, refused with) — each refusal names the parameter, the type, what is
    /// wrong and an example; the type is known only by its schema here (no `ParamWire`).
    #[test]
    fn overrides_are_checked_against_the_schema() {
        let mode = TypeSchema::Enum(vec!["fast".into(), "slow".into()]);
        let pipeline = pipeline(vec![
            param("small", "u8", u8::schema()),
            param("count", "Count", u32::schema()),
            param("sizes", "Vec<u16>", Vec::<u16>::schema()),
            param("mode", "Mode", mode),
            param("ratio", "f64", f64::schema()),
            param("maybe", "Option<u8>", Option::<u8>::schema()),
        ]);
        for (name, text, says) in [
            (
                "small",
                "256",
                "-p small=256: `256` is not a valid `u8`: 256 is above the maximum, 255",
            ),
            ("small", "-1", "-1 is below the minimum, 0"),
            (
                "count",
                "0.5",
                "`0.5` is not a valid `Count`: `0.5` is not a whole number",
            ),
            (
                "sizes",
                "[1,2,70000]",
                "at `[2]`: 70000 is above the maximum, 65535",
            ),
            (
                "sizes",
                "[1,\"2\"]",
                "at `[1]`: `\"2\"` is a string (expected an integer from 0 to 65535)",
            ),
            (
                "mode",
                "\"medium\"",
                r#"`"medium"` is not one of "fast", "slow""#,
            ),
            ("ratio", "null", "`null` is not allowed here"),
            ("ratio", "true", "`true` is a boolean (expected a number)"),
        ] {
            let err = override_to_wire(&pipeline, name, text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{name}={text}: {err}");
            assert!(err.contains(&format!("-p {name}={text}")), "{err}");
            assert!(err.contains("help: pass a `"), "{err}");
        }
        let help = |name: &str| {
            let err = override_to_wire(&pipeline, name, "{}")
                .unwrap_err()
                .to_string();
            err.rsplit_once("e.g. ").unwrap().1.to_owned()
        };
        assert_eq!(help("small"), "42");
        assert_eq!(help("sizes"), "[42]");
        assert_eq!(help("mode"), "\"fast\"");
        // A bare word for an enum is refused with the hint to quote it: quoted, it is a member.
        let err = override_to_wire(&pipeline, "mode", "fast")
            .unwrap_err()
            .to_string();
        assert!(err.contains("-p 'mode=\"fast\"'"), "{err}");
        let err = override_to_wire(&pipeline, "mode", "medium")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("in quotes"), "{err}");
        for (name, text) in [
            ("small", "255"),
            ("count", "7"),
            ("sizes", "[1, 2]"),
            ("mode", "\"slow\""),
            ("ratio", "3"),
            ("maybe", "null"),
            ("maybe", "9"),
        ] {
            assert!(
                override_to_wire(&pipeline, name, text).is_ok(),
                "{name}={text}"
            );
        }
    }

    #[test]
    fn overrides_become_the_wire_form_of_their_type() {
        let pipeline = pipeline(vec![
            param("text", "String", String::schema()),
            param("maybe", "Option<String>", Option::<String>::schema()),
            param("config", "Config", TypeSchema::Any),
        ]);
        let wire = |n: &str, t: &str| override_to_wire(&pipeline, n, t);
        assert_eq!(wire("text", "plain").unwrap(), "plain");
        assert_eq!(
            wire("text", "{{workflow.uid}} $(HOME) $$").unwrap(),
            r#""\u007b\u007bworkflow.uid\u007d\u007d \u0024(HOME) \u0024\u0024""#
        );
        assert_eq!(wire("maybe", "null").unwrap(), "null");
        assert_eq!(wire("maybe", "\"null\"").unwrap(), "\"null\"");
        let err = wire("maybe", "hello").unwrap_err().to_string();
        assert!(err.contains("'maybe=\"hello\"'"), "{err}");
        assert!(wire("maybe", "1").is_err());
        assert_eq!(
            wire("config", "{ \"a\": \"$x\" }").unwrap(),
            r#"{"a":"\u0024x"}"#
        );
        assert!(matches!(
            wire("nope", "1"),
            Err(RunError::UnknownParameter { .. })
        ));
    }
}
