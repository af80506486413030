"""Errors in Ghost's envelope, for every JSON endpoint masthead serves.

Ghost's clients turn ``{"errors": [...]}`` into exceptions named after ``type`` and carrying
the other keys, so every API (the Content and Admin APIs, the live-page poll) answers errors
in exactly this shape: ``message, context, type, details, property, help, code, id,
ghostErrorCode``, in that order, as a Ghost 6 server sends them.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import JsonResponse
from django.utils.cache import patch_cache_control


class GhostError(Exception):
    """An error a client caused or can act on; its status and Ghost ``type`` travel with it."""

    status = 500
    type = "InternalServerError"
    default_message = "The server has encountered an error."

    def __init__(
        self,
        message: str | None = None,
        *,
        context: str | None = None,
        help: str | None = None,
        code: str | None = None,
        property: str | None = None,
        details: Any = None,
    ) -> None:
        self.message = str(message or self.default_message)
        self.context = None if context is None else str(context)
        self.help = None if help is None else str(help)
        self.code = code
        self.property = property
        self.details = details
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "context": self.context,
            "type": self.type,
            "details": self.details,
            "property": self.property,
            "help": self.help,
            "code": self.code,
            "id": str(uuid.uuid4()),
            "ghostErrorCode": None,
        }

    def response(self) -> JsonResponse:
        return error_response(self)


class BadRequestError(GhostError):
    status = 400
    type = "BadRequestError"
    default_message = "Request not understood error, cannot perform request."


class UnauthorizedError(GhostError):
    status = 401
    type = "UnauthorizedError"
    default_message = "You are not authorised to make this request."


class NoPermissionError(GhostError):
    status = 403
    type = "NoPermissionError"
    default_message = "You do not have permission to perform this request."


class NotFoundError(GhostError):
    status = 404
    type = "NotFoundError"
    default_message = "Resource not found"


class MethodNotAllowedError(GhostError):
    status = 405
    type = "MethodNotAllowedError"
    default_message = "Method not allowed for resource."


class UpdateCollisionError(GhostError):
    status = 409
    type = "UpdateCollisionError"
    default_message = "Saving failed! Someone else is editing this post."


class RequestEntityTooLargeError(GhostError):
    status = 413
    type = "RequestEntityTooLargeError"
    default_message = "Request was too big for the server to handle."


class UnsupportedMediaTypeError(GhostError):
    status = 415
    type = "UnsupportedMediaTypeError"
    default_message = "The media in the request is not supported by the server."


class ValidationError(GhostError):
    status = 422
    type = "ValidationError"
    default_message = "The request failed validation."


class TooManyRequestsError(GhostError):
    status = 429
    type = "TooManyRequestsError"
    default_message = "Too many attempts."


class InternalServerError(GhostError):
    pass


def error_response(*errors: GhostError) -> JsonResponse:
    """The envelope for one or more errors, with the first one's status. Never cached."""
    response = JsonResponse(
        {"errors": [error.as_dict() for error in errors]}, status=errors[0].status
    )
    patch_cache_control(response, no_store=True)
    return response
