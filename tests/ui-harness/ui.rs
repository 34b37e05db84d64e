//! Macro misuse is a compile error pointing at the offending token: one mistake per file under
//! `tests/ui/<category>/` (variants of one mistake may share a file, as each file is one more
//! crate to build), each with its expected `.stderr` checked in. The `.stderr` files
//! depend on the rustc version (generated with 1.95.0); regenerate with
//! `TRYBUILD=overwrite cargo test -p argot-ui-tests --test ui` and review the diff.
//!
//! This test has a crate of its own (see its `Cargo.toml`): trybuild compiles every dependency
//! of the crate it runs in again, so that crate depends on `argot` alone.

/// Set in the child process that [`macro_misuse_is_a_spanned_compile_error`] runs trybuild in.
const CHILD_ENV: &str = "ARGOT_UI_TESTS_CHILD";

/// The flags trybuild 1.0.122 gives rustc when it checks the cases (`rustflags::toml` plus the
/// `--diagnostic-width=140` of `cargo::build_all_tests`), `\x1f`-separated as
/// `CARGO_ENCODED_RUSTFLAGS` wants them. trybuild first checks the dependencies alone
/// (`cargo::build_dependencies`) without the width flag, so the second run found every
/// dependency's fingerprint changed and checked them all again: on a clean clone, the UI test
/// built its dependencies twice. Cargo takes `CARGO_ENCODED_RUSTFLAGS` over the `--config`
/// flags trybuild passes, so with it set to these both runs use the same flags and the second
/// reuses the first's work. After upgrading trybuild, compare these with its sources.
const TRYBUILD_RUSTFLAGS: &str =
    "--cfg\x1ftrybuild\x1f--verbose\x1f-A\x1fdead_code\x1f--diagnostic-width=140";

#[test]
fn macro_misuse_is_a_spanned_compile_error() {
    let own_flags = ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS"]
        .iter()
        .any(|name| std::env::var_os(name).is_some());
    // A user's own flags (coverage, for one) are left to trybuild's own handling.
    if std::env::var_os(CHILD_ENV).is_none() && !own_flags {
        // Setting the variable needs a process of its own (`set_var` is `unsafe`): this test
        // runs itself again with it.
        let started = std::time::SystemTime::now();
        let status = std::process::Command::new(std::env::current_exe().expect("this test"))
            .args([
                "macro_misuse_is_a_spanned_compile_error",
                "--exact",
                "--nocapture",
            ])
            .env(CHILD_ENV, "1")
            .env("CARGO_ENCODED_RUSTFLAGS", TRYBUILD_RUSTFLAGS)
            .status()
            .expect("this test binary starts again");
        assert!(status.success(), "the macro UI cases failed (output above)");
        let flags = rustflags_used_since(started);
        assert!(
            flags.len() <= 1,
            "trybuild's two cargo runs compiled with different rustc flags, so the dependencies \
             were checked twice: compare TRYBUILD_RUSTFLAGS with the trybuild in Cargo.lock: \
             {flags:?}"
        );
        return;
    }
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

/// The different rustc flag lists cargo recorded for what it compiled into trybuild's target
/// folder since `started` (each unit's fingerprint, `.fingerprint/*/*.json`, keeps its
/// `"rustflags"`; host units such as proc macros get none under trybuild's `--target`). Two
/// lists mean the two cargo runs compiled the dependencies once each; on a warm run nothing is
/// recorded at all.
fn rustflags_used_since(started: std::time::SystemTime) -> std::collections::BTreeSet<String> {
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
        .join("tests/trybuild");
    let mut flags = std::collections::BTreeSet::new();
    let mut folders = vec![target];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let fresh = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified >= started);
            let in_fingerprints = folder
                .parent()
                .is_some_and(|p| p.file_name().is_some_and(|n| n == ".fingerprint"));
            if !fresh || !in_fingerprints || path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            // A flat list of strings: no JSON parser needed (and none wanted as a dependency).
            if let Some(list) = text
                .split_once("\"rustflags\":[")
                .and_then(|(_, rest)| rest.split_once(']'))
                .map(|(list, _)| list)
                && !list.is_empty()
            {
                flags.insert(list.to_owned());
            }
        }
    }
    flags
}

/// [`TRYBUILD_RUSTFLAGS`] copies what one trybuild version passes; another version may pass
/// other flags, which this override would then drop.
#[test]
fn the_rustflags_override_matches_the_locked_trybuild() {
    let lock = include_str!("../../Cargo.lock");
    assert!(
        lock.contains("name = \"trybuild\"\nversion = \"1.0.122\"\n"),
        "trybuild was upgraded: compare TRYBUILD_RUSTFLAGS in tests/ui-harness/ui.rs with its \
         rustflags::toml and cargo::build_all_tests, then update the version here"
    );
}
