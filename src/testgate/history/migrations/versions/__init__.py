"""One module per schema revision; see ``testgate.history.schema.SCHEMA_VERSION``."""
