"""Scenarios: fault and latency rules from files (format and validation so far)."""
