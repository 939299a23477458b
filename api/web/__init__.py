"""The staff dashboard: server-rendered pages, forms that send commands through dispatch."""
