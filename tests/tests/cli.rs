//! The CLI every pipeline binary gets, end to end, through the `argot-fixtures` binary (the
//! examples plus the fixtures): output, exit codes, atomic writes, and the `component`
//! entrypoint run by hand.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_argot-fixtures");

fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the fixture binary runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn compile_prints_yaml_that_is_stable_and_matches_json() {
    let dir = tempfile::tempdir().unwrap();
    let first = run(&["compile", "quickstart"], dir.path());
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let second = run(&["compile", "quickstart"], dir.path());
    assert_eq!(
        first.stdout, second.stdout,
        "two runs must print the same bytes"
    );
    let json = run(&["compile", "quickstart", "--format", "json"], dir.path());
    let from_yaml: Value = serde_saphyr::from_slice(&first.stdout).unwrap();
    let from_json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(from_yaml, from_json);
    assert_eq!(from_yaml["kind"], "Workflow");
}

/// `compile --format mermaid|dot` draws the validated pipeline; an invalid one is refused with
/// its diagnostics (exit 3), never drawn.
#[test]
fn compile_draws_the_pipeline_as_mermaid_or_dot() {
    let dir = tempfile::tempdir().unwrap();
    let mermaid = run(
        &["compile", "quickstart", "--format", "mermaid"],
        dir.path(),
    );
    assert_eq!(code(&mermaid), 0, "{}", stderr(&mermaid));
    let text = String::from_utf8(mermaid.stdout).unwrap();
    assert!(text.starts_with("flowchart TD\n"), "{text}");
    assert!(text.contains("==>|\"data\"|"), "{text}");
    let dot = run(&["compile", "quickstart", "--format", "dot"], dir.path());
    assert_eq!(code(&dot), 0, "{}", stderr(&dot));
    assert!(
        String::from_utf8(dot.stdout)
            .unwrap()
            .starts_with("digraph \"quickstart\" {")
    );
    let invalid = run(&["compile", "cyclic", "--format", "dot"], dir.path());
    assert_eq!(code(&invalid), 3, "{}", stderr(&invalid));
    assert!(invalid.stdout.is_empty());
}

#[test]
fn compile_writes_the_file_atomically_and_never_for_an_invalid_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wf.yaml");
    let ok = run(
        &["compile", "quickstart", "-o", out.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));
    let written = std::fs::read(&out).unwrap();
    assert!(written.starts_with(b"apiVersion: argoproj.io/v1alpha1"));

    let bad = run(
        &["compile", "cyclic", "-o", out.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(code(&bad), 3);
    assert!(stderr(&bad).contains("error[A0001]"), "{}", stderr(&bad));
    assert_eq!(
        std::fs::read(&out).unwrap(),
        written,
        "a failed compile must not touch the file"
    );

    let fresh = dir.path().join("never.yaml");
    let bad = run(
        &["compile", "braces_constant", "-o", fresh.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(code(&bad), 3);
    assert!(
        !fresh.exists(),
        "no file may be written for an invalid pipeline"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no temporary files left behind: {leftovers:?}"
    );

    let unwritable = run(
        &["compile", "quickstart", "-o", "/nonexistent-dir/wf.yaml"],
        dir.path(),
    );
    assert_eq!(code(&unwritable), 1, "{}", stderr(&unwritable));
}

#[test]
fn usage_errors_exit_2_and_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let several = run(&["compile"], dir.path());
    assert_eq!(code(&several), 2);
    assert!(
        stderr(&several).contains("name one of"),
        "{}",
        stderr(&several)
    );
    let unknown = run(&["validate", "nope"], dir.path());
    assert_eq!(code(&unknown), 2);
    assert!(stderr(&unknown).contains("`quickstart`"));
    assert_eq!(code(&run(&["frobnicate"], dir.path())), 2);
    assert_eq!(code(&run(&["explain", "B9999"], dir.path())), 2);
    assert_eq!(code(&run(&["explain", "A0001"], dir.path())), 0);
    assert_eq!(code(&run(&["--help"], dir.path())), 0);
}

#[test]
fn validate_reports_diagnostics_with_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["validate", "cyclic"], dir.path());
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert!(
        err.contains("error[A0001]") && err.contains("help:"),
        "{err}"
    );
    let ok = run(&["validate", "quickstart"], dir.path());
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));
}

#[test]
fn components_run_by_hand_execute_the_real_functions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let prepare = run(
        &[
            "component",
            "prepare",
            "--param",
            "rows",
            "300",
            "--output",
            "data",
            "data.csv",
        ],
        d,
    );
    assert_eq!(code(&prepare), 0, "{}", stderr(&prepare));
    let csv = std::fs::read_to_string(d.join("data.csv")).unwrap();
    assert_eq!(csv.lines().count(), 301, "header plus 300 rows");

    let train = run(
        &[
            "component",
            "train",
            "--input",
            "data",
            "data.csv",
            "--param",
            "learning_rate",
            "0.5",
            "--output",
            "model",
            "m/model.json",
            "--output-param",
            "output",
            "acc.txt",
        ],
        d,
    );
    assert_eq!(code(&train), 0, "{}", stderr(&train));
    let acc: f64 = std::fs::read_to_string(d.join("acc.txt"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(acc > 0.8, "training accuracy {acc}");
    let model: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("m/model.json")).unwrap()).unwrap();
    assert!(model["weights"].as_array().is_some_and(|w| w.len() == 2));

    let evaluate = run(
        &[
            "component",
            "evaluate",
            "--input",
            "data",
            "data.csv",
            "--input",
            "model",
            "m/model.json",
            "--param",
            "train_accuracy",
            &acc.to_string(),
            "--output",
            "metrics",
            "metrics.json",
        ],
        d,
    );
    assert_eq!(code(&evaluate), 0, "{}", stderr(&evaluate));
    let printed = String::from_utf8(evaluate.stdout).unwrap();
    assert!(printed.starts_with("output = 0."), "{printed}");
    let metrics: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(metrics["rows"], 300);
    assert_eq!(metrics["train_accuracy"].as_f64(), Some(acc));
}

#[test]
fn component_failures_and_bad_inputs_have_their_own_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let failed = run(
        &["component", "broken", "--param", "reason", "disk on fire"],
        d,
    );
    assert_eq!(code(&failed), 4);
    assert!(stderr(&failed).contains("disk on fire"));
    let refused = run(
        &[
            "component",
            "prepare",
            "--param",
            "rows",
            "5",
            "--output",
            "data",
            "d.csv",
        ],
        d,
    );
    assert_eq!(
        code(&refused),
        4,
        "the function's own error: {}",
        stderr(&refused)
    );
    let not_a_number = run(
        &[
            "component",
            "prepare",
            "--param",
            "rows",
            "many",
            "--output",
            "data",
            "d.csv",
        ],
        d,
    );
    assert_eq!(code(&not_a_number), 2);
    assert!(
        stderr(&not_a_number).contains("`many` is not a valid"),
        "{}",
        stderr(&not_a_number)
    );
    let unknown_flag = run(&["component", "prepare", "--param", "rowz", "5"], d);
    assert_eq!(code(&unknown_flag), 2);
    let missing_output = run(&["component", "prepare", "--param", "rows", "50"], d);
    assert_eq!(code(&missing_output), 2);
    assert!(stderr(&missing_output).contains("--output data PATH"));
    let missing_input = run(
        &[
            "component",
            "train",
            "--input",
            "data",
            "missing.csv",
            "--output",
            "model",
            "m",
        ],
        d,
    );
    assert_eq!(code(&missing_input), 2);
}

/// The variable that makes `panics_in_body_when_asked`'s pipeline body panic.
const PANIC_IN_BODY: &str = "ARGOT_TEST_PANIC_IN_BODY";

#[test]
fn component_runs_without_tracing_any_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let with_panicking_body = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .current_dir(d)
            .env(PANIC_IN_BODY, "1")
            .output()
            .expect("the fixture binary runs")
    };
    // The body really panics under the variable: compiling the pipeline says so (A0022).
    let compiled = with_panicking_body(&["compile", "panics_in_body_when_asked"]);
    assert_eq!(code(&compiled), 3, "{}", stderr(&compiled));
    assert!(
        stderr(&compiled).contains("error[A0022]"),
        "{}",
        stderr(&compiled)
    );
    // …yet its only component runs, and nothing of the body (not even its panic message) shows.
    let ran = with_panicking_body(&["component", "unaffected", "--param", "x", "21"]);
    assert_eq!(code(&ran), 0, "{}", stderr(&ran));
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "output = 42\n");
    assert_eq!(stderr(&ran), "", "no pipeline body ran");
}

#[test]
fn an_unknown_component_lists_the_registered_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["component", "stpe", "--param", "x", "1"], dir.path());
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("no native component named `stpe`"), "{err}");
    assert!(err.contains("did you mean `step`?"), "{err}");
    // Every native component of the binary, from the examples and the fixtures alike; a
    // container component is not one `component` can run.
    for known in ["`noop`", "`prepare`", "`step`", "`unaffected`"] {
        assert!(err.contains(known), "{known} missing: {err}");
    }
    assert!(!err.contains("`word_count`"), "{err}");
}

#[test]
fn a_component_name_two_functions_register_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["component", "twin", "--param", "x", "1"], dir.path());
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("error[A0008]: 2 native components are named `twin` in this binary: `argot_fixtures::same_name::left`, `argot_fixtures::same_name::right`"),
        "{err}"
    );
    assert!(
        err.contains("#[component(name = \"…\")]"),
        "says what to do: {err}"
    );
    // Names no function shares still run.
    let step = run(&["component", "step", "--param", "x", "1"], dir.path());
    assert_eq!(code(&step), 0, "{}", stderr(&step));
}

#[test]
fn struct_vector_bool_and_signed_parameters_decode_with_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let config = r#"{"depth":3,"family":"gbm"}"#;
    let out = run(
        &[
            "component",
            "summarize_config",
            "--param",
            "config",
            config,
            "--output-param",
            "output",
            "o.json",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // defaults: rates has 2 items, offset -3, verbose true → scale 0.
    let value: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("o.json")).unwrap()).unwrap();
    assert_eq!(value, serde_json::json!({"depth": 3, "family": "run:gbm"}));
    let out = run(
        &[
            "component",
            "summarize_config",
            "--param",
            "config",
            config,
            "--param",
            "rates",
            "[1,2,3,4,5]",
            "--param",
            "verbose",
            "false",
            "--param",
            "offset",
            "-10",
            "--param",
            "label",
            "yes",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "output = {\"depth\":8,\"family\":\"yes:gbm\"}\n"
    );
    let bad = run(
        &[
            "component",
            "summarize_config",
            "--param",
            "config",
            "{\"depth\":\"deep\"}",
        ],
        dir.path(),
    );
    assert_eq!(code(&bad), 2, "{}", stderr(&bad));
}

#[test]
fn hostile_values_reach_the_component_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    for value in [
        "$(rm -rf /)",
        "`id`",
        "a\nb",
        "{{workflow.name}}",
        "'\"",
        "--output",
        "yes",
        "~",
        "0x10",
        "  padded  ",
        "",
    ] {
        let out = run(
            &[
                "component",
                "echo",
                "--param",
                "message",
                value,
                "--output-param",
                "output",
                "out.txt",
            ],
            dir.path(),
        );
        assert_eq!(code(&out), 0, "{value:?}: {}", stderr(&out));
        let written = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
        assert_eq!(argot::value::decode::<String>(&written).unwrap(), value);
        assert!(
            !written.contains("{{") && !written.contains('$'),
            "{written}"
        );
    }
}

#[test]
fn component_reads_values_from_files_and_refuses_a_name_given_twice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let value = "{{workflow.uid}} $(HOME) $$\n";
    std::fs::write(
        d.join("message"),
        argot::value::encode(&value.to_owned()).unwrap(),
    )
    .unwrap();
    let out = run(
        &[
            "component",
            "echo",
            "--param-file",
            "message",
            "message",
            "--output-param",
            "output",
            "out.txt",
        ],
        d,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let written = std::fs::read_to_string(d.join("out.txt")).unwrap();
    assert_eq!(argot::value::decode::<String>(&written).unwrap(), value);

    for (args, named) in [
        (
            &["echo", "--param", "message", "a", "--param", "message", "b"][..],
            "`--param message` is given twice",
        ),
        (
            &[
                "echo",
                "--param",
                "message",
                "a",
                "--param-file",
                "message",
                "message",
            ][..],
            "`--param-file message` is given twice (already given with `--param message`)",
        ),
        (
            &[
                "echo",
                "--param-file",
                "message",
                "message",
                "--param-file",
                "message",
                "message",
            ][..],
            "`--param-file message` is given twice",
        ),
        (
            &[
                "echo",
                "--param",
                "message",
                "a",
                "--output-param",
                "output",
                "x",
                "--output-param",
                "output",
                "y",
            ][..],
            "`--output-param output` is given twice",
        ),
        (
            &[
                "prepare", "--param", "rows", "5", "--output", "data", "a", "--output", "data", "b",
            ][..],
            "`--output data` is given twice",
        ),
        (
            &[
                "train", "--input", "data", "a", "--input", "data", "b", "--output", "model", "m",
            ][..],
            "`--input data` is given twice",
        ),
    ] {
        let mut all = vec!["component"];
        all.extend_from_slice(args);
        let out = run(&all, d);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(named), "{args:?}: {}", stderr(&out));
    }
    let missing = run(
        &["component", "echo", "--param-file", "message", "nowhere"],
        d,
    );
    assert_eq!(code(&missing), 2, "{}", stderr(&missing));
    assert!(stderr(&missing).contains("nowhere"), "{}", stderr(&missing));
}

#[test]
fn submit_checks_parameters_before_it_reaches_the_api_server() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            &["submit", "quickstart", "-p", "rowz=5"][..],
            "has no parameter `rowz`",
        ),
        (
            &["submit", "quickstart", "-p", "rows=many"][..],
            "not a valid `u32`",
        ),
        (
            &["submit", "quickstart", "-p", "rows=-5"][..],
            "not a valid `u32`",
        ),
        (
            &["submit", "quickstart", "-p", "rows"][..],
            "expected NAME=VALUE",
        ),
        (
            &["submit", "quickstart", "-p", "rows=1", "-p", "rows=2"][..],
            "given twice",
        ),
        (
            &["submit", "round_trip", "-p", "maybe=hello"][..],
            "'maybe=\"hello\"'",
        ),
        (
            &["submit", "round_trip", "-p", "record=[1]"][..],
            "not a valid",
        ),
    ] {
        let out = Command::new(BIN)
            .args(args)
            .current_dir(dir.path())
            // Were the check skipped, the client would fail on this, with another exit code.
            .env("KUBECONFIG", dir.path().join("no-such-kubeconfig"))
            .output()
            .unwrap();
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

/// `run -p` and `submit -p` check a value against the parameter's schema, which the macro
/// recorded from its type: each refusal names the parameter, the expected type and an example.
#[test]
fn run_and_submit_refuse_values_outside_the_parameters_schema() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("metadata.db").display().to_string();
    for (flag, says, example) in [
        // `Small` is an alias of `u8`: the bounds come from the type, not its spelling.
        (
            "small=300",
            "-p small=300: `300` is not a valid `Small`: 300 is above the maximum, 255 (expected an integer from 0 to 255)",
            "help: pass a `Small` value, e.g. 1",
        ),
        (
            "small=2.5",
            "`2.5` is not a whole number written without a fraction or an exponent",
            "e.g. 1",
        ),
        (
            "sizes=[1,70000]",
            "`[1,70000]` is not a valid `Vec<u16>`: at `[1]`: 70000 is above the maximum, 65535",
            "help: pass a `Vec<u16>` value, e.g. [42]",
        ),
        (
            "sizes=[1,\"2\"]",
            "at `[1]`: `\"2\"` is a string (expected an integer from 0 to 65535)",
            "e.g. [42]",
        ),
        (
            "care=\"careless\"",
            r#"`"careless"` is not one of "quick", "thorough""#,
            r#"help: pass a `Care` value, e.g. "quick""#,
        ),
        (
            "ratio=null",
            "`null` is not allowed here: the type is not an `Option` (expected a number)",
            "e.g. 0.5",
        ),
        (
            "limit=-1",
            "-1 is below the minimum, 0 (expected an integer from 0 to 4294967295)",
            "e.g. null",
        ),
    ] {
        for command in [
            vec!["run", "shaped_params", "--store", &store, "-p", flag],
            vec!["submit", "shaped_params", "-p", flag],
        ] {
            let out = Command::new(BIN)
                .args(&command)
                .current_dir(dir.path())
                .env("KUBECONFIG", dir.path().join("no-such-kubeconfig"))
                .output()
                .unwrap();
            let err = stderr(&out);
            assert_eq!(code(&out), 2, "{command:?}: {err}");
            assert!(
                err.contains(says),
                "{command:?}: `{says}` missing from:\n{err}"
            );
            assert!(
                err.contains(example),
                "{command:?}: `{example}` missing from:\n{err}"
            );
        }
    }
    // Values of the schema run.
    let out = Command::new(BIN)
        .args([
            "run",
            "shaped_params",
            "--store",
            &store,
            "-p",
            "small=255",
            "-p",
            "sizes=[1,65535]",
            "-p",
            "care=\"thorough\"",
            "-p",
            "limit=7",
        ])
        .current_dir(dir.path())
        .env_remove("ARGOT_CONTAINER_RUNTIME")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn a_1500_task_pipeline_over_the_budget_fails_validate_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["validate", "too_big"], dir.path());
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    for expected in [
        "error[A0013]",
        "over the 1.0 MiB budget",
        "1,500 DAG tasks",
        "split the pipeline into several pipelines",
        "--max-manifest-bytes",
    ] {
        assert!(err.contains(expected), "`{expected}` missing from:\n{err}");
    }
    let roomy = run(
        &["validate", "too_big", "--max-manifest-bytes", "2MiB"],
        dir.path(),
    );
    assert_eq!(code(&roomy), 0, "{}", stderr(&roomy));
    let tight = run(
        &["compile", "quickstart", "--max-manifest-bytes", "1KiB"],
        dir.path(),
    );
    assert_eq!(code(&tight), 3);
    assert!(
        tight.stdout.is_empty(),
        "nothing is printed for a refused manifest"
    );
    let bad = run(
        &["validate", "quickstart", "--max-manifest-bytes", "lots"],
        dir.path(),
    );
    assert_eq!(code(&bad), 2);
    let small_values = run(
        &["validate", "quickstart", "--max-param-bytes", "2"],
        dir.path(),
    );
    assert_eq!(code(&small_values), 3);
    assert!(
        stderr(&small_values).contains("error[A0014]"),
        "{}",
        stderr(&small_values)
    );
}

#[test]
fn message_format_json_prints_one_diagnostic_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &["validate", "cyclic", "--message-format", "json"],
        dir.path(),
    );
    assert_eq!(code(&out), 3);
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is a JSON object"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["code"], "A0001");
    assert_eq!(lines[0]["severity"], "error");
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    // `compile` keeps stdout for the manifest: diagnostics go to stderr.
    let out = run(
        &["compile", "unpinned_image", "--message-format", "json"],
        dir.path(),
    );
    assert_eq!(code(&out), 0);
    let warning: Value = serde_json::from_str(stderr(&out).trim()).unwrap();
    assert_eq!(warning["code"], "A0012");
    assert_eq!(warning["severity"], "warning");
    assert!(out.stdout.starts_with(b"apiVersion:"));
}

#[test]
fn warnings_can_be_denied_or_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let warned = run(&["validate", "unpinned_image"], dir.path());
    assert_eq!(code(&warned), 0);
    assert!(stderr(&warned).contains("warning[A0012]"));
    let denied = run(
        &["validate", "unpinned_image", "--deny", "warnings"],
        dir.path(),
    );
    assert_eq!(code(&denied), 3);
    assert!(
        stderr(&denied).contains("error[A0012]"),
        "{}",
        stderr(&denied)
    );
    let denied_one = run(
        &["validate", "unpinned_image", "--deny", "A0012"],
        dir.path(),
    );
    assert_eq!(code(&denied_one), 3);
    let allowed = run(
        &[
            "validate",
            "unpinned_image",
            "--deny",
            "warnings",
            "--allow",
            "a0012",
        ],
        dir.path(),
    );
    assert_eq!(code(&allowed), 0, "{}", stderr(&allowed));
    assert!(!stderr(&allowed).contains("A0012"));
    let error_allowed = run(&["validate", "cyclic", "--allow", "A0001"], dir.path());
    assert_eq!(code(&error_allowed), 2);
    assert!(
        stderr(&error_allowed).contains("cannot be allowed"),
        "{}",
        stderr(&error_allowed)
    );
}

#[test]
fn diagnostics_show_the_source_line_when_it_can_be_read() {
    // Run from the workspace root, where rustc's relative paths resolve.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = run(&["validate", "cyclic"], root);
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert!(err.contains("36 |     let a = step(1);"), "{err}");
    assert!(err.contains("^ dependency cycle"), "{err}");
}

#[test]
fn hints_name_the_binary_the_user_is_running() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["runs", "show", "nope", "--store", "m.db"], dir.path());
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`argot-fixtures runs list`"),
        "{}",
        stderr(&out)
    );
}

/// The manifest `compile` prints, as JSON.
fn compiled(args: &[&str], cwd: &Path) -> Value {
    let out = run(args, cwd);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    serde_saphyr::from_slice(&out.stdout).expect("compile prints YAML")
}

#[test]
fn settings_flags_win_over_the_pipeline_attribute() {
    let dir = tempfile::tempdir().unwrap();
    let from_attribute = compiled(&["compile", "namespaced"], dir.path());
    let spec = &from_attribute["spec"];
    assert_eq!(spec["serviceAccountName"], "argot-runner");
    assert_eq!(spec["podGC"]["strategy"], "OnPodSuccess");
    assert_eq!(spec["ttlStrategy"]["secondsAfterCompletion"], 86_400);
    assert_eq!(spec["activeDeadlineSeconds"], 7_200);

    let from_flags = compiled(
        &[
            "compile",
            "namespaced",
            "--service-account",
            "ml-pipelines",
            "--artifact-repository-ref",
            "team-repos",
            "--image-pull-secret",
            "ghcr-cred",
            "--pod-gc",
            "OnWorkflowCompletion",
            "--ttl",
            "1h30m",
            "--active-deadline",
            "600",
            "--run-as-user",
            "2000",
        ],
        dir.path(),
    );
    let spec = &from_flags["spec"];
    assert_eq!(spec["serviceAccountName"], "ml-pipelines");
    assert_eq!(
        spec["artifactRepositoryRef"],
        serde_json::json!({"configMap": "team-repos"}),
        "a flag without `:KEY` replaces the attribute's key too"
    );
    assert_eq!(
        spec["imagePullSecrets"],
        serde_json::json!([{"name": "ghcr-cred"}]),
        "pull secret flags replace the attribute's list"
    );
    assert_eq!(spec["podGC"]["strategy"], "OnWorkflowCompletion");
    assert_eq!(spec["ttlStrategy"]["secondsAfterCompletion"], 5_400);
    assert_eq!(spec["activeDeadlineSeconds"], 600);
    assert_eq!(
        spec["securityContext"],
        serde_json::json!({"runAsNonRoot": true, "runAsUser": 2000})
    );

    let rootful = compiled(
        &["compile", "quickstart", "--no-secure-defaults"],
        dir.path(),
    );
    assert!(rootful["spec"].get("securityContext").is_none());
    assert!(
        rootful["spec"]["templates"][1]["container"]
            .get("securityContext")
            .is_none()
    );
}

#[test]
fn bad_settings_flags_are_usage_errors_that_say_what_to_write() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, value, says) in [
        ("--pod-gc", "Sometimes", "OnWorkflowSuccess"),
        ("--service-account", "ML_Runner", "lowercase letters"),
        ("--image-pull-secret", "reg cred", "lowercase letters"),
        ("--artifact-repository-ref", "repos:a/b", "config map key"),
        ("--artifact-repository-ref", "Repos", "lowercase letters"),
        ("--ttl", "1d", "1h30m"),
        ("--active-deadline", "0", "at least one second"),
        ("--run-as-user", "4294967295", "0..=2147483647"),
    ] {
        let out = run(&["compile", "quickstart", flag, value], dir.path());
        assert_eq!(code(&out), 2, "{flag} {value}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(says),
            "{flag} {value}: {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty());
    }
    // Root under the secure defaults is a coded diagnostic (it needs two settings together).
    let out = run(&["compile", "quickstart", "--run-as-user", "0"], dir.path());
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("error[A0027]"), "{}", stderr(&out));
    let out = run(
        &[
            "compile",
            "quickstart",
            "--run-as-user",
            "0",
            "--no-secure-defaults",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn compile_notes_on_stderr_when_the_image_comes_from_the_attribute() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["compile", "quickstart"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let note = stderr(&out);
    assert!(
        note.starts_with("note:")
            && note.contains("ghcr.io/argot-rs/quickstart:0.1.0")
            && note.contains("--image"),
        "{note}"
    );
    assert_eq!(note.lines().count(), 1, "one line: {note}");
    assert!(
        out.stdout.starts_with(b"apiVersion:"),
        "stdout stays the manifest"
    );

    let out = run(
        &[
            "compile",
            "quickstart",
            "--image",
            "registry.example.com/qs:1.0",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 0);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[cfg(unix)]
mod output_files {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    use std::process::Stdio;

    /// Runs the binary under umask 022, whatever the test runner's umask is.
    fn run_with_umask_022(args: &[&str], cwd: &Path) -> Output {
        Command::new("sh")
            .arg("-c")
            .arg(r#"umask 022; exec "$0" "$@""#)
            .arg(BIN)
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap()
    }

    #[test]
    fn compile_o_creates_the_file_with_the_umask_mode() {
        let dir = tempfile::tempdir().unwrap();
        let out = run_with_umask_022(&["compile", "quickstart", "-o", "wf.yaml"], dir.path());
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let mode = std::fs::metadata(dir.path().join("wf.yaml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn compile_o_dev_stdout_writes_to_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let out = run(&["compile", "quickstart", "-o", "/dev/stdout"], dir.path());
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(
            out.stdout.starts_with(b"apiVersion: argoproj.io/v1alpha1"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            std::fs::symlink_metadata("/dev/stdout")
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn compile_o_a_fifo_writes_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("wf.fifo");
        let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        let out = Command::new(BIN)
            .args(["compile", "quickstart", "-o", fifo.to_str().unwrap()])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo(),
            "the FIFO was replaced"
        );
        let read = reader.join().unwrap();
        assert!(read.starts_with(b"apiVersion: argoproj.io/v1alpha1"));
    }

    #[test]
    fn compile_o_a_symlink_keeps_the_link_and_writes_its_target() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::fs::write(dir.path().join("real/wf.yaml"), "old").unwrap();
        std::os::unix::fs::symlink("real/wf.yaml", dir.path().join("wf.yaml")).unwrap();
        let out = run(&["compile", "quickstart", "-o", "wf.yaml"], dir.path());
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let link = std::fs::symlink_metadata(dir.path().join("wf.yaml")).unwrap();
        assert!(link.file_type().is_symlink(), "the link was replaced");
        let written = std::fs::read(dir.path().join("real/wf.yaml")).unwrap();
        assert!(written.starts_with(b"apiVersion: argoproj.io/v1alpha1"));
        assert_eq!(
            std::fs::read_dir(dir.path().join("real")).unwrap().count(),
            1
        );
    }

    #[test]
    fn a_write_error_names_the_users_path_not_a_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = run(
            &[
                "compile",
                "quickstart",
                "-o",
                "/nonexistent-argot-dir/wf.yaml",
            ],
            dir.path(),
        );
        assert_eq!(code(&out), 1);
        let err = stderr(&out);
        assert!(err.contains("`/nonexistent-argot-dir/wf.yaml`"), "{err}");
        assert!(!err.contains(".tmp"), "{err}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn compile_to_a_full_stdout_exits_1_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(BIN)
            .args(["compile", "quickstart"])
            .current_dir(dir.path())
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("cannot write to stdout"), "{err}");
        assert!(err.contains("No space left on device"), "{err}");
    }
}

/// `--kind`, `--schedule`, `--timezone` and `--argo-version` win over the attribute; a bad
/// value is a usage error (exit 2) naming the choices, a bad schedule a coded diagnostic
/// (exit 3), from `compile` and `validate` alike.
#[test]
fn kind_and_version_flags_win_over_the_attribute() {
    let dir = tempfile::tempdir().unwrap();
    let cron = compiled(&["compile", "nightly"], dir.path());
    assert_eq!(cron["kind"], "CronWorkflow");
    assert_eq!(cron["spec"]["schedules"], serde_json::json!(["0 3 * * *"]));

    let old = compiled(
        &[
            "compile",
            "nightly",
            "--argo-version",
            "3.6",
            "--schedule",
            "@hourly",
            "--timezone",
            "UTC",
        ],
        dir.path(),
    );
    assert_eq!(old["spec"]["schedule"], "@hourly");
    assert!(old["spec"].get("schedules").is_none(), "{old}");
    assert_eq!(old["spec"]["timezone"], "UTC");

    let once = compiled(&["compile", "nightly", "--kind", "workflow"], dir.path());
    assert_eq!(once["kind"], "Workflow");
    assert_eq!(once["metadata"]["generateName"], "nightly-");

    let template = compiled(
        &[
            "compile",
            "quickstart",
            "--kind",
            "cluster-workflow-template",
        ],
        dir.path(),
    );
    assert_eq!(template["kind"], "ClusterWorkflowTemplate");
    assert_eq!(template["metadata"]["name"], "quickstart");

    let out = run(&["compile", "nightly", "--argo-version", "3.5"], dir.path());
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("argot emits for Argo 4.1, 4.0, 3.7, 3.6"),
        "{}",
        stderr(&out)
    );
    let out = run(&["compile", "nightly", "--kind", "cron"], dir.path());
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("cron-workflow"), "{}", stderr(&out));
    for command in ["compile", "validate"] {
        let out = run(
            &[
                command,
                "nightly",
                "--schedule",
                "0 3 * *",
                "--timezone",
                "Paris",
            ],
            dir.path(),
        );
        assert_eq!(code(&out), 3, "{}", stderr(&out));
        assert_eq!(
            stderr(&out).matches("error[A0046]").count(),
            2,
            "{}",
            stderr(&out)
        );
    }
}

/// `cargo argot`: the Dockerfile and starter it writes are the committed ones, the starter's
/// manifest resolves against this workspace, and `compile` runs the binary cargo reports.
mod cargo_argot {
    use std::ffi::OsString;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use argot_client::cargo_argot::{self, Target, image, starter};

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("tests/ is in the workspace")
            .to_owned()
    }

    fn cargo() -> PathBuf {
        std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
    }

    /// `cargo metadata --offline` of the crate at `manifest` (plus `extra` flags), parsed;
    /// the suite's own `CARGO_TARGET_DIR` is not passed on.
    fn metadata(manifest: &Path, extra: &[&str]) -> serde_json::Value {
        let out = Command::new(cargo())
            .args(["metadata", "--offline", "--format-version", "1"])
            .args(extra)
            .arg("--manifest-path")
            .arg(manifest)
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn the_examples_dockerfile_and_dockerignore_are_what_cargo_argot_image_prints() {
        let ws = workspace();
        let target = Target {
            package: Some("argot-examples".into()),
            bin: Some("quickstart".into()),
            manifest_path: Some(ws.join("Cargo.toml")),
        };
        let generated = cargo_argot::dockerfile_for(&cargo(), &target, &ws)
            .unwrap_or_else(|f| panic!("{}", f.message));
        assert_eq!(
            read(&ws.join("examples/Dockerfile")),
            generated,
            "examples/Dockerfile is stale: `cargo run -p argot-client --bin cargo-argot -- \
             image -p argot-examples --bin quickstart > examples/Dockerfile`"
        );
        assert_eq!(
            read(&ws.join(".dockerignore")),
            image::DOCKERIGNORE,
            "`cargo run -p argot-client --bin cargo-argot -- image --dockerignore > .dockerignore`"
        );
        // Run from inside the examples folder without -p, the package is the one there.
        let here = Target {
            bin: Some("quickstart".into()),
            manifest_path: Some(ws.join("Cargo.toml")),
            ..Target::default()
        };
        let found = cargo_argot::dockerfile_for(&cargo(), &here, &ws.join("examples/src"))
            .unwrap_or_else(|f| panic!("{}", f.message));
        assert_eq!(found, generated);
    }

    #[test]
    fn the_starter_example_is_what_cargo_argot_new_writes() {
        assert_eq!(
            read(&workspace().join("examples/src/bin/starter.rs")),
            starter::main_rs("starter").unwrap(),
            "examples/src/bin/starter.rs is stale: `cargo run -p argot-client --bin cargo-argot \
             -- new starter --path /tmp/s` and copy its src/main.rs"
        );
    }

    /// What crates.io needs of every published crate, names that are free there (`argot`
    /// is another project's), and `publish = false` on the rest; and what
    /// `cargo package --workspace` needs of every crate: a version beside each path
    /// dependency (dev-dependencies excepted: cargo drops path-only ones when packaging).
    #[test]
    fn every_publishable_crate_has_a_free_name_and_the_metadata_crates_io_requires() {
        let metadata = metadata(&workspace().join("Cargo.toml"), &["--no-deps"]);
        let mut published = Vec::new();
        for package in metadata["packages"].as_array().unwrap() {
            let name = package["name"].as_str().unwrap();
            for dep in package["dependencies"].as_array().unwrap() {
                if dep["path"].is_string() && dep["kind"] != "dev" {
                    assert_ne!(
                        dep["req"], "*",
                        "{name}: the path dependency {} has no version, so \
                         `cargo package --workspace` fails: add `version = \"…\"`",
                        dep["name"]
                    );
                }
            }
            // `publish = false` is an empty list of registries.
            if package["publish"].as_array().is_some_and(Vec::is_empty) {
                continue;
            }
            published.push(name);
            for field in ["description", "license", "repository", "readme"] {
                assert!(
                    package[field].as_str().is_some_and(|v| !v.is_empty()),
                    "{name}: no {field}"
                );
            }
            for field in ["keywords", "categories"] {
                assert!(
                    package[field].as_array().is_some_and(|v| !v.is_empty()),
                    "{name}: no {field}"
                );
            }
        }
        published.sort_unstable();
        assert_eq!(
            published,
            [
                "argot-client",
                "argot-examples",
                "argot-macros",
                "argot-pipelines"
            ]
        );
        // The facade keeps the library name `argot`: user code and the macros' `::argot::…`.
        let facade = metadata["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "argot-pipelines")
            .unwrap();
        let lib = facade["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["kind"][0] == "lib")
            .unwrap();
        assert_eq!(lib["name"], "argot");
    }

    /// README's first section is how to depend on argot: a `Cargo.toml` and a `main.rs`.
    #[test]
    fn the_readmes_first_section_shows_a_users_cargo_toml_and_main_rs() {
        let readme = read(&workspace().join("README.md"));
        let first = readme.split("\n## ").nth(1).expect("a first section");
        for expected in [
            "[dependencies]",
            "argot-pipelines = \"0.1\"",
            "use argot::prelude::*;",
            "argot::main!(",
            "cargo argot new",
        ] {
            assert!(
                first.contains(expected),
                "{expected:?} not in README's first section:\n{first}"
            );
        }
    }

    /// Offline, no build: `cargo metadata` resolves the starter's dependencies from this
    /// workspace's lock file (copied in, so the versions are ones already downloaded) and
    /// reports `argot` as the crate name of `argot-pipelines`. That the starter's code builds
    /// and runs is what the `starter` example binary proves (the same text, checked above).
    #[test]
    fn cargo_argot_new_writes_a_crate_that_resolves_against_this_workspace() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().join("my-pipeline");
        let args = ["cargo-argot", "argot", "new", "my-pipeline", "--path"]
            .into_iter()
            .map(OsString::from)
            .chain([dir.clone().into_os_string(), "--argot-path".into()])
            .chain([workspace().join("compiler").into_os_string()])
            .collect();
        let command = cargo_argot::parse(args).unwrap();
        assert_eq!(
            cargo_argot::execute(command, &cargo()).map_err(|f| f.message),
            Ok(0)
        );
        assert_eq!(
            read(&dir.join("src/main.rs")),
            starter::main_rs("my-pipeline").unwrap()
        );
        assert_eq!(
            read(&dir.join("Dockerfile")),
            image::dockerfile("my-pipeline", "my-pipeline")
        );
        assert_eq!(read(&dir.join(".dockerignore")), image::DOCKERIGNORE);
        assert!(read(&dir.join("src/main.rs")).contains("pub fn my_pipeline("));

        std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        let metadata = metadata(&dir.join("Cargo.toml"), &[]);
        let root = metadata["resolve"]["root"].as_str().unwrap();
        let node = metadata["resolve"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == root)
            .unwrap();
        let argot = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == "argot")
            .unwrap_or_else(|| panic!("no dependency named `argot`: {node}"));
        assert!(
            argot["pkg"].as_str().unwrap().contains("argot-pipelines"),
            "{argot}"
        );
        // The default features compile and run locally: no kube, tokio or rustls.
        let packages: Vec<&str> = metadata["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        for heavy in ["kube", "tokio", "rustls"] {
            assert!(
                !packages.contains(&heavy),
                "{heavy} in a default starter: {packages:?}"
            );
        }
        assert!(
            packages.contains(&"rusqlite"),
            "the local runner's store: {packages:?}"
        );
    }

    /// `cargo argot compile` with a stand-in for cargo that reports the suite's fixture binary
    /// as built (a real nested build would compile the workspace a second time, with other
    /// features): the build command it runs, the binary it picks, the output it writes and
    /// the exit codes it passes on.
    #[test]
    fn cargo_argot_compile_runs_the_binary_cargo_reports_and_passes_its_exit_code() {
        use std::os::unix::fs::PermissionsExt;
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        let messages = dir.join("messages.json");
        let message = serde_json::json!({
            "reason": "compiler-artifact",
            "target": {"kind": ["bin"], "name": "argot-fixtures"},
            "executable": super::BIN,
        });
        std::fs::write(
            &messages,
            format!("{message}\n{{\"reason\":\"build-finished\",\"success\":true}}\n"),
        )
        .unwrap();
        let argv_file = dir.join("argv");
        let fake_cargo = dir.join("cargo");
        std::fs::write(
            &fake_cargo,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\ncat '{}'\n",
                argv_file.display(),
                messages.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&fake_cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = dir.join("wf.yaml");
        let args = |pipeline: &str| -> Vec<OsString> {
            [
                "cargo-argot",
                "argot",
                "compile",
                "-p",
                "argot-tests",
                "--bin",
                "argot-fixtures",
                pipeline,
                "-o",
            ]
            .into_iter()
            .map(OsString::from)
            .chain([out.clone().into_os_string()])
            .collect()
        };

        let code =
            cargo_argot::execute(cargo_argot::parse(args("quickstart")).unwrap(), &fake_cargo)
                .map_err(|f| f.message);
        assert_eq!(code, Ok(0));
        assert_eq!(
            read(&argv_file),
            "build\n--message-format=json-render-diagnostics\n-p\nargot-tests\n--bin\nargot-fixtures\n"
        );
        let direct = super::run(&["compile", "quickstart"], dir);
        assert_eq!(read(&out), String::from_utf8(direct.stdout).unwrap());

        // The binary's own exit code comes back: 3 for an invalid pipeline.
        let invalid =
            cargo_argot::execute(cargo_argot::parse(args("cyclic")).unwrap(), &fake_cargo);
        assert_eq!(invalid.map_err(|f| f.message), Ok(3));

        // A failed build ends with cargo's code and says what to do; nothing is run.
        let broken_cargo = dir.join("broken-cargo");
        std::fs::write(&broken_cargo, "#!/bin/sh\nexit 101\n").unwrap();
        std::fs::set_permissions(&broken_cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::remove_file(&out).unwrap();
        let failed = cargo_argot::execute(
            cargo_argot::parse(args("quickstart")).unwrap(),
            &broken_cargo,
        )
        .unwrap_err();
        assert_eq!(failed.code, 101);
        assert!(
            failed.message.contains("the build failed"),
            "{}",
            failed.message
        );
        assert!(!out.exists());
    }
}

/// `compile --deliver-binary`: native templates fetch the binary into a stock image as an
/// input artifact (mode 0755, no shell), in a manifest Argo's schema accepts.
#[test]
fn deliver_binary_ships_the_binary_into_a_stock_image_as_an_input_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let compile = |source: &str| -> Value {
        let out = run(
            &[
                "compile",
                "container_steps",
                "--image",
                "docker.io/library/python:3.12-slim",
                "--deliver-binary",
                source,
                "--format",
                "json",
            ],
            dir.path(),
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let binary = "/tmp/argot/bin/argot-fixtures";
    for (source, location) in [
        (
            "key:argot/bin/argot-fixtures-3f2a",
            serde_json::json!({"s3": {"key": "argot/bin/argot-fixtures-3f2a"}}),
        ),
        (
            "https://files.example.com/bin/argot-fixtures",
            serde_json::json!({"http": {"url": "https://files.example.com/bin/argot-fixtures"}}),
        ),
    ] {
        let manifest = compile(source);
        argot_tests::schema::assert_valid(argot_tests::schema::Kind::Workflow, &manifest);
        let mut natives = 0;
        let mut containers = 0;
        for template in manifest["spec"]["templates"].as_array().unwrap() {
            let Some(container) = template.get("container") else {
                continue;
            };
            let delivered: Vec<&Value> = template["inputs"]["artifacts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| a["name"] == "argot-binary")
                .collect();
            if container["command"][0] == binary {
                natives += 1;
                assert_eq!(container["image"], "docker.io/library/python:3.12-slim");
                let mut expected =
                    serde_json::json!({"name": "argot-binary", "path": binary, "mode": 0o755});
                expected
                    .as_object_mut()
                    .unwrap()
                    .extend(location.as_object().unwrap().clone());
                assert_eq!(delivered, [&expected], "{template}");
            } else {
                containers += 1;
                assert!(
                    delivered.is_empty(),
                    "a container component needs no binary: {template}"
                );
            }
        }
        assert!(natives > 0 && containers > 0, "{manifest}");
    }

    for bad in [
        "ftp://x/y",
        "key:",
        "https://",
        "key:a b",
        "https://x/{{workflow.name}}",
    ] {
        let out = run(
            &["compile", "container_steps", "--deliver-binary", bad],
            dir.path(),
        );
        assert_eq!(code(&out), 2, "{bad}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("key:path/in/the/artifact/repository"),
            "{}",
            stderr(&out)
        );
    }
}
