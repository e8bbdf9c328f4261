"""A small typed package that testgate generate writes tests for (tests/generate)."""
