use argot::prelude::*;

#[component]
fn shard(name: String, rows: Output<Dataset>) -> Result<()> {
    std::fs::write(rows.path(), name)?;
    Ok(())
}

#[component]
fn merge_models(models: Input<Collection<Model>>) -> Result<()> {
    let _ = models;
    Ok(())
}

#[component]
fn one_dataset(rows: Input<Dataset>) -> Result<()> {
    let _ = rows;
    Ok(())
}

#[component]
fn merge_rows(rows: Input<Collection<Dataset>>) -> Result<()> {
    let _ = rows;
    Ok(())
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow(names: Param<Vec<String>>) {
    let rows = for_each(names, |name| shard(name).rows).collected();
    // A collection of data sets is not a collection of models, nor one data set.
    merge_models(rows);
    one_dataset(rows);
    // One data set is not a collection.
    let single = shard("x".to_owned());
    merge_rows(single.rows);
    // What a closure returns is a task's output, never a constant.
    let _ = for_each(names, |_| "x");
}

fn main() {}
