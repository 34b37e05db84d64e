use argot::prelude::*;

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow() -> u32 {
    1
}

fn main() {}
