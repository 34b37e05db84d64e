//! Coded diagnostics: every rule the validator (or the tracer) enforces has a stable code, a
//! message naming the pipeline, task and input involved, a `help:` line saying what to do, and
//! a longer explanation (`explain CODE`).
//!
//! # The rule table
//!
//! [`codes!`](Code) below is the single list of rules. Each entry declares the code, its
//! default severity, a title, the Argo or Kubernetes source it ports (or why argot adds it),
//! the name of the test that proves it fires, and the explanation. `RULES.md` at the repository
//! root is generated from this table ([`rules_markdown`]) and a test keeps the two in step.
//!
//! To add a rule when a construct arrives (conditions, loops, exit handlers, pod settings):
//! 1. add an entry here with the next free code — existing codes never change meaning;
//! 2. implement the check as a method of the checker in the matching `rules/` module (or a new
//!    one), emitting `Diagnostic`s with that code;
//! 3. add a test named after the code (`aNNNN_…`) in `tests/tests/diagnostics.rs` with a
//!    snapshot under `golden/diagnostics/`;
//! 4. regenerate the table in `RULES.md` (`ARGOT_BLESS=1 cargo test -p argot-tests --test diagnostics rules_md`).

use std::fmt;

use serde::Serialize;

use crate::ir::SourceLocation;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Reported, but the pipeline is still valid (unless warnings are denied).
    Warning,
    /// The pipeline is invalid.
    Error,
}

impl Severity {
    /// `error` or `warning`, as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $code:literal, $severity:ident, $title:literal,
            source: $source:literal,
            test: $test:literal,
            $explain:literal;
    )*) => {
        /// The stable code of a rule.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as written in messages (`A0001`).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short title of the rule.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }

            /// The severity a diagnostic of this code has unless `--deny` raises it.
            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// Where the rule comes from: the Argo or Kubernetes file and function it ports, or
            /// why argot adds it.
            pub fn source(self) -> &'static str {
                match self { $(Code::$variant => $source,)* }
            }

            /// The name of the test function that proves the rule fires.
            pub fn test(self) -> &'static str {
                match self { $(Code::$variant => $test,)* }
            }

            /// The longer explanation: why the rule exists and how to fix a violation.
            pub fn explain(self) -> &'static str {
                match self { $(Code::$variant => $explain,)* }
            }

            /// Looks a code up by its text (`A0001`, case-insensitive).
            pub fn parse(text: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(text))
            }
        }
    };
}

codes! {
    /// Tasks depend on each other in a cycle.
    Cycle = "A0001", Error, "dependency cycle",
        source: "argo-workflows v4.1 `workflow/validate/validate.go`: `verifyNoCycles`, `sortDAGTasks`",
        test: "a0001_cycle_names_every_task_on_it",
        "Argo runs a DAG task only after every task it depends on, so tasks that depend on each \
         other in a cycle can never start. Argo rejects such a workflow at submit time. The \
         message names every task on the cycle; remove one of the edges (a data argument or an \
         `.after(…)` call).";
    /// A required input has no argument.
    UnboundInput = "A0002", Error, "required input not bound",
        source: "argo-workflows v4.1 `workflow/common/util.go`: `ProcessArgs` (\"inputs.parameters.X was not supplied\")",
        test: "a0002_unbound_required_input",
        "Every input of a component without a default must receive a value: a constant, a \
         pipeline parameter or another task's output. Otherwise Argo fails the task when it \
         resolves `{{inputs.parameters.…}}`. Pass the input when calling the component, or give \
         it a default with `#[default(…)]` on the component's argument.";
    /// An argument or `.after` refers to a task of another pipeline.
    ForeignTask = "A0003", Error, "reference to a task of another pipeline",
        source: "argot (IR integrity); Argo's counterpart is `validateDAG` in `workflow/validate/validate.go` (\"dependency 'X' not defined\")",
        test: "a0003_task_of_another_pipeline",
        "A task handle belongs to the pipeline whose body created it. Using it in another \
         pipeline would wire an edge to a task that does not exist there. Create the task inside \
         the pipeline that uses it (a helper function called from both pipeline bodies works).";
    /// Two tasks have the same name.
    DuplicateTask = "A0004", Error, "duplicate task name",
        source: "argo-workflows v4.1 `workflow/validate/validate.go`: `validateWorkflowFieldNames` on `dag.tasks` (\"is not unique\")",
        test: "a0004_duplicate_task_names",
        "Task names must be unique within a pipeline: Argo addresses outputs as \
         `tasks.<name>.outputs…`. Names given with `.name(…)` are used as written; rename one of \
         the tasks.";
    /// A name breaks Kubernetes or Argo naming rules.
    InvalidName = "A0005", Error, "invalid name",
        source: "argo-workflows v4.1 `workflow/validate/validate.go`: `isValidWorkflowFieldName` (`[a-zA-Z0-9][-a-zA-Z0-9]*`, at most 128), `validateDAG` (no leading digit with `depends`), `isValidParamOrArtifactName` (`^[-a-zA-Z0-9_]+$`), `maxCharsInObjectName` (63); Kubernetes `apiserver/pkg/storage/names/generate.go` (`generateName` appends 5 characters)",
        test: "a0005_invalid_task_name",
        "Argo and Kubernetes restrict names. Task names start with a letter (a leading digit \
         breaks `depends` expressions), then letters, digits and `-`, at most 128 characters. \
         Parameter and artifact names match `^[-a-zA-Z0-9_]+$`. A workflow name is at most 63 \
         characters including the 5 random characters `generateName` adds (argot shortens the \
         pipeline name for you; a CronWorkflow name is at most 52, a WorkflowTemplate name 63). \
         Component names reach the container's command line and may not be empty or contain \
         control characters. Rename the item.";
    /// A pipeline has no tasks.
    EmptyPipeline = "A0006", Error, "empty pipeline",
        source: "argo-workflows v4.1 `workflow/validate/validate.go`: `validateDAG` (\"must have at least one task\")",
        test: "a0006_empty_pipeline",
        "A pipeline with no tasks compiles to a DAG with no tasks, which Argo rejects. Call at \
         least one component in the pipeline body.";
    /// An argument does not match the component's inputs.
    BadArgument = "A0007", Error, "argument does not match the component",
        source: "argo-workflows v4.1 `workflow/common/util.go`: `ProcessArgs`; `workflow/validate/validate.go`: `validateArgumentsValues`; argot's typed inputs",
        test: "a0007_argument_of_the_wrong_kind",
        "Each argument must name an input of the component and have its kind: parameters feed \
         parameters, artifacts feed artifacts. The DSL's types prevent this; it appears when the \
         IR is built by other means.";
    /// Two different things got the same name after mangling.
    NameCollision = "A0008", Error, "name collision",
        source: "argo-workflows v4.1 `workflow/validate/validate.go`: `validateWorkflowFieldNames` on `spec.templates` and `dag.tasks` (\"is not unique\"); argot's namer (`namer.rs`)",
        test: "a0008_pipeline_and_component_share_a_template_name",
        "Argo templates are named after components (one template per distinct component), and \
         tasks not named with `.name(…)` are named after their component. Two different \
         components with the same name, names that become equal once made valid for \
         Kubernetes, or a generated task name that another task took with `.name(…)`, would \
         overwrite each other. A pod also runs a native component by name (`component \
         NAME`), so two native component functions of one binary may not share a name even \
         when a pipeline calls only one of them. The message names both sources; rename one \
         with `#[component(name = \"…\")]` or `.name(\"…\")`.";
    /// Native tasks have no image to run in.
    NoImage = "A0009", Error, "no image",
        source: "argo-workflows v4.1 `workflow/validate/validate.go`: `validateLeaf` (\"container.image may not be empty\")",
        test: "a0009_native_tasks_need_an_image",
        "Every container needs an image. Native components run as the pipeline's own binary \
         inside the pipeline's image: set it with `#[pipeline(image = \"registry/name:tag\")]` or \
         pass `--image` to `compile`. A container component names its image in \
         `Container::new(\"…\")`.";
    /// A value Argo or Kubernetes would not pass through unchanged.
    BadValue = "A0010", Error, "value that would not reach the container unchanged",
        source: "argo-workflows v4.1 `util/template` (`{{…}}` substitution) and `workflow/validate/validate.go` `resolveAllVariables`; Kubernetes `third_party/forked/golang/expansion/expand.go` (`$(VAR)` and `$$` in command and args); execve(2) (no NUL in argv)",
        test: "a0010_command_text_argo_would_substitute",
        "On its way to the container a value passes through two rewriters. Argo substitutes \
         `{{…}}` expressions in every string of a template, values included (`SubstituteParams` \
         runs after the inputs are filled in). The kubelet then expands `$(NAME)` in a \
         container's command and arguments when `NAME` is an environment variable of the \
         container (Argo and Kubernetes define many) and turns `$$` into `$`. argot escapes \
         what it writes: values (constants, defaults, `-p` values, native outputs) travel in a \
         wire form with `{`, `}` and `$` written as JSON `\\u` escapes, native components read \
         them from files, and `$` in command text is written `$$`. What is refused is what argot \
         cannot escape: `{{` in the text of a container component's command, text and a value \
         that together form `{{`, `$(NAME)` or `$$`, a NUL character in a command line, and \
         values in the IR that argot's encoder did not write. Bind such text to an input (a \
         constant or `-p`): argot escapes values. A native component decodes the value; a \
         container component receives the escaped wire form (a JSON string literal when the \
         text has `{`, `}` or `$`) and decodes it itself.";
    /// A reference to something that does not exist.
    UnknownReference = "A0011", Error, "reference to something that does not exist",
        source: "argo-workflows v4.1 `workflow/validate/validate.go`: `resolveAllVariables` (\"failed to resolve {{…}}\")",
        test: "a0011_reference_to_a_missing_output_or_parameter",
        "An argument names a pipeline parameter or a task output that does not exist, or a \
         container component's command uses an input or output the component does not have. \
         Argo would refuse the unresolved `{{…}}` reference. The DSL's types prevent this; it \
         appears when the IR is built by other means.";
    /// An image with no pinned version.
    MutableImage = "A0012", Warning, "image without a pinned version",
        source: "argot reviewer warning; Kubernetes docs \"Images: image pull policy\" (`:latest` or no tag implies `Always`)",
        test: "a0012_unpinned_image_is_a_warning",
        "An image with no tag, or tagged `:latest`, can change between runs, so the same \
         pipeline may run different code and cached results may not match. Pin a version tag or \
         a digest.";
    /// The manifest is larger than the size budget.
    ManifestTooLarge = "A0013", Error, "manifest over the size budget",
        source: "argo-workflows v4.1 `workflow/packer/packer.go`: `getSize`, `IsLargeWorkflow` (`MAX_WORKFLOW_SIZE`, default 1 MiB of JSON); etcd `--max-request-bytes` (1.5 MiB)",
        test: "a0013_manifest_over_the_budget_names_its_largest_parts",
        "Argo refuses to run a Workflow whose JSON is larger than its `MAX_WORKFLOW_SIZE` \
         (1 MiB by default), and etcd refuses any object over 1.5 MiB, so a pipeline that is \
         too large fails at submit time or, worse, once its status grows. argot measures the \
         emitted manifest as compact JSON, as Argo does, against a budget (1 MiB unless \
         `--max-manifest-bytes` says otherwise). The message lists the largest contributors. \
         Pass large values as artifacts, split a pipeline with thousands of tasks into several, \
         or let one task process a batch of items. Raise the budget only if your controller's \
         `MAX_WORKFLOW_SIZE` is higher.";
    /// A parameter value is larger than the parameter bound.
    ParamTooLarge = "A0014", Error, "parameter value too large",
        source: "argot policy: Argo stores parameter values inline in the Workflow object and copies them into each pod (argument and `ARGO_TEMPLATE` environment variable); Argo docs recommend artifacts for large data",
        test: "a0014_parameter_value_over_the_bound",
        "Parameters are for small values: Argo keeps every parameter value inside the Workflow \
         object (which has a size limit, see A0013) and copies it into each pod that uses it. \
         A constant or default larger than the bound (256 KiB unless `--max-param-bytes` says \
         otherwise) is refused. Write the value to a file and pass it as an artifact \
         (`Input<Dataset>` / `Output<Dataset>`).";
    /// A value would make one argv element longer than Linux accepts.
    ArgvTooLong = "A0015", Error, "command-line argument too long",
        source: "Linux `include/uapi/linux/binfmts.h`: `MAX_ARG_STRLEN` (32 pages = 128 KiB per argument); execve(2) fails with E2BIG",
        test: "a0015_argument_longer_than_linux_accepts",
        "A container component's parameter reaches it as (part of) one command-line argument, \
         and Linux refuses to start a process with an argument longer than `MAX_ARG_STRLEN` \
         (131,072 bytes including the terminating NUL on 4 KiB pages): the pod would fail with \
         `argument list too long`. Native components read their values from files and are not \
         limited by it (only by `--max-param-bytes`, A0014). Pass such a value to a native \
         component, or as an artifact.";
    /// Two inputs or two outputs of a component share a name.
    DuplicateIoName = "A0016", Error, "duplicate input or output name",
        source: "argo-workflows v4.1 `workflow/validate/validate.go`: `validateWorkflowFieldNames` from `validateInputs` and `validateOutputs` (\"is not unique\"); argot writes every output to one folder (`protocol::OUTPUTS_DIR`)",
        test: "a0016_duplicate_input_or_output_name",
        "Argo requires the names of a template's input parameters, input artifacts, output \
         parameters and output artifacts to be unique, and argot writes output parameters and \
         output artifacts to the same folder, so an output parameter and an output artifact may \
         not share a name either. The DSL prevents this; it appears when the IR is built by \
         other means. Rename one of them.";
    /// An intermediate task produces an output nobody reads.
    UnusedOutput = "A0017", Warning, "unused output",
        source: "argot reviewer warning (graph rule)",
        test: "a0017_unused_output_of_an_intermediate_task",
        "A task that other tasks depend on produces an output that no task reads. It is still \
         computed, written and (for artifacts) uploaded to the artifact repository on every run. \
         Outputs of final tasks (tasks nothing depends on) are the pipeline's results and are \
         not reported. Read the output, drop it from the component, or allow the warning with \
         `--allow A0017`.";
    /// An image reference Kubernetes cannot pull.
    InvalidImage = "A0018", Error, "invalid image reference",
        source: "distribution/reference `regexp.go` grammar (name, tag, digest; name at most 255 characters); kubelet `InvalidImageName`; Kubernetes `validateContainers` (no surrounding whitespace)",
        test: "a0018_invalid_image_reference",
        "An image reference is `[registry[:port]/]path[:tag][@digest]`: lowercase path \
         components separated by `/`, a tag of at most 128 characters from `[A-Za-z0-9_.-]`, a \
         digest such as `sha256:` followed by hex. The API server accepts a malformed reference \
         and the pod then fails with `InvalidImageName`. Fix the reference.";
    /// Labels or annotations Kubernetes would refuse.
    InvalidMetadata = "A0019", Error, "invalid labels or annotations",
        source: "Kubernetes apimachinery `pkg/api/validation/objectmeta.go`: `ValidateAnnotations` (`TotalAnnotationSizeLimitB`, 256 KiB), `pkg/apis/meta/v1/validation`: `ValidateLabels`; `pkg/util/validation`: `IsQualifiedName`, `IsValidLabelValue` (63)",
        test: "a0019_description_over_the_annotation_limit",
        "Kubernetes limits object metadata: label keys are qualified names (an optional DNS \
         prefix, `/`, and a name of at most 63 characters), label values are at most 63 \
         characters of `[A-Za-z0-9_.-]` starting and ending with an alphanumeric, and all \
         annotations of an object together are at most 256 KiB. argot puts the pipeline's doc \
         comment into the `workflows.argoproj.io/description` annotation; shorten it.";
    /// A pipeline parameter has no default.
    RequiredParam = "A0020", Warning, "pipeline parameter without a default",
        source: "argo-workflows v4.1 `workflow/validate/validate.go`: `validateArgumentsValues` (\"spec.arguments.X.value or valueFrom is required\")",
        test: "a0020_pipeline_parameter_without_a_default",
        "Argo refuses a Workflow whose `spec.arguments.parameters` entries have no value, so \
         `compile | kubectl create -f -` fails for a pipeline parameter without a default. \
         `argo submit -p name=value` (or argot's submit with a value) supplies it. Give the \
         parameter a default with `#[default(…)]`, or allow the warning with `--allow A0020` if \
         every submission passes a value.";
    /// The manifest is close to the size budget.
    ManifestNearBudget = "A0021", Warning, "manifest close to the size budget",
        source: "argo-workflows v4.1 `workflow/packer/packer.go`: `CompressWorkflowIfNeeded` (the limit applies to the whole object, status included)",
        test: "a0021_manifest_close_to_the_budget",
        "Argo's size limit applies to the whole Workflow object, including the status it adds \
         for every task while the workflow runs (compressed when large). A manifest that uses \
         more than 80% of the budget leaves little room for that status and may fail midway. \
         Reduce it as for A0013.";
    /// The pipeline function panicked while it was traced.
    TracePanic = "A0022", Error, "the pipeline function panicked while it was traced",
        source: "argot (tracing runs the pipeline function at compile time, as KFP's compiler runs a Python pipeline function)",
        test: "a0022_a_panicking_pipeline_function_is_a_diagnostic",
        "`compile`, `validate`, `run` and `submit` run the pipeline function to record its \
         tasks. If it panics (a failed `unwrap`, an index out of range, a component default \
         that cannot be encoded), there is no pipeline to check or emit. The message shows \
         the panic; run with `RUST_BACKTRACE=1` to see where it happened, and fix the code of \
         the pipeline function or of the component defaults it uses.";
    /// A service account, image pull secret or config map name no object can have.
    InvalidObjectName = "A0023", Error, "invalid service account, secret or config map name",
        source: "Kubernetes `pkg/apis/core/validation/validation.go`: `ValidateServiceAccountName`, `ValidateSecretName`, `ValidateConfigMapName` (all `NameIsDNSSubdomain`, apimachinery `IsDNS1123Subdomain`)",
        test: "a0023_invalid_service_account_secret_or_config_map_name",
        "`service_account`, `image_pull_secrets` and the config map of `artifact_repository_ref` \
         (and their flags) name Kubernetes objects, whose names are DNS-1123 subdomains: at \
         most 253 characters, lowercase letters, digits, `-` and `.`, each dot-separated part \
         starting and ending with a letter or digit. The API server refuses a pod whose \
         service account name is not one; a pull secret or config map with such a name cannot \
         exist, so the pull or the artifact upload fails at run time. Use the object's name as \
         `kubectl get serviceaccount,secret,configmap` prints it.";
    /// The artifact repository's config map key is not a valid key.
    InvalidConfigMapKey = "A0024", Error, "invalid artifact repository key",
        source: "Kubernetes apimachinery `pkg/util/validation/validation.go`: `IsConfigMapKey`; argo-workflows v4.1 `pkg/apis/workflow/v1alpha1/workflow_types.go`: `ArtifactRepositoryRef` (`configMap`, `key`)",
        test: "a0024_invalid_artifact_repository_key",
        "`artifact_repository_ref = \"CONFIGMAP:KEY\"` (or `--artifact-repository-ref`) names a \
         key in the config map that holds the repository. A config map key is at most 253 \
         characters of letters, digits, `-`, `_` and `.`, and is not `.`, `..` or anything \
         starting with `..`; a key outside that cannot exist, and Argo fails the workflow \
         when it looks the repository up. Write the key as the config map has it, or leave \
         `:KEY` out to use the key its `workflows.argoproj.io/default-artifact-repository` \
         annotation names.";
    /// An unknown pod GC strategy.
    InvalidPodGc = "A0025", Error, "unknown pod GC strategy",
        source: "argo-workflows v4.1 `workflow/validate/validate.go`: `ValidateWorkflow` (\"podGC.strategy unknown strategy\"), `pkg/apis/workflow/v1alpha1/workflow_types.go`: `PodGCStrategy.IsValid`",
        test: "a0025_unknown_pod_gc_strategy",
        "`pod_gc` (or `--pod-gc`) says when Argo deletes the pods of finished tasks. Argo knows \
         four strategies, spelt exactly: `OnPodCompletion` and `OnPodSuccess` (each pod as it \
         finishes, or only when it succeeded), `OnWorkflowCompletion` and `OnWorkflowSuccess` \
         (all pods when the workflow finishes, or only when it succeeded). Leave `pod_gc` out \
         to keep every pod; Argo refuses any other value at submit time.";
    /// A ttl or active deadline that is not a length of time.
    InvalidDuration = "A0026", Error, "invalid ttl or active deadline",
        source: "argo-workflows v4.1 `pkg/apis/workflow/v1alpha1/workflow_types.go`: `WorkflowSpec.ActiveDeadlineSeconds`, `TTLStrategy.SecondsAfterCompletion` (integer seconds); `workflow/controller/operator.go`: `getWorkflowDeadline`",
        test: "a0026_invalid_ttl_or_active_deadline",
        "`ttl` (how long a finished workflow is kept) and `active_deadline` (how long it may \
         run) are written as whole seconds (`3600`, or the integer literal `3600` in the \
         attribute) or as hours, minutes and seconds (`1h30m`, `90s`); Argo stores integer \
         seconds, so fractions and milliseconds are refused. An active deadline of 0 is how \
         Argo terminates a running workflow, so it must be at least one second.";
    /// The pod security context would run as root, or names an impossible user.
    InvalidRunAsUser = "A0027", Error, "invalid user for the pods' security context",
        source: "Kubernetes `pkg/apis/core/validation/validation.go`: `validatePodSpecSecurityContext` (`IsValidUserID`, 0 to 2147483647); kubelet `pkg/kubelet/kuberuntime/security_context_others.go`: `verifyRunAsNonRoot` (\"runAsUser breaks non-root policy\")",
        test: "a0027_run_as_root_under_the_secure_defaults",
        "argot's pods run with `runAsNonRoot: true` and the user of `run_as_user` (default \
         65532). User 0 is root, which the kubelet refuses to start under `runAsNonRoot`; a \
         user above 2147483647 is refused by the API server. Pick a non-root user id, or, for \
         an image that must run as root, turn the defaults off with `secure_defaults = false` \
         (or `--no-secure-defaults`).";
    /// A task uses a task of a region it cannot see.
    OutOfScope = "A0028", Error, "a task used outside the region that can see it",
        source: "argot: scopes. Argo resolves `{{tasks.X…}}` only among the tasks of the same DAG template (`resolveAllVariables` in `workflow/validate/validate.go`), and a branch, loop body or exit handler is its own template or may not have run",
        test: "a0028_output_used_outside_its_region",
        "A pipeline is a tree of regions: the body, a conditional branch, a loop body, the \
         exit handler, a sub-pipeline call. A task sees the tasks of its own region and of \
         every region around it. A task inside a branch may not have run, and a loop body's \
         task runs once per item, so their outputs leave the region only through the \
         construct itself (the branch that ran, the loop's collected list, the \
         sub-pipeline's outputs). The exit handler is a template of its own that runs after \
         the body: it sees none of the body's tasks, only the pipeline's parameters and what \
         `on_exit(|run| …)` offers (`run.status()`, `run.failures()`), which in turn only its \
         tasks can read. Move the reading task into the region, or pass the value out through \
         the construct.";
    /// A construct the IR can hold that no backend runs yet.
    UnsupportedConstruct = "A0029", Error, "a construct not yet compiled or run",
        source: "argot: a construct must be emitted for Argo and run locally with the same semantics in the same change; until both exist, validation refuses it for every backend",
        test: "a0029_regions_are_refused_until_the_backends_run_them",
        "Some combinations the IR can hold are not compiled or run yet: a loop inside a \
         called pipeline, a sub-pipeline called inside a loop; a second exit \
         handler, or one inside another construct (Argo has one `spec.onExit`); in a \
         conditional branch, a task \
         waiting on the result (other than \"finished well\") of a task outside it, or a nested \
         condition comparing a task of the branch or loop body around it with a value from \
         further out, a loop's item included (Argo resolves the two in different passes). Validation refuses them, so a pipeline \
         never compiles to something the local runner would run differently. Write the \
         pipeline without the construct for now.";
    /// A loop Argo would refuse or run otherwise than written.
    InvalidLoop = "A0032", Error, "invalid loop",
        source: "argo-workflows v4.1 `workflow/controller/dag.go`: `expandTask` (an empty `withItems` is no loop at all: the task runs once with `{{item}}` unresolved; `withParam` must be a JSON list); `workflow/controller/operator.go`: `processItem` (`{{item.FIELD}}` only for map items); `workflow/validate/validate.go`: `isValidParamOrArtifactName` (`^[-a-zA-Z0-9_]+$`, the name of the input a field arrives as)",
        test: "a0032_invalid_loops",
        "A loop runs its body once per item. A list known when compiling must not be empty \
         (Argo would run the body once, with `{{item}}` unresolved); a field read with \
         `item.field(\"NAME\")` must be in every item of such a list, and its name may hold \
         only letters, digits, `-` and `_` (it becomes the name of an Argo input); a loop \
         over a pipeline parameter or a task output needs a list of that name, of a list \
         type. Fix the list or the field name.";
    /// A task setting the local runner cannot honour.
    LocalUnsupported = "A0031", Error, "a setting the local runner cannot honour",
        source: "argot: local parity. A run on this machine must mean what it means on Argo, so a setting that needs a cluster (a config map or secret volume, a variable from a config map or the downward API, a secret nobody said where to find) is refused before the run starts instead of being ignored",
        test: "a0031_settings_the_local_runner_cannot_honour",
        "The local runner runs each task as a process on this machine, with Argo's meaning \
         for retries, time limits, caching and literal environment variables; a secret's \
         value comes from where `run --secret NAME/KEY=env:VAR|file:PATH` says, and a \
         claim or an empty folder of a native component is a folder of this machine. Other \
         volumes, volumes of container components, and environment variables read from a \
         config map or the downward API need a pod and the cluster's objects, which this \
         machine does not have, so `run` refuses them rather than run something different. \
         Submit the pipeline to a cluster, or drop the setting for local runs. Node \
         selectors and tolerations only say where a pod is scheduled; they are ignored here.";
    /// A per-task setting is refused.
    InvalidTaskConfig = "A0030", Error, "invalid task settings",
        source: "Argo `workflow/validate/validate.go`: `validateTemplate` (retry limit, `timeout` as a duration); Kubernetes `pkg/apis/core/validation/validation.go`: `ValidateEnv`, `validateVolumes`, `ValidateVolumeMounts` (names, a mount naming a volume)",
        test: "a0030_invalid_task_settings",
        "Retries, timeouts and pod settings end up on the task's Argo template; a value Argo \
         or the API server would refuse is refused here: a timeout that is not a duration, an \
         active deadline below one second, an environment variable or volume without a \
         valid name, a mount of a volume the task does not have.";
    /// A formatted string feeds an input that cannot assemble it.
    FormatInput = "A0036", Error, "a formatted string where it cannot be assembled",
        source: "argot: `format_arg!` travels as its pieces (`value::format_text`), assembled by a native component's `String` input; Argo's `util/template` would paste a value's wire form, not the value, into surrounding text",
        test: "a0036_a_formatted_string_feeds_only_a_native_string_input",
        "A `format_arg!(…)` value reaches the component as its pieces (the text, and each \
         value in its own wire form), and a native component's `String` input puts them \
         together as Rust's `format!` would. A container component receives its inputs' text \
         as it is, so it would see the pieces instead of the string: build the text in its \
         command with `concat((\"--out=gs://bucket/\", run_id))` instead. Each value must be \
         an output parameter or a pipeline parameter that exists.";
    /// A hook Argo and the local runner cannot run as written.
    HookMisuse = "A0037", Error, "a hook that cannot run as written",
        source: "argo-workflows v4.1 `pkg/apis/workflow/v1alpha1/workflow_types.go`: `LifecycleHooks` (a map: one hook per name on a DAG task); `workflow/controller/hooks.go`: `executeTmplLifeCycleHook`; `workflow/controller/exit_handler.go`: `runOnExitNode`",
        test: "a0037_hooks_one_per_event_and_nothing_nested",
        "A task has at most one hook per event (`on_success`, `on_failure`, `on_exit`): Argo \
         keeps a task's hooks in a map by name. Put every task that must run on the event into \
         one closure. Constructs inside a hook (a condition, another hook) are not compiled or \
         run yet: write the hook's tasks without them.";
    /// A task setting's text with a `{{…}}` Argo would substitute, or a run-time value it
    /// cannot take.
    SettingValue = "A0042", Error, "a run-time value in a task setting that Argo would not fill in as written",
        source: "argo-workflows v4.1 `workflow/common/util.go`: `SubstituteParams` (the whole template JSON is substituted: env values, image, `metadata` labels and annotations); `workflow/validate/validate.go`: `resolveAllVariables` (an unknown `{{…}}` fails validation)",
        test: "a0042_setting_values_argo_would_not_fill_in",
        "An environment value, a pod label or annotation value and a task's image may hold \
         pipeline parameters and task outputs (`set_env_variable(\"TAG\", tag)`, \
         `set_container_image(format_arg!(\"busybox:{}\", tag))`): each value travels as an \
         input of the task's template, which Argo pastes in where the text names it. Text \
         written as `{{…}}` would be substituted by Argo (or fail its validation) instead of \
         reaching the pod as written, so it is refused; pass the value as a `Param` or \
         `ParamRef` instead. A setting's value must be a pipeline parameter, an output \
         parameter (not an artifact), a loop item or a constant: the output of whichever \
         branch ran, a collected list, a formatted string of a native input or a value about \
         the run cannot be pasted into text.";
    /// Volumes of a pod, or of the run, that collide.
    VolumeConflict = "A0043", Error, "volumes that collide",
        source: "Kubernetes `pkg/apis/core/validation/validation.go`: `validateVolumes` (unique names), `ValidateVolumeMounts` (one mount per path); argo-workflows v4.1 `workflow/controller/operator.go`: `createPVCs` (one claim per `volumeClaimTemplates` name)",
        test: "a0043_volumes_that_collide",
        "A pod's volumes need names of their own (`argot-outputs` is argot's, for the \
         outputs), each path is mounted once (`/tmp/argot/outputs` is argot's), and a name \
         is either a volume of the pod or a volume of the run (`add_run_volume`), not both. A \
         run volume is one claim for the whole run, shared by the tasks that mount it: every \
         task must give it the same size and storage class, and the size must be a \
         positive quantity such as `10Gi`.";
    /// Sidecars or init containers the API server or Argo would refuse.
    PodContainers = "A0044", Error, "sidecars or init containers that collide or have no image",
        source: "Kubernetes `pkg/apis/core/validation/validation.go`: `validateContainers`, `validateInitContainers` (a DNS label name unique in the pod, an image); argo-workflows v4.1 `workflow/common/common.go`: `MainContainerName`, `InitContainerName`, `WaitContainerName` (the names Argo's own containers take)",
        test: "a0044_sidecars_and_init_containers_that_collide",
        "A task's sidecars and init containers share the pod with its main container and \
         Argo's own (`main`, `init`, `wait`): each needs a name of its own, a DNS label of at \
         most 63 lowercase letters, digits and `-`, and an image.";
    /// Resource requests or limits the API server would refuse.
    InvalidResources = "A0039", Error, "invalid resource requests or limits",
        source: "Kubernetes `pkg/apis/core/validation/validation.go`: `ValidateResourceRequirements` (a quantity per resource, limit not below request), `validateResourceName` (a qualified name), extended resources whole and with request equal to limit; the quantity grammar of `apimachinery/pkg/api/resource`",
        test: "a0039_invalid_resources",
        "CPU, memory, GPUs and other resources are Kubernetes quantities: a number with an \
         optional suffix (`500m`, `2`, `4Gi`, `1e3`). A value that does not parse, a negative \
         one, a limit below its request, a resource name that is not a qualified name, or \
         an extended resource (`nvidia.com/gpu`) that is not a whole number or whose request \
         differs from its limit would make the API server refuse the pod; it is refused here \
         instead, naming the task and the resource.";
    /// An artifact from outside the pipeline Argo could not fetch as written.
    InvalidExternalArtifact = "A0050", Error, "an artifact from outside the pipeline that cannot be fetched",
        source: "argo-workflows v4.1 `pkg/apis/workflow/v1alpha1/workflow_types.go`: `HTTPArtifact` (a GET of `url`), `S3Artifact` (`endpoint` is host[:port]), `GCSArtifact`, `GitArtifact`, `RawArtifact`; `workflow/validate/validate.go`: `resolveAllVariables` (an unknown `{{…}}` in a task's arguments is refused)",
        test: "a0050_external_artifacts_argo_cannot_fetch",
        "`Dataset::from_url(…)`, `raw(…)`, `from_s3(…)`, `from_gcs(…)` and `from_git(…)` \
         become the location of the task's argument artifact, which the pod fetches when it \
         starts. A URL must be `http://` or `https://` with a host (an `s3://` or `gs://` \
         address has its own constructor); a bucket, key or repository must not be empty; \
         an S3 endpoint is a host and port without a scheme; and no value may hold `{{`, \
         which Argo would try to substitute. Fix the value, or use the constructor for where \
         the data is.";
    /// An artifact GC strategy Argo does not know.
    InvalidArtifactGc = "A0052", Error, "unknown artifact GC strategy",
        source: "argo-workflows v4.1 `pkg/apis/workflow/v1alpha1/workflow_types.go`: `ArtifactGCStrategy` (`OnWorkflowCompletion`, `OnWorkflowDeletion`, `Never`), `AnyArtifactGCStrategy`",
        test: "a0052_unknown_artifact_gc_strategy",
        "`artifact_gc` says when Argo deletes the run's output artifacts from the artifact \
         repository: `OnWorkflowCompletion` (once the run has finished), `OnWorkflowDeletion` \
         (when the Workflow object is deleted, for example by its ttl) or `Never`. Spell one \
         exactly, or leave it out to keep every artifact. The local runner keeps artifacts in \
         the run folder either way, until the folder is deleted.";
    /// A value of the run placed where a resource step's object cannot take it.
    InvalidResourceValue = "A0053", Error, "a value placed where a resource step's object cannot take it",
        source: "argo-workflows v4.1 `workflow/common/util.go`: `SubstituteParams` (substitutes the whole template, `resource.manifest` included); `util/template/expression_template.go`: `expressionReplaceCore` (an `{{=…}}` result is JSON-marshalled into the template); `workflow/validate/validate.go`: `SubstituteResourceManifestExpressions` (the manifest is checked as YAML with each expression replaced); RFC 6901 (JSON pointer)",
        test: "a0053_values_placed_where_the_object_cannot_take_them",
        "`ResourceStep::value_at(\"/spec/replicas\", workers)` places a pipeline parameter or a \
         task's output in the step's object when it runs: Argo evaluates an expression there \
         that writes the value as a JSON literal. The position is a JSON pointer into the \
         object as written: every step but the last must exist (`~1` stands for `/` and `~0` \
         for `~` in a key), the last may be a new key of a mapping or an existing element of \
         a list. `apiVersion` and `kind` cannot be placed: they say what the object is, which \
         its conditions and outputs were written for. Two values cannot go to one position or \
         one inside the other, and each placed value must be an input of the step. Fix the \
         pointer, or put the field in the object first.";
    /// A container component collects an output from a path it cannot use.
    InvalidOutputPath = "A0051", Error, "an output collected from a path that cannot hold it",
        source: "argo-workflows v4.1 `pkg/apis/workflow/v1alpha1/workflow_types.go`: `Artifact.Path`, `ValueFrom.Path` (read from the main container after it exits); argot: inputs are mounted under /tmp/argot",
        test: "a0051_container_output_paths",
        "`Container::output_at(&output, \"/tmp/results.txt\")` tells Argo (and `run`) to \
         collect the output where the image writes it. The path must be absolute, without \
         empty, `.` or `..` parts, and not `/`; it must lie outside `/tmp/argot`, where argot \
         mounts inputs and collects outputs itself; two outputs cannot share a path or sit \
         one inside the other; and it must name one of the component's outputs.";
    /// A resource step's success or failure condition Argo cannot parse.
    InvalidResourceCondition = "A0054", Error, "invalid resource step condition",
        source: "argo-workflows v4.1 `workflow/executor/resource.go`: `checkResourceState` parses a condition with Kubernetes `labels.ParseToRequirements` (apimachinery `pkg/labels/selector.go`: `NewRequirement` — keys `IsQualifiedName`, values `IsValidLabelValue`, `>`/`<` one integer, `in`/`notin` at least one value)",
        test: "a0054_invalid_resource_condition",
        "Argo reads a resource step's `successCondition` and `failureCondition` as a Kubernetes \
         label selector whose keys are paths into the object: `status.phase == Bound`, \
         `status.succeeded > 0`, several joined by commas, all having to hold. A path must be \
         a qualified name (letters, digits, `-`, `_` and `.`, at most 63 characters after an \
         optional `prefix/`), a compared value a label value (at most 63 characters of \
         `[A-Za-z0-9_.-]`, starting and ending with a letter or digit), `>` and `<` take a \
         whole number, `in` and `notin` at least one value. A condition Argo cannot parse \
         fails the step when it is checked, after the object was created; it is refused here \
         instead. Fix the condition built with `argot::kubernetes::field`.";
    /// A resource step's object Argo or the API server would refuse.
    InvalidResourceManifest = "A0055", Error, "invalid resource step object",
        source: "argo-workflows v4.1 `workflow/validate/validate.go`: `validateLeaf` (`resource.manifest must be a valid yaml`), `validateOutputParameter` (`jqFilter or jsonPath must be specified for resource templates`); docs `walk-through/kubernetes-resources.md` (a `name` or `generateName`; custom resources cannot be patched with `strategic`); Kubernetes `IsDNS1123Subdomain` for object names",
        test: "a0055_invalid_resource_manifest",
        "A resource step manages one Kubernetes object, so its manifest must be a YAML mapping \
         with `apiVersion`, `kind` and a `metadata.name` (`create` may use \
         `metadata.generateName` instead); a name without `{{…}}` must be a DNS subdomain. \
         A patch of a custom resource (an API group such as `kubeflow.org`) needs the `merge` or \
         `json` strategy: Kubernetes has no strategic merge for it. Each output needs a \
         non-empty JSON path or jq filter. Fix the object or the step.";
    /// A resource step in a local run.
    ResourceStepNeedsCluster = "A0056", Error, "a resource step needs a cluster",
        source: "argot: local parity. A resource step asks the Kubernetes API to create, change or delete an object and waits on the object's status; the local runner has no cluster, so `run` refuses the pipeline before it starts instead of skipping the step",
        test: "a0056_run_refuses_resource_steps",
        "The local runner runs each task as a process on this machine. A resource step is not \
         a process: Argo's executor creates, patches or deletes a Kubernetes object and waits \
         for its status (a claim bound, a training job finished), and a claim named after the \
         run (`{{workflow.name}}-data`) exists only once such a step made it. This machine has \
         no cluster, so `run` refuses the pipeline rather than run something different. \
         Submit it to a cluster (`submit`), or run locally a pipeline without the step.";
    /// A container setting on a resource step.
    ResourceStepSetting = "A0057", Error, "a container setting on a resource step",
        source: "argo-workflows v4.1 `pkg/apis/workflow/v1alpha1/workflow_types.go`: `ResourceTemplate` (no container: Argo's own executor runs `kubectl`)",
        test: "a0057_container_settings_on_a_resource_step",
        "A resource step runs no container of yours: Argo's executor runs `kubectl` for it. \
         Environment variables, resource requests and limits, volumes and mounts, an image \
         pull policy and memoization set on the step itself would be silently dropped, so \
         they are refused. Put them on the object (a `PyTorchJob`'s pods, for example). \
         Scheduling, service account, retries, time limits, labels and mutexes apply to the \
         executor's pod and are kept; pipeline-wide defaults of the refused kinds are not \
         applied to resource steps.";
    /// A CronWorkflow's schedule, time zone, concurrency policy, deadline or history limits
    /// would be refused by Argo.
    InvalidCronWorkflow = "A0046", Error, "invalid CronWorkflow settings",
        source: "argo-workflows v4.1 `workflow/validate/validate.go`: `CronWorkflow` (at least one schedule, each parsed by robfig/cron `ParseStandard`; `time.LoadLocation` on the time zone; `concurrencyPolicy` one of `Allow`, `Forbid`, `Replace`; `startingDeadlineSeconds` not negative); `pkg/apis/workflow/v1alpha1/cron_workflow_types.go`: `withTimezone` (prefixes `CRON_TZ=` to every schedule), history limits are `int32`",
        test: "a0046_invalid_cron_workflow_settings",
        "A pipeline compiled as a CronWorkflow (`#[pipeline(schedule = \"0 3 * * *\")]`, \
         `kind = \"cron-workflow\"` or `compile --kind cron-workflow`) is started by Argo's cron \
         controller, which refuses the object when a schedule does not parse, the time zone is \
         not in the IANA database (names are case-sensitive: `Europe/Paris`), the concurrency \
         policy is not `Allow`, `Forbid` or `Replace`, or the starting deadline is negative. \
         A schedule that carries its own `CRON_TZ=` prefix cannot be combined with `timezone`: \
         Argo would prefix a second zone. argot checks all of this when compiling, so the \
         mistake is not found at 3 a.m. The local runner ignores the schedule (a `run` runs the \
         pipeline once, now).";
    /// The manifest needs a field the chosen Argo version does not have.
    UnsupportedByArgoVersion = "A0047", Error, "a construct the chosen Argo version lacks",
        source: "Argo's JSON schemas `api/jsonschema/schema.json` of v3.6.19, v3.7.18, v4.0.10 and v4.1.2 (the table `emit::argo::kinds::FIELDS`, kept true to them by a test); an Argo controller drops or refuses a field its CRD does not declare",
        test: "a0047_a_field_the_chosen_argo_version_lacks",
        "`compile --argo-version 4.1|4.0|3.7|3.6` (default 4.1) emits for that Argo version: \
         where versions spell a construct differently argot writes the version's form (a \
         CronWorkflow's single `schedule` on 3.x, `schedules` on 4.x), and a field the version \
         does not have at all (a retry backoff `cap` on 3.6, a field added in 4.1 on 4.0) is \
         refused here, naming the field and the template, instead of being silently dropped by \
         the cluster's CRD. Compile for the version the cluster runs (`argo version`), or drop \
         the setting that emits the field.";
    /// A task calling a published template by `templateRef` that Argo could not run as
    /// written.
    InvalidTemplateRef = "A0048", Error, "a task that cannot run a published template",
        source: "argo-workflows v4.1 `pkg/apis/workflow/v1alpha1/workflow_types.go`: `TemplateRef` (`name`, `template`, `clusterScope`), `workflow/templateresolution/context.go`: `resolveTemplateImpl` (the referenced object's template is used as it is: the calling task's own template settings do not exist); Kubernetes `IsDNS1123Subdomain` for the object name, `validate.go` `maxCharsInObjectName` (63)",
        test: "a0048_a_task_that_cannot_run_a_published_template",
        "`.template_ref(\"ml-library\")` makes a task run the component's template published in \
         the `WorkflowTemplate` `ml-library` (`.cluster_template_ref` for a \
         `ClusterWorkflowTemplate`). The name must be one Kubernetes can give an object \
         (lowercase letters, digits, `-` and `.`, at most 63 characters: what `argo template \
         list` prints). The task runs the library's template as published, so settings of its \
         own (retries, resources, a timeout…) would be silently dropped: they are refused; \
         give them to the component in the library instead.";
    /// An output's repository key that is malformed, says the wrong packing, or that two
    /// outputs of a run would always write.
    InvalidOutputKey = "A0049", Error, "an output key that is malformed, ambiguous or always collides",
        source: "argo-workflows v4.1 `workflow/common/util.go`: `SubstituteParams` (the controller fills the key's `{{…}}` when it creates the pod); `workflow/executor/executor.go`: `saveArtifactFromFile` (a key that is set is used as it is), `stageArchiveFile` (a gzipped tar by default, a zip, or the file as it is); `pkg/apis/workflow/v1alpha1/workflow_types.go`: `ArtifactLocation.Relocate`",
        test: "a0049_output_keys",
        "`.set_output_key(\"model\", key)` stores the output at exactly that key of the \
         workflow's artifact repository. The key must not be empty, start or end with `/`, or \
         have empty, `.` or `..` parts, and its literal text must not hold `{{`: variables \
         come from `OutputKey` (`workflow_name()`, `pod_name()`, `value(param)`, …). Argo \
         uploads what the archive strategy makes, under that key whatever its name, so the \
         extension must say which: `.tgz` or `.tar.gz` for the default tar, `.zip` for \
         `Archive::Zip`, neither for `Archive::None` (a key ending in a variable only with \
         `Archive::None`). Two outputs that would always write the same key — two outputs \
         of one task, two tasks that both run, or one task in a loop, with a key of text and \
         the run's variables only — would overwrite each other: add `pod_name()` or a \
         value that differs.";
    /// A recursion without a usable depth bound.
    RecursionBound = "A0040", Error, "a recursion without a usable depth bound",
        source: "argo-workflows v4.1 `workflow/controller/operator.go`: `executeTemplate` (`currentStackDepth >= maxStackDepth` fails the node with `ErrMaxDepthExceeded`, 100 templates deep); argot: the bound is enforced by the condition of the branch around the recursive call, on Argo and locally",
        test: "a0040_recursion_needs_a_bound_argo_can_run",
        "A pipeline that calls itself states how many levels may run, the first call \
         included: `#[pipeline(max_depth = N)]`. At depth N the branch holding the recursive \
         call does not run (Skipped), as if its condition were false, so a condition that \
         never turns false still ends. N must be at least 2 (1 never recurses) and small \
         enough that Argo can nest the templates: each level is the pipeline's DAG template \
         and the branch's around the recursive call, and Argo fails a workflow nested 100 \
         templates deep. State a bound from 2 to the depth the message names.";
    /// A recursion written in a way that is not compiled.
    RecursionMisuse = "A0041", Error, "a recursion written in a way that is not compiled",
        source: "argot: recursion is compiled as one DAG template that calls itself from a conditional branch (Argo's `coinflip-recursive` example), with the depth as an input; the call the last level would make never runs, so its outputs never exist (`getTemplateOutputsFromScope` in `workflow/controller/operator.go` fails on an absent output)",
        test: "a0041_recursion_written_in_a_way_that_is_not_compiled",
        "A pipeline recurses by calling itself directly, inside a `when(…)` written in its \
         own body: the condition says when to go one level deeper. It is not the pipeline the \
         run starts from (call it from another pipeline), and it does not call itself through \
         another pipeline, a loop, a hook or a nested branch, and it calls itself once per \
         level (a chain: a tree of calls would grow exponentially with the depth). The \
         recursive call's outputs \
         are read only through `one_of([deeper, this_level])`, which is the deeper level's \
         output when the call ran and this level's otherwise: at the last level the call \
         does not run and has no outputs.";
    /// A typed template edit argot cannot emit faithfully, or `run` cannot reproduce.
    TemplateEdit = "A0063", Error, "a template edit argot or the local runner cannot honour",
        source: "argo-workflows v4.1 `util/util.go`: `ApplyPodSpecPatch` (a template's `podSpecPatch` is decoded as a `PodSpec` and laid over the pod as a strategic merge patch); `workflow/common/common.go`: `MainContainerName`; argot: local parity",
        test: "a0063_template_edits_argot_cannot_honour",
        "`edit_template` hands its closure the template argot generated: the main \
         container (Kubernetes' `Container`, named `main` as Argo names it), an empty \
         `PodSpec` emitted as the template's `podSpecPatch`, and the pod's labels and \
         annotations. The main container keeps its name, and the pod patch adds no \
         containers (edit `container`, or use `add_sidecar` / `add_init_container`, which \
         argot checks). An edit read back from serialised IR has no closure to run: trace \
         the pipeline again. The local runner honours the edited environment, working \
         directory and, for a container component, image, command and arguments; it \
         refuses what it cannot reproduce: a native component's command or arguments (argot's \
         entrypoint needs them as generated), a mount it has no folder for (mount volumes \
         with `add_pvc_volume`, `add_empty_dir_volume`, … instead), `envFrom` (set variables \
         one by one), an argument naming an Argo variable argot did not write. Run such a \
         pipeline on a cluster, or drop the edit for local runs.";
    /// A collected artifact the reader could not be given as the collection it expects.
    CollectedArtifact = "A0062", Error, "a collected artifact Argo cannot deliver as a collection",
        source: "argo-workflows v4.1 `workflow/controller/operator.go`: `processAggregateNodeOutputs` (only output parameters are aggregated), `executeTemplate` (`{{pod.name}}` per attempt); `workflow/executor/executor.go`: `newDriverArt` (`Artifact.Relocate` onto the repository), `loadArtifacts` (an unarchived download is kept as it is); `examples/map-reduce.yaml`, `docs/key-only-artifacts.md`",
        test: "a0062_collected_artifacts_argo_cannot_deliver",
        "A loop's output artifact is collected by saving each iteration's file under a key \
         prefix of the workflow's artifact repository, unarchived, named after its pod, and \
         handing the reader the folder and the ordered list of the succeeded iterations' \
         names. So the producer's output must stay unarchived (no `set_output_archive` to tar \
         or zip), must not come from a memoized template (a cache hit reports another run's \
         key) or a published template (its outputs are the library's), and the reader must \
         be a native component taking `Input<Collection<K>>` (a container image would see an \
         unordered folder, attempts of retried iterations included), not optionally. A \
         `Collection<K>` is only an input: no output, nested collection or artifact from \
         outside the pipeline is one.";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The Markdown table of every rule (code, severity, title, source, test), as `RULES.md` holds it.
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "| code | severity | rule | source | test |\n| --- | --- | --- | --- | --- |\n",
    );
    for code in Code::ALL {
        out.push_str(&format!(
            "| {code} | {} | {} | {} | `{}` |\n",
            code.default_severity().as_str(),
            code.title(),
            code.source().replace('|', "\\|"),
            code.test()
        ));
    }
    out
}

/// One finding of the validator.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    /// The rule's code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// The pipeline concerned.
    pub pipeline: String,
    /// One line naming the task, input or field involved.
    pub message: String,
    /// What to do about it.
    pub help: String,
    /// Supporting facts (for example the largest parts of a manifest that is too large).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where in the user's source, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(
        code: Code,
        pipeline: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity: code.default_severity(),
            pipeline: pipeline.to_owned(),
            message: message.into(),
            help: help.into(),
            notes: Vec::new(),
            location: None,
        }
    }

    /// An error, whatever the code's default severity.
    pub fn error(
        code: Code,
        pipeline: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Error,
            ..Self::new(code, pipeline, message, help)
        }
    }

    /// Attaches a source location.
    pub fn at(mut self, location: SourceLocation) -> Self {
        self.location = Some(location);
        self
    }

    /// Attaches a source location if there is one.
    pub fn at_opt(mut self, location: Option<&SourceLocation>) -> Self {
        self.location = location.cloned();
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The diagnostic as one line of JSON (`--message-format json`): `code`, `severity`,
    /// `title`, `pipeline`, `message`, `help`, `notes` (possibly empty) and `location` (`file`,
    /// `line`, `column`; `null` when unknown).
    pub fn to_json_line(&self) -> String {
        let value = serde_json::json!({
            "code": self.code,
            "severity": self.severity,
            "title": self.code.title(),
            "pipeline": self.pipeline,
            "message": self.message,
            "help": self.help,
            "notes": self.notes,
            "location": self.location,
        });
        value.to_string()
    }

    /// Renders for a terminal like [`Display`](fmt::Display), plus the source line under the
    /// location with a caret, when `source_line(file, line)` can read it.
    pub fn render(&self, source_line: &dyn Fn(&str, u32) -> Option<String>) -> String {
        let mut out = format!(
            "{}[{}]: {}\n",
            self.severity.as_str(),
            self.code,
            self.message
        );
        match &self.location {
            Some(loc) => {
                out.push_str(&format!("  --> {loc} (pipeline `{}`)\n", self.pipeline));
                if let Some(text) = source_line(&loc.file, loc.line) {
                    let number = loc.line.to_string();
                    let pad = " ".repeat(number.len());
                    let caret_at: usize = text
                        .chars()
                        .take(loc.column.saturating_sub(1) as usize)
                        .map(|c| if c == '\t' { 4 } else { 1 })
                        .sum();
                    let text = text.replace('\t', "    ");
                    out.push_str(&format!(
                        "{pad} |\n{number} | {text}\n{pad} | {}^ {}\n",
                        " ".repeat(caret_at),
                        self.code.title()
                    ));
                }
            }
            None => out.push_str(&format!("  --> pipeline `{}`\n", self.pipeline)),
        }
        for note in &self.notes {
            out.push_str(&format!("  = note: {note}\n"));
        }
        out.push_str(&format!("  = help: {}", self.help));
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&|_, _| None))
    }
}

/// The findings of one validation, errors first.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Wraps a list, ordering errors before warnings (stable otherwise).
    pub fn new(mut list: Vec<Diagnostic>) -> Self {
        list.sort_by_key(|d| std::cmp::Reverse(d.severity));
        Self(list)
    }

    /// The diagnostics.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// How many errors there are.
    pub fn error_count(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// How many warnings there are.
    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    /// How many diagnostics there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The codes, in order (handy in tests).
    pub fn codes(&self) -> Vec<Code> {
        self.0.iter().map(|d| d.code).collect()
    }

    /// One JSON object per line, one line per diagnostic (see [`Diagnostic::to_json_line`]).
    pub fn to_json_lines(&self) -> String {
        self.0.iter().map(|d| d.to_json_line() + "\n").collect()
    }

    /// Renders every diagnostic with source lines where `source_line` can read them (see
    /// [`Diagnostic::render`]), then the summary line.
    pub fn render(&self, source_line: &dyn Fn(&str, u32) -> Option<String>) -> String {
        let mut out = String::new();
        for d in &self.0 {
            out.push_str(&d.render(source_line));
            out.push_str("\n\n");
        }
        out.push_str(&format!(
            "{} error(s), {} warning(s)",
            self.error_count(),
            self.warning_count()
        ));
        out
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&|_, _| None))
    }
}

impl std::error::Error for Diagnostics {}
