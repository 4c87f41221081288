"""ChemViz server: the Django + DRF API the desktop syncs to (see README "## Server")."""
