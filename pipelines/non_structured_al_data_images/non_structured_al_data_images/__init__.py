"""The active-learning pipeline: which images to label next, and how much labelling it saves."""
