//! Errors from talking to the cluster, each saying what to do next.

use crate::ExitCode;
use crate::manifest::ManifestError;
use crate::status::StatusError;
use crate::store::StoreError;

/// What a request was trying to do, so a refusal can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// The Kubernetes verb (`create`, `get`, `list`, `watch`, `patch`, `delete`).
    pub verb: &'static str,
    /// The resource with its group (`workflows.argoproj.io`, `pods`, `pods/log`).
    pub resource: &'static str,
    /// The namespace (`None` for cluster-scoped resources).
    pub namespace: Option<String>,
    /// The object's name, if the request was about one.
    pub name: Option<String>,
}

impl RequestContext {
    fn scope(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("in namespace {ns:?}"),
            None => "at cluster scope".to_owned(),
        }
    }
}

/// Where the client is connected, for error messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    /// The kubeconfig context used (`in-cluster` inside a pod).
    pub context: String,
    /// The API server URL.
    pub cluster_url: String,
}

/// Errors from the cluster client. Each message says what went wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No usable kubeconfig or in-cluster configuration.
    #[error("cannot load Kubernetes configuration{}\nhelp: check KUBECONFIG / ~/.kube/config (`kubectl config get-contexts`), or pass --context NAME", context.as_ref().map(|c| format!(" for context {c:?}")).unwrap_or_default())]
    Config {
        /// The context asked for, if any.
        context: Option<String>,
        /// Why loading failed, said once (see [`ConfigCause`]).
        #[source]
        source: ConfigCause,
    },
    /// A run (or template) name that is not a Kubernetes object name; refused before it
    /// reaches a URL or a selector.
    #[error(
        "invalid {what} name {name:?}: {reason}\nhelp: a {what} name is a Kubernetes object name, as `{prog} workflows` lists runs: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters (e.g. train-x7k2p)",
        prog = crate::program_name()
    )]
    InvalidName {
        /// What was named: `run`, `template`.
        what: &'static str,
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A submission id that cannot be a label value.
    #[error(
        "invalid submission id {0:?}\nhelp: use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    )]
    InvalidSubmissionId(String),
    /// The API server did not answer within the request timeout (a server that accepts
    /// connections but never responds, or keeps failing until the time is up).
    #[error("no answer from the Kubernetes API server at {} (context {:?}) within {} to {} {} {}\nhelp: check the cluster is up (`kubectl --context {} cluster-info`), or allow more time with --request-timeout", target.cluster_url, target.context, human_duration(*after), ctx.verb, ctx.resource, ctx.scope(), target.context)]
    NoAnswer {
        /// Where the client was connected.
        target: Box<Target>,
        /// The request that got no answer.
        ctx: Box<RequestContext>,
        /// The time allowed.
        after: std::time::Duration,
        /// The last failure before time ran out, if an attempt failed before.
        #[source]
        source: Option<kube::Error>,
    },
    /// `--timeout` passed before the run was created, so there is nothing to watch.
    #[error("could not submit the run within the --timeout of {}; it was not created, or its creation was not confirmed\nhelp: check with `{} workflows`, then submit again with a longer --timeout", human_duration(*after), crate::program_name())]
    NotSubmitted {
        /// The time allowed.
        after: std::time::Duration,
    },
    /// The cluster stayed unreachable while watching a run.
    #[error("gave up watching {name}: no answer from the Kubernetes API server at {} within {}{}\nhelp: the run may still be going; check the cluster (`kubectl --context {} cluster-info`), then `{} watch {name}` again (--request-timeout sets how long to keep trying)", target.cluster_url, human_duration(*after), match attempts { 0 => String::new(), 1 => " (1 failed attempt)".to_owned(), n => format!(" ({n} failed attempts)") }, target.context, crate::program_name())]
    WatchGaveUp {
        /// The run.
        name: String,
        /// Where the client was connected.
        target: Box<Target>,
        /// How long it may stay unreachable (the request timeout).
        after: std::time::Duration,
        /// How many attempts failed.
        attempts: u32,
        /// The last failure, if an attempt failed before time ran out.
        #[source]
        source: Option<kube::Error>,
    },
    /// The API server could not be reached (DNS, refused connection, TLS, timeout).
    #[error("cannot reach the Kubernetes API server at {} (context {:?})\nhelp: check the cluster is running and reachable (`kubectl --context {} cluster-info`), or choose another with --context", target.cluster_url, target.context, target.context)]
    Unreachable {
        /// Where the client tried to connect.
        target: Box<Target>,
        /// The transport error.
        #[source]
        source: kube::Error,
    },
    /// The credentials were rejected (401).
    #[error("the API server at {} rejected the credentials of context {:?} (401 Unauthorized)\nhelp: log in again or refresh the kubeconfig credentials", target.cluster_url, target.context)]
    Unauthorized {
        /// Where the client was connected.
        target: Box<Target>,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The user lacks a permission (403).
    #[error("permission denied: cannot {} {} {}{}\nhelp: ask a cluster admin for a Role granting {:?} on {:?} {} (check with `kubectl auth can-i {} {}{}`)",
        ctx.verb, ctx.resource, ctx.scope(),
        ctx.name.as_ref().map(|n| format!(" (object {n:?})")).unwrap_or_default(),
        ctx.verb, ctx.resource, ctx.scope(),
        ctx.verb, ctx.resource,
        ctx.namespace.as_ref().map(|n| format!(" -n {n}")).unwrap_or_default())]
    Forbidden {
        /// The refused request.
        ctx: Box<RequestContext>,
        /// The API error (its message has the server's reason).
        #[source]
        source: kube::Error,
    },
    /// The resource type is unknown to the server: Argo's CRDs are not installed.
    #[error("the cluster has no {} resource: Argo Workflows' CRDs are not installed\nhelp: install Argo Workflows (e.g. `kubectl create namespace argo && kubectl apply -n argo -f https://github.com/argoproj/argo-workflows/releases/latest/download/quick-start-minimal.yaml`), or pick the right cluster with --context", ctx.resource)]
    CrdMissing {
        /// The request that found no resource type.
        ctx: Box<RequestContext>,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The namespace does not exist.
    #[error(
        "namespace {namespace:?} does not exist\nhelp: create it (`kubectl create namespace {namespace}`) or pass --namespace"
    )]
    NamespaceMissing {
        /// The namespace.
        namespace: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The named object does not exist.
    #[error("{} {:?} not found {}\nhelp: list runs with `{} workflows`{}", ctx.resource, ctx.name.as_deref().unwrap_or(""), ctx.scope(), crate::program_name(), ctx.namespace.as_ref().map(|n| format!(" --namespace {n}")).unwrap_or_default())]
    NotFound {
        /// The request.
        ctx: Box<RequestContext>,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// An object with that name already exists (409 on create).
    #[error("{} {:?} already exists {}\nhelp: use metadata.generateName for runs, delete the old one (`{prog} delete {}`), or `{prog} apply` for templates", ctx.resource, ctx.name.as_deref().unwrap_or(""), ctx.scope(), ctx.name.as_deref().unwrap_or("NAME"), prog = crate::program_name())]
    Conflict {
        /// The refused request.
        ctx: Box<RequestContext>,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The server rejected the object as invalid (400/422, e.g. Argo's admission checks).
    #[error("the API server rejected the {}: {message}\nhelp: fix the manifest (argot validate checks argot pipelines before submitting)", ctx.resource)]
    Rejected {
        /// The request.
        ctx: Box<RequestContext>,
        /// The server's message.
        message: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Any other API failure (5xx after retries, 429 after retries, unexpected responses).
    #[error("{} {} {} failed", ctx.verb, ctx.resource, ctx.scope())]
    Api {
        /// The request.
        ctx: Box<RequestContext>,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The object returned by the server could not be read.
    #[error("unexpected {what} from the API server")]
    Decode {
        /// What was being read.
        what: &'static str,
        /// The decoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// The manifest cannot be used.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The run's node status cannot be read.
    #[error(transparent)]
    Status(#[from] StatusError),
    /// The metadata store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The selected task is not in the run.
    #[error("run {run:?} has no task {task:?}\nhelp: its tasks are: {known}")]
    UnknownTask {
        /// The run.
        run: String,
        /// The task asked for.
        task: String,
        /// Its tasks, comma-separated.
        known: String,
    },
    /// Writing output failed.
    #[error("cannot write output")]
    Io(#[from] std::io::Error),
}

impl ClientError {
    /// The exit code for this error (see [`crate::ExitCode`]).
    pub fn exit_code(&self) -> ExitCode {
        match self {
            ClientError::Manifest(_)
            | ClientError::UnknownTask { .. }
            | ClientError::InvalidName { .. }
            | ClientError::InvalidSubmissionId(_) => ExitCode::Usage,
            ClientError::Status(_) | ClientError::Store(_) | ClientError::Io(_) => {
                ExitCode::Internal
            }
            _ => ExitCode::Cluster,
        }
    }

    /// Whether retrying the same request may succeed (429, 5xx, transport failures).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Api { source, .. } | ClientError::Unreachable { source, .. } => {
                is_transient(source)
            }
            ClientError::NoAnswer { .. } => true,
            _ => false,
        }
    }

    /// Maps a kube error for a request into an actionable error.
    pub fn from_kube(err: kube::Error, ctx: RequestContext, target: &Target) -> ClientError {
        let ctx = Box::new(ctx);
        let status = match &err {
            kube::Error::Api(s) => s.clone(),
            kube::Error::HyperError(_) | kube::Error::Service(_) => {
                return ClientError::Unreachable {
                    target: Box::new(target.clone()),
                    source: err,
                };
            }
            _ => return ClientError::Api { ctx, source: err },
        };
        let details = status.details.as_ref();
        match status.code {
            401 => ClientError::Unauthorized {
                target: Box::new(target.clone()),
                source: err,
            },
            403 => ClientError::Forbidden { ctx, source: err },
            404 => {
                let detail_kind = details.map(|d| d.kind.as_str()).unwrap_or("");
                let detail_name = details.map(|d| d.name.as_str()).unwrap_or("");
                if detail_kind == "namespaces" {
                    ClientError::NamespaceMissing {
                        namespace: detail_name.to_owned(),
                        source: err,
                    }
                } else if detail_name.is_empty() {
                    // "the server could not find the requested resource": no such resource type.
                    ClientError::CrdMissing { ctx, source: err }
                } else {
                    ClientError::NotFound { ctx, source: err }
                }
            }
            409 => ClientError::Conflict { ctx, source: err },
            400 | 422 => ClientError::Rejected {
                message: status.message.clone(),
                ctx,
                source: err,
            },
            _ => ClientError::Api { ctx, source: err },
        }
    }
}

/// Whether a kube error is worth retrying: 429, 5xx, or the connection failing.
pub fn is_transient(err: &kube::Error) -> bool {
    match err {
        kube::Error::Api(s) => s.code == 429 || s.code >= 500,
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

/// Formats a duration for messages: `30s`, `1m30s`, `2h`, `250ms`.
pub fn human_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.subsec_millis());
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Why the Kubernetes configuration could not be loaded, in one sentence.
///
/// kube-rs's errors repeat their cause inside their own message (`failed to infer config:
/// in-cluster: (…), kubeconfig: (…)`, then the kubeconfig error again as the source) and quote
/// paths twice (`'"/path"'`). This keeps the one cause a user can act on, said once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigCause(pub String);

impl std::fmt::Display for ConfigCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigCause {}

impl ConfigCause {
    /// Describes a kube-rs configuration error.
    pub fn from_kube(err: &(dyn std::error::Error + 'static)) -> ConfigCause {
        use kube::config::{InferConfigError, KubeconfigError, LoadDataError};
        // Inferring tries in-cluster then kubeconfig; outside a pod the kubeconfig failure is
        // the one to fix, and it is the inference error's source.
        let err = match err.downcast_ref::<InferConfigError>() {
            Some(infer) => match std::error::Error::source(infer) {
                Some(kubeconfig) => kubeconfig,
                None => err,
            },
            None => match err.downcast_ref::<kube::Error>() {
                Some(kube::Error::InferKubeconfig(k)) => k,
                Some(kube::Error::InferConfig(i)) => {
                    return ConfigCause::from_kube(i);
                }
                _ => err,
            },
        };
        let data = |what: &str, e: &LoadDataError| match e {
            LoadDataError::ReadFile(io, path) => {
                format!("cannot read the {what} file {}: {io}", path.display())
            }
            other => format!("cannot load the {what}: {other}"),
        };
        let text = match err.downcast_ref::<KubeconfigError>() {
            Some(KubeconfigError::ReadConfig(io, path)) => {
                format!("cannot read kubeconfig {}: {io}", path.display())
            }
            Some(KubeconfigError::LoadContext(name)) => {
                format!("the kubeconfig has no context {name:?}")
            }
            Some(KubeconfigError::LoadCertificateAuthority(e)) => data("certificate authority", e),
            Some(KubeconfigError::LoadClientCertificate(e)) => data("client certificate", e),
            Some(KubeconfigError::LoadClientKey(e)) => data("client key", e),
            _ => crate::error_chain(err),
        };
        ConfigCause(text.replace("'\"", "\"").replace("\"'", "\""))
    }
}
