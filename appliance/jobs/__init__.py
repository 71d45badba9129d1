"""Scheduled scans for waste, one job per module.

scan.py runs every detector over recent usage records and folds what they
see into findings: runaway.py (runaway_prompt), oversized.py
(oversized_context), retries.py (retry), cost_spike.py (cost_spike).
scheduler.py runs the scan every `[leaks] interval_seconds`.
"""
