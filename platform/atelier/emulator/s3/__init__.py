"""S3 on the runtime: static website endpoints over MiniStack's buckets."""
