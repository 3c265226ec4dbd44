"""The app's pages (:mod:`views.pages`, run by Streamlit as scripts) and the helpers they share."""
