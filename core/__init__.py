"""KSeF Office Console: domain and services. Never imports streamlit."""
