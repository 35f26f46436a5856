"""Ingestion: load → clean → split → embed → store.

Nothing here runs at import; `index.sync.sync_folder` is the entry point.
"""
