use argot::prelude::*;

#[component]
fn prepare(data: Output<Dataset>) -> Result<()> {
    let _ = data;
    Ok(())
}

#[component]
fn report(rows: u32) -> Result<()> {
    let _ = rows;
    Ok(())
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow() {
    let prepared = prepare();
    when(prepared.data.eq(1), || {
        report(1);
    });
}

fn main() {}
