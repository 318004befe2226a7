"""Baara configuration: settings and reference data."""
