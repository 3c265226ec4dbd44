"""Sentinel-2 imagery access and super-resolution backend (no Streamlit here)."""
