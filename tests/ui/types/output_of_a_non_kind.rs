use argot::prelude::*;

#[component]
fn train(model: Output<String>) -> Result<()> {
    let _ = model;
    Ok(())
}

fn main() {}
