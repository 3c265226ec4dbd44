"""Folium maps for the app, served entirely from this machine (no Streamlit here)."""
