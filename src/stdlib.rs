//! The standard library: `.cxl` modules shipped inside the binary, which a policy
//! brings into scope with `use std/cx`. The modules are written in cxl itself
//! (`stdlib/*.cxl`, embedded with `include_str!`, as jaq embeds its `defs.jq`), and
//! the `check` stage parses them when a policy uses them. The test suite checks
//! that every module parses and checks clean.

/// Every standard module: its name as written after `use`, and its source text.
const MODULES: &[(&str, &str)] = &[("std/cx", include_str!("../stdlib/cx.cxl"))];

/// The names of every standard module, sorted.
const NAMES: &[&str] = &["std/cx"];

/// The source text of the standard module `name` (as written after `use`, e.g. `std/cx`).
pub fn module(name: &str) -> Option<&'static str> {
    MODULES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// The names of every standard module, sorted.
pub fn module_names() -> &'static [&'static str] {
    NAMES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_has_a_module_and_every_module_a_name() {
        assert_eq!(NAMES.len(), MODULES.len());
        for name in module_names() {
            assert!(module(name).is_some_and(|text| !text.is_empty()), "{name}");
        }
        assert!(module("std/nope").is_none());
        let mut sorted = NAMES.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, NAMES);
    }
}
