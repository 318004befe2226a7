"""HTTP: thin views (webhooks, API, admin, health), security and authentication."""
