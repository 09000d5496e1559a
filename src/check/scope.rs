//! Building the [`Scope`]: the declarations of the `use`d standard modules, then the
//! file's own, which shadow the modules' and must not repeat each other (E0207).
//! An unknown module is E0205.

use super::names::{duplicate, list, suggest};
use super::{Declared, Origin, Scope};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::syntax::{Decl, Ident, PolicyFile, Span, Use};
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

/// The scope of `file`, reporting unknown modules and duplicate names into `diags`.
pub(super) fn build(file: &PolicyFile, diags: &mut Vec<Diagnostic>) -> Scope {
    let mut scope = Scope::default();
    for decl in &file.decls {
        if let Decl::Use(u) = decl {
            use_module(&mut scope, u, diags);
        }
    }
    let mut test_names = Vec::new();
    for decl in &file.decls {
        add_decl(&mut scope, decl, Origin::File, diags);
        if let Decl::Test(t) = decl {
            test_names.push(Ident {
                name: t.name.value.clone(),
                span: t.name.span,
            });
        }
    }
    report_repeats(&test_names, "test", "", diags);
    for broken in &file.broken {
        let declared = broken.declares.iter().map(|n| n.name.clone());
        scope.broken.declared.extend(declared);
        scope
            .broken
            .mentioned
            .extend(broken.mentions.iter().cloned());
    }
    scope
}

/// Bring the declarations of one standard module into scope (E0205 when unknown).
/// A `use "file.cxl"` is not a module: the loader ([`crate::load`]) read the
/// file and its declarations are the file's own.
fn use_module(scope: &mut Scope, u: &Use, diags: &mut Vec<Diagnostic>) {
    if u.file.is_some() {
        return;
    }
    let name = u.module_name();
    if scope.modules.contains(&name) {
        return;
    }
    if let Some(text) = crate::stdlib::module(&name) {
        load(scope, &name, text);
        scope.modules.push(name);
        return;
    }
    let modules = crate::stdlib::module_names();
    let span = match (u.path.first(), u.path.last()) {
        (Some(first), Some(last)) => first.span.to(last.span),
        _ => u.span,
    };
    let help = suggest(&name, modules.iter().copied(), || {
        format!(
            "the standard modules are {}",
            list(modules.iter().copied(), 8)
        )
    });
    diags.push(
        Diagnostic::new(Code::UnknownModule, format!("unknown module `{name}`"))
            .with_label(span, "no module has this name")
            .with_help(help),
    );
    // Recover with the module the user most likely meant, so that its names do not
    // turn into a cascade of unknown-name errors.
    if let Some(hint) = did_you_mean(&name, modules.iter().copied()) {
        if let Some(meant) = modules.iter().find(|m| hint.contains(&format!("`{m}`"))) {
            if let Some(text) = crate::stdlib::module(meant) {
                load(scope, meant, text);
            }
        }
    }
}

/// Add a module's declarations. A module's own `use`s are not followed, and the
/// first module to declare a name keeps it. The standard modules are checked clean
/// by the test suite, so their syntax diagnostics are not repeated here.
fn load(scope: &mut Scope, module: &str, text: &str) {
    let parsed = crate::syntax::parse(text);
    let mut ignored = Vec::new();
    for decl in &parsed.file.decls {
        add_decl(
            scope,
            decl,
            Origin::Module(module.to_string()),
            &mut ignored,
        );
    }
}

/// Add one declaration to its namespace.
fn add_decl(scope: &mut Scope, decl: &Decl, origin: Origin, diags: &mut Vec<Diagnostic>) {
    match decl {
        Decl::Use(_) => {}
        Decl::Metric(d) => insert(
            &mut scope.metrics,
            d,
            &d.name,
            |m| m.name.span,
            "metric",
            origin,
            diags,
        ),
        Decl::Segment(d) => insert(
            &mut scope.segments,
            d,
            &d.name,
            |s| s.name.span,
            "segment",
            origin,
            diags,
        ),
        Decl::Journey(d) => insert(
            &mut scope.journeys,
            d,
            &d.name,
            |j| j.name.span,
            "journey",
            origin,
            diags,
        ),
        Decl::ExpectationSet(d) => insert(
            &mut scope.expectation_sets,
            d,
            &d.name,
            |s| s.name.span,
            "expectation set",
            origin,
            diags,
        ),
        Decl::Escalate(d) => insert(
            &mut scope.escalations,
            d,
            &d.name,
            |e| e.name.span,
            "escalation",
            origin,
            diags,
        ),
        Decl::Expect(d) => scope.expects.push(Declared {
            item: d.clone(),
            origin,
        }),
        Decl::Test(d) => scope.tests.push(Declared {
            item: d.clone(),
            origin,
        }),
        Decl::Source(d) => scope.sources.push(Declared {
            item: d.clone(),
            origin,
        }),
    }
}

/// Insert `item` under `name`. A module declaration never replaces an earlier one; a
/// file declaration replaces (shadows) a module's and is E0207 against the file's own.
fn insert<T: Clone>(
    map: &mut BTreeMap<String, Declared<T>>,
    item: &T,
    name: &Ident,
    span_of: fn(&T) -> Span,
    kind: &str,
    origin: Origin,
    diags: &mut Vec<Diagnostic>,
) {
    let declared = Declared {
        item: item.clone(),
        origin,
    };
    match map.entry(name.name.clone()) {
        Entry::Vacant(slot) => {
            slot.insert(declared);
        }
        Entry::Occupied(mut slot) => match (&slot.get().origin, &declared.origin) {
            (Origin::File, Origin::File) => {
                diags.push(duplicate(kind, name, span_of(&slot.get().item), ""));
            }
            (Origin::Module(_), Origin::File) => {
                slot.insert(declared);
            }
            _ => {}
        },
    }
}

/// The names `names` with repeats reported as E0207 (`kind` in `within`).
pub(super) fn report_repeats<'a>(
    names: impl IntoIterator<Item = &'a Ident>,
    kind: &str,
    within: &str,
    diags: &mut Vec<Diagnostic>,
) -> BTreeSet<&'a str> {
    let mut first: BTreeMap<&str, Span> = BTreeMap::new();
    for name in names {
        match first.entry(name.name.as_str()) {
            Entry::Vacant(slot) => {
                slot.insert(name.span);
            }
            Entry::Occupied(slot) => {
                diags.push(duplicate(kind, name, *slot.get(), within));
            }
        }
    }
    first.into_keys().collect()
}
