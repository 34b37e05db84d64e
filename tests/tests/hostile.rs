//! Hostile values: quotes, `{{`, `}}`, `$(…)`, backticks, newlines, NUL, control characters,
//! Unicode line separators, very long strings and YAML 1.1 words, passed as a constant, a
//! pipeline parameter's default, a component input's default, inside a container argument,
//! as a description and as a task name.
//!
//! Each is either refused with the expected diagnostic, or reaches the component byte for
//! byte: the emitted YAML is read back with PyYAML (YAML 1.1, as Argo and kubectl read it) and
//! with serde-saphyr, then Argo's substitution (input values included) and the kubelet's `$`
//! expansion are applied by an independent model (`argot_tests::argo_sim`), and the native
//! component is finally run through the fixture binary with that exact argv and the files
//! Argo would write; a container component must receive the value's wire form.
//!
//! Then the same kind of values flow native → native in a real local run (`run -p`, and a
//! 200 KiB constant that no single argv element could hold).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use argot::emit::argo::{Format, render_manifest, workflow};
use argot::ir::{Argument, CmdArg, Implementation, Piece, Pipeline, PipelineParam};
use argot::{Code, Diagnostics, ValidPipeline, ValidateOptions};
use argot_tests::argo_sim::{Pod, pods, violations};
use argot_tests::fixtures::{self, set_hostile};
use argot_tests::schema::{self, Kind};
use argot_tests::yaml11;
use serde_json::Value;

/// What `compile` checks: validation, then the Argo backend's rules (images, size budget,
/// metadata), since these tests judge the manifests Argo would receive.
fn validate(pipeline: &Pipeline, options: &ValidateOptions) -> Result<ValidPipeline, Diagnostics> {
    argot::emit::argo::validate_and_emit(pipeline.clone(), options).map(|(valid, _)| valid)
}

const BIN: &str = env!("CARGO_BIN_EXE_argot-fixtures");

/// The hostile values, each with a short label for messages.
fn hostile_values() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "  padded  ",
        "'",
        "\"",
        "'\"",
        "\\",
        "\\n",
        "\\0",
        "{{workflow.name}}",
        "{{",
        "}}",
        "{x}",
        "}}{{",
        "{{=1+1}}",
        "{ {",
        "$(rm -rf /)",
        "$(HOME)",
        "$(ARGO_TEMPLATE)",
        "$$",
        "a$$b",
        "$",
        "cost: 5$",
        "${HOME}",
        "$HOME",
        "$()",
        "$(",
        "`id`",
        "$(`id`)",
        "a\nb",
        "\n",
        "\r\n",
        "\r",
        "\t",
        "trailing\n",
        "\n\nleading",
        "\u{0}",
        "a\u{0}b",
        "\u{7f}",
        "\u{1b}[31mred",
        "\u{7}",
        "\u{85}",
        "\u{a0}",
        "\u{2028}",
        "\u{2029}",
        "\u{feff}bom",
        "é",
        "日本語",
        "🦀",
        "\u{202e}rtl",
        "\u{200b}",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Y",
        "true",
        "False",
        "~",
        "null",
        "Null",
        "NULL",
        "0x10",
        "0o17",
        "012",
        "1e5",
        "1_000",
        ".inf",
        "-.inf",
        ".nan",
        "1:20",
        "190:20:30",
        "2001-12-14",
        "- item",
        "key: value",
        "# comment",
        "a #b",
        "&anchor",
        "*alias",
        "!tag",
        "!!str",
        "%directive",
        "@at",
        "|",
        ">",
        "---",
        "...",
        "[a]",
        "{a: 1}",
        "?",
        "-",
        ":",
        ",",
        "--output",
        "-p",
        "--",
        "--param",
        "=",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    v.push("x".repeat(100_000));
    v.push("y".repeat(140_000));
    v.push("z".repeat(300_000));
    v.push("line\n".repeat(5_000));
    v.push("\"'{}$`\\".repeat(1_000));
    v
}

/// What the rules expect for a value the DSL encodes, by where it goes: to a native component
/// (in a file: only the bound on parameter values applies) or inside an argument of a
/// container component (`value=` and the wire form, which has no `{{`, `$` or NUL: only the
/// length of one argument applies).
fn expected_codes(channel: Channel, value: &str) -> BTreeSet<Code> {
    let wire = wire(value);
    let mut codes = BTreeSet::new();
    if wire.len() > 256 * 1024 {
        codes.insert(Code::ParamTooLarge);
        return codes;
    }
    if let Channel::InsideContainerArgument = channel
        && "value=".len() + wire.len() >= 131_072
    {
        codes.insert(Code::ArgvTooLong);
    }
    codes
}

/// The wire form of a `String` value, checked independently of the encoder: nothing Argo or
/// the kubelet recognises, and it decodes to the value.
fn wire(value: &str) -> String {
    let w = argot::value::encode(&value.to_owned()).unwrap();
    assert!(
        !w.contains("{{") && !w.contains('$') && !w.contains('\0'),
        "{:?}",
        excerpt(&w)
    );
    assert_eq!(argot::value::decode::<String>(&w).unwrap(), value);
    w
}

/// What an independent reading of the rules expects for text written into a command: `$` is
/// escaped, so only `{{`, NUL and length matter.
fn expected_literal_codes(value: &str) -> BTreeSet<Code> {
    let mut codes = BTreeSet::new();
    if value.contains('\0') || value.contains("{{") {
        codes.insert(Code::BadValue);
    }
    if value.len() >= 131_072 {
        codes.insert(Code::ArgvTooLong);
    }
    codes
}

fn traced(def: argot::PipelineDef) -> Pipeline {
    def.trace("/usr/local/bin/argot-fixtures")
        .unwrap_or_else(|d| panic!("{d}"))
        .pipeline
}

/// How a value enters a pipeline.
#[derive(Clone, Copy, Debug)]
enum Channel {
    Constant,
    PipelineDefault,
    ComponentDefault,
    InsideContainerArgument,
    /// Written into a container component's command (argot's own text, escaped for the kubelet).
    ContainerLiteral,
}

fn pipeline_for(channel: Channel, value: &str) -> Pipeline {
    set_hostile(value);
    match channel {
        Channel::Constant => traced(fixtures::hostile_constant::definition()),
        Channel::PipelineDefault => {
            let mut p = traced(fixtures::hostile_constant::definition());
            p.params.push(PipelineParam {
                name: "message".into(),
                rust_type: "String".into(),
                schema: argot::schema::TypeSchema::Text,
                default: Some(wire(value)),
            });
            p.tasks[0]
                .arguments
                .insert("message".into(), Argument::PipelineParam("message".into()));
            p
        }
        Channel::ComponentDefault => {
            let mut p = traced(fixtures::hostile_constant::definition());
            p.tasks[0].arguments.shift_remove("message");
            p.components["echo"].inputs[0].default = Some(wire(value));
            p
        }
        Channel::InsideContainerArgument => traced(fixtures::hostile_in_text::definition()),
        Channel::ContainerLiteral => {
            set_hostile("fine");
            let mut p = traced(fixtures::hostile_in_text::definition());
            if let Implementation::Container(c) = &mut p.components["labelled"].implementation {
                c.args[0] = CmdArg(vec![Piece::Literal(value.to_owned())]);
            }
            p
        }
    }
}

/// The argv element a container component's value must arrive as, and its index.
fn expected_argv(channel: Channel, value: &str) -> (usize, String) {
    match channel {
        Channel::ContainerLiteral => (2, value.to_owned()),
        _ => (2, format!("value={}", wire(value))),
    }
}

struct Accepted {
    channel: Channel,
    value: String,
    yaml: String,
    json: Value,
}

fn render(valid: &ValidPipeline) -> (String, Value) {
    let wf = workflow(valid);
    let yaml = render_manifest(&wf, Format::Yaml).unwrap();
    let json: Value = serde_json::from_str(&render_manifest(&wf, Format::Json).unwrap()).unwrap();
    (yaml, json)
}

/// Checks what every accepted manifest must satisfy, whichever reader reads it.
fn check_reading(what: &str, yaml: &str, json: &Value, yaml11: Option<&Value>) {
    let saphyr: Value =
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{what}: serde-saphyr: {e}"));
    assert_eq!(&saphyr, json, "{what}: YAML and JSON differ");
    if let Some(v) = yaml11 {
        assert_eq!(v, json, "{what}: a YAML 1.1 reader sees different data");
    }
    schema::assert_valid(Kind::Workflow, json);
    let v = violations(json);
    assert!(v.is_empty(), "{what}: Argo would refuse:\n{}", v.join("\n"));
}

#[test]
fn hostile_values_are_refused_or_reach_the_container_byte_for_byte() {
    let mut accepted = Vec::new();
    let mut refused = 0;
    for value in hostile_values() {
        for channel in [
            Channel::Constant,
            Channel::PipelineDefault,
            Channel::ComponentDefault,
            Channel::InsideContainerArgument,
            Channel::ContainerLiteral,
        ] {
            let expected = match channel {
                Channel::ContainerLiteral => expected_literal_codes(&value),
                _ => expected_codes(channel, &value),
            };
            let what = format!("{channel:?} {:?}", excerpt(&value));
            let p = pipeline_for(channel, &value);
            match validate(&p, &ValidateOptions::default()) {
                Ok(valid) => {
                    assert!(
                        expected.is_empty(),
                        "{what}: accepted, but {expected:?} was expected"
                    );
                    let (yaml, json) = render(&valid);
                    accepted.push(Accepted {
                        channel,
                        value: value.clone(),
                        yaml,
                        json,
                    });
                }
                Err(d) => {
                    let codes: BTreeSet<Code> = d.codes().into_iter().collect();
                    assert_eq!(codes, expected, "{what}: refused with\n{d}");
                    refused += 1;
                }
            }
        }
    }
    assert!(
        refused > 0 && accepted.len() > 200,
        "{refused} refused, {} accepted",
        accepted.len()
    );

    let documents: Vec<String> = accepted.iter().map(|a| a.yaml.clone()).collect();
    let yaml11 = yaml11::parse_all(&documents);
    let dir = tempfile::tempdir().unwrap();
    for (i, a) in accepted.iter().enumerate() {
        let what = format!("{:?} {:?}", a.channel, excerpt(&a.value));
        check_reading(&what, &a.yaml, &a.json, yaml11.as_ref().map(|v| &v[i]));
        let read = yaml11.as_ref().map_or(&a.json, |v| &v[i]);
        let pods = pods(read, &BTreeMap::new(), &mut |_, _| None);
        if let Channel::PipelineDefault = a.channel {
            assert_eq!(
                read["spec"]["arguments"]["parameters"][0]["value"],
                Value::from(wire(&a.value))
            );
        }
        match a.channel {
            Channel::Constant | Channel::PipelineDefault | Channel::ComponentDefault => {
                run_native(&what, &pods["echo"], &a.value, dir.path());
            }
            Channel::InsideContainerArgument | Channel::ContainerLiteral => {
                let (index, expected) = expected_argv(a.channel, &a.value);
                assert_eq!(
                    pods["labelled"].argv[index], expected,
                    "{what}: the container would receive another argument"
                );
            }
        }
    }
}

/// Runs the native component as its container would be run (argv and the files Argo writes,
/// moved into `dir`) and checks the function saw `value` (its output is the value, encoded).
fn run_native(what: &str, pod: &Pod, value: &str, dir: &Path) {
    let place = |path: &str| match path.strip_prefix("/tmp/argot/") {
        Some(rest) => dir.join(rest).display().to_string(),
        None => path.to_owned(),
    };
    for (path, content) in &pod.files {
        let file = place(path);
        std::fs::create_dir_all(Path::new(&file).parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
    }
    let args: Vec<String> = pod.argv[1..].iter().map(|a| place(a)).collect();
    assert!(
        args.iter().all(|a| a.len() < 4096),
        "{what}: a value travels in argv"
    );
    let run = Command::new(BIN)
        .args(&args)
        .output()
        .expect("the fixture binary runs");
    assert!(
        run.status.success(),
        "{what}: the component refused its argv: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let got = std::fs::read_to_string(dir.join("outputs/output")).unwrap();
    let got = argot::value::decode::<String>(got.strip_suffix('\n').unwrap_or(&got)).unwrap();
    assert!(
        got == value,
        "{what}: the component received {:?}",
        excerpt(&got)
    );
}

#[test]
fn hostile_descriptions_and_task_names_are_refused_or_kept_exactly() {
    let mut documents = Vec::new();
    let mut expected = Vec::new();
    for value in hostile_values() {
        // As a description (the workflow's description annotation).
        let mut p = traced(fixtures::fan_out::definition());
        p.description = Some(value.clone());
        match validate(&p, &ValidateOptions::default()) {
            Ok(valid) => {
                assert!(
                    value.len() <= 256 * 1024,
                    "{:?}: over the annotation limit, accepted",
                    excerpt(&value)
                );
                let (yaml, json) = render(&valid);
                documents.push(yaml);
                expected.push((json, "description", value.clone()));
            }
            Err(d) => {
                assert!(
                    value.len() > 256 * 1024,
                    "{:?}: refused as a description:\n{d}",
                    excerpt(&value)
                );
                assert_eq!(d.codes(), [Code::InvalidMetadata]);
            }
        }
        // As a task name given with `.name(…)`.
        let mut p = traced(fixtures::fan_out::definition());
        p.tasks[0].name = value.clone();
        p.tasks[0].named_by_user = true;
        let argo_ok = value.len() <= 128
            && value.starts_with(|c: char| c.is_ascii_alphabetic())
            && value
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-')
            && !(value.starts_with("step-")
                && value[5..]
                    .parse::<u32>()
                    .is_ok_and(|n| (2..=5).contains(&n)));
        match validate(&p, &ValidateOptions::default()) {
            Ok(valid) => {
                assert!(argo_ok, "{:?}: accepted as a task name", excerpt(&value));
                let (yaml, json) = render(&valid);
                documents.push(yaml);
                expected.push((json, "task", value.clone()));
            }
            Err(d) => {
                assert!(
                    !argo_ok,
                    "{:?}: refused as a task name:\n{d}",
                    excerpt(&value)
                );
                assert!(
                    d.codes()
                        .iter()
                        .all(|c| matches!(c, Code::InvalidName | Code::NameCollision)),
                    "{d}"
                );
            }
        }
    }
    let yaml11 = yaml11::parse_all(&documents);
    for (i, (json, kind, value)) in expected.iter().enumerate() {
        let what = format!("{kind} {:?}", excerpt(value));
        check_reading(&what, &documents[i], json, yaml11.as_ref().map(|v| &v[i]));
        let read = yaml11.as_ref().map_or(json, |v| &v[i]);
        let found = match *kind {
            "description" => &read["metadata"]["annotations"]["workflows.argoproj.io/description"],
            _ => &read["spec"]["templates"][0]["dag"]["tasks"][0]["name"],
        };
        assert_eq!(found, &Value::from(value.clone()), "{what}");
    }
}

fn excerpt(s: &str) -> String {
    let e: String = s.chars().take(24).collect();
    if e.len() < s.len() {
        format!("{e}… ({} bytes)", s.len())
    } else {
        e
    }
}

/// Reads the output parameter `output` of each task of the only run under `workdir`, decoded as
/// a `String`.
fn run_outputs(workdir: &Path) -> BTreeMap<String, String> {
    let run = std::fs::read_dir(workdir)
        .unwrap()
        .next()
        .expect("one run folder")
        .unwrap()
        .path();
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&run).unwrap() {
        let path = entry.unwrap().path();
        let output = path.join("outputs/output");
        if output.is_file() {
            let text = std::fs::read_to_string(&output).unwrap();
            let text = text.strip_suffix('\n').unwrap_or(&text);
            out.insert(
                path.file_name().unwrap().to_string_lossy().into_owned(),
                argot::value::decode::<String>(text).unwrap(),
            );
        }
    }
    out
}

/// `argot run <pipeline> [-p <param>] --no-cache` with its workdir and store under `dir`, and
/// `runtime` as the container runtime (none: unset); checks that it succeeds, returns the workdir.
fn local_run(dir: &Path, pipeline: &str, param: Option<&str>, runtime: Option<&str>) -> PathBuf {
    let workdir = dir.join("runs");
    let mut run = Command::new(BIN);
    run.args(["run", pipeline]);
    if let Some(param) = param {
        run.args(["-p", param]);
    }
    run.arg("--no-cache")
        .arg("--workdir")
        .arg(&workdir)
        .arg("--store")
        .arg(dir.join("metadata.db"));
    match runtime {
        Some(runtime) => run.env("ARGOT_CONTAINER_RUNTIME", runtime),
        None => run.env_remove("ARGOT_CONTAINER_RUNTIME"),
    };
    let out = run.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    workdir
}

#[test]
fn hostile_values_flow_native_to_native_in_a_local_run() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "$(HOME) and $$ and {{workflow.uid}} and {{workflow.parameters.text}}\nsecond line\n";
    let workdir = local_run(
        dir.path(),
        "hostile_chain",
        Some(&format!("text={text}")),
        None,
    );
    let outputs = run_outputs(&workdir);
    let big = fixtures::big_hostile_text();
    assert!(big.len() >= 200 * 1024 && big.contains("$(HOME)") && big.contains("{{workflow.uid}}"));
    assert_eq!(outputs.len(), 4, "{:?}", outputs.keys());
    for (task, expected) in [
        ("mirror-text", text),
        ("text-again", text),
        ("big", big.as_str()),
        ("big-again", big.as_str()),
    ] {
        assert!(
            outputs[task] == expected,
            "task `{task}` returned {:?}",
            excerpt(&outputs[task])
        );
    }
}

/// The same 200 KiB constant compiles, and reaches the component through Argo's model.
#[test]
fn a_200_kib_hostile_constant_reaches_the_component_through_the_manifest() {
    let p = traced(fixtures::hostile_chain::definition());
    let valid = validate(&p, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let (_, json) = render(&valid);
    let submitted = BTreeMap::from([("text".to_owned(), wire("{{workflow.uid}} $(HOME) $$"))]);
    let pods = pods(&json, &submitted, &mut |_, _| None);
    let dir = tempfile::tempdir().unwrap();
    run_native(
        "big",
        &pods["big"],
        &fixtures::big_hostile_text(),
        &dir.path().join("big"),
    );
    run_native(
        "text",
        &pods["mirror-text"],
        "{{workflow.uid}} $(HOME) $$",
        &dir.path().join("text"),
    );
}

/// A container component's output is text argot does not control: on its way to a consumer,
/// Argo substitutes `{{workflow.…}}` in it (`SubstituteParams`), and in a container's argv the
/// kubelet expands `$$` (and `$(VAR)` for the variables the container has). The local run must
/// show the same value a cluster would, not a cleaner one.
#[test]
fn a_container_output_is_rewritten_locally_as_argo_and_the_kubelet_would() {
    let dir = tempfile::tempdir().unwrap();
    let workdir = local_run(
        dir.path(),
        "uncontrolled",
        None,
        Some(env!("CARGO_BIN_EXE_argot-fake-runtime")),
    );
    let run = std::fs::read_dir(&workdir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let run_id = run.file_name().unwrap().to_str().unwrap().to_owned();
    let output = |task: &str| {
        std::fs::read_to_string(run.join(task).join("outputs/out"))
            .or_else(|_| std::fs::read_to_string(run.join(task).join("outputs/output")))
            .unwrap()
    };
    assert_eq!(
        output("plain-output"),
        "{{workflow.name}} {{workflow.parameters.tag}} $(HOME) $$ {{nope}}"
    );
    assert_eq!(
        argot::value::decode::<String>(&output("mirror-text")).unwrap(),
        format!("{run_id} t1 $(HOME) $$ {{{{nope}}}}"),
        "a native consumer reads the value from a file: only Argo rewrites it"
    );
    assert_eq!(
        output("seen-in-argv"),
        format!("{run_id} t1 $(HOME) $ {{{{nope}}}}"),
        "a container consumer gets it in argv: Argo, then the kubelet rewrite it"
    );
}

/// Argo's evaluation of an expression argot places in a resource step's manifest (`{{=…}}`),
/// modelled from expr-lang (`startsWith`, `?:`, `fromJSON` parses JSON, `int` parses a decimal
/// integer) and Argo's environment (`asInt` is expr's `int`, `sprig.quote` is Go's `strconv.Quote`, [`argot::value::go_quote`]), given
/// the template's input values. `None` when the evaluation fails: Argo then leaves the
/// expression where it is (`expressionReplaceCore` with unresolved allowed). Every form the
/// emitter writes must be known here.
fn placed_expression(expression: &str, inputs: &BTreeMap<&str, String>) -> Option<String> {
    let input = |s: &'static str, rest: &str| -> (String, String) {
        let (name, tail) = rest
            .strip_prefix("inputs.parameters['")
            .and_then(|r| r.split_once("']"))
            .unwrap_or_else(|| panic!("{s}: an unknown expression {expression:?}"));
        (name.to_owned(), tail.to_owned())
    };
    if let Some(rest) = expression.strip_prefix("asInt(") {
        let (name, tail) = input("asInt", rest);
        assert_eq!(tail, ")", "{expression}");
        return inputs[name.as_str()]
            .parse::<i64>()
            .ok()
            .map(|n| n.to_string());
    }
    // expr's `float` is Go's `strconv.ParseFloat`; `json.Marshal` refuses NaN and infinities.
    if let Some(rest) = expression.strip_prefix("asFloat(") {
        let (name, tail) = input("asFloat", rest);
        assert_eq!(tail, ")", "{expression}");
        let x: f64 = inputs[name.as_str()].parse().ok()?;
        return x.is_finite().then(|| serde_json::to_string(&x).unwrap());
    }
    if expression.starts_with("inputs.parameters['") && expression.ends_with(" == 'true'") {
        let (name, tail) = input("==", expression);
        assert_eq!(tail, " == 'true'", "{expression}");
        return Some((inputs[name.as_str()] == "true").to_string());
    }
    let rest = expression
        .strip_prefix("sprig.quote(")
        .unwrap_or_else(|| panic!("an unknown expression {expression:?}"));
    let (name, tail) = input("sprig.quote", rest);
    assert_eq!(
        tail,
        format!(
            " startsWith '\"' ? fromJSON(inputs.parameters['{name}']) : inputs.parameters['{name}'])"
        ),
        "{expression}"
    );
    let x = &inputs[name.as_str()];
    let v: String = if x.starts_with('"') {
        serde_json::from_str(x).ok()?
    } else {
        x.clone()
    };
    Some(argot::value::go_quote(&v))
}

/// A value of the run placed in a resource step's object (the `distributed_training`
/// example's claim size, a `Param<String>`) arrives in the object exactly, and nothing else
/// of the object changes, whatever the value: Argo's substitution and evaluation of the placed
/// expression are modelled independently ([`placed_expression`], `argo_sim::substitute`),
/// and the result is read as YAML 1.1 (PyYAML, as kubectl reads it) and by serde-saphyr. An
/// integer (the worker count) arrives as a number; one that is not a number leaves the
/// manifest unreadable as that object instead of changing it.
#[test]
fn hostile_values_placed_in_a_resource_object_arrive_exactly() {
    let p = traced(argot_examples::distributed_training::distributed_training::definition());
    let valid = validate(&p, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let (_, json) = render(&valid);
    let template = |name: &str| {
        json["spec"]["templates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("template {name}"))
            .clone()
    };
    let as_written = |component: &str| -> Value {
        match &p.components[component].implementation {
            Implementation::Resource(r) => serde_saphyr::from_str(&r.manifest).unwrap(),
            other => panic!("{other:?}"),
        }
    };
    let claim = template("create-data");
    assert_eq!(claim["inputs"]["parameters"][0]["name"], "storage");
    let manifest = claim["resource"]["manifest"].as_str().unwrap().to_owned();
    let evaluate = |manifest: &str, inputs: &BTreeMap<&str, String>| {
        argot_tests::argo_sim::substitute(manifest, &mut |tag| {
            tag.strip_prefix('=')
                .and_then(|e| placed_expression(e, inputs))
        })
    };
    let mut texts = Vec::new();
    let mut expected = Vec::new();
    for value in hostile_values() {
        let inputs = BTreeMap::from([("storage", wire(&value))]);
        let text = evaluate(&manifest, &inputs);
        let mut object = as_written("create-data");
        object["spec"]["resources"]["requests"]["storage"] = Value::String(value.clone());
        let read: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "{:?}: serde-saphyr: {e}\n{}",
                excerpt(&value),
                excerpt(&text)
            )
        });
        assert_eq!(read, object, "{:?}", excerpt(&value));
        texts.push(text);
        expected.push(object);
    }
    if let Some(read) = yaml11::parse_all(&texts) {
        for (read, object) in read.iter().zip(&expected) {
            assert_eq!(read, object, "a YAML 1.1 reader sees different data");
        }
    }

    let train = template("train");
    let manifest = train["resource"]["manifest"].as_str().unwrap().to_owned();
    for workers in [0_i64, 3, 1 << 40] {
        let inputs = BTreeMap::from([("replicas", workers.to_string())]);
        let read: Value = serde_saphyr::from_str(&evaluate(&manifest, &inputs)).unwrap();
        let mut object = as_written("train");
        object["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] = Value::from(workers);
        assert_eq!(read, object);
    }
    for garbage in ["two", "2\nkind: Secret", "\"2\""] {
        let inputs = BTreeMap::from([("replicas", garbage.to_owned())]);
        let text = evaluate(&manifest, &inputs);
        assert!(text.contains("{{=asInt("), "{text}");
        if let Ok(read) = serde_saphyr::from_str::<Value>(&text) {
            assert!(
                !read["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"].is_number()
                    && read["kind"] == "PyTorchJob",
                "{text}"
            );
        }
    }
}

mod object_values {
    use argot::kubernetes::ResourceStep;
    use argot::prelude::*;

    /// A resource step placing a float and a bool in a `DynamicObject`-like object.
    #[pipeline(image = "example.com/fixtures:1.0")]
    pub fn tuned(#[default(0.5)] ratio: Param<f64>, #[default(false)] paused: Param<bool>) {
        let object = serde_json::json!({
            "apiVersion": "example.com/v1",
            "kind": "Tuning",
            "metadata": { "name": "tuning" },
            "spec": { "ratio": 1.0, "paused": true, "note": "kept" }
        });
        ResourceStep::apply("tune", &object)
            .value_at("/spec/ratio", ratio)
            .value_at("/spec/paused", paused)
            .add();
    }
}

/// A float and a bool placed in an object arrive as a JSON number and a boolean; the rest of the
/// object is unchanged. Go writes a float below 1e-6 or from 1e21 with an exponent and no point
/// (`1e-07`), which kubectl's YAML reader (go-yaml's `yamlStyleFloat`) and YAML 1.2 read as a
/// number but a strict YAML 1.1 reader (PyYAML) as text: the YAML 1.1 check skips those.
#[test]
fn floats_and_bools_placed_in_a_resource_object_arrive_typed() {
    let p = traced(object_values::tuned::definition());
    let valid = validate(&p, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let (_, json) = render(&valid);
    let manifest = json["spec"]["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "tune")
        .unwrap()["resource"]["manifest"]
        .as_str()
        .unwrap()
        .to_owned();
    for (ratio, paused) in [("0.25", "true"), ("3", "false"), ("1e-7", "false")] {
        let inputs = BTreeMap::from([("ratio", ratio.to_owned()), ("paused", paused.to_owned())]);
        let text = argot_tests::argo_sim::substitute(&manifest, &mut |tag| {
            tag.strip_prefix('=')
                .and_then(|e| placed_expression(e, &inputs))
        });
        let ratio: f64 = ratio.parse().unwrap();
        let read: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(read["spec"]["ratio"].as_f64(), Some(ratio), "{text}");
        assert_eq!(read["spec"]["paused"], paused == "true", "{text}");
        assert_eq!(read["spec"]["note"], "kept");
        assert_eq!(read["kind"], "Tuning");
        if let Some(read) = yaml11::parse(&text).filter(|_| !text.contains("e-")) {
            assert_eq!(read["spec"]["ratio"].as_f64(), Some(ratio), "{text}");
            assert_eq!(read["spec"]["paused"], paused == "true", "{text}");
        }
    }
}
