use argot::prelude::*;

#[pipeline(image = "ghcr.io/acme/x:1.0", service_acount = "ml-runner")]
fn flow() {}

fn main() {}
