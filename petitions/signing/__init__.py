"""Where a supporter reads a petition, signs it and confirms by email."""
