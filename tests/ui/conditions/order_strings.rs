use argot::prelude::*;

#[component]
fn name() -> Result<String> {
    Ok("a".into())
}

#[component]
fn greet(who: String) -> Result<()> {
    let _ = who;
    Ok(())
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow() {
    let n = name();
    when(n.output.gt("m"), || {
        greet(n.output);
    });
}

fn main() {}
