"""File names of the serving folder, shared by the batch job (writer) and the service (reader).

Kept apart so the service image imports neither pandas nor scikit-learn.
"""

STORE = "store.sqlite"
MODEL = "model.npz"
MODEL_ITEMS = "model_items.npz"
FALLBACK = "fallback.json"
