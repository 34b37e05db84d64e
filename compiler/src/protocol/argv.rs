//! What reaches a container's command line, and what rewrites it on the way.
//!
//! Argo substitutes `{{inputs.parameters.NAME}}` in a template's `command` and `args` with the
//! parameter's value; the kubelet then expands `$(VAR)` references and `$$` escapes in them
//! (Kubernetes `third_party/forked/golang/expansion/expand.go`). argot escapes `$` in the text
//! it writes itself ([`escape`]), so that text arrives unchanged. Values argot encodes contain
//! no `$` and no `{` ([`crate::value`]); native components receive theirs in files, container
//! components in argv, where a value argot did not encode (an IR built by hand) is checked
//! ([`survives_expansion`]).

use std::borrow::Cow;

use super::{input_artifact_path, native_args, output_artifact_path, output_parameter_path};
use crate::ir::{ComponentSpec, Implementation, Piece};

/// One piece of one argv element of a component's container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgPiece<'a> {
    /// Text argot writes into the manifest (escaped with [`escape`]).
    Text(Cow<'a, str>),
    /// The value of input parameter `name`, inserted by Argo.
    Value(&'a str),
}

/// The argv (command, then arguments) of `spec`'s container, as pieces; `binary_path` is the
/// pipeline binary native components run. A native component's argv holds no values: they
/// travel in files (see [`super`]).
pub fn argv<'a>(spec: &'a ComponentSpec, binary_path: &'a str) -> Vec<Vec<ArgPiece<'a>>> {
    match &spec.implementation {
        Implementation::Native => {
            let mut out = vec![vec![ArgPiece::Text(Cow::Borrowed(binary_path))]];
            out.extend(
                native_args(spec)
                    .into_iter()
                    .map(|arg| vec![ArgPiece::Text(Cow::Owned(arg))]),
            );
            out
        }
        // Argo runs its own executor for a resource step: no command of ours.
        Implementation::Resource(_) => Vec::new(),
        Implementation::Container(c) => c
            .command
            .iter()
            .chain(&c.args)
            .map(|arg| {
                arg.0
                    .iter()
                    .map(|piece| match piece {
                        Piece::Literal(s) => ArgPiece::Text(Cow::Borrowed(s.as_str())),
                        Piece::InputValue(name) => ArgPiece::Value(name),
                        Piece::InputPath(name) => {
                            ArgPiece::Text(Cow::Owned(input_artifact_path(name)))
                        }
                        Piece::OutputPath(name) => {
                            ArgPiece::Text(Cow::Owned(output_artifact_path(name)))
                        }
                        Piece::OutputParamPath(name) => {
                            ArgPiece::Text(Cow::Owned(output_parameter_path(name)))
                        }
                    })
                    .collect()
            })
            .collect(),
    }
}

/// The names of `spec`'s parameter inputs whose values reach its command line: none for a
/// native component (its values travel in files), the placeholders of a container component.
pub fn inputs_on_command_line(spec: &ComponentSpec) -> Vec<&str> {
    match &spec.implementation {
        Implementation::Native | Implementation::Resource(_) => Vec::new(),
        Implementation::Container(c) => {
            let mut names: Vec<&str> = c
                .command
                .iter()
                .chain(&c.args)
                .flat_map(|a| &a.0)
                .filter_map(|p| match p {
                    Piece::InputValue(n) => Some(n.as_str()),
                    _ => None,
                })
                .collect();
            names.sort_unstable();
            names.dedup();
            names
        }
    }
}

/// Escapes text for a container's `command` or `args`: the kubelet turns `$$` into `$`, so
/// every `$` written as `$$` arrives as written, and `$(VAR)` is never expanded.
pub fn escape(text: &str) -> Cow<'_, str> {
    if text.contains('$') {
        Cow::Owned(text.replace('$', "$$"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Can `name` be an environment variable of an argot container? Argo's (`ARGO_…`) and
/// Kubernetes' service links (`…_SERVICE_HOST`, …) are C identifiers; argot sets no others.
fn may_be_defined(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The kubelet's expansion of a `command`/`args` string (Kubernetes `expansion.Expand`):
/// `$$` becomes `$`, `$(NAME)` becomes `defined(NAME)` when that is `Some`, anything else is
/// copied.
pub fn expand(input: &str, defined: &dyn Fn(&str) -> Option<String>) -> String {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let (read, advance) = match rest.as_bytes()[0] {
                b'$' => (Cow::Borrowed("$"), 1),
                b'(' => match rest[1..].find(')') {
                    Some(end) => {
                        let name = &rest[1..1 + end];
                        let value = defined(name)
                            .map(Cow::Owned)
                            .unwrap_or_else(|| Cow::Owned(format!("$({name})")));
                        (value, end + 2)
                    }
                    None => (Cow::Borrowed("$("), 1),
                },
                _ => {
                    // Copy the operator and the whole next character.
                    let next = rest.chars().next().map_or(1, char::len_utf8);
                    (Cow::Owned(format!("${}", &rest[..next])), next)
                }
            };
            out.push_str(&read);
            cursor += advance + 1;
            checkpoint = cursor;
        } else {
            cursor += 1;
        }
    }
    out.push_str(&input[checkpoint..]);
    out
}

/// Does `emitted` (a `command`/`args` string after Argo's substitution) reach the container as
/// `intended`, whatever environment variables the container has?
pub fn survives_expansion(emitted: &str, intended: &str) -> bool {
    let mangled = expand(emitted, &|name| {
        may_be_defined(name).then(|| format!("\u{0}{name}\u{0}"))
    });
    mangled == intended
}

/// Does a parameter value inserted by Argo reach the container unchanged?
pub fn value_survives(value: &str) -> bool {
    !value.contains('$') || survives_expansion(value, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_follows_the_kubelet() {
        let env = |n: &str| (n == "HOME").then(|| "/root".to_owned());
        assert_eq!(expand("$(HOME)/x", &env), "/root/x");
        assert_eq!(expand("$$(HOME)", &env), "$(HOME)");
        assert_eq!(expand("a$$b", &env), "a$b");
        assert_eq!(expand("$(NOPE)", &env), "$(NOPE)");
        assert_eq!(expand("$(unclosed", &env), "$(unclosed");
        assert_eq!(expand("cost: 5$", &env), "cost: 5$");
        assert_eq!(expand("$x $é", &env), "$x $é");
        assert_eq!(expand("$$$", &env), "$$");
    }

    #[test]
    fn escaped_text_always_survives() {
        for text in [
            "$(HOME)",
            "$$",
            "a$",
            "$",
            "$(rm -rf /)",
            "x$$$(Y)",
            "€$(é)",
        ] {
            assert!(survives_expansion(&escape(text), text), "{text}");
        }
    }

    #[test]
    fn values_with_references_or_escapes_do_not_survive() {
        for bad in ["$(HOME)", "a$$b", "$(ARGO_TEMPLATE)", "$(_x1)"] {
            assert!(!value_survives(bad), "{bad}");
        }
        for ok in ["$(rm -rf /)", "$HOME", "5$", "$(", "a$b", "${HOME}", "$()"] {
            assert!(value_survives(ok), "{ok}");
        }
    }
}
