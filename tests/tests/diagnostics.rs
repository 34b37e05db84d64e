//! One test per validation rule: the rule fires with its code on the input that breaks it, and
//! its rendered message (pipeline, task, input, help) is a reviewed snapshot under
//! `golden/diagnostics/`. Rules the DSL's types make unreachable are tested on edited IR.
//! The rule table (`Code::ALL`), `RULES.md` and these tests are kept in step by the last tests.

use argot::diagnostics::rules_markdown;
use argot::emit::argo::{self, ArgoOptions};
use argot::ir::{
    Argument, ArtifactRepositoryRef, CmdArg, FormatPart, Implementation, IoKind, OutputSpec, Piece,
    Pipeline, SettingsOverrides, TaskId, TaskRef, WorkflowSettings,
};
use argot::validate::LevelError;
use argot::{
    Code, Diagnostics, Levels, Limits, PipelineDef, Severity, ValidPipeline, ValidateOptions,
};
use argot_tests::fixtures;

/// Two native components of this test binary share a name. They live here, not in the shared
/// fixtures, because every binary that links them has an ambiguous `twin` (the registry the
/// `component` entrypoint reads is per binary).
mod twins {
    use argot::prelude::*;

    /// Add one.
    #[component(name = "twin")]
    pub fn twin(x: u32) -> Result<u32> {
        Ok(x + 1)
    }

    /// A different component that claims `twin`'s name.
    #[component(name = "twin")]
    pub fn impostor(y: String) -> Result<()> {
        let _ = y;
        Ok(())
    }

    /// Two different components both named `twin`.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn two_components_one_name() {
        twin(1);
        impostor("x");
    }

    /// Uses one of the two: the trace has no collision, the binary's registry has.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn uses_one_twin() {
        twin(1);
    }
}

/// Pipelines that open a region by hand, as the scoped constructs will.
mod scoped {
    use argot::__private::{Location, scope};
    use argot::ir::{CompareOp, Condition, Operand, RegionKind};
    use argot::prelude::*;
    use argot_tests::fixtures::{echo, step, sum_of};

    fn branch() -> RegionKind {
        RegionKind::Branch {
            condition: Condition::Compare {
                left: Operand::Constant("1".into()),
                op: CompareOp::Eq,
                kind: argot::ir::CompareKind::Text,
                right: Operand::Constant("1".into()),
            },
        }
    }

    /// A task made in a branch is read after it, outside the branch.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn reads_out_of_a_branch() {
        let mut inside = None;
        scope(branch(), Location::caller(), || {
            inside = Some(step(1));
        });
        let inside = inside.expect("the branch body ran");
        step(inside.output).name("outside");
    }

    /// A builder method of an input with a default reads a branch's task from outside it.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn builder_reads_out_of_a_branch() {
        let mut inside = None;
        scope(branch(), Location::caller(), || {
            inside = Some(step(1));
        });
        let inside = inside.expect("the branch body ran");
        add_with_default(1).by(inside.output);
    }

    /// Adds `by` (1 unless set) to `x`.
    #[component]
    pub fn add_with_default(x: u32, #[default(1)] by: u32) -> Result<u32> {
        Ok(x + by)
    }

    /// Two failure hooks on one task.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn two_failure_hooks() {
        step(1)
            .on_failure(|| {
                step(2);
            })
            .on_failure(|| {
                step(3);
            });
    }

    /// A condition inside a hook.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn condition_in_a_hook() {
        step(1).on_exit(|| {
            scope(branch(), Location::caller(), || {
                step(2);
            });
        });
    }

    /// A hook's task reads a task of the body: a hook is a template of its own.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn hook_reads_the_body() {
        let first = step(1);
        step(2).on_success(|| {
            step(first.output).name("in-hook");
        });
    }

    /// A hook without tasks.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn empty_hook() {
        step(1).on_success(|| {});
    }

    /// Returns its word, echoed.
    #[pipeline]
    pub fn echoes(word: Param<String>) -> ParamRef<String> {
        argot_tests::fixtures::echo(word).output
    }

    /// A formatted string bound to a sub-pipeline's parameter.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn formats_into_a_call(#[default("b")] bucket: Param<String>) {
        echoes(format_arg!("gs://{}", bucket));
    }

    /// A sub-pipeline with a hook inside.
    #[pipeline]
    pub fn hooks_inside(x: Param<u32>) -> ParamRef<u32> {
        step(x)
            .on_failure(|| {
                step(1);
            })
            .output
    }

    /// Calls `hooks_inside`.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn calls_hooks_inside() {
        hooks_inside(1);
    }

    /// Echoes its text with a tool.
    #[container_component]
    pub fn shout(text: Param<String>) -> Container {
        Container::new("example.com/tool:1.0")
            .command(["echo"])
            .arg(text)
    }

    /// A formatted string fed to a container component, which would see its pieces.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn formats_into_a_container(#[default("b")] bucket: Param<String>) {
        let n = step(1);
        shout(format_arg!("gs://{}/{}", bucket, n.output));
    }

    /// A task made in a branch is waited for with `.after` from outside it.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn waits_for_a_branch() {
        let mut inside = None;
        scope(branch(), Location::caller(), || {
            inside = Some(step(1));
        });
        step(2).after(&inside.expect("the branch body ran"));
    }

    /// The exit handler reads an output of the body: it runs in a template of its own.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn exit_reads_the_body() {
        let first = step(1);
        on_exit(|_| {
            step(first.output).name("after-all");
        });
    }

    /// Two exit handlers.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn two_exit_handlers() {
        step(1);
        on_exit(|_| {
            step(2);
        });
        on_exit(|_| {
            step(3);
        });
    }

    /// A loop inside a called pipeline: refused until calls and loops are taught each other.
    #[pipeline]
    pub fn loops_inside(x: Param<u32>) -> ParamRef<u32> {
        let _ = for_each(vec![1u32, 2], |i| {
            step(i).name("inside");
        });
        step(x).output
    }

    /// A condition in a loop body comparing a task of the body with the item (an input).
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn loop_condition_mixes() {
        let _ = for_each(vec![1u32, 2], |x| {
            let s = step(x);
            when(s.output.gt(x), || {
                step(3).name("bigger");
            });
        });
    }

    /// Calls `loops_inside`.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn calls_a_loop() {
        step(loops_inside(1));
    }

    /// Loops Argo would refuse or run otherwise than written.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn invalid_loops(#[default(3)] count: Param<u32>) {
        let _ = count;
        let _ = for_each(Vec::<u32>::new(), |x| {
            step(x).name("never");
        });
        let _ = for_each(vec![serde_json::json!({"a": 1})], |point| {
            step(point.field::<u32>("b")).name("missing-field");
            step(point.field::<u32>("a.b")).name("bad-field");
        });
        let _ = for_each(vec!["{{workflow.name}}".to_owned()], |w| {
            echo(w);
        });
    }

    /// A loop's collected outputs read outside the branch the loop is in.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn collected_out_of_a_branch() {
        let mut collected = None;
        scope(branch(), Location::caller(), || {
            collected = Some(for_each(vec![1u32, 2], |x| step(x).output).collected());
        });
        sum_of(collected.expect("the branch body ran"));
    }

    /// A condition reads a task of a branch beside it.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn condition_reads_a_sibling_branch() {
        let mut inside = None;
        when(step(1).output.eq(1), || {
            inside = Some(step(2));
        });
        let inside = inside.expect("the branch body ran");
        when(inside.output.gt(3), || {
            step(4);
        });
    }

    /// `one_of` with an option that is not in a branch.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn one_of_outside_a_branch() {
        let plain = step(1);
        let mut inside = None;
        when(plain.output.gt(0), || {
            inside = Some(step(2));
        });
        step(one_of([plain.output, inside.expect("traced").output])).name("reads");
    }

    /// A nested condition mixes a task of the branch around it with a value from outside.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn condition_mixes_scopes() {
        let outside = step(1);
        when(outside.output.gt(0), || {
            let inside = step(2);
            when(inside.output.gt(outside.output), || {
                step(3);
            });
        });
    }

    /// A task in a branch waits on a result of a task outside it.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn branch_waits_on_an_outside_result() {
        let outside = step(1);
        when(outside.output.gt(0), || {
            step(2).depends_on(outside.failed());
        });
    }

    /// A `{` right before a value in a container's argument, whatever the value.
    #[container_component]
    pub fn braced(x: Param<String>) -> Container {
        Container::new("busybox:1.36")
            .command(["echo"])
            .arg(concat(("{", x, "}")))
    }

    /// Uses it with a value known only at run time.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn brace_before_a_value() {
        let made = argot_tests::fixtures::echo("x");
        braced(made.output);
    }

    /// Pod settings Kubernetes would refuse.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn bad_pod_settings() {
        step(1).name("labelled").add_pod_label("bad key!", "x");
        step(2)
            .name("fielded")
            .set_env_from_field("WHERE", "spec.containers");
        step(3)
            .name("configured")
            .set_env_from_config_map("X", "Cluster_Info", "region");
        step(4).name("memoized").set_memoize("memo", Some("1d"));
        step(5)
            .name("rationed")
            .add_semaphore("Limits", "gpu slots");
    }

    /// Template edits Argo would not run as written (A0063), and one whose environment
    /// variable name the settings' checks refuse (A0030).
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn bad_edits() {
        use argot::k8s::{Container, EnvVar};
        step(1)
            .name("renamed")
            .edit_template(|t| t.container.name = "trainer".into());
        step(2).name("extra-container").edit_template(|t| {
            t.pod.containers.push(Container {
                name: "proxy".into(),
                image: Some("envoy:1.30".into()),
                ..Default::default()
            });
        });
        step(3).name("bad-env").edit_template(|t| {
            t.container.env = Some(vec![EnvVar {
                name: "A=B".into(),
                value: Some("1".into()),
                value_from: None,
            }]);
        });
    }

    /// Template edits Argo runs and the local runner cannot reproduce (A0063).
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn unrunnable_edits() {
        use argot::k8s::{PodSpec, VolumeMount};
        use k8s_openapi::api::core::v1::{
            ConfigMapEnvSource, EnvFromSource, HostPathVolumeSource, Volume,
        };
        step(1).name("wrapped").edit_template(|t| {
            t.container.command = Some(vec!["/bin/sh".into(), "-c".into()]);
        });
        step(2).name("mounted").edit_template(|t| {
            t.container
                .volume_mounts
                .get_or_insert_with(Vec::new)
                .push(VolumeMount {
                    name: "data".into(),
                    mount_path: "/data".into(),
                    ..Default::default()
                });
            t.pod = PodSpec {
                volumes: Some(vec![Volume {
                    name: "data".into(),
                    host_path: Some(HostPathVolumeSource {
                        path: "/mnt/data".into(),
                        type_: None,
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            };
        });
        step(3).name("from-config").edit_template(|t| {
            t.container.env_from = Some(vec![EnvFromSource {
                config_map_ref: Some(ConfigMapEnvSource {
                    name: "settings".into(),
                    optional: None,
                }),
                ..Default::default()
            }]);
        });
    }

    /// Resources Kubernetes would refuse.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn bad_resources() {
        step(1).name("words").set_cpu_request("two");
        step(2)
            .name("inverted")
            .set_memory_request("4Gi")
            .set_memory_limit("1Gi");
        step(3)
            .name("half")
            .set_resource_limit("nvidia.com/gpu", "0.5");
        step(4).name("unqualified").set_resource_limit("gpu", "1");
        step(5).name("negative").set_memory_limit("-1Gi");
    }

    /// Two pipelines that share a name, both called.
    #[pipeline(name = "twin_call")]
    pub fn twin_a(x: Param<u32>) -> ParamRef<u32> {
        step(x).output
    }

    /// The other one.
    #[pipeline(name = "twin_call")]
    pub fn twin_b(x: Param<u32>) -> ParamRef<u32> {
        step(x).name("other").output
    }

    /// Calls both.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn calls_twins() {
        twin_a(1);
        twin_b(2);
    }

    /// A sub-pipeline with one task.
    #[pipeline]
    pub fn one_step(x: Param<u32>) -> ParamRef<u32> {
        step(x).output
    }

    /// A pipeline whose tasks use a sub-pipeline's task and output.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn uses_a_call() {
        let got = one_step(1);
        step(got).name("after");
    }
}

fn traced(def: PipelineDef) -> Pipeline {
    def.trace("/usr/local/bin/argot-fixtures")
        .unwrap_or_else(|d| panic!("{} does not trace: {d}", def.name))
        .pipeline
}

/// What `compile` and the `validate` command check: the target-neutral rules, then the Argo
/// backend's (images, size budget, metadata). Each rule is tested as the user meets it.
fn validate(pipeline: &Pipeline, options: &ValidateOptions) -> Result<ValidPipeline, Diagnostics> {
    argo::validate_and_emit(pipeline.clone(), options).map(|(valid, _)| valid)
}

fn errors_with(pipeline: &Pipeline, options: &ValidateOptions) -> Diagnostics {
    match validate(pipeline, options) {
        Ok(_) => panic!("pipeline `{}` should be invalid", pipeline.name),
        Err(d) => d,
    }
}

fn errors_of(pipeline: &Pipeline) -> Diagnostics {
    errors_with(pipeline, &ValidateOptions::default())
}

fn warnings_of(pipeline: &Pipeline) -> Diagnostics {
    validate(pipeline, &ValidateOptions::default())
        .unwrap_or_else(|d| panic!("pipeline `{}` should be valid:\n{d}", pipeline.name))
        .warnings()
        .clone()
}

fn with_limits(limits: Limits) -> ValidateOptions {
    ValidateOptions {
        limits,
        ..ValidateOptions::default()
    }
}

fn snapshot(name: &str, diagnostics: &Diagnostics) {
    insta::with_settings!({ snapshot_path => "../../golden/diagnostics", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, diagnostics.to_string());
    });
}

#[test]
fn a0001_cycle_names_every_task_on_it() {
    let d = errors_of(&traced(fixtures::cyclic::definition()));
    assert_eq!(d.codes(), [Code::Cycle]);
    let message = d.to_string();
    for task in ["`step`", "`step-2`", "`step-3`"] {
        assert!(message.contains(task), "{task} missing from: {message}");
    }
    snapshot("A0001-cycle", &d);
}

#[test]
fn a0002_unbound_required_input() {
    let mut p = traced(fixtures::fan_out::definition());
    p.tasks[1].arguments.shift_remove("x");
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::UnboundInput]);
    snapshot("A0002-unbound-input", &d);
}

#[test]
fn a0003_task_of_another_pipeline() {
    traced(fixtures::leaks_a_task::definition());
    let d = errors_of(&traced(fixtures::uses_foreign_task::definition()));
    assert_eq!(d.codes(), [Code::ForeignTask]);
    snapshot("A0003-foreign-task", &d);
}

#[test]
fn a0003_after_on_a_task_of_another_pipeline() {
    let mut p = traced(fixtures::fan_out::definition());
    p.tasks[0].depends = Some(argot::ir::Depends::Done(TaskRef::Foreign {
        pipeline: "other".into(),
        task: "task #1".into(),
    }));
    assert_eq!(errors_of(&p).codes(), [Code::ForeignTask]);
}

#[test]
fn a0004_duplicate_task_names() {
    let d = errors_of(&traced(fixtures::duplicate_names::definition()));
    assert_eq!(d.codes(), [Code::DuplicateTask]);
    snapshot("A0004-duplicate-task", &d);
}

#[test]
fn a0005_invalid_task_name() {
    let d = errors_of(&traced(fixtures::bad_task_name::definition()));
    assert_eq!(d.codes(), [Code::InvalidName]);
    snapshot("A0005-invalid-name", &d);
}

#[test]
fn a0005_task_names_follow_argo_limits() {
    let mut p = traced(fixtures::fan_out::definition());
    p.tasks[0].named_by_user = true;
    p.tasks[0].name = format!("t{}", "x".repeat(127));
    assert!(
        validate(&p, &ValidateOptions::default()).is_ok(),
        "128 characters are allowed"
    );
    for bad in [
        format!("t{}", "x".repeat(128)),
        "2nd".into(),
        String::new(),
        "a.b".into(),
    ] {
        p.tasks[0].name = bad.clone();
        assert_eq!(errors_of(&p).codes(), [Code::InvalidName], "{bad:?}");
    }
}

#[test]
fn a0005_invalid_parameter_name() {
    let mut p = traced(fixtures::fan_out::definition());
    p.params[0].name = "start.value".into();
    if let Some(Argument::PipelineParam(n)) = p.tasks[0].arguments.get_mut("x") {
        *n = "start.value".into();
    }
    assert_eq!(errors_of(&p).codes(), [Code::InvalidName]);
}

#[test]
fn a0005_component_names_may_not_be_empty_or_hold_control_characters() {
    for bad in ["", "st\u{7}ep", "a\nb"] {
        let mut p = traced(fixtures::fan_out::definition());
        let spec = p.components.shift_remove("step").unwrap();
        p.components.insert(
            bad.to_owned(),
            argot::ir::ComponentSpec {
                name: bad.to_owned(),
                ..spec
            },
        );
        for t in &mut p.tasks {
            t.component = bad.to_owned();
        }
        assert!(
            errors_of(&p).codes().contains(&Code::InvalidName),
            "{bad:?}"
        );
    }
}

#[test]
fn a0006_empty_pipeline() {
    let d = errors_of(&traced(fixtures::empty::definition()));
    assert_eq!(d.codes(), [Code::EmptyPipeline]);
    snapshot("A0006-empty", &d);
}

#[test]
fn a0007_argument_of_the_wrong_kind() {
    let mut p = traced(argot_examples::quickstart::quickstart::definition());
    // `train` takes the data set as an artifact; feed it a parameter instead.
    let train = p.tasks.iter().position(|t| t.component == "train").unwrap();
    p.tasks[train]
        .arguments
        .insert("data".into(), Argument::Constant("oops".into()));
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::BadArgument]);
    snapshot("A0007-bad-argument", &d);
}

#[test]
fn a0007_argument_for_no_such_input() {
    let mut p = traced(fixtures::fan_out::definition());
    p.tasks[0]
        .arguments
        .insert("nope".into(), Argument::Constant("1".into()));
    assert_eq!(errors_of(&p).codes(), [Code::BadArgument]);
}

#[test]
fn a0008_pipeline_and_component_share_a_template_name() {
    let d = errors_of(&traced(fixtures::named_like_a_component::definition()));
    assert_eq!(d.codes(), [Code::NameCollision]);
    snapshot("A0008-template-collision", &d);
}

#[test]
fn a0008_two_components_share_a_name() {
    let d = twins::two_components_one_name::definition()
        .trace("/bin/x")
        .err()
        .expect("tracing refuses it");
    assert_eq!(d.codes(), [Code::NameCollision]);
    snapshot("A0008-component-collision", &d);
}

#[test]
fn a0008_native_component_registered_twice_in_the_binary() {
    // A pod runs `component twin` from the registry, not from a trace: the second function
    // named `twin` makes that ambiguous even though this pipeline calls only one of them.
    let d = twins::uses_one_twin::definition()
        .trace("/bin/x")
        .err()
        .expect("the binary's registry refuses it");
    assert_eq!(d.codes(), [Code::NameCollision]);
    let message = d.to_string();
    assert!(
        message.contains("`diagnostics::twins::twin`")
            && message.contains("`diagnostics::twins::impostor`"),
        "names both functions: {message}"
    );
    snapshot("A0008-registered-twice", &d);
}

#[test]
fn a0008_generated_task_name_taken_by_a_named_task() {
    let d = errors_of(&traced(fixtures::name_taken::definition()));
    assert_eq!(d.codes(), [Code::NameCollision]);
    let message = d.to_string();
    assert!(
        message.contains("named with `.name(…)`")
            && message.contains("generated for a call of component `step`"),
        "both sources must be named: {message}"
    );
    snapshot("A0008-task-collision", &d);
}

#[test]
fn a0009_native_tasks_need_an_image() {
    let p = traced(fixtures::no_image::definition());
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::NoImage]);
    snapshot("A0009-no-image", &d);
    // `--image` fixes it.
    let options = ValidateOptions {
        image: Some("example.com/x:1".into()),
        ..ValidateOptions::default()
    };
    assert!(validate(&p, &options).is_ok());
}

/// Images matter only to a pod: `validate()` alone accepts a pipeline without one (the local
/// runner runs it as it is), and the Argo backend refuses to emit it.
#[test]
fn a0009_is_the_argo_backends_check_not_validations() {
    let p = traced(fixtures::no_image::definition());
    let valid = argot::validate(&p, &ValidateOptions::default())
        .expect("a pipeline without an image is sound for the local runner");
    assert!(valid.warnings().is_empty());
    let d = argo::emit(&valid, &ArgoOptions::default()).unwrap_err();
    assert_eq!(d.codes(), [Code::NoImage]);
    assert_eq!(
        d.to_string(),
        errors_of(&p).to_string(),
        "as `compile` reports it"
    );
}

/// The size budget and the metadata limits are etcd's, Argo's and Kubernetes': `validate()`
/// alone accepts a pipeline over them, the Argo backend refuses it, and applies the same
/// levels as validation.
#[test]
fn a0013_a0019_and_a0021_are_the_argo_backends_checks_not_validations() {
    let mut described = traced(fixtures::fan_out::definition());
    described.description = Some("d".repeat(300 * 1024));
    let valid = argot::validate(&described, &ValidateOptions::default())
        .expect("a long description is no problem for the local runner");
    let d = argo::emit(&valid, &ArgoOptions::default()).unwrap_err();
    assert_eq!(d.codes(), [Code::InvalidMetadata]);

    let p = traced(fixtures::too_big::definition());
    let tight = with_limits(Limits {
        max_manifest_bytes: 1024,
        ..Limits::default()
    });
    let valid = argot::validate(&p, &tight).expect("validation has no manifest budget");
    let argo_options = ArgoOptions {
        limits: tight.limits,
        ..ArgoOptions::default()
    };
    let d = argo::emit(&valid, &argo_options).unwrap_err();
    assert_eq!(d.codes(), [Code::ManifestTooLarge]);

    let size = argo::manifest::json_size(&argo::workflow(&valid));
    let near = ArgoOptions {
        limits: Limits {
            max_manifest_bytes: size * 10 / 9,
            ..Limits::default()
        },
        ..ArgoOptions::default()
    };
    let emitted = argo::emit(&valid, &near).expect("under the budget");
    assert_eq!(emitted.warnings.codes(), [Code::ManifestNearBudget]);
    assert_eq!(emitted.workflow, argo::workflow(&valid));
    let denied = ArgoOptions {
        levels: Levels {
            deny_warnings: true,
            ..Levels::default()
        },
        ..near
    };
    let d = argo::emit(&valid, &denied).unwrap_err();
    assert_eq!(d.codes(), [Code::ManifestNearBudget]);
    assert_eq!(d.error_count(), 1);
}

/// Moving the image rules to the Argo backend keeps the order `compile` prints: after the
/// value rules, before the settings, cycle and unused-output rules.
#[test]
fn argo_checks_are_reported_where_one_pass_over_every_rule_put_them() {
    let mut p = traced(fixtures::no_image::definition());
    p.tasks.push(p.tasks[0].clone());
    p.settings.pod_gc = Some("Sometimes".into());
    assert_eq!(
        errors_of(&p).codes(),
        [Code::NameCollision, Code::NoImage, Code::InvalidPodGc]
    );
}

/// `--deny warnings` makes a warning of validation an error without hiding what the Argo
/// backend finds, as when both ran in one pass.
#[test]
fn a_denied_warning_does_not_hide_the_argo_backends_findings() {
    let mut p = traced(fixtures::fan_out::definition());
    p.params[0].default = None;
    let options = ValidateOptions {
        limits: Limits {
            max_manifest_bytes: 1024,
            ..Limits::default()
        },
        levels: Levels {
            deny_warnings: true,
            ..Levels::default()
        },
        ..ValidateOptions::default()
    };
    let mut codes = errors_with(&p, &options).codes();
    codes.sort();
    assert_eq!(codes, [Code::ManifestTooLarge, Code::RequiredParam]);
}

/// Regression (found by `props`): a native component no task calls still becomes a template,
/// and Argo refuses its empty image.
#[test]
fn a0009_an_unused_native_component_still_needs_an_image() {
    let mut p = traced(fixtures::hostile_in_text::definition());
    p.image = None;
    assert!(
        validate(&p, &ValidateOptions::default()).is_ok(),
        "only a container component"
    );
    let step = traced(fixtures::fan_out::definition()).components["step"].clone();
    p.components.insert("step".into(), step);
    assert_eq!(errors_of(&p).codes(), [Code::NoImage]);
}

#[test]
fn a0009_container_components_need_an_image() {
    let mut p = traced(fixtures::hostile_in_text::definition());
    if let Implementation::Container(c) = &mut p.components["labelled"].implementation {
        c.image = " ".into();
    }
    assert_eq!(errors_of(&p).codes(), [Code::NoImage]);
}

#[test]
fn a0010_command_text_argo_would_substitute() {
    let d = errors_of(&traced(fixtures::braces_constant::definition()));
    assert_eq!(d.codes(), [Code::BadValue]);
    snapshot("A0010-braces", &d);
    // Argo's scanner would open the placeholder one brace early, whatever the value is.
    let d = errors_of(&traced(scoped::brace_before_a_value::definition()));
    assert_eq!(d.codes(), [Code::BadValue], "{d}");
    assert!(
        d.to_string().contains("has a `{` right before a value"),
        "{d}"
    );
}

/// The DSL encodes every constant ([`argot::value`]) and native components read values from
/// files, so values that Argo, the kubelet or execve would mangle are accepted.
#[test]
fn a0010_values_argot_encodes_are_accepted() {
    for value in [
        "{{workflow.name}}",
        "{{workflow.parameters.token}}",
        "$(HOME)",
        "cost: $$5",
        "a\u{0}b",
        "line\nbreak",
        "\"leading quote",
    ] {
        fixtures::set_hostile(value);
        for def in [
            fixtures::hostile_constant::definition(),
            fixtures::hostile_in_text::definition(),
        ] {
            let p = traced(def);
            if let Err(d) = validate(&p, &ValidateOptions::default()) {
                panic!("{value:?} in `{}` refused:\n{d}", p.name);
            }
        }
    }
}

/// A value that reaches a container component's command line without argot's encoding (an IR
/// written by other means) is still checked.
#[test]
fn a0010_values_the_kubelet_would_rewrite_or_a_process_cannot_receive() {
    let raw = |value: &str| {
        let mut p = traced(fixtures::hostile_in_text::definition());
        p.tasks[0]
            .arguments
            .insert("value".into(), Argument::Constant(value.into()));
        p
    };
    for value in ["$(HOME)", "cost: $$5", "a\u{0}b"] {
        let d = errors_of(&raw(value));
        assert_eq!(d.codes(), [Code::BadValue], "{value:?}");
    }
    snapshot("A0010-kubelet", &errors_of(&raw("$(HOME)")));
    // `{{` is refused in any value argot did not encode: Argo substitutes files too; and so is
    // a control character Argo's substitution cannot insert (Go's `strconv.Quote` writes NUL,
    // BEL or DEL as `\x..`, which is not JSON).
    for raw in ["{{workflow.uid}}", "a\u{0}b", "bell\u{7}", "del\u{7f}"] {
        let mut p = traced(fixtures::hostile_constant::definition());
        p.tasks[0]
            .arguments
            .insert("message".into(), Argument::Constant(raw.into()));
        assert_eq!(errors_of(&p).codes(), [Code::BadValue], "{raw:?}");
    }
    // A `$` in argot's own text is escaped, so text ending in `$` before a value is fine…
    fixtures::set_hostile("(HOME)");
    let mut p = traced(fixtures::hostile_in_text::definition());
    if let Implementation::Container(c) = &mut p.components["labelled"].implementation {
        c.args[0] = CmdArg(vec![
            Piece::Literal("cost=$".into()),
            Piece::InputValue("value".into()),
        ]);
    }
    assert!(validate(&p, &ValidateOptions::default()).is_ok());
    // …but a value ending in `$` before text starting with `(` forms `$(HOME)`.
    fixtures::set_hostile("cost=$");
    let mut p = traced(fixtures::hostile_in_text::definition());
    if let Implementation::Container(c) = &mut p.components["labelled"].implementation {
        c.args[0] = CmdArg(vec![
            Piece::InputValue("value".into()),
            Piece::Literal("(HOME)".into()),
        ]);
    }
    p.tasks[0]
        .arguments
        .insert("value".into(), Argument::Constant("cost=$".into()));
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::BadValue]);
    assert!(
        d.to_string().contains("once its values are inserted"),
        "{d}"
    );
}

#[test]
fn a0011_reference_to_a_missing_output_or_parameter() {
    let mut p = traced(fixtures::fan_out::definition());
    p.tasks[1].arguments.insert(
        "x".into(),
        Argument::TaskOutput {
            task: TaskRef::Local(TaskId(0)),
            output: "missing".into(),
        },
    );
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::UnknownReference]);
    snapshot("A0011-unknown-output", &d);

    let mut p = traced(fixtures::fan_out::definition());
    p.tasks[0]
        .arguments
        .insert("x".into(), Argument::PipelineParam("nope".into()));
    assert_eq!(errors_of(&p).codes(), [Code::UnknownReference]);
}

#[test]
fn a0011_container_placeholder_of_no_such_input() {
    let mut p = traced(fixtures::hostile_in_text::definition());
    if let Implementation::Container(c) = &mut p.components["labelled"].implementation {
        c.args[0].0[1] = Piece::InputValue("nope".into());
    }
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::UnknownReference]);
    snapshot("A0011-unknown-placeholder", &d);
}

#[test]
fn a0012_unpinned_image_is_a_warning() {
    let p = traced(fixtures::unpinned_image::definition());
    let valid = validate(&p, &ValidateOptions::default()).expect("a warning does not invalidate");
    assert_eq!(valid.warnings().codes(), [Code::MutableImage]);
    assert!(
        valid
            .warnings()
            .iter()
            .all(|w| w.severity == Severity::Warning)
    );
}

#[test]
fn a0013_manifest_over_the_budget_names_its_largest_parts() {
    let p = traced(fixtures::too_big::definition());
    assert_eq!(p.tasks.len(), 1500);
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::ManifestTooLarge]);
    let text = d.to_string();
    for expected in [
        "1,500 DAG tasks",
        "split the pipeline",
        "--max-manifest-bytes",
        "1.0 MiB budget",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from:\n{text}"
        );
    }
    snapshot("A0013-manifest-too-large", &d);
    // A budget that fits accepts it.
    let roomy = with_limits(Limits {
        max_manifest_bytes: 4 << 20,
        ..Limits::default()
    });
    assert!(validate(&p, &roomy).is_ok());
}

#[test]
fn a0014_parameter_value_over_the_bound() {
    let mut p = traced(fixtures::fan_out::definition());
    p.params[0].default = Some("7".repeat(300 * 1024));
    assert_eq!(errors_of(&p).codes(), [Code::ParamTooLarge]);
    let mut p = traced(fixtures::fan_out::definition());
    p.tasks[1]
        .arguments
        .insert("x".into(), Argument::Constant("12345678901".into()));
    let small = with_limits(Limits {
        max_param_bytes: 10,
        ..Limits::default()
    });
    let d = errors_with(&p, &small);
    assert_eq!(d.codes(), [Code::ParamTooLarge]);
    snapshot("A0014-parameter-too-large", &d);
}

#[test]
fn a0015_argument_longer_than_linux_accepts() {
    // A container component receives its values in argv: `value=` plus the value.
    fixtures::set_hostile(&"a".repeat(140_000));
    let d = errors_of(&traced(fixtures::hostile_in_text::definition()));
    assert_eq!(d.codes(), [Code::ArgvTooLong]);
    snapshot("A0015-argv-too-long", &d);
    fixtures::set_hostile(&"a".repeat(131_071 - "value=".len()));
    assert!(
        validate(
            &traced(fixtures::hostile_in_text::definition()),
            &ValidateOptions::default()
        )
        .is_ok()
    );
    fixtures::set_hostile(&"a".repeat(131_072 - "value=".len()));
    assert_eq!(
        errors_of(&traced(fixtures::hostile_in_text::definition())).codes(),
        [Code::ArgvTooLong]
    );
    // A native component reads the value from a file: no limit but the parameter bound.
    fixtures::set_hostile(&"a".repeat(200 * 1024));
    assert!(
        validate(
            &traced(fixtures::hostile_constant::definition()),
            &ValidateOptions::default()
        )
        .is_ok()
    );
}

#[test]
fn a0016_duplicate_input_or_output_name() {
    let mut p = traced(fixtures::fan_out::definition());
    p.components["step"].outputs.push(OutputSpec {
        name: "output".into(),
        kind: IoKind::Artifact {
            kind: "Dataset".into(),
        },
    });
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::DuplicateIoName]);
    snapshot("A0016-duplicate-io-name", &d);
}

/// regression: a hand-built pipeline with two parameters of one name passed validation and
/// the Argo model refused the manifest (found by `props.rs` at 4,000 cases).
#[test]
fn a0016_duplicate_pipeline_parameter_name() {
    let mut p = traced(fixtures::fan_out::definition());
    let first = p.params[0].clone();
    p.params.push(first);
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::DuplicateIoName]);
}

#[test]
fn a0017_unused_output_of_an_intermediate_task() {
    let w = warnings_of(&traced(fixtures::ordering_only::definition()));
    assert_eq!(w.codes(), [Code::UnusedOutput]);
    snapshot("A0017-unused-output", &w);
    // Outputs of final tasks are results, not waste.
    assert!(warnings_of(&traced(fixtures::fan_out::definition())).is_empty());
}

#[test]
fn a0018_invalid_image_reference() {
    let p = traced(fixtures::no_image::definition());
    let options = ValidateOptions {
        image: Some("ghcr.io/acme/Train:1.0".into()),
        ..ValidateOptions::default()
    };
    let d = errors_with(&p, &options);
    assert_eq!(d.codes(), [Code::InvalidImage]);
    snapshot("A0018-invalid-image", &d);
}

#[test]
fn a0019_description_over_the_annotation_limit() {
    let mut p = traced(fixtures::fan_out::definition());
    p.description = Some("d".repeat(300 * 1024));
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidMetadata]);
    snapshot("A0019-annotations-too-large", &d);
}

#[test]
fn a0020_pipeline_parameter_without_a_default() {
    let mut p = traced(fixtures::fan_out::definition());
    p.params[0].default = None;
    let w = warnings_of(&p);
    assert_eq!(w.codes(), [Code::RequiredParam]);
    snapshot("A0020-required-parameter", &w);
}

#[test]
fn a0021_manifest_close_to_the_budget() {
    let p = traced(fixtures::too_big::definition());
    let size = argo::manifest::json_size(&argo::workflow(
        &validate(
            &p,
            &with_limits(Limits {
                max_manifest_bytes: usize::MAX,
                ..Limits::default()
            }),
        )
        .unwrap(),
    ));
    let near = with_limits(Limits {
        max_manifest_bytes: size * 10 / 9,
        ..Limits::default()
    });
    let valid = validate(&p, &near).expect("under the budget");
    assert_eq!(valid.warnings().codes(), [Code::ManifestNearBudget]);
    // Exactly at the budget is still accepted; one byte less is not.
    let exact = with_limits(Limits {
        max_manifest_bytes: size,
        ..Limits::default()
    });
    assert!(validate(&p, &exact).is_ok());
    let under = with_limits(Limits {
        max_manifest_bytes: size - 1,
        ..Limits::default()
    });
    assert_eq!(errors_with(&p, &under).codes(), [Code::ManifestTooLarge]);
}

#[test]
fn levels_deny_and_allow_warnings() {
    let p = traced(fixtures::unpinned_image::definition());
    let deny = ValidateOptions {
        levels: Levels {
            deny_warnings: true,
            ..Levels::default()
        },
        ..ValidateOptions::default()
    };
    let d = errors_with(&p, &deny);
    assert_eq!(d.codes(), [Code::MutableImage]);
    assert_eq!(d.error_count(), 1);

    let mut levels = Levels {
        deny_warnings: true,
        ..Levels::default()
    };
    levels.allow(Code::MutableImage).unwrap();
    let valid = validate(
        &p,
        &ValidateOptions {
            levels,
            ..ValidateOptions::default()
        },
    )
    .unwrap();
    assert!(valid.warnings().is_empty(), "allowing wins over denying");

    let mut levels = Levels::default();
    levels.deny.insert(Code::MutableImage);
    assert!(
        validate(
            &p,
            &ValidateOptions {
                levels,
                ..ValidateOptions::default()
            }
        )
        .is_err()
    );

    assert_eq!(
        Levels::default().allow(Code::Cycle),
        Err(LevelError::NotAWarning(Code::Cycle))
    );
}

#[test]
fn json_lines_carry_every_field() {
    let d = errors_of(&traced(fixtures::cyclic::definition()));
    let lines = d.to_json_lines();
    assert_eq!(lines.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(lines.trim_end()).unwrap();
    assert_eq!(v["code"], "A0001");
    assert_eq!(v["severity"], "error");
    assert_eq!(v["title"], "dependency cycle");
    assert_eq!(v["pipeline"], "cyclic");
    assert!(v["message"].as_str().unwrap().contains("step-3"));
    assert!(v["help"].as_str().unwrap().starts_with("remove one"));
    assert_eq!(v["location"]["file"], "tests/src/fixtures.rs");
    assert!(v["notes"].as_array().unwrap().is_empty());
}

#[test]
fn rendering_shows_the_source_line_with_a_caret() {
    let d = errors_of(&traced(fixtures::cyclic::definition()));
    let rendered = d.render(&|file, line| {
        assert_eq!(file, "tests/src/fixtures.rs");
        Some(format!("line {line} of the file"))
    });
    assert!(
        rendered.contains("36 | line 36 of the file\n   |             ^ dependency cycle"),
        "{rendered}"
    );
}

#[test]
fn a0022_a_panicking_pipeline_function_is_a_diagnostic() {
    let d = fixtures::panics_while_tracing::definition()
        .trace("/usr/local/bin/argot-fixtures")
        .err()
        .expect("a panic while tracing is refused");
    assert_eq!(d.codes(), [Code::TracePanic]);
    assert!(d.to_string().contains("index out of bounds"), "{d}");
    snapshot("A0022-trace-panic", &d);
}

/// The `namespaced` fixture (every setting valid), with `edit` applied to its settings.
fn namespaced_with(edit: impl FnOnce(&mut WorkflowSettings)) -> Pipeline {
    let mut p = traced(fixtures::namespaced::definition());
    edit(&mut p.settings);
    p
}

#[test]
fn a0023_invalid_service_account_secret_or_config_map_name() {
    let d = errors_of(&namespaced_with(|s| {
        s.service_account = Some("Argot_Runner".into());
        s.image_pull_secrets = vec!["regcred".into(), "reg cred".into()];
        s.artifact_repository_ref = Some(ArtifactRepositoryRef::from_spec("-repos:ml"));
    }));
    assert_eq!(
        d.codes(),
        [
            Code::InvalidObjectName,
            Code::InvalidObjectName,
            Code::InvalidObjectName
        ]
    );
    let message = d.to_string();
    for named in [
        "\"Argot_Runner\"",
        "\"reg cred\"",
        "\"-repos\"",
        "--service-account",
    ] {
        assert!(message.contains(named), "{named} missing from: {message}");
    }
    snapshot("A0023-invalid-object-name", &d);
    // The same names as flags: the flag's valid value replaces the attribute's bad one.
    let p = namespaced_with(|s| s.service_account = Some("Argot_Runner".into()));
    let options = ValidateOptions {
        settings: SettingsOverrides {
            service_account: Some("argot-runner".into()),
            ..SettingsOverrides::default()
        },
        ..ValidateOptions::default()
    };
    validate(&p, &options).expect("the flag wins over the attribute");
}

#[test]
fn a0024_invalid_artifact_repository_key() {
    for key in ["", "..secret", "ml/bucket"] {
        let d = errors_of(&namespaced_with(|s| {
            s.artifact_repository_ref = Some(ArtifactRepositoryRef {
                config_map: "artifact-repositories".into(),
                key: Some(key.into()),
            })
        }));
        assert_eq!(d.codes(), [Code::InvalidConfigMapKey], "{key:?}");
        if key == "ml/bucket" {
            snapshot("A0024-invalid-config-map-key", &d);
        }
    }
    // No key: the config map's default-repository annotation decides, which is valid.
    let p = namespaced_with(|s| {
        s.artifact_repository_ref = Some(ArtifactRepositoryRef::from_spec("artifact-repositories"))
    });
    validate(&p, &ValidateOptions::default()).unwrap();
}

#[test]
fn a0025_unknown_pod_gc_strategy() {
    let d = errors_of(&namespaced_with(|s| s.pod_gc = Some("onpodsuccess".into())));
    assert_eq!(d.codes(), [Code::InvalidPodGc]);
    let message = d.to_string();
    assert!(message.contains("did you mean `OnPodSuccess`"), "{message}");
    for strategy in argot::rules::syntax::POD_GC_STRATEGIES {
        assert!(
            message.contains(strategy),
            "{strategy} not listed: {message}"
        );
    }
    snapshot("A0025-unknown-pod-gc", &d);
    let d = errors_of(&namespaced_with(|s| s.pod_gc = Some("Never".into())));
    assert_eq!(d.codes(), [Code::InvalidPodGc]);
    assert!(!d.to_string().contains("did you mean"), "{d}");
}

#[test]
fn a0026_invalid_ttl_or_active_deadline() {
    let d = errors_of(&namespaced_with(|s| {
        s.ttl = Some("1.5h".into());
        s.active_deadline = Some("0".into());
    }));
    assert_eq!(d.codes(), [Code::InvalidDuration, Code::InvalidDuration]);
    let message = d.to_string();
    assert!(
        message.contains("`ttl`") && message.contains("`active_deadline`"),
        "{message}"
    );
    snapshot("A0026-invalid-duration", &d);
    // A ttl of 0 is valid: Argo deletes the workflow as soon as it completes.
    let p = namespaced_with(|s| s.ttl = Some("0".into()));
    validate(&p, &ValidateOptions::default()).unwrap();
}

#[test]
fn a0027_run_as_root_under_the_secure_defaults() {
    let d = errors_of(&namespaced_with(|s| s.run_as_user = Some(0)));
    assert_eq!(d.codes(), [Code::InvalidRunAsUser]);
    assert!(d.to_string().contains("secure_defaults = false"), "{d}");
    snapshot("A0027-run-as-root", &d);
    let d = errors_of(&namespaced_with(|s| s.run_as_user = Some(u32::MAX)));
    assert_eq!(d.codes(), [Code::InvalidRunAsUser]);
    // Root is a deliberate choice once the secure defaults are off.
    let p = namespaced_with(|s| {
        s.run_as_user = Some(0);
        s.secure_defaults = false;
    });
    validate(&p, &ValidateOptions::default()).unwrap();
}

#[test]
fn a0028_output_used_outside_its_region() {
    // Caught while tracing, where the handle is used.
    let d = scoped::reads_out_of_a_branch::definition()
        .trace("/usr/local/bin/argot-fixtures")
        .err()
        .expect("reading a branch's task outside it is refused");
    assert_eq!(d.codes(), [Code::OutOfScope]);
    let message = d.to_string();
    assert!(
        message.contains("input `x` of task `step-2`")
            && message.contains("the conditional branch at tests/tests/diagnostics.rs"),
        "{message}"
    );
    snapshot("A0028-out-of-scope", &d);
    let d = scoped::waits_for_a_branch::definition()
        .trace("/usr/local/bin/argot-fixtures")
        .err()
        .expect("waiting for a branch's task outside it is refused");
    assert_eq!(d.codes(), [Code::OutOfScope]);
    assert!(d.to_string().contains("`.after(…)`"), "{d}");

    // A builder method (an input with a default) is checked like a positional argument.
    let d = scoped::builder_reads_out_of_a_branch::definition()
        .trace("/usr/local/bin/argot-fixtures")
        .err()
        .expect("reading a branch's task outside it is refused");
    assert_eq!(d.codes(), [Code::OutOfScope]);
    assert!(
        d.to_string()
            .contains("input `by` of task `add-with-default`"),
        "{d}"
    );

    // A condition reads a task of another branch.
    let d = scoped::condition_reads_a_sibling_branch::definition()
        .trace("/usr/local/bin/argot-fixtures")
        .err()
        .expect("a condition cannot read a task of another branch");
    assert_eq!(d.codes(), [Code::OutOfScope]);
    assert!(
        d.to_string()
            .contains("the condition in the pipeline body uses task `step-2`"),
        "{d}"
    );

    // `one_of` selects among branches beside the reading task only.
    let d = errors_of(&traced(scoped::one_of_outside_a_branch::definition()));
    assert_eq!(d.codes(), [Code::OutOfScope]);
    assert!(
        d.to_string()
            .contains("selects the branch that ran, but task `step` is in the pipeline body"),
        "{d}"
    );

    // The exit handler sees no task of the body.
    let d = scoped::exit_reads_the_body::definition()
        .trace("/usr/local/bin/argot-fixtures")
        .err()
        .expect("the exit handler cannot read the body's outputs");
    assert_eq!(d.codes(), [Code::OutOfScope]);
    assert!(d.to_string().contains("the exit handler at"), "{d}");

    // What only the exit handler knows, read in the body (a hand-built IR).
    let mut p = traced(fixtures::fan_out::definition());
    p.tasks[0]
        .arguments
        .insert("x".into(), Argument::Run(argot::ir::RunValue::Status));
    let d = errors_of(&p);
    assert!(
        d.to_string()
            .contains("reads the run's status, which only the exit handler knows"),
        "{d}"
    );

    // And by validation, on an IR built by hand: the producer moved into a branch.
    let mut p = traced(fixtures::fan_out::definition());
    p.regions.push(argot::ir::Region {
        kind: argot::ir::RegionKind::ExitHandler,
        parent: Some(argot::ir::RegionId::ROOT),
        location: None,
    });
    p.tasks[0].region = argot::ir::RegionId(1);
    let d = errors_of(&p);
    assert!(d.codes().contains(&Code::OutOfScope), "{d}");
    let message = d.to_string();
    assert!(
        message.contains("in the pipeline body uses task `step`")
            && message.contains("in the exit handler #1"),
        "{message}"
    );
}

#[test]
fn a0029_regions_are_refused_until_the_backends_run_them() {
    let p = traced(scoped::calls_a_loop::definition());
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::UnsupportedConstruct], "{d}");
    assert!(
        d.to_string()
            .contains("loops inside a sub-pipeline are not compiled or run yet"),
        "{d}"
    );
    snapshot("A0029-unsupported-construct", &d);
    let d = errors_of(&traced(scoped::condition_mixes_scopes::definition()));
    assert_eq!(d.codes(), [Code::UnsupportedConstruct]);
    assert!(
        d.to_string()
            .contains("compares a task of the branch around it with a value from outside"),
        "{d}"
    );
    let d = errors_of(&traced(
        scoped::branch_waits_on_an_outside_result::definition(),
    ));
    assert_eq!(d.codes(), [Code::UnsupportedConstruct]);
    assert!(
        d.to_string().contains("waits on a result of task `step`"),
        "{d}"
    );
    let d = errors_of(&traced(scoped::loop_condition_mixes::definition()));
    assert_eq!(d.codes(), [Code::UnsupportedConstruct], "{d}");
    assert!(
        d.to_string().contains(
            "compares a task of the loop body around it with a value from outside that loop body"
        ),
        "{d}"
    );
    let d = errors_of(&traced(scoped::two_exit_handlers::definition()));
    assert_eq!(d.codes(), [Code::UnsupportedConstruct]);
    assert!(
        d.to_string().contains("a pipeline has one exit handler"),
        "{d}"
    );
}

/// Sub-pipelines: an output no call returns cannot be read outside the call (recursion: A0040,
/// A0041).
#[test]
fn a0029_a0028_sub_pipeline_calls() {
    // Two functions, one pipeline name: one template could not be both (A0008).
    let d = scoped::calls_twins::definition()
        .trace("/usr/local/bin/argot-fixtures")
        .err()
        .expect("two pipelines with one name are refused");
    assert_eq!(d.codes(), [Code::NameCollision]);
    assert!(
        d.to_string()
            .contains("two different pipelines are both named `twin_call`"),
        "{d}"
    );
    // A pipeline with an artifact input runs only when called.
    let d = argot_examples::nested_pipeline::clean_and_score::definition()
        .trace("/usr/local/bin/argot-fixtures")
        .err()
        .expect("a pipeline with an artifact input does not run on its own");
    assert_eq!(d.codes(), [Code::UnsupportedConstruct]);
    assert!(
        d.to_string().contains(
            "pipeline `clean_and_score` takes artifact inputs (`readings`), so it runs only when another pipeline calls it"
        ),
        "{d}"
    );

    // A hand-built IR: `after` reads the call's task, but the call no longer returns it.
    let mut p = traced(scoped::uses_a_call::definition());
    assert!(validate(&p, &ValidateOptions::default()).is_ok());
    for region in &mut p.regions {
        if let argot::ir::RegionKind::Call { outputs, .. } = &mut region.kind {
            outputs.clear();
        }
    }
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::OutOfScope]);
    assert!(
        d.to_string()
            .contains("in the pipeline body uses task `one-step.step`"),
        "{d}"
    );
    // Inside the call, a parameter the call does not bind.
    let mut p = traced(scoped::uses_a_call::definition());
    for region in &mut p.regions {
        if let argot::ir::RegionKind::Call { arguments, .. } = &mut region.kind {
            arguments.clear();
        }
    }
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::UnknownReference]);
    assert!(
        d.to_string().contains(
            "input `x` of task `one-step.step` reads pipeline parameter `x`, which does not exist"
        ),
        "{d}"
    );
    // A name that pretends to be inside a call.
    let mut p = traced(scoped::uses_a_call::definition());
    p.tasks[1].name = "one-step.after".into();
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidName]);
}

/// Resources set with the DSL, as the API server's `ValidateResourceRequirements` checks
/// them.
#[test]
fn a0039_invalid_resources() {
    let d = errors_of(&traced(scoped::bad_resources::definition()));
    assert!(
        d.codes().iter().all(|c| *c == Code::InvalidResources),
        "{d}"
    );
    let text = d.to_string();
    for expected in [
        "the request of `cpu` is `two`, which is not a quantity",
        "the limit of `memory` (1Gi) is below its request (4Gi)",
        "`nvidia.com/gpu` is `0.5`; an extended resource is counted in whole units",
        "`gpu` is not a resource name",
        "the limit of `memory` is `-1Gi`, which is not a quantity",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert_eq!(d.codes().len(), 5, "{d}");
    snapshot("A0039-invalid-resources", &d);
    // Valid settings pass.
    assert!(
        validate(
            &traced(fixtures::settings_dsl::definition()),
            &ValidateOptions::default()
        )
        .is_ok()
    );
}

#[test]
fn a0030_pod_settings_from_the_dsl() {
    let d = errors_of(&traced(scoped::bad_pod_settings::definition()));
    assert_eq!(d.codes(), [Code::InvalidTaskConfig; 6], "{d}");
    let text = d.to_string();
    for expected in [
        "the semaphore's config map `Limits` is not a valid name",
        "the semaphore's key `gpu slots` is not a valid config map key",
        "pod label `bad key!: x` is not a valid Kubernetes label",
        "reads pod field `spec.containers`, which the downward API does not offer",
        "reads config map `Cluster_Info` key `region`, which Kubernetes cannot name",
        "the memoization max age `1d` is not a Go duration",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // Valid, they compile; the run refuses what only a pod has.
    let valid = validate(
        &traced(fixtures::cluster_env::definition()),
        &ValidateOptions::default(),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let d = argot::run::check_local(&valid, &Default::default()).unwrap_err();
    assert_eq!(d.codes(), [Code::LocalUnsupported; 3], "{d}");
}

#[test]
fn a0030_invalid_task_settings() {
    use k8s_openapi::api::core::v1::{EnvVar, VolumeMount};
    let mut p = traced(fixtures::fan_out::definition());
    p.tasks[1].config.timeout = Some("30".into());
    p.tasks[1].config.env.push(EnvVar {
        name: "A=B".into(),
        ..EnvVar::default()
    });
    p.tasks[2].config.volume_mounts.push(VolumeMount {
        name: "scratch".into(),
        mount_path: "/scratch".into(),
        ..VolumeMount::default()
    });
    p.tasks[2].config.active_deadline_seconds = Some(0);
    // Archive options for an output the component does not have as an artifact.
    p.tasks[3].config.outputs.insert(
        "output".into(),
        argot::ir::OutputOptions {
            archive: Some(argot::ir::Archive::Zip),
            gc: None,
            collect: None,
            key: None,
        },
    );
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidTaskConfig; 5], "{d}");
    assert!(
        d.to_string()
            .contains("sets how output `output` is archived, collected or stored"),
        "{d}"
    );
    snapshot("A0030-invalid-task-config", &d);
    // Units make the timeout valid, and a mount of a volume the task has is fine.
    let mut p = traced(fixtures::fan_out::definition());
    p.tasks[1].config.timeout = Some("30s".into());
    p.tasks[2]
        .config
        .volumes
        .push(k8s_openapi::api::core::v1::Volume {
            name: "scratch".into(),
            empty_dir: Some(Default::default()),
            ..Default::default()
        });
    p.tasks[2].config.volume_mounts.push(VolumeMount {
        name: "scratch".into(),
        mount_path: "/scratch".into(),
        ..VolumeMount::default()
    });
    assert!(validate(&p, &ValidateOptions::default()).is_ok());
}

#[test]
fn a0032_invalid_loops() {
    let mut p = traced(scoped::invalid_loops::definition());
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidLoop; 4], "{d}");
    let message = d.to_string();
    for part in [
        "iterates over an empty list",
        "item 0 has no such field",
        "reads field `a.b`",
        "would read as a template tag",
    ] {
        assert!(message.contains(part), "{part} missing from: {message}");
    }
    snapshot("A0032-invalid-loop", &d);
    // A loop over a parameter that is not a list (only a hand-built IR can say so).
    p.regions
        .retain(|r| !matches!(r.kind, argot::ir::RegionKind::Loop { .. }));
    p.tasks.clear();
    p.regions.push(argot::ir::Region {
        kind: argot::ir::RegionKind::Loop {
            items: argot::ir::LoopItems::PipelineParam("count".into()),
            parallelism: None,
        },
        parent: Some(argot::ir::RegionId::ROOT),
        location: None,
    });
    let mut one = traced(fixtures::fan_out::definition());
    let mut task = one.tasks.remove(0);
    task.region = argot::ir::RegionId(1);
    task.arguments = [("x".to_owned(), argot::ir::Argument::Constant("1".into()))]
        .into_iter()
        .collect();
    p.components = one.components;
    p.tasks.push(task);
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidLoop], "{d}");
    assert!(
        d.to_string().contains("of type `u32`, which is not a list"),
        "{d}"
    );
    // Collected artifacts feed a collection input, never a parameter (a hand-built IR: the
    // DSL's types refuse it).
    let mut p = traced(argot_examples::shards::shards::definition());
    let clean = p
        .tasks
        .iter()
        .position(|t| t.name == "clean-shard")
        .unwrap();
    let total = p.tasks.iter_mut().find(|t| t.name == "total").unwrap();
    total.arguments.insert(
        "counts".into(),
        argot::ir::Argument::Collected {
            task: argot::ir::TaskRef::Local(argot::ir::TaskId(clean as u32)),
            output: "rows".into(),
        },
    );
    let d = errors_of(&p);
    assert!(d.codes().contains(&Code::BadArgument), "{d}");
    assert!(
        d.to_string()
            .contains("receives a `Collection<Dataset>` artifact"),
        "{d}"
    );
}

#[test]
fn a0028_loop_items_and_collected_outputs_stay_in_scope() {
    // An item used outside its loop (a compile error through the DSL, `tests/ui/loops`):
    // validation refuses it in a hand-built IR.
    let mut p = traced(argot_examples::sweep::sweep::definition());
    let item = p.tasks[0].arguments["lr"].clone();
    assert!(matches!(item, argot::ir::Argument::LoopItem { .. }));
    let last = p.tasks.len() - 1;
    p.tasks[last].arguments.insert("scores".into(), item);
    let d = errors_of(&p);
    assert!(d.codes().contains(&Code::OutOfScope), "{d}");
    assert!(d.to_string().contains("which it is not inside"), "{d}");
    // A condition outside the loop comparing its item.
    let mut p = traced(argot_examples::sweep::sweep::definition());
    p.regions.push(argot::ir::Region {
        kind: argot::ir::RegionKind::Branch {
            condition: argot::ir::Condition::Compare {
                left: argot::ir::Operand::LoopItem {
                    region: argot::ir::RegionId(1),
                    field: Some("lr".into()),
                },
                op: argot::ir::CompareOp::Gt,
                right: argot::ir::Operand::Constant("0.5".into()),
                kind: argot::ir::CompareKind::Float,
            },
        },
        parent: Some(argot::ir::RegionId::ROOT),
        location: None,
    });
    let mut gated = p.tasks.last().unwrap().clone();
    gated.name = "gated".into();
    gated.region = argot::ir::RegionId(p.regions.len() as u32 - 1);
    p.tasks.push(gated);
    let d = errors_of(&p);
    assert!(d.codes().contains(&Code::OutOfScope), "{d}");
    assert!(
        d.to_string()
            .contains("reads the item of a loop it is not inside"),
        "{d}"
    );
    let d = scoped::collected_out_of_a_branch::definition()
        .trace("/b")
        .err()
        .expect("a collected list read where its loop cannot be seen is refused");
    assert_eq!(d.codes(), [Code::OutOfScope]);
    assert!(d.to_string().contains("cannot see the loop"), "{d}");
    // In a hand-built IR: a task inside the loop collecting its own loop.
    let mut p = traced(argot_examples::sweep::sweep::definition());
    let collected = p.tasks.last().unwrap().arguments["scores"].clone();
    p.tasks[0].arguments.insert("lr".into(), collected);
    let d = errors_of(&p);
    assert!(d.codes().contains(&Code::OutOfScope), "{d}");
    assert!(
        d.to_string()
            .contains("which is not directly in a loop this task sees from outside"),
        "{d}"
    );
}

#[test]
fn a0036_a_formatted_string_feeds_only_a_native_string_input() {
    // A container component would receive the pieces, not the string.
    let d = errors_of(&traced(scoped::formats_into_a_container::definition()));
    assert_eq!(d.codes(), [Code::FormatInput]);
    let message = d.to_string();
    assert!(
        message.contains("input `text` of task `shout` receives a formatted string")
            && message.contains("concat("),
        "{message}"
    );
    snapshot("A0036-format-into-a-container", &d);
    // A sub-pipeline's parameter is not assembled: it may reach anything inside.
    let d = errors_of(&traced(scoped::formats_into_a_call::definition()));
    assert_eq!(d.codes(), [Code::FormatInput], "{d}");
    assert!(
        d.to_string()
            .contains("parameter `word` of the sub-pipeline call"),
        "{d}"
    );

    // Built by other means than the DSL: a piece reading an artifact, an output or a
    // parameter that does not exist.
    let mut p = traced(fixtures::formatted::definition());
    let (write, prepare) = (2, p.tasks.len());
    p.components.insert(
        "prepare".into(),
        argot_examples::quickstart::prepare::spec(),
    );
    let mut made = p.tasks[0].clone();
    made.name = "prepare".into();
    made.component = "prepare".into();
    made.arguments.clear();
    made.arguments
        .insert("rows".into(), Argument::Constant("10".into()));
    p.tasks.push(made);
    let Argument::Format(parts) = &mut p.tasks[write].arguments["text"] else {
        panic!("the fixture formats `text`")
    };
    let display = argot::value::DisplayAs::Text;
    parts.push(FormatPart::TaskOutput {
        task: TaskRef::Local(TaskId(prepare as u32)),
        output: "data".into(),
        display,
    });
    parts.push(FormatPart::TaskOutput {
        task: TaskRef::Local(TaskId(0)),
        output: "nope".into(),
        display,
    });
    parts.push(FormatPart::PipelineParam {
        name: "missing".into(),
        display,
    });
    let d = errors_of(&p);
    assert_eq!(
        d.codes(),
        [Code::FormatInput, Code::FormatInput, Code::FormatInput],
        "{d}"
    );
    let message = d.to_string();
    for problem in [
        "reads output `data` of task `prepare`, an artifact",
        "reads output `nope` of task `echo`, which has no such output",
        "reads pipeline parameter `missing`, which does not exist",
    ] {
        assert!(message.contains(problem), "{problem}: {message}");
    }
}

#[test]
fn a0037_hooks_one_per_event_and_nothing_nested() {
    let d = errors_of(&traced(scoped::two_failure_hooks::definition()));
    assert_eq!(d.codes(), [Code::HookMisuse], "{d}");
    assert!(
        d.to_string()
            .contains("task `step` has a second `.on_failure(…)` hook"),
        "{d}"
    );
    snapshot("A0037-second-hook", &d);

    let d = errors_of(&traced(scoped::condition_in_a_hook::definition()));
    assert_eq!(d.codes(), [Code::HookMisuse], "{d}");
    assert!(
        d.to_string()
            .contains("constructs inside the exit hook at tests/tests/diagnostics.rs"),
        "{d}"
    );

    // A hook sees no task of the body (A0028), and has tasks (A0006).
    let d = scoped::hook_reads_the_body::definition()
        .trace("/usr/local/bin/argot-fixtures")
        .err()
        .expect("a hook cannot read the body");
    assert_eq!(d.codes(), [Code::OutOfScope]);
    assert!(d.to_string().contains("in the success hook at"), "{d}");
    let d = errors_of(&traced(scoped::empty_hook::definition()));
    assert_eq!(d.codes(), [Code::EmptyPipeline], "{d}");
    // Not inside a sub-pipeline yet.
    let d = errors_of(&traced(scoped::calls_hooks_inside::definition()));
    assert_eq!(d.codes(), [Code::HookMisuse], "{d}");
    assert!(
        d.to_string()
            .contains("a hook inside a sub-pipeline is not compiled or run yet"),
        "{d}"
    );
}

#[test]
fn a0031_settings_the_local_runner_cannot_honour() {
    use k8s_openapi::api::core::v1::{
        EnvVar, EnvVarSource, SecretKeySelector, Volume, VolumeMount,
    };
    let mut p = traced(fixtures::fan_out::definition());
    p.tasks[1].config.env.push(EnvVar {
        name: "TOKEN".into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: "bucket".into(),
                key: "token".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..EnvVar::default()
    });
    // A config map volume holds the cluster's objects: no local stand-in.
    p.tasks[2].config.volumes.push(Volume {
        name: "checkpoints".into(),
        config_map: Some(Default::default()),
        ..Default::default()
    });
    p.tasks[2].config.volume_mounts.push(VolumeMount {
        name: "checkpoints".into(),
        mount_path: "/checkpoints".into(),
        ..VolumeMount::default()
    });
    // Valid for Argo: it compiles.
    let valid = validate(&p, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let none = std::collections::BTreeMap::new();
    let d = argot::run::check_local(&valid, &none).expect_err("the local runner refuses them");
    assert_eq!(d.codes(), [Code::LocalUnsupported; 2]);
    assert!(
        d.to_string().contains(
            "pass `--secret bucket/token=env:VARIABLE` or `--secret bucket/token=file:PATH`"
        ),
        "{d}"
    );
    snapshot("A0031-local-unsupported", &d);
    // Told where the secret is, the runner reads it; the volume is still refused.
    let told = std::collections::BTreeMap::from([(
        "bucket/token".to_owned(),
        argot::run::SecretSource::Env("BUCKET_TOKEN".into()),
    )]);
    let d = argot::run::check_local(&valid, &told).expect_err("the volume is still refused");
    assert_eq!(d.codes(), [Code::LocalUnsupported]);
    assert!(d.to_string().contains("volume `checkpoints`"), "{d}");
    // Settings the runner honours or that only place a pod pass: an empty folder of a native
    // component is one of this machine's.
    let mut p = traced(fixtures::fan_out::definition());
    p.tasks[2].config.volumes.push(Volume {
        name: "scratch".into(),
        empty_dir: Some(Default::default()),
        ..Default::default()
    });
    p.tasks[1].config.timeout = Some("1h".into());
    p.tasks[1]
        .config
        .node_selector
        .insert("pool".into(), "gpu".into());
    let valid = validate(&p, &ValidateOptions::default()).unwrap();
    assert!(argot::run::check_local(&valid, &none).is_ok());
}

/// Pipelines that call themselves, each wrong in one way (A0040, A0041).
mod recursive {
    use argot::prelude::*;
    use argot_tests::fixtures::step;

    /// A bound of 1 never recurses.
    #[pipeline(max_depth = 1)]
    pub fn shallow(x: Param<u32>) -> ParamRef<u32> {
        let s = step(x);
        let mut deeper = None;
        when(s.output.lt(10u32), || deeper = Some(shallow(s.output)));
        step(one_of([deeper.expect("traced"), s.output])).output
    }

    /// Calls `shallow`.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn calls_shallow() {
        shallow(1u32);
    }

    /// The recursive call, out of the macro's sight.
    fn again(x: ParamRef<u32>) {
        hidden(x);
    }

    /// Calls itself through `again`, with no bound.
    #[pipeline]
    pub fn hidden(x: Param<u32>) -> ParamRef<u32> {
        let s = step(x);
        when(s.output.lt(10u32), || again(s.output));
        s.output
    }

    /// Calls `hidden`.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn calls_hidden() {
        hidden(1u32);
    }

    /// Reads the recursive call's output without `one_of`.
    #[pipeline(max_depth = 3)]
    pub fn reads_directly(x: Param<u32>) -> ParamRef<u32> {
        let s = step(x);
        when(s.output.lt(10u32), || {
            let deeper = reads_directly(s.output);
            step(deeper);
        });
        s.output
    }

    /// Calls `reads_directly`.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn calls_reads_directly() {
        reads_directly(1u32);
    }

    /// Recurses outside a `when`.
    #[pipeline(max_depth = 3)]
    pub fn unconditional(x: Param<u32>) -> ParamRef<u32> {
        let s = step(x);
        let deeper = unconditional(s.output);
        step(one_of([deeper, s.output])).output
    }

    /// Calls `unconditional`.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn calls_unconditional() {
        unconditional(1u32);
    }

    /// Calls itself twice per level: a tree, not a chain.
    #[pipeline(max_depth = 40)]
    pub fn twice(x: Param<u32>) -> ParamRef<u32> {
        let s = step(x);
        when(s.output.lt(10u32), || {
            twice(s.output);
            twice(s.output);
        });
        s.output
    }

    /// Calls `twice`.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn calls_twice() {
        twice(1u32);
    }

    /// The pipeline the run starts from calls itself.
    #[pipeline(image = "example.com/fixtures:1.0", max_depth = 3)]
    pub fn root_recursion(x: Param<u32>) {
        let s = step(x);
        when(s.output.lt(10u32), || root_recursion(s.output));
    }
}

#[test]
fn a0040_recursion_needs_a_bound_argo_can_run() {
    use argot::ir::{Condition, RegionKind};
    let refused = |def: PipelineDef| {
        def.trace("/usr/local/bin/argot-fixtures")
            .err()
            .expect("refused while tracing")
    };
    let d = refused(recursive::calls_shallow::definition());
    assert_eq!(d.codes(), [Code::RecursionBound], "{d}");
    assert!(
        d.to_string().contains("`max_depth = 1`, outside 2..=49"),
        "{d}"
    );
    snapshot("A0040-bound-too-small", &d);
    // A call of itself the macro cannot see (through a helper) still needs a bound.
    let d = refused(recursive::calls_hidden::definition());
    assert_eq!(d.codes(), [Code::RecursionBound], "{d}");
    assert!(
        d.to_string()
            .contains("pipeline `hidden` calls itself but states no bound"),
        "{d}"
    );
    snapshot("A0040-no-bound", &d);

    // On the IR: a bound out of range, and a recursive call whose branch lost its bound.
    let ir = traced(argot_examples::train_until::train_until::definition());
    let bounded = |ir: &Pipeline| {
        ir.regions
            .iter()
            .position(|r| matches!(&r.kind, RegionKind::Branch { condition } if condition.max_depth().is_some()))
            .expect("a bounded branch")
    };
    let mut deep = ir.clone();
    for region in &mut deep.regions {
        if let RegionKind::Branch {
            condition: Condition::And(terms),
        } = &mut region.kind
        {
            for term in terms {
                if let Condition::WithinDepth { max_depth } = term {
                    *max_depth = 60;
                }
            }
        }
    }
    let d = errors_of(&deep);
    assert!(d.codes().contains(&Code::RecursionBound), "{d}");
    assert!(d.to_string().contains("at depth 60, outside 2..=49"), "{d}");
    let mut unbounded = ir.clone();
    let b = bounded(&unbounded);
    if let RegionKind::Branch { condition } = &mut unbounded.regions[b].kind
        && let Condition::And(terms) = condition
    {
        terms.retain(|t| !matches!(t, Condition::WithinDepth { .. }));
    }
    let d = errors_of(&unbounded);
    assert!(d.codes().contains(&Code::RecursionBound), "{d}");
    assert!(
        d.to_string()
            .contains("calls its own pipeline again, but not from a branch of that pipeline's body whose condition carries a depth bound"),
        "{d}"
    );
    // The example itself is valid: 6 levels nest 14 templates deep, far from Argo's 100.
    assert!(validate(&ir, &ValidateOptions::default()).is_ok());
}

#[test]
fn a0041_recursion_written_in_a_way_that_is_not_compiled() {
    let refused = |def: PipelineDef| {
        def.trace("/usr/local/bin/argot-fixtures")
            .err()
            .expect("refused while tracing")
    };
    let d = refused(recursive::calls_reads_directly::definition());
    assert_eq!(d.codes(), [Code::RecursionMisuse], "{d}");
    assert!(
        d.to_string()
            .contains("reads an output of the recursive call of `reads_directly` directly"),
        "{d}"
    );
    snapshot("A0041-direct-read", &d);
    let d = refused(recursive::calls_unconditional::definition());
    assert_eq!(d.codes(), [Code::RecursionMisuse], "{d}");
    assert!(
        d.to_string()
            .contains("calls itself outside a `when(…)` written directly in its body"),
        "{d}"
    );
    // Two calls per level would trace 2^40 levels: refused at the second call, in time.
    let started = std::time::Instant::now();
    let d = refused(recursive::calls_twice::definition());
    assert!(d.codes().iter().all(|c| *c == Code::RecursionMisuse), "{d}");
    assert!(
        d.to_string()
            .contains("pipeline `twice` calls itself more than once in its body"),
        "{d}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let d = refused(recursive::root_recursion::definition());
    assert_eq!(d.codes(), [Code::RecursionMisuse], "{d}");
    assert!(
        d.to_string()
            .contains("but it is the pipeline the run starts from"),
        "{d}"
    );
}

#[test]
fn every_code_is_documented_and_tested_here() {
    let source = include_str!("diagnostics.rs");
    for code in Code::ALL {
        assert!(
            !code.explain().is_empty() && !code.title().is_empty() && !code.source().is_empty()
        );
        let test_prefix = format!("fn {}_", code.as_str().to_lowercase());
        assert!(
            source.contains(&test_prefix),
            "no test for {code} (expected a test named `{test_prefix}…`)"
        );
        let named = format!("fn {}()", code.test());
        assert!(
            code.test().starts_with(&test_prefix[3..]) && source.contains(&named),
            "the rule table names `{}` as the test of {code}, but there is no such test here",
            code.test()
        );
    }
}

/// `RULES.md` holds the rule table between markers; `ARGOT_BLESS=1` rewrites it.
#[test]
fn rules_md_lists_every_code_with_its_source_and_test() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../RULES.md");
    let text = std::fs::read_to_string(path).expect("RULES.md exists at the repository root");
    let (start, end) = ("<!-- rules:start -->\n", "<!-- rules:end -->");
    let (Some(a), Some(b)) = (text.find(start), text.find(end)) else {
        panic!("RULES.md must hold the table between `{start}` and `{end}`");
    };
    let table = rules_markdown();
    let current = &text[a + start.len()..b];
    if current != table {
        if std::env::var_os("ARGOT_BLESS").is_some() {
            let updated = format!("{}{table}{}", &text[..a + start.len()], &text[b..]);
            std::fs::write(path, updated).unwrap();
        } else {
            panic!(
                "RULES.md is out of date with `Code::ALL`; run `ARGOT_BLESS=1 cargo test -p argot-tests --test diagnostics rules_md` and review the diff. Expected:\n{table}"
            );
        }
    }
    for code in Code::ALL {
        assert!(table.contains(&format!("| {code} |")));
    }
}

#[test]
fn a_valid_pipeline_has_no_diagnostics() {
    let p = traced(argot_examples::quickstart::quickstart::definition());
    let valid = validate(&p, &ValidateOptions::default()).unwrap();
    assert!(valid.warnings().is_empty(), "{}", valid.warnings());
}

/// The macro refuses a defaulted input named like a method every task has (its builder method
/// would hide the trait's); its list is written by hand, so this keeps it complete: every
/// method the task traits declare is in it.
#[test]
fn the_macros_list_of_task_methods_is_complete() {
    let list = include_str!("../../dsl-macros/src/check.rs");
    let start = list.find("pub const TASK_METHODS").expect("the list");
    let list = &list[start..start + list[start..].find("];").expect("its end")];
    for (file, source) in [
        (
            "settings.rs",
            include_str!("../../compiler/src/settings.rs"),
        ),
        ("results.rs", include_str!("../../compiler/src/results.rs")),
        ("hooks.rs", include_str!("../../compiler/src/hooks.rs")),
        ("library.rs", include_str!("../../compiler/src/library.rs")),
    ] {
        // The methods of the public traits (a `pub trait … {` up to its closing `}`).
        let mut in_trait = false;
        for line in source.lines() {
            if line.starts_with("pub trait ") {
                in_trait = true;
            } else if line == "}" {
                in_trait = false;
            }
            let Some(rest) = line.trim_start().strip_prefix("fn ").filter(|_| in_trait) else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let takes_self = rest.contains("(self") || rest.contains("(&self");
            if takes_self && !name.starts_with("__") {
                assert!(
                    list.contains(&format!("\"{name}\"")),
                    "`{name}` ({file}) is a task method missing from TASK_METHODS in dsl-macros/src/check.rs"
                );
            }
        }
    }
}

#[test]
fn a0050_external_artifacts_argo_cannot_fetch() {
    let d = errors_of(&traced(fixtures::unfetchable::definition()));
    assert_eq!(d.codes(), [Code::InvalidExternalArtifact; 6], "{d}");
    let text = d.to_string();
    for expected in [
        "the default of pipeline parameter `url`: the URL `file:///etc/passwd` is not an `http://` or `https://` URL",
        "the URL `ftp://example.com/data.csv` is not an `http://` or `https://` URL",
        "the URL `s3://bucket/key` is an S3 address, not an HTTP URL",
        "has an empty bucket",
        "the constant text holds `{{`",
        "the endpoint of the S3 object `s3://b/k` (endpoint `https://minio:9000`) has a scheme",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    snapshot("A0050-external-artifacts", &d);
    // Every source compiles when it is right; `run` refuses the ones it cannot fetch, unless
    // a local copy is named.
    let valid = validate(
        &traced(fixtures::every_source::definition()),
        &ValidateOptions::default(),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let none = std::collections::BTreeMap::new();
    let d = argot::run::check_local_artifacts(&valid, &none).unwrap_err();
    assert_eq!(d.codes(), [Code::LocalUnsupported; 4], "{d}");
    let text = d.to_string();
    for expected in [
        "task `s3`: input `data` is the S3 object `s3://ml-models/m/1.bin`",
        "--artifact-file s3://ml-models/m/1.bin=PATH",
        "task `gcs`: input `data` is the GCS object `gs://ml-data/iris.csv`",
        "--artifact-file https://github.com/argoproj/argo-workflows.git@v4.1.2=PATH",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let copies: std::collections::BTreeMap<String, std::path::PathBuf> = [
        "s3://ml-models/m/1.bin",
        "s3://data/d.csv",
        "gs://ml-data/iris.csv",
        "https://github.com/argoproj/argo-workflows.git@v4.1.2",
    ]
    .into_iter()
    .map(|u| (u.to_owned(), "copy".into()))
    .collect();
    assert!(argot::run::check_local_artifacts(&valid, &copies).is_ok());
}

#[test]
fn a0051_container_output_paths() {
    let d = errors_of(&traced(fixtures::bad_output_paths_pipeline::definition()));
    assert_eq!(d.codes(), [Code::InvalidOutputPath; 3], "{d}");
    let text = d.to_string();
    for expected in [
        "collects an output from `results.txt`, which is not an absolute path",
        "collects an output from `/tmp/argot/outputs/b`, inside or around argot's own folder",
        "collects an output from `/out/../etc/c`, which is the root or has empty, `.` or `..` parts",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    snapshot("A0051-container-output-paths", &d);
    let d = errors_of(&traced(fixtures::nested_output_paths_pipeline::definition()));
    assert_eq!(d.codes(), [Code::InvalidOutputPath], "{d}");
    assert!(
        d.to_string()
            .contains("collects output `b` from `/out/model`, and output `a` from `/out`"),
        "{d}"
    );
}

#[test]
fn a0049_output_keys() {
    let d = errors_of(&traced(fixtures::bad_repo_keys::definition()));
    let text = d.to_string();
    for expected in [
        "output `model` of task `slash`: the key `/models/m.tgz` starts with `/`",
        "output `score` of task `slash`: the literal text \"scores/{{workflow.name}}.json\" holds `{{` or `}}`",
        "output `model` of task `packing`: the key `models/m.bin` does not end with `.tgz` or `.tar.gz`, yet the output is uploaded as a gzipped tarball",
        "output `score` of task `packing`: the key `scores/s.zip` ends with an archive's extension, yet the output is uploaded as it is",
        "output `model` of task `climbs`: the key `models/../m.tgz` has a `..` part",
        "output `score` of task `climbs`: the key is empty",
        "output `model` of task `second`: output `model` of task `first` is stored under the same key `shared/m.tgz` in every run",
        "output `model` of task `looped`: the task runs in a loop, and every iteration would store the output under the same key `loop/{{workflow.name}}/{{workflow.parameters.version}}.tgz`",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // The task in a branch may not run: its shared key is not an error.
    assert!(!text.contains("task `maybe`"), "{text}");
    assert_eq!(d.codes(), [Code::InvalidOutputKey; 8], "{d}");
    snapshot("A0049-output-keys", &d);

    // Two outputs of one task under one key, and a key reading a value the task does not
    // bind, on a hand-built IR.
    let fine = traced(fixtures::repo_keys::definition());
    assert!(validate(&fine, &ValidateOptions::default()).is_ok());
    let latest = fine.tasks.iter().position(|t| t.name == "latest").unwrap();
    let mut p = fine.clone();
    let outputs = &mut p.tasks[latest].config.outputs;
    let model = outputs["model"].key.clone();
    outputs.get_mut("score").unwrap().key = model;
    outputs.get_mut("score").unwrap().archive = Some(argot::ir::Archive::Tar);
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidOutputKey], "{d}");
    assert!(
        d.to_string().contains("output `score` of task `latest`: output `model` of the same task is stored under the same key `models/latest/model.tgz`"),
        "{d}"
    );
    let mut p = fine;
    p.tasks[latest].config.outputs.get_mut("model").unwrap().key = Some(argot::ir::RepoKey {
        parts: vec![
            argot::ir::KeyPart::Setting("argot-setting-7".into()),
            argot::ir::KeyPart::Text(".tgz".into()),
        ],
    });
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidOutputKey], "{d}");
    assert!(
        d.to_string()
            .contains("the key reads `argot-setting-7`, which the task does not bind"),
        "{d}"
    );
    // A zip under a key compiles, and `run` refuses it: it makes no zip files (A0031).
    let mut p = traced(fixtures::repo_keys::definition());
    let model = p.tasks[latest].config.outputs.get_mut("model").unwrap();
    model.archive = Some(argot::ir::Archive::Zip);
    model.key = Some(argot::ir::RepoKey {
        parts: vec![argot::ir::KeyPart::Text("models/latest/model.zip".into())],
    });
    let valid = validate(&p, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let d = argot::run::check_local(&valid, &Default::default()).unwrap_err();
    assert_eq!(d.codes(), [Code::LocalUnsupported], "{d}");
    assert!(
        d.to_string().contains("task `latest`: output `model` is stored under its key as a zip file (`Archive::Zip`), which `run` does not make"),
        "{d}"
    );
    let fine = traced(fixtures::repo_keys::definition());
    let valid = validate(&fine, &ValidateOptions::default()).unwrap();
    assert!(argot::run::check_local(&valid, &Default::default()).is_ok());
}

#[test]
fn a0052_unknown_artifact_gc_strategy() {
    let d = errors_of(&traced(fixtures::unknown_artifact_gc::definition()));
    assert_eq!(d.codes(), [Code::InvalidArtifactGc], "{d}");
    assert!(
        d.to_string().contains(
            "asks for artifact GC strategy \"onworkflowdeletion\", which Argo does not know; did you mean `OnWorkflowDeletion`?"
        ),
        "{d}"
    );
    snapshot("A0052-unknown-artifact-gc", &d);
}

#[test]
fn a0042_setting_values_argo_would_not_fill_in() {
    use argot::ir::{Argument, FormatPart};
    let fine = traced(fixtures::setting_values::definition());
    assert!(validate(&fine, &ValidateOptions::default()).is_ok());
    let native = fine.tasks.iter().position(|t| t.name == "native").unwrap();
    // Text Argo would substitute, and a placeholder of a value the task does not bind.
    let mut p = fine.clone();
    p.tasks[native].config.env[0].value = Some("{{workflow.name}}".into());
    p.tasks[native].config.annotations.insert(
        "note".into(),
        "{{inputs.parameters.argot-setting-9}}".into(),
    );
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::SettingValue; 2], "{d}");
    snapshot("A0042-setting-value", &d);
    // A value that cannot be pasted into text.
    let mut p = fine.clone();
    p.tasks[native].arguments.insert(
        "argot-setting-1".into(),
        Argument::Format(vec![FormatPart::Text("x".into())]),
    );
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::SettingValue], "{d}");
    assert!(d.to_string().contains("takes a formatted string"), "{d}");
    // A label whose own text no value can make valid.
    let mut p = fine;
    p.tasks[native].config.labels.insert(
        "tag".into(),
        "has space-{{inputs.parameters.argot-setting-0}}".into(),
    );
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidTaskConfig], "{d}");
}

/// Security contexts and affinities the API server or the kubelet would refuse are A0030.
#[test]
fn a0030_security_contexts_and_affinities_kubernetes_would_refuse() {
    let fine = traced(fixtures::guarded::definition());
    assert!(validate(&fine, &ValidateOptions::default()).is_ok());
    let mut p = fine.clone();
    let t = &mut p.tasks[0].config;
    // Root, while the secure defaults say the pod must not run as root.
    t.security_context.as_mut().unwrap().run_as_user = Some(0);
    let affinity = t.affinity.as_mut().unwrap();
    let node = affinity.node_affinity.as_mut().unwrap();
    let term = &mut node
        .required_during_scheduling_ignored_during_execution
        .as_mut()
        .unwrap()
        .node_selector_terms[0];
    term.match_expressions.as_mut().unwrap()[0].operator = "Within".into();
    let anti = affinity.pod_anti_affinity.as_mut().unwrap();
    let weighted = &mut anti
        .preferred_during_scheduling_ignored_during_execution
        .as_mut()
        .unwrap()[0];
    weighted.weight = 0;
    weighted.pod_affinity_term.topology_key.clear();
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidTaskConfig; 4], "{d}");
    snapshot("A0030-security-and-affinity", &d);
    // Root is fine once the task says it may run as root.
    let mut p = fine;
    let context = p.tasks[0].config.security_context.as_mut().unwrap();
    context.run_as_user = Some(0);
    context.run_as_non_root = Some(false);
    assert!(validate(&p, &ValidateOptions::default()).is_ok());
}

#[test]
fn a0043_volumes_that_collide() {
    use argot::ir::RunVolume;
    let fine = traced(fixtures::run_volumes::definition());
    assert!(validate(&fine, &ValidateOptions::default()).is_ok());
    let mut p = fine.clone();
    // One run volume name, two sizes.
    p.tasks[1].config.run_volumes[0].size = "2Gi".into();
    // Two mounts at one path, and a run volume named like argot's outputs volume with a size
    // that is not a quantity.
    let writer = &mut p.tasks[0].config;
    writer.volume_mounts[0].mount_path = "/tmp/argot/outputs".into();
    writer.run_volumes.push(RunVolume {
        name: "argot-outputs".into(),
        size: "lots".into(),
        storage_class: None,
    });
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::VolumeConflict; 4], "{d}");
    snapshot("A0043-volume-conflict", &d);
}

#[test]
fn a0044_sidecars_and_init_containers_that_collide() {
    let fine = traced(fixtures::with_sidecars::definition());
    let valid = validate(&fine, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    // Valid for Argo, refused by the local runner: a process has no pod to share.
    let d = argot::run::check_local(&valid, &std::collections::BTreeMap::new())
        .expect_err("the local runner refuses them");
    assert_eq!(d.codes(), [Code::LocalUnsupported; 2], "{d}");
    assert!(d.to_string().contains("sidecar `cache` needs a pod"), "{d}");
    let mut p = fine;
    let config = &mut p.tasks[0].config;
    config.sidecars[0].name = "wait".into();
    config.init_containers[0].image = None;
    let mut twin = config.init_containers[0].clone();
    twin.image = Some("busybox:1.36".into());
    config.init_containers.push(twin);
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::PodContainers; 3], "{d}");
    snapshot("A0044-pod-containers", &d);
}

/// The `distributed_training` example, traced: a claim step, a native step, a PyTorchJob
/// step and a native step.
fn distributed() -> Pipeline {
    traced(argot_examples::distributed_training::distributed_training::definition())
}

/// The resource step of `distributed` whose component is `name`.
fn resource_of<'a>(p: &'a mut Pipeline, name: &str) -> &'a mut argot::ir::ResourceImpl {
    match &mut p.components[name].implementation {
        Implementation::Resource(r) => r,
        other => panic!("`{name}` is {other:?}"),
    }
}

#[test]
fn a0054_invalid_resource_condition() {
    use argot::ir::{SelectorOp, SelectorRequirement};
    let mut p = distributed();
    validate(&p, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let train = resource_of(&mut p, "train");
    // A value with a space and a comparison with a word: Argo's selector parser refuses both
    // when it first checks the job, after creating it.
    train.success.push(SelectorRequirement {
        path: "status.conditions.type".into(),
        op: SelectorOp::Equals,
        values: vec!["Succeeded now".into()],
    });
    train.failure.push(SelectorRequirement {
        path: "status.replicaStatuses.Master.failed".into(),
        op: SelectorOp::GreaterThan,
        values: vec!["many".into()],
    });
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidResourceCondition; 2], "{d}");
    snapshot("A0054-invalid-resource-condition", &d);
}

#[test]
fn a0055_invalid_resource_manifest() {
    use argot::ir::{MergeStrategy, ResourceAction, ResourceOutput, ResourceQuery};
    let mut p = distributed();
    let claim = resource_of(&mut p, "create-data");
    // No kind, a bad name; the spec the claim size is placed in is kept.
    claim.manifest =
        "apiVersion: v1\nmetadata:\n  name: Scratch_Data\nspec:\n  resources:\n    requests:\n      storage: 1Gi\n"
            .into();
    claim.outputs.push(ResourceOutput {
        name: "phase".into(),
        from: ResourceQuery::JqFilter(" ".into()),
    });
    let train = resource_of(&mut p, "train");
    train.action = ResourceAction::Patch;
    train.merge_strategy = Some(MergeStrategy::Strategic);
    let d = errors_of(&p);
    // No kind, a name Kubernetes refuses, an empty query, a strategic patch of a custom resource.
    assert!(
        d.codes()
            .iter()
            .all(|c| *c == Code::InvalidResourceManifest)
            && d.codes().len() == 4,
        "{d}"
    );
    assert!(d.to_string().contains("API group `kubeflow.org`"), "{d}");
    snapshot("A0055-invalid-resource-manifest", &d);
}

#[test]
fn a0053_values_placed_where_the_object_cannot_take_them() {
    use argot::ir::ResourceValue;
    let mut p = distributed();
    validate(&p, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let train = resource_of(&mut p, "train");
    assert_eq!(train.values.len(), 1, "the example places the worker count");
    let at = |at: &str, input: &str| ResourceValue {
        at: at.into(),
        input: input.into(),
    };
    train.values = vec![
        // A new key of a mapping the object has, and an existing list element: accepted.
        at("/spec/pytorchReplicaSpecs/Worker/replicas", "replicas"),
        at("/metadata/labels", "replicas"),
        at(
            "/spec/pytorchReplicaSpecs/Master/template/spec/containers/0/name",
            "replicas",
        ),
        // What the object is.
        at("/kind", "replicas"),
        // A mapping the object lacks, a list element past its end, a bad escape, not a pointer.
        at("/spec/runPolicy/cleanPodPolicy", "replicas"),
        at(
            "/spec/pytorchReplicaSpecs/Worker/template/spec/containers/1",
            "replicas",
        ),
        at("/metadata/annotations~2x", "replicas"),
        at("spec.replicas", "replicas"),
        // Inside another placed value, and an input the step does not have.
        at("/spec/pytorchReplicaSpecs/Worker", "replicas"),
        at("/metadata/namespace", "workers"),
    ];
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidResourceValue; 7], "{d}");
    let text = d.to_string();
    for expected in [
        "at `kind`",
        "nothing at `/spec/runPolicy`",
        "has 1 element(s)",
        "`~` is not followed",
        "must start with `/`",
        "one where the other goes",
        "input `workers`",
    ] {
        assert!(text.contains(expected), "{expected}: {d}");
    }
    snapshot("A0053-invalid-resource-value", &d);
    // An input placed nowhere.
    let mut p = distributed();
    resource_of(&mut p, "train").values.clear();
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidResourceValue], "{d}");
    assert!(d.to_string().contains("placed nowhere"), "{d}");
}

#[test]
fn a0056_run_refuses_resource_steps() {
    let p = distributed();
    let valid = validate(&p, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let none = std::collections::BTreeMap::new();
    let d = argot::run::check_local(&valid, &none).expect_err("the local runner refuses them");
    // Both resource steps, and the staging step's mount of the claim made for the run.
    assert_eq!(
        d.codes(),
        [
            Code::ResourceStepNeedsCluster,
            Code::LocalUnsupported,
            Code::ResourceStepNeedsCluster
        ],
        "{d}"
    );
    assert!(d.to_string().contains("`create` of a `PyTorchJob`"), "{d}");
    snapshot("A0056-resource-step-needs-a-cluster", &d);
    // `run` checks before it starts anything: no run folder, nothing in the store.
    let dir = tempfile::tempdir().unwrap();
    let mut options = argot::run::RunOptions::new().unwrap();
    options.workdir = dir.path().join("runs");
    options.cache_dir = None;
    let store = argot_client::store::SqliteStore::open_in_memory().unwrap();
    match argot::run::run(&valid, &store, &options, &mut |_| {}) {
        Err(argot::run::RunError::Unsupported(refused)) => assert_eq!(refused.codes(), d.codes()),
        other => panic!("run should refuse the pipeline, got {other:?}"),
    }
    assert!(!options.workdir.exists());
    assert!(
        argot_client::store::MetadataStore::list_runs(&store, &Default::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a0057_container_settings_on_a_resource_step() {
    use k8s_openapi::api::core::v1::EnvVar;
    let mut p = distributed();
    let train = p.tasks.iter().position(|t| t.component == "train").unwrap();
    p.tasks[train].config.env.push(EnvVar {
        name: "NCCL_DEBUG".into(),
        value: Some("INFO".into()),
        ..EnvVar::default()
    });
    // A pipeline-wide default of the same kind is not the step's own: no error.
    let mut defaults_only = distributed();
    defaults_only.defaults.env.push(EnvVar {
        name: "RUST_LOG".into(),
        value: Some("info".into()),
        ..EnvVar::default()
    });
    validate(&defaults_only, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::ResourceStepSetting], "{d}");
    snapshot("A0057-container-settings-on-a-resource-step", &d);
}

/// A CronWorkflow's settings as Argo's `validate.CronWorkflow` checks them: every mistake is
/// reported, each naming the value and what to write instead.
#[test]
fn a0046_invalid_cron_workflow_settings() {
    use argot::ir::{OutputKind, Publish};
    let mut p = traced(fixtures::fan_out::definition());
    p.publish = Publish {
        kind: None,
        schedules: vec![
            "0 3 * *".into(),
            "0 25 * * *".into(),
            "CRON_TZ=Europe/Paris 0 6 * * *".into(),
        ],
        timezone: Some("Europe/Pariss".into()),
        concurrency_policy: Some("forbid".into()),
        starting_deadline_seconds: Some(-1),
        successful_jobs_history_limit: Some(3),
        failed_jobs_history_limit: Some(i64::from(i32::MAX) + 1),
    };
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidCronWorkflow; 7], "{d}");
    let text = d.to_string();
    for expected in [
        "the CronWorkflow schedule `0 3 * *` is not one Argo can parse",
        "the CronWorkflow schedule `0 25 * * *` is not one Argo can parse",
        "names its own time zone and the CronWorkflow has `timezone` too",
        "the CronWorkflow time zone `Europe/Pariss` is not in the IANA time zone database",
        "`forbid` is not a CronWorkflow concurrency policy",
        "the CronWorkflow starting deadline is -1 seconds",
        "`failed_jobs_history_limit` is 2147483648",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    snapshot("A0046-invalid-cron-workflow", &d);

    // A CronWorkflow needs a schedule; the zone of a `CRON_TZ=` prefix is checked too.
    p.publish = Publish {
        kind: Some(OutputKind::CronWorkflow),
        ..Publish::default()
    };
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidCronWorkflow], "{d}");
    assert!(d.to_string().contains("needs at least one schedule"), "{d}");
    p.publish.schedules = vec!["CRON_TZ=Mars/Olympus 0 6 * * *".into()];
    let d = errors_of(&p);
    assert!(
        d.to_string().contains("names the time zone `Mars/Olympus`"),
        "{d}"
    );

    // Valid settings pass, and another kind ignores them (`compile --kind workflow` on a
    // scheduled pipeline is one run, now).
    p.publish = Publish {
        schedules: vec!["0 3 * * *".into(), "@every 1h30m".into()],
        timezone: Some("America/New_York".into()),
        concurrency_policy: Some("Replace".into()),
        starting_deadline_seconds: Some(0),
        ..Publish::default()
    };
    validate(&p, &ValidateOptions::default()).expect("valid CronWorkflow settings");
    p.publish.timezone = Some("nowhere".into());
    p.publish.kind = Some(OutputKind::Workflow);
    validate(&p, &ValidateOptions::default()).expect("a Workflow has no schedule to check");
}

/// A field the chosen Argo version's schema lacks is refused, naming the field, the template
/// and the versions that have it; the same pipeline compiles for a version that has it.
#[test]
fn a0047_a_field_the_chosen_argo_version_lacks() {
    use argot::emit::argo::ArgoVersion;
    use argot::ir::{Backoff, RetryPolicy};
    let mut p = traced(fixtures::fan_out::definition());
    p.defaults.retry = Some(RetryPolicy {
        limit: Some(2),
        on: None,
        backoff: Some(Backoff {
            duration: "10s".into(),
            factor: Some(2),
            cap: Some("5m".into()),
            max_duration: None,
        }),
        condition: None,
    });
    let options = ValidateOptions::default();
    let d = argo::validate_and_emit_for(p.clone(), &options, ArgoVersion::V3_6)
        .map(|_| ())
        .unwrap_err();
    assert!(
        d.codes()
            .iter()
            .all(|c| *c == Code::UnsupportedByArgoVersion),
        "{d}"
    );
    let text = d.to_string();
    assert!(
        text.contains("retryStrategy.backoff.cap` (template `"),
        "{text}"
    );
    assert!(text.contains("Argo 3.7 added it"), "{text}");
    snapshot("A0047-field-the-version-lacks", &d);
    for version in [ArgoVersion::V3_7, ArgoVersion::V4_0, ArgoVersion::V4_1] {
        argo::validate_and_emit_for(p.clone(), &options, version)
            .unwrap_or_else(|d| panic!("{version}: {d}"));
    }
}

/// A task running a published template names an object Kubernetes can name, and has no
/// settings of its own (the published template would not have them).
#[test]
fn a0048_a_task_that_cannot_run_a_published_template() {
    use argot::ir::TemplateRef;
    let mut p = traced(fixtures::fan_out::definition());
    p.tasks[0].template_ref = Some(TemplateRef {
        name: "ML_Library".into(),
        cluster_scope: false,
    });
    p.tasks[1].template_ref = Some(TemplateRef {
        name: "ml-library".into(),
        cluster_scope: true,
    });
    p.tasks[1].config.timeout = Some("1h".into());
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::InvalidTemplateRef; 2], "{d}");
    let text = d.to_string();
    assert!(
        text.contains(
            "runs a template of WorkflowTemplate `ML_Library`, which cannot be the name of one"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "published in ClusterWorkflowTemplate `ml-library`, and also has settings of its own"
        ),
        "{text}"
    );
    snapshot("A0048-invalid-template-ref", &d);
    // Without the settings, and with a valid name, both run their published template.
    p.tasks[0].template_ref.as_mut().unwrap().name = "ml-library".into();
    p.tasks[1].config = Default::default();
    let (_, emitted) = argo::validate_and_emit(p, &ValidateOptions::default()).unwrap();
    let json = serde_json::to_value(&emitted.manifest).unwrap();
    let tasks = &json["spec"]["templates"][0]["dag"]["tasks"];
    assert_eq!(tasks[0]["templateRef"]["name"], "ml-library");
    assert!(tasks[0].get("template").is_none());
    assert_eq!(tasks[1]["templateRef"]["clusterScope"], true);
}

/// `#[pipeline(kind = "…")]` takes the kinds `compile --kind` takes, each naming the variant
/// of `argot::ir::OutputKind` that spells it so (the macro cannot depend on the compiler).
#[test]
fn the_macros_kinds_are_the_compilers() {
    let source = include_str!("../../dsl-macros/src/attr.rs");
    let start = source.find("pub const KINDS").expect("the list");
    let list = &source[start..start + source[start..].find("];").expect("its end")];
    for kind in argot::ir::OutputKind::ALL {
        let entry = format!("(\"{}\", \"{kind:?}\")", kind.as_str());
        assert!(list.contains(&entry), "{entry} missing from {list}");
    }
    assert_eq!(
        list.matches("(\"").count(),
        argot::ir::OutputKind::ALL.len()
    );
}

/// A component whose every task runs a published template has no template in the manifest,
/// so it needs no image; one task running it here needs the image again.
#[test]
fn a0009_a_component_run_only_from_a_published_template_needs_no_image() {
    let mut p = traced(argot_examples::library::weekly_report::definition());
    p.image = None;
    let (_, emitted) = argo::validate_and_emit(p.clone(), &ValidateOptions::default())
        .unwrap_or_else(|d| panic!("no image is needed: {d}"));
    let json = serde_json::to_value(&emitted.manifest).unwrap();
    assert_eq!(
        json["spec"]["templates"].as_array().unwrap().len(),
        1,
        "{json}"
    );
    p.tasks[1].template_ref = None;
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::NoImage], "{d}");
    assert!(
        d.to_string()
            .contains("task `train` runs native component `train`"),
        "{d}"
    );
}

#[test]
fn a0012_says_how_to_pin_by_digest_and_a_digest_pins() {
    let p = traced(fixtures::unpinned_image::definition());
    let valid = validate(&p, &ValidateOptions::default()).expect("a warning does not invalidate");
    let help = &valid.warnings().iter().next().expect("A0012").help;
    for expected in ["--image name@sha256:", "imagetools inspect"] {
        assert!(help.contains(expected), "{expected:?} not in {help:?}");
    }
    // What the help says to write is accepted, and silences the warning.
    let pinned = ValidateOptions {
        image: Some(format!(
            "registry.example.com/fixtures@sha256:{}",
            "0a".repeat(32)
        )),
        ..ValidateOptions::default()
    };
    let valid = validate(&p, &pinned).expect("a digest is a valid reference");
    assert!(valid.warnings().is_empty(), "{}", valid.warnings());
}

/// `edit_template`: what Argo would not run as written is refused when compiling (a renamed
/// main container, containers in the pod patch, an edit read back from JSON without its
/// closure), the edited template goes through the settings' checks, and what the local runner
/// cannot reproduce is refused before a run starts, each saying what to do.
#[test]
fn a0063_template_edits_argot_cannot_honour() {
    let d = errors_of(&traced(scoped::bad_edits::definition()));
    assert_eq!(
        d.codes(),
        [
            Code::TemplateEdit,
            Code::TemplateEdit,
            Code::InvalidTaskConfig
        ],
        "{d}"
    );
    let text = d.to_string();
    for expected in [
        "task `renamed`: an edit renames the main container `trainer`; Argo names it `main`",
        "task `extra-container`: an edit puts `proxy` in `pod.containers`",
        "add one with `add_sidecar`",
        "environment variable name \"A=B\" is invalid",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    snapshot("A0063-template-edits", &d);

    // The IR records where an edit was written, not its closure: read back, it cannot run.
    let fine = traced(fixtures::template_edits::definition());
    let json = serde_json::to_string(&fine).unwrap();
    let read_back: Pipeline = serde_json::from_str(&json).unwrap();
    assert_eq!(read_back, fine, "the IR round-trips");
    let d = errors_of(&read_back);
    assert!(
        d.codes().iter().all(|c| *c == Code::TemplateEdit) && d.codes().len() == 2,
        "{d}"
    );
    assert!(
        d.to_string()
            .contains("has no closure: it was read back from serialised IR"),
        "{d}"
    );
    let valid = validate(&fine, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let none = std::collections::BTreeMap::new();
    argot::run::check_local(&valid, &none).unwrap_or_else(|d| panic!("runs locally: {d}"));

    // The defaults' edits pass over resource steps, as their other container settings do; a
    // resource step's own edit is refused.
    let edit = |n| {
        argot::ir::TemplateEditFn::new(
            format!("here:{n}"),
            n,
            std::sync::Arc::new(|t: &mut argot::TemplateEdit| {
                t.container.working_dir = Some("/w".into());
            }),
        )
    };
    let mut p = distributed();
    p.defaults.edits.push(edit(0));
    let valid = validate(&p, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    assert!(
        valid.names().templates.iter().any(|t| t.edited.is_some()),
        "the native steps are edited"
    );
    let step = p.tasks.iter().position(|t| t.component == "train").unwrap();
    p.tasks[step].config.edits.push(edit(1));
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::TemplateEdit], "{d}");
    assert!(d.to_string().contains("is a resource step"), "{d}");

    // Valid for Argo, refused by the local runner.
    let p = traced(scoped::unrunnable_edits::definition());
    let valid = validate(&p, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let d = argot::run::check_local(&valid, &none).expect_err("the local runner refuses them");
    assert_eq!(d.codes(), [Code::TemplateEdit; 3], "{d}");
    let text = d.to_string();
    for expected in [
        "task `wrapped`: an edit changes the command of its native component",
        "task `mounted`: an edit mounts volume `data` at `/data`, which the local runner has no folder for",
        "mount it with `add_pvc_volume`",
        "task `from-config`: an edit sets `envFrom`",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
/// Collected artifacts the DSL's types allow but Argo could not deliver as a collection.
mod collecting {
    use argot::prelude::*;
    use argot_tests::fixtures::{fit_model, list_models};

    /// A collection as an output.
    #[component]
    pub fn makes_a_collection(models: Output<Collection<Model>>) -> Result<()> {
        let _ = models;
        Ok(())
    }

    /// A collection, optional.
    #[component]
    pub fn maybe_models(models: Option<Input<Collection<Model>>>) -> Result<()> {
        let _ = models;
        Ok(())
    }

    /// A container image reading a collection.
    #[container_component]
    pub fn lists_in_a_shell(models: Input<Collection<Model>>) -> Container {
        Container::new("busybox:1.36").command(["ls"]).arg(&models)
    }

    /// Each misuse once, and a producer that archives its collected output, is memoized, or
    /// stores it under a key of its own.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn undeliverable() {
        makes_a_collection();
        maybe_models();
        let archived = for_each(vec![1u32, 2], |n| {
            fit_model(n, 0, 0)
                .set_output_archive("model", Archive::Tar)
                .model
        });
        list_models(archived);
        let memoized = for_each(vec![1u32, 2], |n| {
            fit_model(n, 0, 0).set_memoize("models-cache", None).model
        });
        lists_in_a_shell(memoized);
        let keyed = for_each(vec![1u32, 2], |n| {
            fit_model(n, 0, 0)
                .set_output_archive("model", Archive::None)
                .set_output_key("model", argot::OutputKey::new("models/").pod_name())
                .model
        });
        list_models(keyed);
    }
}

#[test]
fn a0062_collected_artifacts_argo_cannot_deliver() {
    let d = errors_of(&traced(collecting::undeliverable::definition()));
    assert!(
        d.codes().iter().all(|c| *c == Code::CollectedArtifact),
        "{d}"
    );
    let message = d.to_string();
    for part in [
        "declares output `models` as a collection",
        "input `models` of component `maybe_models` is an optional collection",
        "input `models` of component `lists_in_a_shell` is a collection, and a container image",
        "collects output `model` of task `fit-model`, which archives it",
        "collects output `model` of task `fit-model-2`, which is memoized",
        "collects output `model` of task `fit-model-3`, which stores it under a key of its own",
    ] {
        assert!(message.contains(part), "{part} missing from: {message}");
    }
    snapshot("A0062-collected-artifact", &d);
    // A collection of collections: a component spec no loop can feed, refused as it is.
    let mut p = traced(collecting::undeliverable::definition());
    let spec = argot::ir::ComponentSpec {
        name: "nested".into(),
        description: None,
        inputs: vec![argot::ir::InputSpec {
            name: "models".into(),
            kind: argot::ir::IoKind::Artifact {
                kind: "Collection<Collection<Model>>".into(),
            },
            default: None,
            optional: false,
        }],
        outputs: Vec::new(),
        implementation: argot::ir::Implementation::Native,
        code_hash: None,
        config: Default::default(),
    };
    p.components.insert("nested".into(), spec);
    let d = errors_of(&p);
    assert!(
        d.to_string()
            .contains("input `models` of component `nested` is a collection of collections"),
        "{d}"
    );
}
