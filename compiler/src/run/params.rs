//! Pipeline parameter values of a run or a submission: defaults, `-p` overrides, and a type
//! check of each value against the parameter's Rust type.
//!
//! A `-p NAME=VALUE` value is written by hand: a `String` parameter's value is the text itself,
//! any other type's value is JSON (`-p rows=5000`, `-p lrs=[0.1,0.2]`, `-p tag='"v1"'` for an
//! `Option<String>`). It is checked, then turned into the wire form ([`crate::value`]) — the
//! same form constants and defaults have — before it goes anywhere, so `run -p` and
//! `submit -p` deliver `{{workflow.uid}}`, `$(HOME)` or `$$` unchanged.
//!
//! The pipeline binary knows each parameter's declared type: the macro records its wire form
//! (decided by `TypeId`) and a decoding check ([`crate::value::ParamWire`]), which `run -p` and
//! `submit -p` use. Without that record (an IR from elsewhere) the type is known only by its
//! name (`rust_type`): "exactly `String`" is then `String`, `std::string::String` or
//! `alloc::string::String`, and containers, options, tuples and primitives are checked by
//! [`check_value`].

use std::collections::BTreeMap;

use serde_json::Value;

use super::RunError;
use crate::ir::{Pipeline, PipelineParam};
use crate::value::{self, WireForm};

/// The wire value of every pipeline parameter: the override if given, else the default.
/// Overrides are already in wire form and checked against their type ([`override_to_wire`]
/// does both); only their names are checked here.
pub(crate) fn resolve(
    pipeline: &Pipeline,
    wire: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, RunError> {
    for name in wire.keys() {
        find(pipeline, name)?;
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
/// that decodes the value as the component will, so structs and enums are checked exactly.
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
    let bad = |reason: String| RunError::BadParameter {
        name: name.to_owned(),
        value: text.to_owned(),
        rust_type: param.rust_type.clone(),
        reason,
        example: example_of(param),
    };
    let form = exact.map_or_else(|| wire_form_of(&param.rust_type), |w| w.form);
    let wire = value::canonical(text, form).map_err(|reason| {
        let ty = &param.rust_type;
        let quoted = serde_json::to_string(text).expect("a string serialises");
        // Suggest quotes only where a JSON string could be a value of the type.
        let as_string = value::canonical(&quoted, form).unwrap_or_default();
        let hint = if check_value(ty, &as_string).is_ok()
            && exact.is_none_or(|w| (w.check)(&as_string).is_ok())
        {
            format!(" (text is a string in quotes: -p '{name}={quoted}')")
        } else {
            String::new()
        };
        bad(format!(
            "`{}` is not a valid `{ty}`: {reason}; a `{ty}` is written as JSON{hint}",
            text.chars().take(80).collect::<String>()
        ))
    })?;
    match exact {
        Some(exact) => (exact.check)(&wire).map_err(bad)?,
        None => check_value(&param.rust_type, &wire).map_err(bad)?,
    }
    Ok(wire)
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

/// How a parameter of type `rust_type` (as the IR spells it) travels.
pub(crate) fn wire_form_of(rust_type: &str) -> WireForm {
    let ty: String = rust_type.chars().filter(|c| !c.is_whitespace()).collect();
    match ty.as_str() {
        "String" | "std::string::String" | "alloc::string::String" | "::std::string::String" => {
            WireForm::Text
        }
        _ => WireForm::Json,
    }
}

/// Checks that `text` (a wire-form value) decodes as `rust_type` (as the IR spells it: `u32`,
/// `Vec<f64>`, `Option<String>`, …), the way the component will decode it.
///
/// Primitive types, `String`, `Vec`, `Option` and tuples are checked exactly; other types
/// (structs, maps, enums) must be JSON, and the component reports a mismatch when it decodes
/// them.
///
/// # Errors
/// A sentence saying what is wrong.
pub fn check_value(rust_type: &str, text: &str) -> Result<(), String> {
    if wire_form_of(rust_type) == WireForm::Text {
        return Ok(());
    }
    let ty: String = rust_type.chars().filter(|c| !c.is_whitespace()).collect();
    let json: Value = serde_json::from_str(text)
        .map_err(|_| format!("`{text}` is not a valid `{ty}` (not JSON)"))?;
    check(&ty, &json)
}

fn check(ty: &str, json: &Value) -> Result<(), String> {
    fn decode<T: serde::de::DeserializeOwned>(json: &Value, ty: &str) -> Result<(), String> {
        T::deserialize(json)
            .map(|_| ())
            .map_err(|_| format!("`{json}` is not a valid `{ty}`"))
    }
    let last = ty.rsplit("::").next().unwrap_or(ty);
    match last {
        "String" | "str" | "&str" | "PathBuf" | "Cow<str>" => match json {
            Value::String(_) => Ok(()),
            _ => Err(format!("`{json}` is not a valid `{ty}` (a JSON string)")),
        },
        "char" => decode::<char>(json, ty),
        "bool" => decode::<bool>(json, ty),
        "u8" => decode::<u8>(json, ty),
        "u16" => decode::<u16>(json, ty),
        "u32" => decode::<u32>(json, ty),
        "u64" => decode::<u64>(json, ty),
        "u128" => decode::<u128>(json, ty),
        "usize" => decode::<usize>(json, ty),
        "i8" => decode::<i8>(json, ty),
        "i16" => decode::<i16>(json, ty),
        "i32" => decode::<i32>(json, ty),
        "i64" => decode::<i64>(json, ty),
        "i128" => decode::<i128>(json, ty),
        "isize" => decode::<isize>(json, ty),
        "f32" => decode::<f32>(json, ty),
        "f64" => decode::<f64>(json, ty),
        _ => {
            if let Some(inner) = generic(ty, "Option") {
                if json.is_null() {
                    return Ok(());
                }
                return check(inner, json);
            }
            if let Some(inner) = generic(ty, "Vec") {
                let Value::Array(items) = json else {
                    return Err(format!("`{json}` is not a JSON array (a `{ty}`)"));
                };
                for item in items {
                    check(inner, item)?;
                }
                return Ok(());
            }
            if let Some(inner) = ty.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
                let parts = split_top_level(inner);
                let Value::Array(items) = json else {
                    return Err(format!("`{json}` is not a JSON array (a tuple `{ty}`)"));
                };
                if items.len() != parts.len() {
                    return Err(format!(
                        "`{json}` has {} elements, but `{ty}` has {}",
                        items.len(),
                        parts.len()
                    ));
                }
                for (part, item) in parts.iter().zip(items) {
                    check(part, item)?;
                }
                return Ok(());
            }
            // A user type: any JSON value; the component checks it when it decodes.
            Ok(())
        }
    }
}

/// `Vec<T>` → `T` (also with a path prefix such as `std::vec::Vec<T>`).
fn generic<'a>(ty: &'a str, name: &str) -> Option<&'a str> {
    let open = ty.find('<')?;
    let head = &ty[..open];
    if head.rsplit("::").next() != Some(name) {
        return None;
    }
    ty[open + 1..].strip_suffix('>')
}

fn split_top_level(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0i32, 0usize, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < s.len() {
        parts.push(&s[start..]);
    }
    parts
}

/// A good `-p` value for `param`: its default as it would be typed, or one of its type.
fn example_of(param: &PipelineParam) -> String {
    match (&param.default, wire_form_of(&param.rust_type)) {
        (Some(d), WireForm::Text) => value::decode_text(d),
        (Some(d), WireForm::Json) => d.clone(),
        (None, _) => example(&param.rust_type).to_owned(),
    }
}

fn example(rust_type: &str) -> &'static str {
    let last = rust_type.rsplit("::").next().unwrap_or(rust_type);
    match last {
        "bool" => "true",
        "f32" | "f64" => "0.5",
        t if t.starts_with('u') || t.starts_with('i') => "42",
        t if t.starts_with("Vec") => "[1,2]",
        "String" => "some text",
        _ => "a JSON value (a string in quotes)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_are_checked_exactly() {
        assert!(check_value("u32", "1000").is_ok());
        assert!(check_value("u32", "-1").is_err());
        assert!(check_value("u32", "abc").is_err());
        assert!(check_value("u8", "300").is_err());
        assert!(check_value("f64", "0.25").is_ok());
        assert!(check_value("f64", "fast").is_err());
        assert!(check_value("bool", "true").is_ok());
        assert!(check_value("bool", "yes").is_err());
        assert!(check_value("String", "anything {at} all").is_ok());
        assert!(check_value("std::string::String", "").is_ok());
    }

    #[test]
    fn containers_are_checked_element_by_element() {
        assert!(check_value("Vec<f64>", "[0.1, 2]").is_ok());
        assert!(check_value("Vec<f64>", "[0.1, \"x\"]").is_err());
        assert!(check_value("Vec < u8 >", "[1,2,300]").is_err());
        assert!(check_value("Vec<String>", "[\"a\", \"b\"]").is_ok());
        assert!(check_value("Option<u32>", "null").is_ok());
        assert!(check_value("Option<u32>", "7").is_ok());
        assert!(check_value("Option<u32>", "x").is_err());
        assert!(check_value("(u32, String)", "[1, \"a\"]").is_ok());
        assert!(check_value("(u32, String)", "[1]").is_err());
        assert!(check_value("Config", "{\"a\": 1}").is_ok());
    }

    #[test]
    fn overrides_and_defaults_resolve_and_unknown_names_are_refused() {
        let pipeline: Pipeline = serde_json::from_value(serde_json::json!({
            "name": "p", "binary_path": "/b",
            "params": [
                {"name": "rows", "rust_type": "u32", "default": "1000"},
                {"name": "lr", "rust_type": "f64"}
            ]
        }))
        .unwrap();
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
    fn overrides_become_the_wire_form_of_their_type() {
        let pipeline: Pipeline = serde_json::from_value(serde_json::json!({
            "name": "p", "binary_path": "/b",
            "params": [
                {"name": "text", "rust_type": "String"},
                {"name": "maybe", "rust_type": "Option<String>"},
                {"name": "config", "rust_type": "Config"}
            ]
        }))
        .unwrap();
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
