//! Every example (and the fan-out fixture) compiles to a manifest that is a reviewed snapshot
//! under `golden/`, matches Argo's schema with strict keys, reads back the same as YAML 1.2,
//! YAML 1.1 and JSON, is byte-for-byte deterministic, and has one template per component.

use argot::emit::argo::{ArgoVersion, Format, render_manifest, render_object};
use argot::{CompileOptions, PipelineDef};
use argot_tests::schema::{self, Kind};
use argot_tests::{options, yaml11};
use serde_json::Value;

/// The manifest `options` compile `def` to, as YAML, after checking that it is deterministic,
/// valid against the strict schema of `options.argo_version` for its kind, and reads back the
/// same as JSON, YAML 1.2 and YAML 1.1.
fn checked_manifest(
    name: &str,
    def: PipelineDef,
    options: &CompileOptions,
) -> (argot::Compiled, String) {
    let compiled = def
        .compile(options)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let yaml = render_object(&compiled.manifest, Format::Yaml).unwrap();
    let json = render_object(&compiled.manifest, Format::Json).unwrap();

    let again = def.compile(options).unwrap();
    assert_eq!(
        yaml,
        render_object(&again.manifest, Format::Yaml).unwrap(),
        "{name}: output is not deterministic"
    );

    let value: Value = serde_json::from_str(&json).unwrap();
    schema::assert_valid_manifest(options.argo_version, &value);

    let from_yaml: Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(from_yaml, value, "{name}: YAML and JSON forms differ");
    if let Some(from_yaml11) = yaml11::parse(&yaml) {
        assert_eq!(
            from_yaml11, value,
            "{name}: a YAML 1.1 reader sees different data"
        );
    }
    (compiled, yaml)
}

fn check(name: &str, def: PipelineDef, binary: &str) {
    let (compiled, yaml) = checked_manifest(name, def, &options(binary));
    // The workflow every kind holds (a CronWorkflow's `spec.workflowSpec`).
    let value = serde_json::json!({ "spec": compiled.manifest.workflow_spec() });

    let pipeline = compiled.valid.pipeline();
    let templates = value["spec"]["templates"].as_array().unwrap();
    let dags = templates.iter().filter(|t| t["dag"].is_object()).count();
    let exit = usize::from(value["spec"]["onExit"].is_string());
    // Every call of a sub-pipeline runs the template of its first call: the others' tasks
    // are not emitted again.
    let mut called = std::collections::BTreeSet::new();
    let repeated: Vec<bool> = pipeline
        .regions
        .iter()
        .map(|r| match &r.kind {
            argot::ir::RegionKind::Call { pipeline, .. } => !called.insert(pipeline.clone()),
            _ => false,
        })
        .collect();
    let emitted = |region: argot::ir::RegionId| {
        !argot::ir::ancestry(&pipeline.regions, region).any(|(r, _)| repeated[r.index()])
    };
    let calls = pipeline
        .regions
        .iter()
        .filter(|r| matches!(r.kind, argot::ir::RegionKind::Call { .. }))
        .filter(|r| r.parent.is_some_and(emitted))
        .count();
    let hooks = pipeline
        .regions
        .iter()
        .filter(|r| matches!(r.kind, argot::ir::RegionKind::Hook { .. }))
        .count();
    let branches = pipeline
        .regions
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.kind, argot::ir::RegionKind::Branch { .. }))
        .filter(|(i, _)| emitted(argot::ir::RegionId(*i as u32)))
        .count();
    // A loop is two DAGs: the one that runs every iteration (with the loop's parallelism)
    // and the body.
    let loops = pipeline
        .regions
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.kind, argot::ir::RegionKind::Loop { .. }))
        .filter(|(i, _)| emitted(argot::ir::RegionId(*i as u32)))
        .count();
    assert_eq!(
        dags,
        1 + branches + 2 * loops + exit + called.len() + hooks,
        "{name}: a DAG per region, two per loop, one per called pipeline"
    );
    // A template only tasks calling a published one would run is the library's: not emitted.
    let run_here = argot::emit::argo::run_here(&compiled.valid);
    assert_eq!(
        templates.len(),
        run_here.iter().filter(|used| **used).count() + dags,
        "{name}: one template per distinct component and settings, plus the DAGs"
    );
    let dag_tasks: usize = templates
        .iter()
        .filter(|t| t["dag"].is_object())
        .map(|t| t["dag"]["tasks"].as_array().unwrap().len())
        .sum();
    let tasks = pipeline.tasks.iter().filter(|t| emitted(t.region)).count();
    assert_eq!(
        dag_tasks,
        tasks + branches + 2 * loops + calls,
        "{name}: every task, and a task calling each branch, loop and sub-pipeline"
    );

    // Every default is a value of its parameter's schema (the macro records both from the type).
    let form = |schema: &argot::TypeSchema| match schema {
        argot::TypeSchema::Text => argot::value::WireForm::Text,
        _ => argot::value::WireForm::Json,
    };
    for p in &pipeline.params {
        if let Some(default) = &p.default {
            argot::run::check_wire(&p.schema, form(&p.schema), default)
                .unwrap_or_else(|e| panic!("{name}: default of `{}`: {e}", p.name));
        }
    }
    for spec in pipeline.components.values() {
        for input in &spec.inputs {
            if let (argot::ir::IoKind::Parameter { schema, .. }, Some(default)) =
                (&input.kind, &input.default)
            {
                argot::run::check_wire(schema, form(schema), default)
                    .unwrap_or_else(|e| panic!("{name}: default of `{}`: {e}", input.name));
            }
        }
    }

    // A native component's code hash changes with every edit of its body, so the snapshot shows
    // that it is there, not its value; `cache::tests` pin what it keys.
    let mut pipeline = pipeline.clone();
    for spec in pipeline.components.values_mut() {
        let native = matches!(spec.implementation, argot::ir::Implementation::Native);
        match &mut spec.code_hash {
            Some(hash) => {
                assert!(native, "{name}: only native components carry a code hash");
                assert!(
                    hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{name}: {hash}"
                );
                *hash = "<sha256 of the component function's tokens>".to_owned();
            }
            None => assert!(!native, "{name}: native component without a code hash"),
        }
    }

    insta::with_settings!({ snapshot_path => "../../golden", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(format!("{name}.argo"), yaml);
        insta::assert_json_snapshot!(format!("{name}.ir"), pipeline);
    });
}

/// `nightly` is a CronWorkflow: one golden per supported Argo version (3.x writes its one
/// schedule as `schedule`, 4.x as `schedules`), each valid against that version's schema.
#[test]
fn nightly() {
    let def = argot_examples::nightly::nightly::definition();
    check("nightly", def, "nightly");
    for version in [ArgoVersion::V4_0, ArgoVersion::V3_7, ArgoVersion::V3_6] {
        let options = CompileOptions {
            argo_version: version,
            ..options("nightly")
        };
        let (_, yaml) = checked_manifest("nightly", def, &options);
        insta::with_settings!({ snapshot_path => "../../golden", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("nightly.argo-{version}"), yaml);
        });
    }
}

/// `library`: the components published as a WorkflowTemplate, and a pipeline whose tasks run
/// them by `templateRef` (no template of their own in its manifest).
#[test]
fn library() {
    check(
        "ml_library",
        argot_examples::library::ml_library::definition(),
        "library",
    );
    check(
        "weekly_report",
        argot_examples::library::weekly_report::definition(),
        "library",
    );
    // Every task of the report finds its template in the library, and passes exactly the
    // arguments that template's inputs take (Argo's `ProcessArgs` on the resolved template).
    let compile = |def: PipelineDef| {
        serde_json::to_value(&def.compile(&options("library")).unwrap().manifest).unwrap()
    };
    let library = compile(argot_examples::library::ml_library::definition());
    let report = compile(argot_examples::library::weekly_report::definition());
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .map(|l| {
                l.iter()
                    .map(|i| i["name"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let tasks = report["spec"]["templates"][0]["dag"]["tasks"]
        .as_array()
        .unwrap();
    assert_eq!(tasks.len(), 3);
    for task in tasks {
        let reference = &task["templateRef"];
        assert_eq!(reference["name"], library["metadata"]["name"], "{task}");
        let template = library["spec"]["templates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == reference["template"])
            .unwrap_or_else(|| panic!("the library has no template {}", reference["template"]));
        let inputs = names(&template["inputs"]["parameters"]);
        for given in names(&task["arguments"]["parameters"]) {
            assert!(inputs.contains(&given), "{given} of {task}");
        }
        let artifacts = names(&template["inputs"]["artifacts"]);
        for given in names(&task["arguments"]["artifacts"]) {
            assert!(artifacts.contains(&given), "{given} of {task}");
        }
        for input in template["inputs"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let name = input["name"].as_str().unwrap().to_owned();
            assert!(
                input.get("default").is_some()
                    || names(&task["arguments"]["parameters"]).contains(&name),
                "{name} of {task} is required"
            );
        }
    }
}

#[test]
fn quickstart() {
    check(
        "quickstart",
        argot_examples::quickstart::quickstart::definition(),
        "quickstart",
    );
}

/// Each conditional branch is a DAG template called by a task with an `expr` `when`; values
/// from outside a branch arrive as its inputs.
#[test]
fn conditions() {
    check(
        "coin_flip",
        argot_examples::coin_flip::coin_flip::definition(),
        "coin_flip",
    );
    check(
        "conditions_probe",
        argot_tests::fixtures::conditions_probe::definition(),
        "argot-fixtures",
    );
}

/// A loop is an outer DAG template (its parallelism) whose one task runs the body template
/// once per item (`withItems`, `withParam`); items arrive as `{{item}}`/`{{item.FIELD}}`
/// inputs, collected outputs leave as Argo's aggregate.
#[test]
fn loops() {
    check("sweep", argot_examples::sweep::sweep::definition(), "sweep");
    check(
        "shards",
        argot_examples::shards::shards::definition(),
        "shards",
    );
    check(
        "loops_probe",
        argot_tests::fixtures::loops_probe::definition(),
        "argot-fixtures",
    );
    // Collected artifacts, once after a loop and once inside an outer loop.
    check(
        "collected_models",
        argot_tests::fixtures::collected_models::definition(),
        "argot-fixtures",
    );
}

/// Recursion: one DAG template that calls itself from its branch, whose `when` carries the
/// bound on the depth the template receives; the picture draws the first level and a node for
/// the call of itself.
#[test]
fn recursion() {
    use argot::emit::graph;
    let def = argot_examples::train_until::train_until::definition();
    check("train_until", def, "train_until");
    let compiled = def.compile(&options("train_until")).unwrap();
    let yaml = render_manifest(&compiled.workflow, Format::Yaml).unwrap();
    let json: Value =
        serde_json::from_str(&render_manifest(&compiled.workflow, Format::Json).unwrap()).unwrap();
    let templates = json["spec"]["templates"].as_array().unwrap();
    let branch = templates
        .iter()
        .find(|t| t["name"] == "train-rounds-condition-1")
        .expect("the branch's template");
    let call = &branch["dag"]["tasks"][0];
    assert_eq!(
        call["template"], "train-rounds",
        "the template calls itself"
    );
    assert_eq!(
        call["arguments"]["parameters"][0]["value"],
        "{{=asInt(inputs.parameters['_recursion-depth']) + 1}}"
    );
    assert!(
        yaml.contains("&& (asInt(inputs.parameters['_recursion-depth']) < 6)}}"),
        "{yaml}"
    );
    let mermaid = graph::mermaid(&compiled.valid);
    let dot = graph::dot(&compiled.valid);
    // Only the first level's tasks are drawn; the deeper ones are the node `↻`.
    assert!(!mermaid.contains("train-rounds.train-rounds."), "{mermaid}");
    assert!(
        mermaid.contains("↻ train-rounds: pipeline train_rounds (≤ 6 levels)"),
        "{mermaid}"
    );
    graphviz_reads("train_until", &dot);
    insta::with_settings!({ snapshot_path => "../../golden", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("train_until.mermaid", mermaid);
        insta::assert_snapshot!("train_until.dot", dot);
    });
}

/// A formatted string is one `expr` expression per argument that lists its pieces, each value
/// in its own wire form; in a branch its values arrive as the branch's inputs.
#[test]
fn formatted() {
    check(
        "formatted",
        argot_tests::fixtures::formatted::definition(),
        "argot-fixtures",
    );
}

/// Each hook is a DAG template named in its task's `hooks`: `exit`, or an expression on the
/// task's status.
#[test]
fn hooked() {
    check(
        "hooked",
        argot_tests::fixtures::hooked::definition(),
        "argot-fixtures",
    );
}

/// The exit handler is the DAG template `spec.onExit` names, reading `{{workflow.status}}`
/// and `{{workflow.failures}}`.
#[test]
fn exit_handler() {
    check(
        "exit_handler",
        argot_examples::exit_handler::exit_handler::definition(),
        "exit_handler",
    );
}

/// A sub-pipeline called twice is one DAG template with inputs and outputs, run by a DAG
/// task per call; the pipeline's outputs are its entrypoint's.
#[test]
fn nested_pipeline() {
    check(
        "nested_pipeline",
        argot_examples::nested_pipeline::nested_pipeline::definition(),
        "nested_pipeline",
    );
    // A call inside a call, outputs passed on, and a second call with constants.
    check(
        "calls_probe",
        argot_tests::fixtures::calls_probe::definition(),
        "argot-fixtures",
    );
    // Conditions inside a called pipeline, on its parameters, passed into its branches.
    check(
        "branching_calls",
        argot_tests::fixtures::branching_calls::definition(),
        "argot-fixtures",
    );
}

/// A memoized step: `memoize` with a key Argo computes from the code hash and the input
/// parameters.
#[test]
fn cached() {
    check(
        "cached",
        argot_examples::cached::cached::definition(),
        "cached",
    );
}

/// A data set from a URL held by a pipeline parameter (Argo `http`), a constant text (`raw`),
/// and an `Html` report fed to an `Input<Artifact>`.
#[test]
fn from_url() {
    check(
        "from_url",
        argot_examples::from_url::from_url::definition(),
        "from_url",
    );
    // The kinds the manifest records are what the client reads back from a cluster run.
    let compiled = argot_examples::from_url::from_url::definition()
        .compile(&options("from_url"))
        .unwrap();
    let json = render_manifest(&compiled.workflow, Format::Json).unwrap();
    let view =
        argot_client::status::WorkflowView::from_workflow(&serde_json::from_str(&json).unwrap())
            .unwrap();
    assert_eq!(view.artifact_kind(Some("profile"), "report"), Some("Html"));
    assert_eq!(
        view.artifact_kind(Some("profile"), "notes"),
        Some("Markdown")
    );
    assert_eq!(
        view.artifact_kind(Some("publish"), "page"),
        Some("Artifact")
    );
    // A single-file kind is uploaded as it is (Argo's UI shows it); a data set keeps Argo's
    // default archive (it may be a folder).
    let value: Value = serde_json::from_str(&json).unwrap();
    let template = |name: &str| {
        value["spec"]["templates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()
            .clone()
    };
    let report = &template("profile")["outputs"]["artifacts"][0];
    assert_eq!(report["name"], "report");
    assert_eq!(report["archive"], serde_json::json!({"none": {}}));
    let quickstart = argot_examples::quickstart::quickstart::definition()
        .compile(&options("quickstart"))
        .unwrap();
    let value = serde_json::to_value(&quickstart.workflow).unwrap();
    let prepare = value["spec"]["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "prepare")
        .unwrap();
    assert!(prepare["outputs"]["artifacts"][0].get("archive").is_none());
}

/// A container output collected from the image's own path (`output_at`), and every source of
/// an artifact from outside the pipeline (`http`, `raw`, `s3`, `gcs`, `git`).
#[test]
fn artifact_sources_and_own_paths() {
    check(
        "own_paths",
        argot_tests::fixtures::own_paths::definition(),
        "argot-fixtures",
    );
    check(
        "every_source",
        argot_tests::fixtures::every_source::definition(),
        "argot-fixtures",
    );
    check(
        "optional_inputs",
        argot_tests::fixtures::optional_inputs::definition(),
        "argot-fixtures",
    );
}

/// Outputs stored under keys the pipeline names: key-only `s3: {key}` locations whose
/// variables are Argo's own tags, valid against every supported version's schema; the keyed
/// tasks get templates of their own (the key is on the template), with the run-time values
/// of a key as template inputs, and a task without a key keeps the plain template unchanged.
#[test]
fn repo_keys() {
    let def = argot_tests::fixtures::repo_keys::definition();
    check("repo_keys", def, "argot-fixtures");
    for version in [ArgoVersion::V4_0, ArgoVersion::V3_7, ArgoVersion::V3_6] {
        let options = CompileOptions {
            argo_version: version,
            ..options("argot-fixtures")
        };
        checked_manifest("repo_keys", def, &options);
    }
    let compiled = def.compile(&options("argot-fixtures")).unwrap();
    let value = serde_json::to_value(&compiled.workflow).unwrap();
    let templates = value["spec"]["templates"].as_array().unwrap();
    let template_of = |task: &str| {
        let dag_task = templates
            .iter()
            .filter_map(|t| t["dag"]["tasks"].as_array())
            .flatten()
            .find(|t| t["name"] == task)
            .unwrap();
        templates
            .iter()
            .find(|t| t["name"] == dag_task["template"])
            .unwrap()
    };
    let output = |task: &str, name: &str| {
        template_of(task)["outputs"]["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        output("latest", "model")["s3"],
        serde_json::json!({"key": "models/latest/model.tgz"})
    );
    assert!(output("latest", "model").get("archive").is_none());
    assert_eq!(
        output("latest", "score")["s3"]["key"],
        "scores/{{workflow.name}}/{{inputs.parameters.argot-setting-0}}/score.json"
    );
    assert_eq!(
        output("dated", "model")["s3"]["key"],
        "models/{{workflow.creationTimestamp.Y}}/{{workflow.creationTimestamp.m}}/{{inputs.parameters.argot-setting-0}}-{{workflow.uid}}"
    );
    assert_eq!(
        output("dated", "model")["archive"],
        serde_json::json!({"none": {}})
    );
    assert_eq!(
        output("shard", "model")["s3"]["key"],
        "shards/{{workflow.namespace}}/{{pod.name}}.tgz"
    );
    // The key's run-time value is an input of the template, passed by the task.
    assert_eq!(
        template_of("dated")["inputs"]["parameters"][1]["name"],
        "argot-setting-0"
    );
    // A key from the component's settings: both of its tasks share the component's template,
    // which holds it.
    assert_eq!(
        template_of("write-report")["name"],
        template_of("write-report-2")["name"]
    );
    assert_eq!(
        output("write-report", "report")["s3"]["key"],
        "reports/{{workflow.name}}/{{pod.name}}.html"
    );
    // Without a key: the component's plain template, no location on its outputs.
    assert_eq!(template_of("plain")["name"], "train-keyed");
    assert!(output("plain", "model").get("s3").is_none());
    assert!(output("plain", "score").get("s3").is_none());
}

/// A training step with a GPU, a secret, a checkpoint claim, shared memory, retries and both
/// time limits.
#[test]
fn gpu_training() {
    check(
        "gpu_training",
        argot_examples::gpu_training::gpu_training::definition(),
        "gpu_training",
    );
}

/// SLI telemetry is on unless a pipeline opts out: the run and every component template carry
/// argot's Prometheus metrics (labels pipeline, component, task, status; nothing per run), and the
/// `namespaced` fixture's `telemetry = false` leaves every `metrics` field out.
#[test]
fn telemetry_is_on_by_default_and_off_per_pipeline() {
    let on = argot_examples::distributed_training::distributed_training::definition()
        .compile(&options("distributed_training"))
        .unwrap();
    let on = serde_json::to_value(&on.workflow).unwrap();
    let run: Vec<&str> = on["spec"]["metrics"]["prometheus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(run, ["argot_run_duration_seconds", "argot_runs_total"]);
    for template in on["spec"]["templates"].as_array().unwrap() {
        let leaf = template["container"].is_object() || template["resource"].is_object();
        assert_eq!(template["metrics"].is_object(), leaf, "{template}");
        if leaf {
            let labels = &template["metrics"]["prometheus"][1]["labels"];
            assert_eq!(labels[0]["value"], "distributed-training", "{labels}");
            // The task running the template, as the controller fills in `{{tasks.name}}`.
            assert_eq!(labels[2]["key"], "task", "{labels}");
            assert_eq!(labels[2]["value"], "{{tasks.name}}", "{labels}");
            assert_eq!(labels[3]["value"], "{{status}}", "{labels}");
        }
    }
    let off = argot_tests::fixtures::namespaced::definition()
        .compile(&options("argot-fixtures"))
        .unwrap();
    let off = render_manifest(&off.workflow, Format::Json).unwrap();
    assert!(!off.contains("\"metrics\""), "{off}");
    assert!(!off.contains("argot_"), "{off}");
}

/// Resource steps: a claim created for the run, a PyTorchJob launched and awaited on its
/// master's status, each a `resource` template with its conditions and `jsonPath` outputs.
#[test]
fn distributed_training() {
    check(
        "distributed_training",
        argot_examples::distributed_training::distributed_training::definition(),
        "distributed_training",
    );
}

/// Settings set with the DSL's `set_…` methods and `task_defaults()` reach the templates:
/// resources, a node selector and a toleration, retries with backoff, both time limits and
/// environment variables, a task's own over the pipeline's defaults.
#[test]
fn settings_from_the_dsl() {
    check(
        "settings_dsl",
        argot_tests::fixtures::settings_dsl::definition(),
        "argot-fixtures",
    );
    check(
        "cluster_env",
        argot_tests::fixtures::cluster_env::definition(),
        "argot-fixtures",
    );
    check(
        "setting_values",
        argot_tests::fixtures::setting_values::definition(),
        "argot-fixtures",
    );
    check(
        "guarded",
        argot_tests::fixtures::guarded::definition(),
        "argot-fixtures",
    );
    check(
        "template_edits",
        argot_tests::fixtures::template_edits::definition(),
        "argot-fixtures",
    );
    check(
        "run_volumes",
        argot_tests::fixtures::run_volumes::definition(),
        "argot-fixtures",
    );
    check(
        "memoized_for_ever",
        argot_tests::fixtures::memoized_for_ever::definition(),
        "argot-fixtures",
    );
    check(
        "container_volumes",
        argot_tests::fixtures::container_volumes::definition(),
        "argot-fixtures",
    );
    check(
        "config_map_volume",
        argot_tests::fixtures::config_map_volume::definition(),
        "argot-fixtures",
    );
    check(
        "with_sidecars",
        argot_tests::fixtures::with_sidecars::definition(),
        "argot-fixtures",
    );
    check(
        "one_at_a_time",
        argot_tests::fixtures::one_at_a_time::definition(),
        "argot-fixtures",
    );
    check(
        "mutually_exclusive",
        argot_tests::fixtures::mutually_exclusive::definition(),
        "argot-fixtures",
    );
    check(
        "fails_fast",
        argot_tests::fixtures::fails_fast::definition(),
        "argot-fixtures",
    );
    check(
        "fails_fast_nested",
        argot_tests::fixtures::fails_fast_nested::definition(),
        "argot-fixtures",
    );
    check(
        "rationed",
        argot_tests::fixtures::rationed::definition(),
        "argot-fixtures",
    );
}

#[test]
fn container_steps() {
    check(
        "container_steps",
        argot_examples::container_steps::container_steps::definition(),
        "container_steps",
    );
}

#[test]
fn fan_out_shares_one_template() {
    check(
        "fan_out",
        argot_tests::fixtures::fan_out::definition(),
        "argot-fixtures",
    );
}

#[test]
fn typed_values_travel_as_json_and_strings_as_themselves() {
    check(
        "typed_values",
        argot_tests::fixtures::typed_values::definition(),
        "argot-fixtures",
    );
}

#[test]
fn every_workflow_setting_reaches_the_spec() {
    check(
        "namespaced",
        argot_tests::fixtures::namespaced::definition(),
        "argot-fixtures",
    );
}

/// Native and container templates alike write outputs into an `emptyDir` (so a read-only root
/// file system or any user id works), and every pod gets the secure defaults.
#[test]
fn every_template_with_outputs_writes_them_to_a_volume_and_pods_run_as_non_root() {
    use argot::emit::argo::{OUTPUTS_DIR, OUTPUTS_VOLUME};
    for (def, binary) in [
        (
            argot_examples::quickstart::quickstart::definition(),
            "quickstart",
        ),
        (
            argot_examples::container_steps::container_steps::definition(),
            "container_steps",
        ),
        (
            argot_tests::fixtures::fan_out::definition(),
            "argot-fixtures",
        ),
    ] {
        let compiled = def.compile(&options(binary)).unwrap();
        let value = serde_json::to_value(&compiled.workflow).unwrap();
        assert_eq!(
            value["spec"]["securityContext"],
            serde_json::json!({"runAsNonRoot": true, "runAsUser": 65532}),
            "{}",
            def.name
        );
        let templates = value["spec"]["templates"].as_array().unwrap();
        for template in templates.iter().skip(1) {
            let container = &template["container"];
            assert_eq!(
                container["securityContext"],
                serde_json::json!({"allowPrivilegeEscalation": false}),
                "{template}"
            );
            if template.get("outputs").is_none() {
                continue;
            }
            assert_eq!(
                container["volumeMounts"],
                serde_json::json!([{"name": OUTPUTS_VOLUME, "mountPath": OUTPUTS_DIR}]),
                "{template}"
            );
            assert_eq!(
                template["volumes"],
                serde_json::json!([{"name": OUTPUTS_VOLUME, "emptyDir": {}}]),
                "{template}"
            );
        }
    }
}

#[test]
fn without_secure_defaults_no_security_context_is_emitted_and_the_schema_still_holds() {
    let def = argot_tests::fixtures::namespaced::definition();
    let mut options = options("argot-fixtures");
    options.settings.no_secure_defaults = true;
    let compiled = def.compile(&options).unwrap();
    let value = serde_json::to_value(&compiled.workflow).unwrap();
    schema::assert_valid(Kind::Workflow, &value);
    // The attribute's explicit user stays; only argot's defaults go.
    assert_eq!(
        value["spec"]["securityContext"],
        serde_json::json!({"runAsUser": 1000})
    );
    for template in value["spec"]["templates"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
    {
        assert!(
            template["container"].get("securityContext").is_none(),
            "{template}"
        );
    }
}

#[test]
fn the_schema_check_rejects_a_misspelt_field() {
    let def = argot_examples::quickstart::quickstart::definition();
    let compiled = def.compile(&options("quickstart")).unwrap();
    let mut value = serde_json::to_value(&compiled.workflow).unwrap();
    value["spec"]["templates"][1]["container"]["imagePullPolisy"] = Value::from("Always");
    assert!(
        !schema::violations(Kind::Workflow, &value).is_empty(),
        "strict keys must reject a typo"
    );
    value["spec"]["templates"][1]["container"]
        .as_object_mut()
        .unwrap()
        .remove("imagePullPolisy");
    value["spec"]["entrypoint"] = Value::from(7);
    assert!(
        !schema::violations(Kind::Workflow, &value).is_empty(),
        "a wrong type must be rejected"
    );
}

/// `compile --format mermaid|dot`: reviewed pictures of the examples and of an ordering-only
/// edge; every task is a node, every binding an edge, and Graphviz reads the DOT (required
/// under CI, which installs it; skipped with a note elsewhere).
#[test]
fn pipeline_graphs_as_mermaid_and_dot() {
    use argot::emit::graph;
    let cases = [
        (
            "quickstart",
            argot_examples::quickstart::quickstart::definition(),
        ),
        (
            "container_steps",
            argot_examples::container_steps::container_steps::definition(),
        ),
        (
            "ordering_only",
            argot_tests::fixtures::ordering_only::definition(),
        ),
        (
            "exit_handler",
            argot_examples::exit_handler::exit_handler::definition(),
        ),
        (
            "result_forms",
            argot_tests::fixtures::result_forms::definition(),
        ),
        (
            "coin_flip",
            argot_examples::coin_flip::coin_flip::definition(),
        ),
        ("sweep", argot_examples::sweep::sweep::definition()),
        ("shards", argot_examples::shards::shards::definition()),
        (
            "nested_pipeline",
            argot_examples::nested_pipeline::nested_pipeline::definition(),
        ),
    ];
    for (name, def) in cases {
        let compiled = def.compile(&options(name)).unwrap();
        let p = compiled.valid.pipeline();
        let mermaid = graph::mermaid(&compiled.valid);
        let dot = graph::dot(&compiled.valid);
        assert_eq!(
            mermaid,
            graph::mermaid(&compiled.valid),
            "{name}: deterministic"
        );
        for (i, task) in p.tasks.iter().enumerate() {
            assert!(
                mermaid.contains(&format!("t{i}[\"{}", task.name)),
                "{name}: {mermaid}"
            );
            assert!(
                dot.contains(&format!("t{i} [label=\"{}", task.name)),
                "{name}: {dot}"
            );
        }
        let bindings: usize = p
            .tasks
            .iter()
            .map(|t| {
                // An edge per binding: none for a constant, a run value or a loop's item (the
                // loop's box names where its items come from), one per option of a `one_of`.
                t.arguments
                    .values()
                    .map(|a| match a {
                        argot::ir::Argument::Constant(_)
                        | argot::ir::Argument::Run(_)
                        | argot::ir::Argument::LoopItem { .. } => 0,
                        argot::ir::Argument::OneOf(options) => options.len(),
                        // Inside a sub-pipeline call: an edge unless the call binds a constant.
                        argot::ir::Argument::PipelineParam(name) => {
                            match argot::ir::param_origin(p, t.region, name) {
                                argot::ir::ParamOrigin::Bound(argot::ir::Argument::Constant(_)) => {
                                    0
                                }
                                _ => 1,
                            }
                        }
                        _ => 1,
                    })
                    .sum::<usize>()
                    + t.depends.as_ref().map_or(0, |d| d.tasks().len())
            })
            .sum();
        assert_eq!(dot.matches(" -> ").count(), bindings, "{name}: {dot}");
        assert_eq!(
            mermaid.matches("-->").count()
                + mermaid.matches("==>").count()
                + mermaid.matches("-.->").count(),
            bindings,
            "{name}: {mermaid}"
        );
        graphviz_reads(name, &dot);
        insta::with_settings!({ snapshot_path => "../../golden", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("{name}.mermaid"), mermaid);
            insta::assert_snapshot!(format!("{name}.dot"), dot);
        });
    }
}

fn graphviz_reads(name: &str, dot: &str) {
    use std::io::Write;
    let child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "Graphviz `dot` is needed under CI (.ci/run installs it): {e}"
            );
            eprintln!("note: Graphviz `dot` not found; the DOT syntax of {name} is not checked");
            return;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{name}: Graphviz refused the DOT: {}\n{dot}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The macro records each parameter's schema from its type: an alias of `u8` is an integer from
/// 0 to 255, a user enum with a `Schema` impl is its serde names, a user type without one is
/// `any`, and a component's inputs and outputs carry the same schemas as the pipeline's.
#[test]
fn the_schema_comes_from_the_type_not_its_spelling() {
    use argot::ir::IoKind;
    use argot::{Schema, TypeSchema};
    let compiled = argot_tests::fixtures::shaped_params::definition()
        .compile(&options("argot-fixtures"))
        .unwrap();
    let pipeline = compiled.valid.pipeline();
    let care = TypeSchema::Enum(vec!["quick".into(), "thorough".into()]);
    let expected = [
        ("small", "Small", u8::schema()),
        ("sizes", "Vec<u16>", Vec::<u16>::schema()),
        ("care", "Care", care),
        ("ratio", "f64", TypeSchema::Float),
        ("limit", "Option<u32>", Option::<u32>::schema()),
    ];
    let params: Vec<_> = pipeline
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.rust_type.as_str(), p.schema.clone()))
        .collect();
    assert_eq!(params, expected);
    assert_eq!(u8::schema(), TypeSchema::Integer { min: 0, max: 255 });
    let shaped = &pipeline.components["shaped"];
    for ((input, (name, _, schema)), param) in shaped.inputs.iter().zip(&expected).zip(&params) {
        assert_eq!(input.name, *name);
        assert_eq!(
            input.kind,
            IoKind::Parameter {
                rust_type: param.1.to_owned(),
                schema: schema.clone()
            }
        );
    }
    assert_eq!(
        shaped.outputs[0].kind,
        IoKind::Parameter {
            rust_type: "String".into(),
            schema: TypeSchema::Text
        }
    );
    let typed = argot_tests::fixtures::typed_values::definition()
        .compile(&options("argot-fixtures"))
        .unwrap();
    assert_eq!(typed.valid.pipeline().params[0].schema, TypeSchema::Any);
}

/// `depends` on results renders Argo's syntax (`broken.Failed`, `!tally.Failed`).
#[test]
fn depends_on_results() {
    check(
        "handles_a_failure",
        argot_tests::fixtures::handles_a_failure::definition(),
        "argot-fixtures",
    );
    let compiled = argot_tests::fixtures::result_forms::definition()
        .compile(&options("argot-fixtures"))
        .unwrap_or_else(|e| panic!("{e}"));
    let json = serde_json::to_value(&compiled.workflow).unwrap();
    schema::assert_valid(Kind::Workflow, &json);
    let depends: Vec<&str> = json["spec"]["templates"][0]["dag"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["depends"].as_str())
        .collect();
    assert_eq!(
        depends,
        [
            "tally.Succeeded || tally.Failed || tally.Errored",
            "tally.Failed || tally-2.Errored",
            "tally.Succeeded && !tally-2.Skipped && tally-2.Omitted",
            "(tally || tally-2.AnySucceeded) && !tally-2.AllFailed",
        ]
    );
}

/// Argo keeps retries, timeouts and pod settings on the template, so tasks are grouped into
/// templates by component *and* merged settings: equal settings share a template, different
/// ones get `<component>-<hash>` names that do not depend on task order; the settings are
/// Kubernetes' own types and pass Argo's schema.
#[test]
fn task_settings_pick_templates_by_content() {
    use argot::ir::{Backoff, RetryOn, RetryPolicy, TaskConfig};
    use k8s_openapi::api::core::v1::{EnvVar, ResourceRequirements, Toleration};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    use std::collections::BTreeMap;

    let traced = argot_tests::fixtures::fan_out::definition()
        .trace("/usr/local/bin/argot-fixtures")
        .unwrap()
        .pipeline;
    let gpu = TaskConfig {
        retry: Some(RetryPolicy {
            limit: Some(3),
            on: Some(RetryOn::OnError),
            backoff: Some(Backoff {
                duration: "10s".into(),
                factor: Some(2),
                cap: Some("1m".into()),
                max_duration: Some("5m".into()),
            }),
            condition: None,
        }),
        timeout: Some("2h".into()),
        resources: Some(ResourceRequirements {
            limits: Some(BTreeMap::from([(
                "nvidia.com/gpu".to_owned(),
                Quantity("1".into()),
            )])),
            requests: Some(BTreeMap::from([
                ("cpu".to_owned(), Quantity("500m".into())),
                ("memory".to_owned(), Quantity("4Gi".into())),
            ])),
            ..Default::default()
        }),
        tolerations: vec![Toleration {
            key: Some("nvidia.com/gpu".into()),
            operator: Some("Exists".into()),
            effect: Some("NoSchedule".into()),
            ..Default::default()
        }],
        node_selector: BTreeMap::from([("pool".to_owned(), "gpu".to_owned())]),
        env: vec![EnvVar {
            name: "TRAIN_MODE".into(),
            value: Some("full".into()),
            ..Default::default()
        }],
        ..TaskConfig::default()
    };
    let quick = TaskConfig {
        active_deadline_seconds: Some(60),
        ..TaskConfig::default()
    };
    let configure = |order: &[usize]| {
        let mut p = traced.clone();
        // Pipeline defaults under everything; the component adds nothing; two tasks ask for
        // the GPU settings, one for a short deadline, two keep the defaults.
        p.defaults.env.push(EnvVar {
            name: "LOG_LEVEL".into(),
            value: Some("info".into()),
            ..Default::default()
        });
        for &i in order {
            p.tasks[i].config = match i {
                1 | 3 => gpu.clone().into(),
                2 => quick.clone().into(),
                _ => TaskConfig::default().into(),
            };
        }
        let valid = argot::validate(&p, &argot::ValidateOptions::default())
            .unwrap_or_else(|d| panic!("{d}"));
        argot::emit::argo::workflow(&valid)
    };
    let workflow = configure(&[0, 1, 2, 3, 4]);
    // The order settings were applied in makes no difference.
    assert_eq!(workflow, configure(&[4, 3, 2, 1, 0]));
    let json = serde_json::to_value(&workflow).unwrap();
    schema::assert_valid(Kind::Workflow, &json);
    let templates = json["spec"]["templates"].as_array().unwrap();
    let names: Vec<&str> = templates
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // The DAG, then `step` with the defaults' settings (tasks 0 and 4), the GPU variant (1, 3)
    // and the deadline variant (2), in the order tasks first use them.
    assert_eq!(names.len(), 4, "{names:?}");
    let dag = templates[0]["dag"]["tasks"].as_array().unwrap();
    let template_of = |i: usize| dag[i]["template"].as_str().unwrap();
    assert_eq!(template_of(0), template_of(4));
    assert_eq!(template_of(1), template_of(3));
    assert_ne!(template_of(1), template_of(2));
    assert_ne!(template_of(0), template_of(1));
    for i in 0..5 {
        let name = template_of(i);
        assert!(
            name.starts_with("step-") && name.len() == "step-".len() + 8,
            "{name}: readable and stable"
        );
    }
    let yaml = render_manifest(&workflow, Format::Yaml).unwrap();
    insta::with_settings!({ snapshot_path => "../../golden", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("task_settings.argo", yaml);
    });
}

/// `emit::argo::kinds::FIELDS` (what A0047 refuses per version) says exactly what Argo's own
/// schemas say: each field is declared by its definition in the versions the table gives and
/// in no other.
#[test]
fn the_field_table_matches_argos_schemas() {
    for field in argot::emit::argo::kinds::FIELDS {
        for version in ArgoVersion::ALL {
            let has = schema::raw(version)["definitions"][field.definition]["properties"]
                .get(field.field)
                .is_some();
            assert_eq!(
                has,
                field.in_version(version),
                "{}.{} in Argo {version} ({})",
                field.definition,
                field.field,
                version.schema_release()
            );
        }
    }
}

/// A `WorkflowTemplate` and a `ClusterWorkflowTemplate` are the workflow under a fixed name
/// (no `generateName`), with the pipeline label on the runs made from them; each is valid
/// against every supported version's schema for its kind.
#[test]
fn template_kinds_have_a_stable_name_and_label_their_runs() {
    use argot::ir::OutputKind;
    let def = argot_examples::quickstart::quickstart::definition();
    for kind in [
        OutputKind::WorkflowTemplate,
        OutputKind::ClusterWorkflowTemplate,
    ] {
        for version in ArgoVersion::ALL {
            let mut options = options("quickstart");
            options.publish.kind = Some(kind);
            options.argo_version = version;
            let (compiled, _) = checked_manifest("quickstart", def, &options);
            let value = serde_json::to_value(&compiled.manifest).unwrap();
            assert_eq!(value["kind"], kind.argo_kind());
            assert_eq!(value["metadata"]["name"], "quickstart");
            assert!(value["metadata"].get("generateName").is_none());
            assert_eq!(
                value["spec"]["workflowMetadata"]["labels"]["argot.dev/pipeline"],
                "quickstart"
            );
            // The spec is the workflow's, unchanged but for the runs' labels.
            let mut spec = value["spec"].clone();
            spec.as_object_mut().unwrap().remove("workflowMetadata");
            assert_eq!(spec, serde_json::to_value(&compiled.workflow.spec).unwrap());
        }
    }
    // A long pipeline name fits each kind's budget (63; 52 for a CronWorkflow, whose runs
    // append `-<10-digit timestamp>`), shortened with a stable hash.
    let mut long = argot_tests::fixtures::fan_out::definition()
        .trace("/usr/local/bin/argot-fixtures")
        .unwrap()
        .pipeline;
    long.name = format!("retrain_{}", "the_churn_model".repeat(5));
    long.publish.schedules = vec!["@daily".into()];
    for (kind, max) in [
        (OutputKind::WorkflowTemplate, 63),
        (OutputKind::CronWorkflow, 52),
    ] {
        long.publish.kind = Some(kind);
        let (_, emitted) =
            argot::emit::argo::validate_and_emit(long.clone(), &Default::default()).unwrap();
        let value = serde_json::to_value(&emitted.manifest).unwrap();
        schema::assert_valid_manifest(ArgoVersion::V4_1, &value);
        let name = value["metadata"]["name"].as_str().unwrap();
        assert_eq!(name.len(), max, "{name}");
        assert!(name.starts_with("retrain-the-churn-model"), "{name}");
    }
}

/// What argot emits for an Argo version is valid against that version's strict schema, or
/// refused with A0047: every example (and fixture with settings), compiled for every version,
/// as a Workflow and as a CronWorkflow (the template kinds hold the Workflow's spec unchanged,
/// `template_kinds_have_a_stable_name_and_label_their_runs`).
#[test]
fn every_example_is_valid_for_every_version_or_refused() {
    use argot::ir::OutputKind;
    let examples = [
        argot_examples::quickstart::quickstart::definition(),
        argot_examples::coin_flip::coin_flip::definition(),
        argot_examples::container_steps::container_steps::definition(),
        argot_examples::exit_handler::exit_handler::definition(),
        argot_examples::gpu_training::gpu_training::definition(),
        argot_examples::cached::cached::definition(),
        argot_examples::sweep::sweep::definition(),
        argot_examples::shards::shards::definition(),
        argot_examples::nested_pipeline::nested_pipeline::definition(),
        argot_examples::nightly::nightly::definition(),
        argot_examples::library::ml_library::definition(),
        argot_examples::library::weekly_report::definition(),
        argot_tests::fixtures::settings_dsl::definition(),
        argot_tests::fixtures::hooked::definition(),
    ];
    let mut refused = Vec::new();
    for def in examples {
        for version in ArgoVersion::ALL {
            for kind in [OutputKind::Workflow, OutputKind::CronWorkflow] {
                let mut options = options("argot-fixtures");
                options.argo_version = version;
                options.publish.kind = Some(kind);
                if kind == OutputKind::CronWorkflow {
                    options.publish.schedules = vec!["@daily".into()];
                }
                match def.compile(&options) {
                    Ok(compiled) => {
                        let value = serde_json::to_value(&compiled.manifest).unwrap();
                        let v = schema::violations_for(version, Kind::of(&value).unwrap(), &value);
                        assert!(
                            v.is_empty(),
                            "{} for Argo {version} as {kind}:\n{}",
                            def.name,
                            v.join("\n")
                        );
                    }
                    Err(argot::CompileError::Invalid(d)) => {
                        assert!(
                            d.codes()
                                .iter()
                                .all(|c| *c == argot::Code::UnsupportedByArgoVersion),
                            "{} for Argo {version} as {kind}: {d}",
                            def.name
                        );
                        refused.push(format!("{}@{version}", def.name));
                    }
                }
            }
        }
    }
    // The refusals are the constructs a version lacks, not accidents: none at 4.1.
    assert!(refused.iter().all(|r| !r.ends_with("@4.1")), "{refused:?}");
}

mod edits {
    use argot::prelude::*;
    use argot_tests::fixtures::where_and_env;

    /// A memoized task whose edit sets one working directory.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn in_a() {
        where_and_env("X")
            .set_memoize("argot-memo", Some("1h"))
            .edit_template(|t| t.container.working_dir = Some("/a".into()));
    }

    /// The same task, its edit setting another.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn in_b() {
        where_and_env("X")
            .set_memoize("argot-memo", Some("1h"))
            .edit_template(|t| t.container.working_dir = Some("/b".into()));
    }
}

/// `edit_template`: the edited templates validate against every supported Argo version's
/// schema with strict keys, and an edit that changes what runs changes the `memoize` key (the
/// edited template's digest joins it, as it joins the local cache's key).
#[test]
fn template_edits_hold_in_every_schema_and_key_the_cache() {
    let def = argot_tests::fixtures::template_edits::definition();
    for version in [ArgoVersion::V4_0, ArgoVersion::V3_7, ArgoVersion::V3_6] {
        let options = CompileOptions {
            argo_version: version,
            ..options("argot-fixtures")
        };
        checked_manifest("template_edits", def, &options);
    }
    let key = |def: PipelineDef| {
        let (compiled, _) = checked_manifest("edits", def, &options("argot-fixtures"));
        let json = serde_json::to_value(&compiled.manifest).unwrap();
        json["spec"]["templates"][1]["memoize"]["key"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (a, b) = (
        key(edits::in_a::definition()),
        key(edits::in_b::definition()),
    );
    assert!(a.starts_with("{{=sprig.sha256sum('where_and_env/"), "{a}");
    assert_ne!(a, b);
    // The local cache's key takes the same digest of the edited template.
    let digest = |def: PipelineDef| {
        let traced = def.trace("/usr/local/bin/argot-fixtures").unwrap();
        let valid = argot::validate(&traced.pipeline, &argot::ValidateOptions::default()).unwrap();
        let edited = valid.names().templates[0].edited.clone().unwrap();
        assert!(edited.edited.container.working_dir.is_some());
        edited.digest()
    };
    assert_ne!(
        digest(edits::in_a::definition()),
        digest(edits::in_b::definition())
    );
    assert_eq!(
        digest(edits::in_a::definition()),
        digest(edits::in_a::definition())
    );
}
