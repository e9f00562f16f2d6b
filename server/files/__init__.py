"""Uploaded materials (网上申报): content checks and where the bytes are kept."""
