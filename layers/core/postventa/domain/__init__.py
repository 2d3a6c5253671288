"""Pure domain model and rules: no boto3, no environment, no I/O."""
