//! Reads YAML the way Argo and kubectl do — YAML 1.1 rules, where `yes`, `off`, `~`, `0x10`
//! or `012` are not strings unless quoted — using PyYAML, the reference YAML 1.1 parser.
//!
//! PyYAML is installed by `.ci/run`. Where it is missing the check is skipped with a notice,
//! except under CI (`CI` set), where a missing PyYAML is a failure.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Parses `yaml` with YAML 1.1 rules into JSON; `None` when PyYAML is unavailable outside CI.
pub fn parse(yaml: &str) -> Option<Value> {
    parse_all(&[yaml.to_owned()]).map(|mut docs| docs.remove(0))
}

fn unavailable(why: &str) -> Option<Value> {
    if std::env::var_os("CI").is_some() {
        panic!("the YAML 1.1 check cannot run under CI: {why}");
    }
    eprintln!("note: skipping the YAML 1.1 check: {why}");
    None
}

const LOAD_ALL: &str = "import sys, json, yaml\n\
print(json.dumps(list(yaml.safe_load_all(sys.stdin.read())), sort_keys=False))";

/// Parses several YAML documents in one PyYAML process (much faster than [`parse`] per
/// document); `None` when PyYAML is unavailable outside CI.
pub fn parse_all(documents: &[String]) -> Option<Vec<Value>> {
    let mut stream = String::new();
    for doc in documents {
        stream.push_str("---\n");
        stream.push_str(doc);
        if !doc.ends_with('\n') {
            stream.push('\n');
        }
    }
    let child = Command::new("python3")
        .args(["-c", LOAD_ALL])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            unavailable(&format!("python3 cannot be started: {e}"));
            return None;
        }
    };
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin.write_all(stream.as_bytes()));
    let out = child.wait_with_output().expect("python3 runs");
    writer
        .join()
        .expect("the writer thread does not panic")
        .expect("python3 reads its stdin");
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("No module named 'yaml'") {
            unavailable("PyYAML is not installed (pip install pyyaml)");
            return None;
        }
        panic!("PyYAML refused a manifest:\n{err}");
    }
    let docs: Vec<Value> = serde_json::from_slice(&out.stdout).expect("python3 printed JSON");
    assert_eq!(
        docs.len(),
        documents.len(),
        "PyYAML read a different number of documents"
    );
    Some(docs)
}
