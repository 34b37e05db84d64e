//! One sub-pipeline, used twice: `prepare_region` fetches a region's readings and hands them to
//! `clean_and_score` (a sub-pipeline with an artifact input), which drops the bad ones and
//! scores what is left; both return the cleaned data set and its score. The
//! pipeline prepares two regions — the second one named by a task at run time — merges their
//! data and returns which region scored higher.
//!
//! ```text
//! cargo run -p argot-examples --bin nested_pipeline -- run
//! cargo run -p argot-examples --bin nested_pipeline -- run -p first=north -p rows=40
//! cargo run -p argot-examples --bin nested_pipeline -- compile --image registry.example.com/nested-pipeline:0.1.0
//! ```
//!
//! On Argo `prepare_region` is one DAG template, `prepare-region`, with the parameters
//! `region` and `rows` as its inputs and `data` and `score` as its outputs; each call is a
//! DAG task running it (`prepare-region`, `prepare-region-2`), and its tasks' nodes are named
//! after the call (`prepare-region.fetch`, `prepare-region.clean-and-score.clean`), as the
//! local run names them. `clean_and_score` receives the readings as an input artifact of its
//! template.

use argot::prelude::*;

/// The region to compare `first` with.
#[component]
pub fn neighbour(first: String) -> Result<String> {
    Ok(match first.as_str() {
        "north" => "south",
        "south" => "north",
        "east" => "west",
        _ => "east",
    }
    .to_owned())
}

/// `rows` readings for `region`, one per line; every seventh is a sensor fault (negative).
#[component]
pub fn fetch(region: String, rows: u32, readings: Output<Dataset>) -> Result<()> {
    let seed = region.bytes().map(u64::from).sum::<u64>();
    let lines: Vec<String> = (0..u64::from(rows))
        .map(|i| {
            let value = ((seed * 31 + i * 17) % 100) as i64;
            if i % 7 == 6 { -1 } else { value }.to_string()
        })
        .collect();
    std::fs::write(readings.path(), lines.join("\n")).context("writing the readings")?;
    Ok(())
}

/// Drop the faulty readings.
#[component]
pub fn clean(readings: Input<Dataset>, data: Output<Dataset>) -> Result<()> {
    let text = std::fs::read_to_string(readings.path()).context("reading the readings")?;
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| l.parse::<i64>().is_ok_and(|v| v >= 0))
        .collect();
    std::fs::write(data.path(), kept.join("\n")).context("writing the cleaned data")?;
    Ok(())
}

/// The mean reading.
#[component]
pub fn score(data: Input<Dataset>) -> Result<f64> {
    let text = std::fs::read_to_string(data.path()).context("reading the data")?;
    let values: Vec<f64> = text.lines().filter_map(|l| l.parse().ok()).collect();
    ensure!(!values.is_empty(), "no readings left to score");
    Ok(values.iter().sum::<f64>() / values.len() as f64)
}

/// Clean readings and score what is left: a sub-pipeline with an artifact input.
#[pipeline(outputs = ["data", "score"])]
pub fn clean_and_score(readings: Input<Dataset>) -> (ArtifactRef<Dataset>, ParamRef<f64>) {
    let cleaned = clean(readings);
    let scored = score(cleaned.data);
    (cleaned.data, scored.output)
}

/// Fetch a region's readings, then clean and score them (a call inside a call).
#[pipeline(outputs = ["data", "score"])]
pub fn prepare_region(
    region: Param<String>,
    rows: Param<u32>,
) -> (ArtifactRef<Dataset>, ParamRef<f64>) {
    let fetched = fetch(region, rows);
    clean_and_score(fetched.readings)
}

/// Put two data sets into one; returns how many readings it holds.
#[component]
pub fn merge(left: Input<Dataset>, right: Input<Dataset>, merged: Output<Dataset>) -> Result<u64> {
    let mut all = std::fs::read_to_string(left.path()).context("reading the left data")?;
    let right = std::fs::read_to_string(right.path()).context("reading the right data")?;
    if !all.is_empty() && !right.is_empty() {
        all.push('\n');
    }
    all.push_str(&right);
    std::fs::write(merged.path(), &all).context("writing the merged data")?;
    Ok(all.lines().count() as u64)
}

/// Which of the two regions scored higher, and by how much.
#[component]
pub fn compare(
    first: String,
    first_score: f64,
    second: String,
    second_score: f64,
) -> Result<String> {
    let (winner, margin) = if first_score >= second_score {
        (first, first_score - second_score)
    } else {
        (second, second_score - first_score)
    };
    let line = format!("{winner} by {margin:.2}");
    println!("{line}");
    Ok(line)
}

/// Prepare `first` and its neighbour with the same sub-pipeline, merge their data, and
/// return which scored higher.
#[pipeline(image = "ghcr.io/argot-rs/nested-pipeline:0.1.0")]
pub fn nested_pipeline(
    #[default("north")] first: Param<String>,
    #[default(30)] rows: Param<u32>,
) -> ParamRef<String> {
    let second = neighbour(first);
    let (first_data, first_score) = prepare_region(first, rows);
    let (second_data, second_score) = prepare_region(second.output, 20);
    merge(first_data, second_data);
    compare(first, first_score, second.output, second_score).output
}
