"""Matplotlib charts: drawing functions over a Figure (used on screen and in exports) and the panel."""
