//! Memoized steps: `featurize` is expensive and depends only on its parameters, so the
//! cluster reuses its result (Argo `memoize`) for a day; `mean_feature` reads an artifact, whose
//! contents Argo's memoization key cannot see, so it is not memoized there.
//!
//! ```text
//! cargo run -p argot-examples --bin cached -- run          # featurize and mean-feature run
//! cargo run -p argot-examples --bin cached -- run          # both come from the local cache
//! cargo run -p argot-examples --bin cached -- compile --image registry.example.com/cached:0.1.0
//! ```
//!
//! On Argo `featurize`'s template has `memoize` with the config map `argot-memo` (it needs the
//! label `workflows.argoproj.io/configmap-type: Cache`, and the workflow's service account may
//! create and update config maps) and a key that is the SHA-256 of the component's code hash
//! and its input parameters. Locally the run's cache reuses both steps: its key also covers
//! input artifacts' contents, so `mean_feature` is reused only when its data did not change.

use argot::prelude::*;

/// Compute `rows` feature rows for `seed` (standing in for an hour of work).
#[component]
pub fn featurize(rows: u32, seed: u64, features: Output<Dataset>) -> Result<()> {
    let lines: Vec<String> = (0..u64::from(rows))
        .map(|i| ((i * 7919 + seed) % 1000).to_string())
        .collect();
    std::fs::write(features.path(), lines.join("\n")).context("writing the features")?;
    Ok(())
}

/// The mean feature.
#[component]
pub fn mean_feature(features: Input<Dataset>) -> Result<f64> {
    let text = std::fs::read_to_string(features.path()).context("reading the features")?;
    let values: Vec<f64> = text.lines().filter_map(|l| l.parse().ok()).collect();
    ensure!(!values.is_empty(), "no features");
    Ok(values.iter().sum::<f64>() / values.len() as f64)
}

/// Featurize once a day, take the mean every time.
#[pipeline(image = "ghcr.io/argot-rs/cached:0.1.0")]
pub fn cached(#[default(1000)] rows: Param<u32>, #[default(7)] seed: Param<u64>) -> ParamRef<f64> {
    let features = featurize(rows, seed).set_memoize("argot-memo", Some("24h"));
    mean_feature(features.features).output
}
