"""Baara messages: composing text for SMS and USSD."""
