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
    let path = to_path(re);
    items.push(JourneyItem::Path {
        span: path.span,
        path,
    });
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

    /// `accepts` agrees with the brute-force matcher on every expression, with
    /// the `regex` crate on `&`-free ones.
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
                if let Some(detour) = g.detour(&[n], StepId(s)) {
                    let mut active = vec![n];
                    for step in detour.skipped.iter().chain([&StepId(s)]) {
                        active = g.advance(&active, *step);
                        prop_assert!(!active.is_empty());
                    }
                    prop_assert!(active.iter().all(|t| detour.targets.contains(t)));
                    prop_assert_eq!(g.resync(&[n], StepId(s)), detour.targets);
                }
            }
        }
    }
}

/// Any AST at all, including ones the parser never makes: empty operator lists,
/// backwards and huge repetition bounds, unknown steps.
fn wild() -> impl Strategy<Value = PathExpr> {
    let bound = prop_oneof![0u32..3, Just(1000u32), Just(100_000), Just(u32::MAX)];
    let leaf = prop_oneof![(0..ALPHABET).prop_map(letter), Just("nope".to_string())]
        .prop_map(|name| PathKind::Step { step: ident(&name) });
    let node = |kind| PathExpr { kind, span: span() };
    leaf.prop_map(node).prop_recursive(4, 24, 3, move |inner| {
        let boxed = inner.clone().prop_map(Box::new);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|parts| PathKind::Seq { parts }),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|b| PathKind::Alt {
                branches: b
                    .into_iter()
                    .map(|path| Branch { path, weight: None })
                    .collect(),
            }),
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|branches| PathKind::Parallel { branches }),
            boxed.clone().prop_map(|inner| PathKind::Star { inner }),
            boxed.clone().prop_map(|inner| PathKind::Optional { inner }),
            (boxed, bound.clone(), prop::option::of(bound.clone()))
                .prop_map(|(inner, min, max)| PathKind::Repeat { inner, min, max }),
        ]
        .prop_map(node)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Compilation never panics: it builds a graph within the bounds, or reports
    /// unknown steps (E0203) or a path too large (E0701).
    #[test]
    fn any_ast_compiles_or_is_refused(path in wild()) {
        let mut items: Vec<JourneyItem> = (0..ALPHABET)
            .map(|c| JourneyItem::Step(Step { name: ident(&letter(c)), label: None, props: vec![], span: span() }))
            .collect();
        items.push(JourneyItem::Path { span: path.span, path });
        let journey = Journey { name: ident("j"), label: None, items, span: span() };
        match compile_journey(&journey) {
            Ok(j) => prop_assert!(j.graph.node_count() <= MAX_NODES),
            Err(d) => prop_assert!(d.iter().all(|d| matches!(d.code, Code::UnknownStep | Code::PathTooLarge))),
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

/// Parse `text` and compile, lint and render its journeys through the real parser.
fn journeys_of(text: &str) -> Vec<(Journey, Result<CompiledJourney, Vec<cxl::Diagnostic>>)> {
    let parsed = cxl::syntax::parse(text);
    assert_eq!(parsed.diagnostics, vec![]);
    parsed
        .file
        .decls
        .iter()
        .filter_map(|d| match d {
            cxl::syntax::Decl::Journey(j) => Some((j.clone(), compile_journey(j))),
            _ => None,
        })
        .collect()
}

#[test]
fn the_design_sketch_compiles_and_lints_clean() {
    let text = include_str!("fixtures/valid/design_sketch.cxl");
    let parsed = cxl::syntax::parse(text);
    let [(journey, Ok(claim))] = &journeys_of(text)[..] else {
        panic!("one journey")
    };
    assert_eq!(cxl::compile::lint_journey(journey, claim), vec![]);
    for decl in &parsed.file.decls {
        if let cxl::syntax::Decl::Expect(e) = decl {
            assert_eq!(cxl::compile::lint_expect(e, claim), vec![]);
        }
    }
    let id = |n: &str| claim.step_id(n).unwrap();
    let word = [
        "report_claim",
        "acknowledge",
        "request_docs",
        "appraise",
        "decide",
        "deny",
        "settled",
    ];
    assert!(claim.graph.accepts(&word.map(id)));
    assert_eq!(claim.graph.node_count(), 15);
    assert_eq!(claim.abandon_after, Some(30 * 86_400));
    assert_eq!(claim.steps[0].match_names, vec!["Claim reported"]);
    assert!(claim.steps[2].backstage);
}

#[test]
fn parsed_paths_keep_weights_and_report_lints() {
    let text = "journey j {\n  goal done\n  step a step b step c step done\n  \
                path a -> (b 80% | c 20%) -> done\n}\n\
                journey k {\n  goal done\n  step a step deny step done\n  \
                path a -> (deny | done)\n}\n\
                journey big {\n  step a step b\n  path a -> (a -> b -> a -> b -> a){1,1000}\n}\n\
                expect k.a { within 1h after done }\n";
    let js = journeys_of(text);
    let (_, Ok(j)) = &js[0] else {
        panic!("j compiles")
    };
    let a = j.graph.nodes_of(j.step_id("a").unwrap())[0];
    let weights: Vec<_> = j.graph.outgoing(a).into_iter().map(|(_, w)| w).collect();
    assert_eq!(weights, vec![Some(0.8), Some(0.2)]);
    let (k_decl, Ok(k)) = &js[1] else {
        panic!("k compiles")
    };
    let lints = cxl::compile::lint_journey(k_decl, k);
    assert_eq!(lints.len(), 1);
    assert_eq!(&text[lints[0].primary_span().unwrap().start..][..4], "deny");
    let expect = cxl::syntax::parse(text)
        .file
        .decls
        .into_iter()
        .find_map(|d| match d {
            cxl::syntax::Decl::Expect(e) => Some(e),
            _ => None,
        });
    let lints = cxl::compile::lint_expect(&expect.unwrap(), k);
    assert_eq!(lints[0].code, Code::AnchorNeverPrecedes);
    let (_, Err(big)) = &js[2] else {
        panic!("big is too large")
    };
    assert_eq!(big[0].code, Code::PathTooLarge);
    let span = big[0].primary_span().unwrap();
    assert_eq!(
        &text[span.start..span.end],
        "(a -> b -> a -> b -> a){1,1000}"
    );
}

#[test]
fn anchors_in_used_sets_are_linted_where_they_are_written() {
    let text = "journey k {\n  step a step b\n  path a -> b\n}\n\
                expectations quick { within 1h after b }\n\
                expect k.a { use quick }\n";
    let parsed = cxl::syntax::parse(text);
    assert_eq!(parsed.diagnostics, vec![]);
    let checked = cxl::check::check(&parsed.file);
    let expect = &checked.scope.expects[0].item;
    let journey = &checked.scope.journeys["k"].item;
    let k = compile_journey(journey).unwrap();
    assert_eq!(
        cxl::compile::lint_expect(expect, &k),
        vec![],
        "`use` is not expanded"
    );
    let clauses = checked.scope.expand(&expect.clauses);
    let d = cxl::compile::lint_expect_expanded(expect, &clauses, &k);
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].message,
        "`b` never comes before `a` on any path of journey `k`"
    );
    let at = |i: usize| &text[d[0].labels[i].span.start..d[0].labels[i].span.end];
    assert_eq!((at(0), at(1), at(2)), ("b", "quick", "a"));
}

/// What the user sees for each graph diagnostic, rendered as `cxl check` shows it.
#[test]
fn graph_diagnostics_as_the_user_sees_them() {
    let cases = [
        (
            "E0402",
            "journey claim {\n  goal settled\n  step report step decide step settled\n  \
             path report -> decide\n}\n",
        ),
        (
            "W0403",
            "journey claim {\n  goal settled\n  step report step deny step settled\n  \
             path report -> (settled | deny)\n}\n",
        ),
        (
            "E0404",
            "journey claim {\n  goal settled\n  step report step ack step settled\n  \
             path report -> ack -> settled\n}\n\
             expect claim.ack { within 1h after settled }\n\
             expect claim.* { warn after 2h after ack }\n",
        ),
        (
            "E0701",
            "journey claim {\n  goal settled\n  step a step b step c step settled\n  \
             path (a -> b -> c -> a -> b){2,5} & (b -> c -> a -> b -> c){0,4} & c{30} -> settled\n}\n",
        ),
    ];
    for (code, text) in cases {
        let diags = cxl::compile::diagnostics(text);
        assert!(
            diags.iter().any(|d| d.code.as_str() == code),
            "{code}: {diags:?}"
        );
        let shown = cxl::diagnostic::render_human(&diags, "policy.cxl", text, false);
        insta::assert_snapshot!(code, shown);
    }
}
