"""A tiny inventory service: the Python half of the example monorepo."""
