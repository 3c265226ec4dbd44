"""Crop-field label sets: GeoJSON features, validation and storage (no Streamlit here)."""
