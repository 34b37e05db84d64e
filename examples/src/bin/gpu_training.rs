//! `gpu_training`: the pipeline binary. The pipeline itself is in `src/gpu_training.rs`.

use argot_examples::gpu_training::gpu_training;

fn main() {
    argot::main!(gpu_training)
}
