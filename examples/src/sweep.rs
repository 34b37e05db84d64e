//! A hyper-parameter sweep: train one model per point of a grid, at most two at a time, then
//! pick the best. The grid is a pipeline parameter (a list of structs), so it can change per
//! run without recompiling, and the manifest stays the same size however long it is.
//!
//! ```text
//! cargo run -p argot-examples --bin sweep -- run
//! cargo run -p argot-examples --bin sweep -- run -p 'grid=[{"lr":0.5,"depth":3}]'
//! cargo run -p argot-examples --bin sweep -- compile --image registry.example.com/sweep:0.1.0
//! ```
//!
//! On Argo the body is a DAG template run once per item (`withParam`), each `fit-point` reads
//! `{{item.lr}}` and `{{item.depth}}`, and `pick_best` reads the scores Argo aggregated over
//! the iterations (`{{tasks.loop-1.outputs.parameters.fit-point_output}}`), in grid order.

use argot::prelude::*;
use serde::{Deserialize, Serialize};

/// One point of the grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Learning rate.
    pub lr: f64,
    /// Tree depth.
    pub depth: u32,
}

/// The default grid: three points.
pub fn default_grid() -> Vec<Point> {
    vec![
        Point { lr: 0.1, depth: 3 },
        Point { lr: 0.3, depth: 5 },
        Point { lr: 0.9, depth: 2 },
    ]
}

/// A stand-in for training: a score that peaks at `lr = 0.3`, `depth = 5`, deterministic.
#[component]
pub fn fit_point(lr: f64, depth: u32) -> Result<f64> {
    let score = 1.0 - (lr - 0.3).abs() - (f64::from(depth) - 5.0).abs() / 10.0;
    println!("lr={lr} depth={depth} score={score:.3}");
    Ok((score * 1000.0).round() / 1000.0)
}

/// The index of the best score, and the score, as `"index:score"`.
#[component]
pub fn pick_best(scores: Vec<f64>) -> Result<String> {
    let (index, best) = scores
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .context("no iteration produced a score")?;
    println!("best: point {index} with {best}");
    Ok(format!("{index}:{best}"))
}

/// Train one model per grid point (two at a time), then pick the best.
#[pipeline(image = "ghcr.io/argot-rs/sweep:0.1.0")]
pub fn sweep(#[default(crate::sweep::default_grid())] grid: Param<Vec<crate::sweep::Point>>) {
    let scores = for_each(grid, |point| {
        fit_point(point.field::<f64>("lr"), point.field::<u32>("depth")).output
    })
    .parallelism(2);
    pick_best(scores);
}
