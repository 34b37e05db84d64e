use argot::prelude::*;

#[component]
fn train(rows: u32, #[default(0.5)] learning_rate: f64) -> Result<()> {
    let _ = (rows, learning_rate);
    Ok(())
}

#[pipeline(image = "example.com/p:1.0")]
fn p(rate: Param<f64>) {
    // An input with a default is set by name, not by position.
    train(10, rate);
    // Its method takes what a positional `f64` input takes, and nothing else.
    train(10).learning_rate("fast");
}

fn main() {}
