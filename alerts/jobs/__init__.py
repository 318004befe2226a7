"""Jobs: validation, codes, lifecycle (publish, schedule, close), what subscribers see."""
