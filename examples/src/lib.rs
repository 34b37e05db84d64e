//! Example pipelines written with argot. Each module is one pipeline a user would copy; each
//! has a binary in `src/bin/` whose `main` is one line, `argot::main!(…)`.
//!
//! - [`quickstart`]: prepare → train → evaluate; native components, artifacts, parameters.
//! - [`container_steps`]: a container component (any image) between native components.
//!
//! ```text
//! cargo run -p argot-examples --bin quickstart -- compile
//! cargo run -p argot-examples --bin container_steps -- compile
//! ```

pub mod container_steps;
pub mod ml;
pub mod quickstart;
