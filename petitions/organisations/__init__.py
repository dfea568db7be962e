"""The organisation's public page: who it is, its campaigns and its statements."""
