"""Benchmarks: each prints its figures as ratios against a baseline run beside it.

They are not tests and never fail on a time; see ``bench/README.md``.
"""
