//! Parameter values on the wire.
//!
//! Argo passes every parameter as a string, and rewrites strings on the way: Argo substitutes
//! `{{…}}` in the whole template after input values are filled in (`SubstituteParams` in
//! `workflow/common/util.go`), and the kubelet expands `$(VAR)` and `$$` in a container's
//! `command` and `args` (Kubernetes `third_party/forked/golang/expansion/expand.go`). The wire
//! form is chosen so that neither recognises anything in it, and it is chosen by the *declared
//! type* of the value, never by looking at the text:
//!
//! - **exactly `String`** (decided by `TypeId::of::<T>() == TypeId::of::<String>()`, so a type
//!   alias of `String` counts and a newtype around it does not): the raw text when it is
//!   [safe](is_safe_text) — no `{`, `}`, `$`, no control character other than newline and tab,
//!   nothing beyond U+FFFF, no whitespace at either end and no leading `"` — otherwise a JSON
//!   string literal in which `{`, `}` and `$` (and control characters and characters beyond
//!   U+FFFF, which Argo's substitution cannot insert) are `\u` escapes. Decoding takes text
//!   that starts with `"` and parses as
//!   a JSON string literal as that literal; anything else is the value itself, so a value from
//!   outside argot (a container component's output) still arrives;
//! - **every other type**: compact JSON in which, inside string literals, `{`, `}` and `$` (and
//!   the characters above) are `\u` escapes. Compact JSON never has `{{` or `$` outside strings, so nothing in it can be
//!   taken for `{{…}}`, `$(…)` or `$$`. Decoding is plain JSON: `Option<String>`'s `None` is
//!   `null` and `Some("null")` is `"null"`; a `serde_json::Value` or an untagged enum decodes as
//!   the JSON it is.
//!
//! The generic functions take `T: 'static` so that the rule can be decided by `TypeId`; the
//! macros call them with the declared type of each input and output.

use std::any::TypeId;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A type that can travel as a parameter: any serde type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter: it must implement serde's `Serialize` and `Deserialize`",
    label = "not a serde type",
    note = "derive them with `#[derive(Serialize, Deserialize)]`, or pass large data as an artifact (`Input<Dataset>`, `Output<Model>`, …)"
)]
pub trait ParamType: Serialize + DeserializeOwned + 'static {}

impl<T: Serialize + DeserializeOwned + 'static> ParamType for T {}

/// Errors decoding or encoding a parameter value.
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    /// The value could not be serialised.
    #[error("cannot serialise the value: {0}")]
    Encode(#[source] serde_json::Error),
    /// The text is not a valid value of the expected type.
    #[error("`{text}` is not a valid `{rust_type}`: {source}")]
    Decode {
        /// The text received (shortened when long).
        text: String,
        /// The expected Rust type.
        rust_type: &'static str,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
}

/// How a declared type travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireForm {
    /// Exactly `String` (or `str`): raw text when safe, else an escaped JSON string literal.
    Text,
    /// Everything else: escaped compact JSON.
    Json,
}

/// The wire form of declared type `T`.
pub fn wire_form<T: ?Sized + 'static>() -> WireForm {
    let t = TypeId::of::<T>();
    if t == TypeId::of::<String>() || t == TypeId::of::<str>() {
        WireForm::Text
    } else {
        WireForm::Json
    }
}

/// Encodes a value of declared type `T` into its wire form.
///
/// # Errors
/// [`ValueError::Encode`] when serde cannot serialise the value (a map with non-string keys, …).
pub fn encode<T: Serialize + ?Sized + 'static>(value: &T) -> Result<String, ValueError> {
    match wire_form::<T>() {
        WireForm::Text => {
            // `T` is `String` or `str`: both serialise to a JSON string.
            match serde_json::to_value(value).map_err(ValueError::Encode)? {
                serde_json::Value::String(s) => Ok(encode_text(&s)),
                other => Ok(escape_json(&other.to_string())),
            }
        }
        WireForm::Json => {
            let json = serde_json::to_string(value).map_err(ValueError::Encode)?;
            Ok(escape_json(&json))
        }
    }
}

/// Decodes a value of declared type `T` from its wire form.
///
/// # Errors
/// [`ValueError::Decode`] when the text is not a valid `T`.
pub fn decode<T: DeserializeOwned + 'static>(text: &str) -> Result<T, ValueError> {
    let parsed = match wire_form::<T>() {
        WireForm::Text => serde_json::from_value(serde_json::Value::String(decode_text(text))),
        WireForm::Json => serde_json::from_str(text).or_else(|e| {
            // A list Argo aggregated from a loop's scalar outputs holds each value's wire text
            // as a JSON string ([`aggregate`]): read the elements as the wire texts they are.
            // Only text no `T` reads is read so, so no value that decodes changes meaning.
            match serde_json::from_str::<Vec<String>>(text) {
                Ok(items) => {
                    let values: Result<Vec<serde_json::Value>, _> =
                        items.iter().map(|i| serde_json::from_str(i)).collect();
                    values
                        .ok()
                        .and_then(|v| serde_json::from_value(serde_json::Value::Array(v)).ok())
                        .ok_or(e)
                }
                Err(_) => Err(e),
            }
        }),
    };
    parsed.map_err(|source| ValueError::Decode {
        text: shorten(text),
        rust_type: std::any::type_name::<T>(),
        source,
    })
}

/// A check that a wire text is a value of one declared type, as the component will decode it
/// ([`check_wire::<T>`](check_wire)).
pub type WireCheck = fn(&str) -> Result<(), String>;

/// What the macro records about a pipeline parameter's declared type, so that `run -p` and
/// `submit -p` encode a value as the component will decode it ([`ParamWire::of`]) and refuse
/// what it would refuse (a type alias of `String` is text; a struct is checked field by field).
#[derive(Clone, Copy, Debug)]
pub struct ParamWire {
    /// The parameter's name.
    pub name: &'static str,
    /// How its declared type travels.
    pub form: WireForm,
    /// The check of a wire text against its declared type.
    pub check: WireCheck,
}

impl ParamWire {
    /// The record for parameter `name` of declared type `T`.
    pub fn of<T: ParamType>(name: &'static str) -> ParamWire {
        ParamWire {
            name,
            form: wire_form::<T>(),
            check: check_wire::<T>,
        }
    }
}

/// Checks that `text` decodes as a `T`.
///
/// # Errors
/// What serde said, as a sentence.
pub fn check_wire<T: ParamType>(text: &str) -> Result<(), String> {
    decode::<T>(text).map(|_| ()).map_err(|e| e.to_string())
}

/// The wire form of a `String` value.
pub fn encode_text(s: &str) -> String {
    if is_safe_text(s) {
        s.to_owned()
    } else {
        let literal = serde_json::to_string(s).expect("a string always serialises");
        escape_json(&literal)
    }
}

/// The `String` a wire text stands for: a JSON string literal is decoded, a
/// [formatted string](format_text) is assembled, anything else is the value itself.
pub fn decode_text(text: &str) -> String {
    if let Some(assembled) = assemble_format(text) {
        return assembled;
    }
    decode_plain_text(text)
}

/// [`decode_text`] without formatted strings: what one piece of a formatted string stands for.
fn decode_plain_text(text: &str) -> String {
    if text.starts_with('"')
        && let Ok(s) = serde_json::from_str::<String>(text)
    {
        return s;
    }
    text.to_owned()
}

/// How a value inside a formatted string (`format_arg!`) is shown: as Rust's `{}` shows a
/// value of its declared type, so the text is the one `format!` would give.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DisplayAs {
    /// A `String` (or `&str`): the text itself.
    Text,
    /// An integer: its digits.
    Integer,
    /// An `f32`, as Rust shows it (`0.1`, `1`, `inf`).
    F32,
    /// An `f64`, as Rust shows it.
    F64,
    /// A `bool`: `true` or `false`.
    Bool,
    /// A `char`: the character.
    Char,
}

impl DisplayAs {
    /// The tag a piece of a formatted string carries on the wire.
    pub fn tag(self) -> &'static str {
        match self {
            DisplayAs::Text => "text",
            DisplayAs::Integer => "int",
            DisplayAs::F32 => "f32",
            DisplayAs::F64 => "f64",
            DisplayAs::Bool => "bool",
            DisplayAs::Char => "char",
        }
    }

    fn from_tag(tag: &str) -> Option<DisplayAs> {
        [
            DisplayAs::Text,
            DisplayAs::Integer,
            DisplayAs::F32,
            DisplayAs::F64,
            DisplayAs::Bool,
            DisplayAs::Char,
        ]
        .into_iter()
        .find(|d| d.tag() == tag)
    }

    /// The text of the value whose wire text is `wire`; a wire text that is not a value of
    /// the type (a container component's output, say) is shown as it is.
    pub fn show(self, wire: &str) -> String {
        let shown = match self {
            DisplayAs::Text => Some(decode_plain_text(wire)),
            DisplayAs::Integer => serde_json::from_str::<serde_json::Number>(wire.trim())
                .ok()
                .filter(|n| !n.is_f64())
                .map(|n| n.to_string()),
            DisplayAs::F32 => decode::<f32>(wire.trim()).ok().map(|v| v.to_string()),
            DisplayAs::F64 => decode::<f64>(wire.trim()).ok().map(|v| v.to_string()),
            DisplayAs::Bool => decode::<bool>(wire.trim()).ok().map(|v| v.to_string()),
            DisplayAs::Char => decode::<char>(wire.trim()).ok().map(String::from),
        };
        shown.unwrap_or_else(|| wire.to_owned())
    }
}

/// The key that marks a formatted string on the wire.
pub const FORMAT_KEY: &str = "argot.format";

/// The wire text of a formatted string (`format_arg!`): `{"argot.format":[[tag, wire], …]}`,
/// each piece the wire text of a value and how to show it. The component's `String` input
/// assembles it ([`decode_text`]), so each value is shown from its own wire form instead of
/// being pasted into the text by Argo, which would paste the wire form (a JSON literal, for a
/// string with `{` or quotes) rather than the value.
///
/// The text starts with `{`, which no `String` wire text does (a safe text never holds `{`, and
/// an escaped one starts with `"`), so an argot value is never taken for a formatted string.
/// On Argo the same JSON is built by the expression `emit::regions` writes (`toJson` of the
/// list of pairs, Go's `json.Marshal`, which escapes `<`, `>` and `&` as `\u003c`…: the same
/// JSON to a reader).
pub fn format_text<'a>(pieces: impl IntoIterator<Item = (DisplayAs, &'a str)>) -> String {
    let list: Vec<[&str; 2]> = pieces
        .into_iter()
        .map(|(display, wire)| [display.tag(), wire])
        .collect();
    let json = serde_json::to_string(&list).expect("a list of strings always serialises");
    format!("{{\"{FORMAT_KEY}\":{json}}}")
}

/// The string a formatted string's wire text stands for, or `None` for any other text.
fn assemble_format(text: &str) -> Option<String> {
    if !text.starts_with('{') {
        return None;
    }
    let mut object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).ok()?;
    if object.len() != 1 {
        return None;
    }
    let serde_json::Value::Array(pieces) = object.remove(FORMAT_KEY)? else {
        return None;
    };
    let mut out = String::new();
    for piece in pieces {
        let serde_json::Value::Array(pair) = piece else {
            return None;
        };
        let [
            serde_json::Value::String(tag),
            serde_json::Value::String(wire),
        ] = &pair[..]
        else {
            return None;
        };
        out.push_str(&DisplayAs::from_tag(tag)?.show(wire));
    }
    Some(out)
}

/// Can `s` travel as itself? Nothing Argo (`{{`) or the kubelet (`$(`, `$$`) would recognise,
/// no control character and nothing beyond U+FFFF (which Argo's substitution cannot insert, see
/// `needs_escape_for_argo`), no whitespace at either end (which reading an output file may
/// trim), and not taken for a JSON literal when decoded.
pub fn is_safe_text(s: &str) -> bool {
    // Argo's executor trims the end of an output parameter's file (the local runner removes one
    // trailing newline, as it does): a value with outer whitespace travels quoted.
    !s.starts_with('"')
        && !s.starts_with(char::is_whitespace)
        && !s.ends_with(char::is_whitespace)
        && !s.chars().any(|c| {
            matches!(c, '{' | '}' | '$') || (needs_escape_for_argo(c) && c != '\n' && c != '\t')
        })
}

/// Would Argo's substitution break on `c`? `util/template` inserts a value into the template's
/// JSON as Go's `strconv.Quote` writes it, then refuses the result if it is not valid JSON; Quote
/// writes DEL and C0 controls as `\x..`, `\a` or `\v`, and non-printable characters beyond
/// U+FFFF as `\U........`, none of which JSON accepts. Every control character and every
/// character beyond U+FFFF is therefore written as `\u` escapes (UTF-16 surrogates beyond U+FFFF).
fn needs_escape_for_argo(c: char) -> bool {
    c.is_control() || u32::from(c) > 0xFFFF
}

/// Can Argo's substitution insert `text` into a template at all? It writes the value with Go's
/// `strconv.Quote` and refuses what is not JSON afterwards (`util/template`), so a C0 control
/// character other than backspace, tab, newline, form feed and carriage return, or DEL, makes
/// the workflow fail. (Non-printable characters beyond U+FFFF fail too; argot's wire form
/// never has them raw, and they are not looked for here.) Always true of argot's wire form.
pub fn argo_can_insert(text: &str) -> bool {
    !text
        .chars()
        .any(|c| (c < ' ' && !matches!(c, '\u{8}' | '\t' | '\n' | '\u{c}' | '\r')) || c == '\u{7f}')
}

/// Rewrites JSON text into the wire form: whitespace outside strings dropped, and `{`, `}`,
/// `$` inside strings written as `\u` escapes (the JSON means the same afterwards). The input
/// must be valid JSON.
fn escape_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            if escaped {
                escaped = false;
                out.push(c);
                continue;
            }
            match c {
                '\\' => {
                    escaped = true;
                    out.push(c);
                }
                '"' => {
                    in_string = false;
                    out.push(c);
                }
                '{' => out.push_str("\\u007b"),
                '}' => out.push_str("\\u007d"),
                '$' => out.push_str("\\u0024"),
                c if needs_escape_for_argo(c) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                _ => out.push(c),
            }
        } else {
            match c {
                '"' => {
                    in_string = true;
                    out.push(c);
                }
                ' ' | '\t' | '\n' | '\r' => {}
                _ => out.push(c),
            }
        }
    }
    out
}

/// Turns hand-written text for a parameter of wire form `form` (a `-p NAME=VALUE` value) into
/// the wire form: a `String` parameter's text is the value itself; any other type's text must
/// be JSON, which is rewritten into the escaped compact form (numbers are kept digit for digit).
///
/// # Errors
/// A sentence saying why the text is not JSON.
pub fn canonical(text: &str, form: WireForm) -> Result<String, String> {
    match form {
        WireForm::Text => Ok(encode_text(text)),
        WireForm::Json => {
            serde_json::from_str::<serde::de::IgnoredAny>(text)
                .map_err(|e| format!("`{}` is not JSON ({e})", shorten(text)))?;
            Ok(escape_json(text))
        }
    }
}

/// What Argo substitutes for `{{item}}` (`field` `None`) or `{{item.FIELD}}` in a looped
/// task, given the item as JSON (one element of `withItems`, or of the list `withParam` reads),
/// as `processItem` (`workflow/controller/operator.go`) does: a string item is its text; a
/// number or boolean its JSON; a map or list item the JSON Go's `json.Marshal` writes (map keys
/// sorted). A field of a map item is the field's text when it is a string, else its JSON.
/// `None` when the item has no such field (Argo leaves the tag unresolved and fails the task).
pub fn argo_item_text(item: &serde_json::Value, field: Option<&str>) -> Option<String> {
    use serde_json::Value;
    let value = match field {
        None => item,
        Some(name) => item.as_object()?.get(name)?,
    };
    Some(match value {
        Value::String(s) => s.clone(),
        // A map item's fields and a list item's elements keep their JSON text (Argo's `Item`
        // holds the raw bytes), so the escapes of argot's wire form stay escaped.
        // A map item is a Go map of raw values: its own keys are sorted, nothing inside it is.
        other => escape_json(&go_json(other, usize::from(field.is_none()), false)),
    })
}

/// The JSON list Argo makes of a looped task's output parameter (`{{tasks.loop-N.outputs.
/// parameters.X}}`) from each successful iteration's value, in iteration order, as
/// `aggregatedJSONValueList` (`workflow/controller/operator.go`) does: when every value is a
/// JSON map or list, a list of those values (read as Go reads JSON: keys sorted, numbers as
/// 64-bit floats); otherwise a list of the values as JSON strings. An element type that is not
/// a map or list therefore arrives as strings, which [`decode`] accepts for a `Vec` of it.
pub fn aggregate(values: &[String]) -> String {
    use serde_json::Value;
    let parsed: Option<Vec<Value>> = values
        .iter()
        .map(|v| {
            serde_json::from_str::<Value>(v)
                .ok()
                .filter(|v| v.is_array() || v.is_object())
        })
        .collect();
    match parsed {
        Some(list) => go_json(
            &Value::Array(list.into_iter().map(go_numbers).collect()),
            usize::MAX,
            true,
        ),
        None => go_json(
            &Value::Array(values.iter().cloned().map(Value::String).collect()),
            0,
            true,
        ),
    }
}

/// `value` as Go's `any` holds it after `json.Unmarshal`: every number a 64-bit float.
fn go_numbers(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Value::Array(v) => Value::Array(v.into_iter().map(go_numbers).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, go_numbers(v))).collect()),
        other => other,
    }
}

/// Go's `strconv.Quote` of `text` (`fmt`'s `%q`, which Sprig's `quote` is): a double-quoted
/// literal with `"` and `\` escaped, printable characters as they are and the others as
/// `\a`…`\v`, `\xNN` (below U+0080), `\uNNNN` or `\UNNNNNNNN`. Go's `unicode.IsPrint` is
/// modelled as ASCII graphic characters and space, and beyond ASCII everything but the C1
/// controls, no-break and other spaces, soft hyphen, zero-width and bidi formatting marks, line
/// and paragraph separators, private use and specials.
pub fn go_quote(text: &str) -> String {
    let printable = |c: char| match c {
        ' '..='~' => true,
        '\u{0}'..='\u{a0}' | '\u{ad}' | '\u{2000}'..='\u{200f}' | '\u{2028}'..='\u{202f}' => false,
        '\u{205f}'..='\u{206f}' | '\u{3000}' | '\u{feff}' | '\u{e000}'..='\u{f8ff}' => false,
        '\u{fff9}'..='\u{ffff}' => false,
        _ => true,
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if printable(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// JSON as Go's `json.Marshal` writes it: compact, the keys of maps less than `sort_depth`
/// levels down sorted (Go maps; deeper ones are raw JSON bytes, kept as they are), floats in
/// Go's format when `go_floats` (numbers Go decoded), and `<`, `>`, `&`, U+2028 and U+2029
/// escaped.
pub(crate) fn go_json(value: &serde_json::Value, sort_depth: usize, go_floats: bool) -> String {
    let mut out = String::new();
    write_go(value, sort_depth, go_floats, &mut out);
    out
}

fn write_go(value: &serde_json::Value, sort_depth: usize, go_floats: bool, out: &mut String) {
    use serde_json::Value;
    let deeper = sort_depth.saturating_sub(1);
    {
        match value {
            Value::Object(m) => {
                let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                if sort_depth > 0 {
                    entries.sort_by(|a, b| a.0.cmp(b.0));
                }
                out.push('{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_go(&Value::String(k.clone()), 0, go_floats, out);
                    out.push(':');
                    write_go(v, deeper, go_floats, out);
                }
                out.push('}');
            }
            Value::Array(v) => {
                out.push('[');
                for (i, e) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_go(e, deeper, go_floats, out);
                }
                out.push(']');
            }
            Value::Number(n) if go_floats => out.push_str(&go_float(n.as_f64().unwrap_or(0.0))),
            Value::String(s) => {
                let text = serde_json::to_string(s).expect("a string always serialises");
                for c in text.chars() {
                    match c {
                        '<' => out.push_str("\\u003c"),
                        '>' => out.push_str("\\u003e"),
                        '&' => out.push_str("\\u0026"),
                        '\u{2028}' => out.push_str("\\u2028"),
                        '\u{2029}' => out.push_str("\\u2029"),
                        c => out.push(c),
                    }
                }
            }
            other => out.push_str(&other.to_string()),
        }
    }
}

/// A float as Go's `encoding/json` writes it (`floatEncoder`): the shortest text that reads
/// back, without an exponent from 1e-6 to 1e21, else with one (`1e-7`, `1e+21`).
fn go_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let text = format!("{f:e}");
    match text.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => text,
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

#[cfg(test)]
mod tests {
    /// `strconv.Quote` escapes what Go does not print: controls, and beyond ASCII no-break
    /// spaces, zero-width and bidi marks, separators, private use (`go_quote`).
    #[test]
    fn go_quote_escapes_what_go_does_not_print() {
        assert_eq!(super::go_quote("a\"b\\c\n\u{7f}é"), r#""a\"b\\c\n\x7fé""#);
        assert_eq!(
            super::go_quote("\u{85}\u{a0}\u{200b}\u{2028}\u{feff}\u{e000}"),
            r#""\u0085\u00a0\u200b\u2028\ufeff\ue000""#
        );
        assert_eq!(super::go_quote("日本 🚀"), "\"日本 🚀\"");
    }

    use super::*;
    use serde::Deserialize;

    fn round_trip<T>(value: &T) -> String
    where
        T: ParamType + PartialEq + std::fmt::Debug,
    {
        let wire = encode(value).unwrap();
        assert!(!wire.contains("{{"), "{wire}");
        assert!(!wire.contains('$'), "{wire}");
        assert!(argo_can_insert(&wire), "{wire:?}");
        assert!(wire.chars().all(|c| u32::from(c) <= 0xFFFF), "{wire:?}");
        assert_eq!(&decode::<T>(&wire).unwrap(), value, "through {wire:?}");
        wire
    }

    #[test]
    fn safe_strings_travel_raw() {
        for s in [
            "yes",
            "",
            "42",
            "null",
            "a\nb",
            "tab\there",
            "{\"a\":1}x",
            "日本語",
        ] {
            if is_safe_text(s) {
                assert_eq!(encode(&s.to_owned()).unwrap(), s);
            }
            round_trip(&s.to_owned());
        }
        assert_eq!(encode(&"null".to_owned()).unwrap(), "null");
        assert_eq!(encode("yes").unwrap(), "yes");
    }

    #[test]
    fn unsafe_strings_travel_as_escaped_literals() {
        for s in [
            "{{workflow.uid}}",
            "{{workflow.parameters.token}}",
            "$(HOME)",
            "$$",
            "a$",
            "\"quoted\"",
            "\"",
            "nul\u{0}byte",
            "bell\u{7}",
            "del\u{7f}",
            "crab 🦀",
            "tag \u{e0001}",
            "cr\r\n",
            "trailing newline\n",
            " padded ",
            "{",
            "}",
        ] {
            let wire = round_trip(&s.to_owned());
            assert!(wire.starts_with('"'), "{s:?} → {wire}");
            assert!(!wire.contains('{') && !wire.contains('}'), "{wire}");
        }
        assert_eq!(
            encode(&"{{workflow.uid}}".to_owned()).unwrap(),
            r#""\u007b\u007bworkflow.uid\u007d\u007d""#
        );
        assert_eq!(encode(&"$(HOME)".to_owned()).unwrap(), r#""\u0024(HOME)""#);
        let big = "{{x}} $(Y) $$\n".repeat(20_000);
        round_trip(&big);
    }

    #[test]
    fn text_from_outside_argot_is_taken_as_it_is() {
        assert_eq!(decode::<String>("{{not json").unwrap(), "{{not json");
        assert_eq!(
            decode::<String>("\"unterminated").unwrap(),
            "\"unterminated"
        );
        assert_eq!(decode::<String>("[1,2]").unwrap(), "[1,2]");
        assert_eq!(decode::<String>("\"a\"").unwrap(), "a");
    }

    #[test]
    fn option_string_keeps_none_apart_from_the_text_null() {
        assert_eq!(round_trip(&None::<String>), "null");
        assert_eq!(round_trip(&Some("null".to_owned())), "\"null\"");
        assert_eq!(
            round_trip(&Some("{{x}}".to_owned())),
            r#""\u007b\u007bx\u007d\u007d""#
        );
        assert_eq!(decode::<Option<String>>("null").unwrap(), None);
    }

    #[test]
    fn json_values_decode_as_json() {
        let v = serde_json::json!({"a": [1, "x{{y}}$(Z)"], "b": null});
        let wire = round_trip(&v);
        assert_eq!(
            wire,
            r#"{"a":[1,"x\u007b\u007by\u007d\u007d\u0024(Z)"],"b":null}"#
        );
        assert_eq!(round_trip(&serde_json::json!("text")), "\"text\"");
        assert_eq!(
            decode::<serde_json::Value>("42").unwrap(),
            serde_json::json!(42)
        );
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(u32),
        List(Vec<u32>),
        Text(String),
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Config {
        depth: u32,
        family: String,
        tags: Option<Vec<String>>,
    }

    #[test]
    fn untagged_enums_and_structs_round_trip() {
        assert_eq!(round_trip(&Either::Number(3)), "3");
        assert_eq!(round_trip(&Either::List(vec![1, 2])), "[1,2]");
        assert_eq!(round_trip(&Either::Text("3".into())), "\"3\"");
        round_trip(&Config {
            depth: 2,
            family: "$$ {{workflow.name}} \u{0}\n".into(),
            tags: Some(vec!["}".into()]),
        });
        round_trip(&Config {
            depth: 0,
            family: String::new(),
            tags: None,
        });
    }

    #[test]
    fn numbers_and_scalars() {
        assert_eq!(round_trip(&42u32), "42");
        assert_eq!(round_trip(&0.1f64), "0.1");
        assert_eq!(round_trip(&vec![1.5f64, 2.0]), "[1.5,2.0]");
        assert_eq!(round_trip(&true), "true");
        assert_eq!(round_trip(&u128::MAX), u128::MAX.to_string());
        assert!(decode::<u32>("forty").is_err());
        assert!(decode::<u8>("300").is_err());
        // No raw-string fallback for other types any more.
        assert!(decode::<Option<String>>("hello").is_err());
    }

    #[test]
    fn hand_written_text_becomes_the_wire_form() {
        assert_eq!(
            canonical("$(HOME)", WireForm::Text).unwrap(),
            r#""\u0024(HOME)""#
        );
        assert_eq!(canonical("plain", WireForm::Text).unwrap(), "plain");
        assert_eq!(
            canonical("{ \"a\": [1, 2.50, \"{{x}}\"] }", WireForm::Json).unwrap(),
            r#"{"a":[1,2.50,"\u007b\u007bx\u007d\u007d"]}"#
        );
        assert_eq!(
            canonical("340282366920938463463374607431768211455", WireForm::Json).unwrap(),
            "340282366920938463463374607431768211455"
        );
        assert!(canonical("plain", WireForm::Json).is_err());
    }

    /// `processItem`: a string item is its text, a number its JSON, a map item's `{{item}}`
    /// the map with sorted keys (Go map) whose values keep their raw JSON (escapes included),
    /// and `{{item.FIELD}}` a string field's text or another field's JSON.
    #[test]
    fn items_are_what_argo_substitutes() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Point {
            name: String,
            lr: f64,
            nested: Vec<String>,
        }
        let point = Point {
            name: "a{b}<c>".into(),
            lr: 0.25,
            nested: vec!["$x".into()],
        };
        let wire = encode(&point).unwrap();
        let item: serde_json::Value = serde_json::from_str(&wire).unwrap();
        let whole = argo_item_text(&item, None).unwrap();
        assert_eq!(
            whole,
            r#"{"lr":0.25,"name":"a\u007bb\u007d\u003cc\u003e","nested":["\u0024x"]}"#
        );
        assert_eq!(decode::<Point>(&whole).unwrap(), point);
        assert_eq!(argo_item_text(&item, Some("name")).unwrap(), "a{b}<c>");
        assert_eq!(argo_item_text(&item, Some("lr")).unwrap(), "0.25");
        assert_eq!(
            argo_item_text(&item, Some("nested")).unwrap(),
            r#"["\u0024x"]"#
        );
        assert_eq!(argo_item_text(&item, Some("missing")), None);
        // Scalars: a string is its text (decoded as the `String` it is), numbers and
        // booleans their JSON, `null` too (Argo reads it as a list).
        assert_eq!(
            argo_item_text(&serde_json::json!("it's"), None).unwrap(),
            "it's"
        );
        assert_eq!(
            argo_item_text(&serde_json::json!(1e-7), None).unwrap(),
            "1e-7"
        );
        assert_eq!(
            argo_item_text(&serde_json::json!(true), None).unwrap(),
            "true"
        );
        assert_eq!(
            argo_item_text(&serde_json::Value::Null, None).unwrap(),
            "null"
        );
        assert_eq!(argo_item_text(&serde_json::json!(3), Some("x")), None);
    }

    /// `aggregatedJSONValueList`: maps and lists stay JSON (as Go reads and writes them);
    /// anything else becomes a list of strings, which a `Vec<T>` input still decodes.
    #[test]
    fn collected_lists_are_what_argo_aggregates() {
        let scalars = aggregate(&["0.5".into(), "1.0".into(), "2".into()]);
        assert_eq!(scalars, r#"["0.5","1.0","2"]"#);
        assert_eq!(decode::<Vec<f64>>(&scalars).unwrap(), [0.5, 1.0, 2.0]);
        assert_eq!(decode::<Vec<u32>>(r#"["7","8"]"#).unwrap(), [7, 8]);
        let maps = aggregate(&[r#"{"b":1.0,"a":[1e21,1e-7]}"#.into(), "[3]".into()]);
        assert_eq!(maps, r#"[{"a":[1e+21,1e-7],"b":1},[3]]"#);
        // One value that is not a map or list turns the whole list into strings.
        assert_eq!(
            aggregate(&["[1]".into(), "x<y".into()]),
            r#"["[1]","x\u003cy"]"#
        );
        assert_eq!(aggregate(&[]), "[]");
        // A list that reads as the declared type keeps its meaning: the fallback only
        // applies to text the type cannot read.
        assert_eq!(decode::<Vec<String>>(r#"["1","2"]"#).unwrap(), ["1", "2"]);
        assert!(decode::<Vec<u32>>(r#"["x"]"#).is_err());
    }

    /// Go's `json.Marshal` (Argo's `toJson`) writes `<`, `>`, `&`, U+2028 and U+2029 as `\u`
    /// escapes; the rest as serde_json does for a list of strings.
    fn go_to_json(pieces: &[(DisplayAs, String)]) -> String {
        let list: Vec<[&str; 2]> = pieces.iter().map(|(d, w)| [d.tag(), w.as_str()]).collect();
        serde_json::to_string(&list)
            .unwrap()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029")
    }

    #[test]
    fn formatted_strings_assemble_as_format_shows_the_values() {
        let word = "it's \"q\" $(HOME) {{workflow.uid}}\nnext <&> \u{2028}";
        let pieces = vec![
            (DisplayAs::Text, encode_text("gs://b/")),
            (DisplayAs::Text, encode(&word.to_owned()).unwrap()),
            (DisplayAs::Text, encode_text("/")),
            (DisplayAs::Integer, encode(&-42i64).unwrap()),
            (DisplayAs::F64, encode(&1.0f64).unwrap()),
            (DisplayAs::F64, encode(&0.1f64).unwrap()),
            (DisplayAs::F32, encode(&0.1f32).unwrap()),
            (DisplayAs::Bool, encode(&true).unwrap()),
            (DisplayAs::Char, encode(&'{').unwrap()),
            (DisplayAs::Integer, encode(&u64::MAX).unwrap()),
        ];
        let expected = format!(
            "gs://b/{word}/{}{}{}{}{}{}{}",
            -42i64,
            1.0f64,
            0.1f64,
            0.1f32,
            true,
            '{',
            u64::MAX
        );
        // The local runner's text.
        let local = format_text(pieces.iter().map(|(d, w)| (*d, w.as_str())));
        assert!(!local.contains("{{") && !local.contains('$'), "{local}");
        assert_eq!(decode::<String>(&local).unwrap(), expected);
        // What Argo's expression gives: the same list through Go's `toJson`.
        let argo = format!("{{\"{FORMAT_KEY}\":{}}}", go_to_json(&pieces));
        assert_ne!(argo, local);
        assert_eq!(decode::<String>(&argo).unwrap(), expected);
    }

    #[test]
    fn only_the_format_object_is_assembled() {
        // A string that looks like a formatted string travels escaped, and stays itself.
        let lookalike = format!("{{\"{FORMAT_KEY}\":[[\"text\",\"x\"]]}}");
        round_trip(&lookalike);
        // Text from outside argot that is not exactly the object is taken as it is.
        for outside in [
            format!("{{\"{FORMAT_KEY}\":[[\"nope\",\"x\"]]}}"),
            format!("{{\"{FORMAT_KEY}\":[[\"text\",\"x\"]],\"more\":1}}"),
            "{\"a\":1}".to_owned(),
        ] {
            assert_eq!(decode::<String>(&outside).unwrap(), outside);
        }
        // A value that is not of its type (a container's output, say) is shown as it is.
        let text = format_text([(DisplayAs::Integer, "12 apples"), (DisplayAs::F64, "x")]);
        assert_eq!(decode::<String>(&text).unwrap(), "12 applesx");
    }
}
