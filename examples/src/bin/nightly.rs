//! `nightly`: the pipeline binary. The pipeline itself is in `src/nightly.rs`.

use argot_examples::nightly::nightly;

fn main() {
    argot::main!(nightly)
}
