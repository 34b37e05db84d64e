// The macros recognise `Input`, `Output`, `OutputParam` and `Param` by name, before types are
// resolved; each way that reading can be wrong is a compile error that says so. Several
// variants of one mistake share this file (each UI file is one more crate to build).
use argot::prelude::*;

/// A record of the user's own, named like argot's artifact input.
pub struct Input<T> {
    pub value: T,
}

// A type of one's own called `Input`: read as argot's, refused at the type.
#[component]
fn own_input(data: Input<Dataset>) -> Result<()> {
    let _ = data;
    Ok(())
}

mod mine {
    pub struct Output<T>(pub T);
}

// The same through a path.
#[component]
fn own_output(model: mine::Output<argot::Model>) -> Result<()> {
    let _ = model;
    Ok(())
}

type Data = argot::Input<Dataset>;

// An alias of argot's `Input`: read as a plain parameter, refused at the type.
#[component]
fn alias_of_input(data: Data) -> Result<()> {
    let _ = data;
    Ok(())
}

type Rows = Param<u32>;

// An alias of `Param` in a pipeline: refused by the macro itself.
#[pipeline]
fn alias_of_param(rows: Rows) {
    let _ = rows;
}

/// A job description of the user's own, named like the generated task handle `NAME::Task`.
pub struct Task {
    pub id: u32,
}

// Unqualified, `Task` would mean the handle inside the generated module: refused by the macro.
#[component]
fn own_task(task: Vec<Task>) -> Result<()> {
    let _ = task;
    Ok(())
}

fn main() {}
