"""Supervision (非现场监管) in plain Python: findings, the rules that make them, warnings and their
lifecycle, rectification orders and inspections. No nameko, pymongo or flask here."""
