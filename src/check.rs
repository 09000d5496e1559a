//! Stage 2, `check`: names, types and the lints that need no journey graph.
//!
//! [`check`] takes the AST of one policy file, brings in the declarations of the
//! standard modules it `use`s, and reports every problem it finds in one run, as
//! diagnostics with stable codes (`E02xx` names, `E03xx` types, `W04xx`/`E040x`
//! lints). It also hands the next stage, `compile`, the resolved [`Scope`]: every
//! declaration visible to the policy, by name, with where it came from.
//!
//! Rules of scope, decided here:
//! - Namespaces are separate: a segment and a journey may share a name.
//! - A name declared twice in the file is an error (E0207).
//! - A declaration in the file may shadow one of a `use`d module: the file's wins,
//!   as a local definition shadows an import, so a team can re-declare `csat` with
//!   its own range. Modules never see the file's declarations.
//! - `use SET` inside `expect` or `expectations` is set union: a set used twice, or a
//!   cycle of sets using each other, contributes its clauses once ([`Scope::expand`]).
//! - Segment conditions may only test customer attributes: membership is decided when
//!   a journey starts, before anything has happened on it.
//!
//! - A test's customers must be declared in it (`customer c1`), and its first event
//!   needs an absolute time (E0212): `at +2h` counts from the previous event.
//!
//! Where a problem has no code of its own, the nearest one is used, with a message
//! that says exactly what is wrong: `expect J.S for SEG` with `SEG` outside the `for`
//! of `J` is E0201; a function in a segment condition is E0208; a test attribute of
//! another type than the policy's use is E0304 (two labels); a metric value on a test
//! event outside the metric's range is E0305; a `via` expectation on channels the
//! step never uses is E0405, like thresholds that contradict.
//!
//! Every label points into the checked file: a problem found through a standard
//! module's declaration is labelled at the `use` that brought it in. Only the file's
//! own declarations are checked here; the standard modules are checked clean by the
//! test suite.

mod calls;
mod escalations;
mod expect_lints;
mod expects;
mod exprs;
mod interval;
mod journeys;
mod names;
mod scenarios;
mod scope;
mod source;
mod types;

use crate::diagnostic::{self, Diagnostic};
use crate::syntax::{
    Clause, ClauseKind, Escalation, Expect, ExpectationSet, Ident, Journey, Metric, PolicyFile,
    Segment, TestCase,
};
use std::collections::{BTreeMap, BTreeSet};

pub use types::Type;

/// Where a declaration came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// The policy file being checked.
    File,
    /// A standard module, by the name written after `use` (`std/cx`).
    Module(String),
}

/// A declaration and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared<T> {
    /// The declaration.
    pub item: T,
    /// Where it was declared.
    pub origin: Origin,
}

/// Every declaration visible to a policy: the file's own and those of the modules it
/// uses. Maps are ordered by name; `expects` and `tests` keep source order (the
/// file's after the modules').
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    /// The standard modules used, in the order of their `use`.
    pub modules: Vec<String>,
    /// Metrics by name.
    pub metrics: BTreeMap<String, Declared<Metric>>,
    /// Segments by name.
    pub segments: BTreeMap<String, Declared<Segment>>,
    /// Journeys by name.
    pub journeys: BTreeMap<String, Declared<Journey>>,
    /// Named expectation sets by name.
    pub expectation_sets: BTreeMap<String, Declared<ExpectationSet>>,
    /// Escalations by name.
    pub escalations: BTreeMap<String, Declared<Escalation>>,
    /// `expect` blocks in order.
    pub expects: Vec<Declared<Expect>>,
    /// `test` blocks in order.
    pub tests: Vec<Declared<TestCase>>,
    /// `source` declarations in order (one is allowed; more are reported).
    pub sources: Vec<Declared<crate::syntax::Source>>,
    /// What the file's declarations that did not parse declare and mention.
    pub broken: Broken,
}

/// The names recovered from the file's declarations that did not parse. Their
/// syntax error is the one diagnostic they give: a name one of them declares is
/// not reported unknown where it is used, and a segment one of them mentions is
/// not reported unused.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Broken {
    /// Names declared (`journey stay`, `step book`), of any kind.
    pub declared: BTreeSet<String>,
    /// Every name-like word in them.
    pub mentioned: BTreeSet<String>,
}

impl Broken {
    /// True when a declaration that did not parse declares `name`.
    pub fn declares(&self, name: &str) -> bool {
        self.declared.contains(name)
    }
}

/// One clause of an `expect` block after `use SET` is expanded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExpandedClause<'a> {
    /// The clause (never a `use`).
    pub clause: &'a Clause,
    /// The `use SET` written in the block that brought the clause in; `None` when the
    /// clause is written in the block itself.
    pub via: Option<&'a Ident>,
    /// The set that declares the clause, when it comes from one.
    pub set: Option<&'a Declared<ExpectationSet>>,
}

impl Scope {
    /// The clauses of a block with every `use SET` replaced by the set's clauses, in
    /// order. Each set contributes once (a set used twice, or sets that use each
    /// other, do not repeat); unknown sets contribute nothing (the checker reports them).
    pub fn expand<'a>(&'a self, clauses: &'a [Clause]) -> Vec<ExpandedClause<'a>> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for clause in clauses {
            match &clause.kind {
                ClauseKind::Use { set } => self.expand_set(set, set, &mut seen, &mut out),
                _ => out.push(ExpandedClause {
                    clause,
                    via: None,
                    set: None,
                }),
            }
        }
        out
    }

    fn expand_set<'a>(
        &'a self,
        name: &Ident,
        via: &'a Ident,
        seen: &mut BTreeSet<&'a str>,
        out: &mut Vec<ExpandedClause<'a>>,
    ) {
        let Some((key, set)) = self.expectation_sets.get_key_value(&name.name) else {
            return;
        };
        if !seen.insert(key.as_str()) {
            return;
        }
        for clause in &set.item.clauses {
            match &clause.kind {
                ClauseKind::Use { set: inner } => self.expand_set(inner, via, seen, out),
                _ => out.push(ExpandedClause {
                    clause,
                    via: Some(via),
                    set: Some(set),
                }),
            }
        }
    }
}

/// The result of checking a policy file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checked {
    /// Every problem found, sorted by position then code (see [`diagnostic::sort`]).
    pub diagnostics: Vec<Diagnostic>,
    /// Every declaration visible to the policy.
    pub scope: Scope,
    /// The type inferred for each customer attribute the policy or its tests use
    /// (`tier`, `address.country`), when one could be inferred.
    pub attribute_types: BTreeMap<String, Type>,
}

impl Checked {
    /// True when there is at least one error (warnings do not count).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Check one parsed policy file: resolve its names, infer and check types, and run
/// the lints that need no journey graph. Every problem is reported; none stops the run.
pub fn check(file: &PolicyFile) -> Checked {
    let mut diags = Vec::new();
    let scope = scope::build(file, &mut diags);
    let mut cx = Cx::new(&scope);
    journeys::check_all(&mut cx);
    expects::check_all(&mut cx);
    escalations::check_all(&mut cx);
    scenarios::check_all(&mut cx);
    source::check(&scope, &mut cx.diags);
    cx.lint_unused_segments();
    let attribute_types = cx.attrs.types();
    diags.append(&mut cx.diags);
    diags.append(&mut cx.attrs.conflicts());
    diagnostic::sort(&mut diags);
    Checked {
        diagnostics: diags,
        scope,
        attribute_types,
    }
}

/// The state shared by the checks: the scope, what they found, and what the later
/// lints need to know (which segments are used, the attribute types seen so far).
pub(crate) struct Cx<'a> {
    scope: &'a Scope,
    diags: Vec<Diagnostic>,
    used_segments: BTreeSet<String>,
    attrs: types::Attributes,
    /// Every step name of every journey, sorted, for steps named on their own.
    steps: Vec<&'a str>,
}

impl<'a> Cx<'a> {
    fn new(scope: &'a Scope) -> Self {
        Cx {
            scope,
            diags: Vec::new(),
            used_segments: BTreeSet::new(),
            attrs: types::Attributes::default(),
            steps: names::all_steps(scope),
        }
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    /// W0409: a segment of the file that no journey, `expect` or condition uses.
    fn lint_unused_segments(&mut self) {
        let scope = self.scope;
        for (name, segment) in &scope.segments {
            if segment.origin != Origin::File
                || self.used_segments.contains(name)
                || scope.broken.mentioned.contains(name)
            {
                continue;
            }
            self.report(
                Diagnostic::new(
                    diagnostic::Code::UnusedSegment,
                    format!("segment `{name}` is never used"),
                )
                .with_label(segment.item.name.span, "declared here")
                .with_help(
                    "name it in a journey's `for`, in `expect ... for`, or in `segment(...)` \
                         in an escalation; or remove it",
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn checked(text: &str) -> Checked {
        let parsed = parse(text);
        assert_eq!(parsed.diagnostics, vec![], "fixture parses");
        check(&parsed.file)
    }

    #[test]
    fn expand_includes_each_set_once_even_in_a_cycle() {
        let c = checked(
            "expectations a { attempts <= 3; use b }\n\
             expectations b { asks_once *; use a }\n\
             expect j.* { use a; use a; use nope; attempts <= 2 }\n",
        );
        let expect = &c.scope.expects[0].item;
        let expanded = c.scope.expand(&expect.clauses);
        let kinds: Vec<_> = expanded
            .iter()
            .map(|e| {
                (
                    e.set.map(|s| s.item.name.name.as_str()),
                    e.via.map(|v| v.span.start),
                )
            })
            .collect();
        let first_use = expect.clauses[0].span.start + "use ".len();
        assert_eq!(
            kinds,
            vec![
                (Some("a"), Some(first_use)),
                (Some("b"), Some(first_use)),
                (None, None)
            ]
        );
        assert!(c
            .diagnostics
            .iter()
            .any(|d| d.code == diagnostic::Code::UnknownExpectationSet));
    }

    #[test]
    fn diagnostics_come_sorted_by_position() {
        let c = checked(
            "expect nope.x { }\nsegment s { when 5 }\njourney j { for zz, s; goal a; path a; step a }\n",
        );
        let starts: Vec<_> = c
            .diagnostics
            .iter()
            .filter_map(|d| d.primary_span())
            .map(|s| s.start)
            .collect();
        let mut sorted = starts.clone();
        sorted.sort_unstable();
        assert_eq!(starts, sorted);
        assert_eq!(starts.len(), 3, "{:#?}", c.diagnostics);
        assert!(c.has_errors());
    }

    #[test]
    fn a_metric_with_a_backwards_range_is_reported() {
        let c = checked("metric effort { range 7..1; lower is better }\n");
        assert_eq!(c.diagnostics.len(), 1);
        assert_eq!(
            c.diagnostics[0].message,
            "the range of metric `effort` is empty"
        );
    }
}
