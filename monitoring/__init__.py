"""Watching plaintrail run: Prometheus metrics, health and readiness answers, and `plaintrail status`."""
