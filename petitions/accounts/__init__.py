"""Organiser accounts: signing in, second factors, members and invitations."""
