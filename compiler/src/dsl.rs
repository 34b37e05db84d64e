//! The types a pipeline author writes: pipeline parameters, task outputs, artifacts and the
//! container builder of container components.
//!
//! In a `#[pipeline]` body, a component call takes, for each input, anything convertible to an
//! argument of exactly that type ([`IntoParam`], [`IntoArtifact`]) and returns a handle whose
//! fields are the task's outputs ([`ParamRef`], [`ArtifactRef`]). A wrong type is a rustc error
//! on that argument.

use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use crate::ir::{CmdArg, ExternalSource, Piece};
use crate::trace::{Bound, TaskHandle};
use crate::value::{ParamType, encode};

/// A kind of artifact. The kind is part of the type, so a `Model` cannot feed a `Dataset` input;
/// an `Input<Artifact>` accepts every kind.
///
/// argot has `Artifact` (any file or folder), `Dataset`, `Model`, `Metrics`, `Html` and
/// `Markdown`. A kind of your own is a unit struct implementing this trait; its `NAME` is what
/// the IR, the manifest's annotations and the metadata store record:
///
/// ```
/// use argot::prelude::*;
///
/// /// Text embeddings, one vector per line.
/// #[derive(Clone, Copy, Debug)]
/// pub struct Embeddings;
/// impl ArtifactKind for Embeddings {
///     const NAME: &'static str = "Embeddings";
/// }
///
/// #[component]
/// pub fn embed(corpus: Input<Dataset>, vectors: Output<Embeddings>) -> Result<()> {
///     std::fs::write(vectors.path(), std::fs::read(corpus.path())?)?;
///     Ok(())
/// }
///
/// /// Accepts any kind, a user's own included.
/// #[component]
/// pub fn archive(anything: Input<Artifact>) -> Result<()> {
///     Ok(())
/// }
///
/// #[pipeline(image = "ghcr.io/acme/embed:0.1")]
/// pub fn embeddings() {
///     let embedded = embed(Dataset::from_url("https://example.com/corpus.txt"));
///     archive(embedded.vectors);
/// }
/// # fn main() {
/// #     let compiled = embeddings::definition().compile(&Default::default()).unwrap();
/// #     let kinds = &compiled.valid.pipeline().components["embed"].outputs[0].kind;
/// #     assert_eq!(kinds, &argot::ir::IoKind::Artifact { kind: "Embeddings".into() });
/// # }
/// ```
///
/// Every kind can also come from outside the pipeline, typed: `Dataset::from_url("https://…")`
/// feeds an `Input<Dataset>` (see [`ExternalArtifact`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an artifact kind",
    label = "expected an artifact kind: `Dataset`, `Model`, `Metrics`, `Html`, `Markdown`, `Artifact` or one that implements `ArtifactKind`",
    note = "artifacts are files or folders of a kind: `Input<Dataset>`, `Output<Model>`; a small value is a parameter: write its type directly (`rows: u32`), or `OutputParam<T>` for a named output"
)]
pub trait ArtifactKind: 'static {
    /// The kind's name as recorded in the IR and the metadata store.
    const NAME: &'static str;

    /// The kind as the IR records it: [`ArtifactKind::NAME`], except for a
    /// [`Collection<K>`], which is `Collection<K>` with `K`'s name.
    #[doc(hidden)]
    fn __kind_name() -> String
    where
        Self: Sized,
    {
        Self::NAME.to_owned()
    }

    /// A constant text, written into the file as it is (Argo `raw`).
    fn raw(text: impl Into<String>) -> ExternalArtifact<Self>
    where
        Self: Sized,
    {
        ExternalArtifact::new(ExternalSource::Raw { data: text.into() })
    }

    /// The file at an `http://` or `https://` URL, downloaded when the task starts (Argo
    /// `http`): a constant, or a `Param<String>` of the pipeline, so each run may name its
    /// own; another scheme is refused (A0050).
    fn from_url(url: impl IntoUrl) -> ExternalArtifact<Self>
    where
        Self: Sized,
    {
        ExternalArtifact::new(url.__source())
    }

    /// An object of AWS S3, read with the pod's own cloud credentials (Argo `s3` with
    /// `useSDKCreds`, as IRSA on EKS gives them).
    fn from_s3(bucket: impl Into<String>, key: impl Into<String>) -> ExternalArtifact<Self>
    where
        Self: Sized,
    {
        Self::from_s3_endpoint(S3_ENDPOINT, bucket, key)
    }

    /// An object of an S3-compatible store at `endpoint` (`minio.example.com:9000`).
    fn from_s3_endpoint(
        endpoint: impl Into<String>,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> ExternalArtifact<Self>
    where
        Self: Sized,
    {
        ExternalArtifact::new(ExternalSource::S3 {
            endpoint: endpoint.into(),
            bucket: bucket.into(),
            key: key.into(),
        })
    }

    /// An object of Google Cloud Storage, read with the pod's own identity (Argo `gcs`
    /// without a key secret: workload identity).
    fn from_gcs(bucket: impl Into<String>, key: impl Into<String>) -> ExternalArtifact<Self>
    where
        Self: Sized,
    {
        ExternalArtifact::new(ExternalSource::Gcs {
            bucket: bucket.into(),
            key: key.into(),
        })
    }

    /// A git repository checked out at `revision` (a commit, tag or branch; Argo `git`).
    fn from_git(repo: impl Into<String>, revision: impl Into<String>) -> ExternalArtifact<Self>
    where
        Self: Sized,
    {
        ExternalArtifact::new(ExternalSource::Git {
            repo: repo.into(),
            revision: Some(revision.into()),
        })
    }
}

/// What [`ArtifactKind::from_url`] takes: a URL (`&str`, `String`) or a pipeline parameter
/// `Param<String>` holding one.
#[diagnostic::on_unimplemented(
    message = "a `{Self}` cannot be a URL",
    label = "expected a `&str`, a `String` or a `Param<String>` here",
    note = "`from_url` downloads the URL when the task starts; a task's output cannot be a URL yet: pass the data itself as an artifact"
)]
pub trait IntoUrl {
    #[doc(hidden)]
    fn __source(self) -> ExternalSource;
}

impl IntoUrl for &str {
    fn __source(self) -> ExternalSource {
        ExternalSource::Http {
            url: self.to_owned(),
        }
    }
}

impl IntoUrl for String {
    fn __source(self) -> ExternalSource {
        ExternalSource::Http { url: self }
    }
}

impl IntoUrl for Param<String> {
    fn __source(self) -> ExternalSource {
        ExternalSource::HttpFromParam {
            param: self.name.to_owned(),
        }
    }
}

/// The endpoint [`ArtifactKind::from_s3`] reads from.
pub const S3_ENDPOINT: &str = "s3.amazonaws.com";

macro_rules! artifact_kinds {
    ($($(#[$doc:meta])* $kind:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $kind;
        impl ArtifactKind for $kind {
            const NAME: &'static str = stringify!($kind);
        }
    )*};
}

artifact_kinds! {
    /// Any file or folder; an `Input<Artifact>` accepts every kind.
    Artifact,
    /// A data set (CSV, Parquet, a folder of shards, …).
    Dataset,
    /// A trained model.
    Model,
    /// Metrics (usually a small JSON file).
    Metrics,
    /// An HTML page (a report, a chart), shown as a web page by viewers that know the kind.
    Html,
    /// A Markdown document (a model card, a summary).
    Markdown,
}

/// Every successful iteration's artifact of kind `K` of a loop, as one input: the reader
/// declares `Input<Collection<K>>` and is given what the loop's closure returned as an
/// [`ArtifactRef<K>`] (see [`crate::loops`]). The component reads the entries in item order
/// with [`Input::paths`]; [`Input::path`] is the folder holding them.
///
/// ```
/// use argot::prelude::*;
/// #[component]
/// pub fn shard(n: u32, rows: Output<Dataset>) -> Result<()> {
///     std::fs::write(rows.path(), format!("{n}\n"))?;
///     Ok(())
/// }
/// #[component]
/// pub fn merge(parts: Input<Collection<Dataset>>) -> Result<String> {
///     let mut all = String::new();
///     for part in parts.paths() {
///         all.push_str(&std::fs::read_to_string(part)?);
///     }
///     Ok(all)
/// }
/// #[pipeline(image = "ghcr.io/acme/merge:0.1")]
/// pub fn merged() {
///     let parts = for_each(vec![1u32, 2, 3], |n| shard(n).rows);
///     merge(parts);
/// }
/// # fn main() {}
/// ```
pub struct Collection<K>(PhantomData<fn() -> K>);

impl<K> fmt::Debug for Collection<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Collection")
    }
}

impl<K: ArtifactKind> ArtifactKind for Collection<K> {
    const NAME: &'static str = "Collection";

    fn __kind_name() -> String {
        crate::ir::collection_kind(&K::__kind_name())
    }
}

/// An artifact of kind `K` from outside the pipeline: made by [`ArtifactKind::raw`],
/// [`ArtifactKind::from_url`], [`ArtifactKind::from_s3`], [`ArtifactKind::from_gcs`] or
/// [`ArtifactKind::from_git`], and passed where an `Input<K>` (or an `Input<Artifact>`) is
/// expected. On Argo the pod fetches it (the task's argument artifact has the location); `run`
/// writes a raw text and downloads a URL, and refuses the others (A0031) unless
/// `run --artifact-file` says where a copy of the object is on this machine.
///
/// ```
/// use argot::prelude::*;
/// # #[component]
/// # pub fn count_rows(data: Input<Dataset>) -> Result<u64> { Ok(0) }
/// #[pipeline(image = "ghcr.io/acme/rows:0.1")]
/// pub fn rows() {
///     count_rows(Dataset::from_url("https://example.com/iris.csv"));
///     count_rows(Dataset::raw("a,b\n1,2\n"));
/// }
/// # fn main() {}
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalArtifact<K> {
    source: ExternalSource,
    _kind: PhantomData<fn() -> K>,
}

impl<K> ExternalArtifact<K> {
    fn new(source: ExternalSource) -> Self {
        Self {
            source,
            _kind: PhantomData,
        }
    }

    /// Where the artifact comes from.
    pub fn source(&self) -> &ExternalSource {
        &self.source
    }
}

impl<K: ArtifactKind> IntoArtifact<K> for ExternalArtifact<K> {
    fn __bind(self) -> Bound {
        Bound::External(K::NAME, self.source)
    }
}

impl<K: ArtifactKind> IntoAnyArtifact for ExternalArtifact<K> {
    fn __bind(self) -> Bound {
        Bound::External(K::NAME, self.source)
    }
}

/// An artifact input of a component: a file or folder to read.
#[derive(Debug, Clone)]
pub struct Input<K> {
    name: &'static str,
    path: PathBuf,
    // A collection's entries, in item order; empty for any other kind.
    entries: Vec<PathBuf>,
    _kind: PhantomData<K>,
}

impl<K> Input<Collection<K>> {
    /// The collection `name`: the folder `path` and its entries in item order (used by the
    /// entrypoint, or by hand in unit tests of the plain function).
    pub fn collection(
        name: &'static str,
        path: impl Into<PathBuf>,
        entries: impl IntoIterator<Item = PathBuf>,
    ) -> Self {
        Self {
            name,
            path: path.into(),
            entries: entries.into_iter().collect(),
            _kind: PhantomData,
        }
    }

    /// Every successful iteration's artifact, one file or folder each, in item order. Only
    /// these are the collection: the folder ([`Input::path`]) may hold more (on Argo, what a
    /// failed attempt of a retried iteration saved). A loop over an empty list gives no
    /// entry, and then there may be no folder at all.
    pub fn paths(&self) -> &[PathBuf] {
        &self.entries
    }
}

/// An artifact output of a component: write a file or folder at [`Output::path`].
#[derive(Debug, Clone)]
pub struct Output<K> {
    name: &'static str,
    path: PathBuf,
    _kind: PhantomData<K>,
}

macro_rules! artifact_io {
    ($ty:ident, $piece:ident $(, $field:ident: $value:expr)*) => {
        impl<K> $ty<K> {
            /// Binds the artifact called `name` to `path` (used by the entrypoint, or by hand in
            /// unit tests of the plain function).
            pub fn at(name: &'static str, path: impl Into<PathBuf>) -> Self {
                Self {
                    name,
                    path: path.into(),
                    $($field: $value,)*
                    _kind: PhantomData,
                }
            }

            /// The artifact's local path.
            pub fn path(&self) -> &Path {
                &self.path
            }

            /// The artifact's name on the component.
            pub fn name(&self) -> &'static str {
                self.name
            }
        }

        impl<K> From<&$ty<K>> for CmdArg {
            fn from(a: &$ty<K>) -> CmdArg {
                CmdArg(vec![Piece::$piece(a.name.to_owned())])
            }
        }
    };
}

artifact_io!(Input, InputPath, entries: Vec::new());

impl<K> Input<K> {
    /// Sets a collection's entries (the entrypoint does, from the spec's kind).
    pub(crate) fn set_entries(&mut self, entries: Vec<PathBuf>) {
        self.entries = entries;
    }

    /// The artifact input `name` of a pipeline, as its body sees it while traced: what a
    /// call binds to it.
    #[doc(hidden)]
    pub fn __pipeline_input(name: &'static str) -> Self {
        Self::at(name, PathBuf::new())
    }
}

impl<K: ArtifactKind> IntoArtifact<K> for Input<K> {
    fn __bind(self) -> Bound {
        Bound::PipelineParam(self.name)
    }
}
artifact_io!(Output, OutputPath);

/// A named output parameter of a component, set once with [`OutputParam::set`].
#[derive(Debug, Clone)]
pub struct OutputParam<T> {
    name: &'static str,
    path: PathBuf,
    _type: PhantomData<fn() -> T>,
}

impl<T> OutputParam<T> {
    /// Binds the output parameter called `name` to the file its value is written to.
    pub fn at(name: &'static str, path: impl Into<PathBuf>) -> Self {
        Self {
            name,
            path: path.into(),
            _type: PhantomData,
        }
    }

    /// The file the value is written to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl<T: ParamType> OutputParam<T> {
    /// Writes the value (in wire form) where Argo collects it.
    pub fn set(&self, value: &T) -> std::io::Result<()> {
        let text = encode(value).map_err(std::io::Error::other)?;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&self.path, text)
    }
}

impl<T> From<&OutputParam<T>> for CmdArg {
    fn from(p: &OutputParam<T>) -> CmdArg {
        CmdArg(vec![Piece::OutputParamPath(p.name.to_owned())])
    }
}

/// A typed parameter: an input of the pipeline in a `#[pipeline]` function, or an input of a
/// container component in a `#[container_component]` function.
pub struct Param<T> {
    name: &'static str,
    _type: PhantomData<fn() -> T>,
}

impl<T> Param<T> {
    /// The parameter called `name` (generated code calls this).
    pub const fn named(name: &'static str) -> Self {
        Self {
            name,
            _type: PhantomData,
        }
    }

    /// The parameter's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl<T> Clone for Param<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Param<T> {}
impl<T> fmt::Debug for Param<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Param({})", self.name)
    }
}

impl<T> From<Param<T>> for CmdArg {
    fn from(p: Param<T>) -> CmdArg {
        CmdArg(vec![Piece::InputValue(p.name.to_owned())])
    }
}

/// An output parameter of a task, usable as an input of later tasks.
pub struct ParamRef<T> {
    task: TaskHandle,
    output: &'static str,
    _type: PhantomData<fn() -> T>,
}

impl<T> ParamRef<T> {
    #[doc(hidden)]
    pub fn __new(task: TaskHandle, output: &'static str) -> Self {
        Self {
            task,
            output,
            _type: PhantomData,
        }
    }

    #[doc(hidden)]
    pub fn __parts(&self) -> (TaskHandle, &'static str) {
        (self.task, self.output)
    }
}

impl<T> Clone for ParamRef<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for ParamRef<T> {}
impl<T> fmt::Debug for ParamRef<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ParamRef({:?}.{})", self.task, self.output)
    }
}

/// An output artifact of a task, usable as an artifact input of later tasks.
pub struct ArtifactRef<K> {
    task: TaskHandle,
    output: &'static str,
    _kind: PhantomData<fn() -> K>,
}

impl<K> ArtifactRef<K> {
    #[doc(hidden)]
    pub fn __new(task: TaskHandle, output: &'static str) -> Self {
        Self {
            task,
            output,
            _kind: PhantomData,
        }
    }

    #[doc(hidden)]
    pub fn __parts(&self) -> (TaskHandle, &'static str) {
        (self.task, self.output)
    }
}

impl<K> Clone for ArtifactRef<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for ArtifactRef<K> {}
impl<K> fmt::Debug for ArtifactRef<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArtifactRef({:?}.{})", self.task, self.output)
    }
}

/// Anything that can feed a parameter input of type `T`: a `T` literal, a pipeline
/// [`Param<T>`] or a task's [`ParamRef<T>`].
#[diagnostic::on_unimplemented(
    message = "a `{Self}` cannot feed an input of type `{T}`",
    label = "expected a `{T}` value, a `Param<{T}>` or a `ParamRef<{T}>` here",
    note = "an input of type `{T}` accepts a `{T}` constant, a pipeline parameter `Param<{T}>`, or a task output `ParamRef<{T}>`; artifacts (`ArtifactRef<…>`) only feed `Input<…>` arguments"
)]
pub trait IntoParam<T> {
    #[doc(hidden)]
    fn __bind(self) -> Bound;
}

impl<T: ParamType> IntoParam<T> for T {
    fn __bind(self) -> Bound {
        match encode(&self) {
            Ok(text) => Bound::Constant(text),
            Err(e) => Bound::Invalid(e.to_string()),
        }
    }
}

impl IntoParam<String> for &str {
    fn __bind(self) -> Bound {
        Bound::Constant(crate::value::encode_text(self))
    }
}

impl<T> IntoParam<T> for Param<T> {
    fn __bind(self) -> Bound {
        Bound::PipelineParam(self.name)
    }
}

impl<T> IntoParam<T> for ParamRef<T> {
    fn __bind(self) -> Bound {
        Bound::Output(self.task, self.output)
    }
}

/// Anything that can feed an artifact input of kind `K`: a task's [`ArtifactRef<K>`] (or any
/// artifact, for an `Input<Artifact>`).
#[diagnostic::on_unimplemented(
    message = "a `{Self}` cannot feed an `Input<{K}>`",
    label = "expected an `ArtifactRef<{K}>` here",
    note = "an `Input<{K}>` accepts the output artifact of a task that produces a `{K}` (an `Input<Collection<K>>` accepts what a loop collected: the `ArtifactRef<K>` its closure returned); parameters travel as values, not artifacts"
)]
pub trait IntoArtifact<K> {
    #[doc(hidden)]
    fn __bind(self) -> Bound;
}

impl<K: ArtifactKind> IntoArtifact<K> for ArtifactRef<K> {
    fn __bind(self) -> Bound {
        Bound::Output(self.task, self.output)
    }
}

/// Anything that can feed an `Input<Artifact>`: an artifact of any kind, from a task
/// ([`ArtifactRef`]), a pipeline's input or outside the pipeline ([`ExternalArtifact`]).
/// `#[component]` asks for this instead of `IntoArtifact<Artifact>` where an input is written
/// `Input<Artifact>`: Rust cannot have both "every kind feeds itself" and "every kind feeds
/// `Artifact`" as impls of one trait (they overlap at `Artifact`), and a user's own kind must
/// get both without writing more than its `ArtifactKind` impl.
#[diagnostic::on_unimplemented(
    message = "a `{Self}` cannot feed an `Input<Artifact>`",
    label = "expected an artifact of any kind here",
    note = "an `Input<Artifact>` accepts an `ArtifactRef<K>` of any kind `K`, an `Input<K>` of the pipeline, or an artifact from outside (`Dataset::from_url(…)`); parameters travel as values, not artifacts"
)]
pub trait IntoAnyArtifact {
    #[doc(hidden)]
    fn __bind(self) -> Bound;
}

impl<K: ArtifactKind> IntoAnyArtifact for ArtifactRef<K> {
    fn __bind(self) -> Bound {
        Bound::Output(self.task, self.output)
    }
}

impl<K: ArtifactKind> IntoAnyArtifact for Input<K> {
    fn __bind(self) -> Bound {
        Bound::PipelineParam(self.name)
    }
}

/// The container a `#[container_component]` function returns: any image, with the
/// component's inputs and outputs placed into its argv by typed placeholders.
///
/// ```
/// use argot::prelude::*;
/// # fn demo(data: Input<Dataset>, top: Param<u32>, count: OutputParam<u64>) -> Container {
/// Container::new("python:3.12-alpine")
///     .command(["python3", "-c", "import sys; print(sys.argv)"])
///     .arg(&data)          // the local path of the input artifact
///     .arg(top)            // the value of the input parameter
///     .arg(&count)         // the file the output parameter is read from
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Container {
    pub(crate) image: String,
    pub(crate) command: Vec<CmdArg>,
    pub(crate) args: Vec<CmdArg>,
    pub(crate) output_paths: indexmap::IndexMap<String, String>,
}

impl Container {
    /// A container running `image` with its own entrypoint.
    pub fn new(image: impl Into<String>) -> Self {
        Self {
            image: image.into(),
            command: Vec::new(),
            args: Vec::new(),
            output_paths: indexmap::IndexMap::new(),
        }
    }

    /// Collects `output` from `path`, where the image writes it (`/tmp/results.txt`), instead of
    /// argot's path: for an image that cannot be told where to write. An absolute path
    /// outside argot's folder `/tmp/argot`; a file, or a folder for an artifact (A0051).
    ///
    /// ```
    /// use argot::prelude::*;
    /// #[container_component]
    /// pub fn legacy(count: OutputParam<u64>, results: Output<Dataset>) -> Container {
    ///     Container::new("registry.example.com/legacy-tool:3")
    ///         .output_at(&results, "/tmp/results.txt")
    ///         .output_at(&count, "/tmp/count")
    /// }
    /// # fn main() {}
    /// ```
    pub fn output_at(mut self, output: impl OutputName, path: impl Into<String>) -> Self {
        self.output_paths
            .insert(output.output_name().to_owned(), path.into());
        self
    }

    /// Replaces the image's entrypoint; each item is one argv element.
    pub fn command<I, A>(mut self, command: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<CmdArg>,
    {
        self.command = command.into_iter().map(Into::into).collect();
        self
    }

    /// Appends one argv element.
    pub fn arg(mut self, arg: impl Into<CmdArg>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends several argv elements of the same type.
    pub fn args<I, A>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<CmdArg>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }
}

/// An output of a container component, as [`Container::output_at`] names it: `&Output<K>` or
/// `&OutputParam<T>`.
pub trait OutputName {
    /// The output's name on the component.
    fn output_name(&self) -> &'static str;
}

impl<K> OutputName for &Output<K> {
    fn output_name(&self) -> &'static str {
        self.name
    }
}

impl<T> OutputName for &OutputParam<T> {
    fn output_name(&self) -> &'static str {
        self.name
    }
}

impl From<&str> for CmdArg {
    fn from(s: &str) -> CmdArg {
        CmdArg(vec![Piece::Literal(s.to_owned())])
    }
}

impl From<String> for CmdArg {
    fn from(s: String) -> CmdArg {
        CmdArg(vec![Piece::Literal(s)])
    }
}

/// One argv element made of several pieces: text, input values and paths, in a tuple of up to
/// eight (`concat(("--input=", &data))`) or an array of one kind.
///
/// ```
/// use argot::prelude::*;
/// #[container_component]
/// pub fn head(data: Input<Dataset>, lines: Param<u32>) -> Container {
///     Container::new("busybox:1.36")
///         .command(["head"])
///         .arg(concat(("-n", lines)))
///         .arg(concat(["--", "verbose"]))
///         .arg(&data)
/// }
/// # fn main() {}
/// ```
pub fn concat(pieces: impl Pieces) -> CmdArg {
    CmdArg(pieces.pieces())
}

/// What [`concat`] joins: a tuple of up to eight pieces of any kinds, or an array or vector of
/// one kind; each piece is anything a container's argv element can be made of.
#[diagnostic::on_unimplemented(
    message = "`concat` cannot join a `{Self}`",
    label = "pass a tuple of pieces, such as `(\"--rows=\", rows)`",
    note = "each piece is text, a `Param<T>`, an `&Input<K>`, an `&Output<K>` or an `&OutputParam<T>`"
)]
pub trait Pieces {
    /// The pieces, in order.
    fn pieces(self) -> Vec<Piece>;
}

impl<A: Into<CmdArg>, const N: usize> Pieces for [A; N] {
    fn pieces(self) -> Vec<Piece> {
        self.into_iter().flat_map(|p| p.into().0).collect()
    }
}

impl<A: Into<CmdArg>> Pieces for Vec<A> {
    fn pieces(self) -> Vec<Piece> {
        self.into_iter().flat_map(|p| p.into().0).collect()
    }
}

macro_rules! tuple_pieces {
    ($($name:ident),+) => {
        impl<$($name: Into<CmdArg>),+> Pieces for ($($name,)+) {
            #[allow(non_snake_case)]
            fn pieces(self) -> Vec<Piece> {
                let ($($name,)+) = self;
                let mut out = Vec::new();
                $(out.extend($name.into().0);)+
                out
            }
        }
    };
}
tuple_pieces!(A);
tuple_pieces!(A, B);
tuple_pieces!(A, B, C);
tuple_pieces!(A, B, C, D);
tuple_pieces!(A, B, C, D, E);
tuple_pieces!(A, B, C, D, E, F);
tuple_pieces!(A, B, C, D, E, F, G);
tuple_pieces!(A, B, C, D, E, F, G, H);

/// Where volume `name` of the running task is mounted: its mount path in a pod, the local
/// folder `run` gives it on this machine. Components use this rather than writing the mount
/// path themselves, so the same code runs in both places.
///
/// # Errors
/// When the task has no volume called `name` (add it with `.add_pvc_volume(…)`,
/// `.add_empty_dir_volume(…)` or `.add_memory_volume(…)`).
pub fn volume_path(name: &str) -> anyhow::Result<PathBuf> {
    let var = crate::protocol::volume_env(name);
    std::env::var_os(&var).map(PathBuf::from).ok_or_else(|| {
        anyhow::anyhow!(
            "this task has no volume `{name}` ({var} is not set); add it to the task with `.add_pvc_volume(…)`, `.add_empty_dir_volume(…)` or `.add_memory_volume(…)`"
        )
    })
}
