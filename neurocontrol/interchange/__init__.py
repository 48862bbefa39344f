"""Networks in and out of the package: NIR export and import, and their cross-check."""
