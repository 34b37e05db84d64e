use argot::prelude::*;

#[component]
fn train(lr: f64) -> Result<f64> {
    Ok(lr)
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow(lrs: Param<Vec<f64>>) {
    let mut escaped = None;
    let _ = for_each(lrs, |lr| {
        escaped = Some(lr);
        train(lr);
    });
    train(escaped.unwrap());
}

fn main() {}
