//! From a [`PathExpr`] to a Glushkov [`Fragment`]: walks the AST, resolves step
//! names, applies the combinators of [`super::automaton`], and turns a refused
//! construction into an E0701 diagnostic on the sub-expression that blew up.

use super::automaton::{self, Fragment, Limits, TooLarge};
use super::product;
use super::{StepId, MAX_DEPTH, MAX_EDGES, MAX_NODES};
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::{Ident, PathExpr, PathKind};

/// Builds the fragment of one journey's path.
pub(crate) struct PathBuilder<'a, R> {
    journey: &'a str,
    resolve: R,
    limits: Limits,
    unknown: Vec<Diagnostic>,
}

impl<'a, R: Fn(&Ident) -> Option<StepId>> PathBuilder<'a, R> {
    /// A builder for the path of journey `journey`, with `resolve` naming steps.
    pub fn new(journey: &'a str, resolve: R) -> Self {
        PathBuilder {
            journey,
            resolve,
            limits: Limits {
                // The graph adds one start node to the fragment's positions.
                positions: MAX_NODES - 1,
                edges: MAX_EDGES,
            },
            unknown: Vec::new(),
        }
    }

    /// The fragment of `path`, or every unknown step name, or the size error.
    pub fn build(mut self, path: &PathExpr) -> Result<Fragment, Vec<Diagnostic>> {
        let fragment = self.expr(path, 0).map_err(|d| vec![d])?;
        if self.unknown.is_empty() {
            Ok(fragment)
        } else {
            Err(self.unknown)
        }
    }

    fn expr(&mut self, e: &PathExpr, depth: usize) -> Result<Fragment, Diagnostic> {
        if depth > MAX_DEPTH {
            return Err(self.too_deep(e));
        }
        let d = depth + 1;
        let limits = self.limits;
        let built = match &e.kind {
            PathKind::Step { step } => Ok(self.step(step)),
            PathKind::Seq { parts } => {
                let mut out = Fragment::empty();
                for part in parts {
                    let next = self.expr(part, d)?;
                    out = automaton::seq(out, &next, &limits).map_err(|t| self.too_large(e, t))?;
                }
                Ok(out)
            }
            PathKind::Alt { branches } => {
                let mut parts = Vec::with_capacity(branches.len());
                for b in branches {
                    let weight = b.weight.map(|p| p.value / 100.0);
                    parts.push((self.expr(&b.path, d)?, weight));
                }
                automaton::alt(parts, &limits)
            }
            PathKind::Parallel { branches } => {
                let mut out = Fragment::empty();
                for b in branches {
                    let next = self.expr(b, d)?;
                    out = product::interleave(&out, &next, &limits)
                        .map_err(|t| self.too_large(e, t))?;
                }
                Ok(out)
            }
            PathKind::Optional { inner } => Ok(automaton::optional(self.expr(inner, d)?)),
            PathKind::Star { inner } => automaton::star(self.expr(inner, d)?, &limits),
            PathKind::Plus { inner } => automaton::plus(self.expr(inner, d)?, &limits),
            PathKind::Repeat { inner, min, max } => {
                automaton::repeat(&self.expr(inner, d)?, *min, *max, &limits)
            }
        };
        built.map_err(|t| self.too_large(e, t))
    }

    fn step(&mut self, step: &Ident) -> Fragment {
        match (self.resolve)(step) {
            Some(id) => Fragment::step(id, step.span),
            None => {
                // The checker reports unknown steps (E0203) with "did you mean";
                // this one only keeps compile from building a wrong graph.
                self.unknown.push(
                    Diagnostic::new(
                        Code::UnknownStep,
                        format!(
                            "unknown step `{}` in the path of journey `{}`",
                            step.name, self.journey
                        ),
                    )
                    .with_label(step.span, "not a step of this journey")
                    .with_help("declare the step in the journey, or fix its name in the path"),
                );
                Fragment::empty()
            }
        }
    }

    fn too_large(&self, e: &PathExpr, why: TooLarge) -> Diagnostic {
        let (what, limit) = match why {
            TooLarge::Nodes => ("nodes", MAX_NODES),
            TooLarge::Edges => ("edges", MAX_EDGES),
        };
        Diagnostic::new(
            Code::PathTooLarge,
            format!(
                "path of journey `{}` expands to more than {limit} graph {what}",
                self.journey
            ),
        )
        .with_label(e.span, "this part expands too far")
        .with_help(
            "the journey graph has one node per step occurrence: `a & b` multiplies the sizes \
             of its branches (every interleaving is a node), and `a{m,n}` makes `n` copies of `a`; \
             shrink the repetition bounds, or split parallel branches into fewer steps",
        )
    }

    fn too_deep(&self, e: &PathExpr) -> Diagnostic {
        Diagnostic::new(
            Code::PathTooLarge,
            format!(
                "path of journey `{}` nests more than {MAX_DEPTH} levels deep",
                self.journey
            ),
        )
        .with_label(e.span, "nested too deep")
        .with_help("flatten the parentheses of the path")
    }
}
