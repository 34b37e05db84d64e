//! Ctrl-C and SIGTERM stop a local run cleanly.
//!
//! The `run` command calls [`install`]. On the first SIGINT or SIGTERM the scheduler starts no
//! new task, every running child gets SIGTERM (SIGKILL after [`GRACE`]), the tasks they ran are
//! recorded as `Failed` and those never started as `Omitted`, the run as `Interrupted`, and the
//! command prints the command that resumes it and exits with 130 (SIGINT) or 143 (SIGTERM), the
//! shell's 128 + signal number. A second signal kills the children at once; the run is still
//! recorded. This mirrors Argo's `stop`/`terminate`: running nodes are failed with a message
//! saying why, unstarted ones are never created (argo-workflows v4.1
//! `workflow/controller/operator.go`: `failNodesWithoutCreatedPodsAfterDeadlineOrShutdown`).
//!
//! Signals are process-wide, so is this state: a child is registered from its spawn until it
//! has exited, and a signal reaches exactly the registered ones. A child is not reaped while it
//! is registered (`waitid` with `WNOWAIT`), so its pid cannot be reused by an unrelated process
//! that would then receive the signal.

use std::collections::BTreeSet;
use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long children have to stop after SIGTERM before they get SIGKILL.
pub const GRACE: Duration = Duration::from_secs(10);

/// The exit code of a run stopped by SIGINT (Ctrl-C): 128 + 2.
pub const SIGINT_EXIT: u8 = 130;
/// The exit code of a run stopped by SIGTERM: 128 + 15.
pub const SIGTERM_EXIT: u8 = 143;

/// The signal that interrupted the run, 0 while none has (set by the signal thread).
static SIGNAL: AtomicI32 = AtomicI32::new(0);
/// The last signal received, set inside the signal handler itself. Ctrl-C reaches the children
/// too (one process group), and one may die of it before the signal thread wakes up: this
/// flag is already set then, so its failure is taken for the interrupt it is.
static RECEIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
/// The pids of the running children.
static CHILDREN: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// What stopped the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (`kill`, a service manager, a container runtime).
    Terminate,
}

impl Signal {
    /// `SIGINT` or `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The exit code a process stopped by it reports: 128 + its number.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => SIGINT_EXIT,
            Signal::Terminate => SIGTERM_EXIT,
        }
    }
}

/// The signal that asked the run to stop, if one has.
pub fn requested() -> Option<Signal> {
    let first = SIGNAL.load(Ordering::SeqCst);
    let signal = if first != 0 {
        first as usize
    } else {
        RECEIVED.get().map_or(0, |r| r.load(Ordering::SeqCst))
    };
    match signal {
        0 => None,
        2 => Some(Signal::Interrupt),
        _ => Some(Signal::Terminate),
    }
}

/// Handles SIGINT and SIGTERM from now on as the module docs say (Unix; elsewhere the default
/// handling stays).
///
/// # Errors
/// When the handler cannot be installed.
pub fn install() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let received = RECEIVED.get_or_init(|| Arc::new(AtomicUsize::new(0)));
        for signal in [SIGINT, SIGTERM] {
            signal_hook::flag::register_usize(signal, Arc::clone(received), signal as usize)?;
        }
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
        std::thread::Builder::new()
            .name("argot-signals".to_owned())
            .spawn(move || {
                for signal in signals.forever() {
                    on_signal(signal);
                }
            })?;
    }
    Ok(())
}

#[cfg(unix)]
fn on_signal(signal: i32) {
    use rustix::process::Signal as Sig;
    let first = SIGNAL
        .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    if first {
        send_to_children(Sig::TERM);
        let _ = std::thread::Builder::new()
            .name("argot-grace".to_owned())
            .spawn(|| {
                std::thread::sleep(GRACE);
                send_to_children(Sig::KILL);
            });
    } else {
        send_to_children(Sig::KILL);
    }
}

#[cfg(unix)]
fn send_to_children(signal: rustix::process::Signal) {
    let children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    for &pid in children.iter() {
        send(pid, signal);
    }
}

#[cfg(unix)]
fn send(pid: i32, signal: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        // The child may have exited on its own meanwhile (not yet reaped, so not reused).
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// Waits for `child` to exit, signalling it if the run is (or gets) interrupted meanwhile.
///
/// # Errors
/// When waiting fails.
pub(crate) fn wait(child: &mut Child) -> std::io::Result<ExitStatus> {
    let pid = child.id() as i32;
    {
        let mut children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
        children.insert(pid);
        // The signal thread sets the flag before it takes the lock: either it sees this
        // child, or this sees the flag.
        #[cfg(unix)]
        if requested().is_some() {
            send(pid, rustix::process::Signal::TERM);
        }
    }
    let exited = wait_without_reaping(pid);
    CHILDREN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&pid);
    // Should `waitid` fail, `wait` still reaps the child (or reports why it cannot).
    drop(exited);
    child.wait()
}

#[cfg(all(unix, not(target_os = "openbsd")))]
fn wait_without_reaping(pid: i32) -> std::io::Result<()> {
    use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
    let Some(pid) = Pid::from_raw(pid) else {
        return Ok(());
    };
    loop {
        match waitid(
            WaitId::Pid(pid),
            WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
        ) {
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Without `waitid`, the caller's `wait` does the waiting (a signal may then race the reaping).
#[cfg(not(all(unix, not(target_os = "openbsd"))))]
fn wait_without_reaping(_pid: i32) -> std::io::Result<()> {
    Ok(())
}
