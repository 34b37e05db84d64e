use argot::prelude::*;

#[component]
fn train(rows: u32) -> Result<f64> {
    Ok(f64::from(rows))
}

#[component]
fn deploy(accuracy: f64) -> Result<()> {
    let _ = accuracy;
    Ok(())
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow() {
    let trained = train(10);
    when(trained.output.gt("high"), || {
        deploy(trained.output);
    });
}

fn main() {}
