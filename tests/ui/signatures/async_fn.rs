use argot::prelude::*;

#[component]
async fn prepare(rows: u32) -> Result<()> {
    let _ = rows;
    Ok(())
}

fn main() {}
