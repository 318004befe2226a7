"""Domain types and rules: no Flask, no Redis."""
