//! Reading what a CLI run printed, for the end-to-end tests of the local runner and its cache.

use std::process::Output;

use serde_json::Value;

/// The exit code; panics if the process was ended by a signal.
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

/// Standard output, lossily decoded.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Standard error, lossily decoded.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The run id from the summary's last line (`run <id> succeeded in …`).
pub fn run_id(out: &Output) -> String {
    stdout(out)
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("run "))
        .and_then(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no summary line in:\n{}{}", stdout(out), stderr(out)))
}

/// The task named `name` in `runs show --json` output.
pub fn task<'a>(details: &'a Value, name: &str) -> &'a Value {
    details["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no task {name} in {details:#}"))
}
