//! `cargo argot`: the cargo subcommand (`cargo install argot-client` puts it on the PATH).

fn main() -> std::process::ExitCode {
    // Cargo tells a subcommand which cargo started it; by hand, the one on the PATH.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    argot_client::cargo_argot::main_with(
        std::env::args_os().collect(),
        std::path::Path::new(&cargo),
    )
}
