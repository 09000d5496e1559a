//! The AST and its comments back to text, in the one canonical layout
//! (docs/language.md, "Layout"). Literals are written as the source wrote them
//! (`50_000`, `1h30m`, escapes in strings), so formatting never changes a value.

use super::doc::{render, render_kept, Doc};
use crate::syntax::*;

/// Lines longer than this are broken where the layout allows.
pub(crate) const WIDTH: usize = 100;
const INDENT: usize = 2;

/// Writes a file: its declarations and every comment.
pub(crate) struct Printer<'a> {
    src: &'a str,
    comments: &'a [Comment],
    /// The first comment not written yet.
    next: usize,
    out: String,
    depth: usize,
    /// Where the source has been written up to, to see its blank lines.
    done: usize,
    /// Nothing written yet in this block: no blank line here.
    fresh: bool,
    /// Where in `out` each comment at the end of a line starts.
    trailing_at: Vec<usize>,
}

impl<'a> Printer<'a> {
    pub(crate) fn new(src: &'a str, comments: &'a [Comment]) -> Self {
        Printer {
            src,
            comments,
            next: 0,
            out: String::new(),
            depth: 0,
            done: 0,
            fresh: true,
            trailing_at: Vec::new(),
        }
    }

    pub(crate) fn file(mut self, file: &PolicyFile) -> String {
        for decl in &file.decls {
            self.decl(decl);
        }
        self.comments_before(usize::MAX);
        align_trailing_comments(&self.out, &self.trailing_at)
    }

    // ---- layout primitives ---------------------------------------------------

    fn slice(&self, span: Span) -> &'a str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    /// A literal as written, without the parentheses around it, if any.
    fn literal(&self, span: Span) -> String {
        let mut text = self.slice(span).trim();
        while text.starts_with('(') && text.ends_with(')') && text.len() >= 2 {
            text = text[1..text.len() - 1].trim();
        }
        text.to_string()
    }

    fn column(&self) -> usize {
        self.depth * INDENT
    }

    /// A blank line, when the source has one between `from` and `to` and the
    /// block already has something in it.
    fn blank_line(&mut self, to: usize) {
        let from = self.done.min(to);
        let gap = self.src.get(from..to).unwrap_or("");
        if !self.fresh && gap.matches('\n').count() >= 2 {
            self.out.push('\n');
        }
    }

    fn has_comment_in(&self, span: Span) -> bool {
        self.comments[self.next..]
            .iter()
            .any(|c| c.start_in(span.start, span.end))
    }

    /// Every comment not yet written that starts before `at`, each on its own
    /// line.
    fn comments_before(&mut self, at: usize) {
        while let Some(c) = self.comments.get(self.next).filter(|c| c.span.start < at) {
            self.blank_line(c.span.start);
            self.out.push_str(&" ".repeat(self.column()));
            self.out.push_str(&comment_text(c));
            self.out.push('\n');
            self.next += 1;
            self.done = c.span.end;
            self.fresh = false;
        }
    }

    /// The comment that ends the line on which `end` is, after nothing but
    /// spaces and separators, written after two spaces.
    fn trailing(&mut self, end: usize) {
        let Some(c) = self.comments.get(self.next) else {
            return;
        };
        let gap = self.src.get(end..c.span.start).unwrap_or("\n");
        if c.span.start >= end && gap.chars().all(|ch| matches!(ch, ' ' | '\t' | ';' | ',')) {
            self.trailing_at.push(self.out.len());
            self.out.push_str(&comment_text(c));
            self.next += 1;
            self.done = self.done.max(c.span.end);
        }
    }

    /// One line (or a few, when `text` was laid out over several) for an item
    /// without a block. An item with comments inside keeps the source's line
    /// breaks and its comments in place ([`render_kept`]).
    fn leaf(&mut self, span: Span, doc: Doc) {
        self.comments_before(span.start);
        self.blank_line(span.start);
        let inside = self.comments[self.next..]
            .iter()
            .take_while(|c| c.span.start < span.end)
            .count();
        self.out.push_str(&" ".repeat(self.column()));
        let mut ends_with_comment = false;
        if inside == 0 {
            let text = render(&doc, self.column(), WIDTH);
            self.out.push_str(&text);
        } else {
            let comments = &self.comments[self.next..self.next + inside];
            let kept = render_kept(&doc, self.column(), self.src, comments);
            let at = self.out.len();
            self.trailing_at
                .extend(kept.trailing.iter().map(|t| at + t));
            self.out.push_str(&kept.text);
            ends_with_comment = kept.ends_with_comment;
            self.done = comments
                .iter()
                .map(|c| c.span.end)
                .fold(self.done, usize::max);
            self.next += inside;
        }
        self.done = self.done.max(span.end);
        if !ends_with_comment {
            self.trailing(span.end);
        }
        self.out.push('\n');
        self.fresh = false;
    }

    /// `header {`, the items (written by `body`), `}`. `first` is where the first
    /// item starts: a comment on the header's line before it stays there.
    fn block(
        &mut self,
        span: Span,
        header: &str,
        first: Option<usize>,
        body: impl FnOnce(&mut Self),
    ) {
        self.comments_before(span.start);
        self.blank_line(span.start);
        self.out.push_str(&" ".repeat(self.column()));
        self.out.push_str(header);
        self.out.push_str(" {");
        self.done = span.start;
        if let Some(c) = self.comments.get(self.next) {
            let on_header_line = !self
                .slice(Span::new(span.start, c.span.start))
                .contains('\n');
            let before_first = first.is_none_or(|f| c.span.start < f);
            if c.start_in(span.start, span.end) && on_header_line && before_first {
                self.trailing_at.push(self.out.len());
                self.out.push_str(&comment_text(c));
                self.next += 1;
                self.done = c.span.end;
            }
        }
        self.out.push('\n');
        self.depth += 1;
        self.fresh = true;
        body(self);
        self.comments_before(span.end);
        self.depth -= 1;
        self.out.push_str(&" ".repeat(self.column()));
        self.out.push('}');
        self.done = self.done.max(span.end);
        self.trailing(span.end);
        self.out.push('\n');
        self.fresh = false;
    }

    /// `header { a; b }` when that fits on the line and has no comment inside,
    /// else `None`.
    fn one_line(&self, span: Span, header: &str, items: &[Doc]) -> Option<String> {
        let items: Vec<_> = items.iter().map(flat).collect();
        let line = match items.is_empty() {
            true => format!("{header} {{}}"),
            false => format!("{header} {{ {} }}", items.join("; ")),
        };
        let fits = self.column() + line.chars().count() <= WIDTH;
        (fits && !line.contains('\n') && !self.has_comment_in(span)).then_some(line)
    }

    /// `prefix` and then `doc`.
    fn doc(&self, prefix: &str, doc: Doc) -> Doc {
        Doc::Concat(vec![Doc::text(prefix), doc])
    }

    // ---- declarations --------------------------------------------------------

    fn decl(&mut self, decl: &Decl) {
        match decl {
            Decl::Use(u) => self.leaf(u.span, Doc::text(format!("use {}", u.module_name()))),
            Decl::Source(s) => {
                let items: Vec<_> = s
                    .settings
                    .iter()
                    .map(|s| Doc::text(self.setting(s)))
                    .collect();
                let spans: Vec<_> = s.settings.iter().map(|s| s.span).collect();
                self.simple_block(s.span, "source", &spans, items, usize::MAX);
            }
            Decl::Metric(m) => {
                let header = self.named("metric", &m.name, m.label.as_ref());
                let mut items = Vec::new();
                if let Some((lo, hi)) = &m.range {
                    let span = lo.span.to(hi.span);
                    items.push((
                        span,
                        Doc::text(format!(
                            "range {}..{}",
                            self.literal(lo.span),
                            self.literal(hi.span)
                        )),
                    ));
                }
                if let Some(better) = &m.better {
                    let dir = match better.value {
                        Better::Higher => "higher",
                        Better::Lower => "lower",
                    };
                    items.push((better.span, Doc::text(format!("{dir} is better"))));
                }
                if items.is_empty() {
                    return self.leaf(m.span, Doc::text(header));
                }
                items.sort_by_key(|(span, _)| span.start);
                let (spans, items): (Vec<_>, Vec<_>) = items.into_iter().unzip();
                self.simple_block(m.span, &header, &spans, items, usize::MAX);
            }
            Decl::Segment(s) => {
                let header = self.named("segment", &s.name, s.label.as_ref());
                let (spans, items) = match &s.when {
                    Some(when) => (vec![when.span], vec![self.doc("when ", self.expr(when, 0))]),
                    None => (vec![], vec![]),
                };
                self.simple_block(s.span, &header, &spans, items, 1);
            }
            Decl::Journey(j) => self.journey(j),
            Decl::Expect(e) => {
                let mut header = format!("expect {}", self.target(&e.target));
                if !e.segments.is_empty() {
                    header.push_str(&format!(" for {}", names(&e.segments)));
                }
                self.clauses(e.span, &header, &e.clauses);
            }
            Decl::ExpectationSet(e) => {
                let header = self.named("expectations", &e.name, e.label.as_ref());
                self.clauses(e.span, &header, &e.clauses);
            }
            Decl::Escalate(e) => {
                let header = self.named("escalate", &e.name, e.label.as_ref());
                let mut items = Vec::new();
                if let Some(when) = &e.when {
                    items.push((when.span, self.doc("when ", self.expr(when, 0))));
                }
                for tier in &e.tiers {
                    items.push((tier.span, self.tier(tier)));
                }
                items.sort_by_key(|(span, _)| span.start);
                let (spans, items): (Vec<_>, Vec<_>) = items.into_iter().unzip();
                self.simple_block(e.span, &header, &spans, items, 1);
            }
            Decl::Test(t) => self.test(t),
        }
    }

    /// A block of leaf items: on one line when it has at most `one_line_max`
    /// items and fits, else one item per line.
    fn simple_block(
        &mut self,
        span: Span,
        header: &str,
        spans: &[Span],
        items: Vec<Doc>,
        one_line_max: usize,
    ) {
        if items.len() <= one_line_max {
            if let Some(line) = self.one_line(span, header, &items) {
                return self.leaf(span, Doc::text(line));
            }
        }
        let first = spans.first().map(|s| s.start);
        self.block(span, header, first, |p| {
            for (span, item) in spans.iter().zip(items) {
                p.leaf(*span, item);
            }
        });
    }

    fn named(&self, keyword: &str, name: &Ident, label: Option<&Text>) -> String {
        match label {
            Some(label) => format!("{keyword} {} {}", name.name, self.slice(label.span)),
            None => format!("{keyword} {}", name.name),
        }
    }

    fn setting(&self, s: &SourceSetting) -> String {
        let values: Vec<_> = s.values.iter().map(|v| self.slice(v.span)).collect();
        format!("{} {}", s.key.name, values.join(", "))
    }

    fn target(&self, t: &Target) -> String {
        match &t.step {
            Some(step) => format!("{}.{}", t.journey.name, step.name),
            None => format!("{}.*", t.journey.name),
        }
    }

    fn clauses(&mut self, span: Span, header: &str, clauses: &[Clause]) {
        let items: Vec<_> = clauses.iter().map(|c| Doc::text(self.clause(c))).collect();
        let spans: Vec<_> = clauses.iter().map(|c| c.span).collect();
        self.simple_block(span, header, &spans, items, 1);
    }

    fn clause(&self, c: &Clause) -> String {
        let else_ = |s: &Option<SeverityLit>| match s {
            Some(s) => format!(" else {}", severity(s.value)),
            None => String::new(),
        };
        match &c.kind {
            ClauseKind::Within {
                limit,
                anchor,
                severity,
            } => format!(
                "within {} {}{}",
                self.literal(limit.span),
                self.anchor(anchor),
                else_(severity)
            ),
            ClauseKind::WarnAfter { limit, anchor } => {
                format!(
                    "warn after {} {}",
                    self.literal(limit.span),
                    self.anchor(anchor)
                )
            }
            ClauseKind::Via { channels, severity } => {
                format!("via {}{}", names(channels), else_(severity))
            }
            ClauseKind::Metric {
                metric,
                op,
                value,
                severity,
            } => format!(
                "{} {} {}{}",
                metric.name,
                op.as_str(),
                self.literal(value.span),
                else_(severity)
            ),
            ClauseKind::AsksOnce { items, severity } => {
                let items = match items.is_empty() {
                    true => "*".to_string(),
                    false => names(items),
                };
                format!("asks_once {items}{}", else_(severity))
            }
            ClauseKind::Attempts {
                op,
                value,
                severity,
            } => format!(
                "attempts {} {}{}",
                op.as_str(),
                self.literal(value.span),
                else_(severity)
            ),
            ClauseKind::Use { set } => format!("use {}", set.name),
        }
    }

    fn anchor(&self, anchor: &Anchor) -> String {
        match anchor {
            Anchor::Step { step } => format!("after {}", step.name),
            Anchor::JourneyStart { .. } => "after journey start".to_string(),
        }
    }

    fn tier(&self, t: &Tier) -> Doc {
        let mut head = String::new();
        if t.is_then {
            head.push_str("then ");
        }
        head.push_str("notify ");
        head.push_str(self.slice(t.recipient.span));
        if let Some(s) = &t.severity {
            head.push_str(&format!(" severity {}", severity(s.value)));
        }
        if let Some(d) = &t.within {
            head.push_str(&format!(" within {}", self.literal(d.span)));
        }
        if let Some(d) = &t.after {
            head.push_str(&format!(" after {}", self.literal(d.span)));
        }
        match &t.unless {
            Some(unless) => self.doc(&format!("{head} unless "), self.expr(unless, 0)),
            None => Doc::text(head),
        }
    }

    // ---- journeys ------------------------------------------------------------

    fn journey(&mut self, j: &Journey) {
        let header = self.named("journey", &j.name, j.label.as_ref());
        if j.items.is_empty() && !self.has_comment_in(j.span) {
            return self.leaf(j.span, Doc::text(format!("{header} {{}}")));
        }
        let first = j.items.first().map(|i| item_span(i).start);
        self.block(j.span, &header, first, |p| {
            let steps: Vec<_> = j
                .items
                .iter()
                .map(|item| match item {
                    JourneyItem::Step(step) => Some(step),
                    _ => None,
                })
                .collect();
            let aligned = p.aligned_steps(&steps);
            for (item, step_line) in j.items.iter().zip(aligned) {
                match item {
                    JourneyItem::For { segments, span } => {
                        p.leaf(*span, Doc::text(format!("for {}", names(segments))))
                    }
                    JourneyItem::Goal(goal) => {
                        p.leaf(goal.span, Doc::text(format!("goal {}", goal.name)))
                    }
                    JourneyItem::AbandonAfter { after, span } => p.leaf(
                        *span,
                        Doc::text(format!("abandon after {}", p.literal(after.span))),
                    ),
                    JourneyItem::Stage(stage) => p.stage(stage),
                    JourneyItem::Step(step) => p.step(step, step_line),
                    JourneyItem::Path { path, span } => {
                        let doc = p.doc("path ", p.path(path, 0));
                        p.leaf(*span, doc)
                    }
                }
            }
        });
    }

    fn stage(&mut self, stage: &Stage) {
        let header = self.named("stage", &stage.name, stage.label.as_ref());
        if stage.steps.is_empty() && !self.has_comment_in(stage.span) {
            return self.leaf(stage.span, Doc::text(format!("{header} {{}}")));
        }
        let first = stage.steps.first().map(|s| s.span.start);
        self.block(stage.span, &header, first, |p| {
            let steps: Vec<_> = stage.steps.iter().map(Some).collect();
            let aligned = p.aligned_steps(&steps);
            for (step, line) in stage.steps.iter().zip(aligned) {
                p.step(step, line);
            }
        });
    }

    /// The one-line form of each step, with the `{` of a run of one-line steps
    /// (no blank line or comment line between them) in one column.
    fn aligned_steps(&self, steps: &[Option<&Step>]) -> Vec<Option<String>> {
        let forms: Vec<Option<(String, Vec<String>)>> = steps
            .iter()
            .map(|step| {
                let step = (*step)?;
                let header = self.named("step", &step.name, step.label.as_ref());
                let props: Vec<_> = step.props.iter().map(|p| self.step_prop(p)).collect();
                let docs: Vec<_> = props.iter().map(Doc::text).collect();
                self.one_line(step.span, &header, &docs)?;
                Some((header, props))
            })
            .collect();
        let mut lines = vec![None; steps.len()];
        let mut i = 0;
        while i < steps.len() {
            if forms[i].is_none() {
                i += 1;
                continue;
            }
            let mut end = i + 1;
            while end < steps.len()
                && forms[end].is_some()
                && self.adjacent(steps[end - 1], steps[end])
            {
                end += 1;
            }
            let width = forms[i..end]
                .iter()
                .flatten()
                .map(|(h, _)| h.chars().count())
                .max()
                .unwrap_or(0);
            for k in i..end {
                if let Some((header, props)) = &forms[k] {
                    let padded = format!("{header:width$}");
                    lines[k] = Some(match props.is_empty() {
                        true => header.clone(),
                        false => format!("{padded} {{ {} }}", props.join("; ")),
                    });
                }
            }
            i = end;
        }
        lines
    }

    /// Whether two steps stand on consecutive lines, with at most a comment at
    /// the end of the first one's line between them.
    fn adjacent(&self, a: Option<&Step>, b: Option<&Step>) -> bool {
        let (Some(a), Some(b)) = (a, b) else {
            return false;
        };
        let gap = self.slice(Span::new(a.span.end, b.span.start));
        let Some((same_line, next_lines)) = gap.split_once('\n') else {
            return false;
        };
        let before_comment = same_line.split('#').next().unwrap_or("");
        before_comment
            .chars()
            .all(|c| matches!(c, ' ' | '\t' | ';'))
            && next_lines.chars().all(|c| c == ' ' || c == '\t')
    }

    fn step(&mut self, step: &Step, line: Option<String>) {
        if let Some(line) = line {
            return self.leaf(step.span, Doc::text(line));
        }
        let header = self.named("step", &step.name, step.label.as_ref());
        if step.props.is_empty() && !self.has_comment_in(step.span) {
            return self.leaf(step.span, Doc::text(header));
        }
        let first = step.props.first().map(|p| prop_span(p).start);
        self.block(step.span, &header, first, |p| {
            for prop in &step.props {
                let text = p.step_prop(prop);
                p.leaf(prop_span(prop), Doc::text(text));
            }
        });
    }

    fn step_prop(&self, prop: &StepProp) -> String {
        match prop {
            StepProp::Via { channels, .. } => format!("via {}", names(channels)),
            StepProp::Owner(owner) => format!("owner {}", self.slice(owner.span)),
            StepProp::Match { names, .. } => {
                let names: Vec<_> = names.iter().map(|n| self.slice(n.span)).collect();
                format!("match {}", names.join(", "))
            }
            StepProp::Backstage(_) => "backstage".to_string(),
            StepProp::Frontstage(_) => "frontstage".to_string(),
            StepProp::Takes { min, max, .. } => {
                format!(
                    "takes {}..{}",
                    self.literal(min.span),
                    self.literal(max.span)
                )
            }
        }
    }

    // ---- tests ---------------------------------------------------------------

    fn test(&mut self, t: &TestCase) {
        let header = format!("test {}", self.slice(t.name.span));
        if t.items.is_empty() && !self.has_comment_in(t.span) {
            return self.leaf(t.span, Doc::text(format!("{header} {{}}")));
        }
        let first = t.items.first().map(|i| test_item_span(i).start);
        self.block(t.span, &header, first, |p| {
            let widths = p.event_widths(&t.items);
            for (item, width) in t.items.iter().zip(widths) {
                let doc = p.test_item(item, width);
                p.leaf(test_item_span(item), doc);
            }
        });
    }

    /// For each event of a run of events on consecutive lines, the width its
    /// `customer step` part is padded to, so that their `at`s stand in one column.
    fn event_widths(&self, items: &[TestItem]) -> Vec<usize> {
        let head = |item: &TestItem| match item {
            TestItem::Event(e) => Some(
                format!("{} {}", e.customer.name, self.event_name(e))
                    .chars()
                    .count(),
            ),
            _ => None,
        };
        let mut widths = vec![0; items.len()];
        let mut i = 0;
        while i < items.len() {
            let mut end = i;
            while end < items.len() && head(&items[end]).is_some() {
                let next_line = end == i || {
                    let gap = self.slice(Span::new(
                        test_item_span(&items[end - 1]).end,
                        test_item_span(&items[end]).start,
                    ));
                    gap.split_once('\n').is_some_and(|(same, next)| {
                        same.split('#')
                            .next()
                            .unwrap_or("")
                            .trim_matches([' ', '\t', ';'])
                            .is_empty()
                            && next.trim_matches([' ', '\t']).is_empty()
                    })
                };
                if !next_line {
                    break;
                }
                end += 1;
            }
            let width = items[i..end].iter().filter_map(head).max().unwrap_or(0);
            widths[i..end].iter_mut().for_each(|w| *w = width);
            i = end.max(i + 1);
        }
        widths
    }

    fn event_name(&self, e: &TestEvent) -> String {
        match &e.step {
            EventName::Step(step) => step.name.clone(),
            EventName::Raw(raw) => self.slice(raw.span).to_string(),
        }
    }

    fn test_item(&self, item: &TestItem, width: usize) -> Doc {
        match item {
            TestItem::Customer { id, attrs, .. } => {
                self.doc(&format!("customer {}", id.name), self.attrs(attrs))
            }
            TestItem::Event(e) => {
                let who = format!("{} {}", e.customer.name, self.event_name(e));
                let at = match &e.at {
                    TestTime::Absolute { span, .. } => self.literal(*span),
                    TestTime::Relative(d) => {
                        format!("+{}", self.literal(d.span).trim_start_matches('+'))
                    }
                };
                let mut head = format!("{who:width$} at {at}");
                if let Some(via) = &e.via {
                    head.push_str(&format!(" via {}", via.name));
                }
                self.doc(&head, self.attrs(&e.attrs))
            }
            TestItem::Expect(x) => {
                let what = match &x.kind {
                    TestExpectKind::Broken(t) => format!("broken {}", self.target(t)),
                    TestExpectKind::OffPath(j) => format!("off_path {}", j.name),
                    TestExpectKind::Reached(t) => format!("reached {}", self.target(t)),
                    TestExpectKind::Escalation(e) => format!("escalation {}", e.name),
                    TestExpectKind::Finding { kind, at } => match at {
                        Some(at) => format!("finding {} at {}", kind.name, self.target(at)),
                        None => format!("finding {}", kind.name),
                    },
                };
                let mut line = format!("expect {what}");
                if let Some(c) = &x.customer {
                    line.push_str(&format!(" for {}", c.name));
                }
                match &x.outcome {
                    Some(TestOutcome::None(_)) => line.push_str(" -> none"),
                    Some(TestOutcome::Recipient(r)) => {
                        line.push_str(&format!(" -> {}", self.slice(r.span)))
                    }
                    None => {}
                }
                Doc::text(line)
            }
        }
    }

    /// ` { a: 1, b: "x" }`, or nothing when there are no attributes.
    fn attrs(&self, attrs: &[(Ident, Expr)]) -> Doc {
        if attrs.is_empty() {
            return Doc::text("");
        }
        let mut parts = vec![Doc::text(" { ")];
        let mut inner = Vec::new();
        for (i, (name, value)) in attrs.iter().enumerate() {
            if i > 0 {
                inner.push(Doc::text(","));
                inner.push(Doc::Line(gap(attrs[i - 1].1.span, name.span)));
            }
            inner.push(Doc::text(format!("{}: ", name.name)));
            inner.push(self.expr(value, 0));
        }
        parts.push(Doc::align(Doc::Concat(inner)));
        parts.push(Doc::text(" }"));
        Doc::group(Doc::Concat(parts))
    }

    // ---- paths ---------------------------------------------------------------

    /// A path at precedence `min` or tighter: 0 alternatives, 1 `&`, 2 `->`,
    /// 3 postfix operators, 4 a step. Looser ones get parentheses.
    fn path(&self, p: &PathExpr, min: u8) -> Doc {
        let (prec, body) = match &p.kind {
            PathKind::Step { step } => (4, Doc::text(&step.name)),
            PathKind::Alt { branches } => {
                let mut parts = Vec::new();
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        let prev = &branches[i - 1];
                        let end = prev.weight.as_ref().map_or(prev.path.span, |w| w.span);
                        parts.push(Doc::Line(gap(end, b.path.span)));
                        parts.push(Doc::text("| "));
                    }
                    // `&` binds tighter than `|`, but reads better in parentheses there.
                    let mut branch = vec![self.path(&b.path, 2)];
                    if let Some(w) = &b.weight {
                        branch.push(Doc::text(format!(" {}", self.literal(w.span))));
                    }
                    parts.push(Doc::align(Doc::Concat(branch)));
                }
                (0, Doc::group(Doc::Concat(parts)))
            }
            PathKind::Parallel { branches } => (1, self.chain(branches, "& ", 2)),
            PathKind::Seq { parts } => (2, self.chain(parts, "-> ", 3)),
            PathKind::Optional { inner } => (3, self.postfix(inner, "?")),
            PathKind::Star { inner } => (3, self.postfix(inner, "*")),
            PathKind::Plus { inner } => (3, self.postfix(inner, "+")),
            PathKind::Repeat { inner, min, max } => {
                let bounds = match max {
                    Some(max) if max == min => format!("{{{min}}}"),
                    Some(max) => format!("{{{min},{max}}}"),
                    None => format!("{{{min},}}"),
                };
                (3, self.postfix(inner, &bounds))
            }
        };
        wrap(prec, min, body)
    }

    fn chain(&self, parts: &[PathExpr], sep: &str, min: u8) -> Doc {
        let mut docs = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                docs.push(Doc::Line(gap(parts[i - 1].span, part.span)));
                docs.push(Doc::text(sep));
            }
            docs.push(self.path(part, min));
        }
        Doc::group(Doc::Concat(docs))
    }

    fn postfix(&self, inner: &PathExpr, op: &str) -> Doc {
        Doc::Concat(vec![self.path(inner, 3), Doc::text(op)])
    }

    // ---- expressions ---------------------------------------------------------

    /// An expression at precedence `min` or tighter: 0 `or`, 1 `and`, 2 `not`,
    /// 3 comparisons, 4 values. Looser ones get parentheses.
    fn expr(&self, e: &Expr, min: u8) -> Doc {
        let (prec, body) = match &e.kind {
            ExprKind::Number { .. }
            | ExprKind::Text { .. }
            | ExprKind::Duration { .. }
            | ExprKind::Percent { .. }
            | ExprKind::Time { .. } => (4, Doc::text(self.literal(e.span))),
            ExprKind::Bool { value } => (4, Doc::text(value.to_string())),
            ExprKind::Path { parts, star } => {
                let mut text = parts
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(".");
                if star.is_some() {
                    text.push_str(".*");
                }
                (4, Doc::text(text))
            }
            ExprKind::List { items } => (4, self.list("[", items, "]")),
            ExprKind::Call { func, args } => (4, self.list(&format!("{}(", func.name), args, ")")),
            ExprKind::Not { inner } => {
                let space = Doc::Space(gap(Span::new(e.span.start, e.span.start), inner.span));
                (
                    2,
                    Doc::Concat(vec![Doc::text("not"), space, self.expr(inner, 2)]),
                )
            }
            ExprKind::Logic { op, .. } => {
                let (prec, word) = match op {
                    LogicOp::Or => (0, "or "),
                    LogicOp::And => (1, "and "),
                };
                let mut leaves = Vec::new();
                flatten(e, *op, &mut leaves);
                let operands: Vec<&Expr> = match same_shape(e, *op, &leaves) {
                    true => leaves,
                    // Written with parentheses that a flat chain would not rebuild.
                    false => match &e.kind {
                        ExprKind::Logic { lhs, rhs, .. } => vec![lhs, rhs],
                        _ => vec![e],
                    },
                };
                let mut parts = Vec::new();
                for (i, operand) in operands.iter().enumerate() {
                    if i > 0 {
                        parts.push(Doc::Line(gap(operands[i - 1].span, operand.span)));
                        parts.push(Doc::text(word));
                    }
                    parts.push(self.expr(operand, prec + 1));
                }
                (prec, Doc::group(Doc::Concat(parts)))
            }
            ExprKind::Compare { op, lhs, rhs } => (
                3,
                Doc::Concat(vec![
                    self.expr(lhs, 4),
                    Doc::Space(gap(lhs.span, rhs.span)),
                    Doc::text(format!("{} ", op.as_str())),
                    self.expr(rhs, 4),
                ]),
            ),
            ExprKind::In { lhs, list } => (
                3,
                Doc::Concat(vec![
                    self.expr(lhs, 4),
                    Doc::Space(gap(lhs.span, list.span)),
                    Doc::text("in "),
                    self.expr(list, 4),
                ]),
            ),
            ExprKind::Rate {
                condition,
                op,
                threshold,
                window,
            } => (
                3,
                Doc::Concat(vec![
                    self.expr(condition, 4),
                    Doc::text(format!(
                        " rate {} {} over {}",
                        op.as_str(),
                        self.literal(threshold.span),
                        self.literal(window.span)
                    )),
                ]),
            ),
        };
        wrap(prec, min, body)
    }

    fn list(&self, open: &str, items: &[Expr], close: &str) -> Doc {
        let mut inner = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                inner.push(Doc::text(","));
                inner.push(Doc::Line(gap(items[i - 1].span, item.span)));
            }
            inner.push(self.expr(item, 0));
        }
        Doc::group(Doc::Concat(vec![
            Doc::text(open),
            Doc::align(Doc::Concat(inner)),
            Doc::text(close),
        ]))
    }
}

/// The source between two operands: where a line break between them stands.
fn gap(before: Span, after: Span) -> Span {
    Span::new(before.end, after.start.max(before.end))
}

/// `body` aligned at its start, in parentheses when it binds looser than `min`.
fn wrap(prec: u8, min: u8, body: Doc) -> Doc {
    match prec < min {
        true => Doc::align(Doc::Concat(vec![Doc::text("("), body, Doc::text(")")])),
        false => Doc::align(body),
    }
}

/// The operands of a chain of `op`, left to right.
fn flatten<'e>(e: &'e Expr, op: LogicOp, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Logic { op: o, lhs, rhs } if *o == op => {
            flatten(lhs, op, out);
            flatten(rhs, op, out);
        }
        _ => out.push(e),
    }
}

/// Whether `e` is the tree the parser builds from the flat chain `leaves`
/// (see `balanced` in the syntax builder): then the chain is written without
/// parentheses.
fn same_shape(e: &Expr, op: LogicOp, leaves: &[&Expr]) -> bool {
    if let [leaf] = leaves {
        return std::ptr::eq(e, *leaf);
    }
    match &e.kind {
        ExprKind::Logic { op: o, lhs, rhs } if *o == op => {
            let (left, right) = leaves.split_at(leaves.len().div_ceil(2));
            same_shape(lhs, op, left) && same_shape(rhs, op, right)
        }
        _ => false,
    }
}

fn names(idents: &[Ident]) -> String {
    idents
        .iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Yellow => "yellow",
        Severity::Red => "red",
    }
}

/// The comments at the ends of consecutive lines start in one column, two
/// spaces after the longest of those lines. `at` are the byte offsets in `out`
/// where such comments start, in order.
fn align_trailing_comments(out: &str, at: &[usize]) -> String {
    // Each line cut in two: the code, and its comment if it ends with one.
    let mut lines: Vec<(&str, &str)> = Vec::new();
    let mut at = at.iter().peekable();
    let mut start = 0;
    for line in out.split_inclusive('\n') {
        let end = start + line.len();
        let line = line.trim_end_matches('\n');
        match at.next_if(|&&a| a < end) {
            Some(&a) => lines.push((&line[..a - start], &line[a - start..])),
            None => lines.push((line, "")),
        }
        start = end;
    }
    let mut result = String::with_capacity(out.len());
    let mut i = 0;
    while i < lines.len() {
        let mut end = i;
        while end < lines.len() && !lines[end].1.is_empty() {
            end += 1;
        }
        if end == i {
            result.push_str(lines[i].0);
            result.push('\n');
            i += 1;
            continue;
        }
        let column = lines[i..end]
            .iter()
            .map(|(code, _)| code.chars().count())
            .max()
            .unwrap_or(0)
            + 2;
        for (code, comment) in &lines[i..end] {
            result.push_str(&format!("{code:column$}{comment}\n"));
        }
        i = end;
    }
    result
}

/// A document laid out on one line.
fn flat(doc: &Doc) -> String {
    render(doc, 0, usize::MAX)
}

fn comment_text(c: &Comment) -> String {
    format!("#{}", c.text.trim_end())
}

fn item_span(item: &JourneyItem) -> Span {
    match item {
        JourneyItem::For { span, .. }
        | JourneyItem::AbandonAfter { span, .. }
        | JourneyItem::Path { span, .. } => *span,
        JourneyItem::Goal(goal) => goal.span,
        JourneyItem::Stage(stage) => stage.span,
        JourneyItem::Step(step) => step.span,
    }
}

fn prop_span(prop: &StepProp) -> Span {
    match prop {
        StepProp::Via { span, .. }
        | StepProp::Match { span, .. }
        | StepProp::Takes { span, .. } => *span,
        StepProp::Owner(owner) => owner.span,
        StepProp::Backstage(span) | StepProp::Frontstage(span) => *span,
    }
}

fn test_item_span(item: &TestItem) -> Span {
    match item {
        TestItem::Customer { span, .. } => *span,
        TestItem::Event(e) => e.span,
        TestItem::Expect(x) => x.span,
    }
}

impl Comment {
    /// Whether the comment starts inside `start..end`.
    fn start_in(&self, start: usize, end: usize) -> bool {
        start <= self.span.start && self.span.start < end
    }
}
