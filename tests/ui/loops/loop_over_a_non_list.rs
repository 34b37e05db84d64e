use argot::prelude::*;

#[component]
fn train(lr: f64) -> Result<f64> {
    Ok(lr)
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow(lr: Param<f64>) {
    let _ = for_each(lr, |item| {
        train(item);
    });
}

fn main() {}
