//! A pipeline binary with the examples and the fixture pipelines, for CLI end-to-end tests.

use argot_examples::container_steps::container_steps;
use argot_examples::quickstart::quickstart;
use argot_tests::fixtures::{braces_constant, cyclic, fails, fan_out, typed_values};

fn main() {
    argot::main!(
        quickstart,
        container_steps,
        cyclic,
        braces_constant,
        fan_out,
        fails,
        typed_values,
    )
}
