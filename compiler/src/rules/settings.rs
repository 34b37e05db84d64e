//! Workflow settings: what the namespace needs (A0023–A0027).

use super::Checker;
use super::syntax::{
    ARTIFACT_GC_STRATEGIES, POD_GC_STRATEGIES, is_config_map_key, is_dns_subdomain, parse_seconds,
};
use crate::diagnostics::Code;

/// The largest user id Kubernetes accepts (`IsValidUserID`: `math.MaxInt32`).
const MAX_USER_ID: u32 = i32::MAX as u32;

impl Checker<'_> {
    /// A0023–A0027: object names, the artifact repository key, the pod GC strategy, the
    /// lengths of time and the pods' user.
    pub(crate) fn settings(&mut self) {
        let p = self.p;
        let s = &p.settings;
        let pipeline = &p.name;
        let mut names: Vec<(&str, &str, &str)> = Vec::new();
        if let Some(account) = &s.service_account {
            names.push(("service account", account, "service_account"));
        }
        for secret in &s.image_pull_secrets {
            names.push(("image pull secret", secret, "image_pull_secrets"));
        }
        if let Some(r) = &s.artifact_repository_ref {
            names.push((
                "artifact repository config map",
                &r.config_map,
                "artifact_repository_ref",
            ));
        }
        for (what, name, key) in names {
            if !is_dns_subdomain(name) {
                self.report(
                    Code::InvalidObjectName,
                    None,
                    format!("pipeline `{pipeline}` names the {what} {name:?}, which no Kubernetes object can be called"),
                    format!("write the name as `kubectl get` prints it: lowercase letters, digits, `-` and `.` (set by `{key}` in #[pipeline(…)] or `--{}`)", flag(key)),
                );
            }
        }
        if let Some(r) = &s.artifact_repository_ref
            && let Some(key) = &r.key
            && !is_config_map_key(key)
        {
            self.report(
                Code::InvalidConfigMapKey,
                None,
                format!(
                    "pipeline `{pipeline}` reads its artifact repository from key {key:?} of config map `{}`, which is not a valid config map key",
                    r.config_map
                ),
                "write `CONFIGMAP:KEY` with a key of letters, digits, `-`, `_` and `.`, or `CONFIGMAP` alone to use the config map's default key",
            );
        }
        if let Some(strategy) = &s.pod_gc
            && !POD_GC_STRATEGIES.contains(&strategy.as_str())
        {
            let valid = POD_GC_STRATEGIES
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let close = POD_GC_STRATEGIES
                .iter()
                .find(|s| s.eq_ignore_ascii_case(strategy))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            self.report(
                Code::InvalidPodGc,
                None,
                format!("pipeline `{pipeline}` asks for pod GC strategy {strategy:?}, which Argo does not know{close}"),
                format!("use one of {valid}, or leave `pod_gc` out to keep every pod"),
            );
        }
        if let Some(strategy) = &s.artifact_gc
            && !ARTIFACT_GC_STRATEGIES.contains(&strategy.as_str())
        {
            let valid = ARTIFACT_GC_STRATEGIES
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let close = ARTIFACT_GC_STRATEGIES
                .iter()
                .find(|s| s.eq_ignore_ascii_case(strategy))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            self.report(
                Code::InvalidArtifactGc,
                None,
                format!("pipeline `{pipeline}` asks for artifact GC strategy {strategy:?}, which Argo does not know{close}"),
                format!("use one of {valid}, or leave `artifact_gc` out to keep every artifact"),
            );
        }
        let lengths = [
            ("ttl", &s.ttl, 0),
            ("active_deadline", &s.active_deadline, 1),
        ];
        for (key, value, least) in lengths {
            let Some(text) = value else { continue };
            let problem = match parse_seconds(text) {
                Err(why) => Some(why),
                // `activeDeadlineSeconds: 0` is how Argo terminates a running workflow
                // (`getWorkflowDeadline`), so as a setting it would stop every run at once.
                Ok(seconds) if seconds < least => Some(format!(
                    "`{text}` would terminate the workflow as soon as it starts"
                )),
                Ok(_) => None,
            };
            if let Some(why) = problem {
                self.report(
                    Code::InvalidDuration,
                    None,
                    format!("pipeline `{pipeline}`'s `{key}` is invalid: {why}"),
                    format!("set `{key}` in #[pipeline(…)] or `--{}` to seconds (`3600`) or a duration such as `1h30m`", flag(key)),
                );
            }
        }
        let user = s.run_as_user;
        if user.is_some_and(|u| u > MAX_USER_ID) {
            self.report(
                Code::InvalidRunAsUser,
                None,
                format!(
                    "pipeline `{pipeline}` runs its pods as user {}, above Kubernetes' largest user id {MAX_USER_ID}",
                    user.unwrap_or_default()
                ),
                "pick a user id the image knows, such as 65532 (distroless `nonroot`)",
            );
        } else if user == Some(0) && s.secure_defaults {
            self.report(
                Code::InvalidRunAsUser,
                None,
                format!("pipeline `{pipeline}` runs its pods as user 0 (root), but its pods also get `runAsNonRoot: true`, so the kubelet would refuse to start them"),
                "pick a non-root user id (`run_as_user = 65532`), or, if the image must run as root, set `secure_defaults = false` (or pass `--no-secure-defaults`)",
            );
        }
    }
}

/// The `compile` flag of attribute key `key`.
fn flag(key: &str) -> String {
    match key {
        "image_pull_secrets" => "image-pull-secret".to_owned(),
        other => other.replace('_', "-"),
    }
}
