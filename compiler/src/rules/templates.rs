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
        let configured = !p.defaults.is_default()
            || p.components.values().any(|c| !c.config.is_default())
            || p.tasks.iter().any(|t| !t.config.is_default());
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
                })
                .collect();
            return;
        }
        for (i, task) in p.tasks.iter().enumerate() {
            let Some((c, _, spec)) = p.components.get_full(&task.component) else {
                continue;
            };
            let merged = if task.config.is_default()
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
        for (c, (component, _)) in p.components.iter().enumerate() {
            let base = names.component_templates[component].clone();
            for (hash, (config, tasks)) in std::mem::take(&mut variants[c]) {
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
                    self.task_config(&config, tasks[0], &name);
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
                });
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
        use crate::rules::syntax::{
            is_config_map_key, is_dns_subdomain, is_label_value, is_qualified_name,
        };
        for (key, value) in &config.labels {
            if !is_qualified_name(key) || !is_label_value(value) {
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
            if let Some(claim) = &volume.persistent_volume_claim
                && !crate::rules::syntax::is_dns_subdomain(&claim.claim_name)
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
            if !config.volumes.iter().any(|v| v.name == mount.name) {
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
