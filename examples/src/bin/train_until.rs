//! `train_until`: the pipeline binary. The pipeline itself is in `src/train_until.rs`.

use argot_examples::train_until::train_until;

fn main() {
    argot::main!(train_until)
}
