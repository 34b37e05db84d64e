//! The one place where identifiers become Kubernetes/Argo names.
//!
//! Generated names are lowercase RFC 1123 labels. A name over its budget keeps a readable
//! prefix and gets a stable 8-hex-digit hash suffix of the full name, so the same input always
//! gives the same name and two long names sharing a prefix still differ.

use sha2::{Digest, Sha256};

/// The longest RFC 1123 label (DNS label; pod-name segments, label values).
pub const DNS_LABEL_MAX: usize = 63;

/// The longest workflow name Argo accepts (it is used as a label value).
pub const WORKFLOW_NAME_MAX: usize = 63;

/// The characters `generateName` appends.
pub const GENERATE_NAME_SUFFIX: usize = 5;

/// The longest template or task name Argo accepts (`workflowFieldMaxLength`).
pub const TEMPLATE_NAME_MAX: usize = 128;

/// The longest task name: the same limit as templates.
pub const TASK_NAME_MAX: usize = TEMPLATE_NAME_MAX;

/// The longest WorkflowTemplate (and ClusterWorkflowTemplate) name Argo accepts.
pub const WORKFLOW_TEMPLATE_NAME_MAX: usize = 63;

/// The longest CronWorkflow name Argo accepts: the workflows it creates append `-` and a
/// 10-digit Unix timestamp, and must still fit in 63 characters.
pub const CRON_WORKFLOW_NAME_MAX: usize = 52;

/// The budget of a pipeline name used as `generateName` (the `-` and 5 random characters
/// Kubernetes appends must still fit in a workflow name).
pub const PIPELINE_NAME_MAX: usize = WORKFLOW_NAME_MAX - GENERATE_NAME_SUFFIX - 1;

/// The kinds of Argo object argot names, each with its own length budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// A `Workflow` (argot emits it with `generateName`).
    Workflow,
    /// A `WorkflowTemplate` or `ClusterWorkflowTemplate`.
    WorkflowTemplate,
    /// A `CronWorkflow`.
    CronWorkflow,
}

impl ObjectKind {
    /// The longest name Argo accepts for an object of this kind.
    pub fn name_max(self) -> usize {
        match self {
            ObjectKind::Workflow => WORKFLOW_NAME_MAX,
            ObjectKind::WorkflowTemplate => WORKFLOW_TEMPLATE_NAME_MAX,
            ObjectKind::CronWorkflow => CRON_WORKFLOW_NAME_MAX,
        }
    }

    /// The budget of a name prefix used as `generateName` (without its trailing `-`): room is
    /// left for the `-` and the 5 random characters Kubernetes appends.
    pub fn generate_name_prefix_max(self) -> usize {
        self.name_max() - GENERATE_NAME_SUFFIX - 1
    }

    /// The object name for pipeline `pipeline`: [`generated`] within this kind's budget.
    pub fn name_for(self, pipeline: &str) -> String {
        generated(pipeline, self.name_max())
    }

    /// The `generateName` prefix (without its trailing `-`) for pipeline `pipeline`.
    pub fn generate_name_prefix_for(self, pipeline: &str) -> String {
        generated(pipeline, self.generate_name_prefix_max())
    }
}

/// Lowercases, maps `_`, `.` and spaces to `-`, drops other characters that are not allowed,
/// and trims `-` from both ends (`Train_Model` → `train-model`).
pub fn to_dns_label(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = match c {
            'a'..='z' | '0'..='9' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            '_' | '-' | '.' | ' ' => '-',
            _ => continue,
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push('x');
    }
    out
}

/// Fits `name` into `budget` characters: unchanged if it fits, otherwise a prefix, `-`, and
/// the first 8 hex digits of the SHA-256 of the whole name.
pub fn fit(name: &str, budget: usize) -> String {
    if name.len() <= budget {
        return name.to_owned();
    }
    let digest = Sha256::digest(name.as_bytes());
    let hash = crate::util::hex(&digest[..4]);
    let mut keep = budget.saturating_sub(hash.len() + 1);
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    match name[..keep].trim_end_matches('-') {
        "" => hash,
        prefix => format!("{prefix}-{hash}"),
    }
}

/// A generated name: [`to_dns_label`], then [`fit`] to `budget`.
pub fn generated(name: &str, budget: usize) -> String {
    fit(&to_dns_label(name), budget)
}

/// The stem of the names of tasks that call `component` without `.name(…)`: its
/// [`to_dns_label`], with `task-` in front when that starts with a digit (Argo reads a leading
/// digit in `depends` as a number).
pub fn task_stem(component: &str) -> String {
    let label = to_dns_label(component);
    if label.starts_with(|c: char| c.is_ascii_digit()) {
        format!("task-{label}")
    } else {
        label
    }
}

/// The generated name of the `occurrence`-th (1-based) task named after `stem` ([`task_stem`]):
/// `stem`, then `stem-2`, `stem-3`, …, [`fit`] to [`TASK_NAME_MAX`].
pub fn task_name(stem: &str, occurrence: u32) -> String {
    let name = if occurrence <= 1 {
        stem.to_owned()
    } else {
        format!("{stem}-{occurrence}")
    };
    fit(&name, TASK_NAME_MAX)
}

/// Is `s` an RFC 1123 label of at most `max` characters?
pub fn is_dns_label(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Argo's rule for DAG task names used with `depends`: `[a-zA-Z][-a-zA-Z0-9]*`, at most
/// [`TEMPLATE_NAME_MAX`] characters (a leading digit would be read as a number in `depends`).
pub fn is_task_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && s.len() <= TEMPLATE_NAME_MAX
}

/// Argo's rule for template names (`isValidWorkflowFieldName`): `[a-zA-Z0-9][-a-zA-Z0-9]*`,
/// at most [`TEMPLATE_NAME_MAX`] characters.
pub fn is_template_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && s.len() <= TEMPLATE_NAME_MAX
}

/// Argo's rule for parameter and artifact names: `^[-a-zA-Z0-9_]+$`.
pub fn is_io_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert_eq!(to_dns_label("Train_Model"), "train-model");
        assert_eq!(to_dns_label("__a__b__"), "a-b");
        assert_eq!(to_dns_label("é"), "x");
        assert!(is_dns_label(
            &to_dns_label("--Weird..Name--"),
            DNS_LABEL_MAX
        ));
    }

    #[test]
    fn fit_is_stable_and_distinguishes_long_names() {
        let a = "a".repeat(80) + "x";
        let b = "a".repeat(80) + "y";
        assert_eq!(fit(&a, 63).len(), 63);
        assert_eq!(fit(&a, 63), fit(&a, 63));
        assert_ne!(fit(&a, 63), fit(&b, 63));
        assert_eq!(fit("short", 63), "short");
        assert!(is_dns_label(&fit(&a, 63), 63));
    }

    #[test]
    fn budgets_per_kind_leave_room_for_generate_name() {
        let long = "p".repeat(200);
        for kind in [
            ObjectKind::Workflow,
            ObjectKind::WorkflowTemplate,
            ObjectKind::CronWorkflow,
        ] {
            assert_eq!(kind.name_for(&long).len(), kind.name_max());
            let prefix = kind.generate_name_prefix_for(&long);
            assert_eq!(prefix.len() + 1 + GENERATE_NAME_SUFFIX, kind.name_max());
            assert!(is_dns_label(&prefix, kind.name_max()));
        }
        assert_eq!(ObjectKind::CronWorkflow.name_max(), 52);
    }

    #[test]
    fn generated_task_names_are_valid_and_distinct() {
        assert_eq!(task_stem("Train_Model"), "train-model");
        assert_eq!(task_stem("2nd_pass"), "task-2nd-pass");
        assert_eq!(task_name("train", 1), "train");
        assert_eq!(task_name("train", 3), "train-3");
        let stem = task_stem(&"c".repeat(300));
        let (a, b) = (task_name(&stem, 1), task_name(&stem, 2));
        assert!(is_task_name(&a) && is_task_name(&b), "{a} {b}");
        assert_ne!(a, b);
        assert!(is_task_name(&task_name(&task_stem("é"), 1)));
    }

    #[test]
    fn task_and_io_names() {
        assert!(is_task_name("train-2"));
        assert!(!is_task_name("2train"));
        assert!(!is_task_name("train_x"));
        assert!(is_template_name("2train"));
        assert!(!is_template_name("-train"));
        assert!(!is_template_name(&"t".repeat(129)));
        assert!(is_io_name("learning_rate"));
        assert!(!is_io_name("a.b"));
    }
}
