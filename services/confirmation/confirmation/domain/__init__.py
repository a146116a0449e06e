"""The confirmation rules in plain Python: no nameko, pymongo or flask here."""
