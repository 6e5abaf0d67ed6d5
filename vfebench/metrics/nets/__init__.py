"""Network definitions used by metrics (torch modules; import only inside ``setup()``)."""
