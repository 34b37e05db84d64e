use argot::prelude::*;

#[pipeline(image = "ghcr.io/acme/x:1.0", image_pull_secrets = ["regcred", 7])]
fn flow() {}

fn main() {}
