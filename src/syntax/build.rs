//! Building the AST from pest's parse tree, one declaration at a time.
//!
//! The grammar guarantees the shape of the tree, so a missing child is a grammar/
//! builder mismatch: the builder then drops the declaration rather than panic.
//! Literal values the grammar only roughly checks (durations, numbers, timestamps,
//! repetition bounds) are validated here, with their own diagnostics.

use super::ast::*;
use super::literal;
use super::parser::Rule;
use super::span::Spanned;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::Span;
use pest::iterators::{Pair, Pairs};

pub(crate) type P<'i> = Pair<'i, Rule>;

/// Builds declarations from pairs whose offsets are relative to a chunk at `offset`.
pub(crate) struct Builder<'d> {
    pub(crate) offset: usize,
    pub(crate) diagnostics: &'d mut Vec<Diagnostic>,
}

impl<'d> Builder<'d> {
    /// A builder for a chunk starting at byte `offset` of the file.
    pub(crate) fn new(offset: usize, diagnostics: &'d mut Vec<Diagnostic>) -> Self {
        Builder {
            offset,
            diagnostics,
        }
    }

    /// The file span of `pair`.
    /// The file span of `pair`, without the blanks and comments pest's implicit
    /// whitespace leaves at its end, so labels underline exactly what was written.
    pub(crate) fn span(&self, pair: &P<'_>) -> Span {
        let s = pair.as_span();
        let len = trimmed_len(pair.as_str());
        Span::new(s.start() + self.offset, s.start() + len + self.offset)
    }

    /// `decl_entry = { SOI ~ decl ~ EOI }`
    pub(crate) fn decl_entry(&mut self, entry: P<'_>) -> Option<Decl> {
        let decl = entry.into_inner().find(|p| p.as_rule() != Rule::EOI)?;
        self.decl(decl)
    }

    fn decl(&mut self, pair: P<'_>) -> Option<Decl> {
        Some(match pair.as_rule() {
            Rule::use_decl => Decl::Use(self.use_decl(pair)?),
            Rule::source_decl => Decl::Source(self.source_decl(pair)),
            Rule::metric_decl => Decl::Metric(self.metric_decl(pair)?),
            Rule::segment_decl => Decl::Segment(self.segment_decl(pair)?),
            Rule::journey_decl => Decl::Journey(self.journey_decl(pair)?),
            Rule::expect_decl => Decl::Expect(self.expect_decl(pair)?),
            Rule::expectations_decl => Decl::ExpectationSet(self.expectations_decl(pair)?),
            Rule::escalate_decl => Decl::Escalate(self.escalate_decl(pair)?),
            Rule::test_decl => Decl::Test(self.test_decl(pair)?),
            _ => return None,
        })
    }

    pub(crate) fn ident(&self, pair: &P<'_>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(pair),
        }
    }

    pub(crate) fn text(&self, pair: &P<'_>) -> Text {
        let raw = pair
            .clone()
            .into_inner()
            .next()
            .map_or("", |inner| inner.as_str());
        Text {
            value: literal::unescape(raw),
            span: self.span(pair),
        }
    }

    /// The text of an optional `label` child.
    fn label(&self, pair: &P<'_>) -> Option<Text> {
        children(pair, Rule::label)
            .next()
            .and_then(|l| l.into_inner().next())
            .map(|s| self.text(&s))
    }

    /// The first `ident` child: the name of a declaration.
    fn name(&self, pair: &P<'_>) -> Option<Ident> {
        children(pair, Rule::ident).next().map(|p| self.ident(&p))
    }

    fn use_decl(&mut self, pair: P<'_>) -> Option<Use> {
        if let Some(file) = children(&pair, Rule::string).next() {
            return Some(Use {
                path: Vec::new(),
                file: Some(self.text(&file)),
                span: self.span(&pair),
            });
        }
        let path = children(&pair, Rule::module_path).next()?;
        Some(Use {
            path: path.into_inner().map(|p| self.ident(&p)).collect(),
            file: None,
            span: self.span(&pair),
        })
    }

    fn source_decl(&mut self, pair: P<'_>) -> Source {
        let settings = children(&pair, Rule::source_setting)
            .filter_map(|setting| {
                let key = self.name(&setting)?;
                let values = children(&setting, Rule::string)
                    .map(|s| self.text(&s))
                    .collect();
                Some(SourceSetting {
                    key,
                    values,
                    span: self.span(&setting),
                })
            })
            .collect();
        Source {
            settings,
            span: self.span(&pair),
        }
    }

    fn metric_decl(&mut self, pair: P<'_>) -> Option<Metric> {
        let mut range = None;
        let mut better = None;
        for prop in pair.clone().into_inner() {
            match prop.as_rule() {
                Rule::metric_range => {
                    let mut nums = children(&prop, Rule::number);
                    let lo = self.number(&nums.next()?);
                    let hi = self.number(&nums.next()?);
                    range = Some((lo, hi));
                }
                Rule::metric_better => {
                    let dir = children(&prop, Rule::better_dir).next()?;
                    let value = if dir.as_str() == "higher" {
                        Better::Higher
                    } else {
                        Better::Lower
                    };
                    better = Some(Spanned::new(value, self.span(&prop)));
                }
                _ => {}
            }
        }
        Some(Metric {
            name: self.name(&pair)?,
            label: self.label(&pair),
            range,
            better,
            span: self.span(&pair),
        })
    }

    fn segment_decl(&mut self, pair: P<'_>) -> Option<Segment> {
        let when = match children(&pair, Rule::when_clause).next() {
            Some(clause) => Some(self.expr(children(&clause, Rule::expr).next()?)?),
            None => None,
        };
        Some(Segment {
            name: self.name(&pair)?,
            label: self.label(&pair),
            when,
            span: self.span(&pair),
        })
    }

    fn journey_decl(&mut self, pair: P<'_>) -> Option<Journey> {
        let mut items = Vec::new();
        for item in pair.clone().into_inner() {
            let span = self.span(&item);
            let built = match item.as_rule() {
                Rule::for_clause => JourneyItem::For {
                    segments: children(&item, Rule::ident)
                        .map(|p| self.ident(&p))
                        .collect(),
                    span,
                },
                Rule::goal_clause => JourneyItem::Goal(self.name(&item)?),
                Rule::abandon_clause => JourneyItem::AbandonAfter {
                    after: self.duration(&children(&item, Rule::duration).next()?),
                    span,
                },
                Rule::stage_decl => JourneyItem::Stage(self.stage_decl(item)?),
                Rule::step_decl => JourneyItem::Step(self.step_decl(item)?),
                Rule::path_clause => JourneyItem::Path {
                    path: self.path_alt(children(&item, Rule::path_alt).next()?)?,
                    span,
                },
                _ => continue,
            };
            items.push(built);
        }
        Some(Journey {
            name: self.name(&pair)?,
            label: self.label(&pair),
            items,
            span: self.span(&pair),
        })
    }

    fn stage_decl(&mut self, pair: P<'_>) -> Option<Stage> {
        let steps = children(&pair, Rule::step_decl)
            .map(|s| self.step_decl(s))
            .collect::<Option<Vec<_>>>()?;
        Some(Stage {
            name: self.name(&pair)?,
            label: self.label(&pair),
            steps,
            span: self.span(&pair),
        })
    }

    fn step_decl(&mut self, pair: P<'_>) -> Option<Step> {
        let mut props = Vec::new();
        for prop in pair.clone().into_inner() {
            let span = self.span(&prop);
            props.push(match prop.as_rule() {
                Rule::via_prop => StepProp::Via {
                    channels: children(&prop, Rule::ident)
                        .map(|p| self.ident(&p))
                        .collect(),
                    span,
                },
                Rule::owner_prop => {
                    StepProp::Owner(self.text(&children(&prop, Rule::string).next()?))
                }
                Rule::match_prop => StepProp::Match {
                    names: children(&prop, Rule::string)
                        .map(|p| self.text(&p))
                        .collect(),
                    span,
                },
                Rule::backstage_prop => StepProp::Backstage(span),
                Rule::frontstage_prop => StepProp::Frontstage(span),
                Rule::takes_prop => {
                    let mut ds = children(&prop, Rule::duration);
                    let min = self.duration(&ds.next()?);
                    let max = self.duration(&ds.next()?);
                    StepProp::Takes { min, max, span }
                }
                _ => continue,
            });
        }
        Some(Step {
            name: self.name(&pair)?,
            label: self.label(&pair),
            props,
            span: self.span(&pair),
        })
    }

    pub(crate) fn target(&self, pair: &P<'_>) -> Option<Target> {
        let mut inner = pair.clone().into_inner();
        let journey = self.ident(&inner.next()?);
        let step = inner
            .next()
            .filter(|p| p.as_rule() == Rule::ident)
            .map(|p| self.ident(&p));
        Some(Target {
            journey,
            step,
            span: self.span(pair),
        })
    }

    fn expect_decl(&mut self, pair: P<'_>) -> Option<Expect> {
        let target = self.target(&children(&pair, Rule::target).next()?)?;
        let segments = children(&pair, Rule::ident)
            .map(|p| self.ident(&p))
            .collect();
        Some(Expect {
            target,
            segments,
            clauses: self.clauses(pair.clone().into_inner())?,
            span: self.span(&pair),
        })
    }

    fn expectations_decl(&mut self, pair: P<'_>) -> Option<ExpectationSet> {
        Some(ExpectationSet {
            name: self.name(&pair)?,
            label: self.label(&pair),
            clauses: self.clauses(pair.clone().into_inner())?,
            span: self.span(&pair),
        })
    }

    fn escalate_decl(&mut self, pair: P<'_>) -> Option<Escalation> {
        let mut when = None;
        let mut tiers = Vec::new();
        for item in pair.clone().into_inner() {
            match item.as_rule() {
                Rule::when_clause if when.is_none() => {
                    when = Some(self.expr(children(&item, Rule::expr).next()?)?)
                }
                Rule::tier => tiers.push(self.tier(item)?),
                _ => {}
            }
        }
        Some(Escalation {
            name: self.name(&pair)?,
            label: self.label(&pair),
            when,
            tiers,
            span: self.span(&pair),
        })
    }

    fn tier(&mut self, pair: P<'_>) -> Option<Tier> {
        let mut tier = Tier {
            is_then: children(&pair, Rule::k_then).next().is_some(),
            recipient: self.text(&children(&pair, Rule::string).next()?),
            severity: None,
            within: None,
            after: None,
            unless: None,
            span: self.span(&pair),
        };
        for option in pair.into_inner() {
            match option.as_rule() {
                Rule::tier_severity => {
                    tier.severity = self.severity(&children(&option, Rule::severity).next()?)
                }
                Rule::tier_within => {
                    tier.within = Some(self.duration(&children(&option, Rule::duration).next()?))
                }
                Rule::tier_after => {
                    tier.after = Some(self.duration(&children(&option, Rule::duration).next()?))
                }
                Rule::tier_unless => {
                    tier.unless = Some(self.expr(children(&option, Rule::expr).next()?)?)
                }
                _ => {}
            }
        }
        Some(tier)
    }

    pub(crate) fn severity(&self, pair: &P<'_>) -> Option<SeverityLit> {
        let value = match pair.as_str() {
            "yellow" => Severity::Yellow,
            _ => Severity::Red,
        };
        Some(SeverityLit {
            value,
            span: self.span(pair),
        })
    }

    /// The `else yellow|red` child of a clause, if any.
    pub(crate) fn else_severity(&self, pair: &P<'_>) -> Option<SeverityLit> {
        let else_pair = children(pair, Rule::else_severity).next()?;
        let sev = children(&else_pair, Rule::severity).next()?;
        self.severity(&sev)
    }

    pub(crate) fn duration(&mut self, pair: &P<'_>) -> Duration {
        let span = self.span(pair);
        let seconds = match literal::duration_seconds(pair.as_str()) {
            Ok(s) => s,
            Err(problem) => {
                self.diagnostics.push(problem.diagnostic(span));
                0
            }
        };
        Duration { seconds, span }
    }

    pub(crate) fn number(&mut self, pair: &P<'_>) -> Number {
        let span = self.span(pair);
        let value = match literal::number(pair.as_str()) {
            Ok(v) => v,
            Err(d) => {
                self.diagnostics.push(d.with_label(span, "this number"));
                0.0
            }
        };
        Number { value, span }
    }

    pub(crate) fn percent(&mut self, pair: &P<'_>) -> Percent {
        let text = pair.as_str().trim_end_matches('%');
        let span = self.span(pair);
        let value = literal::number(text).unwrap_or_else(|d| {
            self.diagnostics.push(d.with_label(span, "this percentage"));
            0.0
        });
        Percent { value, span }
    }

    fn test_decl(&mut self, pair: P<'_>) -> Option<TestCase> {
        let mut items = Vec::new();
        for item in pair.clone().into_inner() {
            let span = self.span(&item);
            items.push(match item.as_rule() {
                Rule::test_customer => TestItem::Customer {
                    id: self.name(&item)?,
                    attrs: self.attr_block(&item)?,
                    span,
                },
                Rule::test_event => TestItem::Event(self.test_event(item)?),
                Rule::test_expect => TestItem::Expect(self.test_expect(item)?),
                _ => continue,
            });
        }
        Some(TestCase {
            name: self.text(&children(&pair, Rule::string).next()?),
            items,
            span: self.span(&pair),
        })
    }

    fn attr_block(&mut self, pair: &P<'_>) -> Option<Vec<(Ident, Expr)>> {
        let Some(block) = children(pair, Rule::attr_block).next() else {
            return Some(Vec::new());
        };
        let mut attrs = Vec::new();
        for attr in block.into_inner() {
            let mut inner = attr.into_inner();
            let key = self.ident(&inner.next()?);
            let value = self.expr(inner.next()?)?;
            attrs.push((key, value));
        }
        Some(attrs)
    }

    fn test_event(&mut self, pair: P<'_>) -> Option<TestEvent> {
        let mut customer = None;
        let mut step = None;
        let mut at = None;
        let mut via = None;
        for part in pair.clone().into_inner() {
            match part.as_rule() {
                Rule::ident if customer.is_none() => customer = Some(self.ident(&part)),
                Rule::ident => via = Some(self.ident(&part)),
                Rule::event_step => {
                    step = Some(EventName::Step(self.ident(&part.into_inner().next()?)))
                }
                Rule::event_raw => {
                    step = Some(EventName::Raw(self.text(&part.into_inner().next()?)))
                }
                Rule::timestamp => {
                    let span = self.span(&part);
                    at = Some(TestTime::Absolute {
                        value: self.timestamp(&part),
                        span,
                    });
                }
                Rule::relative_time => {
                    at = Some(TestTime::Relative(
                        self.duration(&part.into_inner().next()?),
                    ))
                }
                _ => {}
            }
        }
        Some(TestEvent {
            customer: customer?,
            step: step?,
            at: at?,
            via,
            attrs: self.attr_block(&pair)?,
            span: self.span(&pair),
        })
    }

    pub(crate) fn timestamp(&mut self, pair: &P<'_>) -> jiff::Timestamp {
        match literal::timestamp(pair.as_str()) {
            Ok(ts) => ts,
            Err(d) => {
                self.diagnostics
                    .push(d.with_label(self.span(pair), "this timestamp"));
                jiff::Timestamp::UNIX_EPOCH
            }
        }
    }

    fn test_expect(&mut self, pair: P<'_>) -> Option<TestExpect> {
        let mut kind = None;
        let mut customer = None;
        let mut outcome = None;
        for part in pair.clone().into_inner() {
            match part.as_rule() {
                Rule::expect_broken => {
                    kind = Some(TestExpectKind::Broken(
                        self.target(&children(&part, Rule::target).next()?)?,
                    ))
                }
                Rule::expect_reached => {
                    kind = Some(TestExpectKind::Reached(
                        self.target(&children(&part, Rule::target).next()?)?,
                    ))
                }
                Rule::expect_off_path => kind = Some(TestExpectKind::OffPath(self.name(&part)?)),
                Rule::expect_escalation => {
                    kind = Some(TestExpectKind::Escalation(self.name(&part)?))
                }
                Rule::expect_finding => {
                    let at = match children(&part, Rule::target).next() {
                        Some(t) => Some(self.target(&t)?),
                        None => None,
                    };
                    kind = Some(TestExpectKind::Finding {
                        kind: self.name(&part)?,
                        at,
                    });
                }
                Rule::ident => customer = Some(self.ident(&part)),
                Rule::outcome => {
                    let inner = part.clone().into_inner().next()?;
                    outcome = Some(match inner.as_rule() {
                        Rule::string => TestOutcome::Recipient(self.text(&inner)),
                        _ => TestOutcome::None(self.span(&part)),
                    });
                }
                _ => {}
            }
        }
        Some(TestExpect {
            kind: kind?,
            customer,
            outcome,
            span: self.span(&pair),
        })
    }
}

/// The direct children of `pair` with rule `rule`.
pub(crate) fn children<'i>(pair: &P<'i>, rule: Rule) -> impl Iterator<Item = P<'i>> {
    let inner: Pairs<'i, Rule> = pair.clone().into_inner();
    inner.filter(move |p| p.as_rule() == rule)
}

/// The length of `text` without trailing blanks and trailing `#` comments.
fn trimmed_len(text: &str) -> usize {
    let mut end = text.trim_end().len();
    loop {
        let body = &text[..end];
        let line_start = body.rfind('\n').map_or(0, |i| i + 1);
        match comment_start(&body[line_start..]) {
            Some(hash) => end = body[..line_start + hash].trim_end().len(),
            None => return end,
        }
    }
}

/// Where a `#` comment starts in one line, outside string literals.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if in_string && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => in_string = !in_string,
            '#' if !in_string => return Some(i),
            _ => {}
        }
        escaped = false;
    }
    None
}
