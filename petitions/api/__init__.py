"""The public JSON API, /api/v1. Versioned: v1 never changes incompatibly."""
