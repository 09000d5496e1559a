//! Per-customer state: attributes, the reorder buffer, and one open instance per
//! journey with its graph positions, visits and open time limits.

use super::asked::Asked;
use crate::compile::{ActiveSet, CompiledJourney};
use crate::events::{CustomerId, Event, Symbol, Value};
use smallvec::SmallVec;

/// How many applied events a customer remembers to recognise a repeated record
/// (a promise of docs/language.md 11.2, pinned by a test in `tests/eval_findings.rs`).
pub(crate) const RECENT: usize = 16;

/// Everything the evaluator keeps about one customer in flight.
///
/// Laid out by hand (`repr(C)`), as an event mostly waits for the lines of
/// this state to arrive: what every event reads or writes (the header, one
/// line of the ring of recent records, the first buffered event) sits in as
/// few cache lines as it can, and what only some events touch comes last.
/// The offsets are checked below the type.
#[repr(C, align(64))]
pub(crate) struct CustomerState {
    pub id: CustomerId,
    /// Latest event time seen (ms), applied or buffered.
    pub max_seen: i64,
    /// Latest event time applied (ms).
    pub applied_max: i64,
    /// Open journey instances (boxed: they move in and out while a step is
    /// applied; mostly one, kept inline).
    pub instances: SmallVec<[Box<Instance>; 1]>,
    /// The last few applied events, for duplicate detection: its counters end
    /// the header's line and its records start on a line of their own.
    pub recent: Recent,
    /// Events not yet applied with their time in ms, in time order (equal
    /// times in arrival order). Mostly one or two: kept inline.
    pub buffer: SmallVec<[(i64, Event); 2]>,
    /// Attributes learnt from this customer's events (the profile is separate).
    /// Policies read a few: kept inline.
    pub attrs: SmallVec<[(Symbol, Value); 2]>,
    /// How many instances each journey has had, by journey index (mostly one
    /// journey: inline).
    pub opened: SmallVec<[(usize, u32); 1]>,
    /// An ended instance, kept for the next one to reuse (see
    /// [`Instance::restart`]).
    pub spare: Option<Box<Instance>>,
}

// The hand layout above, on x86-64: the header and the ring's counters fill
// the first line, the ring's records the next four, and the first buffered
// event starts a line. (The state is 64-aligned, so offsets are lines.)
#[cfg(target_arch = "x86_64")]
const _: () = {
    use std::mem::offset_of;
    assert!(offset_of!(CustomerState, recent) + offset_of!(Recent, filled) < 64);
    assert!((offset_of!(CustomerState, recent) + offset_of!(Recent, keys)) % 64 == 0);
    assert!(offset_of!(CustomerState, buffer) % 64 == 0);
};

impl CustomerState {
    pub(crate) fn new(id: CustomerId) -> Self {
        CustomerState {
            id,
            attrs: SmallVec::new(),
            buffer: SmallVec::new(),
            max_seen: i64::MIN,
            applied_max: i64::MIN,
            recent: Recent::default(),
            instances: SmallVec::new(),
            opened: SmallVec::new(),
            spare: None,
        }
    }

    /// Empty the state, as new, keeping what it allocated inline but not
    /// what a rare customer spilled to the heap (a long reorder buffer, many
    /// attributes or instances): a reused state that kept the largest of
    /// every customer it served would make the pool of them creep up with
    /// the length of the log.
    pub(crate) fn clear(&mut self) {
        fn empty<A: smallvec::Array>(v: &mut SmallVec<A>) {
            if v.spilled() {
                *v = SmallVec::new();
            } else {
                v.clear();
            }
        }
        empty(&mut self.attrs);
        empty(&mut self.buffer);
        self.max_seen = i64::MIN;
        self.applied_max = i64::MIN;
        self.recent.clear();
        empty(&mut self.instances);
        empty(&mut self.opened);
    }

    /// Start loading into the cache what applying this customer's next event
    /// reads beyond the state itself, first step: the open instances, the
    /// attributes of the first buffered event, and with no instance open the
    /// one kept for reuse. A hint only (see [`super::ReadAhead`]); it changes
    /// nothing.
    pub(crate) fn warm_instances(&self) {
        for inst in &self.instances {
            cache_hint::prefetch(&**inst);
        }
        if let Some((_, event)) = self.buffer.first() {
            cache_hint::prefetch_slice(&event.attrs);
        }
        // A new customer restarts the instance the spare state kept.
        if let (true, Some(inst)) = (self.instances.is_empty(), &self.spare) {
            cache_hint::prefetch(&**inst);
        }
    }

    /// The second step, once the instances have arrived (their vectors'
    /// addresses are in them): their steps and open time limits.
    pub(crate) fn warm_steps(&self) {
        for inst in &self.instances {
            cache_hint::prefetch_slice(&inst.steps);
            cache_hint::prefetch_slice(&inst.activations);
        }
        if let (true, Some(inst)) = (self.instances.is_empty(), &self.spare) {
            cache_hint::prefetch_slice(&inst.steps);
        }
    }

    /// An instance is done with: keep it for reuse.
    pub(crate) fn retire(&mut self, instance: Box<Instance>) {
        self.spare = Some(instance);
    }

    /// The next instance number for journey `j`.
    pub(crate) fn next_number(&mut self, j: usize) -> u32 {
        match self.opened.iter_mut().find(|(k, _)| *k == j) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                self.opened.push((j, 1));
                1
            }
        }
    }
}

/// What identifies a repeated record: (event name, time ms, channel).
pub(crate) type RecordKey = (Symbol, i64, Option<Symbol>);

/// The last [`RECENT`] applied records of a customer, in a ring. Each is
/// packed in 16 bytes (the time, the name's symbol index, and the channel's
/// plus one, 0 for none), as every new customer writes the whole ring, and
/// is 16-aligned, so four records fill a line. The counters come first, so
/// that they share a line with the state's header (see [`CustomerState`]).
#[derive(Debug, Clone, Default)]
#[repr(C)]
pub(crate) struct Recent {
    /// How many slots hold a record.
    filled: u8,
    next: u8,
    keys: [u128; RECENT],
}

impl Recent {
    /// (An interner never holds `u32::MAX` names, so `+ 1` cannot wrap to 0.)
    fn pack((name, time, channel): RecordKey) -> u128 {
        let channel = channel.map_or(0, |c| c.0.wrapping_add(1));
        // The time's bits as they are: keys are only compared for equality.
        (u128::from(time as u64) << 64) | (u128::from(name.0) << 32) | u128::from(channel)
    }

    /// Remember a record, forgetting the oldest when full.
    pub(crate) fn push(&mut self, key: RecordKey) {
        self.keys[usize::from(self.next)] = Self::pack(key);
        self.next = (self.next + 1) % RECENT as u8;
        if usize::from(self.filled) < RECENT {
            self.filled += 1;
        }
    }

    /// Forget every record (the slots keep stale keys, never read).
    pub(crate) fn clear(&mut self) {
        self.filled = 0;
        self.next = 0;
    }

    /// True when the record is one of the last few.
    pub(crate) fn contains(&self, key: &RecordKey) -> bool {
        let key = Self::pack(*key);
        self.keys[..usize::from(self.filled)].contains(&key)
    }
}

/// Whether an open time limit is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ActivationState {
    /// The deadline has not passed.
    Pending,
    /// The deadline passed without the target; it may still come, late.
    Overdue,
}

/// One activation of a time limit: its anchor happened, its target is awaited.
#[derive(Debug, Clone)]
pub(crate) struct Activation {
    pub expectation: usize,
    /// Anchor time (ms) and the anchor event's name and line.
    pub anchor: i64,
    pub anchor_event: Symbol,
    pub anchor_line: u64,
    /// Deadline (ms): anchor + limit.
    pub due: i64,
    pub state: ActivationState,
}

/// An escalation that fired for an instance, and its next tier.
#[derive(Debug, Clone)]
pub(crate) struct FiredEscalation {
    pub rule: usize,
    /// Index of the next tier to consider.
    pub next_tier: usize,
    /// When the next tier is due (ms).
    pub due: i64,
    /// Level of what triggered it.
    pub level: super::Level,
    /// The finding it fired on, if a finding set it off.
    pub finding: Option<LastFinding>,
}

/// An instance's latest finding, for an escalation to say what it fired on:
/// its kind, step and time (ms). Small, as an instance keeps one.
pub(crate) type LastFinding = (super::FindingKind, Option<crate::compile::StepId>, i64);

/// What happened at one step of an instance: 16 bytes, four steps a cache
/// line, as an event touches its step's record and an instance keeps one per
/// step of its journey. (Evidence of an anchor is kept by the time limit it
/// opens, in [`Activation`], not here.)
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepState {
    pub visits: u32,
    /// Some expectation of the step was broken.
    pub broken: bool,
    /// Latest occurrence (ms); `i64::MIN` when never.
    pub last_seen: i64,
}

// Kept at four a cache line (see above).
const _: () = assert!(std::mem::size_of::<StepState>() == 16);

impl Default for StepState {
    fn default() -> Self {
        StepState {
            visits: 0,
            broken: false,
            last_seen: i64::MIN,
        }
    }
}

/// The segments (by index) a customer is in, as decided when an instance starts.
pub(crate) type Segments = SmallVec<[usize; 4]>;

/// One customer's instance of one journey.
///
/// Laid out by hand (`repr(C)`, 64-aligned), as for [`CustomerState`]: what
/// every event reads (positions, deadlines, progress, counters, the step
/// records' address) fills the first two lines, the time limits and segments
/// the third, and what only some events touch comes last.
#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub(crate) struct Instance {
    /// Active graph nodes, sorted.
    pub positions: ActiveSet,
    /// Room for the next positions, so a step allocates nothing.
    pub scratch: ActiveSet,
    pub journey: usize,
    /// Nothing in the instance comes due before this time (ms): a lower bound,
    /// lowered whenever a deadline is added and made exact when deadlines are
    /// looked for, so most events need not look.
    pub due_hint: i64,
    pub last_progress: i64,
    /// Start time (ms) and the starting event.
    pub started: i64,
    pub number: u32,
    /// Findings reported so far, and how many there were when escalations were
    /// last evaluated: a rule that depends on findings only needs no new look
    /// until this changes.
    pub findings: u32,
    pub findings_at_escalation_check: Option<u32>,
    pub off_path: bool,
    pub reached_goal: bool,
    /// Completed or abandoned, kept only for escalation tiers still due.
    pub ended: bool,
    /// The most serious level of those findings.
    pub worst: super::Level,
    /// What happened at each step, by step index.
    pub steps: Vec<StepState>,
    pub activations: Vec<Activation>,
    /// Segments (by index) the customer was in when the instance started
    /// (mostly none or a few: inline).
    pub segments: Segments,
    pub escalations: Vec<FiredEscalation>,
    /// Information items asked so far, and where each was asked first.
    pub asked: Asked,
    /// Expectations already reported for this instance (attempt limits fire once).
    pub reported: Vec<usize>,
    /// The latest finding reported (see [`LastFinding`]).
    pub last_finding: Option<LastFinding>,
    /// The optimal alignment of the instance's trace so far.
    pub alignment: super::align::Tracker,
}

// The hand layout above, on x86-64: the first two lines end with the step
// records' address, and the third holds the time limits and the segments.
#[cfg(target_arch = "x86_64")]
const _: () = {
    use std::mem::offset_of;
    assert!(offset_of!(Instance, steps) + std::mem::size_of::<Vec<StepState>>() <= 128);
    assert!(offset_of!(Instance, activations) >= 128);
    assert!(offset_of!(Instance, segments) + std::mem::size_of::<Segments>() <= 192);
};

impl Instance {
    /// Something new comes due at `at`.
    pub(crate) fn expect_due(&mut self, at: i64) {
        self.due_hint = self.due_hint.min(at);
    }

    pub(crate) fn new(
        journey: usize,
        compiled: &CompiledJourney,
        number: u32,
        started: i64,
        segments: Segments,
    ) -> Self {
        let mut instance = Instance {
            journey,
            number,
            started,
            last_progress: started,
            positions: ActiveSet::new(),
            scratch: ActiveSet::new(),
            steps: Vec::new(),
            activations: Vec::new(),
            asked: Asked::default(),
            reported: Vec::new(),
            off_path: false,
            reached_goal: false,
            ended: false,
            findings: 0,
            worst: super::Level::Info,
            findings_at_escalation_check: None,
            escalations: Vec::new(),
            due_hint: i64::MIN,
            segments: Segments::new(),
            last_finding: None,
            alignment: super::align::Tracker::default(),
        };
        instance.restart(journey, compiled, number, started, segments);
        instance
    }

    /// Make this a new instance, as [`Instance::new`] does, keeping what it
    /// allocated: an ended instance is reused by the customer's next one, or
    /// by the next customer who reuses this customer's state.
    pub(crate) fn restart(
        &mut self,
        journey: usize,
        compiled: &CompiledJourney,
        number: u32,
        started: i64,
        segments: Segments,
    ) {
        self.journey = journey;
        self.number = number;
        self.started = started;
        self.last_progress = started;
        self.positions.clear();
        self.positions.push(0);
        self.scratch.clear();
        self.steps.clear();
        self.steps
            .resize(compiled.steps.len(), StepState::default());
        self.activations.clear();
        self.asked.clear();
        self.reported.clear();
        self.off_path = false;
        self.reached_goal = false;
        self.ended = false;
        self.findings = 0;
        self.worst = super::Level::Info;
        self.findings_at_escalation_check = None;
        self.last_finding = None;
        self.alignment.restart();
        // Few instances escalate: what one held is given back, not kept for
        // every later customer of this reused instance (see
        // `CustomerState::clear`).
        self.escalations = Vec::new();
        // Exact from the start: nothing is due but abandonment, whose time
        // only moves later with progress; deadlines added later lower it.
        self.due_hint = compiled.abandon_after.map_or(i64::MAX, |after| {
            started.saturating_add(after as i64 * 1000)
        });
        self.segments = segments;
    }

    /// True when the customer may stop here: some active node is accepting.
    pub(crate) fn can_stop(&self, journey: &CompiledJourney) -> bool {
        self.positions.iter().any(|&n| {
            journey
                .graph
                .is_accepting(crate::compile::NodeIndex::new(n as usize))
        })
    }

    /// True when no step can follow: every active node is a sink.
    pub(crate) fn at_end(&self, journey: &CompiledJourney) -> bool {
        self.positions.iter().all(|&n| {
            journey
                .graph
                .successors(crate::compile::NodeIndex::new(n as usize))
                .next()
                .is_none()
        })
    }

    /// True when `step` can still happen from where the customer is.
    pub(crate) fn can_reach(
        &self,
        journey: &CompiledJourney,
        step: crate::compile::StepId,
    ) -> bool {
        self.positions.iter().any(|&n| {
            journey
                .graph
                .reaches(crate::compile::NodeIndex::new(n as usize), step)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_remembers_the_last_records_and_forgets_older_ones() {
        let mut recent = Recent::default();
        let key = |i: u32| (Symbol(i), i64::from(i) * 1000, Some(Symbol(i % 3)));
        assert!(!recent.contains(&key(0)));
        for i in 0..RECENT as u32 + 4 {
            recent.push(key(i));
        }
        // The first four were pushed out of the ring; the rest are there.
        for i in 0..4 {
            assert!(!recent.contains(&key(i)), "{i} forgotten");
        }
        for i in 4..RECENT as u32 + 4 {
            assert!(recent.contains(&key(i)), "{i} remembered");
        }
        // The channel is part of the key, and no channel is not channel 0.
        let (name, time, _) = key(10);
        assert!(!recent.contains(&(name, time, None)));
        recent.push((name, time, None));
        assert!(recent.contains(&(name, time, None)));
        assert!(!recent.contains(&(Symbol(10), time, Some(Symbol(0)))));
    }

    #[test]
    fn a_restarted_instance_is_a_new_one() {
        let policy = crate::compile::Policy::compile(
            "journey a { goal y step x { } step y { } path x -> y }\njourney b { goal z step z { } path z }",
        )
        .expect("compiles");
        let (a, b) = (&policy.program.journeys[0], &policy.program.journeys[1]);
        let mut used = Instance::new(0, a, 1, 1_000, smallvec::smallvec![1, 2]);
        used.positions.push(3);
        used.steps[1].visits = 2;
        used.activations.push(Activation {
            expectation: 0,
            anchor: 1_000,
            anchor_event: Symbol(1),
            anchor_line: 1,
            due: 5_000,
            state: ActivationState::Pending,
        });
        used.asked.push("iban", 1_000, Symbol(1), 1);
        used.reported.push(0);
        (used.off_path, used.reached_goal, used.ended) = (true, true, true);
        (used.findings, used.worst) = (3, super::super::Level::Red);
        used.findings_at_escalation_check = Some(3);
        used.escalations.push(FiredEscalation {
            rule: 0,
            next_tier: 1,
            due: 9_000,
            level: super::super::Level::Red,
            finding: None,
        });
        used.last_finding = Some((super::super::FindingKind::Stalled, None, 4_000));
        used.due_hint = 5_000;
        used.restart(1, b, 2, 7_000, Segments::new());
        let fresh = Instance::new(1, b, 2, 7_000, Segments::new());
        assert_eq!(format!("{used:?}"), format!("{fresh:?}"));
    }

    /// What a rare customer spilled to the heap, or an escalation held, is
    /// not kept by the state or instance reused for the next customer, so the
    /// pool of reused states does not creep up with the length of the log.
    #[test]
    fn a_reused_state_gives_back_what_a_rare_customer_grew() {
        let mut state = CustomerState::new(CustomerId(0));
        for i in 0..5 {
            state
                .attrs
                .push((Symbol(i), crate::events::Value::Number(1.0)));
            state.opened.push((i as usize, 1));
        }
        assert!(state.attrs.spilled() && state.opened.spilled());
        state.clear();
        assert!(!state.attrs.spilled() && !state.opened.spilled());
        assert!(state.attrs.is_empty() && state.opened.is_empty());

        let policy = crate::compile::Policy::compile(
            "journey a { goal y step x { } step y { } path x -> y }",
        )
        .expect("compiles");
        let a = &policy.program.journeys[0];
        let mut used = Instance::new(0, a, 1, 1_000, Segments::new());
        for due in 0..9 {
            used.escalations.push(FiredEscalation {
                rule: 0,
                next_tier: 1,
                due,
                level: super::super::Level::Red,
                finding: None,
            });
        }
        used.restart(0, a, 2, 7_000, Segments::new());
        assert_eq!(used.escalations.capacity(), 0);
    }

    /// Record keys from few values, so that repeats are common, at the edges
    /// of each field's packing: times before 1970 and at both ends of `i64`,
    /// names and channels with their high bits set.
    fn record_key() -> impl proptest::strategy::Strategy<Value = (u32, i64, Option<u32>)> {
        use proptest::sample::select;
        let names = select(vec![0u32, 1, 2, 1 << 31, u32::MAX - 1]);
        let times = select(vec![i64::MIN, -1_000, -1, 0, 1, 2, i64::MAX]);
        let channels = proptest::option::of(select(vec![0u32, 1, u32::MAX - 1]));
        (names, times, channels)
    }

    proptest::proptest! {
        /// The ring knows exactly the last `RECENT` records pushed.
        #[test]
        fn recent_knows_exactly_the_last_records(
            keys in proptest::collection::vec(record_key(), 0..60),
            probe in record_key(),
        ) {
            let key = |(name, time, channel): (u32, i64, Option<u32>)| (Symbol(name), time, channel.map(Symbol));
            let mut recent = Recent::default();
            for k in &keys {
                recent.push(key(*k));
            }
            let last = &keys[keys.len().saturating_sub(RECENT)..];
            proptest::prop_assert_eq!(recent.contains(&key(probe)), last.contains(&probe));
        }
    }
}
