"""Sync with the ChemViz server: API client, keychain, push/pull engine (Qt-free) and the Qt
controller that runs it in the background. Only `qt_controller` imports Qt."""
