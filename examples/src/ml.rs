//! A tiny, dependency-free logistic regression: enough real work for the examples to compute
//! real metrics, small enough to read in a minute.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// One labelled point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Example {
    /// Features.
    pub x: [f64; 2],
    /// Label (0 or 1).
    pub label: u8,
}

/// `rows` points from a fixed-seed generator: label 1 when `x0 + x1` exceeds 1, with 5% noise.
pub fn synthetic_examples(rows: usize, seed: u64) -> Vec<Example> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    let mut next = move || {
        // xorshift64*: reproducible on every platform.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(2685821657736338717) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..rows)
        .map(|_| {
            let x = [next(), next()];
            let mut label = u8::from(x[0] + x[1] > 1.0);
            if next() < 0.05 {
                label = 1 - label;
            }
            Example { x, label }
        })
        .collect()
}

/// Writes examples as CSV with a header.
pub fn write_examples(path: &Path, examples: &[Example]) -> std::io::Result<()> {
    let mut text = String::from("x0,x1,label\n");
    for e in examples {
        text.push_str(&format!("{},{},{}\n", e.x[0], e.x[1], e.label));
    }
    std::fs::write(path, text)
}

/// Reads examples written by [`write_examples`].
pub fn read_examples(path: &Path) -> anyhow::Result<Vec<Example>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .skip(1)
        .enumerate()
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split(',').collect();
            anyhow::ensure!(
                fields.len() == 3,
                "line {}: expected 3 fields, found {}",
                i + 2,
                fields.len()
            );
            Ok(Example {
                x: [fields[0].parse()?, fields[1].parse()?],
                label: fields[2].parse()?,
            })
        })
        .collect()
}

/// A fitted logistic-regression model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    /// One weight per feature.
    pub weights: [f64; 2],
    /// The intercept.
    pub bias: f64,
}

impl LogisticModel {
    /// Full-batch gradient descent on the log loss.
    pub fn fit(examples: &[Example], learning_rate: f64, epochs: u32) -> Self {
        let mut m = LogisticModel {
            weights: [0.0; 2],
            bias: 0.0,
        };
        let n = examples.len().max(1) as f64;
        for _ in 0..epochs {
            let mut grad = [0.0; 3];
            for e in examples {
                let err = m.probability(e.x) - f64::from(e.label);
                grad[0] += err * e.x[0];
                grad[1] += err * e.x[1];
                grad[2] += err;
            }
            m.weights[0] -= learning_rate * grad[0] / n * 4.0;
            m.weights[1] -= learning_rate * grad[1] / n * 4.0;
            m.bias -= learning_rate * grad[2] / n * 4.0;
        }
        m
    }

    /// P(label = 1 | x).
    pub fn probability(&self, x: [f64; 2]) -> f64 {
        let z = self.weights[0] * x[0] + self.weights[1] * x[1] + self.bias;
        1.0 / (1.0 + (-z).exp())
    }

    /// Mean log loss over `examples`.
    pub fn log_loss(&self, examples: &[Example]) -> f64 {
        let total: f64 = examples
            .iter()
            .map(|e| {
                let p = self.probability(e.x).clamp(1e-12, 1.0 - 1e-12);
                if e.label == 1 {
                    -p.ln()
                } else {
                    -(1.0 - p).ln()
                }
            })
            .sum();
        total / examples.len().max(1) as f64
    }

    /// Saves as JSON.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, serde_json::to_string_pretty(self)?)?;
        Ok(())
    }

    /// Loads from JSON.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
    }
}

/// The fraction of `examples` the model labels correctly.
pub fn accuracy(model: &LogisticModel, examples: &[Example]) -> f64 {
    let right = examples
        .iter()
        .filter(|e| u8::from(model.probability(e.x) >= 0.5) == e.label)
        .count();
    right as f64 / examples.len().max(1) as f64
}
