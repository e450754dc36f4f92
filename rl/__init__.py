"""Choosing which hypothesis to test next: labs, the selection environment and policies.

See ``rl/README.md``. Only `agent.types` crosses into the environment and the policies; the
fact loaders read corpora through `retrieval.pubtator` and the data folder setting.
"""
