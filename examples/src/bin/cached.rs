//! `cached`: the pipeline binary. The pipeline itself is in `src/cached.rs`.

use argot_examples::cached::cached;

fn main() {
    argot::main!(cached)
}
