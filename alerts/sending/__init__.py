"""Sending: the reply outbox, the alert fan-out (exactly once) and the RQ tasks."""
