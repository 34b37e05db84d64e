//! SLI telemetry: the Prometheus metrics every run and every task template emits through
//! Argo's controller (custom metrics, `docs/metrics.md`), unless the pipeline opts out
//! (`#[pipeline(telemetry = false)]`).
//!
//! Labels stay low in cardinality: the pipeline, the component a template runs, the task and
//! the outcome (`Succeeded`, `Failed`, `Error`) — never a run's name or a parameter's value,
//! which would make a new series per run. A template is shared by the tasks of its component,
//! yet its metrics name the task that ran it: the controller substitutes `{{tasks.name}}` (the
//! DAG task's own name) into the whole template before it runs it (`executeTemplate` in
//! `workflow/controller/operator.go` puts `tasks.name` in the local parameters `ProcessArgs`
//! fills in), and every `computeMetrics` call evaluates that processed template's metrics. A
//! loop's body tasks keep their plain names (the iteration is the loop's own task, expanded
//! one level up), so the label stays one series per task of the pipeline.
//!
//! Retries are counted as attempts, not through `{{retries}}`: Argo evaluates a retried
//! template's metrics once for each finished attempt and once for the task
//! (`workflow/controller/operator.go`, `executeTemplate`'s retry branch), and only the task's
//! own node defines `retries` (`workflow/controller/steps.go`, `prepareMetricScope`: set when
//! the node has children), so `{{retries}}` would fail to resolve on every attempt and Argo
//! would mark the run with a metrics error. `argot_task_attempts_total` counts each finished
//! attempt by its status instead: a task retried twice before it succeeded adds
//! `Failed` twice and `Succeeded` once.
//!
//! Names and labels follow Argo's checks (`workflow/validate/validate.go`, `validateTemplate`:
//! `metrics.IsValidMetricName`, `ValidateMetricLabels`, a `help` string required): letters,
//! digits and `_` only. `{{duration}}` and `{{status}}` are the template-level
//! variables of `docs/variables.md` ("Metrics"); `{{workflow.duration}}` and
//! `{{workflow.status}}` the workflow-level ones. No metric is `realtime` (only gauges may be,
//! and these are emitted once, when the template or the run has finished).

use serde::{Deserialize, Serialize};

/// Seconds; from a quick step to a long training run.
const DURATION_BUCKETS: [f64; 8] = [5.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 14400.0];

/// Argo's `metrics` of a workflow or a template. Not named `Metrics`: a second public item of
/// that name makes rustc spell the artifact kind `argot::Metrics` in full in users' errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrometheusMetrics {
    /// The metrics.
    pub prometheus: Vec<Prometheus>,
}

/// One custom metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Prometheus {
    /// The metric's name (`argot_…`).
    pub name: String,
    /// What it measures (Argo requires one).
    pub help: String,
    /// Its labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<MetricLabel>,
    /// A counter, increased by its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<Counter>,
    /// A histogram the value is observed into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Histogram>,
}

/// A label of a metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricLabel {
    /// The label's name.
    pub key: String,
    /// Its value (may be an Argo variable).
    pub value: String,
}

/// A counter's increment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counter {
    /// The increment.
    pub value: String,
}

/// A histogram's observation and buckets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Histogram {
    /// The observed value.
    pub value: String,
    /// The upper bounds of the buckets.
    pub buckets: Vec<f64>,
}

fn label(key: &str, value: &str) -> MetricLabel {
    MetricLabel {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

/// The run's metrics (`spec.metrics`) of pipeline `pipeline` (its workflow name).
pub fn run_metrics(pipeline: &str) -> PrometheusMetrics {
    PrometheusMetrics {
        prometheus: vec![
            Prometheus {
                name: "argot_run_duration_seconds".to_owned(),
                help: "Duration of argot pipeline runs, in seconds".to_owned(),
                labels: vec![label("pipeline", pipeline)],
                counter: None,
                histogram: Some(Histogram {
                    value: "{{workflow.duration}}".to_owned(),
                    buckets: DURATION_BUCKETS.to_vec(),
                }),
            },
            Prometheus {
                name: "argot_runs_total".to_owned(),
                help: "Finished argot pipeline runs, by status".to_owned(),
                labels: vec![
                    label("pipeline", pipeline),
                    label("status", "{{workflow.status}}"),
                ],
                counter: Some(Counter {
                    value: "1".to_owned(),
                }),
                histogram: None,
            },
        ],
    }
}

/// The name of the DAG task running the template, as the controller fills it in.
const TASK_NAME: &str = "{{tasks.name}}";

/// The metrics of a template running `component` of pipeline `pipeline`, labelled with the
/// task that runs it.
pub fn task_metrics(pipeline: &str, component: &str) -> PrometheusMetrics {
    let labels = || {
        vec![
            label("pipeline", pipeline),
            label("component", component),
            label("task", TASK_NAME),
        ]
    };
    let mut with_status = labels();
    with_status.push(label("status", "{{status}}"));
    PrometheusMetrics {
        prometheus: vec![
            Prometheus {
                name: "argot_task_duration_seconds".to_owned(),
                help: "Duration of argot task attempts, in seconds".to_owned(),
                labels: labels(),
                counter: None,
                histogram: Some(Histogram {
                    value: "{{duration}}".to_owned(),
                    buckets: DURATION_BUCKETS.to_vec(),
                }),
            },
            Prometheus {
                name: "argot_task_attempts_total".to_owned(),
                help: "Finished attempts of argot tasks, by status (a retried task counts each attempt)".to_owned(),
                labels: with_status,
                counter: Some(Counter {
                    value: "1".to_owned(),
                }),
                histogram: None,
            },
        ],
    }
}

/// Is `name` a metric or label name Argo accepts (`IsValidMetricName`: letters, digits and
/// `_`, not starting with a digit)?
pub fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels_are_valid_and_carry_no_run_specific_value() {
        for m in run_metrics("p")
            .prometheus
            .iter()
            .chain(&task_metrics("p", "c").prometheus)
        {
            assert!(is_metric_name(&m.name), "{}", m.name);
            assert!(!m.help.is_empty());
            // Unresolvable on a retried template's attempts: see the module's comment.
            let json = serde_json::to_string(m).unwrap();
            assert!(!json.contains("{{retries}}"), "{json}");
            for l in &m.labels {
                assert!(is_metric_name(&l.key), "{}", l.key);
                // A run's name, id or parameters would make a series per run.
                assert!(!l.value.contains("workflow.name"), "{}", l.value);
                assert!(!l.value.contains("parameters"), "{}", l.value);
                assert!(!l.value.contains("uid"), "{}", l.value);
            }
        }
        // Each task metric names the task running the template.
        for m in &task_metrics("p", "c").prometheus {
            assert!(
                m.labels
                    .iter()
                    .any(|l| l.key == "task" && l.value == "{{tasks.name}}"),
                "{m:?}"
            );
        }
        assert!(!is_metric_name("argot-runs"));
        assert!(!is_metric_name("1runs"));
    }
}
