//! A training step as it runs on a GPU node: a GPU, memory and CPUs, a toleration and a node
//! selector for the GPU pool, a secret for the data bucket, a checkpoint volume that outlives
//! the pod, shared memory for the data loader, retries with backoff, and both of Argo's time
//! limits.
//!
//! ```text
//! BUCKET_TOKEN=… cargo run -p argot-examples --bin gpu_training -- run --secret bucket-creds/token=env:BUCKET_TOKEN
//! cargo run -p argot-examples --bin gpu_training -- compile --image registry.example.com/gpu-training:0.1.0
//! ```
//!
//! On Argo the settings are the templates' `resources`, `tolerations`, `nodeSelector`,
//! `retryStrategy`, `timeout`, `activeDeadlineSeconds`, `volumes` and the container's `env`
//! (`secretKeyRef`: the token's value is never in the manifest). Locally, `run` reads the token
//! from where `--secret` says, gives the checkpoint claim the folder
//! `.argot/volumes/training-checkpoints` (kept between runs, so a second run resumes from the
//! last checkpoint), and runs `fit_on_gpu` alone: it asks for more CPUs than a laptop has slots.

use argot::Toleration;
use argot::prelude::*;

/// Fetch `rows` rows from the bucket (here: made up, after checking the token is there).
#[component]
pub fn fetch_from_bucket(rows: u32, data: Output<Dataset>) -> Result<()> {
    let token = std::env::var("BUCKET_TOKEN").context("the bucket token is not set")?;
    ensure!(!token.trim().is_empty(), "the bucket token is empty");
    let lines: Vec<String> = (0..rows).map(|i| ((i * 37) % 100).to_string()).collect();
    std::fs::write(data.path(), lines.join("\n")).context("writing the data")?;
    Ok(())
}

/// Train for `epochs` epochs, checkpointing after each to the `checkpoints` volume and
/// starting from the last checkpoint there; returns the number of epochs trained in all.
#[component(settings = gpu_node)]
pub fn fit_on_gpu(data: Input<Dataset>, epochs: u32, model: Output<Model>) -> Result<u32> {
    let rows = std::fs::read_to_string(data.path())
        .context("reading the data")?
        .lines()
        .count();
    let checkpoints = volume_path("checkpoints")?;
    let last = checkpoints.join("last-epoch");
    let start: u32 = std::fs::read_to_string(&last)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0);
    let scratch = volume_path("shm")?;
    for epoch in start + 1..=start + epochs {
        std::fs::write(scratch.join("batch"), format!("{rows} rows, epoch {epoch}"))
            .context("writing to shared memory")?;
        std::fs::write(&last, epoch.to_string()).context("writing the checkpoint")?;
    }
    let trained = start + epochs;
    std::fs::write(model.path(), format!("epochs={trained}")).context("writing the model")?;
    eprintln!("trained epochs {}..={trained}", start + 1);
    Ok(trained)
}

/// What every `fit_on_gpu` task asks of its node.
fn gpu_node(s: ComponentSettings) -> ComponentSettings {
    s.set_accelerator_limit("nvidia.com/gpu", 1)
        .set_cpu_request("4")
        .set_memory_request("16Gi")
        .set_memory_limit("32Gi")
        .add_node_selector_constraint("cloud.google.com/gke-accelerator", "nvidia-tesla-t4")
        .add_toleration(Toleration {
            key: Some("nvidia.com/gpu".into()),
            operator: Some("Exists".into()),
            effect: Some("NoSchedule".into()),
            ..Toleration::default()
        })
}

/// Download with the bucket's token, then train on a GPU node with checkpoints.
#[pipeline(image = "ghcr.io/argot-rs/gpu-training:0.1.0")]
pub fn gpu_training(
    #[default(200)] rows: Param<u32>,
    #[default(2)] epochs: Param<u32>,
) -> ParamRef<u32> {
    task_defaults()
        .set_retry(2)
        .set_retry_backoff("30s", Some(2), Some("10m"));
    let data = fetch_from_bucket(rows)
        .set_env_from_secret("BUCKET_TOKEN", &Secret::new("bucket-creds", "token"));
    let trained = fit_on_gpu(data.data, epochs)
        // The model file stays readable as it is, and outlives the run's scratch data.
        .set_output_archive("model", Archive::None)
        .set_output_gc("model", ArtifactGc::Never)
        .add_pvc_volume("checkpoints", "training-checkpoints", "/checkpoints")
        .add_memory_volume("shm", "/dev/shm", Some("8Gi"))
        .set_timeout("6h")
        .set_active_deadline(4 * 3600)
        // A node lost or an out-of-memory kill is worth another attempt; a bug (exit 4, the
        // component returned an error) is not.
        .set_retry_expression(RetryIf::errored() | RetryIf::exit_code().is(137));
    trained.output
}
