"""Does a change pay off more at high contact than at low (docs/model.md §8, result 10)?

Derives a base at high and low contact, staffs each with the search of ``servsim
contact-levels --derive``, and prints, for each seed, how much more one more agent, front-line
training and a slower back office move their metric at low contact than at high, with its
paired 95% CI (``servsim.derive.sensitivity_gaps``: replication by replication, common random
numbers): the numbers behind the open question docs/model.md §8 states.

    python tools/sensitivity_gaps.py scenarios/helpdesk.yaml -r 5 --seeds 3 17 2026
"""

from __future__ import annotations

import argparse

import servsim
from servsim.derive import derive_levels, sensitivity_gaps, staff_to_goal


def main() -> None:
    """Parse the command line, then print one row per seed and change."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the base scenario (YAML)")
    parser.add_argument("-r", "--replications", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 17, 2026])
    args = parser.parse_args()
    high, _, low = derive_levels(servsim.load_scenario(args.base))
    print("seed  change              low - high  95% CI (paired)")
    for seed in args.seeds:
        staffed = [staff_to_goal(level, 4, seed).scenario for level in (high, low)]
        gaps = sensitivity_gaps(staffed, args.replications, seed)
        for row in gaps.itertuples():
            print(
                f"{seed:<5} {row.change:<19} {row.gap:+10.4f}  "
                f"[{row.ci_low:+.4f} .. {row.ci_high:+.4f}]  ({row.metric})"
            )


if __name__ == "__main__":
    main()
