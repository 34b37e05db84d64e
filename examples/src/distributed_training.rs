//! Distributed training as a Kubernetes custom resource: a claim created by a resource step
//! (KFP's `VolumeOp`), a native step that stages the data on it, a Kubeflow `PyTorchJob`
//! launched by a second resource step and awaited until its master succeeds or fails, and a
//! native step that reads the job's name back. The claim's size and the number of workers
//! are pipeline parameters, placed in the two objects when the steps run
//! (`Pvc::size_from`, `ResourceStep::value_at`).
//!
//! ```text
//! cargo run -p argot-examples --bin distributed_training -- compile --image registry.example.com/distributed-training:0.1.0
//! ```
//!
//! It needs a cluster: `run` refuses it (A0056), since nothing on this machine can create a
//! claim or a `PyTorchJob`. On the cluster, the workflow's service account must be allowed
//! to create `persistentvolumeclaims` and `pytorchjobs.kubeflow.org` (and to get them, which
//! Argo's executor does while it waits), and the Kubeflow training operator must be
//! installed. Both objects are named `{{workflow.name}}-…`, so every run has its own, and
//! owned by the workflow, so deleting the run deletes them.

use argot::kubernetes::{Pvc, PyTorchJob};
use argot::prelude::*;
use k8s_openapi::api::core::v1::{PersistentVolumeClaimVolumeSource, Volume, VolumeMount};

/// The image the training pods run (public).
pub const TRAINING_IMAGE: &str = "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime";

/// Write `shards` data shards to the claim mounted as volume `data`.
#[component]
pub fn stage_data(#[default(8)] shards: u32) -> Result<()> {
    let dir = volume_path("data")?;
    for shard in 0..shards {
        let rows: Vec<String> = (0..100)
            .map(|i| ((i * 37 + shard) % 100).to_string())
            .collect();
        std::fs::write(dir.join(format!("shard-{shard:03}.csv")), rows.join("\n"))
            .with_context(|| format!("writing shard {shard}"))?;
    }
    Ok(())
}

/// Say which job trained on which claim.
#[component]
pub fn announce(job: String, claim: String) -> Result<String> {
    let line = format!("PyTorchJob {job} trained on claim {claim}");
    eprintln!("{line}");
    Ok(line)
}

/// The training job: a master and two workers (the pipeline places its own count), each mounting the data claim at `/data` and
/// asking for one GPU.
pub fn training_job(claim: &str) -> PyTorchJob {
    PyTorchJob::new(
        "train",
        TRAINING_IMAGE,
        &["torchrun", "/data/train.py", "--data", "/data"],
        2,
    )
    .edit_pods(|pod| {
        pod.volumes = Some(vec![Volume {
            name: "data".to_owned(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.to_owned(),
                read_only: Some(true),
            }),
            ..Volume::default()
        }]);
        for container in &mut pod.containers {
            container.volume_mounts = Some(vec![VolumeMount {
                name: "data".to_owned(),
                mount_path: "/data".to_owned(),
                read_only: Some(true),
                ..VolumeMount::default()
            }]);
        }
    })
}

/// A claim, the data staged on it, a PyTorchJob training from it, and the job's name.
// The image is a placeholder nobody publishes: build it from `examples/Dockerfile`
// (`--build-arg BIN=distributed_training`), push it, and pass `--image` to `compile`.
#[pipeline(image = "ghcr.io/argot-rs/distributed-training:0.1.0")]
pub fn distributed_training(
    #[default(8)] shards: Param<u32>,
    #[default("20Gi")] claim_size: Param<String>,
    #[default(2)] workers: Param<u32>,
) {
    let claim = Pvc::new("data", "20Gi")
        .size_from(claim_size)
        .access_modes(["ReadWriteMany"])
        .owned_by_workflow()
        .add();
    let staged = stage_data()
        .shards(shards)
        .add_pvc_volume("data", &claim.claim_name(), "/data")
        .after(&claim);
    let job = training_job(&claim.claim_name())
        .step("train")
        .value_at("/spec/pytorchReplicaSpecs/Worker/replicas", workers)
        .add()
        .after(&staged);
    announce(job.output("name"), claim.name());
}
