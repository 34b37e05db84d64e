//! The pipeline crate `cargo argot new NAME` writes: `Cargo.toml`, `src/main.rs`, a
//! Dockerfile, `.dockerignore` and `.gitignore`.

use std::path::{Path, PathBuf};

use super::image;

/// The components the starter defines: a crate named like one would define the pipeline
/// function twice in one module.
const COMPONENT_NAMES: [&str; 2] = ["make_numbers", "add_up"];

/// Words a pipeline function cannot be called (Rust keywords, and `main`, which the starter
/// defines).
const RESERVED: &[&str] = &[
    "main", "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
    "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "argot", "test", "core",
    "std", "alloc",
];

/// Where the starter takes `argot-pipelines` from.
#[derive(Debug, Clone)]
pub enum ArgotSource {
    /// crates.io, at this version requirement (`"0.1"`).
    Registry(String),
    /// A local checkout: the path of its `compiler/` folder (the `argot-pipelines` package).
    Path(PathBuf),
}

/// Why a starter cannot be made; each says what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum StarterError {
    /// The name is not one a package, a binary and a pipeline function can all have.
    #[error(
        "`{0}` cannot name a pipeline crate: use lowercase letters, digits, `-` and `_`, starting with a letter (for example `my-pipeline`)"
    )]
    BadName(String),
    /// The name would clash with something the starter defines, or with a Rust keyword.
    #[error(
        "`{0}` is reserved in the starter (a Rust keyword or one of its own functions): choose another name, for example `{0}-pipeline`"
    )]
    Reserved(String),
    /// The target folder exists.
    #[error("`{}` already exists: remove it or choose another name or --path", .0.display())]
    Exists(PathBuf),
    /// The path of the local checkout cannot be written into a manifest.
    #[error("--argot-path {} is not valid UTF-8: give a path cargo can read", .0.display())]
    BadPath(PathBuf),
    /// Writing the files failed; nothing was left behind.
    #[error("cannot write the starter into `{}`: {source}", path.display())]
    Io {
        /// The folder that was being made.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Checks `name` and returns the pipeline function's name (`-` becomes `_`).
pub fn pipeline_fn_name(name: &str) -> Result<String, StarterError> {
    let mut chars = name.chars();
    let starts_well = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok =
        chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !starts_well || !rest_ok || name.len() > 63 {
        return Err(StarterError::BadName(name.to_owned()));
    }
    let function = name.replace('-', "_");
    if RESERVED.contains(&function.as_str()) || COMPONENT_NAMES.contains(&function.as_str()) {
        return Err(StarterError::Reserved(name.to_owned()));
    }
    Ok(function)
}

/// The starter's `Cargo.toml`.
pub fn cargo_toml(name: &str, argot: &ArgotSource) -> Result<String, StarterError> {
    let dependency = match argot {
        ArgotSource::Registry(version) => {
            format!("argot-pipelines = {}", toml_string(version))
        }
        ArgotSource::Path(path) => {
            let text = path
                .to_str()
                .ok_or_else(|| StarterError::BadPath(path.clone()))?;
            format!("argot-pipelines = {{ path = {} }}", toml_string(text))
        }
    };
    Ok(format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
# The package `argot-pipelines` is the library `argot` (`use argot::prelude::*`): `argot` on
# crates.io is another project. Compiling and running locally need nothing more; add
# `features = ["cluster"]` for `submit`, `watch`, `logs`… against a Kubernetes cluster.
{dependency}

# Dependencies without debug info: a faster first build and a smaller target/ (your own code
# keeps its debug info).
[profile.dev.package."*"]
debug = false
"#
    ))
}

/// The starter's `src/main.rs`: two components passing an artifact and a parameter, the
/// pipeline, and `main`.
pub fn main_rs(name: &str) -> Result<String, StarterError> {
    let function = pipeline_fn_name(name)?;
    Ok(format!(
        r#"//! `{name}`: a pipeline written with argot.
//!
//! ```text
//! cargo run -- run                      # run it on this machine, as Argo would
//! cargo run -- run -p count=100
//! cargo run -- compile                  # the Argo Workflow manifest (YAML)
//! cargo run -- compile --format mermaid # a picture of the graph
//! ```

use argot::prelude::*;

/// Write the numbers from 1 to `count`, one a line.
#[component]
pub fn make_numbers(count: u32, numbers: Output<Dataset>) -> Result<()> {{
    ensure!(count > 0, "count must be at least 1");
    let lines: Vec<String> = (1..=count).map(|n| n.to_string()).collect();
    std::fs::write(numbers.path(), lines.join("\n")).context("writing the numbers")?;
    Ok(())
}}

/// Add up the numbers; the sum is the task's output parameter `output`.
#[component]
pub fn add_up(numbers: Input<Dataset>) -> Result<u64> {{
    let text = std::fs::read_to_string(numbers.path()).context("reading the numbers")?;
    let mut sum = 0u64;
    for line in text.lines() {{
        let number: u64 = line.trim().parse().context("a line is not a number")?;
        sum += number;
    }}
    println!("the sum is {{sum}}");
    Ok(sum)
}}

/// Make the numbers, then add them up: the data set flows as an artifact.
// Build and push the image with the Dockerfile next to this crate, then pass `--image` to
// `compile` (the name below is a placeholder).
#[pipeline(image = "registry.example.com/{name}:0.1.0")]
pub fn {function}(#[default(10)] count: Param<u32>) {{
    let made = make_numbers(count);
    add_up(made.numbers);
}}

fn main() {{
    argot::main!({function})
}}
"#
    ))
}

/// Every file of the starter, as (path in the crate, contents), in a fixed order.
pub fn files(name: &str, argot: &ArgotSource) -> Result<Vec<(&'static str, String)>, StarterError> {
    // The Dockerfile takes the name as a package and a binary name: checked here first.
    pipeline_fn_name(name)?;
    Ok(vec![
        ("Cargo.toml", cargo_toml(name, argot)?),
        ("src/main.rs", main_rs(name)?),
        ("Dockerfile", image::dockerfile(name, name)),
        (".dockerignore", image::DOCKERIGNORE.to_owned()),
        (".gitignore", "/target\n/.argot\n".to_owned()),
    ])
}

/// Writes the starter into `dir`, which must not exist: the files go into a private folder
/// next to it that is renamed into place at the end, so a failure leaves nothing behind.
pub fn write(dir: &Path, name: &str, argot: &ArgotSource) -> Result<(), StarterError> {
    let files = files(name, argot)?;
    if dir.symlink_metadata().is_ok() {
        return Err(StarterError::Exists(dir.to_owned()));
    }
    let io = |source| StarterError::Io {
        path: dir.to_owned(),
        source,
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let scratch = tempfile::Builder::new()
        .prefix(".argot-new-")
        .tempdir_in(parent)
        .map_err(io)?;
    for (relative, contents) in &files {
        let path = scratch.path().join(relative);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(io)?;
        }
        std::fs::write(&path, contents).map_err(io)?;
    }
    // tempdir makes its folder 0700; a crate folder gets the umask's usual mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755))
            .map_err(io)?;
    }
    let kept = scratch.keep();
    std::fs::rename(&kept, dir).map_err(|source| {
        let _ = std::fs::remove_dir_all(&kept);
        io(source)
    })
}

/// A TOML basic string: JSON's escapes are a subset of TOML's.
fn toml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_pipeline_functions_or_are_refused_with_a_reason() {
        assert_eq!(pipeline_fn_name("my-pipeline").unwrap(), "my_pipeline");
        assert!(matches!(
            pipeline_fn_name("My"),
            Err(StarterError::BadName(_))
        ));
        assert!(matches!(
            pipeline_fn_name("9x"),
            Err(StarterError::BadName(_))
        ));
        assert!(matches!(
            pipeline_fn_name("a b"),
            Err(StarterError::BadName(_))
        ));
        assert!(matches!(
            pipeline_fn_name("add-up"),
            Err(StarterError::Reserved(_))
        ));
        assert!(matches!(
            pipeline_fn_name("match"),
            Err(StarterError::Reserved(_))
        ));
    }

    #[test]
    fn a_path_dependency_is_written_as_a_toml_string() {
        let toml = cargo_toml("x", &ArgotSource::Path(PathBuf::from("/a \"b\"\\c"))).unwrap();
        assert!(
            toml.contains(r#"argot-pipelines = { path = "/a \"b\"\\c" }"#),
            "{toml}"
        );
    }

    #[test]
    fn an_existing_folder_is_left_alone() {
        let scratch = tempfile::tempdir().unwrap();
        let err = write(scratch.path(), "demo", &ArgotSource::Registry("0.1".into())).unwrap_err();
        assert!(matches!(err, StarterError::Exists(_)), "{err}");
        assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_refused_name_writes_nothing() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().join("Bad Name");
        assert!(write(&dir, "Bad Name", &ArgotSource::Registry("0.1".into())).is_err());
        assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0);
    }
}
