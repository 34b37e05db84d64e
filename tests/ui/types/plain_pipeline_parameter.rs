use argot::prelude::*;

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow(rows: u32) {
    let _ = rows;
}

fn main() {}
