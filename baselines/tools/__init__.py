"""Small launchers that run a baseline's own entry point with one documented intervention.

They are executed by the *method's* interpreter (its own environment), so they import only the
standard library plus what the method itself already imports.
"""
