"""Baara: SMS and USSD job alerts."""
