use argot::prelude::*;

#[component]
fn train(lr: f64) -> Result<f64> {
    Ok(lr)
}

#[component]
fn count_all(values: Vec<u32>) -> Result<u32> {
    Ok(values.iter().sum())
}

#[component]
fn one(value: f64) -> Result<f64> {
    Ok(value)
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow(lrs: Param<Vec<f64>>) {
    let scores = for_each(lrs, |lr| train(lr).output).collected();
    count_all(scores);
    one(scores);
}

fn main() {}
