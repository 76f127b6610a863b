"""The image pipeline: find and read digit tiles in an image with a small PyTorch CNN."""
