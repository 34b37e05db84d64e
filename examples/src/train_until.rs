//! Train until the model is good enough: one epoch per level of a recursive sub-pipeline,
//! each starting from the model the level before wrote, until the accuracy reaches `target`
//! or `train_rounds` has run `max_depth` levels. The pipeline returns the accuracy of the
//! last level that ran.
//!
//! ```text
//! cargo run -p argot-examples --bin train_until -- run                  # 5 levels: 0.916
//! cargo run -p argot-examples --bin train_until -- run -p target=0.99   # stops at the bound
//! cargo run -p argot-examples --bin train_until -- compile --image registry.example.com/train-until:0.1.0
//! ```
//!
//! On Argo `train_rounds` is one DAG template that calls itself from its branch
//! `condition-1`, whose `when` is the user's condition and the bound
//! (`asInt(inputs.parameters['_recursion-depth']) < 6`); each call passes the depth plus one.
//! `final-accuracy` reads `one_of([deeper, evaluated.output])`: the deeper level's accuracy when the
//! branch ran, this level's otherwise, so the value of the last level climbs back up.

use argot::prelude::*;

/// A model as a file: how many epochs it has been trained and its accuracy.
fn read_state(path: &std::path::Path) -> Result<(u32, f64)> {
    let text = std::fs::read_to_string(path).context("reading the model")?;
    let mut fields = text.split_whitespace();
    let epochs = fields.next().context("no epoch count")?.parse()?;
    let accuracy = fields.next().context("no accuracy")?.parse()?;
    Ok((epochs, accuracy))
}

/// An untrained model: 0 epochs, chance accuracy.
#[component]
pub fn untrained(model: Output<Model>) -> Result<()> {
    std::fs::write(model.path(), "0 0.5").context("writing the model")?;
    Ok(())
}

/// One more epoch from `start`: the error shrinks by the learning rate.
#[component]
pub fn train_epoch(start: Input<Model>, lr: f64, model: Output<Model>) -> Result<()> {
    let (epochs, accuracy) = read_state(start.path())?;
    let accuracy = 1.0 - (1.0 - accuracy) * (1.0 - lr);
    std::fs::write(model.path(), format!("{} {accuracy}", epochs + 1))
        .context("writing the model")?;
    Ok(())
}

/// The model's accuracy, to three decimals.
#[component]
pub fn score_model(model: Input<Model>) -> Result<f64> {
    let (epochs, accuracy) = read_state(model.path())?;
    let rounded = (accuracy * 1000.0).round() / 1000.0;
    println!("epoch {epochs}: accuracy {rounded}");
    Ok(rounded)
}

/// The accuracy the training ended with.
#[component]
pub fn final_accuracy(accuracy: f64) -> Result<f64> {
    println!("final accuracy {accuracy}");
    Ok(accuracy)
}

/// One epoch and its evaluation; one level deeper while the accuracy is below `target`, at
/// most 6 levels in all. Returns the accuracy of the deepest level that ran.
#[pipeline(max_depth = 6, outputs = ["accuracy"])]
pub fn train_rounds(start: Input<Model>, lr: Param<f64>, target: Param<f64>) -> ParamRef<f64> {
    let trained = train_epoch(start, lr);
    let evaluated = score_model(trained.model);
    let mut deeper = None;
    when(evaluated.output.lt(target), || {
        deeper = Some(train_rounds(trained.model, lr, target));
    });
    let deeper = deeper.expect("`when` traces its closure once");
    final_accuracy(one_of([deeper, evaluated.output])).output
}

/// Start from an untrained model and train it until it reaches `target`.
#[pipeline(image = "ghcr.io/argot-rs/train-until:0.1.0")]
pub fn train_until(
    #[default(0.3)] lr: Param<f64>,
    #[default(0.9)] target: Param<f64>,
) -> ParamRef<f64> {
    let initial = untrained();
    train_rounds(initial.model, lr, target)
}
