//! The abstract syntax tree of a `.cxl` policy file, as the parser builds it.
//!
//! Every node carries its [`Span`]. Nothing here is resolved or checked: names are
//! plain [`Ident`]s, and the `check` stage decides what they refer to.
//! Comments are not in the tree; they live in [`super::ParsedFile::comments`].

use super::span::Spanned;
use crate::diagnostic::Span;
use serde::Serialize;

/// A name as written: `claim`, `report_claim`, `gold`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// A string literal, with its escapes already resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    /// The unescaped value.
    pub value: String,
    /// Where it was written, quotes included.
    pub span: Span,
}

/// A duration literal such as `30s`, `4h`, `1h30m` or `2w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Duration {
    /// Length in whole seconds.
    pub seconds: u64,
    /// Where it was written.
    pub span: Span,
}

/// A number literal: `4`, `50_000`, `2.5`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Number {
    /// The value.
    pub value: f64,
    /// Where it was written.
    pub span: Span,
}

/// A percentage literal: `10%`, `12.5%`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percent {
    /// The value in percent (`10%` is `10.0`).
    pub value: f64,
    /// Where it was written.
    pub span: Span,
}

/// How bad a broken expectation is: the seed's yellow and red dots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// At risk, or making customers unhappy.
    Yellow,
    /// Broken, or making customers very unhappy.
    Red,
}

/// A severity as written (`yellow`, `red`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SeverityLit {
    /// The severity.
    pub value: Severity,
    /// Where it was written.
    pub span: Span,
}

/// A whole policy file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyFile {
    /// The top-level declarations in source order.
    pub decls: Vec<Decl>,
    /// The declarations that did not parse (each reported once), with the names
    /// recovered from them, so later stages neither report their names as unknown
    /// nor lint what they may use.
    pub broken: Vec<BrokenDecl>,
}

/// What is recovered from a declaration that did not parse: the names it declares
/// (`journey stay`, `step book`, `segment gold`: a keyword and the name after it)
/// and every word it mentions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BrokenDecl {
    /// The names it declares, of any kind, in source order.
    pub declares: Vec<Ident>,
    /// Every name-like word in it, sorted and without repeats.
    pub mentions: Vec<String>,
    /// The whole declaration.
    pub span: Span,
}

/// One top-level declaration.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "decl", rename_all = "snake_case")]
pub enum Decl {
    /// `use std/cx`
    Use(Use),
    /// `source { format "csv"; customer "case_id" }`
    Source(Source),
    /// `metric csat "Customer satisfaction" { range 1..5; higher is better }`
    Metric(Metric),
    /// `segment gold { when tier == "gold" }`
    Segment(Segment),
    /// `journey claim { ... }`
    Journey(Journey),
    /// `expect claim.acknowledge { within 1h after report_claim }`
    Expect(Expect),
    /// `expectations frictionless { asks_once *; effort <= 3 else yellow }`
    ExpectationSet(ExpectationSet),
    /// `escalate vip_off_path { when ...; notify "..." severity red within 4h }`
    Escalate(Escalation),
    /// `test "name" { ... }`
    Test(TestCase),
}

impl Decl {
    /// The span of the whole declaration.
    pub fn span(&self) -> Span {
        match self {
            Decl::Use(d) => d.span,
            Decl::Source(d) => d.span,
            Decl::Metric(d) => d.span,
            Decl::Segment(d) => d.span,
            Decl::Journey(d) => d.span,
            Decl::Expect(d) => d.span,
            Decl::ExpectationSet(d) => d.span,
            Decl::Escalate(d) => d.span,
            Decl::Test(d) => d.span,
        }
    }
}

/// `use std/cx`: bring a standard module's declarations into scope; `use
/// "segments.cxl"`: those of another policy file, its path relative to the
/// using file's directory (read by [`crate::load`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Use {
    /// The module path, one identifier per `/`-separated part; empty for a file.
    pub path: Vec<Ident>,
    /// The file's path, for `use "segments.cxl"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Text>,
    /// The whole declaration.
    pub span: Span,
}

impl Use {
    /// What is used as written: `std/cx`, or `"segments.cxl"` in quotes.
    pub fn module_name(&self) -> String {
        if let Some(file) = &self.file {
            let mut quoted = String::from("\"");
            for c in file.value.chars() {
                match c {
                    '"' => quoted.push_str("\\\""),
                    '\\' => quoted.push_str("\\\\"),
                    '\n' => quoted.push_str("\\n"),
                    '\t' => quoted.push_str("\\t"),
                    c => quoted.push(c),
                }
            }
            quoted.push('"');
            return quoted;
        }
        self.path
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// `source { ... }`: where a policy's interactions come from and how their fields
/// map, so a policy and its log format travel together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// The settings in source order.
    pub settings: Vec<SourceSetting>,
    /// The whole declaration.
    pub span: Span,
}

/// One setting: `step "concept:name", "lifecycle:transition"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceSetting {
    /// The setting's name (`format`, `customer`, `step`, ...).
    pub key: Ident,
    /// Its values, one or more.
    pub values: Vec<Text>,
    /// The whole setting.
    pub span: Span,
}

/// Which direction of a metric is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Higher values are better (CSAT, NPS).
    Higher,
    /// Lower values are better (customer effort).
    Lower,
}

/// A numeric measure recorded on events, such as CSAT.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// The metric's name, also the event attribute that carries it.
    pub name: Ident,
    /// A display label.
    pub label: Option<Text>,
    /// The allowed range, `range 1..5`.
    pub range: Option<(Number, Number)>,
    /// Which direction is good, `higher is better`.
    pub better: Option<Spanned<Better>>,
    /// The whole declaration.
    pub span: Span,
}

/// A named predicate over customer attributes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    /// The segment's name.
    pub name: Ident,
    /// A display label.
    pub label: Option<Text>,
    /// The membership condition (`when ...`); `None` only in a broken declaration
    /// that the checker reports.
    pub when: Option<Expr>,
    /// The whole declaration.
    pub span: Span,
}

/// The ideal path for some segments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Journey {
    /// The journey's name.
    pub name: Ident,
    /// A display label.
    pub label: Option<Text>,
    /// The journey's clauses in source order.
    pub items: Vec<JourneyItem>,
    /// The whole declaration.
    pub span: Span,
}

impl Journey {
    /// Every step, in stages or not, in source order, with its stage if any.
    pub fn steps(&self) -> impl Iterator<Item = (Option<&Stage>, &Step)> {
        self.items
            .iter()
            .flat_map(|item| -> Box<dyn Iterator<Item = _>> {
                match item {
                    JourneyItem::Step(step) => Box::new(std::iter::once((None, step))),
                    JourneyItem::Stage(stage) => {
                        Box::new(stage.steps.iter().map(move |s| (Some(stage), s)))
                    }
                    _ => Box::new(std::iter::empty()),
                }
            })
    }

    /// The stages in source order.
    pub fn stages(&self) -> impl Iterator<Item = &Stage> {
        self.items.iter().filter_map(|item| match item {
            JourneyItem::Stage(stage) => Some(stage),
            _ => None,
        })
    }

    /// The first `path` clause, if any.
    pub fn path(&self) -> Option<&PathExpr> {
        self.items.iter().find_map(|item| match item {
            JourneyItem::Path { path, .. } => Some(path),
            _ => None,
        })
    }

    /// The first `goal` clause, if any.
    pub fn goal(&self) -> Option<&Ident> {
        self.items.iter().find_map(|item| match item {
            JourneyItem::Goal(goal) => Some(goal),
            _ => None,
        })
    }

    /// The segments of the first `for` clause (empty when there is none).
    pub fn segments(&self) -> &[Ident] {
        self.items
            .iter()
            .find_map(|item| match item {
                JourneyItem::For { segments, .. } => Some(segments.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }

    /// The first `abandon after` clause, if any.
    pub fn abandon_after(&self) -> Option<Duration> {
        self.items.iter().find_map(|item| match item {
            JourneyItem::AbandonAfter { after, .. } => Some(*after),
            _ => None,
        })
    }
}

/// One clause of a journey.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum JourneyItem {
    /// `for gold, newcomer`
    For {
        /// The segments named.
        segments: Vec<Ident>,
        /// The whole clause.
        span: Span,
    },
    /// `goal settled`
    Goal(Ident),
    /// `abandon after 30d`
    AbandonAfter {
        /// How long without progress.
        after: Duration,
        /// The whole clause, for the findings it gives to quote.
        span: Span,
    },
    /// `stage intake { step ... }`
    Stage(Stage),
    /// A step outside any stage.
    Step(Step),
    /// `path a -> b -> c`
    Path {
        /// The orders allowed.
        path: PathExpr,
        /// The whole clause, for the findings it gives to quote.
        span: Span,
    },
}

/// A named group of steps (`stage intake { ... }`), drawn as a cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    /// The stage's name.
    pub name: Ident,
    /// A display label.
    pub label: Option<Text>,
    /// Its steps in source order.
    pub steps: Vec<Step>,
    /// The whole declaration.
    pub span: Span,
}

/// One touchpoint of a journey.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The step's name, as used in `path` and `expect`.
    pub name: Ident,
    /// A display label.
    pub label: Option<Text>,
    /// Its properties in source order.
    pub props: Vec<StepProp>,
    /// The whole declaration.
    pub span: Span,
}

impl Step {
    /// True when the step is below the line of visibility.
    pub fn is_backstage(&self) -> bool {
        self.props
            .iter()
            .rev()
            .find_map(|p| match p {
                StepProp::Backstage(_) => Some(true),
                StepProp::Frontstage(_) => Some(false),
                _ => None,
            })
            .unwrap_or(false)
    }

    /// The channels of its `via` properties.
    pub fn channels(&self) -> impl Iterator<Item = &Ident> {
        self.props.iter().flat_map(|p| match p {
            StepProp::Via { channels, .. } => channels.as_slice(),
            _ => &[],
        })
    }

    /// The event names of its `match` properties.
    pub fn match_names(&self) -> impl Iterator<Item = &Text> {
        self.props.iter().flat_map(|p| match p {
            StepProp::Match { names, .. } => names.as_slice(),
            _ => &[],
        })
    }

    /// The first `owner`, if any.
    pub fn owner(&self) -> Option<&Text> {
        self.props.iter().find_map(|p| match p {
            StepProp::Owner(owner) => Some(owner),
            _ => None,
        })
    }

    /// The first `takes` range, if any.
    pub fn takes(&self) -> Option<(Duration, Duration)> {
        self.props.iter().find_map(|p| match p {
            StepProp::Takes { min, max, .. } => Some((*min, *max)),
            _ => None,
        })
    }
}

/// One property of a step.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "prop", rename_all = "snake_case")]
pub enum StepProp {
    /// `via web, app, phone`: the channels this touchpoint may use.
    Via {
        /// The channels named.
        channels: Vec<Ident>,
        /// The whole property.
        span: Span,
    },
    /// `owner "Claims intake"`
    Owner(Text),
    /// `match "Claim reported", "Report claim"`: event names that mean this step.
    Match {
        /// The event names.
        names: Vec<Text>,
        /// The whole property.
        span: Span,
    },
    /// `backstage`: below the line of visibility.
    Backstage(Span),
    /// `frontstage`: seen by the customer (the default).
    Frontstage(Span),
    /// `takes 10m..2h`: how long the step takes, for simulation.
    Takes {
        /// Shortest.
        min: Duration,
        /// Longest.
        max: Duration,
        /// The whole property.
        span: Span,
    },
}

/// A path expression over step names: a regular expression with `&` for interleaving.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathExpr {
    /// What kind of expression this is.
    pub kind: PathKind,
    /// Where it was written.
    pub span: Span,
}

/// The forms of a path expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum PathKind {
    /// One step.
    Step {
        /// The step's name.
        step: Ident,
    },
    /// `a -> b -> c`: one after the other.
    Seq {
        /// The parts, two or more.
        parts: Vec<PathExpr>,
    },
    /// `a | b`: exactly one of the branches, optionally weighted for simulation
    /// (`accept 80% | deny 20%`).
    Alt {
        /// The branches, two or more.
        branches: Vec<Branch>,
    },
    /// `a & b`: all branches, their steps interleaved in any order.
    Parallel {
        /// The branches, two or more.
        branches: Vec<PathExpr>,
    },
    /// `a?`
    Optional {
        /// The optional part.
        inner: Box<PathExpr>,
    },
    /// `a*`
    Star {
        /// The repeated part.
        inner: Box<PathExpr>,
    },
    /// `a+`
    Plus {
        /// The repeated part.
        inner: Box<PathExpr>,
    },
    /// `a{m,n}`, `a{m,}`, `a{n}`.
    Repeat {
        /// The repeated part.
        inner: Box<PathExpr>,
        /// Fewest occurrences.
        min: u32,
        /// Most occurrences; `None` for no upper bound.
        max: Option<u32>,
    },
}

/// One branch of an alternative.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Branch {
    /// The branch.
    pub path: PathExpr,
    /// Its weight for simulation, if given.
    pub weight: Option<Percent>,
}

/// `expect claim.acknowledge for gold { ... }`: expectations at touchpoints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expect {
    /// Which steps the expectations hold at.
    pub target: Target,
    /// Only for customers in these segments (empty: everyone on the journey).
    pub segments: Vec<Ident>,
    /// The expectations.
    pub clauses: Vec<Clause>,
    /// The whole declaration.
    pub span: Span,
}

/// `claim.acknowledge` or `claim.*`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    /// The journey.
    pub journey: Ident,
    /// One step, or `None` for `*` (every step).
    pub step: Option<Ident>,
    /// Where it was written.
    pub span: Span,
}

/// `expectations frictionless "Frictionless" { ... }`: a reusable set of expectations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpectationSet {
    /// The set's name, used as `use frictionless` inside `expect`.
    pub name: Ident,
    /// A display label.
    pub label: Option<Text>,
    /// The expectations.
    pub clauses: Vec<Clause>,
    /// The whole declaration.
    pub span: Span,
}

/// One expectation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clause {
    /// What is expected.
    pub kind: ClauseKind,
    /// Where it was written.
    pub span: Span,
}

/// What a step's time limit is measured from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "anchor", rename_all = "snake_case")]
pub enum Anchor {
    /// `after report_claim`: the latest earlier occurrence of that step.
    Step {
        /// The step.
        step: Ident,
    },
    /// `after journey start`: the event that opened the journey instance.
    JourneyStart {
        /// Where `journey start` was written.
        span: Span,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CmpOp {
    /// `==`
    #[serde(rename = "==")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// True when `lhs op rhs` holds.
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            CmpOp::Eq => lhs == rhs,
            CmpOp::Ne => lhs != rhs,
            CmpOp::Lt => lhs < rhs,
            CmpOp::Le => lhs <= rhs,
            CmpOp::Gt => lhs > rhs,
            CmpOp::Ge => lhs >= rhs,
        }
    }
}

/// The kinds of expectation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "clause", rename_all = "snake_case")]
pub enum ClauseKind {
    /// `within 1h after report_claim [else yellow]`: the step happens in time (inclusive).
    Within {
        /// The time limit.
        limit: Duration,
        /// What it is measured from.
        anchor: Anchor,
        /// Severity of a breach (default red).
        severity: Option<SeverityLit>,
    },
    /// `warn after 45m after report_claim`: past this the step is at risk (yellow).
    WarnAfter {
        /// The warning time.
        limit: Duration,
        /// What it is measured from.
        anchor: Anchor,
    },
    /// `via email, sms [else yellow]`: the step uses one of these channels.
    Via {
        /// The channels allowed.
        channels: Vec<Ident>,
        /// Severity of a wrong channel (default yellow).
        severity: Option<SeverityLit>,
    },
    /// `csat >= 4 else yellow`: a metric threshold on the step's events.
    Metric {
        /// The metric.
        metric: Ident,
        /// The comparison that must hold.
        op: CmpOp,
        /// The threshold.
        value: Number,
        /// Severity when it does not hold (default red).
        severity: Option<SeverityLit>,
    },
    /// `asks_once policy_number, address` (or `asks_once *`): the customer is never
    /// asked twice for the same information.
    AsksOnce {
        /// The information items; empty for `*` (every item).
        items: Vec<Ident>,
        /// Severity of a repeated ask (default yellow).
        severity: Option<SeverityLit>,
    },
    /// `attempts <= 3 [else red]`: how often the step may be tried.
    Attempts {
        /// The comparison that must hold.
        op: CmpOp,
        /// The limit.
        value: Number,
        /// Severity when exceeded (default red).
        severity: Option<SeverityLit>,
    },
    /// `use frictionless`: include a named expectation set.
    Use {
        /// The set's name.
        set: Ident,
    },
}

/// `escalate name { when ...; notify ...; then notify ... }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Escalation {
    /// The escalation's name.
    pub name: Ident,
    /// A display label.
    pub label: Option<Text>,
    /// When it fires; `None` only in a broken declaration that the checker reports.
    pub when: Option<Expr>,
    /// Who is notified, first tier first.
    pub tiers: Vec<Tier>,
    /// The whole declaration.
    pub span: Span,
}

/// One tier of an escalation: `notify "Team" severity red within 4h`, or a later
/// `then notify "Boss" after 1d unless reached(settled)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tier {
    /// True for a `then` tier.
    pub is_then: bool,
    /// Who is notified.
    pub recipient: Text,
    /// How severe (default: the severity of what triggered it).
    pub severity: Option<SeverityLit>,
    /// How fast the recipient must respond.
    pub within: Option<Duration>,
    /// For a `then` tier: how long after the previous tier it fires.
    pub after: Option<Duration>,
    /// The tier does not fire if this holds by then.
    pub unless: Option<Expr>,
    /// The whole tier.
    pub span: Span,
}

/// An expression: conditions of segments and escalations, test attributes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// A binary boolean operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogicOp {
    /// `and`
    And,
    /// `or`
    Or,
}

/// The forms of an expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "expr", rename_all = "snake_case")]
pub enum ExprKind {
    /// `4`, `50_000`, `2.5`
    Number {
        /// The value.
        value: f64,
    },
    /// `"gold"`
    Text {
        /// The value.
        value: String,
    },
    /// `true`, `false`
    Bool {
        /// The value.
        value: bool,
    },
    /// `4h`
    Duration {
        /// Seconds.
        seconds: u64,
    },
    /// `10%`
    Percent {
        /// Percent.
        value: f64,
    },
    /// `2026-03-01T10:00Z`
    Time {
        /// The instant.
        #[serde(serialize_with = "serialize_timestamp")]
        value: jiff::Timestamp,
    },
    /// `tier`, `address.country`, or in calls `claim.acknowledge`, `claim.*`.
    Path {
        /// The dotted parts.
        parts: Vec<Ident>,
        /// Where a trailing `.*` was written, if any.
        star: Option<Span>,
    },
    /// `[1, 2, 3]`
    List {
        /// The elements.
        items: Vec<Expr>,
    },
    /// `off_path(claim)`, `broken(claim.acknowledge)`, `segment(gold)`, `reached(settled)`.
    Call {
        /// The function.
        func: Ident,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `not x`
    Not {
        /// The negated expression.
        inner: Box<Expr>,
    },
    /// `a and b`, `a or b`
    Logic {
        /// The operator.
        op: LogicOp,
        /// Left side.
        lhs: Box<Expr>,
        /// Right side.
        rhs: Box<Expr>,
    },
    /// `a >= b`
    Compare {
        /// The operator.
        op: CmpOp,
        /// Left side.
        lhs: Box<Expr>,
        /// Right side.
        rhs: Box<Expr>,
    },
    /// `tier in ["gold", "platinum"]`
    In {
        /// The value looked up.
        lhs: Box<Expr>,
        /// The list.
        list: Box<Expr>,
    },
    /// `broken(claim.acknowledge) rate > 10% over 1d`: how often a condition held
    /// across customers in a sliding window.
    Rate {
        /// The condition counted (a call).
        condition: Box<Expr>,
        /// The comparison.
        op: CmpOp,
        /// The threshold (a percentage).
        threshold: Percent,
        /// The window.
        window: Duration,
    },
}

fn serialize_timestamp<S: serde::Serializer>(
    ts: &jiff::Timestamp,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(ts)
}

/// `test "name" { ... }`: an inline scenario and what it must produce.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestCase {
    /// The test's name.
    pub name: Text,
    /// Its customers, events and expectations in source order.
    pub items: Vec<TestItem>,
    /// The whole declaration.
    pub span: Span,
}

/// One line of a test.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum TestItem {
    /// `customer c1 { tier: "gold", tenure_days: 30 }`
    Customer {
        /// The customer's id within the test.
        id: Ident,
        /// Attributes.
        attrs: Vec<(Ident, Expr)>,
        /// The whole line.
        span: Span,
    },
    /// `c1 acknowledge at +2h via email { csat: 4 }`
    Event(TestEvent),
    /// `expect broken claim.acknowledge for c1`
    Expect(TestExpect),
}

/// An event in a test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestEvent {
    /// Whose event.
    pub customer: Ident,
    /// The step name, or a raw event name in quotes.
    pub step: EventName,
    /// When it happened.
    pub at: TestTime,
    /// The channel, if given.
    pub via: Option<Ident>,
    /// Other attributes, `{ csat: 4 }`.
    pub attrs: Vec<(Ident, Expr)>,
    /// The whole line.
    pub span: Span,
}

/// How a test event names what happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum EventName {
    /// A step name: `acknowledge`.
    Step(Ident),
    /// A raw event name as a log would have it: `"Claim reported"`.
    Raw(Text),
}

/// When a test event happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "time", rename_all = "snake_case")]
pub enum TestTime {
    /// `at 2026-03-01T10:00Z`
    Absolute {
        /// The instant.
        #[serde(serialize_with = "serialize_timestamp")]
        value: jiff::Timestamp,
        /// Where it was written.
        span: Span,
    },
    /// `at +2h`: after the test's previous event.
    Relative(Duration),
}

/// `expect ... [for c1] [-> none | -> "Recipient"]` in a test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestExpect {
    /// What is expected.
    pub kind: TestExpectKind,
    /// For which customer (all customers of the test when absent).
    pub customer: Option<Ident>,
    /// `-> none`: the thing must not happen; `-> "X"`: an escalation notifies X.
    pub outcome: Option<TestOutcome>,
    /// The whole line.
    pub span: Span,
}

/// What a test expects.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "expect", rename_all = "snake_case")]
pub enum TestExpectKind {
    /// `broken claim.acknowledge`: a broken-step finding at that step.
    Broken(Target),
    /// `off_path claim`: an off-path finding on that journey.
    OffPath(Ident),
    /// `reached claim.settled`: the customer reached that step.
    Reached(Target),
    /// `escalation vip_off_path`: that escalation fired.
    Escalation(Ident),
    /// `finding sla_breach [at claim.acknowledge]`: a finding of that kind.
    Finding {
        /// The finding kind, as the evaluator names it.
        kind: Ident,
        /// Where, if said.
        at: Option<Target>,
    },
}

/// The outcome after `->` in a test expectation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TestOutcome {
    /// `-> none`: it must not happen.
    None(Span),
    /// `-> "Claims concierge"`: the escalation notifies this recipient.
    Recipient(Text),
}
