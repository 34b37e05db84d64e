//! Argo's rules on images: present, well-formed, pinned (A0009, A0012, A0018). Only a pod
//! needs an image: the local runner runs native components as processes of this binary, so
//! these are the Argo backend's checks, not `validate`'s.

use crate::diagnostics::Code;
use crate::ir::{Implementation, TaskId};
use crate::rules::Checker;
use crate::rules::syntax::ImageRef;

impl Checker<'_> {
    /// A0009, A0012, A0018: every container has an image, a reference the kubelet can pull,
    /// preferably pinned.
    pub(crate) fn images(&mut self) {
        let p = self.p;
        let native_task = p.tasks.iter().position(|t| {
            t.template_ref.is_none()
                && p.components
                    .get(&t.component)
                    .is_some_and(|c| c.implementation == Implementation::Native)
        });
        // A component every task of which runs a published template (`templateRef`) has no
        // template here, so no image either: the library's template names its own.
        let published_only = |name: &str| {
            let mut tasks = p.tasks.iter().filter(|t| t.component == name).peekable();
            tasks.peek().is_some() && tasks.all(|t| t.template_ref.is_some())
        };
        // Every other component becomes a template, used or not, so each native one needs
        // the image.
        let native_component = p
            .components
            .values()
            .find(|c| c.implementation == Implementation::Native && !published_only(&c.name));
        // (image, who uses it), each image checked once.
        let mut images: Vec<(&str, String)> = Vec::new();
        match (&p.image, native_component) {
            (None, Some(spec)) => match native_task {
                Some(i) => {
                    let task = &p.tasks[i];
                    self.report(
                        Code::NoImage,
                        Some(TaskId(i as u32)),
                        format!("task `{}` runs native component `{}`, but pipeline `{}` names no image", task.name, task.component, p.name),
                        "set #[pipeline(image = \"registry/name:tag\")] or pass `--image registry/name:tag`",
                    );
                }
                None => {
                    self.report(
                        Code::NoImage,
                        None,
                        format!("native component `{}` becomes a template, but pipeline `{}` names no image", spec.name, p.name),
                        "set #[pipeline(image = \"registry/name:tag\")] or pass `--image registry/name:tag`",
                    );
                }
            },
            (Some(image), Some(_)) if image.trim().is_empty() => {
                self.report(
                    Code::NoImage,
                    None,
                    format!("pipeline `{}` names an empty image", p.name),
                    "set a real image reference",
                );
            }
            (Some(image), Some(_)) => images.push((image, format!("pipeline `{}`", p.name))),
            (_, None) => {}
        }
        for (name, spec) in &p.components {
            let Implementation::Container(c) = &spec.implementation else {
                continue;
            };
            if published_only(name) {
                continue;
            }
            if c.image.trim().is_empty() {
                self.report(
                    Code::NoImage,
                    None,
                    format!("container component `{name}` names an empty image"),
                    "name the image in `Container::new(\"registry/name:tag\")`",
                );
            } else if !images.iter().any(|(i, _)| *i == c.image) {
                images.push((&c.image, format!("container component `{name}`")));
            }
        }
        for (image, user) in images {
            match ImageRef::parse(image) {
                Err(why) => {
                    self.report(
                        Code::InvalidImage,
                        None,
                        format!(
                            "the image {:?} of {user} is not a valid reference: {why}",
                            image
                        ),
                        "write the image as `registry/path:tag` or `registry/path@sha256:…`",
                    );
                }
                Ok(r) if r.is_mutable() => {
                    self.report(
                        Code::MutableImage,
                        None,
                        format!(
                            "image `{image}` has no fixed tag, so reruns may run different code"
                        ),
                        "pin a version tag (`name:1.2.3`) or a digest (`name@sha256:…`)",
                    );
                }
                Ok(_) => {}
            }
        }
    }
}
