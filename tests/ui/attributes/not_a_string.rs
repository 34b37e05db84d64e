use argot::prelude::*;

#[pipeline(image = 5)]
fn flow() {}

fn main() {}
