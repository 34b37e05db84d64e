//! The code identity of a component: a SHA-256 of its function's tokens as written, which the
//! local runner's cache keys on (as KFP keys a component on its own code, not on the whole
//! program).
//!
//! The hash is taken over a canonical rendering of the token tree rather than
//! `TokenStream::to_string`, whose spacing is rustc's pretty-printer and has changed between
//! compiler versions: a toolchain upgrade must not invalidate every cache entry or IR golden.
//! Comments and whitespace are not tokens, so they do not count; doc comments do.

use std::fmt::Write;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use sha2::{Digest, Sha256};

/// Hex SHA-256 of the canonical rendering of `tokens`.
pub fn of(tokens: &TokenStream) -> String {
    let mut canonical = String::new();
    render(tokens, &mut canonical);
    Sha256::digest(canonical.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// One token per line, tagged by kind, so no two different trees render alike.
fn render(tokens: &TokenStream, out: &mut String) {
    for token in tokens.clone() {
        match token {
            TokenTree::Ident(ident) => {
                let _ = writeln!(out, "i {ident}");
            }
            TokenTree::Punct(punct) => {
                let joint = if punct.spacing() == Spacing::Joint {
                    "j"
                } else {
                    "a"
                };
                let _ = writeln!(out, "p {}{joint}", punct.as_char());
            }
            // A literal's text is its source spelling (escapes, suffix), which rustc keeps.
            TokenTree::Literal(literal) => {
                let text = literal.to_string();
                let _ = writeln!(out, "l {} {text}", text.len());
            }
            TokenTree::Group(group) => {
                let open = match group.delimiter() {
                    Delimiter::Parenthesis => "(",
                    Delimiter::Brace => "{",
                    Delimiter::Bracket => "[",
                    Delimiter::None => "0",
                };
                let _ = writeln!(out, "g {open}");
                render(&group.stream(), out);
                out.push_str("e\n");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn layout_and_comments_do_not_count_but_code_does() {
        let a: TokenStream = "fn f(x: u32) -> u32 { x + 1 }".parse().unwrap();
        let b: TokenStream = "fn f(x:u32)->u32{\n    // one more\n    x+1\n}"
            .parse()
            .unwrap();
        assert_eq!(of(&a), of(&b));
        assert_eq!(of(&a).len(), 64);
        for changed in [
            quote!(
                fn f(x: u32) -> u32 {
                    x + 2
                }
            ),
            quote!(
                fn f(x: u64) -> u32 {
                    x + 1
                }
            ),
            quote!(
                fn f(x: u32) -> u32 {
                    (x + 1)
                }
            ),
            quote!(
                fn f(x: u32) -> u32 {
                    x += 1
                }
            ),
            quote!(
                fn f(x: u32) -> u32 {
                    "x + 1"
                }
            ),
        ] {
            assert_ne!(of(&a), of(&changed), "{changed}");
        }
        // `+=` is one joint operator; `+ =` two: different tokens, different hashes.
        let joint: TokenStream = "x += 1".parse().unwrap();
        let apart: TokenStream = "x + = 1".parse().unwrap();
        assert_ne!(of(&joint), of(&apart));
    }
}
