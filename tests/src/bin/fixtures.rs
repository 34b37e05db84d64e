//! A pipeline binary with the examples and the fixture pipelines, for CLI end-to-end tests.

use argot_examples::cached::cached;
use argot_examples::coin_flip::coin_flip;
use argot_examples::container_steps::container_steps;
use argot_examples::exit_handler::exit_handler;
use argot_examples::from_url::from_url;
use argot_examples::gpu_training::gpu_training;
use argot_examples::library::{ml_library, weekly_report};
use argot_examples::nested_pipeline::nested_pipeline;
use argot_examples::nightly::nightly;
use argot_examples::quickstart::quickstart;
use argot_examples::shards::shards;
use argot_examples::sweep::sweep;
use argot_examples::train_until::train_until;
use argot_tests::fixtures::{
    braces_constant, cyclic, fails, fan_out, namespaced, panics_in_body_when_asked, too_big,
    typed_values, unpinned_image,
};
// The wire form's fixtures.
use argot_tests::fixtures::{hostile_chain, round_trip, uncontrolled};
// Sub-pipelines.
use argot_tests::fixtures::{
    branching_calls, calls_probe, config_map_volume, fails_fast, guarded, mutually_exclusive,
    one_at_a_time, rationed, run_volumes, setting_values, settings_dsl, template_edits,
    with_sidecars,
};
// Volumes of container components; memory requests.
use argot_tests::fixtures::{container_volumes, memory_bound, nested_after};
// The parameter schema's fixture.
use argot_tests::fixtures::shaped_params;
// Artifacts: a container output at the image's own path.
use argot_tests::fixtures::{optional_inputs, own_paths, repo_keys};
// The local runner's fixtures.
use argot_tests::fixtures::{
    branch_after_failure, collected_models, conditions_probe, counted, deepens, fails_one_branch,
    formatted, gated_chain, handles_a_failure, hooked, loops_probe, no_image, noop_chain,
    noop_fan_out, omits_on_a_result,
};

/// Two native components of this binary that share a name, so `component twin` has to refuse
/// to pick one. Kept in this binary only: the registry is per binary.
mod same_name {
    use argot::prelude::*;

    /// Add one.
    #[component(name = "twin")]
    pub fn left(x: u32) -> Result<u32> {
        Ok(x + 1)
    }

    /// Add two.
    #[component(name = "twin")]
    pub fn right(x: u32) -> Result<u32> {
        Ok(x + 2)
    }

    /// Both, in one pipeline (invalid: A0008).
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn twins() {
        left(1);
        right(1);
    }
}

use same_name::twins;

fn main() {
    argot::main!(
        quickstart,
        train_until,
        container_steps,
        coin_flip,
        exit_handler,
        cyclic,
        braces_constant,
        fan_out,
        fails,
        typed_values,
        too_big,
        unpinned_image,
        namespaced,
        fails_one_branch,
        handles_a_failure,
        omits_on_a_result,
        conditions_probe,
        branch_after_failure,
        counted,
        gated_chain,
        noop_chain,
        noop_fan_out,
        no_image,
        panics_in_body_when_asked,
        twins,
        round_trip,
        hostile_chain,
        uncontrolled,
        shaped_params,
        loops_probe,
        collected_models,
        deepens,
        sweep,
        shards,
        calls_probe,
        branching_calls,
        settings_dsl,
        setting_values,
        template_edits,
        guarded,
        run_volumes,
        container_volumes,
        memory_bound,
        nested_after,
        config_map_volume,
        with_sidecars,
        one_at_a_time,
        mutually_exclusive,
        rationed,
        fails_fast,
        nested_pipeline,
        gpu_training,
        cached,
        from_url,
        own_paths,
        optional_inputs,
        repo_keys,
        formatted,
        hooked,
        nightly,
        ml_library,
        weekly_report,
    )
}
