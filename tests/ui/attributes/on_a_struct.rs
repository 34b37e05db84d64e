use argot::prelude::*;

#[component]
struct Prepare;

fn main() {}
