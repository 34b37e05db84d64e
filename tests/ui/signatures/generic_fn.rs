use argot::prelude::*;

#[component]
fn prepare<T: Clone>(rows: u32) -> Result<()> {
    let _ = rows;
    Ok(())
}

fn main() {}
