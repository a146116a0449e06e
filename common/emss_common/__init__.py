"""Shared code of the EMSS services: config, store, events, errors, metrics, clock, calendar."""
