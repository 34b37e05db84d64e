//! Loops: a body of tasks run once per item of a list known at run time, and the fan-in of
//! what the iterations produced.
//!
//! ```
//! use argot::prelude::*;
//! # #[derive(serde::Serialize, serde::Deserialize)] struct Grid { lr: f64, depth: u32 }
//! # #[component] fn train(lr: f64, depth: u32) -> Result<f64> { Ok(lr) }
//! # #[component] fn pick_best(scores: Vec<f64>) -> Result<f64> { Ok(scores[0]) }
//! #[pipeline(image = "example.com/p:1.0")]
//! fn sweep(grid: Param<Vec<Grid>>) {
//!     let scores = for_each(grid, |item| {
//!         train(item.field::<f64>("lr"), item.field::<u32>("depth")).output
//!     })
//!     .parallelism(2);
//!     pick_best(scores);
//! }
//! # fn main() {}
//! ```
//!
//! The closure runs once, while the pipeline is traced: the tasks it creates are the loop's
//! body, run once per item. Items come from a list constant (Argo `withItems`), a list
//! pipeline parameter or a list output of a task (`withParam`). What the closure returns
//! leaves the loop collected: a [`ParamRef<T>`] made in the body becomes a [`Collected<T>`],
//! which feeds a `Vec<T>` input (every successful iteration's value, in item order) and
//! nothing else. An [`ArtifactRef<K>`] made in the body becomes a [`CollectedArtifacts<K>`],
//! which feeds an `Input<Collection<K>>` (see [`Collection`]): every successful iteration's
//! artifact, in item order.
//!
//! # Collected artifacts on Argo
//! Argo aggregates only output parameters over a loop (`processAggregateNodeOutputs` in
//! `workflow/controller/operator.go`). Artifacts are collected as Argo's own map-reduce example
//! does (`examples/map-reduce.yaml`, `docs/key-only-artifacts.md`): each iteration saves the
//! output unarchived as a key-only artifact `<prefix>/{{pod.name}}` of the workflow's artifact
//! repository, and reports that name as an output parameter, which Argo aggregates in item
//! order over the succeeded iterations; the reader downloads the key prefix as a folder and
//! is given the list. The entrypoint exposes exactly the listed entries, in list order, so a
//! failed attempt of a retried iteration (its own pod name) never shows. The repository's
//! driver must be able to download a key prefix as a folder (S3, GCS, Azure, OSS, HDFS; not
//! HTTP or Artifactory), and the workflow needs a repository (a default one or
//! `artifact_repository_ref`).
//!
//! A plain Rust `for` in a pipeline body unrolls at compile time (one task per element, each
//! in the manifest); `for_each` is for lists known only at run time, or lists long enough that
//! the manifest must not grow with them.

use std::marker::PhantomData;
use std::panic::Location;

use crate::dsl::{ArtifactKind, ArtifactRef, Collection, IntoArtifact, IntoParam, Param, ParamRef};
use crate::trace::{Bound, LoopHandle, LoopSource, TaskHandle};
use crate::value::ParamType;

/// The current item of a loop (`T`), or a field of it; feeds a `T` input of a task in the
/// loop's body (Argo `{{item}}`, `{{item.field}}`).
///
/// `'body` is the loop's closure: an item cannot leave it (a compile error), because outside
/// its loop there is no current item.
pub struct Item<'body, T> {
    handle: LoopHandle,
    field: Option<&'static str>,
    _type: PhantomData<fn() -> T>,
    // Invariant in `'body`, so the closure's own lifetime cannot be widened to let it out.
    _body: PhantomData<fn(&'body ()) -> &'body ()>,
}

impl<T> Clone for Item<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Item<'_, T> {}
impl<T> std::fmt::Debug for Item<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Item({:?}, {:?})", self.handle, self.field)
    }
}

impl<'body, T> Item<'body, T> {
    /// Field `name` of a struct item, as a `U` (Argo `{{item.name}}`): the name is the field's
    /// name in the item's JSON (serde's, after any `rename`). A field no item has fails the
    /// task that reads it (on Argo, the unresolved `{{item.name}}`); in a list known when
    /// compiling, validation reports it first (A0032).
    pub fn field<U>(self, name: &'static str) -> Item<'body, U> {
        Item {
            handle: self.handle,
            field: Some(name),
            _type: PhantomData,
            _body: PhantomData,
        }
    }
}

impl<T> IntoParam<T> for Item<'_, T> {
    fn __bind(self) -> Bound {
        Bound::LoopItem(self.handle, self.field)
    }
}

impl<T> crate::when::IntoOperand<T> for Item<'_, T> {
    fn __term(self) -> crate::trace::Term {
        crate::trace::Term::LoopItem(self.handle, self.field)
    }
}

// A loop's item (or a field of it) compared in a branch inside its loop: `size.ge(4)`.
mod compared {
    use super::Item;
    use crate::ir::CompareOp;
    use crate::when::{Comparable, Cond, IntoOperand, Ordered, compare};
    crate::when::comparisons!(Item<'body>);
}

/// A list a loop iterates over: a `Vec<T>` or array constant, a `Param<Vec<T>>` or a
/// `ParamRef<Vec<T>>`.
#[diagnostic::on_unimplemented(
    message = "a loop cannot iterate over a `{Self}`",
    label = "expected a `Vec<T>` (or array) constant, a `Param<Vec<T>>` or a `ParamRef<Vec<T>>`",
    note = "a loop's items come from a list known when compiling, a list pipeline parameter or a list output of a task"
)]
pub trait IntoLoopItems<T> {
    #[doc(hidden)]
    fn __source(self) -> LoopSource;
}

fn static_items<'a, T: ParamType>(items: impl IntoIterator<Item = &'a T>) -> LoopSource {
    // Every item as JSON, `String`s included: Argo substitutes a JSON string item as its text.
    let mut out = Vec::new();
    for item in items {
        match serde_json::to_string(item) {
            Ok(json) => out.push(
                crate::value::canonical(&json, crate::value::WireForm::Json)
                    .expect("serde_json writes JSON"),
            ),
            Err(e) => return LoopSource::Invalid(e.to_string()),
        }
    }
    LoopSource::Static(out)
}

impl<T: ParamType> IntoLoopItems<T> for Vec<T> {
    fn __source(self) -> LoopSource {
        static_items(&self)
    }
}

impl<T: ParamType, const N: usize> IntoLoopItems<T> for [T; N] {
    fn __source(self) -> LoopSource {
        static_items(&self)
    }
}

impl<T: ParamType> IntoLoopItems<T> for &[T] {
    fn __source(self) -> LoopSource {
        static_items(self)
    }
}

impl<T> IntoLoopItems<T> for Param<Vec<T>> {
    fn __source(self) -> LoopSource {
        LoopSource::Param(self.name())
    }
}

impl<T> IntoLoopItems<T> for ParamRef<Vec<T>> {
    fn __source(self) -> LoopSource {
        let (task, output) = self.__parts();
        LoopSource::Output(task, output)
    }
}

/// Every successful iteration's value of an output made in a loop body, in item order; feeds
/// a `Vec<T>` input (Argo's aggregated `{{tasks.loop-N.outputs.parameters.X}}`).
pub struct Collected<T> {
    task: TaskHandle,
    output: &'static str,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Collected<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Collected<T> {}
impl<T> std::fmt::Debug for Collected<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Collected({:?}.{})", self.task, self.output)
    }
}

impl<T> IntoParam<Vec<T>> for Collected<T> {
    fn __bind(self) -> Bound {
        Bound::Collected(self.task, self.output)
    }
}

/// Every successful iteration's artifact of an output made in a loop body, in item order;
/// feeds an `Input<Collection<K>>` and nothing else (see the [module docs](self) for how it
/// travels on Argo).
pub struct CollectedArtifacts<K> {
    task: TaskHandle,
    output: &'static str,
    _kind: PhantomData<fn() -> K>,
}

impl<K> Clone for CollectedArtifacts<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for CollectedArtifacts<K> {}
impl<K> std::fmt::Debug for CollectedArtifacts<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CollectedArtifacts({:?}.{})", self.task, self.output)
    }
}

impl<K: ArtifactKind> IntoArtifact<Collection<K>> for CollectedArtifacts<K> {
    fn __bind(self) -> Bound {
        Bound::Collected(self.task, self.output)
    }
}

impl<K: ArtifactKind> IntoArtifact<Collection<K>> for Loop<CollectedArtifacts<K>> {
    fn __bind(self) -> Bound {
        self.collected.__bind()
    }
}

/// What a loop's closure may return: nothing, an output of a task in the body (a parameter or
/// an artifact), or a tuple of them; each output leaves the loop collected: a [`Collected`]
/// list of values, or [`CollectedArtifacts`].
#[diagnostic::on_unimplemented(
    message = "a loop's closure cannot return a `{Self}`",
    label = "return `()`, a task output `ParamRef<T>` or `ArtifactRef<K>`, or a tuple of them",
    note = "what the closure returns leaves the loop collected (one value or artifact per iteration)"
)]
pub trait Gather {
    /// The collected form.
    type Collected;
    #[doc(hidden)]
    fn __gather(self) -> Self::Collected;
}

impl Gather for () {
    type Collected = ();
    fn __gather(self) {}
}

impl<T> Gather for ParamRef<T> {
    type Collected = Collected<T>;
    fn __gather(self) -> Collected<T> {
        let (task, output) = self.__parts();
        Collected {
            task,
            output,
            _type: PhantomData,
        }
    }
}

impl<K> Gather for ArtifactRef<K> {
    type Collected = CollectedArtifacts<K>;
    fn __gather(self) -> CollectedArtifacts<K> {
        let (task, output) = self.__parts();
        CollectedArtifacts {
            task,
            output,
            _kind: PhantomData,
        }
    }
}

macro_rules! gather_tuple {
    ($($name:ident),+) => {
        impl<$($name: Gather),+> Gather for ($($name,)+) {
            type Collected = ($($name::Collected,)+);
            #[allow(non_snake_case)]
            fn __gather(self) -> Self::Collected {
                let ($($name,)+) = self;
                ($($name.__gather(),)+)
            }
        }
    };
}
gather_tuple!(A);
gather_tuple!(A, B);
gather_tuple!(A, B, C);
gather_tuple!(A, B, C, D);

/// A loop made by [`for_each`]: set its parallelism, and take what it collected.
pub struct Loop<C> {
    handle: LoopHandle,
    collected: C,
}

impl<C> std::fmt::Debug for Loop<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Loop({:?})", self.handle)
    }
}

impl<C> Loop<C> {
    /// At most `limit` of the loop's tasks run at once, over all its iterations (on Argo,
    /// `parallelism` on the loop's outer template, which bounds the running pods under it;
    /// the local runner holds the same bound). A limit of 0 would never run anything and
    /// is taken as 1.
    pub fn parallelism(self, limit: u32) -> Self {
        crate::trace::set_loop_parallelism(self.handle, limit.max(1));
        self
    }

    /// What the closure returned, collected over the iterations.
    pub fn collected(self) -> C {
        self.collected
    }
}

impl<T> IntoParam<Vec<T>> for Loop<Collected<T>> {
    fn __bind(self) -> Bound {
        self.collected.__bind()
    }
}

/// Runs `body` once per item of `items` (at run time): the tasks it creates are the loop's
/// body, and what it returns leaves the loop collected (see the [module docs](self)).
#[track_caller]
pub fn for_each<T, R: Gather>(
    items: impl IntoLoopItems<T>,
    body: impl for<'body> FnOnce(Item<'body, T>) -> R,
) -> Loop<R::Collected> {
    let location = Location::caller();
    let mut returned = None;
    let handle = crate::trace::loop_scope(items.__source(), location, |handle| {
        returned = Some(body(Item {
            handle,
            field: None,
            _type: PhantomData,
            _body: PhantomData,
        }));
    });
    let collected = returned.expect("the loop's body ran").__gather();
    Loop { handle, collected }
}
