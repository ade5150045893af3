"""The REST API: one router per resource, each a thin skin over ``praefect.orchestration``."""
