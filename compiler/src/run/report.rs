//! What the user sees: one line per task state change while the run goes (stderr), and at the
//! end a table of tasks, the content of small metrics artifacts, and a summary (stdout).

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use argot_client::Phase;

use super::{Event, RunReport, TaskReport};

/// Progress on stderr: one line per task state change; on a terminal, also a live status line
/// under them (done/total, what is running, failures) that is redrawn in place.
pub(crate) struct Progress {
    start: Instant,
    live: bool,
    total: usize,
    done: usize,
    failed: usize,
    running: Vec<String>,
}

impl Progress {
    /// `live`: draw the status line (stderr is a terminal).
    pub(crate) fn new(live: bool) -> Self {
        Progress {
            start: Instant::now(),
            live,
            total: 0,
            done: 0,
            failed: 0,
            running: Vec::new(),
        }
    }

    /// What to write to stderr for `event`: its line, then (live) the redrawn status line.
    pub(crate) fn update(&mut self, event: &Event<'_>) -> String {
        match event {
            Event::RunStarted { done, total, .. } => {
                self.total = *total;
                self.done = *done;
            }
            Event::TaskStarted { task } => self.running.push((*task).to_owned()),
            Event::TaskFinished(t) => {
                self.running.retain(|r| r != &t.name);
                self.done += 1;
                if matches!(t.phase, Phase::Failed | Phase::Error) {
                    self.failed += 1;
                }
            }
        }
        let line = self.line(event);
        if self.live {
            format!("{CLEAR_LINE}{line}\n{}", self.status())
        } else {
            format!("{line}\n")
        }
    }

    /// What to write when the run is over: erases the status line.
    pub(crate) fn finish(&self) -> &'static str {
        if self.live { CLEAR_LINE } else { "" }
    }

    fn status(&self) -> String {
        let mut status = format!(
            "{}/{} done, {} running, {} failed",
            self.done,
            self.total,
            self.running.len(),
            self.failed
        );
        if !self.running.is_empty() {
            let _ = write!(status, ": {}", self.running.join(", "));
        }
        // One terminal line: a status that wrapped could not be redrawn in place.
        if status.chars().count() > 100 {
            status = status.chars().take(99).collect::<String>() + "…";
        }
        status
    }

    pub(crate) fn line(&self, event: &Event<'_>) -> String {
        let at = format!("[{:>7}]", seconds(self.start.elapsed()));
        match event {
            Event::RunStarted {
                run_id,
                folder,
                resumed: false,
                total,
                ignored,
                ..
            } => {
                let mut line = format!(
                    "{at} run {run_id}: {total} task{} (folder {})",
                    plural(*total),
                    folder.display()
                );
                for note in *ignored {
                    let _ = write!(line, "\n{at} note: {note}");
                }
                line
            }
            Event::RunStarted {
                run_id,
                done,
                total,
                ..
            } => format!("{at} resuming run {run_id}: {done} of {total} tasks already done"),
            Event::TaskStarted { task } => format!("{at} {task} started"),
            Event::TaskFinished(t) => {
                let what = match (&t.phase, t.cached) {
                    (Phase::Succeeded, true) => "succeeded (cached)".to_owned(),
                    (Phase::Succeeded, false) => format!(
                        "succeeded in {}",
                        t.duration.map(seconds).unwrap_or_default()
                    ),
                    (Phase::Omitted, _) => {
                        format!("omitted: {}", t.message.as_deref().unwrap_or("not run"))
                    }
                    (phase, _) => format!(
                        "{}: {}",
                        phase.as_str().to_lowercase(),
                        t.message
                            .as_deref()
                            .and_then(|m| m.lines().next())
                            .unwrap_or("no message")
                    ),
                };
                let mut line = format!("{at} {} {what}", t.name);
                for (output, key, path) in &t.stored {
                    let _ = write!(
                        line,
                        "\n{at} {} stored `{output}` under key `{key}` ({})",
                        t.name,
                        path.display()
                    );
                }
                for w in &t.warnings {
                    let _ = write!(line, "\n{at} {} warning: {w}", t.name);
                }
                line
            }
        }
    }
}

/// Carriage return, then erase the line (ANSI `EL2`).
const CLEAR_LINE: &str = "\r\x1b[2K";

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn seconds(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

/// Metrics artifacts up to this size are printed.
const METRICS_PRINT_MAX: u64 = 64 * 1024;
/// Output parameter values longer than this are cut in the table.
const VALUE_MAX: usize = 60;

/// The end-of-run summary: a table of tasks, small metrics artifacts, and one closing line.
pub(crate) fn summary(report: &RunReport) -> String {
    let rows: Vec<[String; 5]> = report
        .tasks
        .iter()
        .map(|t| row(t, report.caching))
        .collect();
    let header = [
        "TASK".to_owned(),
        "STATUS".to_owned(),
        "TIME".to_owned(),
        "CACHE".to_owned(),
        "OUTPUT PARAMETERS".to_owned(),
    ];
    let mut widths = [0usize; 4];
    for r in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        let line = format!(
            "{:<w0$}  {:<w1$}  {:>w2$}  {:<w3$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for t in &report.tasks {
        for (name, kind, path) in &t.output_artifacts {
            if kind == "Metrics"
                && let Some(text) = small_text(path)
            {
                let _ = writeln!(out, "\nmetrics {}.{name} ({}):", t.name, path.display());
                out.push_str(text.trim_end());
                out.push('\n');
            }
        }
    }
    if !report.outputs.is_empty() {
        let width = report
            .outputs
            .iter()
            .map(|(n, _)| n.chars().count())
            .max()
            .unwrap_or(0)
            .max("PIPELINE OUTPUT".len());
        let _ = writeln!(out, "\n{:<width$}  VALUE", "PIPELINE OUTPUT");
        for (name, value) in &report.outputs {
            let _ = writeln!(out, "{name:<width$}  {}", shorten(value));
        }
    }
    let cached = report.tasks.iter().filter(|t| t.cached).count();
    let resumed = report.tasks.iter().filter(|t| t.resumed).count();
    let mut extras = Vec::new();
    if cached > 0 {
        extras.push(format!("{cached} cached"));
    }
    if resumed > 0 {
        extras.push(format!("{resumed} from an earlier attempt"));
    }
    let extras = if extras.is_empty() {
        String::new()
    } else {
        format!(" ({})", extras.join(", "))
    };
    let _ = writeln!(
        out,
        "\nrun {} {} in {}: {} task{}{extras}; files in {}",
        report.run_id,
        report.phase.as_str().to_lowercase(),
        seconds(report.duration),
        report.tasks.len(),
        plural(report.tasks.len()),
        report.folder.display()
    );
    out
}

fn row(t: &TaskReport, caching: bool) -> [String; 5] {
    let time = match (t.resumed, t.duration) {
        (true, _) => "earlier".to_owned(),
        (false, Some(d)) => seconds(d),
        (false, None) => "-".to_owned(),
    };
    let cache = if t.cached {
        "hit"
    } else if caching && t.phase == Phase::Succeeded && !t.resumed {
        "miss"
    } else {
        "-"
    };
    let params = if t.output_params.is_empty() {
        "-".to_owned()
    } else {
        t.output_params
            .iter()
            .map(|(n, v)| format!("{n}={}", shorten(v)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    [
        t.name.clone(),
        t.phase.as_str().to_owned(),
        time,
        cache.to_owned(),
        params,
    ]
}

fn shorten(v: &str) -> String {
    let one_line = v.replace('\n', "\\n");
    if one_line.chars().count() <= VALUE_MAX {
        one_line
    } else {
        let cut: String = one_line.chars().take(VALUE_MAX - 1).collect();
        format!("{cut}…")
    }
}

/// The text of a small file; JSON is pretty-printed.
fn small_text(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > METRICS_PRINT_MAX {
        return None;
    }
    let text = String::from_utf8(std::fs::read(path).ok()?).ok()?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => serde_json::to_string_pretty(&v).ok(),
        Err(_) => Some(text),
    }
}

/// The explanation of a failed run: the first failed task, its error and its stderr tail.
/// `resume` is the command that continues the run.
pub(crate) fn failure(report: &RunReport, resume: &str) -> String {
    let mut out = String::new();
    let failed = report
        .tasks
        .iter()
        .filter(|t| t.phase.is_failure())
        .collect::<Vec<_>>();
    let first = report
        .failed_task
        .as_deref()
        .and_then(|name| failed.iter().find(|t| t.name == name))
        .or(failed.first());
    match first {
        Some(t) => {
            let _ = writeln!(
                out,
                "error: task `{}` {}: {}",
                t.name,
                if t.phase == Phase::Error {
                    "could not run"
                } else {
                    "failed"
                },
                t.message.as_deref().unwrap_or("no message")
            );
            if let Some(tail) = &t.stderr_tail {
                let log = t
                    .folder
                    .as_ref()
                    .map(|f| f.join("stderr.log").display().to_string())
                    .unwrap_or_default();
                let _ = writeln!(out, "  ┌─ last lines of its stderr ({log})");
                for line in tail.lines() {
                    let _ = writeln!(out, "  │ {line}");
                }
                out.push_str("  └─\n");
            }
            for other in failed.iter().filter(|o| o.name != t.name) {
                let _ = writeln!(
                    out,
                    "error: task `{}` also failed: {}",
                    other.name,
                    other.message.as_deref().unwrap_or("no message")
                );
            }
        }
        None => {
            let _ = writeln!(out, "error: run {} did not succeed", report.run_id);
        }
    }
    let _ = write!(
        out,
        "help: fix the cause, then continue the run (tasks that succeeded are not run again):\nto resume: {resume}"
    );
    out
}

#[cfg(test)]
mod live_view_tests {
    use super::*;

    fn started(p: &mut Progress) -> String {
        let folder = Path::new("/tmp/run");
        p.update(&Event::RunStarted {
            run_id: "r",
            folder,
            resumed: false,
            done: 0,
            total: 3,
            ignored: &[],
        });
        p.update(&Event::TaskStarted { task: "prepare" });
        p.update(&Event::TaskStarted { task: "train" })
    }

    #[test]
    fn a_terminal_gets_a_status_line_redrawn_under_the_log() {
        let mut p = Progress::new(true);
        let out = started(&mut p);
        assert!(out.starts_with(CLEAR_LINE), "{out:?}");
        assert!(
            out.ends_with("0/3 done, 2 running, 0 failed: prepare, train"),
            "{out:?}"
        );
        assert_eq!(p.finish(), CLEAR_LINE);
    }

    #[test]
    fn anything_else_gets_plain_lines_only() {
        let mut p = Progress::new(false);
        let out = started(&mut p);
        assert!(
            !out.contains('\x1b') && out.ends_with("train started\n"),
            "{out:?}"
        );
        assert_eq!(p.finish(), "");
    }
}
