"""Open letters: co-signing organisations and individuals, moderation, lists and documents."""
