#!/usr/bin/env python3
"""Reference alignment costs from PM4Py, for tests/alignments_reference.rs.

Computes PM4Py's optimal alignment (standard cost function) of every trace of a
bundled public log against a process tree written to be equivalent to a cxl
journey's path, and writes one JSON object: case id -> [cost, fitness].

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pm4py
    /tmp/venv/bin/python tools/pm4py_alignments.py \
        examples/real/logs/03_repairExample.xes.gz repair \
        > tests/fixtures/alignments/repair-archived.json

and likewise `repair-sequential` on the same log into repair-sequential.json,
`running` on examples/real/logs/running-example.xes into running.json.

Only `complete` lifecycle events are kept, as `cxl eval` reads by default.
PM4Py's alignment cost counts 10000 per log or model move on a visible
transition and 1 per silent transition; the cost reported is the number of
log and model moves (cost // 10000), and the fitness PM4Py's own
(1 - moves / (trace length + shortest model run)).
"""

import json
import sys

import pm4py
from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments
from pm4py.objects.conversion.process_tree import converter as tree_to_net

# The journeys, as PM4Py process trees over the log's activity names.
TREES = {
    # examples/real/repair.cxl with `-> archive` required:
    #   register -> analyze
    #   -> (inform & (simple | complex) -> test -> (restart -> (simple | complex) -> test)*)
    #   -> archive
    # `*(do, redo)` is do (redo do)*.
    "repair": "->( 'Register', 'Analyze Defect', +( 'Inform User', "
    "*( ->( X( 'Repair (Simple)', 'Repair (Complex)' ), 'Test Repair' ), 'Restart Repair' ) ), "
    "'Archive Repair' )",
    # examples/real/running_example.cxl:
    #   register -> (check & (casual | thorough)) -> decide
    #   -> (reinitiate -> (check & (casual | thorough)) -> decide)* -> (settled_pay | reject)
    "running": "->( 'register request', *( ->( +( 'check ticket', "
    "X( 'examine casually', 'examine thoroughly' ) ), 'decide' ), 'reinitiate request' ), "
    "X( 'pay compensation', 'reject request' ) )",
    # A stricter journey for the repair log, so that more cases cost more
    # (repair.cxl with `inform` first and `archive` required):
    #   register -> analyze -> inform -> (simple | complex) -> test
    #   -> (restart -> (simple | complex) -> test)* -> archive
    "repair-sequential": "->( 'Register', 'Analyze Defect', 'Inform User', "
    "*( ->( X( 'Repair (Simple)', 'Repair (Complex)' ), 'Test Repair' ), 'Restart Repair' ), "
    "'Archive Repair' )",
}


def main():
    log_path, tree_name = sys.argv[1], sys.argv[2]
    log = pm4py.read_xes(log_path, return_legacy_log_object=True)
    for trace in log:
        # An event without a lifecycle counts as complete, as cxl reads it.
        kept = [
            e for e in trace if str(e.get("lifecycle:transition", "complete")).lower() == "complete"
        ]
        trace._list = kept
    tree = pm4py.parse_process_tree(TREES[tree_name])
    net, initial, final = tree_to_net.apply(tree)
    results = alignments.apply_log(log, net, initial, final)
    out = {}
    for trace, result in zip(log, results):
        moves = result["cost"] // 10000
        out[trace.attributes["concept:name"]] = [moves, result["fitness"]]
    json.dump(dict(sorted(out.items())), sys.stdout, indent=0, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
