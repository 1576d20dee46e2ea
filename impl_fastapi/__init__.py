"""The users API in FastAPI and SQLModel: `uvicorn impl_fastapi.main:app`."""
