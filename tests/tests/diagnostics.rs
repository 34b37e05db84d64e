//! One test per validation rule: the rule fires with its code on the input that breaks it, and
//! its rendered message (pipeline, task, input, help) is a reviewed snapshot under
//! `golden/diagnostics/`. Rules the DSL's types make unreachable are tested on edited IR.

use argot::ir::{Argument, Pipeline, TaskId, TaskRef};
use argot::{Code, Diagnostics, PipelineDef, Severity, ValidateOptions, validate};
use argot_tests::fixtures;

fn traced(def: PipelineDef) -> Pipeline {
    def.trace("/usr/local/bin/argot-fixtures")
        .unwrap_or_else(|d| panic!("{} does not trace: {d}", def.name))
        .pipeline
}

fn errors_of(pipeline: &Pipeline) -> Diagnostics {
    match validate(pipeline, &ValidateOptions::default()) {
        Ok(_) => panic!("pipeline `{}` should be invalid", pipeline.name),
        Err(d) => d,
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
    p.tasks[0].after.push(TaskRef::Foreign {
        pipeline: "other".into(),
        task: "task #1".into(),
    });
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
fn a0005_invalid_parameter_name() {
    let mut p = traced(fixtures::fan_out::definition());
    p.params[0].name = "start.value".into();
    if let Some(Argument::PipelineParam(n)) = p.tasks[0].arguments.get_mut("x") {
        *n = "start.value".into();
    }
    assert_eq!(errors_of(&p).codes(), [Code::InvalidName]);
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
    let d = fixtures::two_components_one_name::definition()
        .trace("/bin/x")
        .err()
        .expect("tracing refuses it");
    assert_eq!(d.codes(), [Code::NameCollision]);
    snapshot("A0008-component-collision", &d);
}

#[test]
fn a0009_native_tasks_need_an_image() {
    let p = traced(fixtures::no_image::definition());
    let d = errors_of(&p);
    assert_eq!(d.codes(), [Code::NoImage]);
    snapshot("A0009-no-image", &d);
    // `--image` fixes it.
    assert!(
        validate(
            &p,
            &ValidateOptions {
                image: Some("example.com/x:1".into())
            }
        )
        .is_ok()
    );
}

#[test]
fn a0010_constant_argo_would_substitute() {
    let d = errors_of(&traced(fixtures::braces_constant::definition()));
    assert_eq!(d.codes(), [Code::BadValue]);
    snapshot("A0010-braces", &d);
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
fn every_code_is_documented_and_tested_here() {
    let source = include_str!("diagnostics.rs");
    for code in Code::ALL {
        assert!(!code.explain().is_empty() && !code.title().is_empty());
        let test_prefix = format!("fn {}_", code.as_str().to_lowercase());
        assert!(
            source.contains(&test_prefix),
            "no test for {code} (expected a test named `{test_prefix}…`)"
        );
    }
}

#[test]
fn a_valid_pipeline_has_no_diagnostics() {
    let p = traced(argot_examples::quickstart::quickstart::definition());
    let valid = validate(&p, &ValidateOptions::default()).unwrap();
    assert!(valid.warnings().is_empty());
}
