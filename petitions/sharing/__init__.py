"""Sharing: link previews (Open Graph, Twitter cards), the share image, and plain share links."""
