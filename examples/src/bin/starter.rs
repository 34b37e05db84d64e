//! `starter`: a pipeline written with argot.
//!
//! ```text
//! cargo run -- run                      # run it on this machine, as Argo would
//! cargo run -- run -p count=100
//! cargo run -- compile                  # the Argo Workflow manifest (YAML)
//! cargo run -- compile --format mermaid # a picture of the graph
//! ```

use argot::prelude::*;

/// Write the numbers from 1 to `count`, one a line.
#[component]
pub fn make_numbers(count: u32, numbers: Output<Dataset>) -> Result<()> {
    ensure!(count > 0, "count must be at least 1");
    let lines: Vec<String> = (1..=count).map(|n| n.to_string()).collect();
    std::fs::write(numbers.path(), lines.join("\n")).context("writing the numbers")?;
    Ok(())
}

/// Add up the numbers; the sum is the task's output parameter `output`.
#[component]
pub fn add_up(numbers: Input<Dataset>) -> Result<u64> {
    let text = std::fs::read_to_string(numbers.path()).context("reading the numbers")?;
    let mut sum = 0u64;
    for line in text.lines() {
        let number: u64 = line.trim().parse().context("a line is not a number")?;
        sum += number;
    }
    println!("the sum is {sum}");
    Ok(sum)
}

/// Make the numbers, then add them up: the data set flows as an artifact.
// Build and push the image with the Dockerfile next to this crate, then pass `--image` to
// `compile` (the name below is a placeholder).
#[pipeline(image = "registry.example.com/starter:0.1.0")]
pub fn starter(#[default(10)] count: Param<u32>) {
    let made = make_numbers(count);
    add_up(made.numbers);
}

fn main() {
    argot::main!(starter)
}
