"""The review web app: server-rendered pages and a token-authenticated JSON API."""
