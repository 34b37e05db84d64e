use argot::prelude::*;

#[pipeline(imag = "ghcr.io/acme/x:1")]
fn flow() {}

fn main() {}
