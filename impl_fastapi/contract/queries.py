"""Strict query parameters: each one at most once, integers written -?[0-9]+ only."""

import re
from typing import Annotated, Generic, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, Strict, ValidationError

from .rules import INTEGER_PATTERN

Model = TypeVar("Model", bound=BaseModel)


def read_integer(value: object) -> object:
    """Turn a query value written -?[0-9]+ into an int; leave anything else as it is."""
    if isinstance(value, str) and re.fullmatch(INTEGER_PATTERN, value):
        return int(value)
    return value


# Lax pydantic would take "+5", " 5", "1_0" and "5.0", and int() non-ASCII digits ("\u0661"):
# read_integer converts the contract's integers only, and Strict() refuses what it leaves.
QueryInteger = Annotated[int, Strict(), BeforeValidator(read_integer)]


class StrictQuery(Generic[Model]):
    """A dependency that reads the query parameters into a model, each given at most once."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model

    def __call__(self, request: Request) -> Model:
        """Return the query parameters as the model, or raise 422 naming each bad one."""
        # FastAPI's Query() parameters keep the last of `?limit=5&limit=6` without a word; the
        # contract refuses a repeated parameter, so this reads every value of each one.
        errors = []
        values = {}
        for name in self.model.model_fields:
            given = request.query_params.getlist(name)
            if len(given) > 1:
                errors.append({"type": "repeated", "loc": ("query", name)})
            elif given:
                values[name] = given[0]
        try:
            query = self.model.model_validate(values)
        except ValidationError as error:
            errors += [{**item, "loc": ("query", *item["loc"])} for item in error.errors()]
        if errors:
            # One order for every 422: the parameters' own.
            order = list(self.model.model_fields)
            raise RequestValidationError(
                sorted(errors, key=lambda item: order.index(item["loc"][1]))
            )
        return query
