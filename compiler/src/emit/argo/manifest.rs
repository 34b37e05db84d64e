//! Argo's rules on the emitted manifest: the size budget and object metadata (A0013, A0019,
//! A0021). They run once the pipeline is valid and its images are, on exactly what `compile`
//! would print. The budget is etcd's and Argo's, so nothing else (the local runner) is held to it.

use super::{ObjectMeta, Template, Workflow};
use crate::diagnostics::{Code, Diagnostic};
use crate::rules::syntax::{
    ANNOTATIONS_TOTAL_MAX, annotations_size, is_label_value_or_template, is_qualified_name,
};
use crate::rules::{Limits, human_bytes, thousands};

/// The share of the budget above which A0021 warns (80%, as a fraction of 5).
const NEAR_BUDGET_FIFTHS: usize = 4;

/// Checks `workflow`, the manifest of pipeline `pipeline`.
pub fn check(workflow: &Workflow, pipeline: &str, limits: &Limits) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    size(workflow, pipeline, limits, &mut out);
    metadata(workflow, pipeline, &mut out);
    out
}

/// The size rules alone (A0013, A0021).
pub fn size_only(workflow: &Workflow, pipeline: &str, limits: &Limits) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    size(workflow, pipeline, limits, &mut out);
    out
}

/// The size Argo measures: the compact JSON of the whole object.
pub fn json_size<T: serde::Serialize>(value: &T) -> usize {
    /// Counts the bytes written instead of keeping them.
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).expect("argot's Argo types always serialise");
    count.0
}

/// One group of parts of a manifest, for the size report.
struct Group {
    /// Singular and plural noun.
    what: (&'static str, &'static str),
    help: &'static str,
    count: usize,
    total: usize,
    largest: Option<(String, usize)>,
}

impl Group {
    fn new(
        what: (&'static str, &'static str),
        help: &'static str,
        parts: impl Iterator<Item = (String, usize)>,
    ) -> Self {
        let mut g = Group {
            what,
            help,
            count: 0,
            total: 0,
            largest: None,
        };
        for (name, size) in parts {
            g.count += 1;
            g.total += size;
            if g.largest.as_ref().is_none_or(|(_, s)| size > *s) {
                g.largest = Some((name, size));
            }
        }
        g
    }

    fn note(&self) -> String {
        let noun = if self.count == 1 {
            self.what.0
        } else {
            self.what.1
        };
        let mut s = format!(
            "{} {noun}: {}",
            thousands(self.count),
            human_bytes(self.total)
        );
        if self.count > 1 {
            s.push_str(&format!(
                ", {} each on average",
                human_bytes(self.total / self.count)
            ));
        }
        if let Some((name, size)) = &self.largest
            && self.count > 1
        {
            s.push_str(&format!("; the largest is {name} ({})", human_bytes(*size)));
        }
        s
    }
}

fn size(workflow: &Workflow, pipeline: &str, limits: &Limits, out: &mut Vec<Diagnostic>) {
    let budget = limits.max_manifest_bytes;
    let total = json_size(workflow);
    let over = total > budget;
    if !over && total.saturating_mul(5) <= budget.saturating_mul(NEAR_BUDGET_FIFTHS) {
        return;
    }
    let spec = &workflow.spec;
    let dag_tasks = spec
        .templates
        .iter()
        .filter_map(|t| t.dag.as_ref())
        .flat_map(|d| &d.tasks);
    let mut groups = [
        Group::new(
            ("DAG task", "DAG tasks"),
            "split the pipeline into several pipelines, or let one task process a batch of items instead of one task per item",
            dag_tasks.map(|t| (format!("task `{}`", t.name), json_size(t) + 1)),
        ),
        Group::new(
            ("container template", "container templates"),
            "use fewer distinct components, or move large constant text out of their commands",
            spec.templates
                .iter()
                .filter(|t| t.dag.is_none())
                .map(|t: &Template| (format!("template `{}`", t.name), json_size(t) + 1)),
        ),
        Group::new(
            ("pipeline parameter", "pipeline parameters"),
            "pass large values as artifacts instead of parameter defaults",
            spec.arguments
                .parameters
                .iter()
                .map(|p| (format!("parameter `{}`", p.name), json_size(p) + 1)),
        ),
        Group::new(
            ("annotation", "annotations"),
            "shorten the pipeline's doc comment (its description annotation)",
            workflow
                .metadata
                .annotations
                .iter()
                .map(|(k, v)| (format!("annotation `{k}`"), k.len() + v.len() + 6)),
        ),
    ];
    groups.sort_by_key(|g| std::cmp::Reverse(g.total));
    let notes: Vec<String> = groups
        .iter()
        .filter(|g| g.count > 0)
        .map(Group::note)
        .collect();
    let biggest = &groups[0];
    let (code, message, help) = if over {
        (
            Code::ManifestTooLarge,
            format!(
                "the manifest of pipeline `{pipeline}` is {} ({} bytes of JSON), over the {} budget ({} bytes)",
                human_bytes(total),
                thousands(total),
                human_bytes(budget),
                thousands(budget)
            ),
            format!(
                "{}; raise `--max-manifest-bytes` only if your Argo controller's MAX_WORKFLOW_SIZE is higher (etcd refuses objects over 1.5 MiB)",
                biggest.help
            ),
        )
    } else {
        (
            Code::ManifestNearBudget,
            format!(
                "the manifest of pipeline `{pipeline}` is {} ({} bytes of JSON), {}% of the {} budget, leaving little room for the status Argo adds while it runs",
                human_bytes(total),
                thousands(total),
                total * 100 / budget.max(1),
                human_bytes(budget)
            ),
            biggest.help.to_owned(),
        )
    };
    let mut d = Diagnostic::new(code, pipeline, message, help);
    d.notes = notes;
    out.push(d);
}

fn metadata(workflow: &Workflow, pipeline: &str, out: &mut Vec<Diagnostic>) {
    let mut objects: Vec<(String, &ObjectMeta)> =
        vec![("the workflow".to_owned(), &workflow.metadata)];
    let template_meta: Vec<(String, ObjectMeta)> = workflow
        .spec
        .templates
        .iter()
        .filter_map(|t| {
            t.metadata.as_ref().map(|m| {
                (
                    format!("the pods of template `{}`", t.name),
                    ObjectMeta {
                        labels: m.labels.clone(),
                        annotations: m.annotations.clone(),
                        ..ObjectMeta::default()
                    },
                )
            })
        })
        .collect();
    objects.extend(template_meta.iter().map(|(w, m)| (w.clone(), m)));
    for (whose, meta) in objects {
        for (key, value) in &meta.labels {
            if !is_qualified_name(key) {
                out.push(Diagnostic::new(
                    Code::InvalidMetadata,
                    pipeline,
                    format!("the label key `{}` of {whose} is not a qualified name", key.escape_debug()),
                    "use `prefix/name` with a DNS prefix and a name of at most 63 letters, digits, `-`, `_` and `.`",
                ));
            }
            if !is_label_value_or_template(value) {
                out.push(Diagnostic::new(
                    Code::InvalidMetadata,
                    pipeline,
                    format!("the value of label `{key}` of {whose} ({:?}) is not a valid label value", value),
                    "use at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit",
                ));
            }
        }
        for key in meta.annotations.keys() {
            if !is_qualified_name(key) {
                out.push(Diagnostic::new(
                    Code::InvalidMetadata,
                    pipeline,
                    format!("the annotation key `{}` of {whose} is not a qualified name", key.escape_debug()),
                    "use `prefix/name` with a DNS prefix and a name of at most 63 letters, digits, `-`, `_` and `.`",
                ));
            }
        }
        let total = annotations_size(&meta.annotations);
        if total > ANNOTATIONS_TOTAL_MAX {
            let largest = meta
                .annotations
                .iter()
                .max_by_key(|(k, v)| k.len() + v.len())
                .map(|(k, v)| format!("; `{k}` alone takes {} bytes", thousands(k.len() + v.len())))
                .unwrap_or_default();
            out.push(Diagnostic::new(
                Code::InvalidMetadata,
                pipeline,
                format!(
                    "the annotations of {whose} take {} bytes, over Kubernetes' limit of {} bytes{largest}",
                    thousands(total),
                    thousands(ANNOTATIONS_TOTAL_MAX)
                ),
                "shorten the pipeline's doc comment, which becomes the `workflows.argoproj.io/description` annotation",
            ));
        }
    }
}
