"""EMSS credit service: compliance checks, warnings, credit evaluation, anomaly detection."""
