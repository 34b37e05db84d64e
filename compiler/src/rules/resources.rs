//! A0039: resource requests and limits as the API server validates them
//! (`ValidateResourceRequirements` in Kubernetes' `pkg/apis/core/validation/validation.go`).

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::Checker;
use crate::diagnostics::Code;
use crate::ir::{TaskConfig, TaskId};

/// A quantity's value, parsed as `apimachinery/pkg/api/resource` reads it: a signed decimal
/// number, optionally with an exponent (`1e3`) or one of the suffixes `n`, `u`, `m`, `k`,
/// `M`, `G`, `T`, `P`, `E`, `Ki`, `Mi`, `Gi`, `Ti`, `Pi`, `Ei`. `None` when it does not
/// parse; it agrees with [`super::syntax::check_quantity`], which says why.
pub(crate) fn quantity_value(text: &str) -> Option<f64> {
    let (number, scale) = [
        ("Ki", 1024f64),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("Pi", 1024f64.powi(5)),
        ("Ei", 1024f64.powi(6)),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ]
    .iter()
    .find_map(|(suffix, scale)| text.strip_suffix(suffix).map(|n| (n, *scale)))
    .unwrap_or((text, 1.0));
    let (mantissa, exponent) = match number.find(['e', 'E']) {
        Some(i) if scale == 1.0 => (&number[..i], Some(&number[i + 1..])),
        _ => (number, None),
    };
    let digits = mantissa.strip_prefix(['+', '-']).unwrap_or(mantissa);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || digits.is_empty()
    {
        return None;
    }
    let exponent: i32 = match exponent {
        None => 0,
        Some(e) => {
            let body = e.strip_prefix(['+', '-']).unwrap_or(e);
            if body.is_empty() || !all_digits(body) {
                return None;
            }
            e.parse().ok()?
        }
    };
    let value: f64 = mantissa.parse().ok()?;
    Some(value * 10f64.powi(exponent) * scale)
}

/// The resources Kubernetes names without a domain; anything else must be a qualified name.
const STANDARD: [&str; 3] = ["cpu", "memory", "ephemeral-storage"];

/// True for a resource name the API server accepts: a standard one, `hugepages-<size>`, or a
/// qualified `domain/name` (an extended resource such as `nvidia.com/gpu`).
fn valid_name(name: &str) -> bool {
    if STANDARD.contains(&name) || name.starts_with("hugepages-") {
        return true;
    }
    let Some((domain, rest)) = name.split_once('/') else {
        return false;
    };
    let label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    domain.len() <= 253
        && domain.split('.').all(label)
        && !rest.is_empty()
        && rest.len() <= 63
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && rest.as_bytes()[0].is_ascii_alphanumeric()
        && rest.as_bytes()[rest.len() - 1].is_ascii_alphanumeric()
}

/// An extended resource: a qualified name outside `kubernetes.io` (`nvidia.com/gpu`).
fn extended(name: &str) -> bool {
    name.contains('/')
        && !name
            .split('/')
            .next()
            .unwrap_or("")
            .ends_with("kubernetes.io")
}

impl Checker<'_> {
    /// A0039 for the resources of `config`, the settings of task `task` (template `template`).
    pub(crate) fn resources(&mut self, config: &TaskConfig, task: usize, template: &str) {
        let Some(resources) = &config.resources else {
            return;
        };
        let id = Some(TaskId(task as u32));
        let who = format!("task `{}` (template `{template}`)", self.p.tasks[task].name);
        let empty = Default::default();
        let requests = resources.requests.as_ref().unwrap_or(&empty);
        let limits = resources.limits.as_ref().unwrap_or(&empty);
        let value = |cx: &mut Self, what: &str, name: &str, q: &Quantity| -> Option<f64> {
            match quantity_value(&q.0) {
                Some(v) if v >= 0.0 => Some(v),
                _ => {
                    cx.report(
                        Code::InvalidResources,
                        id,
                        format!("{who}: the {what} of `{name}` is `{}`, which is not a quantity", q.0),
                        "write a number with an optional suffix, such as `500m`, `2`, `512Mi` or `4Gi`",
                    );
                    None
                }
            }
        };
        for name in requests
            .keys()
            .chain(limits.keys().filter(|k| !requests.contains_key(*k)))
        {
            if !valid_name(name) {
                self.report(
                    Code::InvalidResources,
                    id,
                    format!("{who}: `{name}` is not a resource name"),
                    "use `cpu`, `memory`, `ephemeral-storage`, `hugepages-<size>` or a vendor's qualified name such as `nvidia.com/gpu`",
                );
            }
        }
        let mut requested = std::collections::BTreeMap::new();
        for (name, q) in requests {
            if let Some(v) = value(self, "request", name, q) {
                requested.insert(name.as_str(), v);
            }
        }
        for (name, q) in limits {
            let Some(limit) = value(self, "limit", name, q) else {
                continue;
            };
            if let Some(&request) = requested.get(name.as_str())
                && limit < request
            {
                self.report(
                    Code::InvalidResources,
                    id,
                    format!(
                        "{who}: the limit of `{name}` ({}) is below its request ({})",
                        q.0, requests[name].0
                    ),
                    "raise the limit to at least the request, or lower the request",
                );
            }
        }
        for (name, q) in requests.iter().chain(limits.iter()) {
            if !extended(name) {
                continue;
            }
            let whole = quantity_value(&q.0).is_some_and(|v| v.fract() == 0.0);
            if !whole {
                self.report(
                    Code::InvalidResources,
                    id,
                    format!(
                        "{who}: `{name}` is `{}`; an extended resource is counted in whole units",
                        q.0
                    ),
                    "ask for a whole number, such as `1`",
                );
            }
        }
        for (name, q) in requests {
            if extended(name)
                && let Some(limit) = limits.get(name)
                && quantity_value(&limit.0) != quantity_value(&q.0)
            {
                self.report(
                    Code::InvalidResources,
                    id,
                    format!("{who}: the request of `{name}` ({}) differs from its limit ({})", q.0, limit.0),
                    "set only the limit (`set_accelerator_limit`): Kubernetes makes the request equal to it",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_as_kubernetes_reads_them() {
        let cases = [
            ("500m", Some(0.5)),
            ("2", Some(2.0)),
            ("1.5", Some(1.5)),
            ("4Gi", Some(4.0 * 1024f64.powi(3))),
            ("512Mi", Some(512.0 * 1024f64.powi(2))),
            ("1k", Some(1000.0)),
            ("1e3", Some(1000.0)),
            ("+1", Some(1.0)),
            (".5", Some(0.5)),
            ("-1", Some(-1.0)),
            ("250u", Some(250e-6)),
        ];
        for (text, want) in cases {
            assert_eq!(quantity_value(text), want, "{text}");
        }
        for bad in [
            "", "Gi", "4GB", "4 Gi", "1.2.3", "e3", "1e", "four", "1ki", "0x10",
        ] {
            assert_eq!(quantity_value(bad), None, "{bad}");
        }
    }

    #[test]
    fn values_parse_exactly_when_the_syntax_check_accepts_them() {
        for text in [
            "500m", "2", "4Gi", "1e3", "+1", ".5", "-1", "250u", "3n", "1E-2", "", "Gi", "4GB",
            "1.2.3", "e3", "1e", "1ki", "0x10", "1.", "12Mi",
        ] {
            assert_eq!(
                quantity_value(text).is_some(),
                crate::rules::syntax::check_quantity(text).is_ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn resource_names_are_standard_or_qualified() {
        for good in [
            "cpu",
            "memory",
            "ephemeral-storage",
            "hugepages-2Mi",
            "nvidia.com/gpu",
            "google.com/tpu",
            "example.com/fpga_v2",
        ] {
            assert!(valid_name(good), "{good}");
        }
        for bad in [
            "gpu",
            "CPU",
            "nvidia.com/",
            "/gpu",
            "Nvidia.com/gpu",
            "nvidia.com/gpu!",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert!(extended("nvidia.com/gpu"));
        assert!(!extended("cpu"));
        assert!(!extended("kubernetes.io/something"));
    }
}
