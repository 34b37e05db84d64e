use argot::prelude::*;

#[component]
fn name() -> Result<String> {
    Ok("x".into())
}

#[component]
fn count(n: i64) -> Result<()> {
    let _ = n;
    Ok(())
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow() {
    let named = name();
    count(named.output);
}

fn main() {}
