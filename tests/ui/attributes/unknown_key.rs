use argot::prelude::*;

#[component(nmae = "prep")]
fn prepare(rows: u32) -> Result<()> {
    let _ = rows;
    Ok(())
}

fn main() {}
