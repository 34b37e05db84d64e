use argot::prelude::*;

#[component]
fn step(x: u32) -> Result<u32> {
    Ok(x + 1)
}

// Calls itself with no `max_depth`: the error points at the recursive call.
#[pipeline]
fn refine(x: Param<u32>) -> ParamRef<u32> {
    let s = step(x);
    let mut deeper = None;
    when(s.output.lt(10u32), || deeper = Some(refine(s.output)));
    step(one_of([deeper.unwrap(), s.output])).output
}

// A bound on a pipeline that does not call itself: the error points at the key.
#[pipeline(max_depth = 5)]
fn straight(x: Param<u32>) -> ParamRef<u32> {
    step(x).output
}

fn main() {}
