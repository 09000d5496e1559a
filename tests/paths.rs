//! Property tests of the journey graphs: random path ASTs (with `&` and bounded
//! repeats) compiled with `compile_journey`, checked against an independent
//! sampler of the language, the `regex` crate (for `&`-free paths) and a
//! brute-force matcher (for every path).
#![allow(clippy::unwrap_used, reason = "tests may panic on what they assert")]

use cxl::compile::{compile_journey, CompiledJourney, StepId, MAX_NODES};
use cxl::syntax::{Branch, Ident, Journey, JourneyItem, PathExpr, PathKind, Percent, Span, Step};
use cxl::Code;
use proptest::prelude::*;

const ALPHABET: u8 = 5;

/// A path expression over the letters `a`..`e`, as the reference sees it.
#[derive(Debug, Clone)]
enum Re {
    Step(u8),
    Seq(Vec<Re>),
    Alt(Vec<(Re, Option<u32>)>),
    Par(Vec<Re>),
    Opt(Box<Re>),
    Star(Box<Re>),
    Plus(Box<Re>),
    Rep(Box<Re>, u32, Option<u32>),
}

fn re() -> impl Strategy<Value = Re> {
    let leaf = (0..ALPHABET).prop_map(Re::Step);
    leaf.prop_recursive(4, 20, 3, |inner| {
        let boxed = inner.clone().prop_map(Box::new);
        prop_oneof![
            3 => prop::collection::vec(inner.clone(), 2..4).prop_map(Re::Seq),
            3 => prop::collection::vec((inner.clone(), prop::option::of(1u32..100)), 2..4)
                .prop_map(Re::Alt),
            3 => prop::collection::vec(inner.clone(), 2..4).prop_map(Re::Par),
            1 => boxed.clone().prop_map(Re::Opt),
            1 => boxed.clone().prop_map(Re::Star),
            1 => boxed.clone().prop_map(Re::Plus),
            2 => (boxed, 0u32..3, prop::option::of(0u32..3))
                .prop_map(|(r, min, extra)| Re::Rep(r, min, extra.map(|e| min + e))),
        ]
    })
}

fn span() -> Span {
    Span::new(0, 0)
}

fn ident(name: &str) -> Ident {
    Ident {
        name: name.to_string(),
        span: span(),
    }
}

fn letter(c: u8) -> String {
    char::from(b'a' + c).to_string()
}

fn to_path(re: &Re) -> PathExpr {
    let kind = match re {
        Re::Step(c) => PathKind::Step {
            step: ident(&letter(*c)),
        },
        Re::Seq(parts) => PathKind::Seq {
            parts: parts.iter().map(to_path).collect(),
        },
        Re::Alt(branches) => PathKind::Alt {
            branches: branches
                .iter()
                .map(|(r, w)| Branch {
                    path: to_path(r),
                    weight: w.map(|w| Percent {
                        value: f64::from(w),
                        span: span(),
                    }),
                })
                .collect(),
        },
        Re::Par(branches) => PathKind::Parallel {
            branches: branches.iter().map(to_path).collect(),
        },
        Re::Opt(r) => PathKind::Optional {
            inner: Box::new(to_path(r)),
        },
        Re::Star(r) => PathKind::Star {
            inner: Box::new(to_path(r)),
        },
        Re::Plus(r) => PathKind::Plus {
            inner: Box::new(to_path(r)),
        },
        Re::Rep(r, min, max) => PathKind::Repeat {
            inner: Box::new(to_path(r)),
            min: *min,
            max: *max,
        },
    };
    PathExpr { kind, span: span() }
}

/// Compile `re` as the path of a journey over `a`..`e`; `None` when too large.
fn compile(re: &Re) -> Option<CompiledJourney> {
    let mut items: Vec<JourneyItem> = (0..ALPHABET)
        .map(|c| {
            JourneyItem::Step(Step {
                name: ident(&letter(c)),
                label: None,
                props: vec![],
                span: span(),
            })
        })
        .collect();
    items.push(JourneyItem::Path(to_path(re)));
    let journey = Journey {
        name: ident("j"),
        label: None,
        items,
        span: span(),
    };
    match compile_journey(&journey) {
        Ok(j) => Some(j),
        Err(d) => {
            assert!(d.iter().all(|d| d.code == Code::PathTooLarge), "{d:?}");
            None
        }
    }
}

fn has_par(re: &Re) -> bool {
    match re {
        Re::Step(_) => false,
        Re::Par(_) => true,
        Re::Seq(v) => v.iter().any(has_par),
        Re::Alt(v) => v.iter().any(|(r, _)| has_par(r)),
        Re::Opt(r) | Re::Star(r) | Re::Plus(r) | Re::Rep(r, _, _) => has_par(r),
    }
}

/// A tiny deterministic generator for the sampler.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % u64::from(n.max(1))) as u32
    }
}

/// A random word of the language of `re`.
fn sample(re: &Re, rng: &mut Rng) -> Vec<u8> {
    let times = |min: u32, max: u32, r: &Re, rng: &mut Rng| -> Vec<u8> {
        let n = min + rng.below(max - min + 1);
        (0..n).flat_map(|_| sample(r, rng)).collect()
    };
    match re {
        Re::Step(c) => vec![*c],
        Re::Seq(parts) => parts.iter().flat_map(|p| sample(p, rng)).collect(),
        Re::Alt(branches) => sample(&branches[rng.below(branches.len() as u32) as usize].0, rng),
        Re::Par(branches) => branches
            .iter()
            .fold(Vec::new(), |acc, b| shuffle(acc, sample(b, rng), rng)),
        Re::Opt(r) => times(0, 1, r, rng),
        Re::Star(r) => times(0, 3, r, rng),
        Re::Plus(r) => times(1, 3, r, rng),
        Re::Rep(r, min, max) => times(*min, max.unwrap_or(min + 2), r, rng),
    }
}

/// A random interleaving of `x` and `y`.
fn shuffle(x: Vec<u8>, y: Vec<u8>, rng: &mut Rng) -> Vec<u8> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < x.len() || j < y.len() {
        let left = j == y.len() || (i < x.len() && rng.below(2) == 0);
        if left {
            out.push(x[i]);
            i += 1;
        } else {
            out.push(y[j]);
            j += 1;
        }
    }
    out
}

/// Brute force: does `re` match all of `w`?
fn matches(re: &Re, w: &[u8]) -> bool {
    match re {
        Re::Step(c) => w == [*c],
        Re::Seq(parts) => seq(parts, w),
        Re::Alt(branches) => branches.iter().any(|(r, _)| matches(r, w)),
        Re::Par(branches) => par(branches, w),
        Re::Opt(r) => w.is_empty() || matches(r, w),
        Re::Star(r) => rep(r, w, 0, None),
        Re::Plus(r) => rep(r, w, 1, None),
        Re::Rep(r, min, max) => rep(r, w, *min, *max),
    }
}

fn seq(parts: &[Re], w: &[u8]) -> bool {
    match parts.split_first() {
        None => w.is_empty(),
        Some((p, rest)) => (0..=w.len()).any(|i| matches(p, &w[..i]) && seq(rest, &w[i..])),
    }
}

/// Between `lo` and `hi` consecutive matches of `r`; empty chunks only while
/// the minimum is not yet met (they add nothing after that).
fn rep(r: &Re, w: &[u8], lo: u32, hi: Option<u32>) -> bool {
    if w.is_empty() && (lo == 0 || matches(r, &[])) {
        return true;
    }
    if hi == Some(0) {
        return false;
    }
    let from = if lo > 0 { 0 } else { 1 };
    (from..=w.len())
        .any(|i| matches(r, &w[..i]) && rep(r, &w[i..], lo.saturating_sub(1), hi.map(|h| h - 1)))
}

/// Every way to split the positions of `w` between the first branch and the rest.
fn par(branches: &[Re], w: &[u8]) -> bool {
    match branches.split_first() {
        None => w.is_empty(),
        Some((first, rest)) => (0u32..1 << w.len()).any(|mask| {
            let (mut x, mut y) = (Vec::new(), Vec::new());
            for (i, &c) in w.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    x.push(c)
                } else {
                    y.push(c)
                }
            }
            matches(first, &x) && par(rest, &y)
        }),
    }
}

/// The `regex` crate's syntax for an `&`-free `re`.
fn to_regex(re: &Re) -> String {
    match re {
        Re::Step(c) => letter(*c),
        Re::Seq(parts) => parts
            .iter()
            .map(|p| format!("(?:{})", to_regex(p)))
            .collect(),
        Re::Alt(branches) => {
            let b: Vec<String> = branches.iter().map(|(r, _)| to_regex(r)).collect();
            format!("(?:{})", b.join("|"))
        }
        Re::Par(_) => unreachable!("no regex for `&`"),
        Re::Opt(r) => format!("(?:{})?", to_regex(r)),
        Re::Star(r) => format!("(?:{})*", to_regex(r)),
        Re::Plus(r) => format!("(?:{})+", to_regex(r)),
        Re::Rep(r, min, Some(max)) => format!("(?:{}){{{min},{max}}}", to_regex(r)),
        Re::Rep(r, min, None) => format!("(?:{}){{{min},}}", to_regex(r)),
    }
}

fn steps(w: &[u8]) -> Vec<StepId> {
    w.iter().map(|&c| StepId(u32::from(c))).collect()
}

fn text(w: &[u8]) -> String {
    w.iter().map(|&c| char::from(b'a' + c)).collect()
}

/// Words to test: samples of the language, their one-letter mutations (near
/// misses), and random words, all of at most 7 letters.
fn probes(re: &Re, seed: u64, random: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed | 1);
    let mut out: Vec<Vec<u8>> = random.to_vec();
    for _ in 0..8 {
        let w = sample(re, &mut rng);
        let mut m = w.clone();
        let at = rng.below(m.len() as u32 + 1) as usize;
        match rng.below(3) {
            0 if !m.is_empty() => _ = m.remove(at.min(m.len() - 1)),
            1 => m.insert(at, rng.below(u32::from(ALPHABET)) as u8),
            _ if m.len() > 1 => {
                let i = at.min(m.len() - 2);
                m.swap(i, i + 1);
            }
            _ => {}
        }
        out.extend([w, m]);
    }
    out.retain(|w| w.len() <= 7);
    out
}

fn words() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(0..ALPHABET, 0..8), 12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Every word the sampler draws from the expression is a complete path, and
    /// every pair of its letters is ordered as `can_precede` allows.
    #[test]
    fn sampled_words_are_accepted(re in re(), seed in any::<u64>()) {
        let Some(j) = compile(&re) else { return Ok(()) };
        let g = &j.graph;
        prop_assert!(g.node_count() <= MAX_NODES);
        let mut rng = Rng(seed | 1);
        for _ in 0..16 {
            let w = sample(&re, &mut rng);
            prop_assert!(g.accepts(&steps(&w)), "{re:?} rejects its own word {}", text(&w));
            for (i, &x) in w.iter().enumerate() {
                for &y in &w[i + 1..] {
                    prop_assert!(g.can_precede(StepId(x.into()), StepId(y.into())));
                }
            }
        }
    }

    /// `accepts` agrees with the brute-force matcher on every expression, and
    /// with the `regex` crate on `&`-free ones.
    #[test]
    fn accepts_agrees_with_the_references(re in re(), seed in any::<u64>(), random in words()) {
        let Some(j) = compile(&re) else { return Ok(()) };
        let regex = (!has_par(&re))
            .then(|| regex::Regex::new(&format!("^(?:{})$", to_regex(&re))).unwrap());
        for w in probes(&re, seed, &random) {
            let got = j.graph.accepts(&steps(&w));
            prop_assert_eq!(got, matches(&re, &w), "brute force on {:?} for {}", re, text(&w));
            if let Some(regex) = &regex {
                prop_assert_eq!(got, regex.is_match(&text(&w)), "regex on {:?} for {}", re, text(&w));
            }
        }
    }

    /// The graph is a trim Glushkov automaton, and `shortest_path_to` names a
    /// detour the graph really allows.
    #[test]
    fn graph_is_trim_and_detours_are_real(re in re()) {
        let Some(j) = compile(&re) else { return Ok(()) };
        let g = &j.graph;
        for n in g.graph().node_indices() {
            prop_assert!(g.can_finish(n));
            for s in 0..u32::from(ALPHABET) {
                let next = g.advance(&[n], StepId(s));
                prop_assert!(next.iter().all(|&m| g.step(m) == Some(StepId(s))));
                prop_assert_eq!(!next.is_empty() || g.reaches(n, StepId(s)),
                    g.shortest_path_to(&[n], StepId(s)).is_some());
                if let Some(skipped) = g.shortest_path_to(&[n], StepId(s)) {
                    let mut active = vec![n];
                    for step in skipped.iter().chain([&StepId(s)]) {
                        active = g.advance(&active, *step);
                        prop_assert!(!active.is_empty());
                    }
                }
            }
        }
    }
}

#[test]
fn generator_makes_parallel_paths_often() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let with_par = (0..200)
        .filter(|_| has_par(&re().new_tree(&mut runner).unwrap().current()))
        .count();
    assert!(with_par > 60, "only {with_par} of 200 paths use `&`");
}
