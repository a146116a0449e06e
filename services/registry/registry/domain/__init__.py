"""The registry's rules in plain Python: filing lifecycle, codes, roles, 二审 checks, devices."""
