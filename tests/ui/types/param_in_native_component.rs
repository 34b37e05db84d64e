use argot::prelude::*;

#[component]
fn train(rate: Param<f64>) -> Result<()> {
    let _ = rate;
    Ok(())
}

fn main() {}
