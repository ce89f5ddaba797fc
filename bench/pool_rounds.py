#!/usr/bin/env python3
"""Pools the rounds of several bench/run.sh runs and says how sure a ratio is.

One run's ratio moves by several percent from run to run on a small VM, so a target within a few
percent of a measured ratio cannot be judged from one run. This reads the per-round lines that
run.sh prints on stderr ("round 3 passthrough tcp: 12.345"), pairs each scenario with the baseline
of the same round of the same run, and prints, per run and pooled over all runs: the ratio of
medians, the median of per-round ratios, and a bootstrap 95% interval for both (rounds resampled
with their baseline, seeded, so the output is reproducible).

    bench/run.sh build 20 4 2> run1.log; bench/run.sh build 20 4 2> run2.log
    bench/pool_rounds.py veth run1.log run2.log
"""
import random
import re
import statistics
import sys

ROUND = re.compile(r"^round (\d+) (\S+) (\S+): (\S+)$")
RESAMPLES = 10000


def read_run(path):
    """{(scenario, kind): {round: value}} from one run's stderr."""
    values = {}
    with open(path) as f:
        for line in f:
            m = ROUND.match(line.strip())
            if not m or m.group(4) == "nan":
                continue
            values.setdefault((m.group(2), m.group(3)), {})[int(m.group(1))] = float(m.group(4))
    return values


def pairs(run, scenario, baseline, kind):
    ours, base = run.get((scenario, kind), {}), run.get((baseline, kind), {})
    return [(ours[r], base[r]) for r in sorted(ours) if r in base and base[r] > 0]


def ratio_of_medians(ps):
    return statistics.median(a for a, _ in ps) / statistics.median(b for _, b in ps)


def paired_median(ps):
    return statistics.median(a / b for a, b in ps)


def interval(ps, measure, rng):
    samples = sorted(measure([rng.choice(ps) for _ in ps]) for _ in range(RESAMPLES))
    return samples[int(0.025 * RESAMPLES)], samples[int(0.975 * RESAMPLES) - 1]


def describe(ps, rng):
    lo, hi = interval(ps, ratio_of_medians, rng)
    plo, phi = interval(ps, paired_median, rng)
    return (f"{len(ps):3d} rounds  ratio of medians {ratio_of_medians(ps):.3f} ({lo:.3f}-{hi:.3f})"
            f"  paired {paired_median(ps):.3f} ({plo:.3f}-{phi:.3f})")


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    baseline, paths = argv[1], argv[2:]
    runs = [(path, read_run(path)) for path in paths]
    keys = sorted({key for _, run in runs for key in run if key[0] != baseline})
    if not keys:
        print(f"no rounds besides {baseline} in {' '.join(paths)}", file=sys.stderr)
        return 1
    print(f"x {baseline}, bootstrap 95% intervals in brackets")
    for scenario, kind in keys:
        rng = random.Random(1)
        print(f"{scenario} {kind}")
        pooled, contributing = [], 0
        for path, run in runs:
            ps = pairs(run, scenario, baseline, kind)
            if ps:
                print(f"  {path}: {describe(ps, rng)}")
                pooled += ps
                contributing += 1
        if contributing > 1:
            print(f"  pooled: {describe(pooled, rng)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
