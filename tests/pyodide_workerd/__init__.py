"""Python Workers in real Pyodide inside real workerd: the harness, the boundary scenarios and
their golden transcripts, and the extraction of the kit's own Workers (see README.md)."""
