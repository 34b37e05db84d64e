//! `from_url`: the pipeline binary. The pipeline itself is in `src/from_url.rs`.

use argot_examples::from_url::from_url;

fn main() {
    argot::main!(from_url)
}
