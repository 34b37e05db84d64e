//! A data set from an HTTP URL, profiled into an HTML report.
//!
//! ```text
//! cargo run -p argot-examples --bin from_url -- run -p url=https://example.com/iris.csv
//! cargo run -p argot-examples --bin from_url -- compile --image registry.example.com/from-url:0.1.0
//! ```
//!
//! `Dataset::from_url(url)` is typed: it feeds `profile`'s `Input<Dataset>` as a task's output
//! would. On Argo the task's argument artifact is `http: {url: "{{workflow.parameters.url}}"}`
//! and the pod downloads it before `profile` starts; `run` downloads it the same way (or reads
//! a copy: `--artifact-file URL=PATH`). The notes at the top of the report are a constant text
//! (`Markdown::raw`, Argo `raw`). The report is an `Html` artifact, and `publish` takes any
//! kind (`Input<Artifact>`).

use argot::prelude::*;

/// Profile a CSV data set (a header line, then rows): its row count and each numeric column's
/// mean, as an HTML page headed by `notes`; returns the row count.
#[component]
pub fn profile(data: Input<Dataset>, notes: Input<Markdown>, report: Output<Html>) -> Result<u64> {
    let text = std::fs::read_to_string(data.path()).context("reading the data set")?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .context("the data set is empty")?
        .split(',')
        .collect();
    let mut sums = vec![0.0_f64; header.len()];
    let mut numeric = vec![true; header.len()];
    let mut rows = 0_u64;
    for line in lines {
        rows += 1;
        for (i, cell) in line.split(',').enumerate().take(header.len()) {
            match cell.trim().parse::<f64>() {
                Ok(v) => sums[i] += v,
                Err(_) => numeric[i] = false,
            }
        }
    }
    let notes = std::fs::read_to_string(notes.path()).context("reading the notes")?;
    let mut page = format!(
        "<!doctype html>\n<html><body>\n<pre>{}</pre>\n<p>{rows} rows</p>\n<table>\n<tr><th>column</th><th>mean</th></tr>\n",
        escape(&notes)
    );
    for (i, name) in header.iter().enumerate() {
        if numeric[i] && rows > 0 {
            page.push_str(&format!(
                "<tr><td>{}</td><td>{:.3}</td></tr>\n",
                escape(name.trim()),
                sums[i] / rows as f64
            ));
        }
    }
    page.push_str("</table>\n</body></html>\n");
    std::fs::write(report.path(), page).context("writing the report")?;
    Ok(rows)
}

/// Publish a finished artifact of any kind; returns its size in bytes.
#[component]
pub fn publish(page: Input<Artifact>) -> Result<u64> {
    let size = std::fs::metadata(page.path())
        .context("reading the artifact")?
        .len();
    println!("published {size} bytes");
    Ok(size)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Download the data set at `url`, profile it, publish the report.
#[pipeline(image = "ghcr.io/argot-rs/from-url:0.1.0")]
pub fn from_url(
    #[default("https://raw.githubusercontent.com/mwaskom/seaborn-data/master/iris.csv")] url: Param<
        String,
    >,
) -> ParamRef<u64> {
    let profiled = profile(
        Dataset::from_url(url),
        Markdown::raw("Profile of the data set, made by argot's from_url example."),
    );
    publish(profiled.report);
    profiled.output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_counts_rows_and_averages_numeric_columns() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data"), "a,b,name\n1,2,x\n3,4,<y>\n").unwrap();
        std::fs::write(dir.path().join("notes"), "hello").unwrap();
        let rows = profile::call(
            Input::at("data", dir.path().join("data")),
            Input::at("notes", dir.path().join("notes")),
            Output::at("report", dir.path().join("report")),
        )
        .unwrap();
        assert_eq!(rows, 2);
        let page = std::fs::read_to_string(dir.path().join("report")).unwrap();
        assert!(page.contains("<tr><td>a</td><td>2.000</td></tr>"), "{page}");
        assert!(page.contains("<tr><td>b</td><td>3.000</td></tr>"), "{page}");
        assert!(!page.contains("<td>name</td>"), "{page}");
    }
}
