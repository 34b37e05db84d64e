//! Per-shard preprocessing: a task lists the shards at run time, a loop runs a two-task body
//! (clean, then count) once per shard, a task sums the counts and another merges the cleaned
//! shards, in shard order, into one data set.
//!
//! ```text
//! cargo run -p argot-examples --bin shards -- run -p shards=4
//! cargo run -p argot-examples --bin shards -- compile --image registry.example.com/shards:0.1.0
//! ```
//!
//! On Argo the loop is `withParam: {{tasks.list-shards.outputs.parameters.output}}`: the list
//! is known only once `list-shards` has run, so the manifest does not grow with it. Each
//! iteration saves its cleaned shard under a key prefix of the artifact repository, named after
//! its pod (`argot-collected/{{workflow.uid}}/…/{{pod.name}}`), and reports that name; `merge-shards`
//! downloads the prefix as a folder and reads the entries Argo aggregated, in shard order.

use argot::prelude::*;

/// The names of `shards` shards.
#[component]
pub fn list_shards(shards: u32) -> Result<Vec<String>> {
    Ok((0..shards).map(|i| format!("shard-{i:02}")).collect())
}

/// "Cleans" a shard: writes its rows (one per character of its name) to a data set.
#[component]
pub fn clean_shard(shard: String, rows: Output<Dataset>) -> Result<()> {
    let text: String = shard.chars().map(|c| format!("{c}\n")).collect();
    std::fs::write(rows.path(), text)?;
    Ok(())
}

/// Counts the rows of a cleaned shard.
#[component]
pub fn count(rows: Input<Dataset>) -> Result<u64> {
    Ok(std::fs::read_to_string(rows.path())?.lines().count() as u64)
}

/// Concatenates the cleaned shards, in shard order, into one data set.
#[component]
pub fn merge_shards(shards: Input<Collection<Dataset>>, merged: Output<Dataset>) -> Result<()> {
    let mut all = String::new();
    for shard in shards.paths() {
        all.push_str(&std::fs::read_to_string(shard)?);
    }
    println!("{} shards merged", shards.paths().len());
    std::fs::write(merged.path(), all)?;
    Ok(())
}

/// Sums the counts.
#[component]
pub fn total(counts: Vec<u64>) -> Result<u64> {
    let sum = counts.iter().sum();
    println!("{} shards, {sum} rows", counts.len());
    Ok(sum)
}

/// List the shards, clean and count each, sum the counts and merge the cleaned shards.
#[pipeline(image = "ghcr.io/argot-rs/shards:0.1.0")]
pub fn shards(#[default(3)] shards: Param<u32>) {
    let listed = list_shards(shards);
    let (counts, cleaned) = for_each(listed.output, |shard| {
        let cleaned = clean_shard(shard);
        (count(cleaned.rows).output, cleaned.rows)
    })
    .collected();
    total(counts);
    merge_shards(cleaned);
}
