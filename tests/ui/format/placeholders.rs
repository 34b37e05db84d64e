use argot::prelude::*;

#[component]
fn upload(to: String) -> Result<()> {
    let _ = to;
    Ok(())
}

#[pipeline(image = "example.com/p:1.0")]
fn p(bucket: Param<String>) {
    // One value per `{}`.
    upload(format_arg!("gs://{}/{}", bucket));
    upload(format_arg!("gs://{}", bucket, bucket));
    // Only `{}`.
    upload(format_arg!("gs://{bucket}"));
    // Only a `String` input takes a formatted string.
    count(format_arg!("{}", bucket));
}

#[component]
fn count(n: u32) -> Result<()> {
    let _ = n;
    Ok(())
}

fn main() {}
