"""DynamoDB repositories and S3 documents: the only place that knows table keys."""
