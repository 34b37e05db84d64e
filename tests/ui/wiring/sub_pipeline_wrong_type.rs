use argot::prelude::*;

#[component]
fn score(rows: u32) -> Result<f64> {
    Ok(f64::from(rows))
}

#[component]
fn label(text: String) -> Result<String> {
    Ok(text)
}

/// A sub-pipeline whose parameter is a string.
#[pipeline]
fn tag(text: Param<String>) -> ParamRef<String> {
    label(text).output
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow() {
    let scored = score(10);
    // A float where the sub-pipeline takes a string.
    tag(scored.output);
    // What a sub-pipeline returns is typed too.
    let tagged = tag("x");
    score(tagged);
}

fn main() {}
