//! [`OutputKey`]: where an output artifact is stored in the workflow's artifact repository,
//! built from literal text and the values Argo fills in when it creates the task's pod (see
//! [`crate::ir::repo_key`] for where Argo substitutes them).

use std::marker::PhantomData;

use crate::dsl::{Param, ParamRef};
use crate::format::Displayed;
use crate::ir::{KeyPart, TimePart};
use crate::trace::FormatBound;

/// A key made only of text and the run's own variables: any handle takes it (a task, a
/// component's settings, `task_defaults()`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fixed;

/// A key holding a pipeline parameter or a task's output ([`OutputKey::value`]): only a
/// task takes it, since only a task binds the value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WithValues;

/// Where [`TaskOptions::set_output_key`](crate::TaskOptions::set_output_key) stores an
/// output artifact in the workflow's artifact repository (the namespace's default, or the
/// pipeline's `artifact_repository_ref`): literal text and the values Argo substitutes in
/// an output's key, in order. A plain `&str` is a key of text alone.
///
/// ```
/// use argot::prelude::*;
///
/// #[component]
/// fn train(rows: u32, model: Output<Model>) -> Result<()> {
///     Ok(std::fs::write(model.path(), rows.to_string())?)
/// }
///
/// #[pipeline(image = "ghcr.io/acme/train:1.0")]
/// fn nightly(version: Param<String>) {
///     // models/2026/12/<workflow name>/<version>/model.bin, stored as it is.
///     let key = OutputKey::new("models/")
///         .created(TimePart::Year)
///         .text("/")
///         .created(TimePart::Month)
///         .text("/")
///         .workflow_name()
///         .text("/")
///         .value(version)
///         .text("/model.bin");
///     train(1000)
///         .set_output_archive("model", Archive::None)
///         .set_output_key("model", key);
/// }
/// # fn main() {}
/// ```
#[derive(Debug)]
pub struct OutputKey<V = Fixed> {
    pieces: Vec<Piece>,
    _values: PhantomData<V>,
}

/// One piece, before the task binds its values.
#[doc(hidden)]
#[derive(Debug)]
pub enum Piece {
    /// Text or a variable.
    Part(KeyPart),
    /// A run-time value the task binds.
    Value(FormatBound),
}

impl OutputKey<Fixed> {
    /// A key starting with literal text (`/` separates folders; no `{{`).
    pub fn new(text: &str) -> OutputKey<Fixed> {
        OutputKey::empty().text(text)
    }

    /// An empty key, to start with a variable: `OutputKey::empty().workflow_uid()`.
    pub fn empty() -> OutputKey<Fixed> {
        OutputKey {
            pieces: Vec::new(),
            _values: PhantomData,
        }
    }
}

impl<V> OutputKey<V> {
    fn part(mut self, part: KeyPart) -> Self {
        self.pieces.push(Piece::Part(part));
        self
    }

    /// Literal text, as it is.
    pub fn text(self, text: &str) -> Self {
        self.part(KeyPart::Text(text.to_owned()))
    }

    /// The workflow's name (`{{workflow.name}}`): the run's; locally the run id.
    pub fn workflow_name(self) -> Self {
        self.part(KeyPart::WorkflowName)
    }

    /// The workflow's UID (`{{workflow.uid}}`); locally a UUID derived from the run id.
    pub fn workflow_uid(self) -> Self {
        self.part(KeyPart::WorkflowUid)
    }

    /// The workflow's namespace (`{{workflow.namespace}}`); locally `local`.
    pub fn workflow_namespace(self) -> Self {
        self.part(KeyPart::WorkflowNamespace)
    }

    /// A piece of the workflow's creation time in UTC, zero-padded
    /// (`{{workflow.creationTimestamp.Y}}`, `.m`, `.d`, `.H`, `.M`, `.S`); locally the
    /// run's start.
    pub fn created(self, part: TimePart) -> Self {
        self.part(KeyPart::Created(part))
    }

    /// The task's pod's name (`{{pod.name}}`): different for each task, loop iteration and
    /// retry attempt, so outputs never collide; locally `<run id>-<task>`.
    pub fn pod_name(self) -> Self {
        self.part(KeyPart::PodName)
    }

    /// A pipeline parameter or a task's output parameter, as its wire form (a string as it
    /// is, a number as JSON writes it): the task receives it as an input of its template
    /// (`{{inputs.parameters.argot-setting-N}}`), as run-time values of other settings do.
    pub fn value(mut self, value: impl KeyValue) -> OutputKey<WithValues> {
        self.pieces.push(Piece::Value(value.__bound()));
        OutputKey {
            pieces: self.pieces,
            _values: PhantomData,
        }
    }

    pub(crate) fn into_pieces(self) -> Vec<Piece> {
        self.pieces
    }
}

/// A run-time value a key can hold: a `Param<T>` or a `ParamRef<T>` whose `T` is a string,
/// an integer, a float, `bool` or `char`.
pub trait KeyValue {
    #[doc(hidden)]
    fn __bound(self) -> FormatBound;
}

impl<U: Displayed> KeyValue for Param<U> {
    fn __bound(self) -> FormatBound {
        FormatBound::Param(self.name(), U::DISPLAY)
    }
}

impl<U: Displayed> KeyValue for ParamRef<U> {
    fn __bound(self) -> FormatBound {
        let (task, output) = self.__parts();
        FormatBound::Output(task, output, U::DISPLAY)
    }
}

/// What [`TaskOptions::set_output_key`](crate::TaskOptions::set_output_key) takes on a
/// handle: text or an [`OutputKey`] anywhere, and an `OutputKey` holding a run-time value
/// ([`OutputKey::value`]) on a task only.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an output's key here",
    label = "expected text or an `OutputKey`",
    note = "a key holding a run-time value (`OutputKey::value`) can only be given to one task: `task_defaults()` and `#[component(settings = …)]` take keys of text and the run's variables"
)]
pub trait OutputKeyValue<Target> {
    #[doc(hidden)]
    fn __pieces(self) -> Vec<Piece>;
}

impl<S> OutputKeyValue<S> for &str {
    fn __pieces(self) -> Vec<Piece> {
        OutputKey::new(self).into_pieces()
    }
}

impl<S> OutputKeyValue<S> for OutputKey<Fixed> {
    fn __pieces(self) -> Vec<Piece> {
        self.into_pieces()
    }
}

impl<T: super::TakesRunTimeValues> OutputKeyValue<T> for OutputKey<WithValues> {
    fn __pieces(self) -> Vec<Piece> {
        self.into_pieces()
    }
}
