"""Small helpers used across the SDK."""
