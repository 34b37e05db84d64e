//! `coin_flip`: the pipeline binary. The pipeline itself is in `src/coin_flip.rs`.

use argot_examples::coin_flip::coin_flip;

fn main() {
    argot::main!(coin_flip)
}
