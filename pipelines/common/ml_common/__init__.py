"""Code shared by the three pipelines: model store, job updates, safe links, image checks.

Plain boto3 and configuration from the environment only: the same code runs on the local
runtime (the emulator injects ``AWS_ENDPOINT_URL``) and on AWS.
"""

from ml_common.errors import (
    ConfigError,
    ImageError,
    LinkError,
    ModelNotFound,
    PipelineError,
)

__all__ = [
    "ConfigError",
    "ImageError",
    "LinkError",
    "ModelNotFound",
    "PipelineError",
]
