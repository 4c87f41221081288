"""ChemViz desktop: PyQt5 app, local store, API client and sync, over the shared engine."""
