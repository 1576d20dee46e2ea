"""The shared contract suite: one set of tests for every implementation."""
