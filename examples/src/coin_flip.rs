//! Argo's coin flip, typed: flip a coin; on heads, celebrate; on tails, flip again, and on a
//! second tails, say so. Then `announce` what the branch that ran produced (`one_of`). The
//! flips are seeded, so a run is reproducible (`-p seed=…`).
//!
//! ```text
//! cargo run -p argot-examples --bin coin_flip -- run -p seed=2      # heads
//! cargo run -p argot-examples --bin coin_flip -- run -p seed=1      # tails, then tails
//! cargo run -p argot-examples --bin coin_flip -- compile --image registry.example.com/coin-flip:0.1.0
//! ```
//!
//! Each branch is a DAG template of its own on Argo, called by a task whose `when` compares
//! the flip's output (`{{=tasks['flip'].outputs.parameters['output'] == 'heads'}}`); the local
//! runner skips the same branches.

use argot::prelude::*;

/// `heads` or `tails`, decided by `seed` and `round`.
#[component]
pub fn flip(seed: u64, round: u32) -> Result<String> {
    let side = if (seed + u64::from(round)).is_multiple_of(2) {
        "heads"
    } else {
        "tails"
    };
    Ok(side.to_owned())
}

/// Print `message` and return it.
#[component]
pub fn say(message: String) -> Result<String> {
    println!("{message}");
    Ok(message)
}

/// Flip; on heads celebrate, on tails flip again and report a second tails; then announce
/// what the branch that ran produced.
#[pipeline(image = "ghcr.io/argot-rs/coin-flip:0.1.0")]
pub fn coin_flip(#[default(2)] seed: Param<u64>) {
    let first = flip(seed, 0);
    let (mut heads, mut tails) = (None, None);
    when(first.output.eq("heads"), || {
        heads = Some(say("it was heads"));
    })
    .otherwise(|| {
        let second = flip(seed, 2).name("flip-again");
        when(second.output.eq("tails"), || {
            say("it was tails twice");
        });
        tails = Some(second);
    });
    let (heads, tails) = (heads.expect("branch traced"), tails.expect("branch traced"));
    say(one_of([heads.output, tails.output])).name("announce");
}
