//! What a parameter's values look like, as data: the [`TypeSchema`] the macros record for
//! every parameter (pipeline parameters, component inputs and outputs) next to its display
//! type (`rust_type`).
//!
//! The schema comes from the *type*, through the [`Schema`] trait, never from how the type is
//! spelled: a type alias of `u8` is an integer from 0 to 255, and a user's own type called
//! `Vec` is not a list. argot implements [`Schema`] for the std types a parameter is usually
//! made of; a type without an implementation is recorded as [`TypeSchema::Any`], whose values
//! are checked only as JSON (the component's own decoding is then the check). A user enum or
//! struct gets an exact schema by implementing [`Schema`] (see the README, "Parameter types").
//!
//! `run -p`, `submit -p` and the local runner check a value against the schema before it goes
//! anywhere ([`TypeSchema::check`]), so a mistake is reported with the parameter's name, the
//! expected type and an example instead of failing a task later.
//!
//! The schema is serialised in the IR, so it is plain data: ordered, without floats, and the
//! same on every platform (`usize` and `isize` are described as their 64-bit counterparts).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The shape of a parameter's JSON values.
///
/// Serialised externally tagged in snake case: `"bool"`, `{"integer": {"min": 0, "max": 255}}`,
/// `{"list": "float"}`, `{"optional": "string"}`, `{"enum": ["fast", "slow"]}`, `"any"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TypeSchema {
    /// `true` or `false`.
    Bool,
    /// A whole number from `min` to `max`, both included (`u8`: 0 to 255). JSON writes it
    /// without a fraction or an exponent.
    Integer {
        /// The smallest value.
        min: i128,
        /// The largest value.
        max: u128,
    },
    /// Any JSON number (`f32`, `f64`); a whole number is a valid float.
    Float,
    /// A JSON string. At the top level of a pipeline parameter, `string` also says that the
    /// type is `String` itself, which travels as its text rather than as JSON (see
    /// [`crate::value`]): argot describes only `String` so, and a tool holding the IR without
    /// the binary's record of the type relies on it. Describe a newtype around a `String`
    /// (which travels as JSON) as `any`, or implement nothing.
    ///
    /// Named `Text` in Rust, not `String`: a public item named `String` anywhere in the
    /// dependency graph makes rustc spell `std::string::String` in full in every user's type
    /// errors (its trimmed paths need unique names).
    #[serde(rename = "string")]
    Text,
    /// A JSON string of exactly one character (`char`).
    Char,
    /// A JSON array whose elements all have this schema (`Vec`, `VecDeque`, sets).
    List(Box<TypeSchema>),
    /// A JSON array of exactly `len` elements, all of schema `items` (`[T; N]`).
    Array {
        /// The elements' schema.
        items: Box<TypeSchema>,
        /// How many elements.
        len: u64,
    },
    /// A JSON array with one element of each schema, in order (tuples).
    Tuple(Vec<TypeSchema>),
    /// A JSON object whose values all have schema `values`; its keys are JSON strings that
    /// must read as `keys` (`BTreeMap<String, f64>`, `HashMap<u32, String>`).
    Map {
        /// What each key must read as: `string`, or an `integer` written in a string.
        keys: Box<TypeSchema>,
        /// The schema of every value.
        values: Box<TypeSchema>,
    },
    /// A JSON object with named fields (a struct, described by its own [`Schema`] impl).
    /// Keys not listed are accepted, as serde accepts them unless `deny_unknown_fields`.
    Object(Vec<Field>),
    /// `null` or a value of the inner schema (`Option<T>`).
    Optional(Box<TypeSchema>),
    /// One of these JSON strings (a unit-variant enum, by its serde names).
    Enum(Vec<String>),
    /// Any JSON value: a type argot cannot describe (a struct without a [`Schema`] impl,
    /// `serde_json::Value`). The component's decoding is the only check of its shape.
    #[default]
    Any,
}

/// One field of a [`TypeSchema::Object`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Field {
    /// The field's JSON key (its serde name).
    pub name: String,
    /// The field's schema.
    pub schema: TypeSchema,
    /// Whether the key may be absent (`#[serde(default)]`). An `Option` field may always be
    /// absent, as serde reads a missing `Option` as `None`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

impl Field {
    /// A field that must be present (unless its schema is optional).
    pub fn new(name: impl Into<String>, schema: TypeSchema) -> Self {
        Field {
            name: name.into(),
            schema,
            optional: false,
        }
    }

    /// A field that may be absent (`#[serde(default)]`).
    pub fn with_default(name: impl Into<String>, schema: TypeSchema) -> Self {
        Field {
            optional: true,
            ..Field::new(name, schema)
        }
    }
}

/// A type whose parameter values argot can describe.
///
/// Implemented for `bool`, `char`, `String`, every integer and float type, the unsigned
/// `NonZero` integers, `Option`, `Vec`, `VecDeque`, `BTreeSet`, `HashSet`, arrays, tuples (up to
/// six), `BTreeMap`/`HashMap`, `Box` and `serde_json::Value`. Implement it for your own types so
/// that `run -p` and `submit -p` check their values exactly:
///
/// ```
/// use argot::schema::{Field, Schema, TypeSchema};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// #[serde(rename_all = "lowercase")]
/// enum Mode { Fast, Careful }
///
/// impl Schema for Mode {
///     fn schema() -> TypeSchema {
///         // The serde names, taken from serde itself so that renames cannot drift.
///         TypeSchema::enum_of(&[Mode::Fast, Mode::Careful])
///     }
/// }
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Config { depth: u32, #[serde(default)] mode: Option<Mode> }
///
/// impl Schema for Config {
///     fn schema() -> TypeSchema {
///         TypeSchema::Object(vec![
///             Field::new("depth", u32::schema()),
///             Field::new("mode", Option::<Mode>::schema()),
///         ])
///     }
/// }
/// assert_eq!(Mode::schema(), TypeSchema::Enum(vec!["fast".into(), "careful".into()]));
/// ```
///
/// The schema must describe what serde reads: a value the schema refuses never reaches the
/// component, so a schema narrower than the type's `Deserialize` refuses good values.
pub trait Schema {
    /// The schema of this type's JSON values.
    fn schema() -> TypeSchema;
}

/// Where in a value a mismatch is: `[2]`, `.depth`, `["key"]`, joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The path from the value's root (empty at the root).
    pub at: String,
    /// What is wrong there, as a sentence without the path.
    pub reason: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.at.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "at `{}`: {}", self.at, self.reason)
        }
    }
}

impl TypeSchema {
    /// The schema of `T` (`TypeSchema::of::<Vec<u8>>()`).
    pub fn of<T: Schema + ?Sized>() -> Self {
        T::schema()
    }

    /// The bounds of a primitive integer type.
    fn integer(min: i128, max: u128) -> Self {
        TypeSchema::Integer { min, max }
    }

    /// An enum of the serde names of `values` (each must serialise as a JSON string, as unit
    /// variants do).
    ///
    /// # Panics
    /// When a value does not serialise as a JSON string (a variant with data): describe such an
    /// enum as [`TypeSchema::Any`] or an object instead. Panics while tracing become diagnostic
    /// A0022, naming the pipeline.
    pub fn enum_of<T: Serialize>(values: &[T]) -> Self {
        TypeSchema::Enum(
            values
                .iter()
                .map(|v| match serde_json::to_value(v) {
                    Ok(Value::String(name)) => name,
                    Ok(other) => panic!(
                        "TypeSchema::enum_of: `{other}` is not a unit variant (it does not serialise as a string)"
                    ),
                    Err(e) => panic!("TypeSchema::enum_of: a value cannot be serialised: {e}"),
                })
                .collect(),
        )
    }

    /// A phrase naming the values of this schema: "an integer from 0 to 255".
    pub fn describe(&self) -> String {
        match self {
            TypeSchema::Bool => "`true` or `false`".to_owned(),
            TypeSchema::Integer { min, max } => format!("an integer from {min} to {max}"),
            TypeSchema::Float => "a number".to_owned(),
            TypeSchema::Text => "a string".to_owned(),
            TypeSchema::Char => "a string of one character".to_owned(),
            TypeSchema::List(items) => format!("a list of {}", plural(items)),
            TypeSchema::Array { items, len } => {
                format!("a list of exactly {len} of {}", plural(items))
            }
            TypeSchema::Tuple(items) => format!(
                "a list of {} values ({})",
                items.len(),
                items
                    .iter()
                    .map(TypeSchema::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            TypeSchema::Map { values, .. } => {
                format!("an object whose values are {}", plural(values))
            }
            TypeSchema::Object(fields) => format!(
                "an object with {}",
                if fields.is_empty() {
                    "any fields".to_owned()
                } else {
                    fields
                        .iter()
                        .map(|f| format!("`{}`", f.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            TypeSchema::Optional(inner) => format!("`null` or {}", inner.describe()),
            TypeSchema::Enum(names) => format!("one of {}", quoted_list(names)),
            TypeSchema::Any => "any JSON value".to_owned(),
        }
    }

    /// A valid value, as compact JSON (`42`, `[0.5]`, `"fast"`).
    pub fn example(&self) -> String {
        self.example_value().to_string()
    }

    fn example_value(&self) -> Value {
        match self {
            TypeSchema::Bool => Value::Bool(true),
            TypeSchema::Integer { min, max } => {
                // 42 when allowed, else the bound nearest to it.
                let pick = if *min > 42 {
                    *min
                } else if *max < 42 {
                    *max as i128
                } else {
                    42
                };
                serde_json::from_str(&pick.to_string()).unwrap_or(Value::Null)
            }
            TypeSchema::Float => serde_json::json!(0.5),
            TypeSchema::Text => Value::String("some text".to_owned()),
            TypeSchema::Char => Value::String("a".to_owned()),
            TypeSchema::List(items) => Value::Array(vec![items.example_value()]),
            TypeSchema::Array { items, len } => Value::Array(vec![
                items.example_value();
                usize::try_from(*len)
                    .unwrap_or(0)
            ]),
            TypeSchema::Tuple(items) => {
                Value::Array(items.iter().map(TypeSchema::example_value).collect())
            }
            TypeSchema::Map { keys, values } => {
                let key = match keys.example_value() {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                Value::Object([(key, values.example_value())].into_iter().collect())
            }
            TypeSchema::Object(fields) => Value::Object(
                fields
                    .iter()
                    .filter(|f| !f.optional)
                    .map(|f| (f.name.clone(), f.schema.example_value()))
                    .collect(),
            ),
            TypeSchema::Optional(inner) => inner.example_value(),
            TypeSchema::Enum(names) => names
                .first()
                .map_or(Value::Null, |n| Value::String(n.clone())),
            TypeSchema::Any => Value::String("any JSON".to_owned()),
        }
    }

    /// Checks a JSON value against the schema.
    ///
    /// # Errors
    /// The first mismatch, with its path from the root.
    pub fn check(&self, value: &Value) -> Result<(), Mismatch> {
        let mut at = String::new();
        self.check_at(value, &mut at).map_err(|reason| Mismatch {
            at: at.clone(),
            reason,
        })
    }

    /// Checks `value`, extending `at` with the path to a mismatch (and leaving it there).
    fn check_at(&self, value: &Value, at: &mut String) -> Result<(), String> {
        let expected = || format!("expected {}", self.describe());
        match (self, value) {
            (TypeSchema::Any, _) => Ok(()),
            (TypeSchema::Optional(_), Value::Null) => Ok(()),
            (TypeSchema::Optional(inner), _) => inner.check_at(value, at),
            (_, Value::Null) => Err(format!(
                "`null` is not allowed here: the type is not an `Option` ({})",
                expected()
            )),
            (TypeSchema::Bool, Value::Bool(_)) => Ok(()),
            (TypeSchema::Integer { min, max }, Value::Number(n)) => check_integer(n, *min, *max),
            (TypeSchema::Float, Value::Number(_)) => Ok(()),
            (TypeSchema::Text, Value::String(_)) => Ok(()),
            (TypeSchema::Char, Value::String(s)) => match s.chars().count() {
                1 => Ok(()),
                n => Err(format!(
                    "`{}` has {n} characters ({})",
                    short(value),
                    expected()
                )),
            },
            (TypeSchema::List(items), Value::Array(elements)) => {
                check_elements(elements.iter().map(|e| (&**items, e)), at)
            }
            (TypeSchema::Array { items, len }, Value::Array(elements)) => {
                if elements.len() as u64 != *len {
                    return Err(format!(
                        "the list has {} elements, not {len} ({})",
                        elements.len(),
                        expected()
                    ));
                }
                check_elements(elements.iter().map(|e| (&**items, e)), at)
            }
            (TypeSchema::Tuple(items), Value::Array(elements)) => {
                if elements.len() != items.len() {
                    return Err(format!(
                        "the list has {} elements, not {} ({})",
                        elements.len(),
                        items.len(),
                        expected()
                    ));
                }
                check_elements(items.iter().zip(elements), at)
            }
            (TypeSchema::Map { keys, values }, Value::Object(entries)) => {
                for (key, v) in entries {
                    let len = at.len();
                    write!(at, "[{}]", Value::String(key.clone())).expect("writing to a String");
                    check_key(keys, key)?;
                    values.check_at(v, at)?;
                    at.truncate(len);
                }
                Ok(())
            }
            (TypeSchema::Object(fields), Value::Object(entries)) => {
                for field in fields {
                    let len = at.len();
                    write!(at, ".{}", field.name).expect("writing to a String");
                    match entries.get(&field.name) {
                        Some(v) => field.schema.check_at(v, at)?,
                        None if field.optional
                            || matches!(field.schema, TypeSchema::Optional(_)) => {}
                        None => {
                            at.truncate(len);
                            return Err(format!(
                                "field `{}` is missing ({})",
                                field.name,
                                expected()
                            ));
                        }
                    }
                    at.truncate(len);
                }
                Ok(())
            }
            (TypeSchema::Enum(names), Value::String(s)) if names.contains(s) => Ok(()),
            (TypeSchema::Enum(names), _) => Err(format!(
                "`{}` is not one of {}",
                short(value),
                quoted_list(names)
            )),
            _ => Err(format!(
                "`{}` is {} ({})",
                short(value),
                kind_of(value),
                expected()
            )),
        }
    }
}

/// "integers from 0 to 255" for a list's description.
fn plural(items: &TypeSchema) -> String {
    format!("elements that are each {}", items.describe())
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| Value::String(n.clone()).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `value` as compact JSON, cut after 60 characters: a message quotes it, and a value may be
/// a list of thousands of elements.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// What kind of JSON value `value` is, for messages: "a string", "a list".
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "`null`",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn check_elements<'a>(
    pairs: impl Iterator<Item = (&'a TypeSchema, &'a Value)>,
    at: &mut String,
) -> Result<(), String> {
    for (i, (schema, element)) in pairs.enumerate() {
        let len = at.len();
        write!(at, "[{i}]").expect("writing to a String");
        schema.check_at(element, at)?;
        at.truncate(len);
    }
    Ok(())
}

/// A JSON object's key read as a map key of schema `keys`, as serde_json reads it: integer
/// keys are written as strings of digits; other key types are not checked.
fn check_key(keys: &TypeSchema, key: &str) -> Result<(), String> {
    match keys {
        TypeSchema::Integer { min, max } => {
            let n: serde_json::Number = key
                .parse()
                .ok()
                .filter(|n: &serde_json::Number| !n.is_f64())
                .ok_or_else(|| {
                    format!(
                        "the key `{key}` is not an integer (expected keys that are {})",
                        keys.describe()
                    )
                })?;
            check_integer(&n, *min, *max)
        }
        TypeSchema::Char if key.chars().count() != 1 => Err(format!(
            "the key `{key}` is not one character (expected keys that are {})",
            keys.describe()
        )),
        TypeSchema::Enum(names) if !names.iter().any(|n| n == key) => Err(format!(
            "the key `{key}` is not one of {}",
            quoted_list(names)
        )),
        _ => Ok(()),
    }
}

/// serde_json reads a JSON integer that fits 64 bits exactly and any other number as a float,
/// so an integer beyond 64 bits (valid for `u128`, `i128`) arrives as a float: it is accepted
/// when it is whole and within the bounds as far as a float can tell, and the component's own
/// decoding (or `run -p`'s exact check, when the binary has the type) settles the last digits.
fn check_integer(n: &serde_json::Number, min: i128, max: u128) -> Result<(), String> {
    let range = || format!("expected an integer from {min} to {max}");
    let exact = n
        .as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from));
    match exact {
        Some(v) if v < min => Err(format!("{v} is below the minimum, {min} ({})", range())),
        Some(v) if v >= 0 && v as u128 > max => {
            Err(format!("{v} is above the maximum, {max} ({})", range()))
        }
        Some(_) => Ok(()),
        None => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;
            if f.fract() != 0.0 || f.abs() < TWO_TO_63 || !f.is_finite() {
                Err(format!(
                    "`{n}` is not a whole number written without a fraction or an exponent ({})",
                    range()
                ))
            } else if f < min as f64 {
                Err(format!("{n} is below the minimum, {min} ({})", range()))
            } else if f > max as f64 {
                Err(format!("{n} is above the maximum, {max} ({})", range()))
            } else {
                Ok(())
            }
        }
    }
}

macro_rules! integer_schemas {
    ($($t:ty => $as:ty),* $(,)?) => {$(
        impl Schema for $t {
            fn schema() -> TypeSchema {
                TypeSchema::integer(<$as>::MIN as i128, <$as>::MAX as u128)
            }
        }
    )*};
}

// `usize` and `isize` as 64-bit: the IR is the same whichever machine traced the pipeline, and
// the cluster's nodes are 64-bit.
integer_schemas!(
    u8 => u8, u16 => u16, u32 => u32, u64 => u64, u128 => u128, usize => u64,
    i8 => i8, i16 => i16, i32 => i32, i64 => i64, i128 => i128, isize => i64,
);

macro_rules! non_zero_schemas {
    ($($t:ty => $as:ty),* $(,)?) => {$(
        impl Schema for $t {
            fn schema() -> TypeSchema {
                TypeSchema::integer(1, <$as>::MAX as u128)
            }
        }
    )*};
}

non_zero_schemas!(
    std::num::NonZeroU8 => u8, std::num::NonZeroU16 => u16, std::num::NonZeroU32 => u32,
    std::num::NonZeroU64 => u64, std::num::NonZeroU128 => u128, std::num::NonZeroUsize => u64,
);

macro_rules! simple_schemas {
    ($($t:ty => $schema:expr),* $(,)?) => {$(
        impl Schema for $t {
            fn schema() -> TypeSchema {
                $schema
            }
        }
    )*};
}

simple_schemas!(
    bool => TypeSchema::Bool,
    f32 => TypeSchema::Float,
    f64 => TypeSchema::Float,
    String => TypeSchema::Text,
    char => TypeSchema::Char,
    Value => TypeSchema::Any,
);

impl<T: Schema> Schema for Option<T> {
    fn schema() -> TypeSchema {
        TypeSchema::Optional(Box::new(T::schema()))
    }
}

impl<T: Schema + ?Sized> Schema for Box<T> {
    fn schema() -> TypeSchema {
        T::schema()
    }
}

macro_rules! list_schemas {
    ($($t:ident),*) => {$(
        impl<T: Schema> Schema for $t<T> {
            fn schema() -> TypeSchema {
                TypeSchema::List(Box::new(T::schema()))
            }
        }
    )*};
}

// Sets are lists: serde reads a set from any JSON array (a repeated element is dropped).
list_schemas!(Vec, VecDeque, BTreeSet);

impl<T: Schema, S> Schema for HashSet<T, S> {
    fn schema() -> TypeSchema {
        TypeSchema::List(Box::new(T::schema()))
    }
}

impl<T: Schema, const N: usize> Schema for [T; N] {
    fn schema() -> TypeSchema {
        TypeSchema::Array {
            items: Box::new(T::schema()),
            len: N as u64,
        }
    }
}

impl<K: Schema, V: Schema> Schema for BTreeMap<K, V> {
    fn schema() -> TypeSchema {
        TypeSchema::Map {
            keys: Box::new(K::schema()),
            values: Box::new(V::schema()),
        }
    }
}

impl<K: Schema, V: Schema, S> Schema for HashMap<K, V, S> {
    fn schema() -> TypeSchema {
        TypeSchema::Map {
            keys: Box::new(K::schema()),
            values: Box::new(V::schema()),
        }
    }
}

impl Schema for serde_json::Map<String, Value> {
    fn schema() -> TypeSchema {
        TypeSchema::Map {
            keys: Box::new(TypeSchema::Text),
            values: Box::new(TypeSchema::Any),
        }
    }
}

macro_rules! tuple_schemas {
    ($(($($t:ident),+))*) => {$(
        impl<$($t: Schema),+> Schema for ($($t,)+) {
            fn schema() -> TypeSchema {
                TypeSchema::Tuple(vec![$($t::schema()),+])
            }
        }
    )*};
}

tuple_schemas!((A)(A, B)(A, B, C)(A, B, C, D)(A, B, C, D, E)(
    A, B, C, D, E, F
));

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bounds(schema: TypeSchema) -> (i128, u128) {
        match schema {
            TypeSchema::Integer { min, max } => (min, max),
            other => panic!("not an integer: {other:?}"),
        }
    }

    #[test]
    fn every_integer_type_carries_its_bounds() {
        assert_eq!(bounds(u8::schema()), (0, 255));
        assert_eq!(bounds(u16::schema()), (0, 65_535));
        assert_eq!(bounds(u32::schema()), (0, 4_294_967_295));
        assert_eq!(bounds(u64::schema()), (0, u64::MAX as u128));
        assert_eq!(bounds(u128::schema()), (0, u128::MAX));
        assert_eq!(bounds(i8::schema()), (-128, 127));
        assert_eq!(bounds(i16::schema()), (-32_768, 32_767));
        assert_eq!(bounds(i32::schema()), (-2_147_483_648, 2_147_483_647));
        assert_eq!(bounds(i64::schema()), (i64::MIN as i128, i64::MAX as u128));
        assert_eq!(bounds(i128::schema()), (i128::MIN, i128::MAX as u128));
        // The same IR on every platform.
        assert_eq!(usize::schema(), u64::schema());
        assert_eq!(isize::schema(), i64::schema());
        assert_eq!(bounds(std::num::NonZeroU8::schema()), (1, 255));
    }

    #[test]
    fn std_types_map_to_their_shapes() {
        assert_eq!(bool::schema(), TypeSchema::Bool);
        assert_eq!(f32::schema(), TypeSchema::Float);
        assert_eq!(f64::schema(), TypeSchema::Float);
        assert_eq!(String::schema(), TypeSchema::Text);
        assert_eq!(char::schema(), TypeSchema::Char);
        assert_eq!(Value::schema(), TypeSchema::Any);
        let list_of_floats = TypeSchema::List(Box::new(TypeSchema::Float));
        assert_eq!(Vec::<f64>::schema(), list_of_floats);
        assert_eq!(VecDeque::<f64>::schema(), list_of_floats);
        assert_eq!(BTreeSet::<u8>::schema(), Vec::<u8>::schema());
        assert_eq!(HashSet::<u8>::schema(), Vec::<u8>::schema());
        assert_eq!(Box::<f64>::schema(), TypeSchema::Float);
        assert_eq!(
            <[bool; 3]>::schema(),
            TypeSchema::Array {
                items: Box::new(TypeSchema::Bool),
                len: 3
            }
        );
        assert_eq!(
            Option::<String>::schema(),
            TypeSchema::Optional(Box::new(TypeSchema::Text))
        );
        assert_eq!(
            <(u8, String)>::schema(),
            TypeSchema::Tuple(vec![u8::schema(), TypeSchema::Text])
        );
        let map = TypeSchema::Map {
            keys: Box::new(TypeSchema::Text),
            values: Box::new(TypeSchema::Float),
        };
        assert_eq!(BTreeMap::<String, f64>::schema(), map);
        assert_eq!(HashMap::<String, f64>::schema(), map);
    }

    #[test]
    fn the_serialised_form_is_small_and_reads_back() {
        let schema = Vec::<Option<u8>>::schema();
        let text = serde_json::to_string(&schema).unwrap();
        assert_eq!(
            text,
            r#"{"list":{"optional":{"integer":{"min":0,"max":255}}}}"#
        );
        assert_eq!(serde_json::from_str::<TypeSchema>(&text).unwrap(), schema);
        assert_eq!(serde_json::to_string(&TypeSchema::Any).unwrap(), r#""any""#);
        let every_shape = TypeSchema::Object(vec![
            Field::new("a", <[char; 2]>::schema()),
            Field::with_default("b", TypeSchema::Enum(vec!["x".into()])),
            Field::new("c", <(bool, BTreeMap<u8, Value>)>::schema()),
        ]);
        let text = serde_json::to_string(&every_shape).unwrap();
        assert_eq!(
            text,
            r#"{"object":[{"name":"a","schema":{"array":{"items":"char","len":2}}},{"name":"b","schema":{"enum":["x"]},"optional":true},{"name":"c","schema":{"tuple":["bool",{"map":{"keys":{"integer":{"min":0,"max":255}},"values":"any"}}]}}]}"#
        );
        assert_eq!(
            serde_json::from_str::<TypeSchema>(&text).unwrap(),
            every_shape
        );
        // 128-bit bounds are written digit for digit and read back from text.
        let wide = <(u128, i128)>::schema();
        let text = serde_json::to_string(&wide).unwrap();
        assert!(
            text.contains("340282366920938463463374607431768211455"),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<TypeSchema>(&text).unwrap(), wide);
    }

    #[derive(Serialize)]
    #[serde(rename_all = "kebab-case")]
    enum Mode {
        Fast,
        VeryCareful,
    }

    #[derive(Serialize)]
    enum WithData {
        Rate(f64),
    }

    #[test]
    fn an_enum_is_described_by_its_serde_names() {
        assert_eq!(
            TypeSchema::enum_of(&[Mode::Fast, Mode::VeryCareful]),
            TypeSchema::Enum(vec!["fast".into(), "very-careful".into()])
        );
        let refused = std::panic::catch_unwind(|| TypeSchema::enum_of(&[WithData::Rate(0.5)]));
        assert!(refused.is_err());
    }

    /// (schema, value, accepted?) — the accept/refuse table of the check.
    #[test]
    fn the_check_accepts_values_of_the_schema_and_refuses_the_rest() {
        let mode = TypeSchema::Enum(vec!["fast".into(), "slow".into()]);
        let record = TypeSchema::Object(vec![
            Field::new("depth", u32::schema()),
            Field::new("note", Option::<String>::schema()),
            Field::with_default("mode", mode.clone()),
        ]);
        let table: Vec<(TypeSchema, Value, bool)> = vec![
            (u8::schema(), json!(0), true),
            (u8::schema(), json!(255), true),
            (u8::schema(), json!(256), false),
            (u8::schema(), json!(-1), false),
            (i8::schema(), json!(-128), true),
            (i8::schema(), json!(-129), false),
            (u32::schema(), json!(0.5), false),
            (u32::schema(), json!(1.0), false),
            (u32::schema(), json!("7"), false),
            (u32::schema(), Value::Null, false),
            (u64::schema(), json!(u64::MAX), true),
            (i64::schema(), json!(i64::MIN), true),
            (i64::schema(), json!(u64::MAX), false),
            (
                u128::schema(),
                serde_json::from_str("100000000000000000000000").unwrap(),
                true,
            ),
            (
                u64::schema(),
                serde_json::from_str("100000000000000000000000").unwrap(),
                false,
            ),
            (
                i128::schema(),
                serde_json::from_str("-100000000000000000000000").unwrap(),
                true,
            ),
            (f64::schema(), json!(0.5), true),
            (f64::schema(), json!(3), true),
            (f64::schema(), json!("0.5"), false),
            (bool::schema(), json!(true), true),
            (bool::schema(), json!("true"), false),
            (String::schema(), json!("x"), true),
            (String::schema(), json!(5), false),
            (char::schema(), json!("é"), true),
            (char::schema(), json!("ab"), false),
            (Vec::<u8>::schema(), json!([1, 2, 255]), true),
            (Vec::<u8>::schema(), json!([1, 2, 300]), false),
            (Vec::<u8>::schema(), json!([1, null]), false),
            (Vec::<u8>::schema(), json!({"a": 1}), false),
            (<[u8; 2]>::schema(), json!([1, 2]), true),
            (<[u8; 2]>::schema(), json!([1]), false),
            (<(u8, String)>::schema(), json!([1, "a"]), true),
            (<(u8, String)>::schema(), json!(["a", 1]), false),
            (<(u8, String)>::schema(), json!([1]), false),
            (Option::<u8>::schema(), Value::Null, true),
            (Option::<u8>::schema(), json!(3), true),
            (Option::<u8>::schema(), json!(-3), false),
            (BTreeMap::<String, f64>::schema(), json!({"a": 1.5}), true),
            (BTreeMap::<String, f64>::schema(), json!({"a": "b"}), false),
            (BTreeMap::<u8, bool>::schema(), json!({"7": true}), true),
            (BTreeMap::<u8, bool>::schema(), json!({"700": true}), false),
            (BTreeMap::<u8, bool>::schema(), json!({"x": true}), false),
            (mode.clone(), json!("fast"), true),
            (mode.clone(), json!("medium"), false),
            (mode.clone(), json!(1), false),
            (record.clone(), json!({"depth": 3}), true),
            (
                record.clone(),
                json!({"depth": 3, "note": null, "extra": 1}),
                true,
            ),
            (record.clone(), json!({"depth": 3, "mode": "slow"}), true),
            (record.clone(), json!({"depth": 3, "mode": "medium"}), false),
            (record.clone(), json!({"note": "x"}), false),
            (record.clone(), json!([3]), false),
            (TypeSchema::Any, Value::Null, true),
            (TypeSchema::Any, json!({"anything": [1, "x"]}), true),
        ];
        for (schema, value, accepted) in table {
            let result = schema.check(&value);
            assert_eq!(
                result.is_ok(),
                accepted,
                "{schema:?} on {value}: {result:?}"
            );
        }
    }

    #[test]
    fn a_mismatch_says_where_what_and_what_was_expected() {
        let err = Vec::<u8>::schema().check(&json!([1, 2, 300])).unwrap_err();
        assert_eq!(err.at, "[2]");
        assert_eq!(
            err.to_string(),
            "at `[2]`: 300 is above the maximum, 255 (expected an integer from 0 to 255)"
        );
        let err = u32::schema().check(&json!(0.5)).unwrap_err().to_string();
        assert!(err.contains("not a whole number"), "{err}");
        let err = u32::schema().check(&Value::Null).unwrap_err().to_string();
        assert!(err.contains("`null` is not allowed"), "{err}");
        let mode = TypeSchema::Enum(vec!["fast".into(), "slow".into()]);
        let err = mode.check(&json!("medium")).unwrap_err().to_string();
        assert_eq!(err, r#"`"medium"` is not one of "fast", "slow""#);
        let nested =
            TypeSchema::Object(vec![Field::new("modes", TypeSchema::List(Box::new(mode)))]);
        let err = nested.check(&json!({"modes": ["fast", "x"]})).unwrap_err();
        assert_eq!(err.at, ".modes[1]");
        let long = json!(vec![7; 1000]);
        let err = u8::schema().check(&long).unwrap_err().to_string();
        assert!(err.len() < 200, "{err}");
        assert!(err.starts_with("`[7,7,7"), "{err}");
        let err = BTreeMap::<String, u8>::schema()
            .check(&json!({"a b": -1}))
            .unwrap_err();
        assert_eq!(err.at, r#"["a b"]"#);
    }

    #[test]
    fn every_example_passes_its_own_check() {
        let mode = TypeSchema::Enum(vec!["fast".into()]);
        for schema in [
            u8::schema(),
            i128::schema(),
            std::num::NonZeroU8::schema(),
            TypeSchema::Integer { min: 100, max: 200 },
            TypeSchema::Integer { min: -5, max: 3 },
            f64::schema(),
            bool::schema(),
            String::schema(),
            char::schema(),
            Vec::<Option<u8>>::schema(),
            <[u8; 3]>::schema(),
            <(bool, String)>::schema(),
            BTreeMap::<u16, f32>::schema(),
            mode.clone(),
            TypeSchema::Object(vec![Field::new("m", mode), Field::new("n", u8::schema())]),
            TypeSchema::Any,
        ] {
            let example: Value = serde_json::from_str(&schema.example()).unwrap();
            assert!(schema.check(&example).is_ok(), "{schema:?}: {example}");
        }
        assert_eq!(u8::schema().example(), "42");
        assert_eq!(TypeSchema::Integer { min: 100, max: 200 }.example(), "100");
    }
}
