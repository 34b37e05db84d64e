//! `quickstart`: the pipeline binary. The pipeline itself is in `src/quickstart.rs`.

use argot_examples::quickstart::quickstart;

fn main() {
    argot::main!(quickstart)
}
