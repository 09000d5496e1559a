//! Optimal alignments (`compile::align`, `eval::align`) against a reference
//! written here: the least number of insertions and deletions that turn a
//! trace into a word of the path's language, found by listing the language's
//! words from the path expression itself (not from the compiled graph) up to
//! the longest length an optimal word can have.

use cxl::compile::{JourneyGraph, Move, StepId};
use cxl::eval::{Alignments, EvalOptions, Evaluator, MoveKind, Retention};
use cxl::events::Event;
use cxl::Policy;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// A path expression over the steps `a`, `b`, `c`.
#[derive(Debug, Clone)]
enum Expr {
    Step(u8),
    Seq(Box<Expr>, Box<Expr>),
    Alt(Box<Expr>, Box<Expr>),
    Both(Box<Expr>, Box<Expr>),
    Opt(Box<Expr>),
    Star(Box<Expr>),
    Plus(Box<Expr>),
    Rep(Box<Expr>, u32, u32),
}

const NAMES: [&str; 3] = ["a", "b", "c"];

impl Expr {
    fn text(&self) -> String {
        match self {
            Expr::Step(s) => NAMES[*s as usize].to_string(),
            Expr::Seq(x, y) => format!("({} -> {})", x.text(), y.text()),
            Expr::Alt(x, y) => format!("({} | {})", x.text(), y.text()),
            Expr::Both(x, y) => format!("({} & {})", x.text(), y.text()),
            Expr::Opt(x) => format!("({})?", x.text()),
            Expr::Star(x) => format!("({})*", x.text()),
            Expr::Plus(x) => format!("({})+", x.text()),
            Expr::Rep(x, m, n) => format!("({}){{{m},{n}}}", x.text()),
        }
    }

    /// The length of its shortest word.
    fn shortest(&self) -> usize {
        match self {
            Expr::Step(_) => 1,
            Expr::Seq(x, y) | Expr::Both(x, y) => x.shortest() + y.shortest(),
            Expr::Alt(x, y) => x.shortest().min(y.shortest()),
            Expr::Opt(_) | Expr::Star(_) => 0,
            Expr::Plus(x) => x.shortest(),
            Expr::Rep(x, m, _) => x.shortest() * *m as usize,
        }
    }

    /// Its words of at most `max` steps.
    fn words(&self, max: usize) -> BTreeSet<Vec<u8>> {
        match self {
            Expr::Step(s) => [vec![*s]].into_iter().filter(|w| w.len() <= max).collect(),
            Expr::Seq(x, y) => concat(&x.words(max), &y.words(max), max),
            Expr::Alt(x, y) => x.words(max).union(&y.words(max)).cloned().collect(),
            Expr::Both(x, y) => {
                let mut out = BTreeSet::new();
                for u in &x.words(max) {
                    for v in &y.words(max) {
                        if u.len() + v.len() <= max {
                            shuffles(u, v, &mut Vec::new(), &mut out);
                        }
                    }
                }
                out
            }
            Expr::Opt(x) => {
                let mut out = x.words(max);
                out.insert(Vec::new());
                out
            }
            Expr::Star(x) => star(&x.words(max), max),
            Expr::Plus(x) => {
                let inner = x.words(max);
                concat(&inner, &star(&inner, max), max)
            }
            Expr::Rep(x, m, n) => {
                let inner = x.words(max);
                let mut power: BTreeSet<Vec<u8>> = [Vec::new()].into_iter().collect();
                for _ in 0..*m {
                    power = concat(&power, &inner, max);
                }
                let mut out = power.clone();
                for _ in *m..*n {
                    power = concat(&power, &inner, max);
                    out.extend(power.iter().cloned());
                }
                out
            }
        }
    }
}

fn concat(x: &BTreeSet<Vec<u8>>, y: &BTreeSet<Vec<u8>>, max: usize) -> BTreeSet<Vec<u8>> {
    let mut out = BTreeSet::new();
    for u in x {
        for v in y {
            if u.len() + v.len() <= max {
                out.insert([u.as_slice(), v.as_slice()].concat());
            }
        }
    }
    out
}

fn star(x: &BTreeSet<Vec<u8>>, max: usize) -> BTreeSet<Vec<u8>> {
    let mut out: BTreeSet<Vec<u8>> = [Vec::new()].into_iter().collect();
    loop {
        let next: BTreeSet<Vec<u8>> = concat(&out, x, max).union(&out).cloned().collect();
        if next.len() == out.len() {
            return out;
        }
        out = next;
    }
}

fn shuffles(u: &[u8], v: &[u8], prefix: &mut Vec<u8>, out: &mut BTreeSet<Vec<u8>>) {
    match (u.split_first(), v.split_first()) {
        (None, None) => {
            out.insert(prefix.clone());
        }
        (a, b) => {
            if let Some((&x, rest)) = a {
                prefix.push(x);
                shuffles(rest, v, prefix, out);
                prefix.pop();
            }
            if let Some((&y, rest)) = b {
                prefix.push(y);
                shuffles(u, rest, prefix, out);
                prefix.pop();
            }
        }
    }
}

/// Insertions and deletions only: |w| + |t| − 2 × their longest common subsequence.
fn indel(w: &[u8], t: &[u8]) -> usize {
    let mut lcs = vec![vec![0usize; t.len() + 1]; w.len() + 1];
    for i in 1..=w.len() {
        for j in 1..=t.len() {
            lcs[i][j] = if w[i - 1] == t[j - 1] {
                lcs[i - 1][j - 1] + 1
            } else {
                lcs[i - 1][j].max(lcs[i][j - 1])
            };
        }
    }
    w.len() + t.len() - 2 * lcs[w.len()][t.len()]
}

/// The reference: an optimal word is at most |t| + cost ≤ 2|t| + shortest long.
fn reference_cost(expr: &Expr, trace: &[u8]) -> usize {
    let max = 2 * trace.len() + expr.shortest();
    expr.words(max)
        .iter()
        .map(|w| indel(w, trace))
        .min()
        .unwrap_or(usize::MAX)
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = (0u8..3).prop_map(Expr::Step);
    leaf.prop_recursive(3, 10, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(x, y)| Expr::Seq(Box::new(x), Box::new(y))),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| Expr::Alt(Box::new(x), Box::new(y))),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| Expr::Both(Box::new(x), Box::new(y))),
            inner.clone().prop_map(|x| Expr::Opt(Box::new(x))),
            inner.clone().prop_map(|x| Expr::Star(Box::new(x))),
            inner.clone().prop_map(|x| Expr::Plus(Box::new(x))),
            (inner, 0u32..3, 0u32..2).prop_map(|(x, m, extra)| Expr::Rep(
                Box::new(x),
                m,
                m + extra
            )),
        ]
    })
}

/// The journey of `path`, or `None` when the policy does not compile (a
/// random path may be one the compiler refuses, such as `(a?)*` nowhere).
fn journey(path: &str) -> Option<Policy> {
    let text = format!(
        "journey j {{\n  step a {{ }}\n  step b {{ }}\n  step c {{ }}\n  path {path}\n}}\n"
    );
    Policy::compile(&text).ok()
}

fn graph(policy: &Policy) -> &JourneyGraph {
    &policy.program.journeys[0].graph
}

fn steps(trace: &[u8]) -> Vec<StepId> {
    trace.iter().map(|&s| StepId(u32::from(s))).collect()
}

/// The moves are an alignment of `trace` of cost `cost`: their log and
/// synchronous moves are the trace in order, their synchronous and model
/// moves a complete path, and the log and model moves number `cost`.
fn check_moves(graph: &JourneyGraph, trace: &[StepId], moves: &[Move], cost: u32) {
    let mut events = Vec::new();
    let mut path = Vec::new();
    let mut paid = 0;
    for m in moves {
        match *m {
            Move::Sync { event, node } => {
                events.push(event);
                assert_eq!(
                    graph.step(node),
                    Some(trace[event]),
                    "sync move on its step"
                );
                path.push(trace[event]);
            }
            Move::Log { event } => {
                events.push(event);
                paid += 1;
            }
            Move::Model { node } => {
                path.push(graph.step(node).expect("a model move is a step"));
                paid += 1;
            }
        }
    }
    assert_eq!(
        events,
        (0..trace.len()).collect::<Vec<_>>(),
        "every event once, in order"
    );
    assert!(
        graph.accepts(&path),
        "the path part is a complete path: {path:?}"
    );
    assert_eq!(paid, cost, "the moves cost what the alignment says");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The cost is the least edit distance to the language; it is 0 exactly
    /// when the path accepts the trace; the moves given are an alignment of
    /// that cost; the incremental cost is the one rebuilt.
    #[test]
    fn the_cost_is_the_edit_distance_to_the_language(
        expr in expr(),
        trace in proptest::collection::vec(0u8..3, 0..5),
    ) {
        let Some(policy) = journey(&expr.text()) else { return Ok(()) };
        let graph = graph(&policy);
        let trace_ids = steps(&trace);
        let alignment = graph.align(&trace_ids);
        prop_assert_eq!(alignment.cost as usize, reference_cost(&expr, &trace), "path {}", expr.text());
        prop_assert_eq!(alignment.cost == 0, graph.accepts(&trace_ids));
        prop_assert_eq!(graph.alignment_cost(&trace_ids), alignment.cost);
        let moves = alignment.moves.expect("short traces keep their moves");
        check_moves(graph, &trace_ids, &moves, alignment.cost);
    }

    /// Removing k steps from a complete path leaves a trace of cost at most k.
    #[test]
    fn removing_k_steps_costs_at_most_k(
        expr in expr(),
        pick in any::<prop::sample::Index>(),
        removed in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let Some(policy) = journey(&expr.text()) else { return Ok(()) };
        let words: Vec<Vec<u8>> = expr.words(expr.shortest() + 4).into_iter().collect();
        prop_assume!(!words.is_empty());
        let mut word = words[pick.index(words.len())].clone();
        prop_assert_eq!(graph(&policy).alignment_cost(&steps(&word)), 0);
        let mut k = 0;
        for r in &removed {
            if !word.is_empty() {
                word.remove(r.index(word.len()));
                k += 1;
            }
        }
        prop_assert!(graph(&policy).alignment_cost(&steps(&word)) <= k);
    }
}

fn event(evaluator: &mut Evaluator, customer: &str, step: &str, minute: i64) -> Event {
    let names = evaluator.names_mut();
    let time = jiff::Timestamp::from_second(1_772_000_000 + minute * 60).expect("a time");
    Event {
        customer: names.customers.intern(customer),
        name: names.words.intern(step),
        time,
        channel: None,
        actor: None,
        attrs: Default::default(),
        origin: cxl::events::Origin { file: 0, line: 1 },
    }
}

/// `b a c` against `a -> b -> c` is two moves, fitness 1 − 2/(3 + 3). Two
/// move sequences are optimal (`b` too early and missing after `a`, or `a`
/// missing before `b` and extra after it); the tie-break walks back from the
/// end preferring synchronous moves, so the later events are the ones
/// matched: `a` is the one out of place. The record has the event times of
/// the log and synchronous moves.
#[test]
fn the_evaluator_hands_out_one_record_per_instance() {
    let policy = Policy::compile(
        "journey j {\n  goal c\n  step a { }\n  step b { }\n  step c { }\n  path a -> b -> c\n}\n",
    )
    .expect("compiles");
    let options = EvalOptions {
        retention: Retention::None,
        alignments: Alignments::Records,
        ..EvalOptions::default()
    };
    let mut evaluator = Evaluator::new(policy.program.clone(), options);
    let mut records = Vec::new();
    for (customer, step, minute) in [
        ("c1", "b", 0),
        ("c1", "a", 1),
        ("c1", "c", 2),
        ("c2", "a", 0),
        ("c2", "b", 1),
        ("c2", "c", 2),
    ] {
        let e = event(&mut evaluator, customer, step, minute);
        evaluator.push(e);
        records.extend(evaluator.take_alignments());
    }
    let finished = evaluator.finish_all(None).expect("finishes");
    records.extend(finished.alignments);
    let report = finished.report;
    assert_eq!(records.len(), 2);
    let bac = &records[0];
    assert_eq!(
        (bac.customer.as_str(), bac.cost, bac.trace_len),
        ("c1", 2, 3)
    );
    assert!((bac.fitness - (1.0 - 2.0 / 6.0)).abs() < 1e-12);
    let moves: Vec<(MoveKind, &str, bool)> = bac
        .moves
        .as_ref()
        .expect("moves")
        .iter()
        .map(|m| (m.kind, m.step.as_str(), m.event_time.is_some()))
        .collect();
    assert_eq!(
        moves,
        [
            (MoveKind::Model, "a", false),
            (MoveKind::Sync, "b", true),
            (MoveKind::Log, "a", true),
            (MoveKind::Sync, "c", true),
        ]
    );
    let abc = &records[1];
    assert_eq!(
        (abc.customer.as_str(), abc.cost, abc.fitness),
        ("c2", 0, 1.0)
    );
    let summary = report.journeys[0].alignment.as_ref().expect("a summary");
    assert_eq!(summary.instances, 2);
    assert!((summary.fitness_mean - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-9);
    assert_eq!(summary.perfect_share, 0.5);
    assert_eq!(&summary.costs[..3], &[1, 0, 1]);
}
