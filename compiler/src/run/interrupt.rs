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

/// The last signal received, set inside the signal handler itself. Ctrl-C reaches the children
/// too (one process group), and one may die of it before the signal thread wakes up: this
/// flag is already set then, so its failure is taken for the interrupt it is.
static RECEIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
/// The process's stopper: what the signal thread and the workers share.
static STOPPER: Stopper = Stopper::new(GRACE);

/// The first signal and the running children (by pid).
struct Stopper {
    /// The first signal's number, 0 while none has come (set by the signal thread).
    signal: AtomicI32,
    children: Mutex<BTreeSet<i32>>,
    grace: Duration,
}

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
}

/// The signal that asked the run to stop, if one has.
pub fn requested() -> Option<Signal> {
    let first = STOPPER.signal.load(Ordering::SeqCst);
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
    // Twice would deliver each signal twice, and the copy would count as a second signal.
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if *installed {
        return Ok(());
    }
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
                    STOPPER.on_signal(signal);
                }
            })?;
    }
    *installed = true;
    Ok(())
}

/// Waits for `child` to exit, signalling it if the run is (or gets) interrupted meanwhile.
///
/// # Errors
/// When waiting fails.
pub(crate) fn wait(child: &mut Child) -> std::io::Result<ExitStatus> {
    STOPPER.wait(child, || requested().is_some())
}

/// [`wait`], and stop the child once `limit` has passed since it started, as the kubelet
/// stops a pod past its `activeDeadlineSeconds` (SIGTERM, then SIGKILL after the grace
/// period). Returns whether the limit stopped it.
///
/// # Errors
/// When waiting fails.
pub(crate) fn wait_at_most(
    child: &mut Child,
    limit: Option<Duration>,
) -> std::io::Result<(ExitStatus, bool)> {
    let Some(limit) = limit else {
        return wait(child).map(|s| (s, false));
    };
    let pid = child.id() as i32;
    let expired = std::sync::atomic::AtomicBool::new(false);
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let timed_out = |r| matches!(r, Err(std::sync::mpsc::RecvTimeoutError::Timeout));
    std::thread::scope(|s| {
        let expired = &expired;
        // Nothing is ever sent: the channel closes when the child has been waited for.
        s.spawn(move || {
            if !timed_out(finished.recv_timeout(limit)) {
                return;
            }
            expired.store(true, Ordering::SeqCst);
            #[cfg(unix)]
            {
                use rustix::process::Signal as Sig;
                STOPPER.send_if_waiting(pid, Sig::TERM);
                if timed_out(finished.recv_timeout(STOPPER.grace)) {
                    STOPPER.send_if_waiting(pid, Sig::KILL);
                }
            }
        });
        let status = STOPPER.wait(child, || requested().is_some());
        drop(done);
        status.map(|s| (s, expired.load(Ordering::SeqCst)))
    })
}

impl Stopper {
    const fn new(grace: Duration) -> Stopper {
        Stopper {
            signal: AtomicI32::new(0),
            children: Mutex::new(BTreeSet::new()),
            grace,
        }
    }

    /// The first signal: SIGTERM to every child, SIGKILL after the grace period. Any later
    /// one: SIGKILL now.
    #[cfg(unix)]
    fn on_signal(&'static self, signal: i32) {
        use rustix::process::Signal as Sig;
        let first = self
            .signal
            .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        if first {
            self.send_to_children(Sig::TERM);
            let _ = std::thread::Builder::new()
                .name("argot-grace".to_owned())
                .spawn(move || {
                    std::thread::sleep(self.grace);
                    self.send_to_children(Sig::KILL);
                });
        } else {
            self.send_to_children(Sig::KILL);
        }
    }

    /// Signals child `pid` if it is still being waited for (so not yet reaped: its pid cannot
    /// belong to another process).
    #[cfg(unix)]
    fn send_if_waiting(&self, pid: i32, signal: rustix::process::Signal) {
        let children = self.children.lock().unwrap_or_else(|e| e.into_inner());
        if children.contains(&pid) {
            send(pid, signal);
        }
    }

    #[cfg(unix)]
    fn send_to_children(&self, signal: rustix::process::Signal) {
        let children = self.children.lock().unwrap_or_else(|e| e.into_inner());
        for &pid in children.iter() {
            send(pid, signal);
        }
    }

    /// Registers `child` until it has exited; `stopping` says whether a signal has come.
    fn wait(&self, child: &mut Child, stopping: impl Fn() -> bool) -> std::io::Result<ExitStatus> {
        let pid = child.id() as i32;
        {
            let mut children = self.children.lock().unwrap_or_else(|e| e.into_inner());
            children.insert(pid);
            // The signal thread sets the flag before it takes the lock: either it sees this
            // child, or this sees the flag.
            #[cfg(unix)]
            if stopping() {
                send(pid, rustix::process::Signal::TERM);
            }
            #[cfg(not(unix))]
            let _ = stopping;
        }
        // Should `waitid` fail, `wait` below still reaps the child (or reports why it cannot).
        let _ = wait_without_reaping(pid);
        self.children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&pid);
        child.wait()
    }
}

#[cfg(unix)]
fn send(pid: i32, signal: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        // The child may have exited on its own meanwhile (not yet reaped, so not reused).
        let _ = rustix::process::kill_process(pid, signal);
    }
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};

    /// A shell that ignores SIGTERM, as a component that traps it and never exits would.
    fn stubborn_child() -> Child {
        let mut child = Command::new("sh")
            .args(["-c", "trap '' TERM; echo ready; while :; do sleep 1; done"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        std::io::BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready, "ready\n");
        child
    }

    fn wait_in_thread(
        stopper: &'static Stopper,
        mut child: Child,
    ) -> std::thread::JoinHandle<ExitStatus> {
        let pid = child.id() as i32;
        let waiter = std::thread::spawn(move || {
            stopper
                .wait(&mut child, || stopper.signal.load(Ordering::SeqCst) != 0)
                .unwrap()
        });
        while !stopper.children.lock().unwrap().contains(&pid) {
            std::thread::sleep(Duration::from_millis(5));
        }
        waiter
    }

    #[test]
    fn a_child_that_ignores_sigterm_is_killed_by_a_second_signal() {
        static STOPPER: Stopper = Stopper::new(Duration::from_secs(3600));
        let waiter = wait_in_thread(&STOPPER, stubborn_child());
        STOPPER.on_signal(15);
        std::thread::sleep(Duration::from_millis(300));
        assert!(!waiter.is_finished(), "SIGTERM is ignored by this child");
        STOPPER.on_signal(2);
        assert_eq!(waiter.join().unwrap().signal(), Some(9));
        assert!(STOPPER.children.lock().unwrap().is_empty());
    }

    #[test]
    fn a_child_that_ignores_sigterm_is_killed_after_the_grace_period() {
        static STOPPER: Stopper = Stopper::new(Duration::from_millis(200));
        let waiter = wait_in_thread(&STOPPER, stubborn_child());
        STOPPER.on_signal(15);
        assert_eq!(waiter.join().unwrap().signal(), Some(9));
    }

    #[test]
    fn a_child_registered_after_the_signal_is_stopped_too() {
        static STOPPER: Stopper = Stopper::new(Duration::from_secs(3600));
        STOPPER.on_signal(15);
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let status = STOPPER.wait(&mut child, || true).unwrap();
        assert_eq!(status.signal(), Some(15));
        assert!(STOPPER.children.lock().unwrap().is_empty());
    }
}
