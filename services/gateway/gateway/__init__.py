"""EMSS gateway: Flask app factory, JSON API under /api/v1, server-rendered Chinese pages."""
