//! Pipeline parameter values of a run: defaults, `-p` overrides, and a type check of each value
//! against the parameter's Rust type.

use std::collections::BTreeMap;

use serde_json::Value;

use super::RunError;
use crate::ir::Pipeline;
use crate::value;

/// The wire value of every pipeline parameter: the override if given, else the default.
pub(crate) fn resolve(
    pipeline: &Pipeline,
    overrides: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, RunError> {
    for (name, text) in overrides {
        let Some(param) = pipeline.params.iter().find(|p| &p.name == name) else {
            let known: Vec<String> = pipeline
                .params
                .iter()
                .map(|p| format!("`{}` ({})", p.name, p.rust_type))
                .collect();
            return Err(RunError::UnknownParameter {
                pipeline: pipeline.name.clone(),
                name: name.clone(),
                known: if known.is_empty() {
                    "(none)".to_owned()
                } else {
                    known.join(", ")
                },
            });
        };
        if let Err(reason) = check_value(&param.rust_type, text) {
            return Err(RunError::BadParameter {
                name: name.clone(),
                value: text.clone(),
                rust_type: param.rust_type.clone(),
                reason,
                example: param
                    .default
                    .clone()
                    .unwrap_or_else(|| example(&param.rust_type).to_owned()),
            });
        }
    }
    let mut values = BTreeMap::new();
    for param in &pipeline.params {
        let value = match overrides.get(&param.name).or(param.default.as_ref()) {
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

/// Checks that `text` (a wire-form value) decodes as `rust_type` (as the IR spells it: `u32`,
/// `Vec<f64>`, `Option<String>`, …), the way the component will decode it.
///
/// Primitive types, `String`, `Vec`, `Option` and tuples are checked exactly; other types
/// (structs, maps, enums) must be JSON or a plain string, and the component reports a mismatch
/// when it decodes them.
///
/// # Errors
/// A sentence saying what is wrong.
pub fn check_value(rust_type: &str, text: &str) -> Result<(), String> {
    let ty: String = rust_type.chars().filter(|c| !c.is_whitespace()).collect();
    check(&ty, text)
}

fn check(ty: &str, text: &str) -> Result<(), String> {
    fn decode<T: serde::de::DeserializeOwned>(text: &str, ty: &str) -> Result<(), String> {
        value::decode::<T>(text)
            .map(|_| ())
            .map_err(|_| format!("`{text}` is not a valid `{ty}`"))
    }
    let last = ty.rsplit("::").next().unwrap_or(ty);
    match last {
        "String" | "str" | "&str" | "PathBuf" | "Cow<str>" => Ok(()),
        "char" => decode::<char>(text, ty),
        "bool" => decode::<bool>(text, ty),
        "u8" => decode::<u8>(text, ty),
        "u16" => decode::<u16>(text, ty),
        "u32" => decode::<u32>(text, ty),
        "u64" => decode::<u64>(text, ty),
        "u128" => decode::<u128>(text, ty),
        "usize" => decode::<usize>(text, ty),
        "i8" => decode::<i8>(text, ty),
        "i16" => decode::<i16>(text, ty),
        "i32" => decode::<i32>(text, ty),
        "i64" => decode::<i64>(text, ty),
        "i128" => decode::<i128>(text, ty),
        "isize" => decode::<isize>(text, ty),
        "f32" => decode::<f32>(text, ty),
        "f64" => decode::<f64>(text, ty),
        _ => {
            if let Some(inner) = generic(ty, "Option") {
                if text == "null" {
                    return Ok(());
                }
                return check(inner, text);
            }
            if let Some(inner) = generic(ty, "Vec") {
                let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
                    return Err(format!("`{text}` is not a JSON array (a `{ty}`)"));
                };
                for item in items {
                    check(inner, &wire(&item))?;
                }
                return Ok(());
            }
            if let Some(inner) = ty.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
                let parts = split_top_level(inner);
                let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
                    return Err(format!("`{text}` is not a JSON array (a tuple `{ty}`)"));
                };
                if items.len() != parts.len() {
                    return Err(format!(
                        "`{text}` has {} elements, but `{ty}` has {}",
                        items.len(),
                        parts.len()
                    ));
                }
                for (part, item) in parts.iter().zip(items) {
                    check(part, &wire(&item))?;
                }
                return Ok(());
            }
            // A user type: any JSON value, or a plain string (unit enum variants travel raw).
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

/// A JSON value in wire form: a string is itself, anything else its JSON text.
fn wire(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn example(rust_type: &str) -> &'static str {
    let last = rust_type.rsplit("::").next().unwrap_or(rust_type);
    match last {
        "bool" => "true",
        "f32" | "f64" => "0.5",
        t if t.starts_with('u') || t.starts_with('i') => "42",
        t if t.starts_with("Vec") => "[1,2]",
        _ => "a JSON value",
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
        let bad = BTreeMap::from([("rows".to_owned(), "many".to_owned())]);
        let err = resolve(&pipeline, &bad).unwrap_err();
        assert!(err.to_string().contains("not a valid `u32`"), "{err}");
    }
}
