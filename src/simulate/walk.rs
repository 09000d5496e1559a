//! Walking a journey graph: from the start node, choose the next step by the edge
//! weights (normalised over a node's outgoing edges; unweighted edges, and
//! stopping at an accepting node, share what the weights leave equally), until a
//! sink, or an accepting node where stopping is chosen and leaves no time limit
//! waiting for a step that could still come. Steps whose attempt limit is reached
//! are avoided while another edge exists. Loops end: past twice the journey's
//! number of steps, the walk takes the shortest way to an accepting node.

use super::plan::JourneyPlan;
use super::rng::Rng;
use super::timing::Tracker;
use crate::compile::{CompiledJourney, NodeIndex, StepId};

/// Longest walk, whatever the path.
const MAX_STEPS: usize = 64;

/// A walk: the steps in order, and the time-limit intervals they imply.
pub(crate) struct Walk {
    pub steps: Vec<StepId>,
    pub constraints: Vec<super::timing::Constraint>,
}

/// One choice out of a node.
enum Choice {
    Go(NodeIndex),
    Stop,
}

/// Walk `journey` from its start.
pub(crate) fn walk(journey: &CompiledJourney, plan: &JourneyPlan, rng: &mut Rng) -> Walk {
    let graph = &journey.graph;
    let mut tracker = Tracker::new(&plan.limits, journey.steps.len());
    let mut node = graph.start();
    let mut positions: Vec<u32> = graph.initial();
    let mut next = Vec::new();
    let mut visits = vec![0u32; journey.steps.len()];
    let mut steps = Vec::new();
    let accepting: Vec<NodeIndex> = journey
        .graph
        .graph()
        .node_indices()
        .filter(|&n| journey.graph.is_accepting(n))
        .collect();
    let to_accept = distance_to(journey, &accepting);
    let soft = 2 * journey.steps.len() + 4;
    while steps.len() < MAX_STEPS {
        let may_stop = !steps.is_empty()
            && positions
                .iter()
                .any(|&n| graph.is_accepting(NodeIndex::new(n as usize)))
            && tracker.can_stop(graph, &positions);
        let mut outgoing = allowed_edges(journey, plan, node, &visits);
        if steps.len() >= soft {
            // Wind down: stop where allowed; else head for the step an open
            // time limit waits for, or for the nearest end.
            if may_stop {
                break;
            }
            let waited = tracker.waiting_for(&journey.graph, &positions);
            let dist = match waited {
                Some(step) => distance_to(journey, journey.graph.nodes_of(step)),
                None => to_accept.clone(),
            };
            let best = outgoing.iter().map(|(to, _)| dist[to.index()]).min();
            outgoing.retain(|(to, _)| Some(dist[to.index()]) == best);
        }
        let Choice::Go(to) = choose(&outgoing, may_stop, rng) else {
            break;
        };
        let Some(step) = graph.step(to) else { break };
        tracker.push(graph, &positions, step);
        graph.advance_into(&positions, step, &mut next);
        std::mem::swap(&mut positions, &mut next);
        visits[step.index()] += 1;
        steps.push(step);
        node = to;
        let closed = positions.iter().all(|&n| {
            graph
                .successors(NodeIndex::new(n as usize))
                .next()
                .is_none()
        });
        if closed {
            break;
        }
    }
    Walk {
        steps,
        constraints: tracker.constraints,
    }
}

/// For each node, the fewest edges to one of `targets` (`usize::MAX`: none).
fn distance_to(journey: &CompiledJourney, targets: &[NodeIndex]) -> Vec<usize> {
    let graph = journey.graph.graph();
    let mut dist = vec![usize::MAX; graph.node_count()];
    let mut queue = std::collections::VecDeque::new();
    for &n in targets {
        if let Some(d) = dist.get_mut(n.index()) {
            *d = 0;
            queue.push_back(n);
        }
    }
    while let Some(v) = queue.pop_front() {
        for u in graph.neighbors_directed(v, petgraph::Direction::Incoming) {
            if dist[u.index()] == usize::MAX {
                dist[u.index()] = dist[v.index()] + 1;
                queue.push_back(u);
            }
        }
    }
    dist
}

/// The edges out of `node`, without those into a step at its attempt limit
/// (unless no other edge is left).
fn allowed_edges(
    journey: &CompiledJourney,
    plan: &JourneyPlan,
    node: NodeIndex,
    visits: &[u32],
) -> Vec<(NodeIndex, Option<f64>)> {
    let all = journey.graph.outgoing(node);
    let within_limit: Vec<_> = all
        .iter()
        .copied()
        .filter(|(to, _)| {
            journey.graph.step(*to).is_none_or(|s| {
                plan.steps[s.index()]
                    .max_visits
                    .is_none_or(|most| visits[s.index()] < most)
            })
        })
        .collect();
    if within_limit.is_empty() {
        all
    } else {
        within_limit
    }
}

/// Choose an edge (or stopping) by weight.
fn choose(outgoing: &[(NodeIndex, Option<f64>)], may_stop: bool, rng: &mut Rng) -> Choice {
    if outgoing.is_empty() {
        return Choice::Stop;
    }
    let weighted: f64 = outgoing.iter().filter_map(|(_, w)| *w).sum();
    let unweighted = outgoing.iter().filter(|(_, w)| w.is_none()).count() + usize::from(may_stop);
    let share = if unweighted == 0 {
        0.0
    } else if weighted < 1.0 {
        (1.0 - weighted) / unweighted as f64
    } else {
        // The weights take everything: give the rest a fair share anyway.
        weighted / (outgoing.len() + usize::from(may_stop)) as f64
    };
    let mut options: Vec<(Choice, f64)> = outgoing
        .iter()
        .map(|(to, w)| (Choice::Go(*to), w.unwrap_or(share).max(0.0)))
        .collect();
    if may_stop {
        options.push((Choice::Stop, share));
    }
    let total: f64 = options.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        let i = rng.index(options.len());
        return options.swap_remove(i).0;
    }
    let mut x = rng.unit() * total;
    let last = options.len() - 1;
    for (i, (choice, w)) in options.into_iter().enumerate() {
        if x < w || i == last {
            return choice;
        }
        x -= w;
    }
    Choice::Stop
}
