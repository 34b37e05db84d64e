//! `distributed_training`: the pipeline binary. The pipeline itself is in `src/distributed_training.rs`.

use argot_examples::distributed_training::distributed_training;

fn main() {
    argot::main!(distributed_training)
}
