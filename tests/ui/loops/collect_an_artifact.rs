use argot::prelude::*;

#[component]
fn shard(name: String, rows: Output<Dataset>) -> Result<()> {
    std::fs::write(rows.path(), name)?;
    Ok(())
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow(names: Param<Vec<String>>) {
    let _ = for_each(names, |name| shard(name).rows);
}

fn main() {}
