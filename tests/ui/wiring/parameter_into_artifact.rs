use argot::prelude::*;

#[component]
fn train(data: Input<Dataset>) -> Result<()> {
    let _ = data;
    Ok(())
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow(rows: Param<u32>) {
    train(rows);
}

fn main() {}
