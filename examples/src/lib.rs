//! Example pipelines written with argot, and the small amount of plain Rust they share.
//!
//! Each binary in `src/bin/` is one pipeline a user would copy:
//!
//! - `quickstart`: prepare → train → evaluate, native components, artifacts and parameters;
//! - `container_steps`: a container component (any image) wired between native components.

pub mod ml;
