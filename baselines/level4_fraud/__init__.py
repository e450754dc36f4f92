"""Level 4 baseline: real-time card-fraud detection on the Fraud Detection Handbook's simulation.

Features are computed online from raw transactions, models are compared with the handbook's
measures, and a FastAPI scoring service exposes Prometheus metrics, drift checks and alert rules.
"""
