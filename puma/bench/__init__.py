"""Benchmarks behind `puma bench ...`. Each compares side by side in one run, writes JSON/CSV and a
PNG plot, and records the git revision and the machine."""
