//! `nested_pipeline`: the pipeline binary. The pipeline itself is in `src/nested_pipeline.rs`.

use argot_examples::nested_pipeline::nested_pipeline;

fn main() {
    argot::main!(nested_pipeline)
}
