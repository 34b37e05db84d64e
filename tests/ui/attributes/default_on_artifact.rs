use argot::prelude::*;

#[component]
fn train(#[default(1)] data: Input<Dataset>) -> Result<()> {
    let _ = data;
    Ok(())
}

fn main() {}
