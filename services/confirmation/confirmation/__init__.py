"""EMSS confirmation service: enterprise daily confirmation and institution review."""
