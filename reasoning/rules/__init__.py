"""Prolog rule files (package data): loader.pl and kb.pl."""
