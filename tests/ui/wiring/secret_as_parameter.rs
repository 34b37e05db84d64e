use argot::prelude::*;

#[component]
fn login(token: String) -> Result<()> {
    let _ = token;
    Ok(())
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow() {
    // A secret is read by a task as an environment variable, never passed as a value.
    login(Secret::new("bucket-creds", "token"));
}

fn main() {}
