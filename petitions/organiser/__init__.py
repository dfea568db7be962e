"""What organisers do to petitions: create, update and inspect them."""
