"""The Faktury page: the local invoice copy, downloads, sending FA(3) files."""
