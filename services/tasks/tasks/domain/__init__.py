"""The tasks service's rules in plain Python: frequencies and due occurrences, plans, contracts,
O&M tasks, sampling-task stages, report deadlines."""
