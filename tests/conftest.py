"""Shared fixtures. Integration fixtures (the real local stack) live in tests/integration/."""
