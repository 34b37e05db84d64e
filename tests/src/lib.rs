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
