use argot::prelude::*;

#[component(name = "a", name = "b")]
fn prepare(rows: u32) -> Result<()> {
    let _ = rows;
    Ok(())
}

fn main() {}
