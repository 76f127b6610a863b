"""The PR gate: Great Expectations suites on validation_data/ and golden-model checks."""
