use argot::prelude::*;

#[component]
fn train(model: Output<Model>) -> Result<()> {
    let _ = model;
    Ok(())
}

#[component]
fn summarize(data: Input<Dataset>) -> Result<()> {
    let _ = data;
    Ok(())
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow() {
    let trained = train();
    summarize(trained.model);
}

fn main() {}
