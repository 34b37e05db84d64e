//! Showing a run's progress while watching: a live bar on a terminal, one line per change
//! otherwise (CI logs, pipes).

use std::collections::BTreeMap;
use std::io::Write;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Phase;
use crate::status::WorkflowView;

/// Reports status changes of one run. Feed it every status with [`ProgressReporter::update`].
pub struct ProgressReporter {
    bar: Option<ProgressBar>,
    out: Box<dyn Write + Send>,
    phases: BTreeMap<String, Phase>,
    run_phase: Option<Phase>,
}

impl std::fmt::Debug for ProgressReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressReporter")
            .field("live", &self.bar.is_some())
            .finish_non_exhaustive()
    }
}

impl ProgressReporter {
    /// A live indicatif view on stderr when it is a terminal, else plain lines on stderr.
    pub fn stderr() -> ProgressReporter {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            ProgressReporter {
                bar: Some(bar),
                out: Box::new(std::io::stderr()),
                phases: BTreeMap::new(),
                run_phase: None,
            }
        } else {
            ProgressReporter::plain(Box::new(std::io::stderr()))
        }
    }

    /// Plain lines to `out`: one per task whose phase changed, one per run phase change.
    pub fn plain(out: Box<dyn Write + Send>) -> ProgressReporter {
        ProgressReporter {
            bar: None,
            out,
            phases: BTreeMap::new(),
            run_phase: None,
        }
    }

    /// Prints one line of its own (a retry notice) above the live view, or as a plain line.
    pub fn note(&mut self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(crate::cli::escape_control(line)),
            // Best effort, as the progress lines.
            None => {
                let _ = writeln!(self.out, "{}", crate::cli::escape_control(line));
            }
        }
    }

    /// Shows what changed since the last status.
    pub fn update(&mut self, view: &WorkflowView) {
        let p = view.progress();
        let mut lines = Vec::new();
        if self.run_phase.as_ref() != Some(&view.phase) {
            lines.push(format!("run {} {}", view.name, view.phase));
            self.run_phase = Some(view.phase.clone());
        }
        for t in &view.tasks {
            if self.phases.get(&t.name) != Some(&t.phase) {
                self.phases.insert(t.name.clone(), t.phase.clone());
                let mut line = format!("[{}/{}] {} {}", p.done, p.total, t.name, t.phase);
                if t.attempts > 1 {
                    line.push_str(&format!(" (attempt {})", t.attempts));
                }
                if t.phase.is_failure()
                    && let Some(m) = &t.message
                {
                    line.push_str(&format!(": {m}"));
                }
                lines.push(line);
            }
        }
        match &self.bar {
            Some(bar) => {
                bar.set_length(p.total as u64);
                bar.set_position(p.done as u64);
                bar.set_prefix(view.name.clone());
                let running: Vec<&str> = view
                    .tasks
                    .iter()
                    .filter(|t| t.phase == Phase::Running)
                    .map(|t| t.name.as_str())
                    .collect();
                let mut msg = format!("{} running", p.running);
                if !running.is_empty() {
                    msg.push_str(&format!(" ({})", running.join(", ")));
                }
                if p.failed > 0 {
                    msg.push_str(&format!(", {} failed", p.failed));
                }
                bar.set_message(msg);
                for l in lines
                    .iter()
                    .filter(|l| l.contains("Failed") || l.contains("Error"))
                {
                    bar.println(crate::cli::escape_control(l));
                }
                if view.phase.is_finished() {
                    bar.finish_and_clear();
                }
            }
            None => {
                for l in lines {
                    // Progress is best effort: a closed stderr must not stop the watch.
                    let _ = writeln!(self.out, "{}", crate::cli::escape_control(&l));
                }
            }
        }
    }
}
