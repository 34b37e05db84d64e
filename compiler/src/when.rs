//! Conditions: tasks that run only when a typed comparison of pipeline parameters and task
//! outputs holds.
//!
//! ```
//! use argot::prelude::*;
//! # #[component] fn train(rows: u32) -> Result<f64> { Ok(0.9) }
//! # #[component] fn deploy(accuracy: f64) -> Result<()> { Ok(()) }
//! # #[component] fn alert(accuracy: f64) -> Result<()> { Ok(()) }
//! #[pipeline(image = "example.com/p:1.0")]
//! fn gated(#[default(0.9)] bar: Param<f64>) {
//!     let trained = train(1000);
//!     when(trained.output.ge(bar), || {
//!         deploy(trained.output);
//!     })
//!     .otherwise(|| {
//!         alert(trained.output);
//!     });
//! }
//! # fn main() {}
//! ```
//!
//! Operands are typed: both sides of a comparison have the same type, checked by rustc
//! (`trained.output.gt("high")` does not compile for an `f64` output), and only numbers
//! order (`lt`, `le`, `gt`, `ge`); strings and booleans compare with `eq` and `ne`. Conditions
//! combine with `&`, `|` and `!`.
//!
//! On Argo each branch is a DAG template of its own, called by one DAG task whose `when` is an
//! `expr` expression (`{{=asFloat(tasks['train'].outputs.parameters['output']) >= …}}`), so
//! values with quotes, hyphens or slashes cannot break it (govaluate's own syntax would); a
//! skipped branch skips all of its tasks at once. The local runner evaluates the same
//! condition once every task it reads has finished.

use std::ops::{BitAnd, BitOr, Not};
use std::panic::Location;

use crate::dsl::{Param, ParamRef};
use crate::ir::{CompareKind, CompareOp};
use crate::trace::{CondExpr, Term};
use crate::value::{ParamType, encode};

/// A type a condition can compare: strings, booleans, integers and floats.
#[diagnostic::on_unimplemented(
    message = "a condition cannot compare `{Self}` values",
    label = "conditions compare strings, booleans, integers and floats",
    note = "compare a field of it instead, produced by a task as its own output"
)]
pub trait Comparable: ParamType {
    /// How its wire forms compare.
    const KIND: CompareKind;
}

/// A type a condition can order (`lt`, `le`, `gt`, `ge`): integers and floats.
#[diagnostic::on_unimplemented(
    message = "a condition cannot order `{Self}` values",
    label = "only numbers are ordered; compare strings and booleans with `eq` or `ne`"
)]
pub trait Ordered: Comparable {}

macro_rules! comparable {
    ($kind:ident: $($t:ty),*) => {$(
        impl Comparable for $t {
            const KIND: CompareKind = CompareKind::$kind;
        }
    )*};
}
comparable!(Text: String, bool);
comparable!(Integer: i8, i16, i32, i64, u8, u16, u32, u64, isize, usize);
comparable!(Float: f32, f64);
macro_rules! ordered {
    ($($t:ty),*) => {$( impl Ordered for $t {} )*};
}
ordered!(i8, i16, i32, i64, u8, u16, u32, u64, isize, usize, f32, f64);

/// Something a comparison with a `T` operand accepts on its other side: a `T` constant, a
/// `&str` for a `String`, a `Param<T>` or a `ParamRef<T>`.
#[diagnostic::on_unimplemented(
    message = "a `{Self}` cannot be compared with a `{T}`",
    label = "expected a `{T}` value, a `Param<{T}>` or a `ParamRef<{T}>`"
)]
pub trait IntoOperand<T> {
    #[doc(hidden)]
    fn __term(self) -> Term;
}

impl<T: Comparable> IntoOperand<T> for T {
    fn __term(self) -> Term {
        match encode(&self) {
            Ok(text) => Term::Constant(text),
            Err(e) => Term::Invalid(e.to_string()),
        }
    }
}

impl IntoOperand<String> for &str {
    fn __term(self) -> Term {
        Term::Constant(crate::value::encode_text(self))
    }
}

impl<T> IntoOperand<T> for Param<T> {
    fn __term(self) -> Term {
        Term::Param(self.name())
    }
}

impl<T> IntoOperand<T> for ParamRef<T> {
    fn __term(self) -> Term {
        let (task, output) = self.__parts();
        Term::Output(task, output)
    }
}

/// The output of whichever branch ran, made by [`one_of`]; feeds a `T` input.
#[derive(Clone, Debug)]
pub struct OneOf<T> {
    options: Vec<(crate::trace::TaskHandle, &'static str)>,
    _type: std::marker::PhantomData<fn() -> T>,
}

/// Selects the output of the branch that ran among outputs made in the branches of one
/// `when(…)` chain (KFP's `OneOf`): each option comes from a different branch written beside
/// the task that reads it. If no branch ran, the reading task errors, as on Argo.
///
/// ```
/// use argot::prelude::*;
/// # #[component] fn flip() -> Result<String> { Ok("heads".into()) }
/// # #[component] fn say(message: String) -> Result<String> { Ok(message) }
/// #[pipeline(image = "example.com/p:1.0")]
/// fn coin() {
///     let side = flip();
///     let (mut heads, mut tails) = (None, None);
///     when(side.output.eq("heads"), || heads = Some(say("heads!")))
///         .otherwise(|| tails = Some(say("tails!")));
///     say(one_of([heads.unwrap().output, tails.unwrap().output]));
/// }
/// # fn main() {}
/// ```
pub fn one_of<T, const N: usize>(options: [ParamRef<T>; N]) -> OneOf<T> {
    OneOf {
        options: options.iter().map(ParamRef::__parts).collect(),
        _type: std::marker::PhantomData,
    }
}

impl<T> crate::dsl::IntoParam<T> for OneOf<T> {
    fn __bind(self) -> crate::trace::Bound {
        crate::trace::Bound::OneOf(self.options)
    }
}

/// A condition, for [`when`]; combine with `&`, `|` and `!`.
#[derive(Clone, Debug)]
#[must_use = "pass it to `when(…)`"]
pub struct Cond(pub(crate) CondExpr);

pub(crate) fn compare<T: Comparable>(
    left: Term,
    op: CompareOp,
    right: impl IntoOperand<T>,
) -> Cond {
    Cond(CondExpr::Compare {
        left,
        op,
        right: right.__term(),
        kind: T::KIND,
    })
}

macro_rules! comparisons {
    ($ty:ident $(<$lt:lifetime>)?) => {
        // One block, with `Ordered` on the ordering methods themselves: ordering a string is
        // then an error that says so, not "method not found".
        impl<$($lt,)? T: Comparable> $ty<$($lt,)? T> {
            /// Holds when both sides are equal.
            pub fn eq(self, other: impl IntoOperand<T>) -> Cond {
                compare::<T>(IntoOperand::<T>::__term(self), CompareOp::Eq, other)
            }

            /// Holds when the sides differ.
            pub fn ne(self, other: impl IntoOperand<T>) -> Cond {
                compare::<T>(IntoOperand::<T>::__term(self), CompareOp::Ne, other)
            }

            /// Holds when this is less than `other` (numbers only).
            pub fn lt(self, other: impl IntoOperand<T>) -> Cond
            where
                T: Ordered,
            {
                compare::<T>(IntoOperand::<T>::__term(self), CompareOp::Lt, other)
            }

            /// Holds when this is at most `other` (numbers only).
            pub fn le(self, other: impl IntoOperand<T>) -> Cond
            where
                T: Ordered,
            {
                compare::<T>(IntoOperand::<T>::__term(self), CompareOp::Le, other)
            }

            /// Holds when this is greater than `other` (numbers only).
            pub fn gt(self, other: impl IntoOperand<T>) -> Cond
            where
                T: Ordered,
            {
                compare::<T>(IntoOperand::<T>::__term(self), CompareOp::Gt, other)
            }

            /// Holds when this is at least `other` (numbers only).
            pub fn ge(self, other: impl IntoOperand<T>) -> Cond
            where
                T: Ordered,
            {
                compare::<T>(IntoOperand::<T>::__term(self), CompareOp::Ge, other)
            }
        }
    };
}
comparisons!(Param);
comparisons!(ParamRef);
// The loops module compares a loop's item with it (with these names in scope).
pub(crate) use comparisons;

/// Never implemented: what makes comparing an artifact a compile error that says why.
#[diagnostic::on_unimplemented(
    message = "an artifact cannot be compared in a condition",
    label = "`{Self}` is a file or folder, not a value",
    note = "have a task read the artifact and return the value to compare (an output parameter), then compare that output"
)]
pub trait NotAnArtifact {}

macro_rules! artifact_comparisons {
    ($($method:ident),*) => {
        impl<K> crate::dsl::ArtifactRef<K> {
            $(
                /// Not available: conditions compare values, not files (a compile error).
                pub fn $method<T>(self, _other: T) -> Cond
                where
                    Self: NotAnArtifact,
                {
                    unreachable!("`ArtifactRef` never implements `NotAnArtifact`")
                }
            )*
        }
    };
}
artifact_comparisons!(eq, ne, lt, le, gt, ge);

impl BitAnd for Cond {
    type Output = Cond;
    /// Both hold.
    fn bitand(self, other: Cond) -> Cond {
        Cond(CondExpr::And(vec![self.0, other.0]))
    }
}

impl BitOr for Cond {
    type Output = Cond;
    /// Either holds.
    fn bitor(self, other: Cond) -> Cond {
        Cond(CondExpr::Or(vec![self.0, other.0]))
    }
}

impl Not for Cond {
    type Output = Cond;
    /// It does not hold.
    fn not(self) -> Cond {
        Cond(CondExpr::Not(Box::new(self.0)))
    }
}

/// Adds the tasks `body` creates as a branch that runs only when `condition` holds. Chain
/// `.else_when(…)` and `.otherwise(…)` for the other cases.
#[track_caller]
pub fn when(condition: Cond, body: impl FnOnce()) -> Branch {
    Branch::new(Vec::new(), condition, Location::caller(), body)
}

/// A branch made by [`when`]; its methods add the branches that run when it does not.
#[derive(Debug)]
pub struct Branch {
    /// The conditions of this branch and the ones before it in the chain.
    taken: Vec<CondExpr>,
}

impl Branch {
    fn new(
        before: Vec<CondExpr>,
        condition: Cond,
        location: &'static Location<'static>,
        body: impl FnOnce(),
    ) -> Branch {
        let mut terms: Vec<CondExpr> = before
            .iter()
            .map(|c| CondExpr::Not(Box::new(c.clone())))
            .collect();
        terms.push(condition.0.clone());
        let guard = if terms.len() == 1 {
            terms.pop().expect("one term")
        } else {
            CondExpr::And(terms)
        };
        let region = crate::trace::branch(guard, location, body);
        let mut taken = before;
        // A recursive call in the body bounded the branch: the rest of the chain runs when
        // the bound stops it too.
        taken.push(match crate::trace::branch_bound(region) {
            Some(max_depth) => CondExpr::And(vec![condition.0, CondExpr::WithinDepth(max_depth)]),
            None => condition.0,
        });
        Branch { taken }
    }

    /// Adds a branch that runs when none of the conditions before it held and `condition`
    /// does.
    #[track_caller]
    pub fn else_when(self, condition: Cond, body: impl FnOnce()) -> Branch {
        Branch::new(self.taken, condition, Location::caller(), body)
    }

    /// Adds a branch that runs when none of the conditions before it held.
    #[track_caller]
    pub fn otherwise(self, body: impl FnOnce()) {
        let mut terms: Vec<CondExpr> = self
            .taken
            .into_iter()
            .map(|c| CondExpr::Not(Box::new(c)))
            .collect();
        let none = if terms.len() == 1 {
            terms.pop().expect("one term")
        } else {
            CondExpr::And(terms)
        };
        crate::trace::branch(none, Location::caller(), body);
    }
}
