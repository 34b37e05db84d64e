use argot::prelude::*;

#[component]
fn prepare((a, b): (u32, u32)) -> Result<()> {
    let _ = (a, b);
    Ok(())
}

fn main() {}
