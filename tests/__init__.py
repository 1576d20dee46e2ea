"""Tests of the project itself: its tools (bench, comparison), compose file and documents."""
