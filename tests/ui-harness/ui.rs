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
