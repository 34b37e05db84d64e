//! `exit_handler`: the pipeline binary. The pipeline itself is in `src/exit_handler.rs`.

use argot_examples::exit_handler::exit_handler;

fn main() {
    argot::main!(exit_handler)
}
