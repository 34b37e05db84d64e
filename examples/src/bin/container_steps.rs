//! `container_steps`: the pipeline binary. The pipeline itself is in `src/container_steps.rs`.

use argot_examples::container_steps::container_steps;

fn main() {
    argot::main!(container_steps)
}
