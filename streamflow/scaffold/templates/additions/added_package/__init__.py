"""Stands for the extension package the additions go into (rendered to its real name)."""
