use argot::prelude::*;

#[container_component]
fn list(path: Param<String>) -> String {
    let _ = path;
    String::new()
}

fn main() {}
