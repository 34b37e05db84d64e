//! Typed string interpolation: what KFP users write as an f-string argument.
//!
//! ```
//! use argot::prelude::*;
//! # #[component] fn train(rows: u32) -> Result<u32> { Ok(rows) }
//! # #[component] fn upload(to: String) -> Result<()> { Ok(()) }
//! #[pipeline(image = "example.com/p:1.0")]
//! fn nightly(bucket: Param<String>) {
//!     let trained = train(1000);
//!     upload(format_arg!("gs://{}/models/v{}", bucket, trained.output));
//! }
//! # fn main() {}
//! ```
//!
//! `format_arg!` takes a string literal with `{}` placeholders (`{{` and `}}` for braces) and
//! one piece per placeholder: a pipeline parameter `Param<T>`, a task output `ParamRef<T>`, or
//! a constant, of a type Rust shows with `{}` ([`Displayed`]: strings, integers, floats,
//! `bool`, `char`). An artifact, or a type without a single obvious text, is a compile error at
//! the piece. The result feeds a `String` input of a native component; the component receives
//! exactly what `format!` would give with the values of the run, on Argo and locally.
//!
//! Argo pastes `{{tasks.x.outputs.parameters.y}}` into surrounding text as the output's text
//! (`simpleReplaceStrict` in `util/template`), and that text is the value's wire form (a JSON
//! literal for a string with `{`, `$` or quotes; see [`crate::value`]), so pasting would hand
//! the component `gs://b/"a\u007bb"` for the value `a{b`. The pieces therefore travel apart, each
//! in its own wire form, and the component's input assembles them
//! ([`crate::value::format_text`]).

use crate::dsl::{IntoParam, Param, ParamRef};
use crate::trace::{Bound, FormatBound};
use crate::value::DisplayAs;

/// A type `format_arg!` can show: Rust's `{}` gives one obvious text for it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be shown in a formatted string",
    label = "not a string, integer, float, `bool` or `char`",
    note = "`format_arg!` shows values as `format!(\"{{}}\")` does: strings, integers, floats, `bool` and `char`; pass other values as inputs of their own"
)]
pub trait Displayed: 'static {
    /// How the component shows a value of this type that arrives at run time.
    const DISPLAY: DisplayAs;
}

macro_rules! displayed {
    ($display:ident: $($t:ty),*) => {$(
        impl Displayed for $t {
            const DISPLAY: DisplayAs = DisplayAs::$display;
        }
    )*};
}
displayed!(Text: String);
displayed!(Integer: u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);
displayed!(F32: f32);
displayed!(F64: f64);
displayed!(Bool: bool);
displayed!(Char: char);

/// A piece of a formatted string: a `Param<T>`, a `ParamRef<T>` or a constant whose type is
/// [`Displayed`].
#[diagnostic::on_unimplemented(
    message = "a `{Self}` cannot be a piece of a formatted string",
    label = "expected a `Param<T>`, a `ParamRef<T>` or a constant here",
    note = "`format_arg!` interpolates pipeline parameters, task output parameters and constants of a type `format!` shows (strings, integers, floats, `bool`, `char`); an artifact is a file, not text: pass it as an `Input<…>` of its own"
)]
pub trait FormatPiece {
    #[doc(hidden)]
    fn __piece(self) -> FormatBound;
}

impl<T: Displayed> FormatPiece for Param<T> {
    fn __piece(self) -> FormatBound {
        FormatBound::Param(self.name(), T::DISPLAY)
    }
}

impl<T: Displayed> FormatPiece for ParamRef<T> {
    fn __piece(self) -> FormatBound {
        let (task, output) = self.__parts();
        FormatBound::Output(task, output, T::DISPLAY)
    }
}

impl FormatPiece for &str {
    fn __piece(self) -> FormatBound {
        FormatBound::Text(self.to_owned())
    }
}

macro_rules! constant_piece {
    ($($t:ty),*) => {$(
        impl FormatPiece for $t {
            fn __piece(self) -> FormatBound {
                FormatBound::Text(self.to_string())
            }
        }
        impl FormatPiece for &$t {
            fn __piece(self) -> FormatBound {
                FormatBound::Text(self.to_string())
            }
        }
    )*};
}
constant_piece!(
    String, u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, bool, char
);

/// A `String` made of text and values, for a `String` input of a native component; built by
/// [`format_arg!`](crate::format_arg).
#[derive(Debug)]
#[must_use = "pass it to a `String` input"]
pub struct Formatted(Vec<FormatBound>);

impl Formatted {
    #[doc(hidden)]
    pub fn __new(pieces: Vec<FormatBound>) -> Formatted {
        Formatted(pieces)
    }

    #[doc(hidden)]
    pub fn __into_pieces(self) -> Vec<FormatBound> {
        self.0
    }
}

impl IntoParam<String> for Formatted {
    fn __bind(self) -> Bound {
        Bound::Format(self.0)
    }
}
