"""Widgets other sites may show in a frame: a petition's counter, and the counter with the sign form."""
