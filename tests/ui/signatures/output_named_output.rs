use argot::prelude::*;

#[component]
fn train(output: Output<Model>) -> Result<f64> {
    let _ = output;
    Ok(1.0)
}

fn main() {}
