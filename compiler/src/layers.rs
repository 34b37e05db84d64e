//! The layering of this crate, enforced: every `crate::…` path (and every `super::…` path that
//! climbs to the crate root) in `compiler/src/**/*.rs` is an edge from the module that writes
//! it to the module it names, and no edge may go to a higher layer. The table below is the
//! architecture; `lib.rs`'s top doc says what each layer does.
//!
//! The check reads the source text: comments, string and character literals are blanked
//! first, so only code counts. `lib.rs` itself is the facade (it re-exports from every layer
//! and fixes `__private` for generated code), so it is not checked as a source; the items it
//! defines (`PipelineDef`, `CompileOptions`, …) are a layer of their own, between the
//! backends and the CLI.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first. A module may use modules of its own layer or below; in an
/// `independent` layer, not its siblings either (the Argo emitter, the local runner and the
/// entrypoint are separate backends of one validated pipeline). A submodule listed on its own
/// (`emit::depends`: Argo's notation for a `depends` tree, which the runner's messages print
/// too, and which needs only the IR) has that layer instead of its parent's.
const LAYERS: &[Layer] = &[
    Layer {
        name: "helpers",
        modules: &["util"],
        independent: true,
    },
    Layer {
        name: "foundations",
        modules: &["value", "fsutil", "namer", "schema"],
        independent: true,
    },
    Layer {
        name: "ir",
        modules: &["ir"],
        independent: true,
    },
    Layer {
        name: "ir services",
        modules: &["diagnostics", "protocol", "emit::depends"],
        independent: true,
    },
    Layer {
        name: "authoring",
        modules: &[
            "trace",
            "dsl",
            "results",
            "exit",
            "when",
            "subpipeline",
            "loops",
            "format",
            "hooks",
            "settings",
            "kubernetes",
            "library",
        ],
        independent: false,
    },
    Layer {
        name: "rules",
        modules: &["rules"],
        independent: true,
    },
    Layer {
        name: "validation",
        modules: &["validate"],
        independent: true,
    },
    Layer {
        name: "backends",
        modules: &["emit", "run", "entrypoint"],
        independent: true,
    },
    Layer {
        name: "facade",
        modules: &[FACADE],
        independent: true,
    },
    Layer {
        name: "cli",
        modules: &["cli"],
        independent: true,
    },
];

/// Items `lib.rs` defines itself, and the layer of each (re-exports are read from `lib.rs`).
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("PipelineDef", FACADE),
    ("CompileOptions", FACADE),
    ("Compiled", FACADE),
    ("CompileError", FACADE),
    ("main", FACADE),
    ("prelude", FACADE),
    ("__private", FACADE),
    ("AsTask", "dsl"),
    ("Result", "value"),
    ("anyhow", "value"),
];

const FACADE: &str = "(crate root)";

struct Layer {
    name: &'static str,
    modules: &'static [&'static str],
    independent: bool,
}

/// One `crate::…` or root-climbing `super::…` path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    /// The file it is written in, relative to `src/`.
    file: PathBuf,
    line: usize,
    /// The path as written, up to the item it names.
    text: String,
    /// The crate root's module or item it names (`emit` in `crate::emit::argo::workflow`).
    target: String,
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.modules.contains(&module))
}

/// The module or item of the crate root `path` (one or two segments: `emit::depends`,
/// `ir::Task`) belongs to, for layering: a submodule the table lists, else the first segment.
fn owner(path: &str, reexports: &BTreeMap<String, String>) -> Option<String> {
    if layer_of(path).is_some() {
        return Some(path.to_owned());
    }
    let name = path.split("::").next().unwrap_or(path);
    if layer_of(name).is_some() {
        return Some(name.to_owned());
    }
    if let Some((_, module)) = ROOT_ITEMS.iter().find(|(item, _)| *item == name) {
        return Some((*module).to_owned());
    }
    reexports.get(name).cloned()
}

/// Blanks comments, string literals and character literals (keeping line breaks), so that
/// what is left is code.
fn code_only(source: &str) -> String {
    let b = source.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let blank = |out: &mut Vec<u8>, bytes: &[u8]| {
        out.extend(bytes.iter().map(|&c| if c == b'\n' { b'\n' } else { b' ' }));
    };
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest.starts_with(b"/*") {
            // Block comments nest in Rust.
            let (mut depth, mut j) = (0usize, 0);
            while j < rest.len() {
                if rest[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &rest[..j]);
            i += j;
        } else if let Some(len) = raw_string_len(rest) {
            blank(&mut out, &rest[..len]);
            i += len;
        } else if rest[0] == b'"' {
            let mut j = 1;
            while j < rest.len() && rest[j] != b'"' {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            let len = (j + 1).min(rest.len());
            blank(&mut out, &rest[..len]);
            i += len;
        } else if rest[0] == b'\'' {
            // A character literal ('x', '\n', '\u{7b}', '"'), not a lifetime ('a).
            let len = if rest.get(1) == Some(&b'\\') {
                rest.iter().skip(2).position(|&c| c == b'\'').map(|p| p + 3)
            } else {
                let width = source[i + 1..].chars().next().map_or(1, char::len_utf8);
                (rest.get(1 + width) == Some(&b'\'')).then_some(width + 2)
            };
            match len {
                Some(len) => {
                    blank(&mut out, &rest[..len]);
                    i += len;
                }
                None => {
                    out.push(b'\'');
                    i += 1;
                }
            }
        } else {
            out.push(rest[0]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("only ASCII bytes were replaced")
}

/// The length of a raw string literal (`r"…"`, `r#"…"#`, `br"…"`) at the start of `rest`.
fn raw_string_len(rest: &[u8]) -> Option<usize> {
    let start = if rest.starts_with(b"br") {
        2
    } else if rest.starts_with(b"r") {
        1
    } else {
        return None;
    };
    let hashes = rest[start..].iter().take_while(|&&c| c == b'#').count();
    if rest.get(start + hashes) != Some(&b'"') {
        return None;
    }
    let mut close = vec![b'"'];
    close.extend(std::iter::repeat_n(b'#', hashes));
    let body = start + hashes + 1;
    let end = rest[body..]
        .windows(close.len())
        .position(|w| w == close.as_slice())?;
    Some(body + end + close.len())
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn ident_at(code: &str, at: usize) -> &str {
    let len = code.as_bytes()[at..]
        .iter()
        .take_while(|&&c| is_ident_byte(c))
        .count();
    &code[at..at + len]
}

fn skip_space(code: &str, mut at: usize) -> usize {
    while code.as_bytes().get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The first name of each item of the `{…}` group that starts at `open` (`crate::{a, b::c}`
/// names `a` and `b`).
fn group_heads(code: &str, open: usize) -> Vec<(usize, String)> {
    let b = code.as_bytes();
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_head = true;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'{' => {
                depth += 1;
                expect_head = depth == 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => expect_head = true,
            c if expect_head && depth == 1 && is_ident_byte(c) => {
                heads.push((i, ident_at(code, i).to_owned()));
                expect_head = false;
            }
            _ => {}
        }
        i += 1;
    }
    heads
}

/// The module path of a file under `src/` (`emit/argo/check.rs` → `[emit, argo, check]`).
fn module_path(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts
}

/// Every reference to the crate root's modules and items in one file's code.
fn references(file: &Path, source: &str) -> Vec<Reference> {
    let code = code_only(source);
    let b = code.as_bytes();
    let module = module_path(file);
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut found = Vec::new();
    let mut push = |at: usize, prefix: &str, target: String| {
        found.push(Reference {
            file: file.to_owned(),
            line: line_of(at),
            text: format!("{prefix}{target}"),
            target,
        });
    };
    // Inline modules (`mod tests { … }`) open a scope `super::` climbs out of.
    let mut inline: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !is_ident_byte(b[i - 1]) && b[i - 1] != b'$';
        if b[i] == b'{' {
            depth += 1;
        } else if b[i] == b'}' {
            depth -= 1;
            if inline.last() == Some(&depth) {
                inline.pop();
            }
        } else if boundary && code[i..].starts_with("mod ") {
            let name_at = skip_space(&code, i + 3);
            let after = skip_space(&code, name_at + ident_at(&code, name_at).len());
            if b.get(after) == Some(&b'{') {
                inline.push(depth);
            }
        } else if boundary && (code[i..].starts_with("crate::") || code[i..].starts_with("super::"))
        {
            let mut at = i;
            let mut levels = 0;
            let crate_path = code[i..].starts_with("crate::");
            if crate_path {
                at += "crate::".len();
            } else {
                while code[at..].starts_with("super::") {
                    levels += 1;
                    at += "super::".len();
                }
            }
            let prefix = code[i..at].to_owned();
            let scope = module.len() + inline.len();
            if crate_path || levels >= scope {
                let at = skip_space(&code, at);
                if b.get(at) == Some(&b'{') {
                    for (head_at, head) in group_heads(&code, at) {
                        push(head_at, &prefix, head);
                    }
                } else {
                    let name = ident_at(&code, at);
                    if !name.is_empty() {
                        // One more segment, for submodules the table places on their own.
                        let next = at + name.len();
                        let second = if code[next..].starts_with("::") {
                            ident_at(&code, next + 2)
                        } else {
                            ""
                        };
                        let path = if second.is_empty() {
                            name.to_owned()
                        } else {
                            format!("{name}::{second}")
                        };
                        push(at, &prefix, path);
                    }
                }
            }
            i = at;
            continue;
        }
        i += 1;
    }
    found
}

/// Names `lib.rs` re-exports at the crate root, with the module each comes from.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let code = code_only(lib);
    let mut out = BTreeMap::new();
    for statement in code.split(';') {
        let statement = statement.trim();
        let Some(path) = statement.strip_prefix("pub use ") else {
            continue;
        };
        let path = path.trim();
        let module = path.split("::").next().unwrap_or_default().trim();
        let names: Vec<&str> = match path.find('{') {
            Some(open) => path[open + 1..path.rfind('}').unwrap_or(path.len())]
                .split(',')
                .map(str::trim)
                .collect(),
            None => vec![path.rsplit("::").next().unwrap_or_default().trim()],
        };
        for name in names.into_iter().filter(|n| !n.is_empty()) {
            let name = name.rsplit(" as ").next().unwrap_or(name);
            out.insert(name.to_owned(), module.to_owned());
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every problem with the layering of the sources in `src`: upward edges, edges between the
/// independent modules of one layer, names no layer claims, module cycles.
fn violations(src: &Path) -> Vec<String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let reexports = root_reexports(&lib);
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut problems = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in files {
        let file = path.strip_prefix(src).expect("under src").to_owned();
        // The facade re-exports from every layer; this file is the check itself.
        if file == Path::new("lib.rs") || file == Path::new("layers.rs") {
            continue;
        }
        let module = module_path(&file);
        let top = match module.get(1) {
            Some(sub) if layer_of(&format!("{}::{sub}", module[0])).is_some() => {
                format!("{}::{sub}", module[0])
            }
            _ => module[0].clone(),
        };
        let Some(from) = layer_of(&top) else {
            problems.push(format!(
                "{}: module `{top}` is in no layer; add it to LAYERS in compiler/src/layers.rs",
                file.display()
            ));
            continue;
        };
        let source = std::fs::read_to_string(&path).expect("a source file");
        for r in references(&file, &source) {
            let Some(target) = owner(&r.target, &reexports) else {
                problems.push(format!(
                    "{}:{}: `{}` names `{}`, which no layer claims; add it to ROOT_ITEMS or LAYERS",
                    r.file.display(),
                    r.line,
                    r.text,
                    r.target
                ));
                continue;
            };
            if target == top {
                continue;
            }
            let to = layer_of(&target).expect("owners are in a layer");
            if to > from || (to == from && LAYERS[from].independent) {
                problems.push(format!(
                    "{}:{}: `{}` goes from `{top}` ({}) to `{target}` ({}){}",
                    r.file.display(),
                    r.line,
                    r.text,
                    LAYERS[from].name,
                    LAYERS[to].name,
                    if to > from {
                        ", a higher layer"
                    } else {
                        ", a sibling in an independent layer"
                    },
                ));
            }
            edges.entry(top.clone()).or_default().insert(target);
        }
    }
    problems.extend(cycles(&edges));
    problems
}

/// Each cycle among top-level modules, as `a → b → a`.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        out: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            out.push(format!("module cycle: {}", cycle.join(" → ")));
            return;
        }
        if !done.insert(node.to_owned()) {
            return;
        }
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, path, done, out);
        }
        path.pop();
    }
    let mut out = Vec::new();
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        visit(node, edges, &mut Vec::new(), &mut done, &mut out);
    }
    out
}

#[test]
fn no_module_imports_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = violations(&src);
    assert!(
        problems.is_empty(),
        "the layering in compiler/src/layers.rs is broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn references_are_read_from_code_only() {
    let source = r##"
        //! See [`crate::cli`].
        use crate::{ir::Task, value};
        use super::sibling;
        /* crate::emit */
        fn f() -> &'static str { let c = '"'; "crate::run" }
        fn g() { crate::dsl::f(); let r = r#"crate::cli"#; }
        mod tests {
            use super::super::super::validate;
            use super::super::*;
        }
    "##;
    let found: Vec<(usize, String, String)> = references(Path::new("rules/x.rs"), source)
        .into_iter()
        .map(|r| (r.line, r.text, r.target))
        .collect();
    assert_eq!(
        found,
        [
            (3, "crate::ir".to_owned(), "ir".to_owned()),
            (3, "crate::value".to_owned(), "value".to_owned()),
            (7, "crate::dsl::f".to_owned(), "dsl::f".to_owned()),
            (
                9,
                "super::super::super::validate".to_owned(),
                "validate".to_owned()
            ),
        ]
    );
}

#[test]
fn an_upward_import_is_reported_with_its_file_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::write(src.join("lib.rs"), "pub use validate::ValidPipeline;\n").unwrap();
    std::fs::create_dir(src.join("rules")).unwrap();
    std::fs::write(
        src.join("rules/mod.rs"),
        "use crate::ValidPipeline;\nuse crate::ir::Task;\nuse crate::emit::argo;\nuse crate::emit::depends;\n",
    )
    .unwrap();
    std::fs::write(src.join("validate.rs"), "use crate::rules::Checker;\n").unwrap();
    let problems = violations(src);
    assert_eq!(
        problems,
        [
            "rules/mod.rs:1: `crate::ValidPipeline` goes from `rules` (rules) to `validate` (validation), a higher layer",
            "rules/mod.rs:3: `crate::emit::argo` goes from `rules` (rules) to `emit` (backends), a higher layer",
            "module cycle: rules → validate → rules",
        ]
    );
}
