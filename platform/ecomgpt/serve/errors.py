"""Request errors as OpenAI-style JSON bodies: `{"error": {"message", "type", "param", "code"}}`."""

from __future__ import annotations

from ecomgpt.errors import UserError


class ApiError(UserError):
    """A request the server refuses, with its HTTP status and OpenAI error fields.

    All fields are positional `args`, so the error pickles unchanged across Ray: a model replica raises
    it and the HTTP ingress turns it into the response.
    """

    def __init__(
        self,
        message: str,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message, status, type, code, param)
        self.message, self.status, self.type, self.code, self.param = message, status, type, code, param

    def __str__(self) -> str:
        return self.message

    def body(self) -> dict:
        return error_body(self.message, self.type, self.code, self.param)


def error_body(message: str, type: str, code: str | None = None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def unknown_model(name: str, known: list[str]) -> ApiError:
    return ApiError(
        f"The model {name!r} does not exist; served models: {sorted(known)}",
        404,
        code="model_not_found",
        param="model",
    )


def context_exceeded(prompt_tokens: int, max_tokens: int, context: int) -> ApiError:
    return ApiError(
        f"This model's maximum context length is {context} tokens; the request asks for {prompt_tokens} "
        f"prompt tokens + {max_tokens} completion tokens. Shorten the prompt or lower max_tokens.",
        400,
        code="context_length_exceeded",
        param="prompt",
    )
