//! The standard library: `.cxl` modules shipped inside the binary (`use std/cx`).

/// The source text of the standard module `name` (as written after `use`, e.g. `std/cx`).
pub fn module(name: &str) -> Option<&'static str> {
    let _ = name;
    None
}

/// The names of every standard module.
pub fn module_names() -> &'static [&'static str] {
    &[]
}
