//! Template identity and task settings (A0030).
//!
//! Argo keeps retries, timeouts, memoization and pod settings on the *template*, not on the
//! DAG task, so a task's template is identified by its component *and* its merged settings
//! ([`TaskConfig::merged_over`]: the task over its component over the pipeline's defaults).
//! Tasks with equal settings share one template; a task with settings of its own gets a
//! template named `<component>-<8 hex digits of the settings' hash>`, stable across builds.

use indexmap::IndexMap;

use super::Checker;
use super::{Names, TemplateDef};
use crate::diagnostics::Code;
use crate::ir::{TaskConfig, TaskId};
use crate::namer;
use crate::rules::syntax::parse_seconds;

impl Checker<'_> {
    /// Fills `names.templates` and `names.task_templates`: one template per distinct
    /// (component, merged settings), in component order and, within a component, in the
    /// order tasks first use it. Reports A0030 for settings Argo or Kubernetes would refuse
    /// and A0005 when a configured template's name meets another.
    pub(crate) fn templates(&mut self, names: &mut Names) {
        let p = self.p;
        let mut owners: IndexMap<String, String> = IndexMap::new();
        owners.insert(names.dag_template.clone(), format!("pipeline `{}`", p.name));
        for (component, template) in &names.component_templates {
            owners.insert(template.clone(), format!("component `{component}`"));
        }
        // Conditional branches, numbered in the order they were written.
        // Numbered per pipeline: a branch inside a sub-pipeline call belongs to the called
        // pipeline's template (`<called>-condition-N`).
        names.branches = vec![None; p.regions.len()];
        // Counted per call (and per kind), so every call of a pipeline numbers its branches
        // and loops alike.
        let mut counts: IndexMap<(Option<crate::ir::RegionId>, &str), u32> = IndexMap::new();
        for (r, region) in p.regions.iter().enumerate() {
            let (word, what) = match region.kind {
                crate::ir::RegionKind::Branch { .. } => ("condition", "conditional branch"),
                crate::ir::RegionKind::Loop { .. } => ("loop", "loop"),
                _ => continue,
            };
            let call = crate::ir::enclosing_call(&p.regions, crate::ir::RegionId(r as u32));
            let owner = call
                .and_then(|c| match &p.regions[c.index()].kind {
                    crate::ir::RegionKind::Call { pipeline, .. } => Some(pipeline.as_str()),
                    _ => None,
                })
                .unwrap_or(p.name.as_str());
            let count = counts.entry((call, word)).or_insert(0);
            *count += 1;
            let k = *count;
            let task = format!("{word}-{k}");
            let clash = p.tasks.iter().position(|t| {
                crate::ir::local_name(&t.name) == task
                    && t.region == region.parent.unwrap_or(crate::ir::RegionId::ROOT)
            });
            if let Some(t) = clash {
                self.report(
                    Code::NameCollision,
                    Some(TaskId(t as u32)),
                    format!("task `{task}` has the name of the DAG task argot gives the {what} next to it"),
                    "name the task another way with `.name(\"…\")`",
                );
            }
            let template = namer::generated(&format!("{owner}-{word}-{k}"), namer::DNS_LABEL_MAX);
            let body = (word == "loop").then(|| {
                namer::generated(&format!("{owner}-{word}-{k}-body"), namer::DNS_LABEL_MAX)
            });
            let this = format!("{what} {k} of `{owner}`");
            for name in std::iter::once(&template).chain(&body) {
                match owners.get(name) {
                    // The same construct in another call of the same pipeline.
                    Some(o) if *o == this => {}
                    Some(o) => {
                        let o = o.clone();
                        self.report(
                            Code::NameCollision,
                            None,
                            format!("{this} and {o} both become the Argo template name `{name}`"),
                            "rename the component with #[component(name = \"…\")]",
                        );
                    }
                    None => {
                        owners.insert(name.clone(), this.clone());
                    }
                }
            }
            names.branches[r] = Some(super::BranchNames {
                task,
                template,
                body,
            });
        }
        // Each called pipeline: one DAG template, shared by its calls.
        for region in &p.regions {
            let crate::ir::RegionKind::Call { pipeline, .. } = &region.kind else {
                continue;
            };
            if names.call_templates.contains_key(pipeline) {
                continue;
            }
            let template = namer::generated(pipeline, namer::DNS_LABEL_MAX);
            if let Some(owner) = owners.get(&template) {
                let owner = owner.clone();
                self.report(
                    Code::NameCollision,
                    None,
                    format!("sub-pipeline `{pipeline}` and {owner} both become the Argo template name `{template}`"),
                    "rename the pipeline with #[pipeline(name = \"…\")] or the component with #[component(name = \"…\")]",
                );
            } else {
                owners.insert(template.clone(), format!("sub-pipeline `{pipeline}`"));
            }
            names.call_templates.insert(pipeline.clone(), template);
        }
        if p.tasks
            .iter()
            .any(|t| crate::ir::in_exit_handler(&p.regions, t.region))
        {
            let name = namer::generated(&format!("{}-exit", p.name), namer::DNS_LABEL_MAX);
            match owners.get(&name) {
                Some(owner) => {
                    let owner = owner.clone();
                    self.report(
                        Code::NameCollision,
                        None,
                        format!("the exit handler of pipeline `{}` and {owner} both become the Argo template name `{name}`", p.name),
                        "rename the component with #[component(name = \"…\")]",
                    );
                }
                None => {
                    owners.insert(name.clone(), "the exit handler".to_owned());
                    names.exit_template = Some(name);
                }
            }
        }
        // Hooks: `<pipeline>-<task>-on-<event>`.
        names.hooks = vec![None; p.regions.len()];
        for (r, region) in p.regions.iter().enumerate() {
            let crate::ir::RegionKind::Hook { task, on } = region.kind else {
                continue;
            };
            let Some(hooked) = p.tasks.get(task.index()) else {
                continue;
            };
            let event = match on {
                crate::ir::HookEvent::Success => "success",
                crate::ir::HookEvent::Failure => "failure",
                crate::ir::HookEvent::Exit => "exit",
            };
            let name = namer::generated(
                &format!("{}-{}-on-{event}", p.name, hooked.name),
                namer::DNS_LABEL_MAX,
            );
            let what = format!("the `.{}(…)` hook of task `{}`", on.method(), hooked.name);
            match owners.get(&name) {
                // A second hook for the same event is reported on its own (A0037).
                Some(owner) if *owner == what => {}
                Some(owner) => {
                    let owner = owner.clone();
                    self.report(
                        Code::NameCollision,
                        Some(task),
                        format!("{what} and {owner} both become the Argo template name `{name}`"),
                        "rename the task with `.name(\"…\")` or the component with #[component(name = \"…\")]",
                    );
                }
                None => {
                    owners.insert(name.clone(), what);
                }
            }
            names.hooks[r] = Some(name);
        }
        // Per component (by index in `p.components`): its variants, keyed by settings hash.
        let mut variants: Vec<IndexMap<String, (TaskConfig, Vec<usize>)>> =
            vec![IndexMap::new(); p.components.len()];
        let plain = TaskConfig::default();
        // Whether anything is configured at all: most pipelines set nothing, and then each
        // task takes its component's plain template without merging or hashing.
        let collected = collected_artifact_keys(p, names);
        let configured = !p.defaults.is_default()
            || p.components.values().any(|c| !c.config.is_default())
            || p.tasks.iter().any(|t| !t.config.is_default())
            || !collected.is_empty();
        if !configured {
            // One plain template per component, in component order.
            names.task_templates = p
                .tasks
                .iter()
                .map(|t| {
                    p.components
                        .get_index_of(&t.component)
                        .map_or(u32::MAX, |c| c as u32)
                })
                .collect();
            names.templates = p
                .components
                .keys()
                .map(|component| TemplateDef {
                    name: names.component_templates[component].clone(),
                    component: component.clone(),
                    config: TaskConfig::default(),
                    edited: None,
                })
                .collect();
            return;
        }
        for (i, task) in p.tasks.iter().enumerate() {
            let Some((c, _, spec)) = p.components.get_full(&task.component) else {
                continue;
            };
            let mut merged = if task.config.is_default()
                && spec.config.is_default()
                && p.defaults.is_default()
            {
                None
            } else {
                Some(
                    task.config
                        .merged_over(&spec.config.merged_over(&p.defaults)),
                )
            };
            // An output collected after its loop is saved under its own key prefix: a variant
            // template, so the component's other tasks emit what they always did.
            for ((t, output), key) in &collected {
                if t.index() == i {
                    let config = merged.get_or_insert_with(TaskConfig::default);
                    config.outputs.entry(output.clone()).or_default().collect = Some(key.clone());
                }
            }
            let (key, config) = match merged {
                Some(m) if !m.is_default() => (m.short_hash(), m),
                _ => (String::new(), plain.clone()),
            };
            variants[c]
                .entry(key)
                .or_insert_with(|| (config, Vec::new()))
                .1
                .push(i);
        }
        names.task_templates = vec![u32::MAX; p.tasks.len()];
        for (c, (component, spec)) in p.components.iter().enumerate() {
            let base = names.component_templates[component].clone();
            for (hash, (config, tasks)) in std::mem::take(&mut variants[c]) {
                let mut edited = None;
                let name = if hash.is_empty() {
                    base.clone()
                } else {
                    let name = namer::generated(&format!("{base}-{hash}"), namer::DNS_LABEL_MAX);
                    if let Some(owner) = owners.get(&name) {
                        let owner = owner.clone();
                        self.report(
                            Code::NameCollision,
                            Some(TaskId(tasks[0] as u32)),
                            format!("the template of component `{component}` with the settings of task `{}` and {owner} both become the Argo template name `{name}`", p.tasks[tasks[0]].name),
                            "rename the component with #[component(name = \"…\")]",
                        );
                    } else {
                        owners.insert(name.clone(), format!("component `{component}`"));
                    }
                    edited = self.template_edits(&config, spec, tasks[0]);
                    // The checks on settings see what the edits made of them.
                    let checked = edited.as_ref().map_or(&config, |e| &e.effective);
                    self.task_config(checked, tasks[0], &name);
                    for &t in &tasks {
                        self.setting_tags(checked, t);
                    }
                    name
                };
                let index = names.templates.len() as u32;
                for &t in &tasks {
                    names.task_templates[t] = index;
                }
                names.templates.push(TemplateDef {
                    name,
                    component: component.clone(),
                    config,
                    edited,
                });
            }
        }
    }

    /// A0063: runs the `edit_template` closures of `config` on the template argot generates
    /// for `spec`, and refuses what Argo would not run as written: a renamed main container
    /// (Argo names it `main`, `MainContainerName`), containers in the pod patch (a strategic
    /// merge patch would add them to the pod unchecked: `ApplyPodSpecPatch`), an edit
    /// without its closure.
    fn template_edits(
        &mut self,
        config: &TaskConfig,
        spec: &crate::ir::ComponentSpec,
        task: usize,
    ) -> Option<crate::protocol::template::Edited> {
        if config.edits.is_empty() {
            return None;
        }
        let id = Some(TaskId(task as u32));
        let who = format!("task `{}`", self.p.tasks[task].name);
        if let crate::ir::Implementation::Resource(_) = spec.implementation {
            // The pipeline's defaults' edits pass over a resource step, as its other container
            // settings do (`resource_template`); its own are refused.
            if config
                .edits
                .iter()
                .all(|e| self.p.defaults.edits.contains(e))
            {
                return None;
            }
            self.report(
                Code::TemplateEdit,
                id,
                format!("{who} is a resource step, which has no container or pod of argot's for `edit_template` to change"),
                "drop the edit: Argo's executor runs a resource step's pod itself",
            );
            return None;
        }
        let edited = match crate::protocol::template::edited(self.p, config, spec) {
            Ok(edited) => edited?,
            Err(why) => {
                self.report(
                    Code::TemplateEdit,
                    id,
                    format!("{who}: {why}"),
                    "trace the pipeline again (compile it from its Rust source) rather than reading back its IR",
                );
                return None;
            }
        };
        let main = crate::protocol::template::MAIN_CONTAINER;
        if edited.edited.container.name != main {
            self.report(
                Code::TemplateEdit,
                id,
                format!(
                    "{who}: an edit renames the main container `{}`; Argo names it `{main}` whatever the template says",
                    edited.edited.container.name
                ),
                "leave `container.name` as it is",
            );
        }
        let pod = &edited.edited.pod;
        for (what, containers, instead) in [
            (
                "containers",
                &pod.containers,
                "edit `t.container` for the main container, or add one with `add_sidecar`",
            ),
            (
                "init_containers",
                pod.init_containers.as_ref().unwrap_or(&Vec::new()),
                "use `add_init_container`",
            ),
        ] {
            if !containers.is_empty() {
                let names: Vec<String> =
                    containers.iter().map(|c| format!("`{}`", c.name)).collect();
                self.report(
                    Code::TemplateEdit,
                    id,
                    format!(
                        "{who}: an edit puts {} in `pod.{what}`, which Argo's `podSpecPatch` would merge into the pod unchecked",
                        names.join(", ")
                    ),
                    instead,
                );
            }
        }
        if pod
            .ephemeral_containers
            .as_ref()
            .is_some_and(|c| !c.is_empty())
        {
            self.report(
                Code::TemplateEdit,
                id,
                format!("{who}: an edit sets `pod.ephemeral_containers`, which a pod cannot be created with"),
                "leave it empty",
            );
        }
        Some(edited)
    }

    /// A0042: each `{{…}}` in a text of task `task`'s settings must be the placeholder of a
    /// value the task binds; any other Argo would substitute (or refuse) rather than pass on.
    fn setting_tags(&mut self, config: &TaskConfig, task: usize) {
        let t = &self.p.tasks[task];
        for (what, text) in config.templated_texts() {
            for (_, tag) in crate::ir::setting_tags(text) {
                let bound = crate::ir::setting_tag_input(tag)
                    .is_some_and(|input| t.arguments.contains_key(input));
                if !bound {
                    self.report(
                        Code::SettingValue,
                        Some(TaskId(task as u32)),
                        format!("{what} of task `{}` holds `{{{{{tag}}}}}`, which Argo would substitute (or refuse) instead of passing it on as written", t.name),
                        "to put a pipeline parameter or a task's output in it, pass the `Param`/`ParamRef` itself (`set_env_variable(\"TAG\", tag)`, or `format_arg!(\"busybox:{}\", tag)` for text around it); literal text cannot hold `{{`",
                    );
                }
            }
        }
    }

    /// A0043: volumes of one pod that collide (a name argot's outputs use, two mounts at one
    /// path, a name both a pod volume and a run volume), and a run volume whose size is not a
    /// quantity. One name meaning two run volumes is checked across templates by
    /// [`Self::run_volumes`].
    fn volume_conflicts(&mut self, config: &TaskConfig, task: usize, template: &str) {
        let id = Some(TaskId(task as u32));
        let who = format!("task `{}` (template `{template}`)", self.p.tasks[task].name);
        let mut found: Vec<(String, &str)> = Vec::new();
        let outputs = crate::protocol::OUTPUTS_VOLUME;
        for name in config
            .volumes
            .iter()
            .map(|v| &v.name)
            .chain(config.run_volumes.iter().map(|v| &v.name))
        {
            if name == outputs {
                found.push((
                    format!(
                        "volume `{name}` has the name of the volume argot's outputs are written to"
                    ),
                    "give the volume another name",
                ));
            }
        }
        for run in &config.run_volumes {
            if config.volumes.iter().any(|v| v.name == run.name) {
                found.push((
                    format!(
                        "`{}` names both a volume of the pod and a volume of the run",
                        run.name
                    ),
                    "give one of them another name",
                ));
            }
            if crate::rules::resources::quantity_value(&run.size).is_none_or(|v| v <= 0.0) {
                found.push((
                    format!(
                        "run volume `{}` asks for {:?}, which is not a positive quantity",
                        run.name, run.size
                    ),
                    "write the size as Kubernetes does, such as `10Gi` or `500Mi`",
                ));
            }
        }
        let mut paths: Vec<&str> = vec![crate::protocol::OUTPUTS_DIR];
        for mount in &config.volume_mounts {
            if paths.contains(&mount.mount_path.as_str()) {
                found.push((
                    format!("two volumes are mounted at `{}`", mount.mount_path),
                    "mount each volume at a path of its own (and not at argot's `/tmp/argot/outputs`)",
                ));
            } else {
                paths.push(&mount.mount_path);
            }
        }
        for (what, help) in found {
            self.report(Code::VolumeConflict, id, format!("{who}: {what}"), help);
        }
    }

    /// A0044: sidecars and init containers need a name of their own in the pod (Kubernetes'
    /// `validateContainers`: a DNS label, unique; Argo's own containers are `main`, `init` and
    /// `wait`, `workflow/common/common.go`) and an image.
    fn pod_containers(&mut self, config: &TaskConfig, task: usize, template: &str) {
        let id = Some(TaskId(task as u32));
        let who = format!("task `{}` (template `{template}`)", self.p.tasks[task].name);
        let mut seen: Vec<&str> = Vec::new();
        let all = config
            .sidecars
            .iter()
            .map(|c| ("sidecar", c))
            .chain(config.init_containers.iter().map(|c| ("init container", c)));
        let mut found: Vec<(String, &str)> = Vec::new();
        for (what, c) in all {
            if ["main", "init", "wait"].contains(&c.name.as_str()) {
                found.push((
                    format!("{what} `{}` has the name of one of Argo's own containers (`main`, `init`, `wait`)", c.name),
                    "give it another name",
                ));
            } else if !namer::is_dns_label(&c.name, namer::DNS_LABEL_MAX) {
                found.push((
                    format!("{what} name {:?} is not a DNS label", c.name),
                    "use lowercase letters, digits and `-`, at most 63 characters",
                ));
            } else if seen.contains(&c.name.as_str()) {
                found.push((
                    format!("two containers of the pod are called `{}`", c.name),
                    "give each sidecar and init container a name of its own",
                ));
            }
            seen.push(&c.name);
            if c.image.as_deref().is_none_or(str::is_empty) {
                found.push((
                    format!("{what} `{}` has no image", c.name),
                    "set its `image`, such as `busybox:1.36`",
                ));
            }
        }
        for (what, help) in found {
            self.report(Code::PodContainers, id, format!("{who}: {what}"), help);
        }
    }

    /// A0043: each run volume name means one claim in the whole run.
    pub(crate) fn run_volumes(&mut self, names: &Names) {
        let mut seen: Vec<(&crate::ir::RunVolume, &str)> = Vec::new();
        for (t, template) in names.templates.iter().enumerate() {
            for volume in &template.config.run_volumes {
                match seen.iter().find(|(v, _)| v.name == volume.name) {
                    Some((first, other)) if *first != volume => {
                        let task = names
                            .task_templates
                            .iter()
                            .position(|&i| i as usize == t)
                            .map(|i| TaskId(i as u32));
                        self.report(
                            Code::VolumeConflict,
                            task,
                            format!(
                                "run volume `{}` is {} in template `{other}` and {} in template `{}`",
                                volume.name, first.size, volume.size, template.name
                            ),
                            "a run volume is one claim shared by the tasks that mount it: give every task the same size and storage class, or name them apart",
                        );
                    }
                    Some(_) => {}
                    None => seen.push((volume, &template.name)),
                }
            }
        }
    }

    /// A0030: settings Argo's validation or the API server would refuse.
    fn task_config(&mut self, config: &TaskConfig, task: usize, template: &str) {
        self.resources(config, task, template);
        let id = Some(TaskId(task as u32));
        let who = format!("task `{}` (template `{template}`)", self.p.tasks[task].name);
        let bad = |cx: &mut Self, what: String, help: &str| {
            cx.report(Code::InvalidTaskConfig, id, format!("{who}: {what}"), help);
        };
        self.volume_conflicts(config, task, template);
        self.pod_containers(config, task, template);
        let component = &self.p.tasks[task].component;
        if let Some(spec) = self.p.components.get(component) {
            for name in config.outputs.keys() {
                let is_artifact = spec
                    .outputs
                    .iter()
                    .any(|o| &o.name == name && o.kind.is_artifact());
                if !is_artifact {
                    let names: Vec<String> = spec
                        .outputs
                        .iter()
                        .filter(|o| o.kind.is_artifact())
                        .map(|o| format!("`{}`", o.name))
                        .collect();
                    bad(
                        self,
                        format!(
                            "it sets how output `{name}` is archived, collected or stored, and component `{component}` has no output artifact of that name"
                        ),
                        &if names.is_empty() {
                            "drop `set_output_archive` / `set_output_gc` / `set_output_key`: the component writes no artifact".to_owned()
                        } else {
                            format!("name one of its output artifacts: {}", names.join(", "))
                        },
                    );
                }
            }
        }
        for (what, help) in security_and_affinity(config, &self.p.settings) {
            bad(self, what, help);
        }
        if let Some(timeout) = &config.timeout {
            // `validateTemplate` refuses a bare number: Argo wants a duration with units.
            let unitless = timeout.bytes().all(|b| b.is_ascii_digit());
            if let Err(why) = parse_seconds(timeout).and_then(|s| {
                if unitless || s == 0 {
                    Err(format!(
                        "`{timeout}` needs a unit and must be more than zero"
                    ))
                } else {
                    Ok(s)
                }
            }) {
                bad(
                    self,
                    format!("the timeout is invalid: {why}"),
                    "write the timeout as a duration with a unit, such as `30m` or `2h`",
                );
            }
        }
        if let Some(seconds) = config.active_deadline_seconds
            && seconds < 1
        {
            bad(
                self,
                format!("the active deadline is {seconds} seconds"),
                "give at least 1 second; 0 is how Argo stops a running pod",
            );
        }
        if let Some(backoff) = config.retry.as_ref().and_then(|r| r.backoff.as_ref()) {
            for d in std::iter::once(&backoff.duration)
                .chain(&backoff.cap)
                .chain(&backoff.max_duration)
            {
                if let Err(why) = parse_seconds(d) {
                    bad(
                        self,
                        format!("the retry backoff is invalid: {why}"),
                        "write it as a duration, such as `10s` or `1m`",
                    );
                }
            }
        }
        use crate::rules::syntax::{is_config_map_key, is_dns_subdomain, is_qualified_name};
        for (key, value) in &config.labels {
            if !is_qualified_name(key) || !crate::rules::syntax::is_label_value_or_template(value) {
                bad(
                    self,
                    format!("pod label `{key}: {value}` is not a valid Kubernetes label"),
                    "use a key such as `team` or `example.com/team` and a value of at most 63 letters, digits, `-`, `_` and `.`",
                );
            }
        }
        for key in config.annotations.keys() {
            if !is_qualified_name(key) {
                bad(
                    self,
                    format!("pod annotation key `{key}` is not a qualified name"),
                    "use a key such as `note` or `example.com/note`",
                );
            }
        }
        for name in &config.mutexes {
            if !is_dns_subdomain(name) {
                bad(
                    self,
                    format!("the mutex `{name}` is not a valid name"),
                    "name mutexes with lowercase letters, digits, `-` and `.`",
                );
            }
        }
        for s in &config.semaphores {
            if !is_dns_subdomain(&s.config_map) {
                bad(
                    self,
                    format!(
                        "the semaphore's config map `{}` is not a valid name",
                        s.config_map
                    ),
                    "name config maps with lowercase letters, digits, `-` and `.`",
                );
            }
            if !is_config_map_key(&s.key) {
                bad(
                    self,
                    format!(
                        "the semaphore's key `{}` is not a valid config map key",
                        s.key
                    ),
                    "use letters, digits, `-`, `_` and `.` in a config map key",
                );
            }
        }
        for (what, name) in [
            ("service account", &config.service_account),
            ("priority class", &config.priority_class),
            ("scheduler", &config.scheduler_name),
        ] {
            if let Some(name) = name
                && !is_dns_subdomain(name)
            {
                bad(
                    self,
                    format!("the {what} `{name}` is not a Kubernetes object name"),
                    "use lowercase letters, digits, `-` and `.`",
                );
            }
        }
        for env in &config.env {
            let Some(source) = &env.value_from else {
                continue;
            };
            if let Some(r) = &source.config_map_key_ref
                && (!is_dns_subdomain(&r.name) || !is_config_map_key(&r.key))
            {
                bad(
                    self,
                    format!(
                        "environment variable `{}` reads config map `{}` key `{}`, which Kubernetes cannot name",
                        env.name, r.name, r.key
                    ),
                    "name the config map with lowercase letters, digits, `-` and `.`, and the key with letters, digits, `-`, `_` and `.`",
                );
            }
            if let Some(f) = &source.field_ref
                && !downward_field(&f.field_path)
            {
                bad(
                    self,
                    format!(
                        "environment variable `{}` reads pod field `{}`, which the downward API does not offer",
                        env.name, f.field_path
                    ),
                    "use `metadata.name`, `metadata.namespace`, `metadata.uid`, `metadata.labels['KEY']`, `metadata.annotations['KEY']`, `spec.nodeName`, `spec.serviceAccountName`, `status.hostIP`, `status.hostIPs`, `status.podIP` or `status.podIPs`",
                );
            }
        }
        if let Some(memoize) = &config.memoize {
            if !crate::rules::syntax::is_dns_subdomain(&memoize.config_map) {
                bad(
                    self,
                    format!(
                        "the memoization cache `{}` is not a config map name",
                        memoize.config_map
                    ),
                    "name the config map with lowercase letters, digits, `-` and `.`",
                );
            }
            if let Some(age) = &memoize.max_age
                && crate::rules::syntax::check_go_duration(age).is_err()
            {
                bad(
                    self,
                    format!(
                        "the memoization max age `{age}` is not a Go duration, which Argo's `time.ParseDuration` requires"
                    ),
                    "write it with the units h, m, s, ms, us or ns, such as `24h` or `90m` (no days)",
                );
            }
        }
        for env in &config.env {
            if let Some(secret) = env
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
            {
                let key_ok = !secret.key.is_empty()
                    && secret.key.len() <= 253
                    && secret
                        .key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
                if !crate::rules::syntax::is_dns_subdomain(&secret.name) || !key_ok {
                    bad(
                        self,
                        format!(
                            "environment variable `{}` reads secret `{}` key `{}`, which Kubernetes cannot name",
                            env.name, secret.name, secret.key
                        ),
                        "name the secret with lowercase letters, digits, `-` and `.`, and the key with letters, digits, `-`, `_` and `.`",
                    );
                }
            }
            if env.name.is_empty()
                || env.name.contains('=')
                || env.name.chars().any(char::is_control)
            {
                bad(
                    self,
                    format!("environment variable name {:?} is invalid", env.name),
                    "name environment variables with printable characters other than `=`",
                );
            }
        }
        for volume in &config.volumes {
            // A claim a resource step created for this run is named `{{workflow.name}}-…`
            // (`kubernetes::run_scoped_name`); Argo substitutes it in the whole template, volumes
            // included (`workflow/common/util.go`: `SubstituteParams`).
            if let Some(claim) = &volume.persistent_volume_claim
                && !crate::rules::syntax::is_dns_subdomain(
                    &claim.claim_name.replace("{{workflow.name}}", "workflow"),
                )
            {
                bad(
                    self,
                    format!(
                        "volume `{}` names claim {:?}, which Kubernetes cannot name",
                        volume.name, claim.claim_name
                    ),
                    "name the claim with lowercase letters, digits, `-` and `.`",
                );
            }
            if !namer::is_dns_label(&volume.name, namer::DNS_LABEL_MAX) {
                bad(
                    self,
                    format!("volume name {:?} is not a DNS label", volume.name),
                    "use lowercase letters, digits and `-`, at most 63 characters",
                );
            }
        }
        for mount in &config.volume_mounts {
            if !config.volumes.iter().any(|v| v.name == mount.name)
                && !config.run_volumes.iter().any(|v| v.name == mount.name)
            {
                bad(
                    self,
                    format!(
                        "the mount at `{}` names volume `{}`, which the task does not have",
                        mount.mount_path, mount.name
                    ),
                    "add the volume to the same task, component or pipeline defaults",
                );
            }
        }
    }
}

/// The pod fields an environment variable can read through the downward API
/// (`validEnvDownwardAPIFieldPathExpressions` in Kubernetes' `pkg/apis/core/validation`).
fn downward_field(path: &str) -> bool {
    const FIELDS: [&str; 9] = [
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "spec.nodeName",
        "spec.serviceAccountName",
        "status.hostIP",
        "status.hostIPs",
        "status.podIP",
        "status.podIPs",
    ];
    FIELDS.contains(&path)
        || ["metadata.labels['", "metadata.annotations['"]
            .iter()
            .any(|p| path.starts_with(p) && path.ends_with("']") && path.len() > p.len() + 2)
}

/// What the API server would refuse in a task's security contexts and affinity
/// (`pkg/apis/core/validation/validation.go`: `ValidateNodeSelectorRequirement`,
/// `validateNodeSelectorTerm`, `validatePodAffinityTerm`, the weights of preferred terms), and
/// what the kubelet would refuse to start (a container that must not run as root, run as
/// user 0): each with how to fix it.
fn security_and_affinity(
    config: &TaskConfig,
    settings: &crate::ir::WorkflowSettings,
) -> Vec<(String, &'static str)> {
    let mut found = Vec::new();
    // The user and the non-root rule the container ends up with: its own, else the pod's,
    // else the workflow's.
    let container = config.security_context.as_ref();
    let pod = config.pod_security_context.as_ref();
    let workflow_user = if settings.secure_defaults {
        Some(
            settings
                .run_as_user
                .unwrap_or(crate::ir::WorkflowSettings::DEFAULT_RUN_AS_USER),
        )
    } else {
        settings.run_as_user
    };
    let user = container
        .and_then(|c| c.run_as_user)
        .or(pod.and_then(|p| p.run_as_user))
        .or(workflow_user.map(i64::from));
    let non_root = container
        .and_then(|c| c.run_as_non_root)
        .or(pod.and_then(|p| p.run_as_non_root))
        .or(settings.secure_defaults.then_some(true));
    if (container.is_some() || pod.is_some()) && user == Some(0) && non_root == Some(true) {
        found.push((
            "its security context runs it as user 0 (root) and also says it must not run as root, so the kubelet would refuse to start it".to_owned(),
            "set `run_as_non_root: Some(false)` next to `run_as_user: Some(0)` if the image must run as root, or pick a non-root user",
        ));
    }
    for user in [
        container.and_then(|c| c.run_as_user),
        pod.and_then(|p| p.run_as_user),
    ]
    .into_iter()
    .flatten()
    {
        if !(0..=i64::from(i32::MAX)).contains(&user) {
            found.push((
                format!("its security context runs it as user {user}, outside Kubernetes' user ids (0 to 2147483647)"),
                "pick a user id the image knows, such as 65532",
            ));
        }
    }
    let Some(affinity) = &config.affinity else {
        return found;
    };
    let requirement = |r: &k8s_openapi::api::core::v1::NodeSelectorRequirement,
                       found: &mut Vec<(String, &'static str)>| {
        let values = r.values.as_deref().unwrap_or_default();
        let problem = match r.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => Some("needs at least one value"),
            "Exists" | "DoesNotExist" if !values.is_empty() => Some("takes no values"),
            "Gt" | "Lt" if values.len() != 1 || values[0].parse::<i64>().is_err() => {
                Some("takes exactly one whole number")
            }
            "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt" => None,
            _ => Some("is not an operator Kubernetes knows"),
        };
        if let Some(problem) = problem {
            found.push((
                format!(
                    "its node affinity on `{}` with operator `{}` {problem}",
                    r.key, r.operator
                ),
                "use `In`/`NotIn` with values, `Exists`/`DoesNotExist` without, or `Gt`/`Lt` with one whole number",
            ));
        }
    };
    if let Some(node) = &affinity.node_affinity {
        if let Some(required) = &node.required_during_scheduling_ignored_during_execution {
            if required.node_selector_terms.is_empty() {
                found.push((
                    "its required node affinity has no node selector term, which no node can match".to_owned(),
                    "give at least one `NodeSelectorTerm`, or leave `required_during_scheduling_ignored_during_execution` out",
                ));
            }
            for term in &required.node_selector_terms {
                for r in term.match_expressions.iter().flatten() {
                    requirement(r, &mut found);
                }
            }
        }
        for preferred in node
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .flatten()
        {
            if !(1..=100).contains(&preferred.weight) {
                found.push((
                    format!("a preferred node affinity has weight {}", preferred.weight),
                    "give each preferred term a weight from 1 to 100",
                ));
            }
            for r in preferred.preference.match_expressions.iter().flatten() {
                requirement(r, &mut found);
            }
        }
    }
    let pod_terms = [
        affinity.pod_affinity.as_ref().map(|a| {
            (
                &a.required_during_scheduling_ignored_during_execution,
                &a.preferred_during_scheduling_ignored_during_execution,
            )
        }),
        affinity.pod_anti_affinity.as_ref().map(|a| {
            (
                &a.required_during_scheduling_ignored_during_execution,
                &a.preferred_during_scheduling_ignored_during_execution,
            )
        }),
    ];
    for (required, preferred) in pod_terms.into_iter().flatten() {
        let weighted = preferred.iter().flatten().map(|w| {
            if !(1..=100).contains(&w.weight) {
                found.push((
                    format!("a preferred pod (anti-)affinity has weight {}", w.weight),
                    "give each preferred term a weight from 1 to 100",
                ));
            }
            &w.pod_affinity_term
        });
        let terms: Vec<_> = required.iter().flatten().chain(weighted).collect();
        for term in terms {
            if term.topology_key.is_empty() {
                found.push((
                    "a pod (anti-)affinity term has no topology key".to_owned(),
                    "name the node label that groups nodes, such as `kubernetes.io/hostname` or `topology.kubernetes.io/zone`",
                ));
            }
        }
    }
    found
}

/// Every output artifact a task reads collected after its loop, with the key prefix of the
/// artifact repository its iterations save it under:
/// `argot-collected/{{workflow.uid}}/<loop body template>/<task>/<output>`. The workflow's uid
/// keeps runs apart; the loop body's template and the task's DAG name keep collections apart
/// within a run. Nested loops share the prefix of one collection across outer iterations; each
/// reader is given the names of its own entries, so it sees only those.
pub(crate) fn collected_artifact_keys(
    p: &crate::ir::Pipeline,
    names: &Names,
) -> std::collections::BTreeMap<(TaskId, String), String> {
    let mut keys = std::collections::BTreeMap::new();
    for read in crate::ir::collected_artifact_reads(p) {
        let producer = &p.tasks[read.producer.index()];
        let output = read.output;
        let body = names
            .branches
            .get(producer.region.index())
            .and_then(|b| b.as_ref())
            .and_then(|b| b.body.clone())
            .unwrap_or_default();
        keys.insert(
            (read.producer, output.to_owned()),
            format!(
                "argot-collected/{{{{workflow.uid}}}}/{body}/{}/{output}",
                crate::ir::local_name(&producer.name)
            ),
        );
    }
    keys
}
