"""Step Functions helpers: starting the lifecycle, task tokens, deadlines."""
