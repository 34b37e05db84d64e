//! Sub-pipelines: a `#[pipeline]` called from another pipeline's body.
//!
//! `#[pipeline] fn prepare(source: Param<String>) -> ParamRef<u64>` also generates a traced
//! call, `prepare(source)`, that takes what a component input takes (a constant, a
//! [`Param`](crate::Param), a [`ParamRef`]). The call traces the body again into a
//! [`RegionKind::Call`](crate::ir::RegionKind::Call) region and hands back what the body
//! returned, now read through the call's outputs. On Argo every call of `prepare` runs the
//! same DAG template, `prepare`, with the call's arguments as its inputs.
//!
//! What a pipeline returns ([`PipelineOutputs`]): nothing, a task's output parameter
//! ([`ParamRef`]) or artifact ([`ArtifactRef`]), or a tuple of them.

use std::panic::Location;

use crate::dsl::{ArtifactRef, ParamRef};
use crate::ir::RegionId;
use crate::trace::{self, Bound};

/// What a `#[pipeline]` function may return: `()`, a [`ParamRef`], an [`ArtifactRef`], or a
/// tuple of those (up to six). Each becomes an output of the pipeline: named `output` when
/// there is one, `output-1`, `output-2`, … for a tuple, unless
/// `#[pipeline(outputs = ["…", …])]` names them.
#[diagnostic::on_unimplemented(
    message = "a pipeline cannot return a `{Self}`",
    label = "a pipeline returns task outputs",
    note = "return nothing, a task's output (`ParamRef<T>`, `ArtifactRef<K>`), or a tuple of them"
)]
pub trait PipelineOutputs: Sized {
    /// How many outputs this is.
    const COUNT: usize;

    /// The outputs as bound values, in order.
    #[doc(hidden)]
    fn __bound(&self) -> Vec<Bound>;

    /// The same outputs as seen from region `region` (the caller's).
    #[doc(hidden)]
    fn __seen_from(self, region: RegionId) -> Self;

    /// The outputs of the recursive call past the depth bound, which is never traced (see
    /// [`trace::past_bound_handle`]).
    #[doc(hidden)]
    fn __past_bound(pipeline: &'static str, names: &[&'static str]) -> Self;
}

impl PipelineOutputs for () {
    const COUNT: usize = 0;
    fn __bound(&self) -> Vec<Bound> {
        Vec::new()
    }
    fn __seen_from(self, _: RegionId) -> Self {}
    fn __past_bound(_: &'static str, _: &[&'static str]) -> Self {}
}

impl<T> PipelineOutputs for ParamRef<T> {
    const COUNT: usize = 1;
    fn __bound(&self) -> Vec<Bound> {
        let (task, output) = self.__parts();
        vec![Bound::Output(task, output)]
    }
    fn __seen_from(self, region: RegionId) -> Self {
        let (task, output) = self.__parts();
        ParamRef::__new(task.seen_from(region), output)
    }
    fn __past_bound(pipeline: &'static str, names: &[&'static str]) -> Self {
        <Self as OneOutput>::past_bound(pipeline, names[0])
    }
}

impl<K> PipelineOutputs for ArtifactRef<K> {
    const COUNT: usize = 1;
    fn __bound(&self) -> Vec<Bound> {
        let (task, output) = self.__parts();
        vec![Bound::Output(task, output)]
    }
    fn __seen_from(self, region: RegionId) -> Self {
        let (task, output) = self.__parts();
        ArtifactRef::__new(task.seen_from(region), output)
    }
    fn __past_bound(pipeline: &'static str, names: &[&'static str]) -> Self {
        <Self as OneOutput>::past_bound(pipeline, names[0])
    }
}

macro_rules! tuple_outputs {
    ($count:literal: $($name:ident . $index:tt),+) => {
        impl<$($name: OneOutput),+> PipelineOutputs for ($($name,)+) {
            const COUNT: usize = $count;
            fn __bound(&self) -> Vec<Bound> {
                vec![$(self.$index.bound()),+]
            }
            fn __seen_from(self, region: RegionId) -> Self {
                ($(self.$index.seen_from(region),)+)
            }
            fn __past_bound(pipeline: &'static str, names: &[&'static str]) -> Self {
                ($($name::past_bound(pipeline, names[$index]),)+)
            }
        }
    };
}

/// One element of a tuple a pipeline returns.
#[doc(hidden)]
pub trait OneOutput: Sized {
    /// The output as a bound value.
    fn bound(&self) -> Bound;
    /// The output as seen from `region`.
    fn seen_from(self, region: RegionId) -> Self;
    /// Output `name` of the recursive call past the depth bound.
    fn past_bound(pipeline: &'static str, name: &'static str) -> Self;
}

impl<T> OneOutput for ParamRef<T> {
    fn bound(&self) -> Bound {
        let (task, output) = self.__parts();
        Bound::Output(task, output)
    }
    fn seen_from(self, region: RegionId) -> Self {
        PipelineOutputs::__seen_from(self, region)
    }
    fn past_bound(pipeline: &'static str, name: &'static str) -> Self {
        ParamRef::__new(trace::past_bound_handle(pipeline), name)
    }
}

impl<K> OneOutput for ArtifactRef<K> {
    fn bound(&self) -> Bound {
        let (task, output) = self.__parts();
        Bound::Output(task, output)
    }
    fn seen_from(self, region: RegionId) -> Self {
        PipelineOutputs::__seen_from(self, region)
    }
    fn past_bound(pipeline: &'static str, name: &'static str) -> Self {
        ArtifactRef::__new(trace::past_bound_handle(pipeline), name)
    }
}

tuple_outputs!(2: A.0, B.1);
tuple_outputs!(3: A.0, B.1, C.2);
tuple_outputs!(4: A.0, B.1, C.2, D.3);
tuple_outputs!(5: A.0, B.1, C.2, D.3, E.4);
tuple_outputs!(6: A.0, B.1, C.2, D.3, E.4, F.5);

/// Pairs outputs with their names, which generated code checked against `R::COUNT`.
fn named<R: PipelineOutputs>(outputs: &R, names: &[&'static str]) -> Vec<(&'static str, Bound)> {
    names.iter().copied().zip(outputs.__bound()).collect()
}

/// Calls pipeline `pipeline`, defined by function `key` (generated code: the traced call of a
/// `#[pipeline]`): traces `body` into a call region with `args` as the called pipeline's
/// parameters and returns what it returned, as the caller sees it. `max_depth` is the
/// pipeline's recursion bound (`#[pipeline(max_depth = N)]`), for a call of itself.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn call_pipeline<R: PipelineOutputs>(
    pipeline: &'static str,
    key: &'static str,
    location: &'static Location<'static>,
    args: Vec<(&'static str, Bound)>,
    names: &[&'static str],
    max_depth: Option<u32>,
    body: impl FnOnce() -> R,
) -> R {
    let frame = trace::begin_call(pipeline, key, location, args, max_depth);
    if frame.past_bound() {
        return R::__past_bound(pipeline, names);
    }
    if !frame.traces() {
        drop(frame);
        std::panic::resume_unwind(Box::new(trace::Refused));
    }
    let caller = frame.caller();
    let outputs = body();
    frame.end(named(&outputs, names));
    outputs.__seen_from(caller)
}

/// Records what the traced pipeline's body returned as the pipeline's outputs (generated
/// code, in the definition's body).
#[doc(hidden)]
pub fn pipeline_outputs<R: PipelineOutputs>(
    outputs: R,
    names: &[&'static str],
    location: &'static Location<'static>,
) {
    trace::set_outputs(named(&outputs, names), location);
}
