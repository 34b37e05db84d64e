//! Example pipelines written with argot. Each module is one pipeline a user would copy; each
//! has a binary in `src/bin/` whose `main` is one line, `argot::main!(…)`.
//!
//! - [`quickstart`]: prepare → train → evaluate; native components, artifacts, parameters.
//! - [`container_steps`]: a container component (any image) between native components.
//! - [`coin_flip`]: nested conditional branches (`when(…).otherwise(…)`).
//! - [`exit_handler`]: a step that fails and a report that always runs (`on_exit`).
//! - [`sweep`]: a loop over a grid of structs with a parallelism limit, and the best of it.
//! - [`shards`]: a loop over a task's list output with a two-task body, and the sum.
//! - [`nested_pipeline`]: a sub-pipeline called twice, returning an artifact and a value.
//! - [`train_until`]: recursion: a sub-pipeline that calls itself until a metric is good enough.
//! - [`gpu_training`]: pod and run settings: a GPU, a secret, a checkpoint volume, retries.
//! - [`cached`]: a step memoized on the cluster (Argo `memoize`), and the local cache.
//! - [`from_url`]: a data set downloaded from a URL, a constant text, an HTML report.
//! - [`distributed_training`]: resource steps: a claim and a Kubeflow `PyTorchJob`, awaited.
//! - [`nightly`]: a `CronWorkflow` that retrains every night (schedule, time zone, history).
//! - [`library`]: components published as a `WorkflowTemplate`, called by `templateRef`.
//!
//! ```text
//! cargo run -p argot-examples --bin quickstart -- compile --image registry.example.com/quickstart:0.1.0
//! cargo run -p argot-examples --bin container_steps -- compile --image registry.example.com/container-steps:0.1.0
//! ```
//!
//! The images the pipelines' attributes name are placeholders: build the image for a binary
//! with `examples/Dockerfile` (`--build-arg BIN=<binary>`), push it, and pass it with `--image`.

pub mod cached;
pub mod coin_flip;
pub mod container_steps;
pub mod distributed_training;
pub mod exit_handler;
pub mod from_url;
pub mod gpu_training;
pub mod library;
pub mod ml;
pub mod nested_pipeline;
pub mod nightly;
pub mod quickstart;
pub mod shards;
pub mod sweep;
pub mod train_until;
