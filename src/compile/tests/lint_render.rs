//! Tests of the graph lints (field by field) and the renderings (snapshots).

use super::support::{backstage, ident, journey, journey_with, stage, step};
use crate::compile::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::{
    self, Anchor, Clause, ClauseKind, Duration, JourneyItem, Span, StepProp, Target, Text,
};

fn lint(steps: &[&str], path: &str, goal: &str) -> Vec<Diagnostic> {
    let j = journey(steps, path, Some(goal));
    lint_journey(&j, &compile_journey(&j).unwrap())
}

#[test]
fn goal_off_every_path_is_e0402() {
    let d = lint(&["a", "b", "g"], "a -> b", "g");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, Code::GoalUnreachable);
    assert_eq!(
        d[0].message,
        "the goal `g` of journey `j` is not on any path"
    );
    assert_eq!(d[0].labels.len(), 2);
    assert_eq!(
        d[0].labels[1].span,
        Span::new(0, 6),
        "secondary label: the path"
    );
}

#[test]
fn step_that_never_leads_to_the_goal_is_w0403() {
    let d = lint(
        &["a", "deny", "settled"],
        "a -> (settled | deny)",
        "settled",
    );
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, Code::DeadEndStep);
    assert_eq!(
        d[0].message,
        "no path from `deny` reaches the goal `settled`"
    );
    assert_eq!(d[0].primary_span(), Some(Span::new(16, 20)));
    assert!(d[0].help.as_deref().unwrap().contains("legitimate exit"));
}

#[test]
fn steps_after_the_goal_or_looping_back_are_not_dead_ends() {
    assert_eq!(lint(&["a", "s", "survey"], "a -> s -> survey", "s"), vec![]);
    assert_eq!(
        lint(&["a", "retry", "s"], "a -> (retry -> a)* -> s", "s"),
        vec![]
    );
    // `survey` follows `deny` too, but that is `deny`'s fault, reported once.
    let d = lint(
        &["a", "deny", "s", "survey"],
        "a -> (s | deny) -> survey",
        "s",
    );
    let names: Vec<_> = d.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(names, vec!["no path from `deny` reaches the goal `s`"]);
}

fn expect(target: Option<&str>, anchors: &[&str]) -> syntax::Expect {
    let clauses = anchors
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut step = ident(a);
            step.span = Span::new(100 + i, 101 + i);
            let limit = Duration {
                seconds: 60,
                span: Span::new(0, 0),
            };
            let anchor = Anchor::Step { step };
            let kind = if i % 2 == 0 {
                ClauseKind::Within {
                    limit,
                    anchor,
                    severity: None,
                }
            } else {
                ClauseKind::WarnAfter { limit, anchor }
            };
            Clause {
                kind,
                span: Span::new(0, 0),
            }
        })
        .collect();
    syntax::Expect {
        target: Target {
            journey: ident("j"),
            step: target.map(ident),
            span: Span::new(50, 55),
        },
        segments: vec![],
        clauses,
        span: Span::new(0, 0),
    }
}

fn lint_exp(path: &str, target: Option<&str>, anchors: &[&str]) -> Vec<Diagnostic> {
    let c = compile_journey(&journey(&["a", "b", "c"], path, None)).unwrap();
    lint_expect(&expect(target, anchors), &c)
}

#[test]
fn anchor_after_its_target_is_e0404() {
    let d = lint_exp("a -> b -> c", Some("b"), &["a", "c"]);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, Code::AnchorNeverPrecedes);
    assert_eq!(
        d[0].message,
        "`c` never comes before `b` on any path of journey `j`"
    );
    assert_eq!(d[0].primary_span(), Some(Span::new(101, 102)));
    assert!(d[0].help.as_deref().unwrap().contains("`journey start`"));
}

#[test]
fn anchor_on_the_target_itself_needs_a_repeat() {
    assert_eq!(lint_exp("a -> b -> c", Some("b"), &["b"]).len(), 1);
    assert_eq!(lint_exp("a -> b+ -> c", Some("b"), &["b"]), vec![]);
    assert_eq!(lint_exp("(a & b) -> c", Some("b"), &["a"]), vec![]);
}

#[test]
fn star_target_is_reported_once_per_anchor_with_the_steps() {
    let d = lint_exp("a -> b -> c", None, &["a", "c"]);
    assert_eq!(d.len(), 1, "`a` precedes every other step");
    assert_eq!(
        d[0].message,
        "`c` never comes before `a`, `b` on any path of journey `j`"
    );
    assert_eq!(d[0].labels[1].span, Span::new(50, 55));
}

fn claim() -> CompiledJourney {
    let mut report = step("report_claim");
    report.label = Some(Text {
        value: "Report \"claim\"".into(),
        span: Span::new(0, 0),
    });
    report.props.push(StepProp::Match {
        names: vec![Text {
            value: "Claim reported".into(),
            span: Span::new(0, 0),
        }],
        span: Span::new(0, 0),
    });
    let items = vec![
        stage("intake", vec![report, backstage("appraise")]),
        stage(
            "resolution",
            vec![step("accept"), step("deny"), step("settled")],
        ),
        JourneyItem::Step(step("survey")),
        JourneyItem::Step(backstage("audit")),
    ];
    let path =
        "report_claim -> (appraise & audit) -> (accept -> settled 80% | deny 20%) -> survey?";
    compile_journey(&journey_with(items, path, Some("settled"))).unwrap()
}

#[test]
fn claim_graph_has_a_product_of_four_nodes() {
    let j = claim();
    assert_eq!(j.graph.node_count(), 10);
    assert_eq!(j.steps[0].match_names, vec!["Claim reported"]);
    assert_eq!(j.steps[2].match_names, vec!["accept"]);
    assert_eq!(j.steps[1].stage, Some(0));
    assert_eq!(j.steps[5].stage, None);
    assert_eq!(j.abandon_after, Some(3600));
}

#[test]
fn render_dot_snapshot() {
    insta::assert_snapshot!(render_dot(&claim()));
}

#[test]
fn render_mermaid_snapshot() {
    insta::assert_snapshot!(render_mermaid(&claim()));
}

#[test]
fn render_json_snapshot() {
    insta::assert_json_snapshot!(render_json(&claim()));
}

#[test]
fn render_dot_of_a_nullable_star() {
    let j = compile_journey(&journey(&["a", "b"], "(a & b)*", None)).unwrap();
    insta::assert_snapshot!(render_dot(&j));
}

/// The claim journey of the language sketch, stages and all.
fn sketch_claim() -> (syntax::Journey, CompiledJourney) {
    let items = vec![
        stage("intake", vec![step("report_claim"), step("acknowledge")]),
        stage(
            "assessment",
            vec![
                backstage("appraise"),
                step("request_docs"),
                backstage("decide"),
            ],
        ),
        stage(
            "resolution",
            vec![
                step("accept"),
                step("deny"),
                step("payout"),
                step("settled"),
            ],
        ),
    ];
    let path = "report_claim -> acknowledge -> (appraise & request_docs{0,2}) -> decide \
                -> (accept -> payout | deny) -> settled";
    let j = journey_with(items, path, Some("settled"));
    let c = compile_journey(&j).unwrap();
    (j, c)
}

#[test]
fn sketch_claim_compiles_and_lints_clean() {
    let (j, c) = sketch_claim();
    // 1 start + 2 intake + 7 for `appraise & request_docs{0,2}` + 5.
    assert_eq!(c.graph.node_count(), 15);
    assert_eq!(lint_journey(&j, &c), vec![]);
    let id = |n: &str| c.step_id(n).unwrap();
    let ok = [
        "report_claim",
        "acknowledge",
        "request_docs",
        "appraise",
        "request_docs",
    ];
    let ok: Vec<StepId> = ok
        .iter()
        .chain(&["decide", "deny", "settled"])
        .map(|n| id(n))
        .collect();
    assert!(c.graph.accepts(&ok));
    let mut three_docs = ok.clone();
    three_docs.insert(2, id("request_docs"));
    assert!(!c.graph.accepts(&three_docs));
    insta::assert_snapshot!(render_dot(&c));
}
