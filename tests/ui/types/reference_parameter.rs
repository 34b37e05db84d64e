use argot::prelude::*;

#[component]
fn greet(name: &str) -> Result<()> {
    let _ = name;
    Ok(())
}

fn main() {}
