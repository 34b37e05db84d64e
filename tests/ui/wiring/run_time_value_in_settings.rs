use argot::prelude::*;

#[component]
fn fetch(url: String) -> Result<()> {
    let _ = url;
    Ok(())
}

#[pipeline(image = "ghcr.io/acme/x:1")]
fn flow(tag: Param<String>) {
    // The defaults hold for every task, so they take text only: a run-time value is a task's.
    task_defaults().set_env_variable("TAG", tag);
    // So does an output's key: one holding a run-time value is a task's.
    task_defaults().set_output_key("model", OutputKey::new("models/").value(tag));
    // A secret's value never goes into a setting's text.
    fetch("https://example.com").set_env_variable("TOKEN", Secret::new("bucket-creds", "token"));
}

fn main() {}
