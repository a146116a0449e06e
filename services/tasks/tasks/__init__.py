"""EMSS tasks service: contracts, O&M tasks and plans, sampling tasks, report uploads."""
