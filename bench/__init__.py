"""The benchmark: ``make bench`` (``python -m bench``). See the README, section "Benchmark"."""
