"""Gateways: Africa's Talking (the only module that knows its fields) and the simulator."""
