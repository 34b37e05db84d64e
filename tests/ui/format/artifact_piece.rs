use argot::prelude::*;

#[component]
fn prepare(data: Output<Dataset>) -> Result<()> {
    let _ = data;
    Ok(())
}

#[component]
fn upload(to: String) -> Result<()> {
    let _ = to;
    Ok(())
}

#[pipeline(image = "example.com/p:1.0")]
fn p(items: Param<Vec<u32>>) {
    let prepared = prepare();
    // An artifact is a file, not text.
    upload(format_arg!("gs://b/{}", prepared.data));
    // A list has no single obvious text.
    upload(format_arg!("gs://b/{}", items));
}

fn main() {}
