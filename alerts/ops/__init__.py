"""Operations: CLI, dev stack, backups, erasure, logs and metrics."""
