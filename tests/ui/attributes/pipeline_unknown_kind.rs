use argot::prelude::*;

#[pipeline(image = "ghcr.io/acme/x:1.0", kind = "CronWorkflow")]
fn p() {}

#[pipeline(image = "ghcr.io/acme/x:1.0", schedule = "0 3 * * *", failed_jobs_history_limit = "one")]
fn q() {}

fn main() {}
