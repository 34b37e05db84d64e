//! The quickstart: prepare a data set, train a logistic-regression model on it, evaluate it.
//!
//! ```text
//! cargo run -p argot-examples --bin quickstart -- compile --image registry.example.com/quickstart:0.1.0
//! cargo run -p argot-examples --bin quickstart -- validate
//! cargo run -p argot-examples --bin quickstart -- component prepare --param rows 200 --output data data.csv
//! ```
//!
//! Build this image before running on a cluster: the `image` of `#[pipeline]` below names one
//! nobody has published. `examples/Dockerfile` packages this binary at
//! `/usr/local/bin/quickstart` in a distroless image that runs as user 65532 (the user argot's
//! pods run as by default); push it where your cluster pulls from and pass its name with
//! `--image` (without it, `compile` prints a note naming the placeholder).

use crate::ml::{
    Example, LogisticModel, accuracy, read_examples, synthetic_examples, write_examples,
};
use argot::prelude::*;

/// Generate a reproducible synthetic data set of `rows` labelled points.
#[component]
pub fn prepare(rows: u32, #[default(7)] seed: u64, data: Output<Dataset>) -> Result<()> {
    ensure!(
        rows >= 10,
        "need at least 10 rows to train and evaluate, got {rows}"
    );
    let examples: Vec<Example> = synthetic_examples(rows as usize, seed);
    write_examples(data.path(), &examples).context("writing the data set")?;
    Ok(())
}

/// Fit a logistic-regression model by gradient descent; returns its training accuracy.
#[component]
pub fn train(
    data: Input<Dataset>,
    #[default(0.5)] learning_rate: f64,
    #[default(300)] epochs: u32,
    model: Output<Model>,
) -> Result<f64> {
    ensure!(
        learning_rate > 0.0,
        "learning_rate must be positive, got {learning_rate}"
    );
    let examples = read_examples(data.path()).context("reading the data set")?;
    let fitted = LogisticModel::fit(&examples, learning_rate, epochs);
    fitted.save(model.path()).context("saving the model")?;
    Ok(accuracy(&fitted, &examples))
}

/// Score the model on the data set and write its metrics as JSON; returns the accuracy.
#[component]
pub fn evaluate(
    data: Input<Dataset>,
    model: Input<Model>,
    train_accuracy: f64,
    metrics: Output<Metrics>,
) -> Result<f64> {
    let examples = read_examples(data.path())?;
    let fitted = LogisticModel::load(model.path())?;
    let acc = accuracy(&fitted, &examples);
    let report = serde_json::json!({
        "accuracy": acc,
        "train_accuracy": train_accuracy,
        "log_loss": fitted.log_loss(&examples),
        "rows": examples.len(),
    });
    std::fs::write(metrics.path(), serde_json::to_string_pretty(&report)?)?;
    Ok(acc)
}

/// Prepare → train → evaluate, with the data set and the model passed as artifacts.
// The image is a placeholder nobody publishes: build it from `examples/Dockerfile`
// (`--build-arg BIN=quickstart`), push it, and pass `--image` to `compile` or `submit`.
#[pipeline(image = "ghcr.io/argot-rs/quickstart:0.1.0")]
pub fn quickstart(#[default(1000)] rows: Param<u32>, #[default(0.5)] learning_rate: Param<f64>) {
    let prepared = prepare(rows);
    let trained = train(prepared.data).learning_rate(learning_rate);
    evaluate(prepared.data, trained.model, trained.output);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_functions_run_with_real_values() {
        // A private folder, removed at the end (never a predictable path in /tmp).
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        let data = dir.join("data.csv");
        let model = dir.join("model.json");
        let metrics = dir.join("metrics.json");
        prepare::call(200, 7, Output::at("data", &data)).unwrap();
        let train_acc = train::call(
            Input::at("data", &data),
            0.5,
            300,
            Output::at("model", &model),
        )
        .unwrap();
        let acc = evaluate::call(
            Input::at("data", &data),
            Input::at("model", &model),
            train_acc,
            Output::at("metrics", &metrics),
        )
        .unwrap();
        assert!(acc > 0.8, "accuracy {acc}");
        assert!(prepare::call(3, 7, Output::at("data", &data)).is_err());
    }
}
