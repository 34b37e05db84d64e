//! `sweep`: the pipeline binary. The pipeline itself is in `src/sweep.rs`.

use argot_examples::sweep::sweep;

fn main() {
    argot::main!(sweep)
}
