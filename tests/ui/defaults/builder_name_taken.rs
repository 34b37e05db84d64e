use argot::prelude::*;

// An input with a default is set with a method of its name on the task; `name` is taken.
#[component]
fn train(rows: u32, #[default(1)] name: u32) -> Result<()> {
    let _ = (rows, name);
    Ok(())
}

fn main() {}
