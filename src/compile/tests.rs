//! Unit tests of the compile stage: one group per path construct, the graph
//! queries, the bounds, the lints and (as snapshots) the renderings.
#![allow(clippy::unwrap_used, reason = "tests may panic on what they assert")]

mod lint_render;
mod support;

use super::*;
use crate::diagnostic::Code;
use support::journey;

/// Compile a journey over steps `a`..`e` with `text` as its path.
fn compile(text: &str) -> CompiledJourney {
    compile_journey(&journey(&["a", "b", "c", "d", "e"], text, None)).unwrap()
}

/// Step ids of a word written as letters: "abc".
fn word(w: &str) -> Vec<StepId> {
    w.bytes().map(|b| StepId(u32::from(b - b'a'))).collect()
}

fn accepts(j: &CompiledJourney, w: &str) -> bool {
    j.graph.accepts(&word(w))
}

/// Assert which of `yes` are accepted and none of `no`.
fn check(text: &str, yes: &[&str], no: &[&str]) -> CompiledJourney {
    let j = compile(text);
    for w in yes {
        assert!(accepts(&j, w), "{text} should accept {w:?}");
    }
    for w in no {
        assert!(!accepts(&j, w), "{text} should reject {w:?}");
    }
    assert_glushkov(&j);
    j
}

/// Every edge into a node reads that node's step; the start has no step; every
/// node can finish (the graph is trim).
fn assert_glushkov(j: &CompiledJourney) {
    let g = &j.graph;
    assert_eq!(g.step(g.start()), None);
    for n in g.graph().node_indices() {
        assert!(g.can_finish(n), "node {n:?} cannot finish");
        for s in 0..5 {
            for m in g.advance(&[n], StepId(s)) {
                assert_eq!(g.step(m), Some(StepId(s)));
            }
        }
    }
}

#[test]
fn sequence_is_one_node_per_step() {
    let j = check("a -> b -> c", &["abc"], &["", "ab", "acb", "abcc"]);
    assert_eq!(j.graph.node_count(), 4);
    assert_eq!(j.graph.edge_count(), 3);
}

#[test]
fn alternative_takes_exactly_one_branch() {
    check(
        "a -> (b | c -> d) -> e",
        &["abe", "acde"],
        &["ae", "abcde", "ace"],
    );
}

#[test]
fn optional_may_be_skipped() {
    check("a -> b? -> c", &["ac", "abc"], &["abbc", "a"]);
}

#[test]
fn star_repeats_zero_or_more() {
    check(
        "a -> (b -> c)* -> d",
        &["ad", "abcd", "abcbcd"],
        &["abd", "acbd"],
    );
    check("a*", &["", "a", "aaaa"], &["b"]);
}

#[test]
fn plus_repeats_once_or_more() {
    check("a -> b+", &["ab", "abbb"], &["a", "ba"]);
}

#[test]
fn bounded_repeat_copies_the_body() {
    let j = check("a{2,3}", &["aa", "aaa"], &["", "a", "aaaa"]);
    assert_eq!(j.graph.node_count(), 4);
    check("(a -> b){2}", &["abab"], &["ab", "ababab"]);
    check("a{2,} -> b", &["aab", "aaaaaab"], &["ab", "b"]);
    check("a{0,2}", &["", "a", "aa"], &["aaa"]);
    check("a -> b{0} -> c", &["ac"], &["abc"]);
}

#[test]
fn backwards_repeat_bounds_read_as_the_minimum() {
    check("a{3,1}", &["aaa"], &["a", "aa", "aaaa"]);
}

#[test]
fn bounded_tail_stays_deterministic() {
    // After `a` only one copy is active: the tail nests, it does not fan out.
    let j = compile("a{0,5}");
    let after = j.graph.advance(&[j.graph.start()], StepId(0));
    assert_eq!(after.len(), 1);
}

#[test]
fn parallel_allows_every_interleaving() {
    check(
        "(a -> b) & c",
        &["abc", "acb", "cab"],
        &["bac", "ab", "abcc"],
    );
}

#[test]
fn nested_parallel_allows_all_orders() {
    let j = check(
        "(a & b) & c",
        &["abc", "acb", "bac", "bca", "cab", "cba"],
        &["ab", "abcc"],
    );
    check("a & b & c", &["abc", "cba"], &["aa"]);
    // Product nodes carry the step of the side that moved: `a & b` has two
    // nodes per step (the other side started or not); with `& c` each `a` node
    // pairs with c's start or `c` (4), and `c` follows any of the 5 states of `a & b`.
    assert_eq!(j.graph.nodes_of(StepId(0)).len(), 4);
    assert_eq!(j.graph.nodes_of(StepId(2)).len(), 5);
    assert_eq!(j.graph.node_count(), 14);
}

#[test]
fn parallel_inside_star_and_repeat() {
    check(
        "(a & b)*",
        &["", "ab", "ba", "abba", "baab"],
        &["a", "aab", "abb"],
    );
    check("(a & b){2}", &["abab", "abba", "baba"], &["ab", "aabb"]);
    check(
        "(a & b?) -> c | d",
        &["ac", "abc", "bac", "d"],
        &["bc", "c"],
    );
}

#[test]
fn parallel_with_optional_and_repeated_sides() {
    check(
        "a & b{0,2}",
        &["a", "ab", "ba", "bab", "bba", "abb"],
        &["", "bbba", "b"],
    );
    check(
        "(a -> b) & (c -> d)",
        &["abcd", "acbd", "cadb", "cdab"],
        &["bacd", "adcb"],
    );
}

#[test]
fn weights_stay_on_the_edges() {
    let j = compile("a -> (b 80% | c 20%) -> d");
    let a = j.graph.nodes_of(StepId(0))[0];
    let mut weights: Vec<_> = j.graph.outgoing(a).into_iter().map(|(_, w)| w).collect();
    weights.sort_by(|x, y| x.partial_cmp(y).unwrap());
    assert_eq!(weights, vec![Some(0.2), Some(0.8)]);
    let d = j.graph.nodes_of(StepId(3))[0];
    let b = j.graph.nodes_of(StepId(1))[0];
    assert_eq!(j.graph.outgoing(b), vec![(d, None)]);
}

#[test]
fn nested_weights_multiply() {
    let j = compile("(a 50% | (b 50% | c 50%) 50%)");
    let start = j.graph.start();
    let c = j.graph.nodes_of(StepId(2))[0];
    assert!(j.graph.outgoing(start).contains(&(c, Some(0.25))));
}

#[test]
fn queries_answer_over_the_graph() {
    let j = compile("a -> b -> (c | d) -> e");
    let g = &j.graph;
    let [a, b, c, d, e] = [0, 1, 2, 3, 4].map(StepId);
    assert!(g.can_precede(a, e) && g.can_precede(c, e));
    assert!(!g.can_precede(e, a) && !g.can_precede(c, d) && !g.can_precede(a, a));
    let after_a = g.advance(&[g.start()], a);
    assert_eq!(g.shortest_path_to(&after_a, e), Some(vec![b, c]));
    assert_eq!(g.shortest_path_to(&after_a, b), Some(vec![]));
    assert_eq!(g.shortest_path_to(&after_a, a), None);
    assert!(g.reaches(after_a[0], d) && !g.reaches(after_a[0], a));
    assert!(!g.is_accepting(after_a[0]) && g.is_accepting(g.nodes_of(e)[0]));
    assert!(g.advance(&after_a, c).is_empty());
}

#[test]
fn advance_into_merges_active_sets() {
    let j = compile("(a -> b | a) -> b");
    let g = &j.graph;
    let mut out = Vec::new();
    g.advance_into(&g.initial(), StepId(0), &mut out);
    assert_eq!(out.len(), 2);
    let from = out.clone();
    g.advance_into(&from, StepId(1), &mut out);
    assert_eq!(out.len(), 2, "b as the first branch's b or the final b");
    assert!(out.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn loops_reach_themselves() {
    let j = compile("a -> b* -> c");
    let b = StepId(1);
    assert!(j.graph.can_precede(b, b));
    assert!(j.graph.reaches(j.graph.nodes_of(b)[0], b));
}

#[test]
fn huge_repeat_fails_fast_with_e0701() {
    let started = std::time::Instant::now();
    let err = compile_journey(&journey(&["a", "b"], "a -> b{0,100000}", None)).unwrap_err();
    assert!(started.elapsed().as_secs() < 2);
    assert_eq!(err.len(), 1);
    assert_eq!(err[0].code, Code::PathTooLarge);
    assert_eq!(
        err[0].message,
        "path of journey `j` expands to more than 4096 graph nodes"
    );
    assert_eq!(err[0].primary_span(), Some(crate::syntax::Span::new(5, 16)));
    assert!(err[0]
        .help
        .as_deref()
        .unwrap()
        .contains("`a & b` multiplies"));
    let err = compile_journey(&journey(&["a"], "a{4095} -> a", None)).unwrap_err();
    assert_eq!(err[0].code, Code::PathTooLarge);
    assert!(compile_journey(&journey(&["a"], "a{4095}", None)).is_ok());
}

#[test]
fn huge_product_fails_with_e0701_on_the_parallel() {
    let side = "(a -> b -> c -> d -> e -> a -> b -> c)";
    let text = format!("a -> ({side} & {side} & {side} & {side})");
    let err = compile_journey(&journey(&["a", "b", "c", "d", "e"], &text, None)).unwrap_err();
    assert_eq!(err[0].code, Code::PathTooLarge);
    let span = err[0].primary_span().unwrap();
    assert_eq!(&text[span.start..span.end], &text[6..text.len() - 1]);
}

#[test]
fn nullable_repeats_stay_linear() {
    let j = compile_journey(&journey(&["a"], "(a*){4000}", None)).unwrap();
    assert_eq!(j.graph.node_count(), 4001);
    assert!(j.graph.edge_count() < 3 * 4001);
    let j = compile("(a? -> b?){2,3}");
    assert!(accepts(&j, "b") && accepts(&j, "abbab") && !accepts(&j, "bbbb"));
    assert!(accepts(&j, ""), "a nullable body makes the repeat nullable");
}

#[test]
fn dense_paths_hit_the_edge_bound() {
    // 600 optional steps in a row: each may follow every earlier one.
    let text = format!("({}a)*", "a? -> ".repeat(800));
    let err = compile_journey(&journey(&["a"], &text, None)).unwrap_err();
    assert_eq!(err[0].code, Code::PathTooLarge);
    assert!(err[0].message.contains("graph edges"), "{}", err[0].message);
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let text = format!("{}a{}", "(".repeat(400), "?)".repeat(400));
    let err = compile_journey(&journey(&["a"], &text, None)).unwrap_err();
    assert_eq!(err[0].code, Code::PathTooLarge);
    assert!(err[0].message.contains("nests more than"));
}

#[test]
fn unknown_steps_are_reported_not_panicked_on() {
    let err = compile_journey(&journey(&["a"], "a -> zz -> yy", None)).unwrap_err();
    let codes: Vec<_> = err.iter().map(|d| (d.code, d.message.as_str())).collect();
    assert_eq!(
        codes,
        vec![
            (
                Code::UnknownStep,
                "unknown step `zz` in the path of journey `j`"
            ),
            (
                Code::UnknownStep,
                "unknown step `yy` in the path of journey `j`"
            ),
        ]
    );
}

#[test]
fn empty_operator_lists_are_the_empty_word() {
    use crate::syntax::{PathExpr, PathKind, Span};
    let mut j = journey(&["a"], "a", None);
    let empty = |kind| PathExpr {
        kind,
        span: Span::new(0, 0),
    };
    for kind in [
        PathKind::Alt { branches: vec![] },
        PathKind::Seq { parts: vec![] },
        PathKind::Parallel { branches: vec![] },
    ] {
        let path = empty(kind);
        let span = path.span;
        j.items[1] = crate::syntax::JourneyItem::Path { path, span };
        let c = compile_journey(&j).unwrap();
        assert!(c.graph.accepts(&[]));
        assert_eq!(c.graph.node_count(), 1);
    }
}

#[test]
fn journey_without_path_accepts_only_the_empty_journey() {
    let mut j = journey(&["a"], "a", None);
    j.items
        .retain(|i| !matches!(i, crate::syntax::JourneyItem::Path { .. }));
    let c = compile_journey(&j).unwrap();
    assert_eq!(c.path_span, None);
    assert!(c.graph.accepts(&[]) && !c.graph.accepts(&[StepId(0)]));
}

#[test]
fn detours_name_the_skipped_steps_and_resync() {
    let j = compile("a -> (b -> c | d -> c) -> e -> c?");
    let g = &j.graph;
    let [a, b, c, d, e] = [0, 1, 2, 3, 4].map(StepId);
    let after_a = g.advance(&[g.start()], a);
    let detour = g.detour(&after_a, c).unwrap();
    assert_eq!(
        detour.skipped,
        vec![b],
        "the first of two equally short ways"
    );
    assert_eq!(detour.targets.len(), 2, "`c` after `b` and `c` after `d`");
    assert!(detour.targets.iter().all(|&t| g.step(t) == Some(c)));
    assert_eq!(g.resync(&after_a, c), detour.targets);
    // Going back: no `a` ahead, so every `a` of the path.
    let after_e = g.nodes_of(e).to_vec();
    assert_eq!(g.detour(&after_e, a), None);
    assert_eq!(g.resync(&after_e, a), g.nodes_of(a).to_vec());
    assert_eq!(g.shortest_path_to(&after_e, c), Some(vec![]));
    assert_eq!(g.shortest_path_to(&[g.start()], e), Some(vec![a, b, c]));
    assert!(g.resync(&after_e, d).iter().all(|&t| g.step(t) == Some(d)));
}
