"""What a failed command tells its user: one translated line and a documented exit code."""

from __future__ import annotations

import errno
from enum import IntEnum

import typer
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError

from tierwise.db.failures import Trouble, first_line, trouble_of
from tierwise.i18n import _


class ExitCode(IntEnum):
    """The codes README's CLI section documents; scripts branch on them."""

    OK = 0
    BAD_INPUT = 1  # a value, file or name the user gave is wrong
    USAGE = 2  # the command, an option or a setting is not as the CLI takes it
    BUSY = 3  # another writer holds the database: try again later
    ENVIRONMENT = 4  # disk full, read-only, database out of reach, optional extra missing
    INTERNAL = 70  # a fault in Tierwise itself (sysexits' EX_SOFTWARE)


# Optional dependencies and the extra of pyproject.toml that installs each.
OPTIONAL_EXTRAS = {"pyspark": "spark"}
FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
REFUSED_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
BAD_PATH_ERRNOS = {errno.ENOENT, errno.EISDIR, errno.ENOTDIR, errno.ENAMETOOLONG}


def one_line(text: str) -> str:
    """Messages go to stderr as a single line, whatever the exception's text holds."""
    return " ".join(text.split())


def _database(trouble: Trouble, detail: str) -> tuple[ExitCode, str]:
    if trouble is Trouble.BUSY:
        message = _(
            "The database is busy with another write (an import or a recompute?); "
            "try again when it has finished."
        )
        return ExitCode.BUSY, message
    if trouble is Trouble.FULL:
        message = _("The disk is full ({detail}); free some space and try again.")
    elif trouble is Trouble.READ_ONLY:
        message = _(
            "The database cannot be written: the file, its folder or the server is read-only "
            "({detail})."
        )
    else:
        message = _("The database cannot be opened or reached ({detail}).")
    return ExitCode.ENVIRONMENT, message.format(detail=detail)


def _os_error(exc: OSError) -> tuple[ExitCode, str]:
    where = exc.filename or ""
    detail = f"{where}: {exc.strerror}" if where else str(exc.strerror or exc)
    if exc.errno in FULL_ERRNOS:
        return _database(Trouble.FULL, detail)
    if exc.errno in REFUSED_ERRNOS:
        return ExitCode.ENVIRONMENT, _("Cannot write or read here: {detail}").format(detail=detail)
    if exc.errno in BAD_PATH_ERRNOS:
        return ExitCode.BAD_INPUT, detail
    text = str(exc).lower()
    if "no space left" in text:
        return _database(Trouble.FULL, str(exc))
    return ExitCode.ENVIRONMENT, detail


def _missing_module(exc: ImportError) -> tuple[ExitCode, str]:
    module = (exc.name or "").split(".")[0]
    extra = OPTIONAL_EXTRAS.get(module)
    if extra is None:
        message = _("A module Tierwise needs is missing ({module}); reinstall Tierwise.")
        return ExitCode.ENVIRONMENT, message.format(module=module or exc)
    return ExitCode.ENVIRONMENT, _(
        "This needs the optional extra tierwise[{extra}] ({module} is not installed): "
        "pip install 'tierwise[{extra}]'"
    ).format(extra=extra, module=module)


def _setting(exc: ValidationError) -> str:
    error = exc.errors()[0]
    name = "TIERWISE_" + "_".join(str(part) for part in error["loc"]).upper()
    return _("Setting {name} = {value!r}: {reason}").format(
        name=name, value=error.get("input"), reason=error["msg"]
    )


def classify(exc: BaseException) -> tuple[ExitCode, str]:
    """The exit code and the line to print for an exception no command handled itself."""
    trouble = trouble_of(exc)
    if trouble is not None:
        return _database(trouble, first_line(exc))
    if isinstance(exc, typer.TyperException):  # Typer's usage errors: unknown option, bad value
        message = exc.format_message()
        context = getattr(exc, "ctx", None)
        if exc.exit_code != ExitCode.USAGE or not message:  # no message: the help was shown
            return ExitCode(exc.exit_code), message
        command = context.command_path if context else "tierwise"
        return ExitCode.USAGE, _("{message} (see: {command} --help)").format(
            message=message, command=command
        )
    if isinstance(exc, typer.Abort):
        return ExitCode.BAD_INPUT, _("Aborted.")
    if isinstance(exc, ImportError):
        return _missing_module(exc)
    if isinstance(exc, ValidationError):
        return ExitCode.USAGE, _setting(exc)
    if isinstance(exc, OSError) and (exc.errno is not None or not isinstance(exc, PermissionError)):
        return _os_error(exc)
    if isinstance(exc, LookupError | ValueError | PermissionError):
        return ExitCode.BAD_INPUT, str(exc)  # domain errors keep their own messages
    if isinstance(exc, IntegrityError | DataError):
        return ExitCode.BAD_INPUT, _("The database refused a value: {detail}").format(
            detail=first_line(exc)
        )
    return ExitCode.INTERNAL, _(
        "Unexpected failure ({kind}: {detail}); this is a fault in Tierwise, "
        "please report it with the command you ran."
    ).format(kind=type(exc).__name__, detail=str(exc))
