//! A container component (any image, any command) wired between native components.
//!
//! `write_corpus` (native) writes a text file; `word_count` runs `python3` from the public
//! `python:3.12-alpine` image — its inputs and outputs reach the command line through typed
//! placeholders, each one argv element, no shell; `report` (native) reads the count back as
//! a typed `u64` and writes a Markdown report.
//!
//! ```text
//! cargo run -p argot-examples --bin container_steps -- compile --image registry.example.com/container-steps:0.1.0
//! ```
//!
//! Build this image before running on a cluster: the `image` of `#[pipeline]` below, where the
//! native steps run, names one nobody has published. Build it from `examples/Dockerfile` with
//! `--build-arg BIN=container_steps`, push it, and pass its name with `--image`.
//! `python:3.12-alpine` is public; its own user is root, so it runs under argot's default
//! `runAsUser: 65532` like every other pod (Python needs no home folder and writes only to the
//! outputs volume).

use argot::prelude::*;

/// Counts the words of the file in argv[1] that are at least argv[2] characters long and
/// writes the count to argv[3]. Values arrive as argv elements, never through a shell.
const WORD_COUNT: &str = "\
import sys
path, min_len, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
words = open(path, encoding='utf-8').read().split()
open(out, 'w').write(str(sum(1 for w in words if len(w) >= min_len)))
";

/// Write `lines` lines of sample text.
#[component]
pub fn write_corpus(#[default(100)] lines: u32, corpus: Output<Dataset>) -> Result<()> {
    let text: String = (0..lines)
        .map(|i| format!("line {i}: the quick brown fox jumps over the lazy dog\n"))
        .collect();
    std::fs::write(corpus.path(), text)?;
    Ok(())
}

/// Count the words of at least `min_len` characters, in a stock Python image.
#[container_component]
pub fn word_count(
    corpus: Input<Dataset>,
    min_len: Param<u32>,
    count: OutputParam<u64>,
) -> Container {
    Container::new("python:3.12-alpine")
        .command(["python3", "-c", WORD_COUNT])
        .arg(&corpus)
        .arg(min_len)
        .arg(&count)
}

/// Write a Markdown report of the count.
#[component]
pub fn report(count: u64, min_len: u32, summary: Output<Artifact>) -> Result<String> {
    let line = format!("{count} words of at least {min_len} characters");
    std::fs::write(summary.path(), format!("# Word count\n\n{line}\n"))?;
    Ok(line)
}

/// A native step, a container step, and a native step reading the container's typed output.
// The image is a placeholder nobody publishes: build it from `examples/Dockerfile`
// (`--build-arg BIN=container_steps`), push it, and pass `--image` to `compile` or `submit`.
#[pipeline(image = "ghcr.io/argot-rs/container-steps:0.1.0")]
pub fn container_steps(#[default(4)] min_len: Param<u32>) {
    let corpus = write_corpus();
    let counted = word_count(corpus.corpus, min_len);
    report(counted.count, min_len);
}
