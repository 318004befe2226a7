"""USSD: the pure menu (screen(state, path)) and the call state."""
