use argot::prelude::*;

#[pipeline(image = "ghcr.io/acme/x:1.0", run_as_user = -1)]
fn flow() {}

fn main() {}
