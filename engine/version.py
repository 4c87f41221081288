"""The one place the product's name and version live (desktop About, server health/, packaging)."""

APP_NAME = "ChemViz"
APP_ORG = "ChemViz"
__version__ = "0.1.0"
