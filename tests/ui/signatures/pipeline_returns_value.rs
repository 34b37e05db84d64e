use argot::prelude::*;

#[component]
fn count(rows: u32) -> Result<u64> {
    Ok(u64::from(rows))
}

// A pipeline returns task outputs, not values.
#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow() -> u32 {
    1
}

// One name per returned output.
#[pipeline(outputs = ["rows", "again", "more"])]
fn named(rows: Param<u32>) -> (ParamRef<u64>, ParamRef<u64>) {
    let counted = count(rows);
    (counted.output, counted.output)
}

// Names Argo accepts.
#[pipeline(outputs = ["the rows"])]
fn spaced(rows: Param<u32>) -> ParamRef<u64> {
    count(rows).output
}

fn main() {}
