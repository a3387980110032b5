"""Generative math kept apart from networks: flow matching loss and sampler."""
