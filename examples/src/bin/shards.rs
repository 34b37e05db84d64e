//! `shards`: the pipeline binary. The pipeline itself is in `src/shards.rs`.

use argot_examples::shards::shards;

fn main() {
    argot::main!(shards)
}
