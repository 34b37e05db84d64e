//! Workspace-level tests of argot. The library holds what several test files share: fixture
//! pipelines (valid and invalid), Argo's JSON schema with strict keys, and a YAML 1.1 reader.
//! The tests themselves are in `tests/`; macro UI cases in `ui/`; snapshots in `../golden/`.

pub mod argo_sim;
pub mod cli_output;
pub mod fixtures;
pub mod hygiene;
pub mod schema;
pub mod yaml11;

use argot::CompileOptions;

/// Compile options as the fixture binary uses them.
pub fn options(binary: &str) -> CompileOptions {
    CompileOptions {
        image: None,
        binary_path: argot::cli::default_binary_path(binary),
        ..CompileOptions::default()
    }
}

#[cfg(test)]
mod suite_budget {
    use std::path::Path;

    /// `cargo test` compiles and links each binary target once more in test mode (a full
    /// pipeline binary each) unless it says `test = false`; binaries without unit tests gain
    /// nothing from it. A new binary in one of these folders needs its `[[bin]]` entry.
    #[test]
    fn binaries_without_unit_tests_are_not_built_twice_by_cargo_test() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for crate_dir in ["examples", "tests", "runtime-client"] {
            let manifest = std::fs::read_to_string(root.join(crate_dir).join("Cargo.toml"))
                .expect("the crate's manifest");
            let bins = root.join(crate_dir).join("src/bin");
            let mut files: Vec<_> = std::fs::read_dir(&bins)
                .expect("the crate's src/bin")
                .map(|e| e.expect("a directory entry").path())
                .filter(|p| p.extension().is_some_and(|e| e == "rs"))
                .collect();
            files.sort();
            assert!(!files.is_empty(), "{}: no binaries", bins.display());
            for file in files {
                let source = std::fs::read_to_string(&file).expect("the binary's source");
                if source.contains("#[test]") {
                    continue;
                }
                let name = file.file_name().unwrap().to_string_lossy();
                let path_line = format!("path = \"src/bin/{name}\"");
                let declared = manifest
                    .split("[[bin]]")
                    .skip(1)
                    .map(|block| block.split("\n[").next().unwrap_or(block))
                    .find(|block| block.contains(&path_line));
                assert!(
                    declared.is_some_and(|block| block.contains("test = false")),
                    "{crate_dir}/Cargo.toml: give src/bin/{name} a [[bin]] entry with `test = false` \
                     (it has no unit tests; otherwise `cargo test` links it twice)"
                );
            }
        }
    }
}
