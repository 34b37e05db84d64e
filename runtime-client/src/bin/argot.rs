//! The standalone `argot` binary: submit, watch and inspect Argo runs from manifest files.

use clap::Parser;

/// Run Argo Workflows manifests and inspect what they produced.
///
/// Exit codes: 0 ok, 1 internal error, 2 usage, 5 run failed, 6 timed out, 7 cluster/API error.
#[derive(Debug, Parser)]
#[command(name = "argot", version)]
struct Cli {
    #[command(subcommand)]
    command: argot_client::cli::Command,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    argot_client::cli::report(cli.command.run())
}
