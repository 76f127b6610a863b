"""The model registry: versions in S3 with an index, stages candidate → preprod → prod."""
