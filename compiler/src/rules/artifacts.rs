//! A0050: artifacts from outside the pipeline that Argo could fetch as written.

use crate::diagnostics::Code;
use crate::ir::{ExternalSource, Implementation, ParamSource, Pipeline, RegionId};
use crate::protocol::ARGOT_DIR;

impl super::Checker<'_> {
    /// A0062: what a loop's collected artifacts need to reach their reader as a collection:
    /// `Collection<K>` only as a required input of a native component, and a producer whose
    /// output each iteration can save, unarchived, under a key of its own.
    pub(crate) fn collected_artifacts(&mut self) {
        let p = self.p;
        for (name, spec) in &p.components {
            for output in &spec.outputs {
                if output.kind.collection_of().is_some() {
                    self.report(
                        Code::CollectedArtifact,
                        None,
                        format!("component `{name}` declares output `{output}` as a collection; a collection is only what a loop collects", output = output.name),
                        "declare the output as one artifact (`Output<Dataset>`) and collect it from a loop",
                    );
                }
            }
            for input in &spec.inputs {
                let Some(element) = input.kind.collection_of() else {
                    continue;
                };
                let problem = if crate::ir::collection_element(element).is_some() {
                    Some("is a collection of collections, which no loop collects")
                } else if input.optional {
                    Some(
                        "is an optional collection; a loop that ran collects a list, possibly empty",
                    )
                } else if spec.implementation != Implementation::Native {
                    Some(
                        "is a collection, and a container image would see every saved entry unordered (a retried iteration's failed attempt included) instead of the succeeded iterations in item order",
                    )
                } else {
                    None
                };
                if let Some(problem) = problem {
                    self.report(
                        Code::CollectedArtifact,
                        None,
                        format!("input `{input}` of component `{name}` {problem}", input = input.name),
                        "take a required `Input<Collection<K>>` in a native `#[component]`, and read its entries in order with `.paths()`",
                    );
                }
            }
        }
        for read in crate::ir::collected_artifact_reads(p) {
            let producer = &p.tasks[read.producer.index()];
            let spec = &p.components[&producer.component];
            let config = producer
                .config
                .merged_over(&spec.config.merged_over(&p.defaults));
            let options = config.outputs.get(read.output);
            let problem = if options.is_some_and(|o| {
                matches!(
                    o.archive,
                    Some(crate::ir::Archive::Tar | crate::ir::Archive::Zip)
                )
            }) {
                "archives it (`set_output_archive`), and the reader would get each iteration's archive, not its file"
            } else if options.is_some_and(|o| o.key.is_some()) {
                "stores it under a key of its own (`set_output_key`), while each iteration must save it as an entry of the collection's key prefix"
            } else if config.memoize.is_some() {
                "is memoized: a cache hit reports the key another run saved it under, outside this run's collection"
            } else if producer.template_ref.is_some() {
                "runs a published template, whose outputs are saved where the library says"
            } else {
                continue;
            };
            self.report(
                Code::CollectedArtifact,
                Some(read.reader),
                format!(
                    "input `{}` of task `{}` collects output `{}` of task `{}`, which {problem}",
                    read.input,
                    p.tasks[read.reader.index()].name,
                    read.output,
                    producer.name
                ),
                "collect the output of a task that saves it unarchived from a template of this pipeline, without memoize or a key of its own",
            );
        }
    }

    /// A0051: each path a container component collects an output from (`output_at`) names
    /// one of its outputs, is absolute and normal, lies outside argot's own folder, and is
    /// neither another output's path nor inside or around it.
    pub(crate) fn output_paths(&mut self) {
        for (name, spec) in &self.p.components {
            let Implementation::Container(c) = &spec.implementation else {
                continue;
            };
            let paths: Vec<(&String, &String)> = c.output_paths.iter().collect();
            for (i, (output, path)) in paths.iter().enumerate() {
                let problem = if spec.output(output).is_none() {
                    Some(format!(
                        "names output `{output}`, which the component does not have"
                    ))
                } else {
                    output_path_problem(path).or_else(|| {
                        paths[..i].iter().find_map(|(other, p)| {
                            nested(p, path).then(|| {
                                format!("collects output `{output}` from `{path}`, and output `{other}` from `{p}`: one would hold the other")
                            })
                        })
                    })
                };
                if let Some(problem) = problem {
                    self.report(
                        Code::InvalidOutputPath,
                        None,
                        format!("container component `{name}` {problem}"),
                        "give each output its own absolute path outside /tmp/argot (`/tmp/results.txt`, `/out/model/`), where the image writes it",
                    );
                }
            }
        }
    }
}

/// What is wrong with collecting an output from `path`, or `None`.
fn output_path_problem(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return Some(format!(
            "collects an output from `{path}`, which is not an absolute path"
        ));
    }
    if path.contains("{{") {
        return Some(format!(
            "collects an output from `{path}`, which holds `{{{{` (Argo would substitute it)"
        ));
    }
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    if parts.is_empty()
        || parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        return Some(format!(
            "collects an output from `{path}`, which is the root or has empty, `.` or `..` parts"
        ));
    }
    if nested(path, ARGOT_DIR) {
        return Some(format!(
            "collects an output from `{path}`, inside or around argot's own folder `{ARGOT_DIR}` (where inputs are mounted); without `output_at` the output is already collected there"
        ));
    }
    None
}

/// True when `a` and `b` are the same path or one is inside the other.
fn nested(a: &str, b: &str) -> bool {
    let a = a.trim_end_matches('/');
    let b = b.trim_end_matches('/');
    let inside = |x: &str, y: &str| x == y || x.strip_prefix(y).is_some_and(|r| r.starts_with('/'));
    inside(a, b) || inside(b, a)
}

/// What is wrong with reading a URL from pipeline parameter `param` in region `region`: it
/// must be a `String` parameter of the run itself (Argo substitutes
/// `{{workflow.parameters.NAME}}` into `http.url`; inside a sub-pipeline call the value would
/// have to travel through the call, which is not compiled yet), and its default, if any, a URL
/// Argo can fetch.
pub(crate) fn url_param_problem(
    p: &Pipeline,
    region: RegionId,
    param: &str,
) -> Option<(String, String)> {
    match crate::ir::param_source(p, region, param) {
        ParamSource::Run(q) if q.rust_type != "String" => Some((
            format!("the URL is read from pipeline parameter `{param}`, a `{}`", q.rust_type),
            "declare the parameter as `Param<String>`".to_owned(),
        )),
        ParamSource::Run(q) => q.default.as_deref().and_then(|d| {
            external_problem(&ExternalSource::Http {
                url: crate::value::decode_text(d),
            })
            .map(|(m, h)| (format!("the default of pipeline parameter `{param}`: {m}"), h))
        }),
        ParamSource::Missing => Some((
            format!("the URL is read from pipeline parameter `{param}`, which does not exist"),
            "pass a `Param<String>` of this pipeline".to_owned(),
        )),
        _ => Some((
            format!("the URL is read from parameter `{param}` of a sub-pipeline; only the run's own parameters can hold a URL for now"),
            "pass the artifact itself to the sub-pipeline (an `Input<K>` bound to `from_url(…)` outside it) or a constant URL".to_owned(),
        )),
    }
}

/// What is wrong with `source`, as a message and a help line, or `None` when Argo can fetch
/// it. Every field of a task's argument artifact goes through Argo's `{{…}}` substitution
/// (`resolveAllVariables` in `workflow/validate/validate.go` refuses an unknown `{{…}}`), so
/// a value holding `{{` cannot reach the pod as written.
pub(crate) fn external_problem(source: &ExternalSource) -> Option<(String, String)> {
    let what = source.describe();
    let fields: Vec<(&str, &str)> = match source {
        ExternalSource::Raw { data } => vec![("text", data.as_str())],
        ExternalSource::Http { url } => vec![("URL", url.as_str())],
        ExternalSource::HttpFromParam { .. } => vec![],
        ExternalSource::S3 {
            endpoint,
            bucket,
            key,
        } => vec![
            ("endpoint", endpoint.as_str()),
            ("bucket", bucket.as_str()),
            ("key", key.as_str()),
        ],
        ExternalSource::Gcs { bucket, key } => {
            vec![("bucket", bucket.as_str()), ("key", key.as_str())]
        }
        ExternalSource::Git { repo, revision } => {
            let mut f = vec![("repository", repo.as_str())];
            if let Some(r) = revision {
                f.push(("revision", r.as_str()));
            }
            f
        }
    };
    if let Some((field, _)) = fields.iter().find(|(_, v)| v.contains("{{")) {
        let whose = match source {
            ExternalSource::Raw { .. } => "the constant text".to_owned(),
            _ => format!("the {field} of {what}"),
        };
        return Some((
            format!("{whose} holds `{{{{`, which Argo would read as a variable to substitute"),
            "Argo has no escape for `{{`: put the text in a file the pipeline reads instead, or fetch it from a URL".to_owned(),
        ));
    }
    let raw = matches!(source, ExternalSource::Raw { .. });
    if let Some((field, _)) = fields.iter().find(|(_, v)| !raw && v.trim().is_empty()) {
        return Some((
            format!("{what} has an empty {field}"),
            format!("give the {field}"),
        ));
    }
    match source {
        ExternalSource::Http { url } => {
            let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
            let host = url
                .split_once("://")
                .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""));
            match (scheme.as_deref(), host) {
                (Some("http" | "https"), Some(h)) if !h.is_empty() && !url.contains(char::is_whitespace) => None,
                (Some("s3"), _) => Some((
                    format!("{what} is an S3 address, not an HTTP URL"),
                    "read an S3 object with `from_s3(bucket, key)` (or `from_s3_endpoint`)".to_owned(),
                )),
                (Some("gs"), _) => Some((
                    format!("{what} is a GCS address, not an HTTP URL"),
                    "read a GCS object with `from_gcs(bucket, key)`".to_owned(),
                )),
                (Some("http" | "https"), _) => Some((
                    format!("{what} has no host, or has white space in it"),
                    "write the whole URL, `https://host/path`, with spaces percent-encoded (`%20`)".to_owned(),
                )),
                _ => Some((
                    format!("{what} is not an `http://` or `https://` URL"),
                    "Argo's `http` artifact downloads with a GET: use an `http://` or `https://` URL, `from_s3`/`from_gcs` for a bucket, `from_git` for a repository, or `raw` for a constant text".to_owned(),
                )),
            }
        }
        ExternalSource::S3 { endpoint, .. } if endpoint.contains("://") => Some((
            format!("the endpoint of {what} has a scheme"),
            "Argo's S3 endpoint is a host and an optional port (`minio.example.com:9000`), without `https://`".to_owned(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_are_absolute_normal_and_outside_argots_folder() {
        assert_eq!(output_path_problem("/tmp/results.txt"), None);
        assert_eq!(output_path_problem("/out/model/"), None);
        assert_eq!(output_path_problem("/tmp/argotish"), None);
        assert!(
            output_path_problem("results.txt")
                .unwrap()
                .contains("absolute")
        );
        assert!(output_path_problem("/").unwrap().contains("root"));
        assert!(output_path_problem("/tmp/../etc").unwrap().contains("`..`"));
        assert!(
            output_path_problem("/tmp/argot/outputs/x")
                .unwrap()
                .contains("argot's own")
        );
        assert!(output_path_problem("/tmp").unwrap().contains("argot's own"));
        assert!(output_path_problem("/tmp/{{x}}").unwrap().contains("`{{`"));
        assert!(nested("/out", "/out/a") && nested("/out/a/", "/out/a"));
        assert!(!nested("/out/a", "/out/ab"));
    }

    fn http(url: &str) -> Option<String> {
        external_problem(&ExternalSource::Http { url: url.into() }).map(|(m, _)| m)
    }

    #[test]
    fn only_http_and_https_urls_with_a_host_are_fetched() {
        assert_eq!(http("https://example.com/iris.csv"), None);
        assert_eq!(http("HTTP://127.0.0.1:8080/a?b=c"), None);
        assert!(
            http("ftp://example.com/x")
                .unwrap()
                .contains("not an `http://`")
        );
        assert!(http("example.com/x").unwrap().contains("not an `http://`"));
        assert!(http("s3://bucket/key").unwrap().contains("S3 address"));
        assert!(http("https:///path").unwrap().contains("no host"));
        assert!(
            http("https://example.com/a b")
                .unwrap()
                .contains("white space")
        );
        assert!(
            http("https://example.com/{{workflow.name}}")
                .unwrap()
                .contains("`{{`")
        );
    }

    #[test]
    fn buckets_keys_and_repositories_are_required() {
        let s3 = |endpoint: &str, bucket: &str, key: &str| {
            external_problem(&ExternalSource::S3 {
                endpoint: endpoint.into(),
                bucket: bucket.into(),
                key: key.into(),
            })
            .map(|(m, _)| m)
        };
        assert_eq!(s3("s3.amazonaws.com", "b", "k"), None);
        assert!(
            s3("s3.amazonaws.com", "", "k")
                .unwrap()
                .contains("empty bucket")
        );
        assert!(
            s3("https://minio:9000", "b", "k")
                .unwrap()
                .contains("scheme")
        );
        let gcs = ExternalSource::Gcs {
            bucket: "b".into(),
            key: " ".into(),
        };
        assert!(external_problem(&gcs).unwrap().0.contains("empty key"));
        let git = ExternalSource::Git {
            repo: "https://github.com/argoproj/argo-workflows.git".into(),
            revision: Some("v4.1.2".into()),
        };
        assert_eq!(external_problem(&git), None);
        // A raw text may be empty (an empty file), but not hold `{{`.
        assert_eq!(
            external_problem(&ExternalSource::Raw {
                data: String::new()
            }),
            None
        );
        assert!(
            external_problem(&ExternalSource::Raw {
                data: "a {{b}}".into()
            })
            .is_some()
        );
    }
}
