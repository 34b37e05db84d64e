//! The `component` entrypoint: runs one native component with values and paths from argv.
//!
//! In the cluster Argo starts the pipeline binary as `<binary> component <name> --param-file
//! NAME PATH … --input NAME PATH … --output NAME PATH … --output-param NAME PATH …`; the local
//! runner uses the same command. Parameter values arrive in files (Argo writes each one as a
//! `raw` input artifact, see [`crate::protocol::PARAMS_DIR`]), never in argv, so the kubelet
//! cannot rewrite them and Linux's 128 KiB limit on one argument does not apply. A user at a
//! terminal may give a value directly with `--param NAME VALUE`. Either way the text is a wire
//! form ([`crate::value`]), decoded by the input's declared type.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::dsl::{Input, Output, OutputParam};
use crate::ir::ComponentSpec;
use crate::value;

/// The function generated for each native component: decode inputs, call, encode outputs.
pub type NativeFn = fn(&mut Invocation) -> Result<(), ComponentError>;

/// A native component as `#[component]` registers it when the binary starts, so that
/// `component NAME` finds it without running any pipeline function (a pipeline body may read
/// files, check the environment or panic; none of that belongs in a pod).
///
/// The macro submits one per component function through `inventory`, next to the static the
/// traced call refers to: a pipeline that calls the component links the registration in.
#[derive(Debug)]
pub struct NativeComponent {
    /// The component's name, as `component NAME` takes it.
    pub name: &'static str,
    /// The function that declares it (`module::path::function`), to name both sides of a
    /// duplicate.
    pub key: &'static str,
    /// Builds the component's spec.
    pub spec: fn() -> ComponentSpec,
    /// Runs the component.
    pub run: NativeFn,
}

inventory::collect!(NativeComponent);

/// Two or more component functions of one binary registered the same component name, so
/// `component NAME` cannot tell which one a pod means.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{} native components are named `{name}` in this binary: {}; give all but one another name with #[component(name = \"…\")]",
    functions.len(),
    functions.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
)]
pub struct DuplicateComponent {
    /// The shared name.
    pub name: &'static str,
    /// The functions that declare it, sorted.
    pub functions: Vec<&'static str>,
}

/// The native components this binary registered, by name.
#[derive(Debug)]
pub struct Registry {
    /// Every registration of each name, sorted by function; more than one is a duplicate.
    by_name: BTreeMap<&'static str, Vec<&'static NativeComponent>>,
}

impl Registry {
    /// Collects every native component this binary registered.
    pub fn load() -> Self {
        Self::from_entries(inventory::iter::<NativeComponent>)
    }

    /// Builds a registry from `entries` (what [`Registry::load`] does with the registered ones).
    pub fn from_entries(entries: impl IntoIterator<Item = &'static NativeComponent>) -> Self {
        let mut by_name: BTreeMap<&'static str, Vec<&'static NativeComponent>> = BTreeMap::new();
        for entry in entries {
            by_name.entry(entry.name).or_default().push(entry);
        }
        for entries in by_name.values_mut() {
            entries.sort_by_key(|e| e.key);
            entries.dedup_by_key(|e| e.key);
        }
        Self { by_name }
    }

    /// The native component called `name`: `Ok(None)` when none is, an error when more than
    /// one function registered it (a pod could not tell which one it means).
    pub fn get(&self, name: &str) -> Result<Option<&'static NativeComponent>, DuplicateComponent> {
        match self.by_name.get_key_value(name) {
            None => Ok(None),
            Some((_, entries)) if entries.len() == 1 => Ok(Some(entries[0])),
            Some((name, entries)) => Err(DuplicateComponent {
                name,
                functions: entries.iter().map(|e| e.key).collect(),
            }),
        }
    }

    /// Every registered name, sorted, once each.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.by_name.keys().copied()
    }

    /// The registered name closest to `name`, if one is close enough to be a likely typo.
    pub fn suggest(&self, name: &str) -> Option<&'static str> {
        self.names()
            .map(|known| (strsim::jaro_winkler(name, known), known))
            .filter(|(score, _)| *score >= 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, known)| known)
    }
}

/// Why a component run failed.
#[derive(Debug, thiserror::Error)]
pub enum ComponentError {
    /// The command line does not fit the component (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// The component's own function returned an error or panicked (exit code 4).
    #[error("component `{component}` failed: {message}")]
    Failed {
        /// The component's name.
        component: String,
        /// What went wrong.
        message: String,
    },
    /// Reading inputs or writing outputs failed (exit code 1).
    #[error("component `{component}`: {message}")]
    Io {
        /// The component's name.
        component: String,
        /// What went wrong.
        message: String,
    },
}

/// The values and paths one component run receives.
#[derive(Debug, Default)]
pub struct Invocation {
    spec: Option<ComponentSpec>,
    /// The wire-form text of each input parameter (`--param NAME VALUE`, or the content of
    /// `--param-file NAME PATH`).
    pub params: BTreeMap<String, String>,
    /// `--input NAME PATH`.
    pub inputs: BTreeMap<String, PathBuf>,
    /// `--output NAME PATH`.
    pub outputs: BTreeMap<String, PathBuf>,
    /// `--output-param NAME PATH`.
    pub output_params: BTreeMap<String, PathBuf>,
    /// The private folder of output parameters given no path (created on first use, removed
    /// when the invocation is dropped, after the CLI printed them).
    scratch: Option<tempfile::TempDir>,
}

impl Invocation {
    /// An invocation of `spec` with nothing bound yet.
    pub fn new(spec: ComponentSpec) -> Self {
        Self {
            spec: Some(spec),
            ..Self::default()
        }
    }

    fn spec(&self) -> &ComponentSpec {
        self.spec
            .as_ref()
            .expect("an Invocation is always made with its spec")
    }

    fn component(&self) -> String {
        self.spec().name.clone()
    }

    fn usage(&self, message: String) -> ComponentError {
        ComponentError::Usage(message)
    }

    /// Decodes input parameter `name` (its default if it was not given).
    pub fn param<T: DeserializeOwned + 'static>(&self, name: &str) -> Result<T, ComponentError> {
        let default = self.spec().input(name).and_then(|i| i.default.clone());
        let text = match self.params.get(name).cloned().or(default) {
            Some(text) => text,
            None => {
                return Err(self.usage(format!(
                    "component `{}` needs input `{name}`: add `--param {name} VALUE`",
                    self.component()
                )));
            }
        };
        value::decode(&text).map_err(|e| {
            self.usage(format!(
                "input `{name}` of component `{}`: {e}",
                self.component()
            ))
        })
    }

    /// Opens optional input artifact `name`: `None` when the task left it unbound (no
    /// `--input`, or, on Argo, `optional: true` and no file at its path).
    pub fn optional_input<K>(
        &self,
        name: &'static str,
    ) -> Result<Option<Input<K>>, ComponentError> {
        match self.inputs.get(name) {
            Some(path) if path.exists() => Ok(Some(Input::at(name, path.clone()))),
            _ => Ok(None),
        }
    }

    /// Opens input artifact `name`.
    pub fn input<K>(&self, name: &'static str) -> Result<Input<K>, ComponentError> {
        let Some(path) = self.inputs.get(name) else {
            return Err(self.usage(format!(
                "component `{}` needs input artifact `{name}`: add `--input {name} PATH`",
                self.component()
            )));
        };
        let collection = self
            .spec()
            .input(name)
            .is_some_and(|i| i.kind.collection_of().is_some());
        // A loop without iterations saved nothing under the collection's key prefix, and Argo
        // skips the optional argument it was passed as: no folder, and no entry listed.
        if !path.exists() && !collection {
            return Err(self.usage(format!(
                "input artifact `{name}` of component `{}`: `{}` does not exist",
                self.component(),
                path.display()
            )));
        }
        if !collection {
            return Ok(Input::at(name, path.clone()));
        }
        let entries = self.collection_entries(name, path)?;
        let mut input = Input::at(name, path.clone());
        input.set_entries(entries);
        Ok(input)
    }

    /// The entries of collection input `name` (the folder `folder`): the names its
    /// parameter of the same name lists (`--param-file NAME PATH`), in that order, each a
    /// file or folder directly in `folder`. Only the listed ones: on Argo the folder is the
    /// whole key prefix, which also holds what failed attempts of retried iterations saved.
    fn collection_entries(
        &self,
        name: &str,
        folder: &std::path::Path,
    ) -> Result<Vec<PathBuf>, ComponentError> {
        let Some(text) = self.params.get(name) else {
            return Err(self.usage(format!(
                "component `{}` needs the entries of collection `{name}` in item order: add `--param-file {name} PATH` (a JSON list of names in `{}`)",
                self.component(),
                folder.display()
            )));
        };
        let names: Vec<String> = value::decode(text).map_err(|e| {
            self.usage(format!(
                "the entries of collection `{name}` of component `{}` are not a list of names: {e}",
                self.component()
            ))
        })?;
        let mut entries = Vec::with_capacity(names.len());
        for entry in names {
            let plain = !entry.is_empty()
                && entry != "."
                && entry != ".."
                && !entry.contains(['/', '\\', '\0']);
            let path = folder.join(&entry);
            if !plain || !path.exists() {
                return Err(self.usage(format!(
                    "collection `{name}` of component `{}` lists entry `{entry}`, which is not {} `{}`",
                    self.component(),
                    if plain { "in" } else { "a name in" },
                    folder.display()
                )));
            }
            entries.push(path);
        }
        Ok(entries)
    }

    /// Prepares output artifact `name` (its parent folder exists afterwards).
    pub fn output<K>(&self, name: &'static str) -> Result<Output<K>, ComponentError> {
        let Some(path) = self.outputs.get(name) else {
            return Err(self.usage(format!(
                "component `{}` writes output artifact `{name}`: add `--output {name} PATH`",
                self.component()
            )));
        };
        self.make_parent(path)?;
        Ok(Output::at(name, path.clone()))
    }

    /// Prepares named output parameter `name`.
    pub fn output_param<T>(
        &mut self,
        name: &'static str,
    ) -> Result<OutputParam<T>, ComponentError> {
        let path = self.output_param_path(name)?;
        Ok(OutputParam::at(name, path))
    }

    /// Writes the value of output parameter `name`.
    pub fn set_output<T: Serialize + 'static>(
        &mut self,
        name: &str,
        value: &T,
    ) -> Result<(), ComponentError> {
        let text = value::encode(value)
            .map_err(|e| self.io(format!("cannot encode output `{name}`: {e}")))?;
        let path = self.output_param_path(name)?;
        std::fs::write(&path, text).map_err(|e| {
            self.io(format!(
                "cannot write output `{name}` to `{}`: {e}",
                path.display()
            ))
        })
    }

    /// Turns the component function's error into a failure.
    pub fn failed(&self, error: impl std::fmt::Display) -> ComponentError {
        ComponentError::Failed {
            component: self.component(),
            message: format!("{error:#}"),
        }
    }

    fn io(&self, message: String) -> ComponentError {
        ComponentError::Io {
            component: self.component(),
            message,
        }
    }

    fn make_parent(&self, path: &std::path::Path) -> Result<(), ComponentError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| self.io(format!("cannot create `{}`: {e}", dir.display())))?;
        }
        Ok(())
    }

    fn output_param_path(&mut self, name: &str) -> Result<PathBuf, ComponentError> {
        let path = match self.output_params.get(name) {
            Some(p) => p.clone(),
            None => {
                // Run by hand without a path: collect into a scratch file; the CLI prints it.
                // The folder is freshly created with a random name and mode 0700, never a
                // predictable path in the shared temporary folder, where anyone could plant a
                // symbolic link to have the value written elsewhere.
                let dir = match &self.scratch {
                    Some(dir) => dir.path().to_owned(),
                    None => {
                        let prefix = format!("argot-{}-", self.component());
                        let mut builder = tempfile::Builder::new();
                        builder.prefix(&prefix);
                        #[cfg(unix)]
                        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
                        let dir = builder.tempdir().map_err(|e| {
                            self.io(format!("cannot create a private temporary folder: {e}; set TMPDIR to a writable folder, or give the output a path with --output-param NAME PATH"))
                        })?;
                        let path = dir.path().to_owned();
                        self.scratch = Some(dir);
                        path
                    }
                };
                let p = dir.join(name);
                self.output_params.insert(name.to_owned(), p.clone());
                p
            }
        };
        self.make_parent(&path)?;
        Ok(path)
    }

    /// Checks that every output the component declares was written.
    pub fn check_outputs(&self) -> Result<(), ComponentError> {
        for output in &self.spec().outputs {
            let path = if output.kind.is_artifact() {
                self.outputs.get(&output.name)
            } else {
                self.output_params.get(&output.name)
            };
            match path {
                Some(p) if p.exists() => {}
                Some(p) => {
                    return Err(self.io(format!(
                        "output `{}` was not written at `{}`; write it before returning (for an artifact, create the file or folder at `{}.path()`)",
                        output.name,
                        p.display(),
                        output.name
                    )));
                }
                None => {
                    return Err(self.io(format!(
                        "output parameter `{}` was never set; call `{}.set(&value)` before returning",
                        output.name, output.name
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_spec() -> ComponentSpec {
        unreachable!("the registry never builds a spec to look a name up")
    }

    fn no_run(_: &mut Invocation) -> Result<(), ComponentError> {
        Ok(())
    }

    static TRAIN: NativeComponent = NativeComponent {
        name: "train",
        key: "crate_a::train",
        spec: no_spec,
        run: no_run,
    };
    static TRAIN_AGAIN: NativeComponent = NativeComponent {
        name: "train",
        key: "crate_b::fit",
        spec: no_spec,
        run: no_run,
    };
    static PREPARE: NativeComponent = NativeComponent {
        name: "prepare",
        key: "crate_a::prepare",
        spec: no_spec,
        run: no_run,
    };

    #[test]
    fn a_shared_name_is_refused_naming_every_function_in_order() {
        // Registration order is link order; the error must not depend on it.
        for order in [
            [&TRAIN_AGAIN, &PREPARE, &TRAIN],
            [&TRAIN, &PREPARE, &TRAIN_AGAIN],
        ] {
            let registry = Registry::from_entries(order);
            let duplicate = registry.get("train").unwrap_err();
            assert_eq!(duplicate.functions, ["crate_a::train", "crate_b::fit"]);
            assert!(
                duplicate.to_string().starts_with(
                    "2 native components are named `train` in this binary: `crate_a::train`, `crate_b::fit`;"
                ),
                "{duplicate}"
            );
            assert_eq!(
                registry.get("prepare").unwrap().unwrap().key,
                "crate_a::prepare"
            );
            assert!(registry.get("evaluate").unwrap().is_none());
            assert_eq!(registry.names().collect::<Vec<_>>(), ["prepare", "train"]);
        }
    }

    #[test]
    fn the_same_registration_seen_twice_is_not_a_duplicate() {
        let registry = Registry::from_entries([&TRAIN, &TRAIN]);
        assert_eq!(
            registry.get("train").unwrap().unwrap().key,
            "crate_a::train"
        );
    }

    #[test]
    fn suggestions_are_close_names_only() {
        let registry = Registry::from_entries([&TRAIN, &PREPARE]);
        assert_eq!(registry.suggest("trian"), Some("train"));
        assert_eq!(registry.suggest("prepar"), Some("prepare"));
        assert_eq!(registry.suggest("evaluate"), None);
    }
}
