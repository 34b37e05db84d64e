use argot::prelude::*;

#[pipeline(image = "ghcr.io/acme/x:1.0", ttl = 1.5)]
fn flow() {}

fn main() {}
