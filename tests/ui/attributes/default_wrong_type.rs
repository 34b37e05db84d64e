use argot::prelude::*;

#[component]
fn prepare(#[default("many")] rows: u32) -> Result<()> {
    let _ = rows;
    Ok(())
}

fn main() {}
