"""plaintrail's composition root: settings, wiring, importers and the command line."""
