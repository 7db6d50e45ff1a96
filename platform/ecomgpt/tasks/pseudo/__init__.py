"""Pseudo-label tasks: their registry (`registry`), answer grounding (`grounding`) and the tasks (`library`)."""
