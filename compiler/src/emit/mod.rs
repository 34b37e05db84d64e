//! Backends that turn a [`crate::ValidPipeline`] into something else.

pub mod argo;
pub mod depends;
pub mod graph;
mod regions;
