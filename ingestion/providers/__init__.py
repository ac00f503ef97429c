"""One module per webhook provider: its signature scheme and how to read a delivery."""
