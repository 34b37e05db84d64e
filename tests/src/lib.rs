//! Workspace-level tests of argot live in `tests/`.
