//! The phase of a run or a task, shared by Argo status decoding and the metadata store.

use std::fmt;
use std::str::FromStr;

/// The phase of a run (an Argo Workflow or a local run) or of one task in it.
///
/// The names and meanings are Argo's (`NodePhase` / `WorkflowPhase`), so the local runner and
/// the cluster watcher record the same words. An unknown word from a newer Argo is kept as
/// [`Phase::Other`] rather than rejected.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "String", from = "String")]
pub enum Phase {
    /// Accepted but not started yet (no status, or Argo's empty phase).
    Pending,
    /// Started and not finished.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Finished: the user's code failed (non-zero exit, failed condition, exhausted retries).
    Failed,
    /// Finished: something outside the user's code went wrong (scheduling, controller, I/O).
    Error,
    /// Not run because a `when` condition was false.
    Skipped,
    /// Not run because its `depends` expression was not satisfied.
    Omitted,
    /// A local run stopped by Ctrl-C or SIGTERM before it finished; `run --resume` continues
    /// it. Argo has no such phase (a stopped workflow is `Failed`), so only local runs have it.
    Interrupted,
    /// A phase this crate does not know; the word as Argo wrote it.
    Other(String),
}

impl Phase {
    /// The word Argo and the store use for this phase.
    pub fn as_str(&self) -> &str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
            Phase::Error => "Error",
            Phase::Skipped => "Skipped",
            Phase::Omitted => "Omitted",
            Phase::Interrupted => "Interrupted",
            Phase::Other(s) => s,
        }
    }

    /// Parses Argo's phase word; empty or missing means [`Phase::Pending`].
    pub fn parse(word: Option<&str>) -> Phase {
        match word.unwrap_or("") {
            "" | "Pending" => Phase::Pending,
            "Running" => Phase::Running,
            "Succeeded" => Phase::Succeeded,
            "Failed" => Phase::Failed,
            "Error" => Phase::Error,
            "Skipped" => Phase::Skipped,
            "Omitted" => Phase::Omitted,
            "Interrupted" => Phase::Interrupted,
            other => Phase::Other(other.to_owned()),
        }
    }

    /// Whether nothing more will happen to a run or task in this phase.
    pub fn is_finished(&self) -> bool {
        matches!(
            self,
            Phase::Succeeded
                | Phase::Failed
                | Phase::Error
                | Phase::Skipped
                | Phase::Omitted
                | Phase::Interrupted
        )
    }

    /// Whether this phase is a failure (`Failed` or `Error`).
    pub fn is_failure(&self) -> bool {
        matches!(self, Phase::Failed | Phase::Error)
    }
}

/// Whether a finished task's outputs could not be saved — an artifact write failure, as
/// `runs stats` counts them — judged from its phase and message as the store receives them:
///
/// - on Argo, the node's message names the `wait` container: after the main container exits,
///   `argoexec wait` only captures the result and saves output parameters, artifacts and logs
///   (`waitContainer` in `cmd/argoexec/commands/wait.go`), and a failure there becomes the
///   node's message `wait: <reason> (exit code N): <error>` (`inferFailedReason` in
///   `workflow/controller/operator.go`, v3 to v4.1; the error is, for a file the image did not
///   write, `open /var/run/argo/outputs/…: no such file or directory`, from the emissary's
///   `CopyFile`/`GetFileContents`), or `pod failed: wait container did not complete
///   successfully`; Argo 2 wrote `failed to save outputs: …`;
/// - the local runner says `output `NAME` was not written …` when a component finished without
///   writing an output, and records its other storing failures itself (`TaskRecord`'s
///   `outputs_not_saved`).
///
/// A task that failed in its own code is not counted even if its outputs are missing too:
/// Argo reports the main container first.
pub fn outputs_not_saved(phase: &Phase, message: Option<&str>) -> bool {
    if !matches!(phase, Phase::Error | Phase::Failed) {
        return false;
    }
    let Some(message) = message else {
        return false;
    };
    message.starts_with("wait: ")
        || message.starts_with("failed to save outputs")
        || message == "pod failed: wait container did not complete successfully"
        || (message.starts_with("output `") && message.contains("` was not written"))
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Phase {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Phase::parse(Some(s)))
    }
}

impl From<String> for Phase {
    fn from(s: String) -> Self {
        Phase::parse(Some(&s))
    }
}

impl From<Phase> for String {
    fn from(p: Phase) -> Self {
        p.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_run_is_finished_and_round_trips_through_the_store_word() {
        assert_eq!(Phase::parse(Some("Interrupted")), Phase::Interrupted);
        assert_eq!(Phase::Interrupted.as_str(), "Interrupted");
        assert!(Phase::Interrupted.is_finished());
        assert!(!Phase::Interrupted.is_failure());
    }
}
