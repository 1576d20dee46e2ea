"""What `make bench` and `make compare` share: progress lines, the environment they record."""
