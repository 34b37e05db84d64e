//! `library`: the pipeline binary. The pipelines themselves are in `src/library.rs`.

use argot_examples::library::{ml_library, weekly_report};

fn main() {
    argot::main!(ml_library, weekly_report)
}
