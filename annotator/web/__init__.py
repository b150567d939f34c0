"""The browser mode: ``annotator serve`` (the app behind a sign-in) and access codes."""
