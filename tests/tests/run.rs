//! The local runner (`run`) end to end, through the `argot-fixtures` binary: every test works in
//! its own folder with its own metadata store, and checks values, files and store records, not
//! only exit codes. No assertion depends on timing; waits poll for a condition.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use argot_tests::cli_output::{code, run_id, stderr, stdout, task};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_argot-fixtures");

/// What `gated_chain`'s tasks log when a run stopped in its second task is resumed: that
/// task started twice, and every task finished once.
const GATED_LOG_AFTER_RESUME: [&str; 5] = [
    "first",
    "started second",
    "started second",
    "second",
    "third",
];

/// A folder to run in, with its own store.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    fn store(&self) -> String {
        self.file("metadata.db").display().to_string()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .current_dir(self.path())
            .env("ARGOT_STORE", self.store())
            .env_remove("ARGOT_CONTAINER_RUNTIME");
        c
    }

    /// `run ARGS… --store STORE`.
    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["run"];
        all.extend_from_slice(args);
        let store = self.store();
        all.extend_from_slice(&["--store", &store]);
        self.command(&all).output().unwrap()
    }

    /// `run gated_chain --no-cache --store STORE`: its tasks log to `gated.log`, and the second
    /// one waits until the test creates `gate-open`.
    fn gated_chain(&self, store: &str) -> Command {
        let log_arg = format!("log={}", self.file("gated.log").display());
        let gate_arg = format!("gate={}", self.file("gate-open").display());
        self.command(&[
            "run",
            "gated_chain",
            "-p",
            &log_arg,
            "-p",
            &gate_arg,
            "--no-cache",
            "--store",
            store,
        ])
    }

    /// `runs show RUN --json`.
    fn show(&self, run_id: &str) -> Value {
        let out = self
            .command(&["runs", "show", run_id, "--json"])
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// `runs show RUN --json --store STORE`, as it exited.
    fn show_in(&self, store: &str, run_id: &str) -> Output {
        Command::new(BIN)
            .args(["runs", "show", run_id, "--json", "--store", store])
            .current_dir(self.path())
            .output()
            .unwrap()
    }

    fn run_folder(&self, run_id: &str) -> PathBuf {
        self.path().join(".argot/runs").join(run_id)
    }

    fn lines(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.file(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

fn output_param(details: &Value, task: &str, name: &str) -> String {
    details["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["task"] == task && p["direction"] == "output" && p["name"] == name)
        .and_then(|p| p["value"].as_str())
        .unwrap_or_else(|| panic!("no output {task}.{name}"))
        .to_owned()
}

fn cached(details: &Value, name: &str) -> bool {
    task(details, name)["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("cached"))
}

/// Polls `done` until it holds; the limit only keeps a broken build from hanging CI.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn quickstart_runs_locally_and_its_outputs_have_the_right_values() {
    let sb = Sandbox::new();
    let out = sb.run(&["quickstart"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let id = run_id(&out);
    assert!(id.starts_with("quickstart-"), "{id}");

    // The summary prints the metrics artifact's content.
    let text = stdout(&out);
    assert!(text.contains("metrics evaluate.metrics"), "{text}");
    assert!(text.contains("\"accuracy\""), "{text}");

    let folder = sb.run_folder(&id);
    let metrics: Value =
        serde_json::from_slice(&std::fs::read(folder.join("evaluate/outputs/metrics")).unwrap())
            .unwrap();
    let accuracy = metrics["accuracy"].as_f64().unwrap();
    assert!((0.85..=1.0).contains(&accuracy), "accuracy {accuracy}");
    assert_eq!(metrics["rows"], 1000);
    assert!(metrics["log_loss"].as_f64().unwrap() > 0.0);
    let data = std::fs::read_to_string(folder.join("prepare/outputs/data")).unwrap();
    assert_eq!(data.lines().count(), 1001, "header + 1000 rows");
    let model: Value =
        serde_json::from_slice(&std::fs::read(folder.join("train/outputs/model")).unwrap())
            .unwrap();
    assert_eq!(model["weights"].as_array().unwrap().len(), 2);
    for t in ["prepare", "train", "evaluate"] {
        assert!(folder.join(t).join("stderr.log").is_file());
        assert!(!folder.join(format!("{t}.tmp")).exists());
    }

    // The store has the run as a cluster run would be: tasks, parameters, artifacts, edges.
    let details = sb.show(&id);
    assert_eq!(details["run"]["source"], "local");
    assert_eq!(details["run"]["phase"], "Succeeded");
    for t in ["prepare", "train", "evaluate"] {
        assert_eq!(task(&details, t)["phase"], "Succeeded");
    }
    let train_accuracy: f64 = output_param(&details, "train", "output").parse().unwrap();
    assert_eq!(metrics["train_accuracy"].as_f64().unwrap(), train_accuracy);
    assert_eq!(
        output_param(&details, "evaluate", "output")
            .parse::<f64>()
            .unwrap(),
        accuracy
    );
    let artifacts = details["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), 3);
    for a in artifacts {
        let uri = a["uri"].as_str().unwrap();
        let path = uri.strip_prefix("file://").expect("a file URI");
        assert!(Path::new(path).exists(), "{uri}");
    }
    assert_eq!(details["consumptions"].as_array().unwrap().len(), 3);
}

#[test]
fn runs_list_show_and_lineage_answer_for_a_local_run() {
    let sb = Sandbox::new();
    let out = sb.run(&["quickstart", "-p", "rows=100"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let id = run_id(&out);

    let list = sb.command(&["runs", "list"]).output().unwrap();
    assert_eq!(code(&list), 0, "{}", stderr(&list));
    let row = stdout(&list)
        .lines()
        .find(|l| l.starts_with(&id))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("{id} not listed:\n{}", stdout(&list)));
    assert!(row.contains("local") && row.contains("Succeeded"), "{row}");

    let show = sb.command(&["runs", "show", &id]).output().unwrap();
    assert_eq!(code(&show), 0);
    let text = stdout(&show);
    assert!(text.contains("prepare input rows = 100"), "{text}");
    assert!(text.contains("train.data <- #"), "{text}");

    let lineage = sb
        .command(&["lineage", &format!("{id}/prepare/data")])
        .output()
        .unwrap();
    assert_eq!(code(&lineage), 0, "{}", stderr(&lineage));
    let text = stdout(&lineage);
    assert!(
        text.contains(&format!("produced by: {id}/prepare")),
        "{text}"
    );
    assert!(text.contains(&format!("{id}/train (input data)")), "{text}");
    assert!(
        text.contains(&format!("{id}/evaluate (input data)")),
        "{text}"
    );

    let uri = format!(
        "file://{}",
        sb.run_folder(&id).join("train/outputs/model").display()
    );
    let by_uri = sb.command(&["lineage", &uri, "--json"]).output().unwrap();
    assert_eq!(code(&by_uri), 0, "{}", stderr(&by_uri));
    let l: Value = serde_json::from_slice(&by_uri.stdout).unwrap();
    assert_eq!(l["producer"]["name"], "train");
    assert_eq!(l["consumers"][0]["task"], "evaluate");
}

#[test]
fn a_parameter_override_changes_the_outputs_and_bad_ones_exit_2() {
    let sb = Sandbox::new();
    let out = sb.run(&["quickstart", "-p", "rows=200", "--no-cache"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let folder = sb.run_folder(&run_id(&out));
    let metrics: Value =
        serde_json::from_slice(&std::fs::read(folder.join("evaluate/outputs/metrics")).unwrap())
            .unwrap();
    assert_eq!(metrics["rows"], 200);
    assert_eq!(
        std::fs::read_to_string(folder.join("prepare/outputs/data"))
            .unwrap()
            .lines()
            .count(),
        201
    );

    let cases: [(&[&str], &str); 5] = [
        (&["quickstart", "-p", "rows=many"], "not a valid `u32`"),
        (&["quickstart", "-p", "rows=-5"], "not a valid `u32`"),
        (&["quickstart", "-p", "rowz=5"], "has no parameter `rowz`"),
        (&["quickstart", "-p", "rows"], "expected NAME=VALUE"),
        (&["nonesuch"], "no pipeline named `nonesuch`"),
    ];
    for (args, expected) in cases {
        let out = sb.run(args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains("help:"), "{args:?}: {}", stderr(&out));
    }
    // Nothing was started for the refused runs.
    let runs = std::fs::read_dir(sb.path().join(".argot/runs"))
        .unwrap()
        .count();
    assert_eq!(runs, 1);

    // A pipeline without an image runs locally (its components are this binary) but still
    // cannot be compiled for a cluster.
    let local = sb.run(&["no_image"]);
    assert_eq!(code(&local), 0, "{}", stderr(&local));
    assert_eq!(
        output_param(&sb.show(&run_id(&local)), "step", "output"),
        "2"
    );
    // Images are the Argo backend's concern: the run validates the pipeline as it is, with no
    // stand-in image in the IR it records.
    let recorded: Value = serde_json::from_slice(
        &std::fs::read(
            sb.path()
                .join(".argot/runs")
                .join(run_id(&local))
                .join("run.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(recorded["ir"]["image"], Value::Null, "{recorded}");
    let compile = sb.command(&["compile", "no_image"]).output().unwrap();
    assert_eq!(code(&compile), 3, "{}", stderr(&compile));
    assert!(stderr(&compile).contains("A0009"));

    let invalid = sb.run(&["cyclic"]);
    assert_eq!(code(&invalid), 3, "{}", stderr(&invalid));
    assert!(stderr(&invalid).contains("A0001"));
}

#[test]
fn a_failing_task_exits_5_with_its_stderr_tail() {
    let sb = Sandbox::new();
    let out = sb.run(&["fails"]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("error: task `broken` failed"), "{err}");
    assert!(
        err.contains("│ error: component `broken` failed: this task always fails"),
        "{err}"
    );
    assert!(err.contains("--resume fails-"), "{err}");
    let id = run_id(&out);
    assert!(
        sb.run_folder(&id)
            .join("broken.failed/stderr.log")
            .is_file()
    );
    let details = sb.show(&id);
    assert_eq!(details["run"]["phase"], "Failed");
    assert_eq!(task(&details, "broken")["phase"], "Failed");
    assert!(
        details["run"]["message"]
            .as_str()
            .unwrap()
            .contains("this task always fails")
    );
}

#[test]
fn a_failure_omits_its_dependants_while_the_running_branch_completes() {
    let sb = Sandbox::new();
    let log = sb.file("branches.log");
    let out = sb.run(&[
        "fails_one_branch",
        "--parallelism",
        "2",
        "-p",
        &format!("log={}", log.display()),
    ]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert_eq!(sb.lines("branches.log"), ["independent"]);
    let details = sb.show(&run_id(&out));
    assert_eq!(details["run"]["phase"], "Failed");
    assert_eq!(task(&details, "broken")["phase"], "Failed");
    assert_eq!(task(&details, "tally-2")["phase"], "Succeeded");
    let omitted = task(&details, "tally");
    assert_eq!(omitted["phase"], "Omitted");
    assert!(
        omitted["message"]
            .as_str()
            .unwrap()
            .contains("depends on `broken`"),
        "{omitted}"
    );

    // With one slot the independent task still starts after the failure: Argo's DAG keeps
    // executing tasks until every created node is fulfilled (`assessDAGPhase` stays Running),
    // its `failFast` only deciding the DAG's phase.
    let out = sb.run(&[
        "fails_one_branch",
        "--parallelism",
        "1",
        "-p",
        &format!("log={}", log.display()),
    ]);
    assert_eq!(code(&out), 5);
    let details = sb.show(&run_id(&out));
    assert_eq!(details["run"]["phase"], "Failed");
    assert_eq!(task(&details, "tally-2")["phase"], "Succeeded");
    assert_eq!(task(&details, "tally")["phase"], "Omitted");
    // (This time `independent` comes from the cache.)
    assert_eq!(sb.lines("branches.log"), ["independent"]);
}

#[test]
fn the_exit_handler_runs_after_the_body_whatever_happened_and_learns_how_it_ended() {
    let sb = Sandbox::new();
    let summary = |details: &Value| -> String {
        let wire = details["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["task"] == "summarize" && p["direction"] == "output")
            .and_then(|p| p["value"].as_str())
            .unwrap_or_else(|| panic!("{details}"))
            .to_owned();
        argot::value::decode::<String>(&wire).unwrap()
    };
    // `fit` fails: the run fails, and the handler still runs, told so.
    let out = sb.run(&["exit_handler"]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let first = run_id(&out);
    let details = sb.show(&first);
    assert_eq!(details["run"]["phase"], "Failed");
    assert_eq!(task(&details, "summarize")["phase"], "Succeeded");
    assert_eq!(
        summary(&details),
        "run failed; fit failed: exit code 4: component `fit` failed: only 100 rows today; training needs at least 500"
    );
    // Resumed, the handler runs again: what it learns has changed. (The failing task still
    // fails: its input did not change.)
    let out = sb.run(&["--resume", &first]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("summarize started"),
        "{}",
        stderr(&out)
    );
    // Everything succeeds: so does the run, and the handler says so.
    let out = sb.run(&["exit_handler", "-p", "rows=1000"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(details["run"]["phase"], "Succeeded");
    assert_eq!(summary(&details), "run succeeded");
}

/// A sub-pipeline call runs as its DAG task does on Argo: its tasks start once what its
/// arguments read has succeeded, and what it returns is read once the whole call has
/// finished — a failure anywhere in it omits its readers, even of an output that succeeded.
/// The pipeline's own outputs are in the summary and the store.
#[test]
fn sub_pipelines_run_as_their_dag_tasks_do() {
    let sb = Sandbox::new();
    let phase =
        |details: &Value, name: &str| task(details, name)["phase"].as_str().unwrap().to_owned();
    let output_of = |details: &Value, task: &str, name: &str| {
        details["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["task"] == task && p["direction"] == "output" && p["name"] == name)
            .map(|p| p["value"].as_str().unwrap().to_owned())
    };
    let run_output = |details: &Value, name: &str| output_of(details, "", name);

    let out = sb.run(&["nested_pipeline", "-p", "first=east"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    for name in [
        "prepare-region.fetch",
        "prepare-region.clean-and-score.score",
        "prepare-region-2.clean-and-score.score",
        "merge",
    ] {
        assert_eq!(phase(&details, name), "Succeeded", "{name}");
    }
    let compared = output_of(&details, "compare", "output");
    assert!(compared.as_ref().is_some_and(|c| c.starts_with("east by ")));
    assert_eq!(run_output(&details, "output"), compared, "{details}");
    assert!(stdout(&out).contains("PIPELINE OUTPUT"), "{}", stdout(&out));

    // Calls inside calls, outputs passed on: 2 → 4 → 5, and 5 → 10 → 11 (+10 = 21): 26.
    let out = sb.run(&["calls_probe", "--no-cache"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(run_output(&details, "total").as_deref(), Some("26"));
    assert_eq!(
        phase(&details, "double-plus-one-2.checked-double.sum"),
        "Succeeded"
    );

    // The first call's check fails. Its `sum` still succeeds, but the call fails as a whole:
    // `plus-one` after it, and `together` after the outer call, are omitted; the second
    // call and `apart` are independent and run.
    let out = sb.run(&["calls_probe", "-p", "bad=2", "--no-cache"]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(
        phase(&details, "double-plus-one.checked-double.refuse"),
        "Failed"
    );
    assert_eq!(
        phase(&details, "double-plus-one.checked-double.sum"),
        "Succeeded"
    );
    assert_eq!(phase(&details, "double-plus-one.plus-one"), "Omitted");
    assert_eq!(phase(&details, "apart"), "Succeeded");
    assert_eq!(phase(&details, "together"), "Omitted");
    assert_eq!(details["run"]["phase"], "Failed");
    assert_eq!(run_output(&details, "total"), None);

    // Conditions inside a called pipeline, on the call's parameters: 3 is incremented, 10
    // doubled (4 + 20); with 7, both are doubled (14 + 20).
    let out = sb.run(&["branching_calls", "--no-cache"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(run_output(&details, "output").as_deref(), Some("24"));
    assert_eq!(phase(&details, "double-or-increment.sum"), "Skipped");
    assert_eq!(phase(&details, "double-or-increment.sum-2"), "Succeeded");
    assert_eq!(phase(&details, "double-or-increment-2.sum"), "Succeeded");
    assert_eq!(phase(&details, "double-or-increment-2.sum-2"), "Skipped");
    // The call inside the branch is skipped with it.
    assert_eq!(phase(&details, "double-or-increment-3.picked"), "Skipped");
    // 4 is not above 10: `low` adds what the calls returned (4 + 20), and `chosen` reads it.
    assert_eq!(phase(&details, "double-or-increment-4.picked"), "Skipped");
    assert_eq!(
        output_of(&details, "chosen", "output").as_deref(),
        Some("24")
    );
    let out = sb.run(&["branching_calls", "-p", "x=7", "--no-cache"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(run_output(&details, "output").as_deref(), Some("34"));
    assert_eq!(phase(&details, "double-or-increment.sum-2"), "Skipped");
    // 7 > 5: the branch runs its call on `seed` (8), which doubles it.
    assert_eq!(
        output_of(&details, "double-or-increment-3.picked", "output").as_deref(),
        Some("16")
    );
    // 14 is above 10: the call in the branch increments 20, and `chosen` reads what it
    // returned.
    assert_eq!(phase(&details, "low"), "Skipped");
    assert_eq!(
        output_of(&details, "chosen", "output").as_deref(),
        Some("21")
    );
}

/// A task asking for more CPUs than the run has slots runs alone, and its report says so;
/// a secret's value comes from where `--secret` says, reaches the task's environment, and is
/// written nowhere.
#[test]
fn a_task_wanting_more_cpus_than_the_run_has_runs_alone_and_says_so() {
    let sb = Sandbox::new();
    // Without saying where the secret is, the run is refused before it starts.
    let out = sb.run(&["settings_dsl", "--no-cache"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--secret bucket-creds/token=env:VARIABLE"),
        "{}",
        stderr(&out)
    );
    let secret = "s3cr3t-value-that-must-not-be-recorded";
    std::fs::write(sb.file("token"), secret).unwrap();
    let token = format!("bucket-creds/token=file:{}", sb.file("token").display());
    let out = sb.run(&[
        "settings_dsl",
        "--parallelism",
        "2",
        "--no-cache",
        "--secret",
        &token,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    let length = details["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["task"] == "secret-length" && p["direction"] == "output")
        .unwrap();
    assert_eq!(length["value"], secret.len().to_string());
    // The value reached the task's environment only: nothing on disk holds it.
    let mut stack = vec![sb.path().join(".argot")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{} holds the secret",
                    path.display()
                );
            }
        }
    }
    let store = std::fs::read(sb.store()).unwrap();
    assert!(!store.windows(secret.len()).any(|w| w == secret.as_bytes()));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        text.contains("greedy warning: it requests 64 CPUs and this run has 2 slots (--parallelism): it ran alone"),
        "{text}"
    );
    assert!(!text.contains("train warning"), "{text}");
    // What only places a pod is said once, naming the tasks.
    assert_eq!(
        text.matches("note: node selectors only place a pod")
            .count(),
        1,
        "{text}"
    );
    assert!(
        text.contains("note: extended resources (GPUs) and ephemeral storage only place a pod on a cluster; ignored here (`train`, `heavy-default`, `heavy-longer`)"),
        "{text}"
    );
}

/// `gpu_training` runs here: the token from `--secret`, the checkpoint claim as a folder
/// kept between runs (the second run resumes from the first's last epoch), shared memory as
/// a fresh folder, and the 4-CPU step alone on a 2-slot run.
#[test]
fn gpu_training_runs_locally_with_its_secret_and_volumes() {
    let sb = Sandbox::new();
    std::fs::write(sb.file("token"), "t0k3n").unwrap();
    let token = format!("bucket-creds/token=file:{}", sb.file("token").display());
    let args = [
        "gpu_training",
        "--no-cache",
        "--parallelism",
        "2",
        "--secret",
        &token,
    ];
    let trained = |out: &Output| {
        let details = sb.show(&run_id(out));
        details["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["task"] == "" && p["direction"] == "output")
            .map(|p| p["value"].as_str().unwrap().to_owned())
    };
    let out = sb.run(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(trained(&out).as_deref(), Some("2"));
    assert!(
        stderr(&out).contains("fit-on-gpu warning: it requests 4 CPUs"),
        "{}",
        stderr(&out)
    );
    // The model's archive format and GC concern the repository only: said once.
    assert!(
        stderr(&out).contains("output archive formats and artifact GC only concern the artifact repository (outputs stay in the run folder as they are); ignored here (`fit-on-gpu`)"),
        "{}",
        stderr(&out)
    );
    let checkpoint = sb
        .path()
        .join(".argot/volumes/training-checkpoints/last-epoch");
    assert_eq!(std::fs::read_to_string(&checkpoint).unwrap(), "2");
    // The claim outlives the run: the next one starts from epoch 3.
    let out = sb.run(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(trained(&out).as_deref(), Some("4"));
    assert_eq!(std::fs::read_to_string(&checkpoint).unwrap(), "4");
}

/// `log_span`'s lines (`start X`, `end X`) of `tasks` tasks that never overlapped: each start
/// is followed by its own end.
fn assert_ran_one_at_a_time(lines: &[String], tasks: usize) {
    assert_eq!(lines.len(), 2 * tasks, "{lines:?}");
    for pair in lines.chunks(2) {
        let started = pair[0].strip_prefix("start ").expect("a start");
        assert_eq!(pair[1], format!("end {started}"), "overlap: {lines:?}");
    }
}

/// `#[pipeline(parallelism = 1)]` (Argo `spec.parallelism`) holds locally: independent tasks
/// run one after another although `--parallelism` allows more, and the run says why.
#[test]
fn the_pipelines_parallelism_limits_the_local_run() {
    let sb = Sandbox::new();
    let log = format!("log={}", sb.file("spans.log").display());
    let out = sb.run(&[
        "one_at_a_time",
        "-p",
        &log,
        "--parallelism",
        "3",
        "--no-cache",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("note: the pipeline runs at most 1 task at once (#[pipeline(parallelism = 1)]), fewer than --parallelism 3"),
        "{}",
        stderr(&out)
    );
    assert_ran_one_at_a_time(&sb.lines("spans.log"), 3);
}

/// Tasks holding one mutex (`.add_mutex`, Argo `synchronization.mutexes`) never overlap
/// locally, although the run has slots for all of them.
#[test]
fn tasks_holding_one_mutex_never_overlap() {
    let sb = Sandbox::new();
    let log = format!("log={}", sb.file("spans.log").display());
    let out = sb.run(&[
        "mutually_exclusive",
        "-p",
        &log,
        "--parallelism",
        "3",
        "--no-cache",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_ran_one_at_a_time(&sb.lines("spans.log"), 3);
}

/// Memory requests share the run's memory (`--memory`, the machine's by default): tasks whose
/// requests together exceed it wait, and a task requesting more than all of it runs beside no
/// other task that requests memory, and says so.
#[test]
fn memory_requests_share_the_runs_memory() {
    let sb = Sandbox::new();
    let log = format!("log={}", sb.file("spans.log").display());
    let run = |memory: &str| {
        let out = sb.run(&[
            "memory_bound",
            "-p",
            &log,
            "--parallelism",
            "4",
            "--memory",
            memory,
            "--no-cache",
        ]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let lines = sb.lines("spans.log");
        std::fs::remove_file(sb.file("spans.log")).unwrap();
        (format!("{}{}", stdout(&out), stderr(&out)), lines)
    };
    // Three tasks of 3Gi: two fit in 7Gi at once, never three.
    let (text, lines) = run("7Gi");
    assert_eq!(lines.len(), 6, "{lines:?}");
    assert_eq!(most_at_once(&lines), 2, "{lines:?}");
    assert!(!text.contains("of memory"), "{text}");
    // In 4Gi only one fits at a time.
    let (_, lines) = run("4Gi");
    assert_ran_one_at_a_time(&lines, 3);
    // In 2Gi each asks for more than the run has: each runs alone and says so.
    let (text, lines) = run("2Gi");
    assert_ran_one_at_a_time(&lines, 3);
    assert_eq!(
        text.matches("warning: it requests 3Gi of memory and this run has 2Gi (--memory): no other task requesting memory ran beside it")
            .count(),
        3,
        "{text}"
    );
    let out = sb.run(&["memory_bound", "-p", &log, "--memory", "lots"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("expected a memory quantity such as `16Gi`"),
        "{}",
        stderr(&out)
    );
}

/// The most tasks of a spans log (`start X` / `end X` lines) that ran at once.
fn most_at_once(lines: &[String]) -> usize {
    let (mut now, mut most) = (0usize, 0usize);
    for line in lines {
        if line.starts_with("start ") {
            now += 1;
            most = most.max(now);
        } else {
            now -= 1;
        }
    }
    most
}

/// Tasks holding a semaphore (`.add_semaphore`, Argo `synchronization.semaphores`) run at
/// most `--semaphore`'s limit at once, one at a time without it (the limit is in a config
/// map `run` cannot read), and the run says so.
#[test]
fn a_semaphore_limits_its_holders() {
    let sb = Sandbox::new();
    let log = format!("log={}", sb.file("spans.log").display());
    let run = |extra: &[&str]| {
        let mut args = vec!["rationed", "-p", &log, "--parallelism", "4", "--no-cache"];
        args.extend_from_slice(extra);
        let out = sb.run(&args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        out
    };
    let out = run(&[]);
    assert!(
        stderr(&out).contains("semaphore `argot-limits/gpu` (`log-span`, `log-span-2`, `log-span-3`, `log-span-4`): its limit is in that config map on the cluster; here one holder runs at a time (give --semaphore argot-limits/gpu=N)"),
        "{}",
        stderr(&out)
    );
    assert_ran_one_at_a_time(&sb.lines("spans.log"), 4);

    std::fs::remove_file(sb.file("spans.log")).unwrap();
    run(&["--semaphore", "argot-limits/gpu=2"]);
    let lines = sb.lines("spans.log");
    assert_eq!(lines.len(), 8, "{lines:?}");
    assert_eq!(most_at_once(&lines), 2, "{lines:?}");

    let out = sb.run(&["rationed", "-p", &log, "--semaphore", "argot-limits/gpu=0"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("expected CONFIG_MAP/KEY=N"),
        "{}",
        stderr(&out)
    );
}

/// `cached` runs locally: the second run reuses both steps from the local cache.
#[test]
fn cached_reuses_its_steps_locally() {
    let sb = Sandbox::new();
    let out = sb.run(&["cached"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = sb.run(&["cached"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("(2 cached)"), "{}", stdout(&out));
}

#[test]
fn conditions_skip_the_branches_argo_skips() {
    let sb = Sandbox::new();
    let phase =
        |details: &Value, name: &str| task(details, name)["phase"].as_str().unwrap().to_owned();
    // Heads: the first branch runs, the second (and the branch in it) is skipped.
    let out = sb.run(&["coin_flip", "-p", "seed=2"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(phase(&details, "say"), "Succeeded");
    assert_eq!(phase(&details, "flip-again"), "Skipped");
    assert_eq!(phase(&details, "say-2"), "Skipped");
    // Tails twice: the other way round, through the nested branch.
    let out = sb.run(&["coin_flip", "-p", "seed=1"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(phase(&details, "say"), "Skipped");
    assert_eq!(phase(&details, "flip-again"), "Succeeded");
    assert_eq!(phase(&details, "say-2"), "Succeeded");
    assert_eq!(details["run"]["phase"], "Succeeded");
    // `announce` read the output of the branch that ran (`one_of`): the second flip's.
    let announced = details["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["task"] == "announce" && p["direction"] == "input")
        .unwrap();
    assert_eq!(announced["value"], "tails");

    // A string with a quote, a slash and a hyphen; floats and integers; a nested branch
    // comparing an outside output with a parameter; artifacts and outputs passed in.
    let log = sb.file("conditions.log");
    let log_param = format!("log={}", log.display());
    let out = sb.run(&["conditions_probe", "--no-cache", "-p", &log_param]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    for ran in ["matched", "matched-again", "evaluate", "tally-4"] {
        assert_eq!(phase(&details, ran), "Succeeded", "{ran}");
    }
    for skipped in ["tally-2", "tally-5", "tally-6"] {
        assert_eq!(phase(&details, skipped), "Skipped", "{skipped}");
    }
    let mut lines = sb.lines("conditions.log");
    lines.sort();
    assert_eq!(lines, ["it's a/b-c", "it's a/b-c", "scored"]);
    // Another word skips the first branch; a low score takes `otherwise`.
    std::fs::remove_file(&log).unwrap();
    let out = sb.run(&[
        "conditions_probe",
        "--no-cache",
        "-p",
        &log_param,
        "-p",
        "word=it's a/b-d",
        "-p",
        "score=0.25",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    for skipped in [
        "matched",
        "matched-again",
        "evaluate",
        "tally-2",
        "tally-4",
        "tally-5",
    ] {
        assert_eq!(phase(&details, skipped), "Skipped", "{skipped}");
    }
    assert_eq!(phase(&details, "tally-6"), "Succeeded");
    assert_eq!(sb.lines("conditions.log"), ["low"]);
    let message = task(&details, "tally-4")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("the condition of its branch `condition-3`")
            && message.contains("is false"),
        "{message}"
    );

    // What a branch reads failed: the branch is omitted and the run fails.
    let out = sb.run(&["branch_after_failure", "-p", &log_param]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(phase(&details, "tally"), "Omitted");
    assert!(
        task(&details, "tally")["message"]
            .as_str()
            .unwrap()
            .contains("its branch `condition-1` reads `flaky`, which did not succeed")
    );
}

/// `format_arg!` gives the component what `format!` gives, whatever the values hold; the same
/// text the Argo golden (`golden/formatted.argo.snap`) builds with `toJson`.
#[test]
fn formatted_strings_reach_the_component_as_format_would_write_them() {
    let sb = Sandbox::new();
    let out_file = sb.file("formatted.txt");
    let out_param = format!("out={}", out_file.display());
    let word = "it's \"q\" $(HOME) {{workflow.uid}}\nnext";
    let out = sb.run(&[
        "formatted",
        "--no-cache",
        "-p",
        &out_param,
        "-p",
        "rate=2.0",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        format!("gs://b/{word}/{}-{}-{}-{}{{x}}", 42, 2.0f64, 1.0f64, '$')
    );
    let branch = std::fs::read_to_string(format!("{}.branch", out_file.display())).unwrap();
    assert_eq!(branch, format!("[{word}]"));
    let call = std::fs::read_to_string(format!("{}.call", out_file.display())).unwrap();
    assert_eq!(call, format!("<{word}>"));
    let in_branch = std::fs::read_to_string(format!("{}.call-branch", out_file.display())).unwrap();
    assert_eq!(in_branch, format!("({word})"));
}

/// Hooks run for the result they are for, before their task's dependants start; a failing
/// hook fails nothing (`argot::hooks` cites the Argo functions).
#[test]
fn hooks_run_for_their_result_before_the_dependants() {
    let sb = Sandbox::new();
    let log = sb.file("hooks.log");
    let log_param = format!("log={}", log.display());
    let out = sb.run(&["hooked", "--no-cache", "-p", &log_param]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(details["run"]["phase"], "Succeeded");
    let phase = |name: &str| task(&details, name)["phase"].as_str().unwrap().to_owned();
    for (name, expected) in [
        ("first", "Succeeded"),
        ("on-success", "Succeeded"),
        ("failing-hook", "Failed"),
        ("never", "Skipped"),
        ("after-first", "Succeeded"),
        ("fails", "Failed"),
        ("on-failure", "Succeeded"),
        ("on-exit", "Succeeded"),
        ("handled", "Succeeded"),
        ("branched", "Succeeded"),
        ("branch-hook", "Succeeded"),
    ] {
        assert_eq!(phase(name), expected, "{name}");
    }
    assert!(
        task(&details, "never")["message"]
            .as_str()
            .unwrap()
            .contains("the `.on_failure(…)` hook of `first`, which ended Succeeded")
    );
    let lines = sb.lines("hooks.log");
    let at = |line: &str| {
        lines
            .iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("{line} missing from {lines:?}"))
    };
    assert!(at("first") < at("first succeeded"));
    assert!(at("first succeeded") < at("after first"), "{lines:?}");
    assert!(at("fails failed") < at("handled"), "{lines:?}");
    assert!(at("fails ended") < at("handled"), "{lines:?}");
    assert!(at("in branch") < at("branch hook"), "{lines:?}");
    assert_eq!(lines.len(), 8, "{lines:?}");
}

#[test]
fn depends_on_results_runs_as_argo_evaluates_it() {
    let sb = Sandbox::new();
    let log = sb.file("results.log");
    let log_param = format!("log={}", log.display());
    let out = sb.run(&["handles_a_failure", "--parallelism", "1", "-p", &log_param]);
    // The failure is handled by `alert`, so the run succeeds.
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(sb.lines("results.log"), ["alert", "cleanup"]);
    let details = sb.show(&run_id(&out));
    assert_eq!(details["run"]["phase"], "Succeeded");
    assert_eq!(task(&details, "broken")["phase"], "Failed");
    assert_eq!(task(&details, "tally")["phase"], "Succeeded");
    assert_eq!(task(&details, "tally-2")["phase"], "Succeeded");

    let out = sb.run(&["omits_on_a_result", "-p", &log_param]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(details["run"]["phase"], "Failed");
    let deploy = task(&details, "tally");
    assert_eq!(deploy["phase"], "Omitted");
    assert_eq!(
        deploy["message"],
        "not run: its depends `broken.Succeeded` is false (`broken` Failed)"
    );
    assert_eq!(sb.lines("results.log"), ["alert", "cleanup"]);
}

fn container_runtime_works() -> bool {
    ["docker", "podman"].iter().any(|p| {
        Command::new(p)
            .arg("info")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

#[test]
fn container_steps_need_a_runtime_and_say_which_task_and_what_to_install() {
    let sb = Sandbox::new();
    let mut forced_off = sb.command(&["run", "container_steps"]);
    forced_off.env("ARGOT_CONTAINER_RUNTIME", "none");
    let out = forced_off.output().unwrap();
    let mut outcomes = vec![out];
    if !container_runtime_works() {
        outcomes.push(sb.run(&["container_steps"]));
    }
    for out in &outcomes {
        assert_eq!(code(out), 5, "{}", stderr(out));
        let err = stderr(out);
        assert!(
            err.contains("error: task `word-count` could not run"),
            "{err}"
        );
        assert!(err.contains("python:3.12-alpine"), "{err}");
        assert!(err.contains("install Docker"), "{err}");
        let details = sb.show(&run_id(out));
        assert_eq!(task(&details, "write-corpus")["phase"], "Succeeded");
        assert_eq!(task(&details, "word-count")["phase"], "Error");
        assert_eq!(task(&details, "report")["phase"], "Omitted");
    }
    if container_runtime_works() {
        let out = sb.run(&["container_steps"]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let details = sb.show(&run_id(&out));
        // 100 lines of "line N: the quick brown fox jumps over the lazy dog": 6 words of 4+.
        assert_eq!(output_param(&details, "word-count", "count"), "600");
    }
}

#[test]
fn the_second_run_hits_the_cache_and_a_changed_input_misses() {
    let sb = Sandbox::new();
    let log = format!("log={}", sb.file("count.log").display());
    let first = sb.run(&["counted", "-p", &log]);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    assert_eq!(sb.lines("count.log"), ["a", "A"]);

    let second = sb.run(&["counted", "-p", &log]);
    assert_eq!(code(&second), 0, "{}", stderr(&second));
    assert_eq!(sb.lines("count.log"), ["a", "A"], "no task ran again");
    let details = sb.show(&run_id(&second));
    assert!(cached(&details, "tally") && cached(&details, "shout"));
    assert_eq!(output_param(&details, "shout", "output"), "A");

    let changed = sb.run(&["counted", "-p", &log, "-p", "line=b"]);
    assert_eq!(code(&changed), 0);
    assert_eq!(sb.lines("count.log"), ["a", "A", "b", "B"]);
    let details = sb.show(&run_id(&changed));
    assert!(!cached(&details, "tally") && !cached(&details, "shout"));

    let uncached = sb.run(&["counted", "-p", &log, "--no-cache"]);
    assert_eq!(code(&uncached), 0);
    assert_eq!(sb.lines("count.log").len(), 6);

    // Artifacts are keyed by content: a new learning rate reuses `prepare` only.
    let q1 = sb.run(&["quickstart", "-p", "rows=100"]);
    assert_eq!(code(&q1), 0, "{}", stderr(&q1));
    let q2 = sb.run(&["quickstart", "-p", "rows=100", "-p", "learning_rate=0.25"]);
    assert_eq!(code(&q2), 0, "{}", stderr(&q2));
    let details = sb.show(&run_id(&q2));
    assert!(cached(&details, "prepare"));
    assert!(!cached(&details, "train") && !cached(&details, "evaluate"));
    let q3 = sb.run(&["quickstart", "-p", "rows=100"]);
    let details = sb.show(&run_id(&q3));
    for t in ["prepare", "train", "evaluate"] {
        assert!(cached(&details, t), "{t}");
    }
    // A cached task's outputs are in its own run folder.
    let folder = sb.run_folder(&run_id(&q3));
    assert!(folder.join("evaluate/outputs/metrics").is_file());
}

/// Whether any process has `needle` in its command line (Linux: /proc).
fn process_with_arg(needle: &str) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    procs.flatten().any(|p| {
        std::fs::read(p.path().join("cmdline"))
            .map(|c| String::from_utf8_lossy(&c).contains(needle))
            .unwrap_or(false)
    })
}

#[test]
fn a_run_killed_mid_task_resumes_without_running_any_task_twice() {
    let sb = Sandbox::new();
    let gate = sb.file("gate-open");
    let store = sb.store();
    let mut runner = sb
        .gated_chain(&store)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the second task to start", || {
        sb.lines("gated.log").contains(&"started second".to_owned())
    });
    runner.kill().unwrap(); // SIGKILL: no chance to clean up
    runner.wait().unwrap();
    // The orphaned component notices its runner is gone and stops by itself.
    wait_until("the orphaned component to stop", || {
        !process_with_arg(&gate.display().to_string())
    });
    assert_eq!(sb.lines("gated.log"), ["first", "started second"]);

    let runs: Vec<_> = std::fs::read_dir(sb.path().join(".argot/runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let [id] = runs.as_slice() else {
        panic!("{runs:?}")
    };
    let details = sb.show(id);
    assert_eq!(task(&details, "tally")["phase"], "Succeeded");
    assert_eq!(task(&details, "gated")["phase"], "Running");
    assert!(sb.run_folder(id).join("gated.tmp").exists());

    // Resuming with new parameters or an unknown run is refused.
    let refused = sb.run(&["--resume", id, "-p", "log=x"]);
    assert_eq!(code(&refused), 2, "{}", stderr(&refused));
    let unknown = sb.run(&["--resume", "gated-chain-19700101-000000-0000"]);
    assert_eq!(code(&unknown), 2, "{}", stderr(&unknown));

    let resumed = sb
        .command(&["run", "--resume", id, "--no-cache", "--store", &store])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the second task to start again", || {
        sb.lines("gated.log")
            .iter()
            .filter(|l| *l == "started second")
            .count()
            == 2
    });
    std::fs::write(&gate, "").unwrap();
    let out = resumed.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 from an earlier attempt"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        sb.lines("gated.log"),
        GATED_LOG_AFTER_RESUME,
        "every task finished exactly once"
    );
    let details = sb.show(id);
    assert_eq!(details["run"]["phase"], "Succeeded");
    for t in ["tally", "gated", "tally-2"] {
        assert_eq!(task(&details, t)["phase"], "Succeeded", "{t}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(sb.run_folder(id))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".failed"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Resuming a finished run runs nothing.
    let again = sb.run(&["--resume", id, "--no-cache"]);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert_eq!(sb.lines("gated.log").len(), 5);
}

#[test]
fn a_failed_run_resumes_from_the_failed_task() {
    let sb = Sandbox::new();
    let out = sb.run(&["fails_one_branch", "--parallelism", "2"]);
    assert_eq!(code(&out), 5);
    let id = run_id(&out);
    let again = sb.run(&["--resume", &id]);
    // `broken` fails again; `tally-2` is not run again.
    assert_eq!(code(&again), 5);
    assert!(
        stdout(&again).contains("1 from an earlier attempt"),
        "{}",
        stdout(&again)
    );
    assert!(sb.run_folder(&id).join("broken.failed").is_dir());
}

#[test]
fn concurrent_runs_share_one_store_and_cache_without_corrupting_them() {
    let sb = Sandbox::new();
    let store = sb.store();
    let children: Vec<Child> = (0..3)
        .map(|i| {
            let start = format!("start={}", i % 2);
            sb.command(&["run", "fan_out", "-p", &start, "--store", &store])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        ids.push(run_id(&out));
    }
    let list = sb.command(&["runs", "list"]).output().unwrap();
    assert_eq!(code(&list), 0, "{}", stderr(&list));
    for id in &ids {
        let details = sb.show(id);
        assert_eq!(details["run"]["phase"], "Succeeded");
        let tasks = details["tasks"].as_array().unwrap();
        assert_eq!(tasks.len(), 5);
        assert!(tasks.iter().all(|t| t["phase"] == "Succeeded"));
        assert!(stdout(&list).contains(id.as_str()));
    }
    let details = sb.show(&ids[1]);
    assert_eq!(output_param(&details, "step", "output"), "2");
    assert_eq!(output_param(&details, "step-2", "output"), "3");
}

/// Sends `signal` (`INT`, `TERM`) to a process with the `kill` command.
fn send_signal(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Sends `signal` to the process group `child` leads, as a terminal's Ctrl-C does: the
/// runner's children get it too.
fn send_signal_to_group(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .args(["-s", signal, "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// The command after `to resume: ` in a runner's stderr.
fn resume_line(err: &str) -> String {
    err.lines()
        .find_map(|l| l.strip_prefix("to resume: "))
        .unwrap_or_else(|| panic!("no `to resume:` line in:\n{err}"))
        .to_owned()
}

/// Runs a printed command line as a user would paste it, in the sandbox, without the
/// `ARGOT_STORE` the other commands get: the line must carry everything it needs.
fn paste(sb: &Sandbox, line: &str) -> Output {
    Command::new("sh")
        .args(["-c", line])
        .current_dir(sb.path())
        .env_remove("ARGOT_STORE")
        .env_remove("ARGOT_CONTAINER_RUNTIME")
        .output()
        .unwrap()
}

#[test]
fn sigint_and_sigterm_stop_the_children_record_interrupted_and_print_a_working_resume_command() {
    // (signal, to the whole process group like a terminal's Ctrl-C, exit code, name)
    for (signal, group, expected_code, name) in [
        ("INT", false, 130, "SIGINT"),
        ("INT", true, 130, "SIGINT"),
        ("TERM", false, 143, "SIGTERM"),
    ] {
        let sb = Sandbox::new();
        // A store path with a space: the printed command must quote it.
        let store = sb.file("my store.db").display().to_string();
        let gate = sb.file("gate-open");
        let mut command = sb.gated_chain(&store);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let runner = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_until("the gated task to start", || {
            sb.lines("gated.log").contains(&"started second".to_owned())
        });
        if group {
            send_signal_to_group(&runner, signal);
        } else {
            send_signal(&runner, signal);
        }
        let out = runner.wait_with_output().unwrap();
        assert_eq!(code(&out), expected_code, "{}", stderr(&out));
        // The runner waited for its child: none is left when it exits.
        assert!(
            !process_with_arg(&gate.display().to_string()),
            "the gated component outlived its runner"
        );
        let err = stderr(&out);
        assert!(err.contains(&format!("interrupted by {name}")), "{err}");

        let id = run_id(&out);
        let shown = sb.show_in(&store, &id);
        assert_eq!(code(&shown), 0, "{}", stderr(&shown));
        let details: Value = serde_json::from_slice(&shown.stdout).unwrap();
        assert_eq!(details["run"]["phase"], "Interrupted", "{details:#}");
        assert_eq!(task(&details, "tally")["phase"], "Succeeded");
        let gated = task(&details, "gated");
        assert_eq!(gated["phase"], "Failed");
        assert!(
            gated["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("interrupted by {name}")),
            "{gated}"
        );
        let omitted = task(&details, "tally-2");
        assert_eq!(omitted["phase"], "Omitted");
        assert_eq!(
            omitted["message"],
            format!("not run: the run was interrupted by {name}")
        );

        // The printed command, pasted as it is, finishes the run.
        let resume = resume_line(&err);
        assert!(resume.contains("'"), "the store path is quoted: {resume}");
        std::fs::write(&gate, "").unwrap();
        let resumed = paste(&sb, &resume);
        assert_eq!(code(&resumed), 0, "{resume}\n{}", stderr(&resumed));
        assert!(stdout(&resumed).contains("1 from an earlier attempt"));
        let again = sb.show_in(&store, &id);
        let details: Value = serde_json::from_slice(&again.stdout).unwrap();
        assert_eq!(details["run"]["phase"], "Succeeded");
        assert_eq!(sb.lines("gated.log"), GATED_LOG_AFTER_RESUME);
    }
}

#[test]
fn a_failed_run_prints_a_resume_command_that_works_from_another_workdir() {
    let sb = Sandbox::new();
    let out = sb.run(&["fails_one_branch", "--workdir", "elsewhere/runs"]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let resume = resume_line(&stderr(&out));
    assert!(
        resume.contains("--workdir elsewhere/runs"),
        "the workdir is named: {resume}"
    );
    // It resumes (and `broken` fails again, as it always does).
    let again = paste(&sb, &resume);
    assert_eq!(code(&again), 5, "{resume}\n{}", stderr(&again));
    assert!(
        stdout(&again).contains("1 from an earlier attempt"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn the_argo_size_budget_applies_to_a_local_run_only_when_asked() {
    let sb = Sandbox::new();
    let tight = sb.run(&["quickstart", "--max-manifest-bytes", "1KiB"]);
    assert_eq!(code(&tight), 3, "{}", stderr(&tight));
    assert!(stderr(&tight).contains("A0013"), "{}", stderr(&tight));
    let bad = sb.run(&["quickstart", "--max-manifest-bytes", "lots"]);
    assert_eq!(code(&bad), 2);

    // `too_big` is over Argo's 1 MiB (compile refuses it) but runs here: stop it once its
    // first task has started.
    let store = sb.store();
    let mut runner = sb
        .command(&[
            "run",
            "too_big",
            "--parallelism",
            "1",
            "--no-cache",
            "--store",
            &store,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(runner.stderr.take().unwrap()));
    let mut seen = Vec::new();
    let started = loop {
        match lines.next() {
            Some(Ok(line)) => {
                let started = line.contains(" started");
                seen.push(line);
                if started {
                    break true;
                }
            }
            _ => break false,
        }
    };
    send_signal(&runner, "TERM");
    seen.extend(lines.map_while(Result::ok));
    let status = runner.wait().unwrap();
    assert!(started, "no task started:\n{}", seen.join("\n"));
    assert_eq!(status.code(), Some(143), "{}", seen.join("\n"));
}

#[test]
fn a_store_that_cannot_be_opened_says_why() {
    let sb = Sandbox::new();
    std::fs::write(sb.file("a-file"), "").unwrap();
    let out = sb
        .command(&["run", "quickstart", "--store", "a-file/metadata.db"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("cannot open the metadata store"), "{err}");
    // The cause, once: the folder cannot be created because `a-file` is a file.
    assert_eq!(err.matches("caused by:").count(), 1, "{err}");
    assert!(
        err.contains("Not a directory") || err.contains("exists"),
        "{err}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_stderr_is_reported_on_stdout_never_as_a_panic() {
    let sb = Sandbox::new();
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let store = sb.store();
    let ok = sb
        .command(&["run", "quickstart", "--store", &store])
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(code(&ok), 0, "{}", stdout(&ok));
    let text = stdout(&ok);
    assert_eq!(
        text.matches("warning: cannot write to stderr").count(),
        1,
        "{text}"
    );
    assert_eq!(sb.show(&run_id(&ok))["run"]["phase"], "Succeeded");

    // A failed run's report goes to stderr too: still exit 5, not a panic's 101.
    let failed = sb
        .command(&["run", "fails", "--store", &store])
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(code(&failed), 5, "{}", stdout(&failed));
}

#[test]
fn a_program_found_on_path_is_named_by_its_name_in_the_resume_command() {
    let sb = Sandbox::new();
    let bin_dir = sb.file("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    std::os::unix::fs::symlink(BIN, bin_dir.join("pipeline-bin")).unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("pipeline-bin")
        .args(["run", "fails"])
        .current_dir(sb.path())
        .env("PATH", &path)
        .env_remove("ARGOT_STORE")
        .output()
        .unwrap();
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let resume = resume_line(&stderr(&out));
    assert!(
        resume.starts_with("pipeline-bin run --resume fails-"),
        "{resume}"
    );
    let again = Command::new("sh")
        .args(["-c", &resume])
        .current_dir(sb.path())
        .env("PATH", &path)
        .env_remove("ARGOT_STORE")
        .output()
        .unwrap();
    // `broken` always fails: the resumed run fails again, in the same run.
    assert_eq!(code(&again), 5, "{}", stderr(&again));
    assert!(stdout(&again).contains(&resume[resume.find("fails-").unwrap()..]));
}

/// Per-task settings run with Argo's meaning (see `run/settings.rs`). The DSL does not set
/// them yet, so these tests give `settings_probe`'s tasks their settings by editing the IR and
/// run it through the library, as `run` does.
mod task_settings {
    use std::collections::BTreeMap;

    use argot::ir::{Backoff, RetryOn, RetryPolicy, TaskConfig};
    use argot::run::{RunError, RunOptions, RunReport};
    use argot_client::Phase;
    use argot_client::store::SqliteStore;
    use k8s_openapi::api::core::v1::EnvVar;

    use super::{BIN, Sandbox};

    fn probe(edit: impl FnOnce(&mut argot::ir::Pipeline)) -> argot::ValidPipeline {
        let mut p = argot_tests::fixtures::settings_probe::definition()
            .trace(BIN)
            .unwrap()
            .pipeline;
        edit(&mut p);
        argot::validate(&p, &argot::ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"))
    }

    fn run(
        sb: &Sandbox,
        valid: &argot::ValidPipeline,
        params: &[(&str, String)],
        cache: bool,
    ) -> Result<RunReport, RunError> {
        let store = SqliteStore::open(sb.file("metadata.db")).unwrap();
        let options = RunOptions {
            parameters: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
            parallelism: 2,
            workdir: sb.file("runs"),
            cache_dir: cache.then(|| sb.file("cache")),
            executable: BIN.into(),
            ..RunOptions::new().unwrap()
        };
        argot::run::run(valid, &store, &options, &mut |_| {})
    }

    fn task<'a>(report: &'a RunReport, name: &str) -> &'a argot::run::TaskReport {
        report.tasks.iter().find(|t| t.name == name).unwrap()
    }

    fn retry(limit: u32, on: Option<RetryOn>) -> TaskConfig {
        TaskConfig {
            retry: Some(RetryPolicy {
                limit: Some(limit),
                on,
                backoff: None,
                condition: None,
            }),
            ..TaskConfig::default()
        }
    }

    #[test]
    fn retries_follow_the_limit_and_the_policy() {
        let sb = Sandbox::new();
        let log = sb.file("flaky.log");
        let params = [("flaky_log", log.display().to_string())];
        // Fails twice, succeeds on the third attempt: a limit of 2 is enough.
        let valid = probe(|p| p.tasks[0].config = retry(2, None).into());
        let report = run(&sb, &valid, &params, false).unwrap();
        assert_eq!(task(&report, "flaky").phase, Phase::Succeeded);
        assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 3);
        assert_eq!(report.phase, Phase::Succeeded);
        let warnings = &task(&report, "flaky").warnings;
        assert!(
            warnings[0].starts_with("attempt 1 failed: exit code"),
            "{warnings:?}"
        );

        // A limit of 1: two attempts, then the task fails.
        std::fs::remove_file(&log).unwrap();
        let valid = probe(|p| p.tasks[0].config = retry(1, None).into());
        let report = run(&sb, &valid, &params, false).unwrap();
        assert_eq!(task(&report, "flaky").phase, Phase::Failed);
        assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 2);
        assert_eq!(report.phase, Phase::Failed);

        // `OnError` does not retry a failed attempt.
        std::fs::remove_file(&log).unwrap();
        let valid = probe(|p| p.tasks[0].config = retry(5, Some(RetryOn::OnError)).into());
        let report = run(&sb, &valid, &params, false).unwrap();
        assert_eq!(task(&report, "flaky").phase, Phase::Failed);
        assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);

        // A retry expression decides on the last attempt's exit code (4: the component
        // returned an error), and without a policy retries failures (`RetryPolicyActual`).
        for (condition, attempts) in [
            (argot::RetryIf::exit_code().is(4), 3),
            (argot::RetryIf::exit_code().is_not(4), 1),
            (argot::RetryIf::message_contains("exit code 4"), 3),
            (!argot::RetryIf::failed(), 1),
        ] {
            std::fs::remove_file(&log).unwrap();
            let expression = condition.clone().into_condition();
            let valid = probe(|p| {
                p.tasks[0].config = TaskConfig {
                    retry: Some(RetryPolicy {
                        condition: Some(expression.clone()),
                        ..retry(5, None).retry.unwrap()
                    }),
                    ..TaskConfig::default()
                }
                .into()
            });
            run(&sb, &valid, &params, false).unwrap();
            let ran = std::fs::read_to_string(&log).unwrap().lines().count();
            assert_eq!(ran, attempts, "{condition:?}");
        }

        // A backoff whose max duration is shorter than the first wait: no retry starts.
        std::fs::remove_file(&log).unwrap();
        let valid = probe(|p| {
            p.tasks[0].config = TaskConfig {
                retry: Some(RetryPolicy {
                    limit: Some(5),
                    on: None,
                    backoff: Some(Backoff {
                        duration: "1m".into(),
                        factor: None,
                        cap: None,
                        max_duration: Some("10s".into()),
                    }),
                    condition: None,
                }),
                ..TaskConfig::default()
            }
            .into()
        });
        let report = run(&sb, &valid, &params, false).unwrap();
        assert_eq!(task(&report, "flaky").phase, Phase::Failed);
        assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
    }

    #[test]
    fn a_time_limit_stops_the_task_and_fails_it() {
        let sb = Sandbox::new();
        let gate = sb.file("never-opens");
        let valid = probe(|p| {
            p.tasks[1].config.timeout = Some("1s".into());
        });
        let report = run(&sb, &valid, &[("gate", gate.display().to_string())], false).unwrap();
        let gated = task(&report, "gated");
        assert_eq!(gated.phase, Phase::Failed);
        let message = gated.message.as_deref().unwrap();
        assert!(
            message.starts_with("stopped: it ran past its timeout of 1s"),
            "{message}"
        );
        // The other tasks ran to the end.
        assert_eq!(task(&report, "env-echo").phase, Phase::Succeeded);
    }

    /// The whole-run deadline (`#[pipeline(active_deadline = …)]`, Argo
    /// `spec.activeDeadlineSeconds`) stops what still runs when it passes and fails the run.
    #[test]
    fn the_runs_active_deadline_stops_what_still_runs() {
        let sb = Sandbox::new();
        let gate = sb.file("never-opens");
        let valid = probe(|p| p.settings.active_deadline = Some("1".into()));
        let started = std::time::Instant::now();
        let report = run(&sb, &valid, &[("gate", gate.display().to_string())], false).unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        let gated = task(&report, "gated");
        assert_eq!(gated.phase, Phase::Failed);
        let message = gated.message.as_deref().unwrap();
        assert!(
            message.starts_with("stopped: it ran past its run's active deadline of 1"),
            "{message}"
        );
        assert_eq!(report.phase, Phase::Failed);
        // What finished in time succeeded.
        assert_eq!(task(&report, "env-echo").phase, Phase::Succeeded);
    }

    #[test]
    fn literal_env_reaches_the_process_expanded_as_the_kubelet_does() {
        let sb = Sandbox::new();
        let valid = probe(|p| {
            let var = |name: &str, value: &str| EnvVar {
                name: name.into(),
                value: Some(value.into()),
                ..EnvVar::default()
            };
            p.defaults.env.push(var("WHO", "world"));
            p.tasks[2]
                .config
                .env
                .push(var("GREETING", "hello $(WHO) $$(WHO)"));
        });
        let report = run(&sb, &valid, &[], false).unwrap();
        let echo = task(&report, "env-echo");
        let (name, wire) = &echo.output_params[0];
        assert_eq!(name, "output");
        assert_eq!(
            argot::value::decode::<String>(wire).unwrap(),
            "hello world $(WHO)"
        );
    }

    #[test]
    fn cache_false_neither_reuses_nor_stores() {
        let sb = Sandbox::new();
        let log = sb.file("tally.log");
        let params = [("tally_log", log.display().to_string())];
        let valid = probe(|p| p.tasks[3].config.cache = Some(false));
        for _ in 0..2 {
            let report = run(&sb, &valid, &params, true).unwrap();
            assert!(!task(&report, "tally").cached);
            // Its neighbours are cached as usual.
        }
        assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 2);
        let report = run(&sb, &probe(|_| {}), &params, true).unwrap();
        assert!(task(&report, "env-echo").cached);
    }

    /// `fail_fast = true`: after the first failed attempt no other task starts and no retry
    /// is tried (`checkParallelism`), so the failure `alert` would have handled fails the
    /// run; without it the same pipeline runs everything and succeeds. One slot makes the
    /// order certain: `bad` is first.
    #[test]
    fn fail_fast_starts_nothing_after_a_failure() {
        let sb = Sandbox::new();
        let log = sb.file("tally.log");
        let params = [("log", log.display().to_string())];
        let traced = || {
            argot_tests::fixtures::fails_fast::definition()
                .trace(BIN)
                .unwrap()
                .pipeline
        };
        let run_one = |p: &argot::ir::Pipeline| {
            let valid = argot::validate(p, &argot::ValidateOptions::default())
                .unwrap_or_else(|d| panic!("{d}"));
            let store = SqliteStore::open(sb.file("metadata.db")).unwrap();
            let options = RunOptions {
                parameters: params
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.clone()))
                    .collect(),
                parallelism: 1,
                workdir: sb.file("runs"),
                cache_dir: None,
                executable: BIN.into(),
                ..RunOptions::new().unwrap()
            };
            argot::run::run(&valid, &store, &options, &mut |_| {}).unwrap()
        };
        let report = run_one(&traced());
        assert_eq!(report.phase, Phase::Failed);
        let bad = task(&report, "broken");
        assert_eq!(bad.phase, Phase::Failed);
        assert!(bad.warnings.is_empty(), "no retry: {:?}", bad.warnings);
        for name in ["tally", "tally-2", "tally-3"] {
            let t = task(&report, name);
            assert_eq!(t.phase, Phase::Omitted, "{name}");
            assert!(
                t.message.as_deref().unwrap().contains("fail_fast"),
                "{name}"
            );
        }
        assert!(!log.exists(), "nothing ran after the failure");

        let mut p = traced();
        p.settings.fail_fast = false;
        let report = run_one(&p);
        assert_eq!(report.phase, Phase::Succeeded, "alert handles the failure");
        assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 3);
    }

    /// A memoized task's max age holds for the local cache too, counted from when the entry
    /// was stored (`GetOutputsWithMaxAge`): older, the task runs again and replaces it.
    #[test]
    fn a_memoized_tasks_max_age_expires_its_local_cache_entry() {
        let sb = Sandbox::new();
        let log = sb.file("tally.log");
        let params = [("tally_log", log.display().to_string())];
        let memoized = |age: &str| {
            let age = age.to_owned();
            probe(move |p| {
                p.tasks[3].config.memoize = Some(argot::ir::Memoize {
                    config_map: "argot-memo".into(),
                    max_age: Some(age),
                })
            })
        };
        let tally_runs = || std::fs::read_to_string(&log).unwrap().lines().count();
        run(&sb, &memoized("1h"), &params, true).unwrap();
        let report = run(&sb, &memoized("1h"), &params, true).unwrap();
        assert!(task(&report, "tally").cached);
        assert_eq!(tally_runs(), 1);
        // A millisecond is long past: the entry is ignored, the task runs and stores anew.
        let report = run(&sb, &memoized("1ms"), &params, true).unwrap();
        let tally = task(&report, "tally");
        assert!(!tally.cached);
        assert!(
            tally
                .warnings
                .iter()
                .any(|w| w.contains("older than the max age 1ms")),
            "{:?}",
            tally.warnings
        );
        assert_eq!(tally_runs(), 2);
        let report = run(&sb, &memoized("1h"), &params, true).unwrap();
        assert!(task(&report, "tally").cached);
        assert_eq!(tally_runs(), 2);
    }

    #[test]
    fn settings_that_need_a_cluster_are_refused_before_anything_is_written() {
        let sb = Sandbox::new();
        let valid = probe(|p| {
            p.tasks[2].config.env.push(EnvVar {
                name: "TOKEN".into(),
                value_from: Some(Default::default()),
                ..EnvVar::default()
            });
            p.tasks[3]
                .config
                .volumes
                .push(k8s_openapi::api::core::v1::Volume {
                    name: "data".into(),
                    ..Default::default()
                });
        });
        let Err(RunError::Unsupported(d)) = run(&sb, &valid, &[], false) else {
            panic!("settings that need a cluster are refused")
        };
        assert_eq!(d.codes(), [argot::Code::LocalUnsupported; 2]);
        let text = d.to_string();
        assert!(
            text.contains("environment variable `TOKEN` is read from the cluster")
                && text.contains("volume `data` needs a pod"),
            "{text}"
        );
        // Refused before anything was written.
        assert!(!sb.file("runs").exists());
    }
}

/// The input parameter `name` of task `task` as the run recorded it.
fn input_param(details: &Value, task: &str, name: &str) -> String {
    details["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["task"] == task && p["direction"] == "input" && p["name"] == name)
        .unwrap_or_else(|| panic!("no input {name} of {task}"))["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `train_until` recurses one level per epoch while the accuracy is below the target; each
/// level's `final-accuracy` reads `one_of([deeper, this_level])`, so the last level's value
/// climbs back up to the pipeline's output. A condition that always holds stops at the bound.
#[test]
fn recursion_runs_level_by_level_and_stops_at_the_bound() {
    let sb = Sandbox::new();
    let levels = |details: &Value, phase: &str| {
        details["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["name"].as_str().unwrap().ends_with("train-epoch") && t["phase"] == phase)
            .count()
    };
    let out = sb.run(&["train_until"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    // 0.65, 0.755, 0.829, 0.88, 0.916: five epochs reach 0.9.
    assert_eq!(levels(&details, "Succeeded"), 5, "{details}");
    let fifth = ["train-rounds"; 5].join(".");
    assert_eq!(
        output_param(&details, &format!("{fifth}.score-model"), "output"),
        "0.916"
    );
    assert_eq!(
        output_param(&details, "train-rounds.final-accuracy", "output"),
        "0.916"
    );
    // The sixth level's branch never ran: its tasks are Skipped.
    assert_eq!(levels(&details, "Skipped"), 1, "{details}");

    // A target no model reaches: the branch's condition always holds, and the bound (6
    // levels) stops the recursion; the last level's accuracy is the output.
    let out = sb.run(&["train_until", "-p", "target=2.0"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(levels(&details, "Succeeded"), 6, "{details}");
    assert_eq!(levels(&details, "Skipped"), 0, "{details}");
    assert_eq!(
        output_param(&details, "train-rounds.final-accuracy", "output"),
        "0.941"
    );

    // `otherwise` after the recursive branch runs at the last level, where the bound stops
    // that branch: 1, 2, 3, then the last level's `otherwise` gives 4, and each level's
    // `one_of` adds one on the way up.
    let out = sb.run(&["deepens"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(
        output_param(&details, "deepen.deepen.deepen.step-2", "output"),
        "4"
    );
    assert_eq!(output_param(&details, "deepen.step-3", "output"), "7");
}

#[test]
fn loops_run_once_per_item_and_collect_what_argo_aggregates() {
    let sb = Sandbox::new();
    let phase = |details: &Value, name: &str| task(details, name)["phase"].clone();
    // A grid of structs from a list parameter: one `fit-point` per point, each reading the
    // point's fields; `pick-best` gets Argo's aggregate of the scores (scalars as strings),
    // in grid order.
    let out = sb.run(&["sweep"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    let iterations: Vec<&str> = details["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .filter(|n| n.starts_with("fit-point"))
        .collect();
    assert_eq!(iterations.len(), 3, "{iterations:?}");
    assert_eq!(input_param(&details, "fit-point(1)", "lr"), "0.3");
    assert_eq!(input_param(&details, "fit-point(1)", "depth"), "5");
    assert_eq!(
        input_param(&details, "pick-best", "scores"),
        r#"["0.6","1.0","0.1"]"#
    );
    assert_eq!(output_param(&details, "pick-best", "output"), "1:1");

    // A loop over a task's list output, known only once it ran; a two-task body.
    let out = sb.run(&["shards", "-p", "shards=4"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    for k in 0..4 {
        assert_eq!(phase(&details, &format!("clean-shard({k})")), "Succeeded");
        assert_eq!(phase(&details, &format!("count({k})")), "Succeeded");
    }
    assert_eq!(
        input_param(&details, "total", "counts"),
        r#"["8","8","8","8"]"#
    );
    assert_eq!(output_param(&details, "total", "output"), "32");
    // The cleaned shards, collected: one entry per shard, named after its instance as the
    // pod's name on Argo, listed in shard order, and merged in that order.
    assert_eq!(
        input_param(&details, "merge-shards", "shards"),
        r#"["clean-shard-0","clean-shard-1","clean-shard-2","clean-shard-3"]"#
    );
    let folder = sb.run_folder(&run_id(&out));
    let mut entries: Vec<String> = std::fs::read_dir(folder.join("merge-shards/inputs/shards"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [
            "clean-shard-0",
            "clean-shard-1",
            "clean-shard-2",
            "clean-shard-3"
        ]
    );
    let merged = std::fs::read_to_string(folder.join("merge-shards/outputs/merged")).unwrap();
    let expected: String = (0..4)
        .flat_map(|k| format!("shard-0{k}").chars().collect::<Vec<_>>())
        .map(|c| format!("{c}\n"))
        .collect();
    assert_eq!(merged, expected);

    // An empty list, from a task or from a parameter: no iteration, and the reader gets the
    // empty list (the loop template's output default on Argo, `getTemplateOutputsFromScope`).
    // An empty collection is no entry and no folder, as on Argo (nothing was saved under
    // the key prefix, and the optional argument is skipped).
    let out = sb.run(&["shards", "-p", "shards=0"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(details["tasks"].as_array().unwrap().len(), 3, "{details}");
    assert_eq!(input_param(&details, "merge-shards", "shards"), "[]");
    assert_eq!(input_param(&details, "total", "counts"), "[]");
    assert_eq!(output_param(&details, "total", "output"), "0");
    let out = sb.run(&["sweep", "-p", "grid=[]"]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(input_param(&details, "pick-best", "scores"), "[]");
    assert!(
        stderr(&out).contains("no iteration produced a score"),
        "{}",
        stderr(&out)
    );

    // A body task waiting for one traced after it (`.after(&step(outer))` builds the awaited
    // task second) runs once per iteration of both loops, as on Argo.
    let out = sb.run(&["nested_after", "--no-cache"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    for (i, j) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        assert_eq!(phase(&details, &format!("step-2({i},{j})")), "Succeeded");
        assert_eq!(phase(&details, &format!("x({i},{j})")), "Succeeded");
    }
    assert_eq!(output_param(&details, "x(1,1)", "output"), "21");

    // Items that travel quoted arrive as their text; nested loops, a condition and a
    // collected list inside a loop; a loop bounded to one task at a time never overlaps even
    // with four slots.
    let log = sb.file("loops.log");
    let log_param = format!("log={}", log.display());
    let out = sb.run(&[
        "loops_probe",
        "-p",
        &log_param,
        "-p",
        "millis=150",
        "--parallelism",
        "4",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(phase(&details, "tally-2(0)"), "Skipped");
    assert_eq!(phase(&details, "tally-2(1)"), "Succeeded");
    // A condition on the item itself: `size >= 4` holds for the second size only.
    assert_eq!(phase(&details, "tally-3(0)"), "Skipped");
    assert_eq!(phase(&details, "tally-3(1)"), "Succeeded");
    assert_eq!(output_param(&details, "sum-of(1)", "output"), "32");
    assert_eq!(
        input_param(&details, "grand-total", "values"),
        r#"["33","33"]"#
    );
    assert_eq!(output_param(&details, "grand-total", "output"), "66");
    assert_eq!(output_param(&details, "after-call", "output"), "133");
    let lines = sb.lines("loops.log");
    let mut words: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| ["plain", " a{b} $x ", "big", "size at least 4"].contains(l))
        .collect();
    words.sort();
    assert_eq!(
        words,
        [" a{b} $x ", "big", "plain", "size at least 4"],
        "{lines:?}"
    );
    let bounded: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| l.contains("one") || l.contains("two") || l.contains("three"))
        .collect();
    assert_eq!(bounded.len(), 6, "{lines:?}");
    for pair in bounded.chunks(2) {
        assert_eq!(pair[0], format!("started {}", pair[1]), "{lines:?}");
    }
}

#[test]
fn collected_artifacts_reach_the_reader_in_item_order_from_succeeded_iterations_only() {
    let sb = Sandbox::new();
    let phase = |details: &Value, name: &str| task(details, name)["phase"].clone();
    // Items 3, 1, 2, each sleeping in proportion to its item: the first item finishes last,
    // and the collection is still in item order, as Argo aggregates it (`loopNodes`).
    let out = sb.run(&["collected_models", "-p", "millis=60"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(
        input_param(&details, "list-models", "models"),
        r#"["fit-model-0","fit-model-1","fit-model-2"]"#
    );
    assert_eq!(
        output_param(&details, "list-models", "output"),
        "model 3;model 1;model 2"
    );
    // Inside an outer loop, each outer iteration's reader gets its own iterations' models
    // (on Argo they share one key prefix; each reader is given its own entries).
    for k in 0..2 {
        assert_eq!(
            input_param(&details, &format!("list-inner({k})"), "models"),
            format!(r#"["fit-inner-{k}-0","fit-inner-{k}-1"]"#)
        );
        assert_eq!(
            output_param(&details, &format!("list-inner({k})"), "output"),
            "model 10;model 20"
        );
    }
    // Lineage: each iteration's model is consumed by the reader of the collection.
    let id = run_id(&out);
    let lineage = sb
        .command(&["lineage", &format!("{id}/fit-model(1)/model"), "--json"])
        .output()
        .unwrap();
    assert_eq!(code(&lineage), 0, "{}", stderr(&lineage));
    let l: Value = serde_json::from_slice(&lineage.stdout).unwrap();
    assert_eq!(l["consumers"][0]["task"], "list-models", "{l}");

    // A failed iteration: the reader is `Omitted`, as a reader of collected parameters is
    // (Argo: the loop's node failed, so `depends` on it is false).
    let out = sb.run(&["collected_models", "-p", "bad=1"]);
    assert_ne!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(phase(&details, "fit-model(0)"), "Succeeded");
    assert_eq!(phase(&details, "fit-model(1)"), "Failed");
    assert_eq!(phase(&details, "fit-model(2)"), "Succeeded");
    assert_eq!(phase(&details, "list-models"), "Omitted");
}

/// A loopback HTTP server answering `GET /iris.csv` with `body` and anything else with 404;
/// returns its base URL and how many requests it has answered.
fn serve(body: &'static str) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut chunk = [0_u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&chunk[..n]),
                }
            }
            let text = String::from_utf8_lossy(&request);
            let path = text.split_whitespace().nth(1).unwrap_or("");
            let (status, body) = match path {
                "/iris.csv" => ("200 OK", body),
                _ => ("404 Not Found", ""),
            };
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (base, hits)
}

/// `from_url` runs locally against a loopback server: the data set is downloaded (once) into
/// the task's `inputs/`, the constant notes are written, the HTML report feeds an
/// `Input<Artifact>`, and the store records the URL as what `profile` consumed. A copy given
/// with `--artifact-file` is used without the network; a URL the server does not have fails
/// the task with the HTTP status, leaving no input file behind.
#[test]
fn from_url_downloads_its_data_set_and_records_the_url() {
    use std::sync::atomic::Ordering;
    const IRIS: &str =
        "sepal_length,sepal_width,species\n5.0,3.0,setosa\n6.0,2.0,virginica\n7.0,4.0,virginica\n";
    let (base, hits) = serve(IRIS);
    let url = format!("{base}/iris.csv");
    let sb = Sandbox::new();
    let param = format!("url={url}");
    let out = sb.run(&["from_url", "-p", &param, "--no-cache"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let id = run_id(&out);
    let folder = sb.run_folder(&id);
    assert_eq!(
        std::fs::read_to_string(folder.join("profile/inputs/data")).unwrap(),
        IRIS
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("profile/inputs/notes")).unwrap(),
        "Profile of the data set, made by argot's from_url example."
    );
    let report = std::fs::read_to_string(folder.join("profile/outputs/report")).unwrap();
    assert!(report.contains("<p>3 rows</p>"), "{report}");
    assert!(
        report.contains("<tr><td>sepal_length</td><td>6.000</td></tr>"),
        "{report}"
    );
    let details = sb.show(&id);
    assert_eq!(output_param(&details, "profile", "output"), "3");
    assert_eq!(
        output_param(&details, "publish", "output"),
        report.len().to_string()
    );
    let lineage = sb.command(&["lineage", &url, "--json"]).output().unwrap();
    assert_eq!(code(&lineage), 0, "{}", stderr(&lineage));
    let l: Value = serde_json::from_slice(&lineage.stdout).unwrap();
    assert_eq!(l["consumers"][0]["task"], "profile", "{l}");

    // Offline: the copy is read, the server is not asked.
    let copy = sb.file("copy.csv");
    std::fs::write(&copy, "a\n1\n").unwrap();
    let mirror = format!("{url}={}", copy.display());
    let out = sb.run(&[
        "from_url",
        "-p",
        &param,
        "--artifact-file",
        &mirror,
        "--no-cache",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let details = sb.show(&run_id(&out));
    assert_eq!(output_param(&details, "profile", "output"), "1");

    let missing = format!("url={base}/missing.csv");
    let out = sb.run(&["from_url", "-p", &missing, "--no-cache"]);
    assert_ne!(code(&out), 0);
    assert!(stderr(&out).contains("HTTP 404"), "{}", stderr(&out));
    let failed = sb.run_folder(&run_id(&out)).join("profile.tmp/inputs");
    assert!(
        !failed.join("data").exists(),
        "a failed download left a file"
    );
}

/// A container component whose image writes its output at its own path (`output_at`): the
/// local run copies it out of the stopped container, as Argo's executor collects it, and
/// removes the container; an image that writes elsewhere fails the task naming that path, and
/// the store counts it as an artifact write failure in `runs stats`.
#[test]
fn a_container_output_is_collected_from_the_images_own_path() {
    let sb = Sandbox::new();
    let root = sb.file("containers");
    let run = |args: &[&str]| {
        let mut all = vec!["run", "own_paths", "--no-cache", "--store"];
        let store = sb.store();
        all.push(&store);
        all.extend_from_slice(args);
        sb.command(&all)
            .env(
                "ARGOT_CONTAINER_RUNTIME",
                env!("CARGO_BIN_EXE_argot-fake-runtime"),
            )
            .env("ARGOT_FAKE_RUNTIME_ROOT", &root)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let id = run_id(&out);
    assert_eq!(
        std::fs::read_to_string(sb.run_folder(&id).join("legacy-tool/outputs/results")).unwrap(),
        "rows: 3"
    );
    assert_eq!(
        output_param(&sb.show(&id), "read-text", "output"),
        "rows: 3"
    );
    // The kept container was removed once its output was copied.
    let left: Vec<_> = std::fs::read_dir(&root).map_or(Vec::new(), |d| d.collect());
    assert!(left.is_empty(), "{left:?}");

    let out = run(&["-p", "write_to=/tmp/elsewhere.txt"]);
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out)
            .contains("output `results` was not written (at `/tmp/results.txt` in the container)"),
        "{}",
        stderr(&out)
    );

    let store = sb.store();
    let stats = |format: &str| {
        let out = sb
            .command(&["runs", "stats", "--format", format, "--store", &store])
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&stats("json")).unwrap();
    assert_eq!(json["runs"], 2, "{json}");
    assert_eq!(json["artifact_write_failures"], 1, "{json}");
    let tasks = json["tasks"].as_u64().unwrap();
    assert_eq!(
        json["artifact_write_failure_rate"].as_f64(),
        Some(1.0 / tasks as f64),
        "{json}"
    );
    let text = stats("text");
    assert!(
        text.contains(&format!(
            "write errors  {:.1}% (1 of {tasks} tasks could not save their outputs)",
            100.0 / tasks as f64
        )),
        "{text}"
    );
}

/// Pipeline parameters and task outputs in settings' text reach the task as Argo pastes them
/// (each value's wire form): the native task's environment, and the container's image and
/// environment, get the run's values; a value that makes a label Kubernetes refuses errors the
/// task, as the API server would refuse its pod.
#[test]
fn run_time_values_in_settings_reach_the_environment_and_the_image() {
    let sb = Sandbox::new();
    let run = |tag: &str| {
        let tag = format!("tag={tag}");
        let mut c = sb.command(&["run", "setting_values", "-p", &tag, "--no-cache"]);
        c.env(
            "ARGOT_CONTAINER_RUNTIME",
            env!("CARGO_BIN_EXE_argot-fake-runtime"),
        );
        c.output().unwrap()
    };
    let out = run("v2");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(
        output_param(&details, "native", "output"),
        "models/v2/model-a-7"
    );
    assert_eq!(
        output_param(&details, "container", "out"),
        "example.com/fake:v2 model-a"
    );
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        text.contains("pod labels, annotations, images of native components (this binary runs them), image pull policies, service accounts, priority classes and schedulers only place a pod on a cluster; ignored here (`native`)"),
        "{text}"
    );

    // A `String` with a brace travels as its JSON literal, on Argo as here; as a label value it
    // is refused when the task starts.
    let out = run("a{b");
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(
        output_param(&details, "container", "out"),
        r#"example.com/fake:"a\u007bb" model-a"#
    );
    let native = task(&details, "native");
    assert_eq!(native["phase"], "Error");
    let message = native["message"].as_str().unwrap();
    assert!(
        message.contains(r#"pod label `tag` is "\"a\\u007bb\"" once its values are filled in"#),
        "{message}"
    );
}

/// `edit_template` runs on the same generated template locally as on Argo: the edited
/// environment (expanded as the kubelet expands it) and working directory reach the native
/// component (inside its volume, the volume's folder); the container component runs the
/// edited image, environment and working directory; the fields with no local meaning are said
/// once.
#[test]
fn template_edits_reach_the_component_locally() {
    let sb = Sandbox::new();
    let run = || {
        let mut c = sb.command(&["run", "template_edits"]);
        c.env(
            "ARGOT_CONTAINER_RUNTIME",
            env!("CARGO_BIN_EXE_argot-fake-runtime"),
        );
        c.output().unwrap()
    };
    let out = run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stdout(&out).contains("not cached"), "{}", stdout(&out));
    let details = sb.show(&run_id(&out));
    let native = output_param(&details, "native", "output");
    let (dir, value) = native.split_once(' ').unwrap();
    // The working directory `/scratch/work` is inside the task's empty folder `/scratch`.
    let scratch = dir
        .strip_suffix("/work")
        .unwrap_or_else(|| panic!("{native}"));
    assert!(scratch.ends_with("volumes/scratch"), "{native}");
    // `$(ARGOT_VOLUME_SCRATCH)` expands to the variable's text, the mount path, as on Argo.
    assert_eq!(value, "edited in /scratch", "{native}");
    assert_eq!(
        output_param(&details, "container", "out"),
        "example.com/fake:2.0 from-the-edit in /work"
    );
    let text = format!("{}{}", stdout(&out), stderr(&out));
    let note = "template fields set by `edit_template` only concern a pod on a cluster; ignored here: `lifecycle` (`native`), `pod.hostAliases` (`native`), `terminationMessagePolicy` (`native`, `container`)";
    assert_eq!(text.matches(note).count(), 1, "{text}");
    // The edited templates key the cache: the same edits reuse the results.
    let out = run();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("(2 cached)"), "{}", stdout(&out));
}

/// Security contexts and affinities have no meaning on one machine: the run goes ahead and
/// says once which tasks had them.
#[test]
fn security_contexts_and_affinities_are_ignored_locally_and_said_once() {
    let sb = Sandbox::new();
    let out = sb.run(&["guarded", "--no-cache"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    for note in [
        "note: affinities only place a pod on a cluster; ignored here (`locked-down`)",
        "note: security contexts only concern a pod's processes (a process here runs as you); ignored here (`locked-down`)",
    ] {
        assert_eq!(text.matches(note).count(), 1, "{text}");
    }
}

/// A run volume is one folder for the whole run, shared by the tasks that mount it (at
/// different paths); a secret volume holds the secret's key as a file, written from
/// `--secret` (the run is refused without it); a config map volume is refused.
#[test]
fn run_volumes_are_shared_and_secret_volumes_come_from_the_local_source() {
    let sb = Sandbox::new();
    let out = sb.run(&["run_volumes", "--no-cache"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("volume `creds` holds secret `bucket-creds/token`")
            && stderr(&out).contains("--secret bucket-creds/token=env:VARIABLE"),
        "{}",
        stderr(&out)
    );
    std::fs::write(sb.file("token"), "t0k3n").unwrap();
    let token = format!("bucket-creds/token=file:{}", sb.file("token").display());
    let out = sb.run(&["run_volumes", "--no-cache", "--secret", &token]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(output_param(&details, "writer", "output"), "a=a");
    assert_eq!(output_param(&details, "reader", "output"), "a=a");
    assert_eq!(
        output_param(&details, "secret-reader", "output"),
        "token=t0k3n"
    );

    // Container components get the same folders, bound at their mount paths (`subPath`
    // joined): what one container writes, the next reads; a secret is a file there.
    let run_containers = |extra: &[&str]| {
        let mut args = vec!["run", "container_volumes", "--no-cache"];
        args.extend(extra);
        let mut c = sb.command(&args);
        c.env(
            "ARGOT_CONTAINER_RUNTIME",
            env!("CARGO_BIN_EXE_argot-fake-runtime"),
        );
        c.output().unwrap()
    };
    let out = run_containers(&[]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("volume `creds` holds secret `bucket-creds/token`"),
        "{}",
        stderr(&out)
    );
    let out = run_containers(&["--secret", &token]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(
        output_param(&details, "container-reader", "out"),
        "from-a-container"
    );
    assert_eq!(output_param(&details, "container-secret", "out"), "t0k3n");

    let out = sb.run(&["config_map_volume"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "volume `settings` is config map `app-settings`, which this machine does not have"
        ),
        "{}",
        stderr(&out)
    );
}

/// `run` ignores the kind (parity: a CronWorkflow's run and a template's are one workflow): a
/// CronWorkflow runs once, now, and the run says so once; a task that runs a published
/// template on Argo runs this binary's component, and the run says which tasks do.
#[test]
fn every_kind_runs_once_now_and_published_templates_run_from_this_binary() {
    let sb = Sandbox::new();
    let out = sb.run(&["nightly", "-p", "rows=200", "--no-cache"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(
        err.matches("note: pipeline `nightly` is a CronWorkflow on Argo, scheduled `0 3 * * *` (Europe/Paris); `run` ignores the schedule and runs it once, now").count(),
        1,
        "{err}"
    );
    let details = sb.show(&run_id(&out));
    assert!(
        output_param(&details, "evaluate", "output")
            .parse::<f64>()
            .unwrap()
            > 0.5
    );

    let out = sb.run(&["weekly_report", "-p", "rows=200", "--no-cache"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("note: on Argo, `prepare`, `train`, `evaluate` from WorkflowTemplate `ml-library` run the published template (`templateRef`); `run` runs this binary's component of the same name instead"),
        "{err}"
    );
    let details = sb.show(&run_id(&out));
    assert!(
        output_param(&details, "evaluate", "output")
            .parse::<f64>()
            .unwrap()
            > 0.5
    );

    let out = sb.run(&["ml_library", "-p", "rows=200", "--no-cache"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("note: pipeline `ml_library` is a WorkflowTemplate on Argo, which runs nothing by itself"),
        "{}",
        stderr(&out)
    );
}

/// An optional artifact input (`Option<Input<K>>`): the task that passes it reads it, the one
/// that leaves it out runs with `None`, as the pod starts without the file on Argo.
#[test]
fn an_optional_artifact_left_out_reaches_the_component_as_none() {
    let sb = Sandbox::new();
    let out = sb.run(&["optional_inputs", "--no-cache"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let details = sb.show(&run_id(&out));
    assert_eq!(output_param(&details, "without", "output"), "2");
    assert_eq!(output_param(&details, "with", "output"), "5");
}

/// Artifact GC is the cluster repository's business: a local run keeps its artifacts and says
/// so once when it starts.
#[test]
fn artifact_gc_is_noted_once_and_deletes_nothing_locally() {
    let valid = argot::validate(
        &argot_tests::fixtures::every_source::definition()
            .trace(BIN)
            .unwrap()
            .pipeline,
        &argot::ValidateOptions::default(),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let sb = Sandbox::new();
    let store = argot_client::store::SqliteStore::open(sb.file("metadata.db")).unwrap();
    let options = argot::run::RunOptions {
        workdir: sb.file("runs"),
        cache_dir: None,
        executable: BIN.into(),
        // Local copies for what this machine cannot fetch; the URL's copy keeps it offline.
        artifact_files: [
            "https://example.com/iris.csv",
            "s3://ml-models/m/1.bin",
            "s3://data/d.csv",
            "gs://ml-data/iris.csv",
            "https://github.com/argoproj/argo-workflows.git@v4.1.2",
        ]
        .into_iter()
        .map(|u| (u.to_owned(), sb.file("copy")))
        .collect(),
        ..argot::run::RunOptions::new().unwrap()
    };
    std::fs::write(sb.file("copy"), "copied\n").unwrap();
    let mut notes = Vec::new();
    let report = argot::run::run(&valid, &store, &options, &mut |e| {
        if let argot::run::Event::RunStarted { ignored, .. } = e {
            notes.extend(ignored.iter().cloned());
        }
    })
    .unwrap();
    assert_eq!(report.phase, argot_client::Phase::Succeeded);
    let gc: Vec<_> = notes.iter().filter(|n| n.contains("artifact GC")).collect();
    assert_eq!(gc.len(), 1, "{notes:?}");
    assert!(gc[0].contains("OnWorkflowDeletion"), "{}", gc[0]);
    for task in ["http", "s3", "minio", "gcs", "git"] {
        let t = report.tasks.iter().find(|t| t.name == task).unwrap();
        let input = t.folder.as_ref().unwrap().join("inputs/data");
        assert_eq!(
            std::fs::read_to_string(input).unwrap(),
            "copied\n",
            "{task}"
        );
    }
}

/// `fail_fast = true` across a condition, a loop, a call and a hook: every DAG template of the
/// body fails fast, as Argo's `checkParallelism` (`workflow/controller/operator.go`) runs
/// `failFast` on each (see `argot::run` `fail_fast`).
mod fail_fast {
    use std::collections::BTreeMap;

    use argot::run::{RunOptions, RunReport, TaskReport};
    use argot_client::Phase;
    use argot_client::store::SqliteStore;

    use super::{BIN, Sandbox};

    fn run(
        sb: &Sandbox,
        p: &argot::ir::Pipeline,
        params: &[(&str, String)],
        parallelism: usize,
    ) -> RunReport {
        let valid = argot::validate(p, &argot::ValidateOptions::default())
            .unwrap_or_else(|d| panic!("{d}"));
        let store = SqliteStore::open(sb.file("metadata.db")).unwrap();
        let options = RunOptions {
            parameters: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
            parallelism,
            workdir: sb.file("runs"),
            cache_dir: None,
            executable: BIN.into(),
            ..RunOptions::new().unwrap()
        };
        argot::run::run(&valid, &store, &options, &mut |_| {}).unwrap()
    }

    fn nested() -> argot::ir::Pipeline {
        argot_tests::fixtures::fails_fast_nested::definition()
            .trace(BIN)
            .unwrap()
            .pipeline
    }

    fn task<'a>(report: &'a RunReport, name: &str) -> &'a TaskReport {
        report
            .tasks
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no task {name} in {:?}", names(report)))
    }

    fn names(report: &RunReport) -> Vec<(&str, &Phase)> {
        report
            .tasks
            .iter()
            .map(|t| (t.name.as_str(), &t.phase))
            .collect()
    }

    /// Asserts that task `name` never started because of fail_fast.
    fn stopped(report: &RunReport, name: &str) {
        let t = task(report, name);
        assert_eq!(t.phase, Phase::Omitted, "{name}: {:?}", names(report));
        assert!(t.duration.is_none(), "{name} ran");
        assert!(
            t.message
                .as_deref()
                .unwrap_or_default()
                .contains("fail_fast"),
            "{name}: {:?}",
            t.message
        );
    }

    fn params(log: &std::path::Path, bad: u32, millis: u64) -> [(&'static str, String); 3] {
        [
            ("log", log.display().to_string()),
            ("bad", bad.to_string()),
            ("millis", millis.to_string()),
        ]
    }

    /// A loop run one iteration at a time whose second iteration fails: the iteration's DAG
    /// fails at once (no other task of its own runs), so the loop's outer template trips and
    /// starts no further iteration (`checkParallelism` on a new child of a tripped boundary),
    /// and the pipeline's DAG trips in turn: nothing after starts, the exit handler runs.
    /// Without fail_fast the loop goes on to its end and the call runs.
    #[test]
    fn a_failed_iteration_starts_no_further_iteration_nor_anything_else() {
        let sb = Sandbox::new();
        let log = sb.file("tally.log");
        let report = run(&sb, &nested(), &params(&log, 4, 0), 1);
        assert_eq!(report.phase, Phase::Failed);
        assert_eq!(report.failed_task.as_deref(), Some("iteration(1)"));
        assert_eq!(task(&report, "iteration(0)").phase, Phase::Succeeded);
        assert_eq!(task(&report, "iteration(1)").phase, Phase::Failed);
        for name in [
            "iteration(2)",
            "iteration(3)",
            "checked-double.refuse",
            "checked-double.sum",
            "hooked",
            "on-failure",
        ] {
            stopped(&report, name);
        }
        assert_eq!(task(&report, "exit").phase, Phase::Succeeded);

        let mut p = nested();
        p.settings.fail_fast = false;
        let report = run(&sb, &p, &params(&log, 4, 0), 1);
        assert_eq!(report.phase, Phase::Failed);
        for name in ["iteration(2)", "iteration(3)", "checked-double.sum"] {
            assert_eq!(task(&report, name).phase, Phase::Succeeded, "{name}");
        }
    }

    /// The branch's task fails while `slow`, outside the branch, runs: the branch's DAG fails
    /// at once, so the pipeline's DAG trips and `after-slow`, waiting for `slow`, never starts;
    /// `slow` itself finishes, and the exit handler runs.
    #[test]
    fn a_failure_in_a_branch_stops_a_waiting_task_outside_it() {
        let sb = Sandbox::new();
        let log = sb.file("tally.log");
        let report = run(&sb, &nested(), &params(&log, 2, 2000), 2);
        assert_eq!(report.phase, Phase::Failed);
        assert_eq!(report.failed_task.as_deref(), Some("in-branch"));
        assert_eq!(task(&report, "slow").phase, Phase::Succeeded);
        assert_eq!(task(&report, "in-branch").phase, Phase::Failed);
        for name in [
            "after-slow",
            "iteration(0)",
            "iteration(3)",
            "checked-double.refuse",
            "hooked",
        ] {
            stopped(&report, name);
        }
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "started slow\nslow\nexit handler\n"
        );
    }

    /// A failure inside a sub-pipeline call stops the rest of the call and of the caller; a
    /// failed task's own failure hook does not run either, as on Argo, where the hook is
    /// started by `executeDAG` of the DAG holding the task, which no longer runs once that DAG
    /// has a failed child. Without fail_fast the hook runs.
    #[test]
    fn a_failure_in_a_call_or_of_a_hooked_task_stops_the_rest() {
        let sb = Sandbox::new();
        let log = sb.file("tally.log");
        let report = run(&sb, &nested(), &params(&log, 7, 0), 1);
        assert_eq!(report.failed_task.as_deref(), Some("checked-double.refuse"));
        assert_eq!(task(&report, "iteration(3)").phase, Phase::Succeeded);
        for name in ["checked-double.sum", "hooked", "on-failure"] {
            stopped(&report, name);
        }

        let report = run(&sb, &nested(), &params(&log, 8, 0), 1);
        assert_eq!(report.phase, Phase::Failed);
        assert_eq!(report.failed_task.as_deref(), Some("hooked"));
        assert_eq!(task(&report, "checked-double.sum").phase, Phase::Succeeded);
        stopped(&report, "on-failure");

        let mut p = nested();
        p.settings.fail_fast = false;
        let report = run(&sb, &p, &params(&log, 8, 0), 1);
        assert_eq!(task(&report, "on-failure").phase, Phase::Succeeded);
    }

    /// Argo's failFast stops the run later than at once when the failed task's DAG still runs
    /// a task of its own: the branch trips when `broken` fails (`after-inside` never starts),
    /// but fails, tripping the pipeline's DAG, only once `slow-inside` has finished
    /// (`getActivePods` of the branch's node is 0). `after-outside`, ready before that,
    /// starts; `after-last`, ready after, does not.
    #[test]
    fn a_failure_stops_the_dags_around_it_once_its_own_dags_tasks_have_finished() {
        let sb = Sandbox::new();
        let log = sb.file("tally.log");
        let p = argot_tests::fixtures::fails_fast_late::definition()
            .trace(BIN)
            .unwrap()
            .pipeline;
        let report = run(&sb, &p, &[("log", log.display().to_string())], 6);
        assert_eq!(report.phase, Phase::Failed);
        assert_eq!(report.failed_task.as_deref(), Some("broken"));
        for name in ["slow-inside", "slow-outside", "after-outside", "slow-last"] {
            assert_eq!(task(&report, name).phase, Phase::Succeeded, "{name}");
        }
        stopped(&report, "after-inside");
        stopped(&report, "after-last");
    }

    /// The pipeline's DAG fails as soon as a branch has failed and no task of its own runs;
    /// the exit handler starts then (`operate` in `workflow/controller/operator.go` runs
    /// `onExit` once the entry node is fulfilled), seeing `Failed`, while `slow-inside`, in
    /// the other branch, still runs to its end; `after-inside` never starts.
    #[test]
    fn the_exit_handler_starts_once_the_pipelines_dag_has_failed() {
        let sb = Sandbox::new();
        let log = sb.file("tally.log");
        let p = argot_tests::fixtures::fails_fast_exits_early::definition()
            .trace(BIN)
            .unwrap()
            .pipeline;
        let report = run(&sb, &p, &[("log", log.display().to_string())], 3);
        assert_eq!(report.phase, Phase::Failed);
        assert_eq!(report.failed_task.as_deref(), Some("broken"));
        assert_eq!(task(&report, "slow-inside").phase, Phase::Succeeded);
        assert_eq!(task(&report, "exit").phase, Phase::Succeeded);
        stopped(&report, "after-inside");
        // The exit handler ran while `slow-inside` still ran: before its end. (Whether
        // `slow-inside`'s own start came before the failure depends on the machine's load.)
        let text = std::fs::read_to_string(&log).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.pop(), Some("slow inside"), "{text}");
        lines.sort_unstable();
        assert_eq!(lines, ["Failed", "started slow inside"], "{text}");
    }
}

/// The entries of a gzipped ustar file: (name, content) of each, a folder's content empty.
fn tar_gz_entries(path: &Path) -> Vec<(String, String)> {
    use std::io::Read;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    let mut entries = Vec::new();
    let mut at = 0;
    while at + 512 <= bytes.len() && bytes[at..at + 512].iter().any(|&b| b != 0) {
        let h = &bytes[at..at + 512];
        let field = |from: usize, len: usize| -> String {
            h[from..from + len]
                .iter()
                .take_while(|&&b| b != 0)
                .map(|&b| char::from(b))
                .collect()
        };
        let size = usize::from_str_radix(&field(124, 11), 8).unwrap();
        at += 512;
        let content = String::from_utf8(bytes[at..at + size].to_vec()).unwrap();
        entries.push((field(0, 100), content));
        at += size.div_ceil(512) * 512;
    }
    entries
}

/// Outputs with a key the pipeline names are also stored in the local repository
/// (`.argot/repository/<key>`), their variables the local run's (`workflow.name` the run id,
/// `workflow.namespace` `local`, `pod.name` `<run id>-<task>`, run-time values as the task
/// received them), packed as Argo's executor packs them: a later run writing the same key
/// replaces the object, as an upload to S3 does; the store keeps recording the run folder's
/// copy.
#[test]
fn keyed_outputs_land_in_the_local_repository_under_their_expanded_key() {
    let sb = Sandbox::new();
    let repository = sb.file(".argot/repository");
    let out = sb.run(&["repo_keys"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let first = run_id(&out);

    // A fixed key: the model folder as a gzipped tarball, entries named as Argo names them.
    let latest = repository.join("models/latest/model.tgz");
    assert_eq!(
        tar_gz_entries(&latest),
        [
            ("model".to_owned(), String::new()),
            ("model/weights.txt".to_owned(), "weights v1".to_owned())
        ]
    );
    // The workflow's name and a pipeline parameter; a metrics file is stored as it is.
    assert_eq!(
        std::fs::read_to_string(repository.join(format!("scores/{first}/v1/score.json"))).unwrap(),
        r#"{"version": "v1"}"#
    );
    // One object per pod in the loop.
    for shard in 0..2 {
        let key = format!("shards/local/{first}-shard-{shard}.tgz");
        let entries = tar_gz_entries(&repository.join(&key));
        let weights = if shard == 0 { "weights a" } else { "weights b" };
        assert_eq!(entries[1].1, weights, "{key}");
        assert!(
            stderr(&out).contains(&format!("shard({shard}) stored `model` under key `{key}`")),
            "{}",
            stderr(&out)
        );
    }
    // The creation time's year and month, a task's output and the workflow's UID; the
    // folder as it is (`Archive::None`).
    // The progress log says where each keyed output went.
    let dated = stderr(&out)
        .lines()
        .find_map(|l| l.split("dated stored `model` under key `").nth(1))
        .and_then(|l| l.split('`').next())
        .unwrap_or_else(|| panic!("{}", stderr(&out)))
        .to_owned();
    let parts: Vec<&str> = dated.split('/').collect();
    assert_eq!(parts[0], "models", "{dated}");
    assert!(
        parts[1].len() == 4 && parts[1].bytes().all(|b| b.is_ascii_digit()),
        "{dated}"
    );
    assert!(
        parts[2].len() == 2 && parts[2].bytes().all(|b| b.is_ascii_digit()),
        "{dated}"
    );
    assert!(
        parts[3].starts_with("best-") && parts[3].len() == 5 + 36,
        "{dated}"
    );
    assert_eq!(
        std::fs::read_to_string(repository.join(&dated).join("weights.txt")).unwrap(),
        "weights v1"
    );
    // A key from the component's settings: one page per task, named after its pod.
    for (task, title) in [("write-report", "first"), ("write-report-2", "second")] {
        let page = repository.join(format!("reports/{first}/{first}-{task}.html"));
        assert_eq!(
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display())),
            format!("<h1>{title}</h1>")
        );
    }
    // The store records the run folder's copy as the task's output, as before.
    let details = sb.show(&first);
    let uri = details["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["task"] == "latest" && a["name"] == "model")
        .map(|a| a["uri"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{details:#}"));
    assert!(uri.ends_with("/latest/outputs/model"), "{uri}");

    // A later run replaces the object under a fixed key (its tasks come from the cache:
    // stored again all the same, as the cluster would upload again without `memoize`).
    let out = sb.run(&["repo_keys", "-p", "version=v2"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let second = run_id(&out);
    assert_eq!(tar_gz_entries(&latest)[1].1, "weights v2");
    assert!(
        repository
            .join(format!("scores/{second}/v2/score.json"))
            .is_file()
    );
    assert!(
        repository
            .join(format!("scores/{first}/v1/score.json"))
            .is_file()
    );
    let out = sb.run(&["repo_keys", "-p", "version=v1"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("latest succeeded (cached)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(tar_gz_entries(&latest)[1].1, "weights v1");
}
