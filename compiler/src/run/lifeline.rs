//! Children of a runner that dies stop by themselves.
//!
//! Ctrl-C reaches the whole process group, but a runner killed alone (SIGKILL, the OOM killer)
//! would leave its components running on, writing into a run that `--resume` is about to
//! clean and redo. So the runner starts each native component with a pipe as its stdin and
//! [`LIFELINE_ENV`] set; the `component` entrypoint calls [`watch`], which waits on that pipe
//! in a thread. The kernel closes the pipe when the runner dies, however it dies, and the
//! component exits at once. Without the variable (in the cluster, by hand) nothing happens.

use std::io::Read;

/// Set (to `1`) by the runner in the environment of the components it starts.
pub const LIFELINE_ENV: &str = "ARGOT_LIFELINE";

/// The exit code of a component whose runner is gone.
pub const ORPHANED_EXIT: i32 = 125;

/// If this process was started by the local runner, exits as soon as the runner is gone.
/// Components started this way must not read stdin themselves (on Argo they get none either).
pub fn watch() {
    if std::env::var_os(LIFELINE_ENV).is_none_or(|v| v != "1") {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("argot-lifeline".to_owned())
        .spawn(|| {
            let mut stdin = std::io::stdin();
            let mut buf = [0u8; 64];
            loop {
                match stdin.read(&mut buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Ok(0) | Err(_) => {
                        crate::fsutil::stderr::line(
                            "argot: the runner that started this component is gone; stopping",
                        );
                        std::process::exit(ORPHANED_EXIT);
                    }
                    Ok(_) => {}
                }
            }
        });
    // Without the thread the component still runs, only without this protection.
    drop(spawned);
}
