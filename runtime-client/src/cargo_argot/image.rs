//! The Dockerfile and `.dockerignore` `cargo argot image` prints for a pipeline binary.
//!
//! The Dockerfile is a function of the package and binary names alone (no path, no time), so
//! the one committed next to a crate can be checked against what the command prints today
//! (`examples/Dockerfile` is).

/// The Rust image the build stage uses: Debian bookworm, whose glibc is the one the
/// distroless `cc-debian12` runtime image has, so the binary links against what it runs on.
pub const RUST_IMAGE: &str = "rust:1.95-slim-bookworm";

/// cargo-chef's version, pinned so an image build is reproducible and a new release cannot
/// change how the dependency layer is computed.
pub const CARGO_CHEF_VERSION: &str = "0.1.78";

/// The runtime image: glibc and libgcc, no shell or package manager (argot never needs one),
/// with a non-root user.
pub const RUNTIME_IMAGE: &str = "gcr.io/distroless/cc-debian12:nonroot";

/// What the build context leaves out. `target/` can be gigabytes and `.argot/` holds local
/// runs, caches and the metadata store: neither belongs in an image, and sending them makes
/// every build slow and every context change (a local run) a cache miss.
pub const DOCKERIGNORE: &str = "\
# Written by `cargo argot image --dockerignore`: keep the build context to the sources.
target/
.argot/
.git/
**/*.rs.bk
";

/// Whether `name` can stand in a Dockerfile and a `cargo -p`/`--bin` argument as it is: the
/// characters cargo allows in package and target names. Anything else is refused rather
/// than quoted, so the Dockerfile never carries text a shell or the builder would interpret.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The Dockerfile for binary `bin` of package `package`, built from the root of the
/// package's workspace (the build context).
///
/// Three stages: cargo-chef computes the dependency "recipe" from the manifests, the build
/// stage compiles the dependencies alone (a layer reused until `Cargo.toml`/`Cargo.lock`
/// change), then the workspace's own code; the runtime stage holds the binary alone at
/// `/usr/local/bin/<bin>`, where the manifest's native tasks run it, as user 65532.
///
/// # Panics
/// If `package` or `bin` is not a plain cargo name (see [`is_plain_name`]); callers check.
pub fn dockerfile(package: &str, bin: &str) -> String {
    assert!(
        is_plain_name(package) && is_plain_name(bin),
        "names are checked by the caller"
    );
    format!(
        r#"# Written by `cargo argot image -p {package} --bin {bin}`; regenerate it rather than edit it.
# Packages the pipeline binary into the image its manifest names: native tasks run
# `/usr/local/bin/<binary> component <name> …`, so the binary goes there.
#
#   docker build -f path/to/Dockerfile -t registry.example.com/{bin}:0.1.0 <workspace root>
#   docker push registry.example.com/{bin}:0.1.0
#   cargo argot compile -p {package} --bin {bin} --image registry.example.com/{bin}:0.1.0
#
# Another binary of the package: `--build-arg BIN=name`. The context is the workspace root;
# its .dockerignore (`cargo argot image --dockerignore`) keeps target/ and .argot/ out.

ARG BIN={bin}

# cargo-chef turns the manifests into a recipe of the dependencies alone, so the layer that
# compiles them is reused until Cargo.toml or Cargo.lock change, not at every code edit.
FROM {RUST_IMAGE} AS chef
RUN cargo install cargo-chef --locked --version {CARGO_CHEF_VERSION}
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
ARG BIN
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json -p {package} --bin "${{BIN}}"
COPY . .
RUN cargo build --release --locked -p {package} --bin "${{BIN}}" \
 && cp "target/release/${{BIN}}" /pipeline-binary

# glibc and libgcc only, no shell (argot never needs one); the same Debian release as the
# build stage, so the binary's glibc is there.
FROM {RUNTIME_IMAGE}
ARG BIN
COPY --from=build /pipeline-binary /usr/local/bin/${{BIN}}
# Numeric, not `nonroot`: under the pods' `runAsNonRoot: true` the kubelet can only verify a
# numeric user. 65532 is distroless' nonroot and the `runAsUser` argot emits by default.
USER 65532:65532
# No ENTRYPOINT: the manifest gives the command (the binary path above) for every task.
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dockerfile_is_multi_stage_caches_dependencies_and_runs_as_non_root() {
        let text = dockerfile("my-pipes", "train");
        let stages: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
        assert_eq!(stages.len(), 4, "{text}");
        let cook = text.find("cargo chef cook").unwrap();
        let copy_sources = text[cook..].find("COPY . .").unwrap() + cook;
        let build = text.find("cargo build --release").unwrap();
        assert!(
            cook < copy_sources && copy_sources < build,
            "dependencies first: {text}"
        );
        assert!(text.contains("-p my-pipes --bin \"${BIN}\""), "{text}");
        assert!(text.contains("ARG BIN=train"), "{text}");
        assert!(text.contains("USER 65532:65532"), "{text}");
        assert!(text.contains(RUNTIME_IMAGE), "{text}");
        assert!(!text.contains("ENTRYPOINT ["), "{text}");
    }

    #[test]
    fn the_dockerignore_leaves_out_the_target_and_local_run_folders() {
        let patterns: Vec<&str> = DOCKERIGNORE
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect();
        assert!(patterns.contains(&"target/"));
        assert!(patterns.contains(&".argot/"));
    }

    #[test]
    fn only_plain_cargo_names_reach_a_dockerfile() {
        assert!(is_plain_name("argot-examples"));
        assert!(is_plain_name("coin_flip"));
        for bad in ["", "a b", "x\"; rm", "$(id)", "a\nRUN x", "é"] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
    }
}
