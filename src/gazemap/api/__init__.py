"""The REST API: FastAPI app factory, routers, schemas, authentication, error mapping."""
