//! `format_arg!("gs://{}/model-{}", bucket, trained.version)`: a typed formatted string.
//!
//! The literal is split at its `{}` placeholders here, at compile time, so a count that does
//! not match, or a placeholder other than `{}`, is an error on the literal; each piece is
//! passed through `FormatPiece`, spanned at the piece, so an artifact or a type `format!` does
//! not show plainly is an error on that piece.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, LitStr, Token};

struct Input {
    template: LitStr,
    pieces: Vec<Expr>,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let template: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a string literal: `format_arg!(\"gs://{}/model\", value)`",
            )
        })?;
        let pieces = if input.is_empty() {
            Vec::new()
        } else {
            input.parse::<Token![,]>()?;
            Punctuated::<Expr, Token![,]>::parse_terminated(input)?
                .into_iter()
                .collect()
        };
        Ok(Input { template, pieces })
    }
}

/// The literal text between placeholders: `n + 1` segments for `n` placeholders.
fn segments(template: &LitStr) -> syn::Result<Vec<String>> {
    let text = template.value();
    let mut segments = vec![String::new()];
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('{', Some('{')) | ('}', Some('}')) => {
                chars.next();
                segments.last_mut().expect("never empty").push(c);
            }
            ('{', Some('}')) => {
                chars.next();
                segments.push(String::new());
            }
            ('{', _) => {
                return Err(syn::Error::new(
                    template.span(),
                    "only `{}` placeholders are supported (no names, positions or format specs); write `{{` for a literal `{`",
                ));
            }
            ('}', _) => {
                return Err(syn::Error::new(
                    template.span(),
                    "unmatched `}` in the format string; write `}}` for a literal `}`",
                ));
            }
            (c, _) => segments.last_mut().expect("never empty").push(c),
        }
    }
    Ok(segments)
}

/// Expands `format_arg!(…)`.
pub fn format_arg(input: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.into_compile_error(),
    };
    let segments = match segments(&input.template) {
        Ok(s) => s,
        Err(e) => return e.into_compile_error(),
    };
    let placeholders = segments.len() - 1;
    if placeholders != input.pieces.len() {
        let span = input
            .pieces
            .get(placeholders)
            .map_or(input.template.span(), Spanned::span);
        return syn::Error::new(
            span,
            format!(
                "the format string has {placeholders} `{{}}` placeholder(s) but {} value(s) follow; pass one value per `{{}}`",
                input.pieces.len()
            ),
        )
        .into_compile_error();
    }
    let p = quote!(::argot::__private);
    let mut parts = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        if !segment.is_empty() {
            let lit = LitStr::new(segment, Span::call_site());
            parts.push(quote!(#p::FormatBound::Text(::std::string::String::from(#lit))));
        }
        if let Some(piece) = input.pieces.get(i) {
            parts.push(quote_spanned! {piece.span()=> #p::FormatPiece::__piece(#piece) });
        }
    }
    quote! {
        #p::Formatted::__new(::std::vec![#(#parts),*])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> syn::Result<Vec<String>> {
        segments(&LitStr::new(s, Span::call_site()))
    }

    #[test]
    fn splits_at_placeholders_and_unescapes_braces() {
        assert_eq!(split("gs://{}/m-{}").unwrap(), ["gs://", "/m-", ""]);
        assert_eq!(split("{{x}}{}").unwrap(), ["{x}", ""]);
        assert_eq!(split("plain").unwrap(), ["plain"]);
        for bad in ["{name}", "{0}", "{:?}", "a}b", "{"] {
            assert!(split(bad).is_err(), "{bad}");
        }
    }
}
