"""The technology exchange's pages."""
