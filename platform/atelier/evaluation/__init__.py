"""Preprod model evaluation: candidate vs baseline on the validation sets, a report and a verdict."""
