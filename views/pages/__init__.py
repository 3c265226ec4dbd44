"""The page scripts: app.py runs them with st.navigation; each only draws."""
