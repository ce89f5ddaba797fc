#!/usr/bin/env python3
"""Pools the rounds of several bench/run.sh runs and says how sure a ratio is.

One run's ratio moves by several percent from run to run on a small VM, so a target within a few
percent of a measured ratio cannot be judged from one run. This reads the per-round lines that
run.sh prints on stderr ("round 3 passthrough tcp: 12.345"), pairs each scenario with the baseline
of the same round of the same run, and prints, per run and pooled over all runs: the ratio of
medians, the median of per-round ratios, and a bootstrap 95% interval for both (rounds resampled
with their baseline, seeded, so the output is reproducible). The bootstrap treats every round as
drawn from one machine state; runs on different hours see different states, so with three runs or
more it also prints the runs' ratios of medians as samples of their own: their lowest, their mean
and a Student t 95% interval for that mean.

    bench/run.sh build 20 4 2> run1.log; bench/run.sh build 20 4 2> run2.log
    bench/pool_rounds.py veth run1.log run2.log
"""
import random
import re
import statistics
import sys

ROUND = re.compile(r"^round (\d+) (\S+) (\S+): (\S+)$")
RESAMPLES = 10000
# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom; beyond, the normal's.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042]


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


def across_runs(ratios):
    """(lowest, mean, t interval low, t interval high) of per-run ratios; needs two or more."""
    mean = statistics.mean(ratios)
    df = len(ratios) - 1
    half = (T975[df - 1] if df <= len(T975) else 1.960) * statistics.stdev(ratios) / len(ratios) ** 0.5
    return min(ratios), mean, mean - half, mean + half


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
        pooled, per_run = [], []
        for path, run in runs:
            ps = pairs(run, scenario, baseline, kind)
            if ps:
                print(f"  {path}: {describe(ps, rng)}")
                pooled += ps
                per_run.append(ratio_of_medians(ps))
        if len(per_run) > 1:
            print(f"  pooled: {describe(pooled, rng)}")
        if len(per_run) > 2:
            lowest, mean, lo, hi = across_runs(per_run)
            print(f"  across {len(per_run)} runs: ratio of medians lowest {lowest:.3f}, mean {mean:.3f}"
                  f" (t interval {lo:.3f}-{hi:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
