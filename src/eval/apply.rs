//! Applying one customer's events: duplicates and lateness, the reorder buffer,
//! then for each journey step the event means: open or advance the instance,
//! check the step's expectations, fulfil and open time limits.

use super::checks;
use super::condition::{self, Facts};
use super::escalate;
use super::finding::{Evidence, Finding, FindingKind, Level};
use super::instance::{Activation, ActivationState, CustomerState, Instance, Segments};
use super::tally::{timestamp, RuleRef, Site, Tally, Verdict};
use super::timers;
use crate::compile::{AnchorRef, Check, CompiledJourney, NodeIndex, PolicyIndex, Program, StepId};
use crate::events::{CustomerId, Event, Names, Symbol, Value};
use rustc_hash::FxHashMap;

/// What every step of the evaluation reads and never changes.
pub(crate) struct Context<'a> {
    pub program: &'a Program,
    pub index: &'a PolicyIndex,
    pub names: &'a Names,
    pub profiles: &'a FxHashMap<CustomerId, Vec<(Symbol, Value)>>,
    pub lateness_ms: i64,
    /// What is computed of alignments.
    pub alignments: super::align::Alignments,
}

impl Context<'_> {
    /// The journey steps an event name means.
    #[inline]
    pub(crate) fn route(&self, name: Symbol) -> &[(usize, StepId)] {
        self.index.route(name)
    }

    /// Evidence for an event.
    pub(crate) fn evidence(
        &self,
        name: Symbol,
        time: i64,
        line: u64,
        role: &'static str,
    ) -> Evidence {
        Evidence {
            event: self.names.words.resolve(name).to_string(),
            time: timestamp(time),
            line,
            role,
        }
    }
}

/// Take one event of a customer: drop duplicates, apply late events where they
/// can be, and put the rest in order through the reorder buffer.
#[inline]
pub(crate) fn receive(
    ctx: &Context<'_>,
    cust: &mut CustomerState,
    tally: &mut Tally,
    event: Event,
    t: i64,
    out: &mut Vec<Finding>,
) {
    let key = (event.name, t, event.channel);
    // Only an event no newer than what was applied can repeat an applied one.
    let duplicate = (t <= cust.applied_max && cust.recent.contains(&key))
        || cust
            .buffer
            .iter()
            .any(|(ms, e)| (e.name, *ms, e.channel) == key);
    if duplicate {
        duplicate_event(ctx, cust, tally, &event, out);
        return;
    }
    if t < cust.applied_max {
        late_event(ctx, cust, tally, &event, out);
        return;
    }
    cust.max_seen = cust.max_seen.max(t);
    let until = cust.max_seen - ctx.lateness_ms;
    // Mostly in order: what is due goes first, then this event goes at the
    // back (or straight in, when nothing waits and it is due), without a search
    // or a shift. The order of application is the same as buffering it first.
    if cust.buffer.last().is_none_or(|(ms, _)| *ms <= t) {
        release(ctx, cust, tally, until, out);
        if cust.buffer.is_empty() && t <= until {
            apply_event(ctx, cust, tally, &event, t, out);
        } else {
            cust.buffer.push((t, event));
        }
        return;
    }
    let at = cust.buffer.partition_point(|(ms, _)| *ms <= t);
    cust.buffer.insert(at, (t, event));
    release(ctx, cust, tally, until, out);
}

/// A record seen before: reported, not applied again.
#[cold]
#[inline(never)]
fn duplicate_event(
    ctx: &Context<'_>,
    cust: &CustomerState,
    tally: &mut Tally,
    event: &Event,
    out: &mut Vec<Finding>,
) {
    let message = format!(
        "`{}` recorded twice at the same time",
        ctx.names.words.resolve(event.name)
    );
    let f = input_finding(
        ctx,
        cust,
        event,
        FindingKind::DuplicateEvent,
        Level::Info,
        message,
    );
    tally.emit(Site::input(), f, out);
}

/// An event older than what was already applied: reported, and applied where
/// order does not matter.
#[cold]
#[inline(never)]
fn late_event(
    ctx: &Context<'_>,
    cust: &mut CustomerState,
    tally: &mut Tally,
    event: &Event,
    out: &mut Vec<Finding>,
) {
    let message = format!(
        "`{}` arrived after events up to {} were applied: more than the lateness window out of order",
        ctx.names.words.resolve(event.name),
        timestamp(cust.applied_max)
    );
    let f = input_finding(
        ctx,
        cust,
        event,
        FindingKind::LateEvent,
        Level::Yellow,
        message,
    );
    tally.emit(Site::input(), f, out);
    apply_late(ctx, cust, tally, event, out);
}

/// A finding about an event as input (not about a journey), with the event as
/// its evidence.
fn input_finding(
    ctx: &Context<'_>,
    cust: &CustomerState,
    event: &Event,
    kind: FindingKind,
    level: Level,
    message: String,
) -> Finding {
    let mut f = Finding::new(kind, level, event.time, message);
    f.customer = Some(ctx.names.customers.resolve(cust.id).to_string());
    f.with_event(ctx, event, "event")
}

/// Apply buffered events up to `until` (ms, inclusive).
pub(crate) fn release(
    ctx: &Context<'_>,
    cust: &mut CustomerState,
    tally: &mut Tally,
    until: i64,
    out: &mut Vec<Finding>,
) {
    while cust.buffer.first().is_some_and(|(ms, _)| *ms <= until) {
        // Mostly the only one: taken without shifting the rest (with one
        // element, `swap_remove` is a plain pop; order matters with more).
        let (t, event) = if cust.buffer.len() == 1 {
            cust.buffer.swap_remove(0)
        } else {
            cust.buffer.remove(0)
        };
        apply_event(ctx, cust, tally, &event, t, out);
    }
}

/// A late event still counts where order does not matter: its attributes, its
/// channel and metric checks. It does not move the customer along the path.
fn apply_late(
    ctx: &Context<'_>,
    cust: &mut CustomerState,
    tally: &mut Tally,
    event: &Event,
    out: &mut Vec<Finding>,
) {
    learn(ctx, cust, event);
    for &(j, step) in ctx.route(event.name) {
        if let Some(k) = cust
            .instances
            .iter()
            .position(|i| i.journey == j && !i.ended)
        {
            let mut inst = cust.instances.swap_remove(k);
            let at = checks::StepCheck {
                ctx,
                cust,
                step,
                event,
                time: event.time.as_millisecond(),
            };
            checks::order_free(&at, &mut inst, tally, out);
            cust.instances.push(inst);
        }
    }
}

/// Merge an event's attributes into what is known of the customer. Only the
/// attributes some condition of the policy reads are kept: the rest (a survey
/// score, what was asked) describe the event, not the customer.
fn learn(ctx: &Context<'_>, cust: &mut CustomerState, event: &Event) {
    for (key, value) in &event.attrs {
        if !ctx.index.is_customer_attr(*key) {
            continue;
        }
        match cust.attrs.iter_mut().find(|(k, _)| k == key) {
            Some(slot) if slot.1 != *value => slot.1 = value.clone(),
            Some(_) => {}
            None => cust.attrs.push((*key, value.clone())),
        }
    }
}

#[inline(never)]
fn apply_event(
    ctx: &Context<'_>,
    cust: &mut CustomerState,
    tally: &mut Tally,
    event: &Event,
    t: i64,
    out: &mut Vec<Finding>,
) {
    learn(ctx, cust, event);
    cust.applied_max = cust.applied_max.max(t);
    cust.recent.push((event.name, t, event.channel));
    for &(j, step) in ctx.route(event.name) {
        // Deadlines strictly before this event fire first: `within` is inclusive.
        timers::fire_journey(ctx, cust, tally, j, t, out);
        let k = match cust
            .instances
            .iter()
            .position(|i| i.journey == j && !i.ended)
        {
            Some(k) => k,
            None => match open(ctx, cust, tally, j, event, t) {
                Some(k) => k,
                None => continue,
            },
        };
        let mut inst = cust.instances.swap_remove(k);
        let at = checks::StepCheck {
            ctx,
            cust,
            step,
            event,
            time: t,
        };
        on_step(&at, &mut inst, tally, out);
        let journey = &ctx.program.journeys[j];
        if inst.at_end(journey) {
            close(ctx, cust, &mut inst, tally, true);
        }
        // An ended instance stays only while escalation tiers are still due.
        if !inst.ended || inst.escalations.iter().any(|x| x.due != i64::MAX) {
            cust.instances.push(inst);
        } else {
            cust.retire(inst);
        }
    }
}

/// Open an instance of journey `j` if the customer is in one of its segments.
#[inline(never)]
fn open(
    ctx: &Context<'_>,
    cust: &mut CustomerState,
    tally: &mut Tally,
    j: usize,
    event: &Event,
    t: i64,
) -> Option<usize> {
    let journey = &ctx.program.journeys[j];
    let facts = CustomerFacts::new(ctx, cust, None);
    let segments: Segments = (0..ctx.program.segments.len())
        .filter(|&i| facts.in_segment(i))
        .collect();
    if !ctx.index.journey_scope[j].admits(&segments) {
        tally.out_of_segment();
        return None;
    }
    let number = cust.next_number(j);
    let mut inst = match cust.spare.take() {
        Some(mut inst) => {
            inst.restart(j, journey, number, t, segments);
            inst
        }
        None => Box::new(Instance::new(j, journey, number, t, segments)),
    };
    inst.activations
        .reserve_exact(ctx.index.activations_hint[j]);
    for &e in &ctx.index.anchored_at_start[j] {
        // The opening event anchors `after journey start`, and is its evidence.
        activate(ctx, &mut inst, e, t, event.name, event.origin.line);
    }
    tally.entered(j);
    cust.instances.push(inst);
    Some(cust.instances.len() - 1)
}

/// Open a time limit anchored at `t`, if it applies to the instance's segments.
fn activate(ctx: &Context<'_>, inst: &mut Instance, e: usize, t: i64, name: Symbol, line: u64) {
    let expectation = &ctx.program.expectations[e];
    if !in_scope(ctx, e, inst) {
        return;
    }
    let limit = match expectation.check {
        Check::Within { limit, .. } | Check::WarnAfter { limit, .. } => limit,
        _ => return,
    };
    let due = t.saturating_add((limit as i64).saturating_mul(1000));
    inst.expect_due(due);
    inst.activations.push(Activation {
        expectation: e,
        anchor: t,
        anchor_event: name,
        anchor_line: line,
        due,
        state: ActivationState::Pending,
    });
}

/// True when expectation `e` applies to the instance's segments.
#[inline]
pub(crate) fn in_scope(ctx: &Context<'_>, e: usize, inst: &Instance) -> bool {
    ctx.index.expectation_scope[e].admits(&inst.segments)
}

/// The customer met `step` of the instance's journey.
fn on_step(
    at: &checks::StepCheck<'_>,
    inst: &mut Instance,
    tally: &mut Tally,
    out: &mut Vec<Finding>,
) {
    let checks::StepCheck {
        ctx,
        cust,
        step,
        event,
        time: t,
    } = *at;
    let journey = &ctx.program.journeys[inst.journey];
    advance(ctx, cust, inst, tally, step, event, out);
    let s = step.index();
    inst.steps[s].visits = inst.steps[s].visits.saturating_add(1);
    tally.visit(inst.journey, step, t);
    checks::order_free(at, inst, tally, out);
    checks::attempts(at, inst, tally, out);
    checks::since_anchor(at, inst, tally, out);
    checks::fulfil(at, inst, tally, out);
    inst.steps[s].last_seen = t;
    inst.last_progress = t;
    for &e in &*ctx.index.step_rules(inst.journey, step).anchored_at {
        if ctx.program.expectations[e].step != Some(step) {
            activate(ctx, inst, e, t, event.name, event.origin.line);
        }
    }
    if journey.goal == Some(step) && !inst.reached_goal {
        inst.reached_goal = true;
        tally.reached_goal(inst.journey, t - inst.started);
    }
    escalate::check_customer(ctx, cust, inst, tally, t);
}

/// Move the instance along its graph, reporting steps the path does not allow.
fn advance(
    ctx: &Context<'_>,
    cust: &CustomerState,
    inst: &mut Instance,
    tally: &mut Tally,
    step: StepId,
    event: &Event,
    out: &mut Vec<Finding>,
) {
    let journey = &ctx.program.journeys[inst.journey];
    journey
        .graph
        .advance_into(&inst.positions, step, &mut inst.scratch);
    if ctx.alignments != super::align::Alignments::Off {
        let t = event.time.as_millisecond();
        let fits = !inst.scratch.is_empty();
        inst.alignment.step(&journey.graph, step, t, fits);
    }
    if !inst.scratch.is_empty() {
        std::mem::swap(&mut inst.positions, &mut inst.scratch);
        return;
    }
    off_path_step(ctx, cust, inst, tally, step, event, out);
}

/// The path does not allow `step` here: report it, and re-synchronise.
#[cold]
#[inline(never)]
fn off_path_step(
    ctx: &Context<'_>,
    cust: &CustomerState,
    inst: &mut Instance,
    tally: &mut Tally,
    step: StepId,
    event: &Event,
    out: &mut Vec<Finding>,
) {
    let journey = &ctx.program.journeys[inst.journey];
    let name = journey.step_name(step);
    let from: Vec<NodeIndex> = inst
        .positions
        .iter()
        .map(|&n| NodeIndex::new(n as usize))
        .collect();
    let skipped = journey.graph.shortest_path_to(&from, step);
    if skipped.is_none() && inst.steps[step.index()].visits > 0 {
        let allowed = inst.steps[step.index()].visits;
        let message = format!(
            "`{name}` again: the path does not allow visit {} here",
            allowed + 1
        );
        off_path_at(
            ctx,
            cust,
            inst,
            tally,
            FindingKind::TooManyRepeats,
            step,
            event,
            message,
            out,
        );
        return;
    }
    let message = match &skipped {
        Some(steps) if !steps.is_empty() => {
            let names: Vec<String> = steps
                .iter()
                .map(|s| format!("`{}`", journey.step_name(*s)))
                .collect();
            format!("`{name}` came without {} first", names.join(", "))
        }
        _ => format!(
            "`{name}` is out of order here: {}",
            position_text(journey, inst)
        ),
    };
    off_path_at(
        ctx,
        cust,
        inst,
        tally,
        FindingKind::UnexpectedStep,
        step,
        event,
        message,
        out,
    );
    // Re-synchronise at the step, as token replay does, and go on.
    inst.positions = journey
        .graph
        .nodes_of(step)
        .iter()
        .map(|n| n.index() as u32)
        .collect();
}

/// Report an off-path finding (yellow) at `step`, with `event` as its evidence.
#[expect(
    clippy::too_many_arguments,
    reason = "a finding names customer, journey, instance, step, time, level and kind"
)]
fn off_path_at(
    ctx: &Context<'_>,
    cust: &CustomerState,
    inst: &mut Instance,
    tally: &mut Tally,
    kind: FindingKind,
    step: StepId,
    event: &Event,
    message: String,
    out: &mut Vec<Finding>,
) {
    let t = event.time.as_millisecond();
    let f = finding(ctx, cust, inst, kind, Level::Yellow, t, Some(step), message);
    let (site, rule) = (Site::step(inst.journey, step), RuleRef::Path(inst.journey));
    let f = f.with_event(ctx, event, "event");
    report_by(ctx, inst, tally, f, site, rule, out);
}

/// "after `decide`" or "at the start".
fn position_text(journey: &CompiledJourney, inst: &Instance) -> String {
    let mut names: Vec<&str> = inst
        .positions
        .iter()
        .filter_map(|&n| journey.graph.step(NodeIndex::new(n as usize)))
        .map(|s| journey.step_name(s))
        .collect();
    names.dedup();
    if names.is_empty() {
        "the journey has not started".to_string()
    } else {
        format!("it cannot follow `{}`", names.join("`/`"))
    }
}

/// A finding about an instance, with customer, journey, instance and step filled in.
#[expect(
    clippy::too_many_arguments,
    reason = "a finding names customer, journey, instance, step, time, level and kind"
)]
#[inline(never)]
pub(crate) fn finding(
    ctx: &Context<'_>,
    cust: &CustomerState,
    inst: &Instance,
    kind: FindingKind,
    level: Level,
    time: i64,
    step: Option<StepId>,
    message: String,
) -> Finding {
    let journey = &ctx.program.journeys[inst.journey];
    let mut f = Finding::new(kind, level, timestamp(time), message);
    f.customer = Some(ctx.names.customers.resolve(cust.id).to_string());
    f.journey = Some(journey.name.clone());
    f.instance = Some(inst.number);
    f.step = step.map(|s| journey.step_name(s).to_string());
    f
}

/// Builder sugar for evidence.
pub(crate) trait WithEvidence {
    fn with_event(self, ctx: &Context<'_>, event: &Event, role: &'static str) -> Self;
}

impl WithEvidence for Finding {
    fn with_event(mut self, ctx: &Context<'_>, event: &Event, role: &'static str) -> Finding {
        self.evidence.push(ctx.evidence(
            event.name,
            event.time.as_millisecond(),
            event.origin.line,
            role,
        ));
        self
    }
}

/// Emit a finding about an instance: mark the instance off path or broken, count it.
#[inline(never)]
pub(crate) fn report(
    inst: &mut Instance,
    tally: &mut Tally,
    f: Finding,
    site: Site,
    out: &mut Vec<Finding>,
) {
    inst.findings = inst.findings.saturating_add(1);
    inst.worst = inst.worst.max(f.level);
    inst.last_finding = Some((f.kind, site.step, f.time.as_millisecond()));
    match f.kind.category() {
        super::Category::OffPath if f.kind != FindingKind::Incomplete => inst.off_path = true,
        super::Category::BrokenStep => {
            if let Some(s) = site.step {
                if let Some(state) = inst.steps.get_mut(s.index()) {
                    state.broken = true;
                }
            }
        }
        _ => {}
    }
    tally.emit(site, f, out);
}

/// [`report`] a finding of a journey's own clause (`path`, `abandon after`):
/// it quotes the clause, and is grouped by it. (Out of line: findings are
/// rare, and the code around the hot path stays small.)
#[cold]
#[inline(never)]
pub(crate) fn report_by(
    ctx: &Context<'_>,
    inst: &mut Instance,
    tally: &mut Tally,
    mut f: Finding,
    site: Site,
    rule: RuleRef,
    out: &mut Vec<Finding>,
) {
    f.rule = rule.source(ctx.program).cloned();
    report(inst, tally, f, site.by(rule), out);
}

/// Close an instance: completed (it reached an end) or ended otherwise.
#[inline(never)]
pub(crate) fn close(
    ctx: &Context<'_>,
    cust: &CustomerState,
    inst: &mut Instance,
    tally: &mut Tally,
    completed: bool,
) {
    super::align::conclude(ctx, cust, inst, tally, completed);
    for a in &inst.activations {
        if a.state == ActivationState::Pending {
            let verdict = if completed {
                Verdict::NotApplicable
            } else {
                Verdict::Missed
            };
            tally.verdict(a.expectation, verdict);
        }
    }
    inst.activations.clear();
    inst.ended = true;
    tally.closed(inst.journey, inst.off_path, completed);
}

/// End of input: every open instance is finished, incomplete, or still pending.
pub(crate) fn close_all_at_end(
    ctx: &Context<'_>,
    cust: &mut CustomerState,
    tally: &mut Tally,
    as_of: i64,
    out: &mut Vec<Finding>,
) {
    let mut instances = std::mem::take(&mut cust.instances);
    instances.sort_by_key(|i| (i.journey, i.number));
    // Ended instances were counted when they ended.
    for mut inst in instances.into_iter().filter(|i| !i.ended) {
        let journey = &ctx.program.journeys[inst.journey];
        for a in &inst.activations {
            if a.state == ActivationState::Pending {
                let at_risk = ctx.index.warn_for[a.expectation]
                    .is_some_and(|w| as_of > a.anchor.saturating_add(w as i64 * 1000));
                tally.verdict(
                    a.expectation,
                    if at_risk {
                        Verdict::AtRisk
                    } else {
                        Verdict::Pending
                    },
                );
            }
        }
        inst.activations
            .retain(|a| a.state != ActivationState::Pending);
        let completed = inst.can_stop(journey);
        if !completed {
            let message = format!(
                "journey `{}` not finished at the end of input: {}",
                journey.name,
                next_steps_text(journey, &inst)
            );
            let f = finding(
                ctx,
                cust,
                &inst,
                FindingKind::Incomplete,
                Level::Info,
                as_of,
                None,
                message,
            );
            let (site, rule) = (Site::journey(inst.journey), RuleRef::Path(inst.journey));
            report_by(ctx, &mut inst, tally, f, site, rule, out);
        }
        super::align::conclude(ctx, cust, &inst, tally, completed);
        tally.still_open(inst.journey, inst.off_path, completed);
    }
}

/// "next: `accept`, `deny`".
pub(crate) fn next_steps_text(journey: &CompiledJourney, inst: &Instance) -> String {
    let mut next: Vec<&str> = inst
        .positions
        .iter()
        .flat_map(|&n| journey.graph.successors(NodeIndex::new(n as usize)))
        .filter_map(|n| journey.graph.step(n))
        .map(|s| journey.step_name(s))
        .collect();
    next.sort_unstable();
    next.dedup();
    if next.is_empty() {
        "no step can follow".to_string()
    } else {
        format!("next could be `{}`", next.join("`, `"))
    }
}

/// Conditions see the customer's attributes (events, then the profile) and the
/// customer's journey instances.
pub(crate) struct CustomerFacts<'a> {
    ctx: &'a Context<'a>,
    attrs: &'a [(Symbol, Value)],
    profile: &'a [(Symbol, Value)],
    instances: &'a [Box<Instance>],
    current: Option<&'a Instance>,
}

impl<'a> CustomerFacts<'a> {
    pub(crate) fn new(
        ctx: &'a Context<'a>,
        cust: &'a CustomerState,
        current: Option<&'a Instance>,
    ) -> Self {
        CustomerFacts {
            ctx,
            attrs: &cust.attrs,
            profile: ctx.profiles.get(&cust.id).map_or(&[], Vec::as_slice),
            instances: &cust.instances,
            current,
        }
    }

    fn instance(&self, j: usize) -> Option<&Instance> {
        self.current
            .filter(|i| i.journey == j)
            .or_else(|| self.instances.iter().map(|i| &**i).find(|i| i.journey == j))
    }
}

impl Facts for CustomerFacts<'_> {
    fn attr(&self, key: Symbol) -> Option<&Value> {
        let find = |attrs: &[(Symbol, Value)]| attrs.iter().position(|(k, _)| *k == key);
        match find(self.attrs) {
            Some(i) => Some(&self.attrs[i].1),
            None => find(self.profile).map(|i| &self.profile[i].1),
        }
    }

    fn in_segment(&self, i: usize) -> bool {
        // Membership is decided when an instance starts, from what was known then.
        if let Some(inst) = self.current {
            return inst.segments.contains(&i);
        }
        // A segment's condition never names a segment (the checker's E0208),
        // so this does not recurse.
        self.ctx.index.segment_when[i]
            .as_ref()
            .is_some_and(|w| condition::holds(w, self))
    }

    fn off_path(&self, journey: usize) -> bool {
        self.instance(journey).is_some_and(|i| i.off_path)
    }

    fn broken(&self, journey: usize, step: Option<StepId>) -> bool {
        let Some(inst) = self.instance(journey) else {
            return false;
        };
        match step {
            Some(s) => inst.steps.get(s.index()).is_some_and(|st| st.broken),
            None => inst.steps.iter().any(|st| st.broken),
        }
    }

    fn reached(&self, journey: Option<usize>, step: &[Option<StepId>]) -> bool {
        let visited = |inst: &Instance| {
            step.get(inst.journey)
                .copied()
                .flatten()
                .is_some_and(|s| inst.steps[s.index()].visits > 0)
        };
        match journey {
            Some(j) => self.instance(j).is_some_and(visited),
            None => self.current.is_some_and(visited) || self.instances.iter().any(|i| visited(i)),
        }
    }
}

/// The anchor time of a time limit for an instance, if its anchor has happened.
pub(crate) fn anchor_time(inst: &Instance, anchor: AnchorRef) -> Option<i64> {
    match anchor {
        AnchorRef::JourneyStart => Some(inst.started),
        AnchorRef::Step(a) => inst
            .steps
            .get(a.index())
            .map(|st| st.last_seen)
            .filter(|t| *t != i64::MIN),
    }
}
