//! A pipeline binary with the examples and the fixture pipelines, for CLI end-to-end tests.

use argot_examples::container_steps::container_steps;
use argot_examples::quickstart::quickstart;
use argot_tests::fixtures::{
    braces_constant, cyclic, fails, fan_out, namespaced, too_big, typed_values, unpinned_image,
};
// The local runner's fixtures.
use argot_tests::fixtures::{
    counted, fails_one_branch, gated_chain, no_image, noop_chain, noop_fan_out,
};

fn main() {
    argot::main!(
        quickstart,
        container_steps,
        cyclic,
        braces_constant,
        fan_out,
        fails,
        typed_values,
        too_big,
        unpinned_image,
        namespaced,
        fails_one_branch,
        counted,
        gated_chain,
        noop_chain,
        noop_fan_out,
        no_image,
    )
}
