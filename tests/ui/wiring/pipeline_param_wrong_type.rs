use argot::prelude::*;

#[component]
fn train(rate: f64) -> Result<()> {
    let _ = rate;
    Ok(())
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow(rate: Param<String>) {
    train(rate);
}

fn main() {}
