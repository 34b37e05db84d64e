use argot::prelude::*;

struct Config {
    depth: u32,
}

#[component]
fn train(config: Config) -> Result<()> {
    let _ = config.depth;
    Ok(())
}

fn main() {}
