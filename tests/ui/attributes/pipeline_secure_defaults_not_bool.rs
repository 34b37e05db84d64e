use argot::prelude::*;

#[pipeline(image = "ghcr.io/acme/x:1.0", secure_defaults = "no")]
fn flow() {}

fn main() {}
