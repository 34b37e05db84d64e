//! Syntax rules of Kubernetes, Argo, container registries and Linux, as plain functions.
//!
//! Each function ports one rule faithfully from its source (named in its doc) and is tested
//! here on the examples those sources use. Label, annotation and image rules are used by the
//! validator today; the ConfigMap key, quantity, duration, cron and time zone checks serve the
//! constructs that need them (memoization keys, resources, timeouts and retries, CronWorkflow
//! schedules and time zones, A0046).

/// The longest label name or qualified-name part (`IsQualifiedName`, `IsValidLabelValue`).
pub const LABEL_MAX: usize = 63;

/// The longest DNS subdomain (`IsDNS1123Subdomain`): object names, label key prefixes.
pub const DNS_SUBDOMAIN_MAX: usize = 253;

/// The most bytes all annotations of one object may hold, keys and values together
/// (`TotalAnnotationSizeLimitB` in apimachinery's `ValidateAnnotations`).
pub const ANNOTATIONS_TOTAL_MAX: usize = 256 * 1024;

/// The longest ConfigMap key (`IsConfigMapKey`), hence the longest Argo memoization key.
pub const CONFIG_MAP_KEY_MAX: usize = 253;

/// The longest single command-line argument Linux accepts, terminating NUL included
/// (`MAX_ARG_STRLEN`: 32 pages of 4 KiB).
pub const MAX_ARG_STRLEN: usize = 32 * 4096;

/// The longest image name, registry included (distribution/reference `NameTotalLengthMax`).
pub const IMAGE_NAME_MAX: usize = 255;

/// Is `s` a DNS-1123 subdomain (`IsDNS1123Subdomain`): lowercase labels joined by `.`, at
/// most 253 characters?
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= DNS_SUBDOMAIN_MAX
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, at most 63 characters.
fn is_qualified_name_part(s: &str) -> bool {
    let bytes = s.as_bytes();
    !s.is_empty()
        && s.len() <= LABEL_MAX
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Is `s` a qualified name (`IsQualifiedName`): an optional DNS-subdomain prefix and `/`,
/// then a name of at most 63 alphanumerics, `-`, `_` and `.`, starting and ending with an
/// alphanumeric? Label and annotation keys must be.
pub fn is_qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_qualified_name_part(name),
        None => is_qualified_name_part(s),
    }
}

/// Is `s` a valid label value (`IsValidLabelValue`): empty, or at most 63 alphanumerics,
/// `-`, `_` and `.`, starting and ending with an alphanumeric?
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_qualified_name_part(s)
}

/// Is `s` a valid label value, or, when it holds run-time values
/// ([`crate::ir::setting_placeholder`]: they must make a valid value when the task starts, or
/// the pod is refused then), is its own text at most 63 letters, digits, `-`, `_` and `.`?
pub fn is_label_value_or_template(s: &str) -> bool {
    let tags = crate::ir::setting_tags(s);
    if tags
        .iter()
        .all(|(_, tag)| crate::ir::setting_tag_input(tag).is_none())
    {
        return is_label_value(s);
    }
    let mut own = 0;
    let mut last = 0;
    let mut valid = true;
    for (range, _) in tags
        .iter()
        .map(|(r, t)| (r.clone(), t))
        .chain([(s.len()..s.len(), &"")])
    {
        let text = &s[last..range.start];
        own += text.len();
        valid &= text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        last = range.end;
    }
    valid && own <= 63
}

/// The size Kubernetes counts for a set of annotations: the bytes of every key and value.
pub fn annotations_size<'a>(
    annotations: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> usize {
    annotations
        .into_iter()
        .map(|(k, v)| k.len() + v.len())
        .sum()
}

/// Is `s` a valid ConfigMap key (`IsConfigMapKey`): `[-._a-zA-Z0-9]+`, at most 253
/// characters, not `.` or `..` and not starting with `..`? Argo stores memoization entries
/// under such keys.
pub fn is_config_map_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= CONFIG_MAP_KEY_MAX
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s != "."
        && !s.starts_with("..")
}

/// A parsed container image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry (`docker.io` when the reference names none).
    pub domain: String,
    /// The repository path within the registry.
    pub path: String,
    /// The tag, if any.
    pub tag: Option<String>,
    /// The digest (`sha256:…`), if any.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses `image` as the kubelet does (distribution/reference `ParseNormalizedNamed`);
    /// the error says what is wrong.
    pub fn parse(image: &str) -> Result<ImageRef, String> {
        if image.is_empty() {
            return Err("the reference is empty".into());
        }
        if image.trim() != image {
            return Err("the reference has leading or trailing whitespace".into());
        }
        if image.len() == 64
            && image
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err("a 64-character hexadecimal string is an image ID, not a reference".into());
        }
        let (name_tag, digest) = match image.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (image, None),
        };
        if let Some(d) = digest
            && !is_digest(d)
        {
            return Err(format!(
                "`{d}` is not a digest (expected an algorithm such as `sha256`, `:`, and at least 32 hex digits)"
            ));
        }
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last_slash..].find(':') {
            Some(i) => (
                &name_tag[..last_slash + i],
                Some(&name_tag[last_slash + i + 1..]),
            ),
            None => (name_tag, None),
        };
        if let Some(t) = tag
            && !is_tag(t)
        {
            return Err(format!(
                "`{t}` is not a tag (at most 128 of `A-Z a-z 0-9 _ . -`, not starting with `.` or `-`)"
            ));
        }
        // `splitDockerDomain`: the first component is a registry when it looks like a host.
        let (domain, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.bytes().any(|b| b.is_ascii_uppercase()) =>
            {
                (first.to_owned(), rest.to_owned())
            }
            _ => ("docker.io".to_owned(), name.to_owned()),
        };
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!("the repository name `{path}` must be lowercase"));
        }
        if !is_domain(&domain) {
            return Err(format!("`{domain}` is not a registry host (`host[:port]`)"));
        }
        if path.is_empty() || !path.split('/').all(is_path_component) {
            return Err(format!(
                "`{path}` is not a repository path (lowercase letters and digits, separated by `/`, `.`, `_`, `__` or `-`)"
            ));
        }
        if domain.len() + 1 + path.len() > IMAGE_NAME_MAX {
            return Err(format!(
                "the repository name is longer than {IMAGE_NAME_MAX} characters"
            ));
        }
        Ok(ImageRef {
            domain,
            path,
            tag: tag.map(str::to_owned),
            digest: digest.map(str::to_owned),
        })
    }

    /// True when the reference does not pin what runs: no digest, and no tag or `latest`.
    pub fn is_mutable(&self) -> bool {
        self.digest.is_none() && self.tag.as_deref().is_none_or(|t| t == "latest")
    }
}

/// `[\w][\w.-]{0,127}`.
fn is_tag(t: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = t.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && word(bytes[0])
        && bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-')
}

/// `algorithm-component ([+._-] algorithm-component)* ":" [0-9a-fA-F]{32,}`.
fn is_digest(d: &str) -> bool {
    let Some((algorithm, hex)) = d.split_once(':') else {
        return false;
    };
    let component_ok = |c: &str| {
        let mut bytes = c.bytes();
        matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
            && bytes.all(|b| b.is_ascii_alphanumeric())
    };
    algorithm.split(['+', '.', '_', '-']).all(component_ok)
        && hex.len() >= 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `host [":" port]`, host a domain name or `[IPv6]`.
fn is_domain(domain: &str) -> bool {
    let (host, port) = match domain.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') && !p.contains(']') => (h, Some(p)),
        _ => (domain, None),
    };
    if let Some(p) = port
        && (p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
    }
    !host.is_empty()
        && host.split('.').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !c.starts_with('-')
                && !c.ends_with('-')
        })
}

/// `[a-z0-9]+ (([._]|__|-+) [a-z0-9]+)*`.
fn is_path_component(c: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = c.as_bytes();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// Checks a Kubernetes quantity (`resource.ParseQuantity`: `cpu: 500m`, `memory: 4Gi`): a
/// signed decimal number, then a binary suffix (`Ki` … `Ei`), a decimal suffix (`n`, `u`,
/// `m`, `k`, `M`, `G`, `T`, `P`, `E`) or an exponent (`e3`, `E-2`).
pub fn check_quantity(s: &str) -> Result<(), String> {
    let bad = || {
        Err(format!(
            "`{s}` is not a Kubernetes quantity (for example `500m`, `2`, `4Gi`, `1e3`)"
        ))
    };
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let number_end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(number_end);
    let dots = number.matches('.').count();
    if number.is_empty() || number == "." || dots > 1 {
        return bad();
    }
    let suffix_ok = match suffix {
        "" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => true,
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => true,
        _ => match suffix.strip_prefix(['e', 'E']) {
            Some(exp) => {
                let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
            }
            None => false,
        },
    };
    if suffix_ok { Ok(()) } else { bad() }
}

/// Checks a Go duration (`time.ParseDuration`, which Argo uses for `timeout` and retry
/// backoffs): `0`, or an optional sign and one or more decimal numbers each followed by a
/// unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), as in `1h30m` or `2.5s`.
pub fn check_go_duration(s: &str) -> Result<(), String> {
    go_duration_seconds(s).map(|_| ())
}

/// The seconds a Go duration (see [`check_go_duration`]) stands for, negative when signed so.
pub fn go_duration_seconds(s: &str) -> Result<f64, String> {
    let bad = || {
        Err(format!(
            "`{s}` is not a duration (for example `90s`, `1h30m`, `2.5m`)"
        ))
    };
    let negative = s.starts_with('-');
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body == "0" {
        return Ok(0.0);
    }
    if body.is_empty() {
        return bad();
    }
    let mut total = 0.0;
    let mut rest = body;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return bad();
        }
        let Ok(value) = number.parse::<f64>() else {
            return bad();
        };
        rest = &rest[number_end..];
        let unit = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
            .into_iter()
            .filter(|u| rest.starts_with(u))
            .max_by_key(|u| u.len());
        let scale = match unit {
            Some("ns") => 1e-9,
            Some("us" | "µs" | "μs") => 1e-6,
            Some("ms") => 1e-3,
            Some("s") => 1.0,
            Some("m") => 60.0,
            Some("h") => 3600.0,
            _ => return bad(),
        };
        rest = &rest[unit.map_or(0, str::len)..];
        total += value * scale;
    }
    Ok(if negative { -total } else { total })
}

/// Argo's pod GC strategies (`PodGCStrategy.IsValid` in `pkg/apis/workflow/v1alpha1/
/// workflow_types.go`; `validateWorkflow` refuses others with "podGC.strategy unknown
/// strategy"). The empty strategy (no GC) is written by leaving `pod_gc` unset.
/// Argo's artifact GC strategies (`ArtifactGCStrategy` in
/// `pkg/apis/workflow/v1alpha1/workflow_types.go`, `AnyArtifactGCStrategy`).
pub const ARTIFACT_GC_STRATEGIES: [&str; 3] =
    ["OnWorkflowCompletion", "OnWorkflowDeletion", "Never"];

/// Argo's pod GC strategies.
pub const POD_GC_STRATEGIES: [&str; 4] = [
    "OnPodCompletion",
    "OnPodSuccess",
    "OnWorkflowCompletion",
    "OnWorkflowSuccess",
];

/// Parses a length of time given to argot as whole seconds (`3600`) or as hours, minutes and
/// seconds in Go's duration notation (`1h30m`, `90s`, `2h`), into seconds. Argo's
/// `activeDeadlineSeconds` and `ttlStrategy.secondsAfterCompletion` are integers of seconds,
/// so fractions and units below a second are refused rather than rounded.
pub fn parse_seconds(text: &str) -> Result<u64, String> {
    let bad = |why: &str| {
        format!(
            "`{text}` is not a length of time: {why}; write seconds (`3600`) or hours, minutes and seconds (`1h30m`, `90s`)"
        )
    };
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().map_err(|_| bad("it is too large"));
    }
    if text.contains('.') {
        return Err(bad("Argo counts whole seconds, so fractions are refused"));
    }
    let mut total: u64 = 0;
    let mut rest = text;
    let mut last_unit = u64::MAX;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad("each number needs a unit `h`, `m` or `s` after it"));
        }
        let number: u64 = rest[..digits].parse().map_err(|_| bad("it is too large"))?;
        rest = &rest[digits..];
        let unit = match rest.as_bytes().first() {
            Some(b'h') => 3600,
            Some(b'm') if !rest.starts_with("ms") => 60,
            Some(b's') => 1,
            _ => return Err(bad("each number needs a unit `h`, `m` or `s` after it")),
        };
        if unit >= last_unit {
            return Err(bad("write the units from hours down to seconds, each once"));
        }
        last_unit = unit;
        rest = &rest[1..];
        total = number
            .checked_mul(unit)
            .and_then(|n| total.checked_add(n))
            .ok_or_else(|| bad("it is too large"))?;
    }
    Ok(total)
}

/// True when Go's `time.LoadLocation` (what Argo's `validate.CronWorkflow` calls) accepts
/// `zone`: `UTC`, `Local` or a zone or link name of the IANA database (see
/// [`super::time_zones`]).
pub fn is_time_zone(zone: &str) -> bool {
    zone == "UTC" || zone == "Local" || super::time_zones::TIME_ZONES.binary_search(&zone).is_ok()
}

/// Checks a cron schedule as Argo parses it (robfig/cron v3 `ParseStandard`): five fields
/// (minute, hour, day of month, month, day of week) of `*`, `?`, values, ranges `a-b`, steps
/// `/n` and lists `,` (month and weekday names allowed), or a descriptor (`@daily`,
/// `@every 1h30m`, …), optionally after `TZ=zone` or `CRON_TZ=zone`. The zone itself is not
/// checked.
pub fn check_cron(schedule: &str) -> Result<(), String> {
    let mut spec = schedule.trim();
    if let Some(rest) = spec
        .strip_prefix("CRON_TZ=")
        .or_else(|| spec.strip_prefix("TZ="))
    {
        match rest.split_once(' ') {
            Some((zone, after)) if !zone.is_empty() => spec = after.trim(),
            _ => {
                return Err(format!(
                    "`{schedule}`: a time zone prefix must be followed by a schedule"
                ));
            }
        }
    }
    if let Some(descriptor) = spec.strip_prefix('@') {
        return match descriptor {
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => {
                Ok(())
            }
            _ => match descriptor.strip_prefix("every ") {
                Some(d) => check_go_duration(d.trim()),
                None => Err(format!("`@{descriptor}` is not a cron descriptor")),
            },
        };
    }
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "`{schedule}` has {} fields; a cron schedule has 5 (minute hour day-of-month month day-of-week)",
            fields.len()
        ));
    }
    let bounds: [(&str, u32, u32, &[&str], u32); 5] = [
        ("minute", 0, 59, &[], 0),
        ("hour", 0, 23, &[], 0),
        ("day of month", 1, 31, &[], 0),
        ("month", 1, 12, &MONTHS, 1),
        ("day of week", 0, 6, &DAYS, 0),
    ];
    for (field, (what, min, max, names, first)) in fields.iter().zip(bounds) {
        let value = |text: &str| -> Result<u32, String> {
            if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
                return Ok(i as u32 + first);
            }
            text.parse::<u32>()
                .map_err(|_| format!("`{text}` is not a valid {what}"))
        };
        for part in field.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (part, None),
            };
            let (lo, hi) = if range == "*" || range == "?" {
                (min, max)
            } else if let Some((a, b)) = range.split_once('-') {
                (value(a)?, value(b)?)
            } else {
                let v = value(range)?;
                (v, if step.is_some() { max } else { v })
            };
            if lo < min || hi > max {
                return Err(format!(
                    "`{part}`: the {what} must be between {min} and {max}"
                ));
            }
            if lo > hi {
                return Err(format!("`{part}`: the range starts after it ends"));
            }
            if let Some(s) = step {
                match s.parse::<u32>() {
                    Ok(n) if n > 0 => {}
                    _ => return Err(format!("`{part}`: the step must be a positive number")),
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_and_label_values() {
        for ok in [
            "app",
            "argot.dev/pipeline",
            "a.b_c-d",
            "workflows.argoproj.io/description",
        ] {
            assert!(is_qualified_name(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "Argot.dev/x",
            "a/b/c",
            "/a",
            &"n".repeat(64),
            "a b",
        ] {
            assert!(!is_qualified_name(bad), "{bad}");
        }
        assert!(is_label_value(""));
        assert!(is_label_value("quickstart-2"));
        assert!(is_label_value(&"v".repeat(63)));
        assert!(!is_label_value(&"v".repeat(64)));
        assert!(!is_label_value("a/b"));
        assert!(!is_label_value("_a"));
    }

    #[test]
    fn dns_subdomains_and_config_map_keys() {
        assert!(is_dns_subdomain("a.b-c.d"));
        assert!(!is_dns_subdomain("a..b"));
        assert!(!is_dns_subdomain(&format!("{}.x", "a".repeat(253))));
        assert!(is_config_map_key("cache-key_1.v2"));
        for bad in [".", "..", "..x", "a/b", "", &"k".repeat(254)] {
            assert!(!is_config_map_key(bad), "{bad}");
        }
    }

    #[test]
    fn seconds_and_durations() {
        assert_eq!(parse_seconds("0"), Ok(0));
        assert_eq!(parse_seconds("3600"), Ok(3600));
        assert_eq!(parse_seconds("1h30m"), Ok(5400));
        assert_eq!(parse_seconds("90s"), Ok(90));
        assert_eq!(parse_seconds("2h5s"), Ok(7205));
        assert_eq!(parse_seconds("48h"), Ok(172_800));
        for bad in [
            "",
            "1.5h",
            "-5",
            "1d",
            "10ms",
            "1m1h",
            "1h1h",
            "h",
            "1h 30m",
            "3600 ",
            "99999999999999999999",
            "9999999999999999999h",
        ] {
            let why = parse_seconds(bad).unwrap_err();
            assert!(why.contains("1h30m"), "{bad}: {why}");
        }
    }

    #[test]
    fn image_references() {
        let r = ImageRef::parse("ghcr.io/argot-rs/quickstart:0.1.0").unwrap();
        assert_eq!(
            (r.domain.as_str(), r.path.as_str(), r.tag.as_deref()),
            ("ghcr.io", "argot-rs/quickstart", Some("0.1.0"))
        );
        let r = ImageRef::parse("python:3.12-alpine").unwrap();
        assert_eq!(r.domain, "docker.io");
        let r = ImageRef::parse("localhost:5000/team/img").unwrap();
        assert_eq!(
            (r.domain.as_str(), r.tag.as_deref()),
            ("localhost:5000", None)
        );
        assert!(r.is_mutable());
        let pinned = format!("img:latest@sha256:{}", "a".repeat(64));
        assert!(!ImageRef::parse(&pinned).unwrap().is_mutable());
        assert!(ImageRef::parse("img:latest").unwrap().is_mutable());
        assert!(!ImageRef::parse("img:1.0").unwrap().is_mutable());
        assert!(ImageRef::parse("[::1]:5000/a/b:c").is_ok());
        assert!(ImageRef::parse("my-registry.example.com/a__b/c-d.e:v1_2").is_ok());
        for bad in [
            "",
            " img:1",
            "Img:1",
            "ghcr.io/Team/img:1",
            "img:",
            "img:-x",
            "img@sha256:abc",
            "a//b",
            "img:1:2",
            "my_registry.example.com/img:1",
            "ex ample/img",
            "a/-b",
            "a/b_",
            &"a".repeat(64).replace('a', "f"),
            &format!("r.io/{}", "p".repeat(260)),
            &format!("img:{}", "t".repeat(129)),
        ] {
            assert!(ImageRef::parse(bad).is_err(), "`{bad}` should be refused");
        }
    }

    #[test]
    fn quantities() {
        for ok in [
            "1", "500m", "0.5", "4Gi", "1e3", "1E-2", "+1", "-1", ".5", "5.", "100M", "2n",
        ] {
            assert!(check_quantity(ok).is_ok(), "{ok}");
        }
        for bad in ["", "m", "1.2.3", "4GB", "1e", "1ee3", "Gi", "1 Gi", "."] {
            assert!(check_quantity(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        for ok in [
            "0", "1s", "1h30m", "2.5m", "-1.5h", "300ms", "1µs", "10us", "1h0m0s",
        ] {
            assert!(check_go_duration(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1", "s", "1d", "1.2.3s", "h1", "1 s", "10"] {
            assert!(check_go_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cron_schedules() {
        for ok in [
            "*/5 * * * *",
            "0 0 1 1 *",
            "0 9-17 * * MON-FRI",
            "0 0 ? * sun",
            "15,45 */2 1-15/3 jan,jul *",
            "@daily",
            "@every 1h30m",
            "CRON_TZ=Europe/Paris 0 6 * * *",
            "TZ=UTC @hourly",
        ] {
            assert!(check_cron(ok).is_ok(), "{ok}: {:?}", check_cron(ok));
        }
        for bad in [
            "",
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 7",
            "5-1 * * * *",
            "*/0 * * * *",
            "@fortnightly",
            "@every 1d",
            "TZ=UTC",
            "x * * * *",
        ] {
            assert!(check_cron(bad).is_err(), "`{bad}` should be refused");
        }
    }
    #[test]
    fn a_label_with_run_time_values_is_checked_on_its_own_text() {
        let v = crate::ir::setting_placeholder("argot-setting-0");
        assert!(is_label_value_or_template(&format!("v-{v}")));
        assert!(is_label_value_or_template(&v));
        assert!(!is_label_value_or_template(&format!("has space-{v}")));
        assert!(!is_label_value_or_template(&format!(
            "{}{v}",
            "a".repeat(64)
        )));
        assert!(!is_label_value_or_template("{{workflow.name}}"));
    }
}
