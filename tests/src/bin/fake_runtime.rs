//! A stand-in for `docker`, so tests can run container components without a container engine
//! (`ARGOT_CONTAINER_RUNTIME=<this binary>`). It understands what the local runner calls:
//! `info`, `rm --force NAME`, and `run [--rm] [--name N] [--volume HOST:PATH[:ro]]…
//! [--entrypoint E] IMAGE ARGS…`. The "image" knows one command, `write PATH TEXT`: it writes
//! TEXT to PATH (mapped through the volumes), with `<<` and `>>` turned into `{{` and `}}`, so
//! a component can produce an output argot does not control, brace syntax included; and
//! `describe PATH VAR`: it writes the image it was run as and the value of environment variable
//! VAR (which the runner passes with `--env VAR`), separated by a space, to PATH, then
//! ` in DIR` when `--workdir DIR` was given; and `copy FROM TO`: it copies the file FROM to TO
//! (a volume's file to an output, say).
//!
//! With `ARGOT_FAKE_RUNTIME_ROOT=DIR`, a path outside every volume is in the container's own
//! filesystem, `DIR/<name>/<path>`; `cp NAME:PATH DEST` copies it out (failing with "No such
//! file" when the image did not write it) and `rm --force NAME` deletes it, as docker's do.

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("info") => {}
        Some("rm") => {
            if let (Some(root), Some(name)) = (container_root(), args.last()) {
                let _ = std::fs::remove_dir_all(root.join(name));
            }
        }
        Some("cp") => copy_out(&args[1], &args[2]),
        Some("run") => run(&args[1..]),
        other => {
            eprintln!("fake runtime: unsupported command {other:?}");
            std::process::exit(125);
        }
    }
}

fn container_root() -> Option<PathBuf> {
    std::env::var_os("ARGOT_FAKE_RUNTIME_ROOT").map(PathBuf::from)
}

/// `cp NAME:PATH DEST`: a file of the container's own filesystem, copied out.
fn copy_out(from: &str, to: &str) {
    let (name, path) = from.split_once(':').expect("NAME:PATH");
    let root = container_root().expect("ARGOT_FAKE_RUNTIME_ROOT is set");
    let source = root.join(name).join(path.trim_start_matches('/'));
    if let Err(e) = std::fs::copy(&source, to) {
        eprintln!("Error: No such file: {path} in container {name} ({e})");
        std::process::exit(1);
    }
}

fn run(args: &[String]) {
    let mut volumes: Vec<(String, String)> = Vec::new();
    let mut entrypoint = None;
    let mut name = String::new();
    let mut i = 0;
    let mut env: Vec<String> = Vec::new();
    let mut workdir = None;
    while i < args.len() {
        match args[i].as_str() {
            "--rm" => i += 1,
            "--name" => {
                name = args[i + 1].clone();
                i += 2;
            }
            "--volume" => {
                let spec = args[i + 1].trim_end_matches(":ro");
                let (host, inside) = spec.rsplit_once(':').expect("HOST:PATH");
                volumes.push((host.to_owned(), inside.to_owned()));
                i += 2;
            }
            "--env" => {
                env.push(args[i + 1].clone());
                i += 2;
            }
            "--entrypoint" => {
                entrypoint = Some(args[i + 1].clone());
                i += 2;
            }
            "--workdir" => {
                workdir = Some(args[i + 1].clone());
                i += 2;
            }
            _ => break,
        }
    }
    let image = args[i].clone();
    let mut argv: Vec<String> = entrypoint.into_iter().collect();
    argv.extend(args[i + 1..].iter().cloned());
    let map = |path: &str| -> PathBuf {
        for (host, inside) in &volumes {
            if let Some(rest) = path.strip_prefix(inside.as_str()) {
                return PathBuf::from(format!("{host}{rest}"));
            }
        }
        match container_root() {
            Some(root) => {
                let own = root.join(&name).join(path.trim_start_matches('/'));
                std::fs::create_dir_all(own.parent().unwrap()).unwrap();
                own
            }
            None => panic!("`{path}` is not in a volume"),
        }
    };
    match argv
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["write", path, text] => {
            let text = text.replace("<<", "{{").replace(">>", "}}");
            std::fs::write(map(path), text).expect("write the output");
        }
        ["copy", from, to] => {
            std::fs::copy(map(from), map(to)).expect("copy the file");
        }
        ["describe", path, var] => {
            // Only what `--env` passes is the container's.
            let value = if env.iter().any(|e| e == var) {
                std::env::var(var).unwrap_or_default()
            } else {
                String::new()
            };
            let within = workdir.map(|w| format!(" in {w}")).unwrap_or_default();
            std::fs::write(map(path), format!("{image} {value}{within}"))
                .expect("write the output");
        }
        other => {
            eprintln!("fake image: unsupported command {other:?}");
            std::process::exit(127);
        }
    }
}
