"""The bodies of /api/omni/, one module per area of the views (docs/api.md, "How it is written").

Each request body is an input serializer the view validates with, each answer an output
serializer the view renders through; drf-spectacular describes the API from the same classes.
"""
