#!/usr/bin/env python3
"""Tests of bench/pool_rounds.py, which decides whether a throughput target is met."""
import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pool_rounds  # noqa: E402


def write_log(directory, name, lines):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def run_main(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = pool_rounds.main(["pool_rounds.py", *args])
    return code, out.getvalue(), err.getvalue()


class ReadRun(unittest.TestCase):
    def test_keeps_round_lines_and_skips_the_rest(self):
        with tempfile.TemporaryDirectory() as d:
            path = write_log(d, "run.log", [
                "building namespaces", "round 1 veth tcp: 15.5", "round 1 pt tcp: 12.25",
                "round 2 veth tcp: nan", "round 2 pt tcp: 11.0", "round 3 pt udp64: 180.5",
                "round x veth tcp: 1.0"])
            run = pool_rounds.read_run(path)
        self.assertEqual(run, {("veth", "tcp"): {1: 15.5}, ("pt", "tcp"): {1: 12.25, 2: 11.0},
                               ("pt", "udp64"): {3: 180.5}})

    def test_pairs_only_rounds_with_a_positive_baseline(self):
        run = {("veth", "tcp"): {1: 10.0, 2: 0.0, 4: 8.0}, ("pt", "tcp"): {1: 8.0, 2: 5.0, 3: 7.0, 4: 6.0}}
        self.assertEqual(pool_rounds.pairs(run, "pt", "veth", "tcp"), [(8.0, 10.0), (6.0, 8.0)])
        self.assertEqual(pool_rounds.pairs(run, "pt", "veth", "udp64"), [])


class Measures(unittest.TestCase):
    PAIRS = [(8.0, 10.0), (9.0, 10.0), (6.0, 12.0)]

    def test_ratio_of_medians_and_paired_median_differ(self):
        self.assertAlmostEqual(pool_rounds.ratio_of_medians(self.PAIRS), 8.0 / 10.0)
        self.assertAlmostEqual(pool_rounds.paired_median(self.PAIRS), 0.8)
        # A slow round against a fast baseline moves the two measures apart.
        apart = [(10.0, 10.0), (5.0, 20.0), (6.0, 8.0)]
        self.assertAlmostEqual(pool_rounds.ratio_of_medians(apart), 0.6)
        self.assertAlmostEqual(pool_rounds.paired_median(apart), 0.75)

    def test_bootstrap_interval_holds_the_estimate_and_is_reproducible(self):
        ps = [(8.0 + i % 3, 10.0 + i % 4) for i in range(20)]
        first = pool_rounds.interval(ps, pool_rounds.ratio_of_medians, pool_rounds.random.Random(1))
        again = pool_rounds.interval(ps, pool_rounds.ratio_of_medians, pool_rounds.random.Random(1))
        self.assertEqual(first, again)
        self.assertLessEqual(first[0], pool_rounds.ratio_of_medians(ps))
        self.assertGreaterEqual(first[1], pool_rounds.ratio_of_medians(ps))
        self.assertLess(first[0], first[1])

    def test_constant_rounds_give_a_point_interval(self):
        ps = [(8.0, 10.0)] * 10
        self.assertEqual(pool_rounds.interval(ps, pool_rounds.paired_median, pool_rounds.random.Random(1)),
                         (0.8, 0.8))

    def test_across_runs_uses_student_t(self):
        lowest, mean, lo, hi = pool_rounds.across_runs([0.8, 0.9, 1.0])
        half = 4.303 * 0.1 / 3 ** 0.5  # sd 0.1, two degrees of freedom
        self.assertAlmostEqual(lowest, 0.8)
        self.assertAlmostEqual(mean, 0.9)
        self.assertAlmostEqual(lo, 0.9 - half)
        self.assertAlmostEqual(hi, 0.9 + half)

    def test_across_many_runs_falls_back_to_the_normal(self):
        ratios = [0.8, 0.9] * 20
        _, mean, lo, _ = pool_rounds.across_runs(ratios)
        sd = pool_rounds.statistics.stdev(ratios)
        self.assertAlmostEqual(mean - lo, 1.960 * sd / len(ratios) ** 0.5)


class Main(unittest.TestCase):
    def test_without_logs_prints_usage(self):
        code, _, err = run_main("veth")
        self.assertEqual(code, 2)
        self.assertIn("Pools the rounds", err)

    def test_without_rounds_besides_the_baseline_fails(self):
        with tempfile.TemporaryDirectory() as d:
            path = write_log(d, "a.log", ["round 1 veth tcp: 15.0"])
            code, _, err = run_main("veth", path)
        self.assertEqual(code, 1)
        self.assertIn("no rounds besides veth", err)

    def test_pools_runs_and_summarises_across_three(self):
        with tempfile.TemporaryDirectory() as d:
            paths = [write_log(d, f"r{n}.log", [line for r in range(1, 6) for line in (
                f"round {r} veth tcp: {10.0 + r}", f"round {r} pt tcp: {(10.0 + r) * scale}")])
                for n, scale in enumerate((0.8, 0.85, 0.9))]
            code, two, _ = run_main("veth", *paths[:2])
            code3, three, _ = run_main("veth", *paths)
        self.assertEqual((code, code3), (0, 0))
        self.assertIn("pooled:  10 rounds", two)
        self.assertNotIn("across", two)
        self.assertIn("r0.log:   5 rounds  ratio of medians 0.800 (0.800-0.800)  paired 0.800", three)
        self.assertIn("pooled:  15 rounds  ratio of medians 0.850", three)
        self.assertIn("across 3 runs: ratio of medians lowest 0.800, mean 0.850 (t interval 0.726-0.974)",
                      three)


if __name__ == "__main__":
    unittest.main()
