//! Macro misuse is a compile error pointing at the offending token: one mistake per file under
//! `tests/ui/<category>/` (variants of one mistake may share a file, as each file is one more
//! crate to build), each with its expected `.stderr` checked in. The `.stderr` files
//! depend on the rustc version (generated with 1.95.0); regenerate with
//! `TRYBUILD=overwrite cargo test -p argot-tests --test ui` and review the diff.

#[test]
fn macro_misuse_is_a_spanned_compile_error() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*/*.rs");
}
