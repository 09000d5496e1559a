//! Every name written in a policy, declaration or use, with its span: what go to
//! definition, find references and hover look things up in. Built from the AST
//! alone (what parsed); names in a declaration that does not parse are not in it.

use crate::syntax::{
    Anchor, ClauseKind, Decl, Expr, ExprKind, Ident, Journey, JourneyItem, PathExpr, PathKind,
    PolicyFile, Span, Target, TestExpectKind, TestItem,
};

/// What kind of thing a name names. Steps and stages are scoped by their journey.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A journey.
    Journey,
    /// A step of the journey named.
    Step(String),
    /// A stage of the journey named.
    Stage(String),
    /// A segment.
    Segment,
    /// A metric.
    Metric,
    /// An expectation set.
    ExpectationSet,
    /// An escalation.
    Escalation,
}

/// One place a name is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// What it names.
    pub kind: Kind,
    /// The name.
    pub name: String,
    /// Where it is written.
    pub span: Span,
    /// True where it is declared.
    pub is_definition: bool,
}

/// Every occurrence of a name in a file, in the order the walk met them.
#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    /// The occurrences.
    pub occurrences: Vec<Occurrence>,
}

impl NameIndex {
    /// Index every name of `file`.
    pub fn new(file: &PolicyFile) -> Self {
        let mut index = NameIndex::default();
        for decl in &file.decls {
            index.decl(decl);
        }
        index
    }

    /// The occurrence whose span holds `offset` (its end included, so a cursor just
    /// after a name still finds it).
    pub fn at(&self, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .find(|o| o.span.start <= offset && offset <= o.span.end)
    }

    /// The declaration of what `occurrence` names, if it is declared.
    pub fn definition(&self, occurrence: &Occurrence) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .find(|o| o.is_definition && o.kind == occurrence.kind && o.name == occurrence.name)
    }

    /// Every occurrence naming the same thing as `occurrence`, declaration included.
    pub fn references<'a>(
        &'a self,
        occurrence: &'a Occurrence,
    ) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences
            .iter()
            .filter(move |o| o.kind == occurrence.kind && o.name == occurrence.name)
    }

    /// The declared names of one kind, in source order, without repeats.
    pub fn declared(&self, kind: &Kind) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for o in &self.occurrences {
            if o.is_definition && &o.kind == kind && !names.contains(&o.name.as_str()) {
                names.push(&o.name);
            }
        }
        names
    }

    fn push(&mut self, kind: Kind, ident: &Ident, is_definition: bool) {
        self.occurrences.push(Occurrence {
            kind,
            name: ident.name.clone(),
            span: ident.span,
            is_definition,
        });
    }

    fn decl(&mut self, decl: &Decl) {
        match decl {
            Decl::Use(_) | Decl::Source(_) => {}
            Decl::Metric(m) => self.push(Kind::Metric, &m.name, true),
            Decl::Segment(s) => {
                self.push(Kind::Segment, &s.name, true);
                if let Some(when) = &s.when {
                    self.expr(when);
                }
            }
            Decl::Journey(j) => self.journey(j),
            Decl::Expect(e) => {
                self.target(&e.target);
                for segment in &e.segments {
                    self.push(Kind::Segment, segment, false);
                }
                let journey = e.target.journey.name.as_str();
                for clause in &e.clauses {
                    self.clause(&clause.kind, Some(journey));
                }
            }
            Decl::ExpectationSet(set) => {
                self.push(Kind::ExpectationSet, &set.name, true);
                for clause in &set.clauses {
                    self.clause(&clause.kind, None);
                }
            }
            Decl::Escalate(esc) => {
                self.push(Kind::Escalation, &esc.name, true);
                if let Some(when) = &esc.when {
                    self.expr(when);
                }
                for tier in &esc.tiers {
                    if let Some(unless) = &tier.unless {
                        self.expr(unless);
                    }
                }
            }
            Decl::Test(test) => {
                for item in &test.items {
                    match item {
                        TestItem::Expect(expect) => match &expect.kind {
                            TestExpectKind::Broken(t) | TestExpectKind::Reached(t) => {
                                self.target(t);
                            }
                            TestExpectKind::OffPath(j) => self.push(Kind::Journey, j, false),
                            TestExpectKind::Escalation(e) => self.push(Kind::Escalation, e, false),
                            TestExpectKind::Finding { at, .. } => {
                                if let Some(t) = at {
                                    self.target(t);
                                }
                            }
                        },
                        // A test event names a step of whichever journey it lands
                        // on, which only evaluation knows.
                        TestItem::Event(_) | TestItem::Customer { .. } => {}
                    }
                }
            }
        }
    }

    fn journey(&mut self, j: &Journey) {
        self.push(Kind::Journey, &j.name, true);
        let scope = j.name.name.clone();
        for item in &j.items {
            match item {
                JourneyItem::For { segments, .. } => {
                    for segment in segments {
                        self.push(Kind::Segment, segment, false);
                    }
                }
                JourneyItem::Goal(goal) => self.push(Kind::Step(scope.clone()), goal, false),
                JourneyItem::AbandonAfter { .. } => {}
                JourneyItem::Stage(stage) => {
                    self.push(Kind::Stage(scope.clone()), &stage.name, true);
                    for step in &stage.steps {
                        self.push(Kind::Step(scope.clone()), &step.name, true);
                    }
                }
                JourneyItem::Step(step) => self.push(Kind::Step(scope.clone()), &step.name, true),
                JourneyItem::Path { path, .. } => self.path(path, &scope),
            }
        }
    }

    fn path(&mut self, path: &PathExpr, journey: &str) {
        // An explicit stack: a path may nest as deep as the parser allows.
        let mut stack = vec![path];
        while let Some(p) = stack.pop() {
            match &p.kind {
                PathKind::Step { step } => self.push(Kind::Step(journey.to_string()), step, false),
                PathKind::Seq { parts } => stack.extend(parts.iter().rev()),
                PathKind::Alt { branches } => stack.extend(branches.iter().rev().map(|b| &b.path)),
                PathKind::Parallel { branches } => stack.extend(branches.iter().rev()),
                PathKind::Optional { inner }
                | PathKind::Star { inner }
                | PathKind::Plus { inner }
                | PathKind::Repeat { inner, .. } => stack.push(inner),
            }
        }
    }

    fn target(&mut self, target: &Target) {
        self.push(Kind::Journey, &target.journey, false);
        if let Some(step) = &target.step {
            self.push(Kind::Step(target.journey.name.clone()), step, false);
        }
    }

    fn clause(&mut self, clause: &ClauseKind, journey: Option<&str>) {
        match clause {
            ClauseKind::Within { anchor, .. } | ClauseKind::WarnAfter { anchor, .. } => {
                if let (Anchor::Step { step }, Some(journey)) = (anchor, journey) {
                    self.push(Kind::Step(journey.to_string()), step, false);
                }
            }
            ClauseKind::Metric { metric, .. } => self.push(Kind::Metric, metric, false),
            ClauseKind::Use { set } => self.push(Kind::ExpectationSet, set, false),
            ClauseKind::Via { .. } | ClauseKind::AsksOnce { .. } | ClauseKind::Attempts { .. } => {}
        }
    }

    fn expr(&mut self, expr: &Expr) {
        let mut stack = vec![expr];
        while let Some(e) = stack.pop() {
            match &e.kind {
                ExprKind::Call { func, args } => {
                    self.call(&func.name, args);
                    stack.extend(args.iter().rev());
                }
                ExprKind::List { items } => stack.extend(items.iter().rev()),
                ExprKind::Not { inner } => stack.push(inner),
                ExprKind::Logic { lhs, rhs, .. }
                | ExprKind::Compare { lhs, rhs, .. }
                | ExprKind::In { lhs, list: rhs } => {
                    stack.push(rhs);
                    stack.push(lhs);
                }
                ExprKind::Rate { condition, .. } => stack.push(condition),
                _ => {}
            }
        }
    }

    /// The names a call's arguments refer to, as `check` resolves them.
    fn call(&mut self, func: &str, args: &[Expr]) {
        let [Expr {
            kind: ExprKind::Path { parts, star },
            ..
        }] = args
        else {
            return;
        };
        match (func, parts.as_slice(), star) {
            ("off_path", [journey], None) | ("broken", [journey], Some(_)) => {
                self.push(Kind::Journey, journey, false);
            }
            ("segment", [segment], None) => self.push(Kind::Segment, segment, false),
            ("broken" | "reached", [journey, step], None) => {
                self.push(Kind::Journey, journey, false);
                self.push(Kind::Step(journey.name.clone()), step, false);
            }
            // A bare step (`reached(settled)`) belongs to whichever journey has it.
            _ => {}
        }
    }
}
