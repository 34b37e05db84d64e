use argot::prelude::*;

// `settings` names a function from settings to settings.
fn gpu(rows: u32) -> u32 {
    rows
}

#[component(settings = gpu)]
fn train(rows: u32) -> Result<f64> {
    Ok(f64::from(rows))
}

// A path, not a string.
#[component(settings = "gpu")]
fn score(rows: u32) -> Result<f64> {
    Ok(f64::from(rows))
}

fn main() {}
