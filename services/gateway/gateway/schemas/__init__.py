"""The gateway's own schemas of its HTTP input: it validates shapes at its edge and documents them
in OpenAPI without importing any service's code (the services validate again at theirs)."""
