"""The exceptions the pipelines raise on bad input or state; each message is meant for a user."""

from __future__ import annotations


class PipelineError(Exception):
    """Base class: the message is safe to store on a job and show to the caller."""


class LinkError(PipelineError):
    """A link was refused (scheme, address, size, redirect) or could not be fetched."""


class ImageError(PipelineError):
    """The content is not an acceptable image (format, corruption, too many pixels)."""


class ModelNotFound(PipelineError):
    """No model matches the requested name, stage or version."""


class ConfigError(PipelineError):
    """A required setting (environment variable) is missing or invalid."""
