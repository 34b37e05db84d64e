//! The Argo Workflows client (feature `cluster`): submit, watch, logs, stop, terminate,
//! resubmit, delete, list and apply, through kube-rs.
//!
//! Connect with [`ArgoClient::connect`] (kubeconfig and context as kubectl resolves them, or the
//! in-cluster service account), or wrap any [`kube::Client`] with [`ArgoClient::new`] — tests
//! pass one built on `tower_test::mock::pair`.
//!
//! Failures are [`ClientError`]s that say what to do: a missing permission names the verb,
//! resource and namespace; a 404 on the resource type says Argo's CRDs are not installed; an
//! unreachable server names the context and URL.
//!
//! Nothing waits forever: each operation (a request with its retries) must finish within the
//! request timeout ([`DEFAULT_REQUEST_TIMEOUT`], [`ArgoClient::with_request_timeout`]), the
//! transport has connect, read and write timeouts just behind it, and a watch gives up once
//! the cluster has stayed unreachable that long. Names that go into URLs and selectors are
//! checked first ([`validate_run_name`]).

mod error;
pub mod progress;

use std::time::Duration;

use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, LogParams, Patch, PatchParams,
    PostParams,
};
use kube::runtime::watcher;
use serde_json::{Value, json};

pub use error::{ClientError, ConfigCause, RequestContext, Target, human_duration, is_transient};

use crate::manifest::{Kind, LABEL_SUBMISSION, Manifest, ManifestError, RunLabels};
use crate::status::WorkflowView;

/// The field manager argot writes with (server-side apply, create, patch).
pub const FIELD_MANAGER: &str = "argot";

/// Pod label Argo puts on every pod of a workflow.
const WORKFLOW_POD_LABEL: &str = "workflows.argoproj.io/workflow";
/// Pod annotation Argo puts on every pod: the node id it runs.
const NODE_ID_ANNOTATION: &str = "workflows.argoproj.io/node-id";

fn resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: "argoproj.io".into(),
        version: "v1alpha1".into(),
        api_version: "argoproj.io/v1alpha1".into(),
        kind: kind.into(),
        plural: plural.into(),
    }
}

/// How a transient failure (429, 5xx, connection) is retried: exponential backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included.
    pub attempts: u32,
    /// Delay before the second attempt; doubles each time.
    pub initial: Duration,
    /// Largest delay.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            initial: Duration::from_millis(500),
            max: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    fn delay(&self, attempt: u32) -> Duration {
        self.initial
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max)
    }
}

/// How long one operation (a request with its retries) may take before the command gives up
/// with exit 7, unless `--request-timeout` says otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Kubeconfig context; `None` uses the current context (or in-cluster config).
    pub context: Option<String>,
    /// Namespace; `None` uses the context's namespace, else `default`.
    pub namespace: Option<String>,
    /// The bound on connecting, on each read and write, and on one operation with its retries
    /// ([`DEFAULT_REQUEST_TIMEOUT`]); a watch gives up after the cluster stayed unreachable
    /// this long.
    pub request_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            context: None,
            namespace: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// Checks that `name` can be a Workflow's name (a DNS-1123 subdomain, as Kubernetes'
/// `IsDNS1123Subdomain` in apimachinery `pkg/util/validation` requires of object names) before
/// it is put into a URL path, a label selector or a field selector, where `../x`, `?dryRun=All`
/// or `,metadata.namespace=y` would change what the request means.
///
/// # Errors
/// [`ClientError::InvalidName`] saying what is wrong.
pub fn validate_run_name(name: &str) -> Result<(), ClientError> {
    validate_object_name("run", name)
}

/// [`validate_run_name`] for any object argot puts in a URL (`what` names it in the error).
fn validate_object_name(what: &'static str, name: &str) -> Result<(), ClientError> {
    let refuse = |reason: String| {
        Err(ClientError::InvalidName {
            what,
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return refuse("it is empty".into());
    }
    if name.len() > 253 {
        return refuse(format!("it is {} characters long", name.len()));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '.'))
    {
        return refuse(format!("{c:?} is not allowed"));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return refuse("it must start and end with a letter or digit".into());
    }
    // Each dot-separated part is a DNS-1123 label: no empty part, none starting or ending with '-'.
    if name
        .split('.')
        .any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-'))
    {
        return refuse("each '.'-separated part must start and end with a letter or digit".into());
    }
    Ok(())
}

/// Checks a submission id is a label value (Kubernetes `IsValidLabelValue`: at most 63 of
/// `[A-Za-z0-9_.-]`, starting and ending alphanumeric), since it is matched in a label selector.
fn check_submission_id(id: &str) -> Result<(), ClientError> {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let ok = id.len() <= 63
        && alnum(id.chars().next())
        && alnum(id.chars().last())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ClientError::InvalidSubmissionId(id.to_owned()))
    }
}

/// When an operation must be over; `None` when the allowed time is too large to represent
/// (`--request-timeout 99999999999h`), which means no bound.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    at: Option<tokio::time::Instant>,
    budget: Duration,
}

impl Deadline {
    fn after(start: tokio::time::Instant, budget: Duration) -> Deadline {
        Deadline {
            at: start.checked_add(budget),
            budget,
        }
    }

    /// The time left; `None` for no bound.
    fn remaining(&self) -> Option<Duration> {
        self.at
            .map(|at| at.saturating_duration_since(tokio::time::Instant::now()))
    }

    /// Whether waiting `delay` still leaves time for another attempt.
    fn allows(&self, delay: Duration) -> bool {
        self.remaining().is_none_or(|r| r > delay)
    }
}

/// What to submit and how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitOptions {
    /// Workflow arguments to set (`-p name=value`).
    pub parameters: Vec<(String, String)>,
    /// Labels recording pipeline, version and source revision.
    pub labels: RunLabels,
    /// Server-side dry run: validate and default, create nothing.
    pub dry_run: bool,
    /// The idempotency key; `None` makes a fresh one. Submitting twice with the same id
    /// returns the first run instead of creating another.
    pub submission_id: Option<String>,
}

/// The result of a submit.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    /// The run's name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// The submission id it is labelled with.
    pub submission_id: String,
    /// `false` when an earlier submit with the same id had already created it.
    pub created: bool,
    /// The object as the server returned it.
    pub object: Value,
}

/// How a watch ended.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchOutcome {
    /// The run reached Succeeded, Failed or Error.
    Finished(Box<WorkflowView>),
    /// The timeout passed first; the last status seen, if any.
    TimedOut(Option<Box<WorkflowView>>),
    /// The workflow was deleted while watching; the last status seen, if any.
    Deleted(Option<Box<WorkflowView>>),
}

/// A watch is about to wait and retry because the cluster did not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryNotice {
    /// How many attempts have failed in a row.
    pub attempt: u32,
    /// How long it waits before the next attempt.
    pub delay: Duration,
    /// How long until the watch gives up if the cluster stays unreachable.
    pub give_up_in: Duration,
    /// Why the last attempt failed.
    pub cause: String,
}

/// One row of `workflows` (the runs in a namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// The run's name.
    pub name: String,
    /// `argot.dev/pipeline`, if labelled.
    pub pipeline: Option<String>,
    /// Its phase.
    pub phase: crate::Phase,
    /// Start time.
    pub started_at: Option<String>,
    /// End time.
    pub finished_at: Option<String>,
}

/// A client for Argo Workflows in one namespace of one cluster.
#[derive(Clone)]
pub struct ArgoClient {
    client: kube::Client,
    /// For log streams that may stay quiet for long: no read timeout at the transport.
    stream_client: kube::Client,
    namespace: String,
    target: Target,
    retry: RetryPolicy,
    request_timeout: Duration,
    /// When [`ArgoClient::connect`] began, until the first operation takes it: that operation's
    /// time counts from there, so loading the configuration and building the TLS stack are
    /// inside the request timeout and a command exits within it.
    connected_at: std::sync::Arc<std::sync::Mutex<Option<tokio::time::Instant>>>,
}

impl std::fmt::Debug for ArgoClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArgoClient")
            .field("namespace", &self.namespace)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl ArgoClient {
    /// Connects as kubectl would: the given or current kubeconfig context, else the in-cluster
    /// service account. The namespace is the flag's, else the context's, else `default`.
    ///
    /// # Errors
    /// [`ClientError::Config`] when no configuration can be loaded. Nothing is sent yet, so an
    /// unreachable server shows up on the first request as [`ClientError::Unreachable`].
    pub async fn connect(opts: &ConnectOptions) -> Result<ArgoClient, ClientError> {
        let connecting = tokio::time::Instant::now();
        let config_err = |e: Box<dyn std::error::Error + Send + Sync>| ClientError::Config {
            context: opts.context.clone(),
            source: ConfigCause::from_kube(&*e),
        };
        let (config, context) = match &opts.context {
            Some(ctx) => {
                let o = kube::config::KubeConfigOptions {
                    context: Some(ctx.clone()),
                    ..Default::default()
                };
                let c = kube::Config::from_kubeconfig(&o)
                    .await
                    .map_err(|e| config_err(Box::new(e)))?;
                (c, ctx.clone())
            }
            None => {
                let c = kube::Config::infer()
                    .await
                    .map_err(|e| config_err(Box::new(e)))?;
                let ctx = kube::config::Kubeconfig::read()
                    .ok()
                    .and_then(|k| k.current_context)
                    .unwrap_or_else(|| "in-cluster".to_owned());
                (c, ctx)
            }
        };
        let target = Target {
            context,
            cluster_url: config.cluster_url.to_string(),
        };
        let namespace = opts
            .namespace
            .clone()
            .unwrap_or_else(|| config.default_namespace.clone());
        let mut config = config;
        // The transport's timeouts are a backstop a second behind the operation's own deadline
        // (`retrying_until`), so a silent server is reported as "no answer within …" rather
        // than as a transport error.
        let t = opts.request_timeout.saturating_add(Duration::from_secs(1));
        config.connect_timeout = Some(t);
        config.write_timeout = Some(t);
        // kube's own retry layer waits up to 1000 s between 15 attempts on a 503; argot's
        // retries (`RetryPolicy`) are bounded by the request timeout instead.
        config.default_retry = false;
        let mut streaming = config.clone();
        streaming.read_timeout = None;
        config.read_timeout = Some(t);
        // Count the read timeout from when a request is sent, not from when its pooled
        // connection went idle.
        config.reset_reader_on_write = true;
        let client = kube::Client::try_from(config).map_err(|e| config_err(Box::new(e)))?;
        let stream_client =
            kube::Client::try_from(streaming).map_err(|e| config_err(Box::new(e)))?;
        let mut argo =
            ArgoClient::new(client, namespace, target).with_request_timeout(opts.request_timeout);
        argo.stream_client = stream_client;
        argo.connected_at = std::sync::Arc::new(std::sync::Mutex::new(Some(connecting)));
        Ok(argo)
    }

    /// Wraps a kube client (tests use a mock service).
    pub fn new(client: kube::Client, namespace: impl Into<String>, target: Target) -> ArgoClient {
        ArgoClient {
            stream_client: client.clone(),
            client,
            namespace: namespace.into(),
            target,
            retry: RetryPolicy::default(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            connected_at: std::sync::Arc::default(),
        }
    }

    /// Replaces the retry policy for transient failures.
    pub fn with_retry(mut self, retry: RetryPolicy) -> ArgoClient {
        self.retry = retry;
        self
    }

    /// Bounds each operation (a request with its retries) and how long a watch keeps trying
    /// an unreachable cluster ([`DEFAULT_REQUEST_TIMEOUT`] unless set).
    pub fn with_request_timeout(mut self, timeout: Duration) -> ArgoClient {
        self.request_timeout = timeout;
        self
    }

    /// The bound on one operation with its retries.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    fn deadline(&self) -> Deadline {
        Deadline::after(self.operation_start(), self.request_timeout)
    }

    /// Now, or for the first operation after connecting, when connecting began.
    fn operation_start(&self) -> tokio::time::Instant {
        let mut first = self
            .connected_at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        first.take().unwrap_or_else(tokio::time::Instant::now)
    }

    /// The namespace this client works in.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Where this client is connected (context and API server URL).
    pub fn target(&self) -> &Target {
        &self.target
    }

    fn api(&self, kind: &Kind) -> Api<DynamicObject> {
        match kind {
            Kind::ClusterWorkflowTemplate => Api::all_with(
                self.client.clone(),
                &resource("ClusterWorkflowTemplate", "clusterworkflowtemplates"),
            ),
            Kind::WorkflowTemplate => Api::namespaced_with(
                self.client.clone(),
                &self.namespace,
                &resource("WorkflowTemplate", "workflowtemplates"),
            ),
            Kind::CronWorkflow => Api::namespaced_with(
                self.client.clone(),
                &self.namespace,
                &resource("CronWorkflow", "cronworkflows"),
            ),
            _ => Api::namespaced_with(
                self.client.clone(),
                &self.namespace,
                &resource("Workflow", "workflows"),
            ),
        }
    }

    fn workflows(&self) -> Api<DynamicObject> {
        self.api(&Kind::Workflow)
    }

    fn ctx(&self, verb: &'static str, name: Option<&str>) -> RequestContext {
        self.ctx_for(verb, "workflows.argoproj.io", name)
    }

    fn ctx_for(
        &self,
        verb: &'static str,
        resource: &'static str,
        name: Option<&str>,
    ) -> RequestContext {
        RequestContext {
            verb,
            resource,
            namespace: (resource != "clusterworkflowtemplates.argoproj.io")
                .then(|| self.namespace.clone()),
            name: name.map(str::to_owned),
        }
    }

    fn err(&self, e: kube::Error, ctx: RequestContext) -> ClientError {
        ClientError::from_kube(e, ctx, &self.target)
    }

    /// Runs `op` until it succeeds, fails permanently, or retries run out (429/5xx/transport),
    /// within the request timeout.
    async fn retrying<T, F, Fut>(&self, ctx: RequestContext, op: F) -> Result<T, ClientError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, kube::Error>>,
    {
        self.retrying_until(self.deadline(), ctx, op).await
    }

    /// One attempt of a request, cut off at the deadline: `None` when time ran out.
    async fn attempt<T>(
        deadline: Deadline,
        request: impl std::future::Future<Output = Result<T, kube::Error>>,
    ) -> Option<Result<T, kube::Error>> {
        match deadline.remaining() {
            None => Some(request.await),
            Some(left) => tokio::time::timeout(left, request).await.ok(),
        }
    }

    fn no_answer(
        &self,
        ctx: RequestContext,
        deadline: Deadline,
        last: Option<kube::Error>,
    ) -> ClientError {
        ClientError::NoAnswer {
            target: Box::new(self.target.clone()),
            ctx: Box::new(ctx),
            after: deadline.budget,
            source: last,
        }
    }

    /// [`ArgoClient::retrying`] with the deadline of a larger operation.
    async fn retrying_until<T, F, Fut>(
        &self,
        deadline: Deadline,
        ctx: RequestContext,
        mut op: F,
    ) -> Result<T, ClientError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, kube::Error>>,
    {
        let mut attempt = 0;
        let mut last = None;
        loop {
            match Self::attempt(deadline, op()).await {
                None => return Err(self.no_answer(ctx, deadline, last)),
                Some(Ok(v)) => return Ok(v),
                Some(Err(e)) if is_transient(&e) && attempt + 1 < self.retry.attempts => {
                    let delay = self.retry.delay(attempt);
                    if !deadline.allows(delay) {
                        return Err(self.err(e, ctx));
                    }
                    tracing::warn!(error = %e, ?delay, "{} {} failed; retrying", ctx.verb, ctx.resource);
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                    last = Some(e);
                }
                Some(Err(e)) => return Err(self.err(e, ctx)),
            }
        }
    }

    /// Creates a Workflow from a manifest, stamped with labels, parameters and a submission id.
    ///
    /// Idempotent: a 429 is retried as is; after an ambiguous failure (5xx, lost connection)
    /// the runs labelled with this submission id are listed first and an existing one is
    /// returned instead of creating a second run. A 409 on a fixed name returns the existing
    /// run if it carries this submission id, else [`ClientError::Conflict`].
    ///
    /// # Errors
    /// [`ManifestError::WrongKind`] (as [`ClientError::Manifest`]) for non-Workflow manifests,
    /// and the mapped API errors.
    pub async fn submit(
        &self,
        manifest: &Manifest,
        opts: &SubmitOptions,
    ) -> Result<Submitted, ClientError> {
        self.submit_until(self.deadline(), manifest, opts).await
    }

    async fn submit_until(
        &self,
        deadline: Deadline,
        manifest: &Manifest,
        opts: &SubmitOptions,
    ) -> Result<Submitted, ClientError> {
        manifest.require_workflow()?;
        if let Some(name) = manifest.name() {
            validate_run_name(name)?;
        }
        let mut m = manifest.clone();
        if let Some(ns) = m.namespace()
            && ns != self.namespace
        {
            tracing::info!(manifest = ns, using = %self.namespace, "overriding the manifest's namespace");
        }
        m.set_namespace(&self.namespace);
        m.stamp_run_labels(&opts.labels);
        m.set_parameters(&opts.parameters);
        let submission = opts
            .submission_id
            .clone()
            .unwrap_or_else(crate::manifest::new_submission_id);
        // The id is a label value and goes into `find_submission`'s label selector; a user's
        // `--submission-id a,b=c` must not widen it.
        check_submission_id(&submission)?;
        m.set_label(LABEL_SUBMISSION, &submission);

        if opts.submission_id.is_some()
            && !opts.dry_run
            && let Some(existing) = self.find_submission(deadline, &submission).await?
        {
            return Ok(self.submitted(existing, submission, false));
        }
        let obj: DynamicObject =
            serde_json::from_value(m.value.clone()).map_err(|source| ClientError::Decode {
                what: "manifest",
                source,
            })?;
        let pp = PostParams {
            dry_run: opts.dry_run,
            field_manager: Some(FIELD_MANAGER.to_owned()),
        };
        let api = self.workflows();
        let ctx = self.ctx("create", m.name());
        let mut attempt = 0;
        let mut last = None;
        loop {
            let err = match Self::attempt(deadline, api.create(&pp, &obj)).await {
                None => return Err(self.no_answer(ctx, deadline, last)),
                Some(Ok(created)) => {
                    return Ok(self.submitted(to_value(&created)?, submission, true));
                }
                Some(Err(e)) => e,
            };
            let code = match &err {
                kube::Error::Api(s) => Some(s.code),
                _ => None,
            };
            if code == Some(409)
                && let Some(name) = m.name()
            {
                let existing = self.get_until(deadline, name).await?;
                let label = existing.pointer(&format!(
                    "/metadata/labels/{}",
                    LABEL_SUBMISSION.replace('/', "~1")
                ));
                if label.and_then(Value::as_str) == Some(submission.as_str()) {
                    return Ok(self.submitted(existing, submission, false));
                }
                return Err(self.err(err, ctx));
            }
            let delay = self.retry.delay(attempt);
            if !is_transient(&err) || attempt + 1 >= self.retry.attempts || !deadline.allows(delay)
            {
                return Err(self.err(err, ctx));
            }
            tracing::warn!(error = %err, ?delay, "creating the workflow failed; retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
            // 429 means "not processed"; anything else may have created the run already.
            if code != Some(429)
                && !opts.dry_run
                && let Some(existing) = self.find_submission(deadline, &submission).await?
            {
                return Ok(self.submitted(existing, submission, false));
            }
            last = Some(err);
        }
    }

    fn submitted(&self, object: Value, submission_id: String, created: bool) -> Submitted {
        Submitted {
            name: object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            namespace: self.namespace.clone(),
            submission_id,
            created,
            object,
        }
    }

    /// The run created with `submission` (an id `submit_until` has checked), if any.
    async fn find_submission(
        &self,
        deadline: Deadline,
        submission: &str,
    ) -> Result<Option<Value>, ClientError> {
        let lp = ListParams::default().labels(&format!("{LABEL_SUBMISSION}={submission}"));
        let api = self.workflows();
        let list = self
            .retrying_until(deadline, self.ctx("list", None), || api.list(&lp))
            .await?;
        let mut items = list.items;
        // Oldest first, so a duplicate (should one ever exist) resolves to the original.
        items.sort_by(|a, b| {
            (&a.metadata.creation_timestamp, &a.metadata.name)
                .cmp(&(&b.metadata.creation_timestamp, &b.metadata.name))
        });
        items.first().map(to_value).transpose()
    }

    /// Creates a Workflow that runs a WorkflowTemplate (or ClusterWorkflowTemplate) by name.
    ///
    /// # Errors
    /// As [`ArgoClient::submit`].
    pub async fn submit_from_template(
        &self,
        template: &str,
        cluster_scope: bool,
        opts: &SubmitOptions,
    ) -> Result<Submitted, ClientError> {
        let mut opts = opts.clone();
        if opts.labels.pipeline.is_none() {
            opts.labels.pipeline = Some(template.to_owned());
        }
        self.submit(&Manifest::from_template(template, cluster_scope), &opts)
            .await
    }

    /// Creates or updates a WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow with
    /// server-side apply. Returns the object as stored.
    ///
    /// # Errors
    /// [`ManifestError::WrongKind`] for Workflows (use submit) and unknown kinds;
    /// [`ManifestError::MissingName`] without `metadata.name`; the mapped API errors.
    pub async fn apply(&self, manifest: &Manifest, dry_run: bool) -> Result<Value, ClientError> {
        let kind = manifest.kind();
        let resource = match kind {
            Kind::WorkflowTemplate => "workflowtemplates.argoproj.io",
            Kind::ClusterWorkflowTemplate => "clusterworkflowtemplates.argoproj.io",
            Kind::CronWorkflow => "cronworkflows.argoproj.io",
            _ => {
                return Err(ManifestError::WrongKind {
                    command: "apply",
                    expected: "WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow",
                    found: kind.to_string(),
                    help: "run a Workflow with `argot submit FILE`",
                }
                .into());
            }
        };
        let name = manifest
            .name()
            .ok_or_else(|| ManifestError::MissingName {
                kind: kind.to_string(),
                field: "name",
            })?
            .to_owned();
        validate_object_name("template", &name)?;
        let mut m = manifest.clone();
        if let Some(meta) = m.value.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("generateName");
        }
        if kind != Kind::ClusterWorkflowTemplate {
            m.set_namespace(&self.namespace);
        }
        let mut pp = PatchParams::apply(FIELD_MANAGER).force();
        pp.dry_run = dry_run;
        let api = self.api(&kind);
        let patch = Patch::Apply(m.value);
        let obj = self
            .retrying(self.ctx_for("patch", resource, Some(&name)), || {
                api.patch(&name, &pp, &patch)
            })
            .await?;
        to_value(&obj)
    }

    /// Reads a Workflow object.
    ///
    /// # Errors
    /// [`ClientError::NotFound`] and the other mapped API errors.
    pub async fn get(&self, name: &str) -> Result<Value, ClientError> {
        self.get_until(self.deadline(), name).await
    }

    async fn get_until(&self, deadline: Deadline, name: &str) -> Result<Value, ClientError> {
        validate_run_name(name)?;
        let api = self.workflows();
        let obj = self
            .retrying_until(deadline, self.ctx("get", Some(name)), || api.get(name))
            .await?;
        to_value(&obj)
    }

    /// Reads a Workflow and decodes its status into tasks.
    ///
    /// # Errors
    /// As [`ArgoClient::get`], plus [`ClientError::Status`] if compressed nodes are corrupt.
    pub async fn status(&self, name: &str) -> Result<WorkflowView, ClientError> {
        Ok(WorkflowView::from_workflow(&self.get(name).await?)?)
    }

    /// Watches one Workflow until it finishes, calling `on_change` with each new status.
    /// [`ArgoClient::watch_reporting`] also reports each retry while the cluster is
    /// unreachable.
    ///
    /// # Errors
    /// As [`ArgoClient::watch_reporting`].
    pub async fn watch(
        &self,
        name: &str,
        timeout: Option<Duration>,
        on_change: impl FnMut(&WorkflowView),
    ) -> Result<WatchOutcome, ClientError> {
        self.watch_reporting(name, timeout, on_change, |_| {}).await
    }

    /// Watches one Workflow until it finishes, calling `on_change` with each new status and
    /// `on_retry` before each wait while the cluster is unreachable.
    ///
    /// Uses kube-runtime's watcher with a field selector on the name: it resumes after
    /// disconnects from the last resource version and re-lists after `410 Gone`. Transient
    /// failures (refused or reset connections, 5xx, 429, no answer) are retried with
    /// exponential backoff capped at [`RetryPolicy::max`]; once the cluster has been
    /// unreachable for the request timeout ([`ArgoClient::with_request_timeout`]) the watch
    /// gives up with [`ClientError::WatchGaveUp`]. Until the first answer, that bound counts
    /// from the start of the watch, so a server that never answers ends it in time too.
    /// Permanent errors (403, missing CRDs, 401) end the watch at once. `timeout` bounds the
    /// whole watch.
    ///
    /// # Errors
    /// The mapped API errors; [`ClientError::NotFound`] if no such workflow exists;
    /// [`ClientError::WatchGaveUp`]; [`ClientError::Status`] if its compressed nodes are
    /// corrupt.
    pub async fn watch_reporting(
        &self,
        name: &str,
        timeout: Option<Duration>,
        mut on_change: impl FnMut(&WorkflowView),
        mut on_retry: impl FnMut(&RetryNotice),
    ) -> Result<WatchOutcome, ClientError> {
        validate_run_name(name)?;
        let cfg = watcher::Config::default()
            .fields(&format!("metadata.name={name}"))
            .timeout(watch_window(self.request_timeout));
        let stream = watcher(self.workflows(), cfg);
        let mut stream = std::pin::pin!(stream);
        let mut last: Option<WorkflowView> = None;
        let mut seen = false;
        let bound = self.request_timeout;
        let run = async {
            // When the current spell of failures began: the start of the watch until the
            // server first answers, else the first failure after an answer.
            let mut failing_since = Some(self.operation_start());
            let mut attempts = 0u32;
            let mut last_error: Option<kube::Error> = None;
            loop {
                let give_up_at = failing_since.and_then(|t| t.checked_add(bound));
                let event = match give_up_at {
                    // A healthy watch may stay quiet for hours; only a failing one is bounded.
                    None => stream.next().await,
                    Some(at) => match tokio::time::timeout_at(at, stream.next()).await {
                        Ok(e) => e,
                        Err(_) => {
                            return Err(self.gave_up(name, bound, attempts, last_error));
                        }
                    },
                };
                let Some(event) = event else { break };
                let obj = match event {
                    // The watcher says Init before each list it is about to send, so Init is
                    // no answer from the server.
                    Ok(watcher::Event::Init) => continue,
                    Ok(ok) => {
                        failing_since = None;
                        attempts = 0;
                        last_error = None;
                        match ok {
                            watcher::Event::Apply(o) | watcher::Event::InitApply(o) => o,
                            watcher::Event::Delete(_) => {
                                return Ok(WatchOutcome::Deleted(last.take().map(Box::new)));
                            }
                            watcher::Event::Init => continue,
                            watcher::Event::InitDone => {
                                if !seen {
                                    return Err(not_found(self.ctx("get", Some(name)), name));
                                }
                                continue;
                            }
                        }
                    }
                    Err(e) => {
                        let (inner, verb) = match e {
                            watcher::Error::InitialListFailed(k) => (k, "list"),
                            watcher::Error::WatchStartFailed(k)
                            | watcher::Error::WatchFailed(k) => (k, "watch"),
                            watcher::Error::WatchError(s) => (kube::Error::Api(s), "watch"),
                            watcher::Error::NoResourceVersion => continue,
                        };
                        // 410 Gone: the watcher has already reset and re-lists on the next poll.
                        if matches!(&inner, kube::Error::Api(s) if s.code == 410) {
                            continue;
                        }
                        // A stream cut mid-body (ReadEvents) is a transport failure too.
                        let broken = matches!(&inner, kube::Error::ReadEvents(_));
                        if !is_transient(&inner) && !broken {
                            return Err(self.err(inner, self.ctx(verb, None)));
                        }
                        let now = tokio::time::Instant::now();
                        let since = *failing_since.get_or_insert(now);
                        let delay = self.retry.delay(attempts);
                        attempts = attempts.saturating_add(1);
                        let failing_for = now.saturating_duration_since(since);
                        if failing_for.saturating_add(delay) >= bound {
                            return Err(self.gave_up(name, bound, attempts, Some(inner)));
                        }
                        on_retry(&RetryNotice {
                            attempt: attempts,
                            delay,
                            give_up_in: bound - failing_for,
                            cause: describe_kube_error(&inner),
                        });
                        tracing::warn!(error = %inner, ?delay, "watching {name} failed; retrying");
                        tokio::time::sleep(delay).await;
                        last_error = Some(inner);
                        continue;
                    }
                };
                seen = true;
                let value = to_value(&obj)?;
                let view = WorkflowView::from_workflow(&value)?;
                if last.as_ref() != Some(&view) {
                    on_change(&view);
                }
                if view.phase.is_finished() {
                    return Ok(WatchOutcome::Finished(Box::new(view)));
                }
                last = Some(view);
            }
            Ok(WatchOutcome::TimedOut(last.take().map(Box::new)))
        };
        let mut run = Box::pin(run);
        match timeout {
            None => run.await,
            Some(t) => match tokio::time::timeout(t, &mut run).await {
                Ok(r) => r,
                Err(_) => {
                    drop(run);
                    Ok(WatchOutcome::TimedOut(last.map(Box::new)))
                }
            },
        }
    }

    fn gave_up(
        &self,
        name: &str,
        after: Duration,
        attempts: u32,
        source: Option<kube::Error>,
    ) -> ClientError {
        ClientError::WatchGaveUp {
            name: name.to_owned(),
            target: Box::new(self.target.clone()),
            after,
            attempts,
            source,
        }
    }

    /// Asks Argo to stop the run gracefully (`spec.shutdown: Stop`): running pods finish,
    /// exit handlers run, nothing new starts.
    ///
    /// # Errors
    /// The mapped API errors.
    pub async fn stop(&self, name: &str) -> Result<(), ClientError> {
        self.shutdown(name, "Stop").await
    }

    /// Terminates the run now (`spec.shutdown: Terminate`): pods are killed, exit handlers do
    /// not run.
    ///
    /// # Errors
    /// The mapped API errors.
    pub async fn terminate(&self, name: &str) -> Result<(), ClientError> {
        self.shutdown(name, "Terminate").await
    }

    async fn shutdown(&self, name: &str, how: &str) -> Result<(), ClientError> {
        validate_run_name(name)?;
        let api = self.workflows();
        let patch = Patch::Merge(json!({ "spec": { "shutdown": how } }));
        let pp = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PatchParams::default()
        };
        self.retrying(self.ctx("patch", Some(name)), || {
            api.patch(name, &pp, &patch)
        })
        .await?;
        Ok(())
    }

    /// Creates a new run from a finished run's spec and labels (like `argo resubmit`, without
    /// memoization), labelled `workflows.argoproj.io/resubmitted-from-workflow`.
    ///
    /// # Errors
    /// The mapped API errors.
    pub async fn resubmit(&self, name: &str) -> Result<Submitted, ClientError> {
        let deadline = self.deadline();
        let old = self.get_until(deadline, name).await?;
        let mut spec = old.get("spec").cloned().unwrap_or_else(|| json!({}));
        if let Some(s) = spec.as_object_mut() {
            s.remove("shutdown");
        }
        let mut labels = serde_json::Map::new();
        if let Some(l) = old.pointer("/metadata/labels").and_then(Value::as_object) {
            for (k, v) in l {
                if !k.starts_with("workflows.argoproj.io/") && k != LABEL_SUBMISSION {
                    labels.insert(k.clone(), v.clone());
                }
            }
        }
        labels.insert(
            "workflows.argoproj.io/resubmitted-from-workflow".into(),
            Value::String(name.to_owned()),
        );
        let generate = old
            .pointer("/metadata/generateName")
            .and_then(Value::as_str)
            .map_or_else(|| format!("{name}-"), str::to_owned);
        let manifest = Manifest::from_value(json!({
            "apiVersion": crate::manifest::ARGO_API_VERSION,
            "kind": "Workflow",
            "metadata": { "generateName": generate, "labels": labels },
            "spec": spec,
        }))?;
        self.submit_until(deadline, &manifest, &SubmitOptions::default())
            .await
    }

    /// Deletes a run (its pods go with it).
    ///
    /// # Errors
    /// The mapped API errors.
    pub async fn delete(&self, name: &str) -> Result<(), ClientError> {
        validate_run_name(name)?;
        let api = self.workflows();
        let dp = DeleteParams::default();
        self.retrying(self.ctx("delete", Some(name)), || api.delete(name, &dp))
            .await?;
        Ok(())
    }

    /// Lists runs in the namespace, optionally of one pipeline (by `argot.dev/pipeline`), newest
    /// first.
    ///
    /// # Errors
    /// The mapped API errors.
    pub async fn list(&self, pipeline: Option<&str>) -> Result<Vec<RunSummary>, ClientError> {
        let mut lp = ListParams::default();
        if let Some(p) = pipeline {
            lp = lp.labels(&format!(
                "{}={}",
                crate::manifest::LABEL_PIPELINE,
                crate::manifest::label_value(p)
            ));
        }
        let api = self.workflows();
        let list = self
            .retrying(self.ctx("list", None), || api.list(&lp))
            .await?;
        let mut rows: Vec<RunSummary> = list
            .items
            .iter()
            .map(|o| {
                let v = to_value(o)?;
                let s = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
                Ok(RunSummary {
                    name: o.metadata.name.clone().unwrap_or_default(),
                    pipeline: o
                        .metadata
                        .labels
                        .as_ref()
                        .and_then(|l| l.get(crate::manifest::LABEL_PIPELINE).cloned()),
                    phase: crate::Phase::parse(s("/status/phase").as_deref()),
                    started_at: s("/status/startedAt"),
                    finished_at: s("/status/finishedAt"),
                })
            })
            .collect::<Result<_, ClientError>>()?;
        rows.sort_by(|a, b| {
            (b.started_at.is_none(), &b.started_at, &a.name).cmp(&(
                a.started_at.is_none(),
                &a.started_at,
                &b.name,
            ))
        });
        Ok(rows)
    }

    /// Writes the logs of one task (by name as in [`WorkflowView::task`]; a loop task's base
    /// name selects all its iterations) or of every task, line by line, to `out` as
    /// `(task name, line)`. With `follow`, streams until the pods end.
    ///
    /// # Errors
    /// [`ClientError::UnknownTask`]; the mapped API errors.
    pub async fn logs(
        &self,
        name: &str,
        task: Option<&str>,
        follow: bool,
        mut out: impl FnMut(&str, &str),
    ) -> Result<(), ClientError> {
        let deadline = self.deadline();
        let view = WorkflowView::from_workflow(&self.get_until(deadline, name).await?)?;
        let selected: Vec<_> = match task {
            None => view.tasks.iter().collect(),
            Some(t) => {
                let hits: Vec<_> = view
                    .tasks
                    .iter()
                    .filter(|x| {
                        x.name == t || x.node_id == t || x.name.split('(').next() == Some(t)
                    })
                    .collect();
                if hits.is_empty() {
                    return Err(ClientError::UnknownTask {
                        run: name.to_owned(),
                        task: t.to_owned(),
                        known: view
                            .tasks
                            .iter()
                            .map(|x| x.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                hits
            }
        };
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &self.namespace);
        let lp = ListParams::default().labels(&format!("{WORKFLOW_POD_LABEL}={name}"));
        let pod_list = self
            .retrying_until(deadline, self.ctx_for("list", "pods", None), || {
                pods.list(&lp)
            })
            .await?;
        // node id → pod name (Argo's annotation; pod name = node id in the v1 naming scheme).
        let mut pod_of = std::collections::BTreeMap::new();
        for p in &pod_list.items {
            let pod_name = p.metadata.name.clone().unwrap_or_default();
            let node = p
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(NODE_ID_ANNOTATION).cloned())
                .unwrap_or_else(|| pod_name.clone());
            pod_of.insert(node, pod_name);
        }
        let lp = LogParams {
            container: Some("main".into()),
            follow,
            ..LogParams::default()
        };
        let targets: Vec<(String, String)> = selected
            .iter()
            .filter_map(|t| {
                let node = t.pod_node_id.as_ref()?;
                Some((t.name.clone(), pod_of.get(node)?.clone()))
            })
            .collect();
        if follow {
            // A followed log may stay quiet for hours: no read timeout on its body.
            let pods: Api<Pod> = Api::namespaced(self.stream_client.clone(), &self.namespace);
            let mut streams = Vec::new();
            for (task, pod) in &targets {
                let reader = self
                    .retrying(self.ctx_for("get", "pods/log", Some(pod)), || {
                        pods.log_stream(pod, &lp)
                    })
                    .await?;
                let task = task.clone();
                streams.push(reader.lines().map_ok(move |l| (task.clone(), l)).boxed());
            }
            let mut all = futures::stream::select_all(streams);
            while let Some(line) = all.next().await {
                let (task, line) = line?;
                out(&task, &line);
            }
        } else {
            for (task, pod) in &targets {
                let text = self
                    .retrying(self.ctx_for("get", "pods/log", Some(pod)), || {
                        pods.logs(pod, &lp)
                    })
                    .await?;
                for line in text.lines() {
                    out(task, line);
                }
            }
        }
        Ok(())
    }
}

fn to_value(obj: &DynamicObject) -> Result<Value, ClientError> {
    serde_json::to_value(obj).map_err(|source| ClientError::Decode {
        what: "Workflow object",
        source,
    })
}

/// How long the server keeps one watch request open (`timeoutSeconds`): well inside the
/// transport's read timeout (the request timeout plus a second), so a quiet, healthy watch is
/// closed by the server and renewed, never cut by the read timeout. Kubernetes' own default is
/// 290 s at most; never more than that.
fn watch_window(request_timeout: Duration) -> u32 {
    let secs = request_timeout.as_secs().saturating_mul(3) / 4;
    u32::try_from(secs.clamp(1, 290)).unwrap_or(290)
}

/// A kube error in one line: an API refusal as `503 InternalError: message` (kube's own text
/// appends the whole `Status` in debug form), a transport error with its causes.
fn describe_kube_error(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(s) => format!("{} {}: {}", s.code, s.reason, s.message),
        other => crate::error_chain(other),
    }
}

fn not_found(ctx: RequestContext, name: &str) -> ClientError {
    ClientError::NotFound {
        ctx: Box::new(ctx),
        source: kube::Error::Api(Box::new(kube::core::Status {
            code: 404,
            message: format!("workflows.argoproj.io {name:?} not found"),
            reason: "NotFound".into(),
            ..kube::core::Status::failure("", "")
        })),
    }
}
