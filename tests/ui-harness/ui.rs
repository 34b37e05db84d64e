//! Macro misuse is a compile error pointing at the offending token: one mistake per file under
//! `tests/ui/<category>/` (variants of one mistake may share a file, as each file is one more
//! crate to build), each with its expected `.stderr` checked in. The `.stderr` files
//! depend on the rustc version (generated with 1.95.0); regenerate with
//! `TRYBUILD=overwrite cargo test -p argot-ui-tests --test ui` and review the diff.
//!
//! This test has a crate of its own (see its `Cargo.toml`): trybuild compiles every dependency
//! of the crate it runs in again, so that crate depends on `argot` alone.

#[test]
fn macro_misuse_is_a_spanned_compile_error() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*/*.rs");
}

/// trybuild compiles every dependency of this crate again, in a target folder of its own, for
/// every clean run of the suite: a dependency added here (a dev-dependency included) costs that
/// build, which is why this crate is not `argot-tests`. `argot` must stay without its default
/// features (no client, SQLite, kube or tokio), and `trybuild` is the only other entry.
#[test]
fn trybuild_rebuilds_nothing_beyond_argot() {
    let manifest = include_str!("Cargo.toml");
    let mut section = "";
    let mut dependencies = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
        } else if section.contains("dependencies")
            && let Some((name, spec)) = line.split_once('=')
            && !line.starts_with('#')
        {
            dependencies.push((section, name.trim(), spec.trim()));
        }
    }
    let names: Vec<&str> = dependencies.iter().map(|(_, name, _)| *name).collect();
    assert_eq!(
        names,
        ["argot", "trybuild.workspace"],
        "tests/ui-harness/Cargo.toml: keep this crate's dependencies to argot and trybuild \
         (put other test helpers in argot-tests): {dependencies:?}"
    );
    let (_, _, argot) = dependencies[0];
    assert!(
        argot.contains("default-features = false"),
        "tests/ui-harness/Cargo.toml: argot without its default features: {argot}"
    );
}
