//! Parameter values on the wire.
//!
//! Argo passes every parameter as a string. argot's rule, the same as Kubeflow Pipelines': a
//! value that serialises to a JSON string travels as that string itself (no quotes), every
//! other value travels as its compact JSON text (`42`, `0.1`, `true`, `[1,2]`, `{"a":1}`).
//! Decoding tries the raw string first, so a `String` input receives exactly the bytes that
//! were sent, whatever they look like.

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
        /// The text received.
        text: String,
        /// The expected Rust type.
        rust_type: &'static str,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
}

/// Encodes a value into its wire form.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<String, ValueError> {
    match serde_json::to_value(value).map_err(ValueError::Encode)? {
        serde_json::Value::String(s) => Ok(s),
        other => Ok(other.to_string()),
    }
}

/// Decodes a value from its wire form.
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, ValueError> {
    // A string-shaped type (String, unit enum variants, …) receives the raw text unchanged.
    if let Ok(v) = T::deserialize(serde_json::Value::String(text.to_owned())) {
        return Ok(v);
    }
    serde_json::from_str(text).map_err(|source| ValueError::Decode {
        text: text.to_owned(),
        rust_type: std::any::type_name::<T>(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_travel_raw_and_everything_else_as_json() {
        assert_eq!(encode("yes").unwrap(), "yes");
        assert_eq!(encode(&"{\"a\":1}".to_string()).unwrap(), "{\"a\":1}");
        assert_eq!(encode(&42u32).unwrap(), "42");
        assert_eq!(encode(&0.1f64).unwrap(), "0.1");
        assert_eq!(encode(&vec![1.5f64, 2.0]).unwrap(), "[1.5,2.0]");
        assert_eq!(encode(&true).unwrap(), "true");
    }

    #[test]
    fn decode_round_trips() {
        for s in ["", "42", "\"quoted\"", "{{x}}", "null", "yes", "a\nb"] {
            assert_eq!(decode::<String>(&encode(s).unwrap()).unwrap(), s);
        }
        assert_eq!(decode::<u32>("42").unwrap(), 42);
        assert_eq!(decode::<f64>("0.1").unwrap(), 0.1);
        assert_eq!(decode::<Vec<f64>>("[1.5,2.0]").unwrap(), vec![1.5, 2.0]);
        assert!(decode::<u32>("forty").is_err());
        assert!(decode::<u8>("300").is_err());
    }
}
