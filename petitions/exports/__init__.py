"""Delivery exports: CSV and PDF, streamed."""
