"""What a person reads when a page cannot be shown: what happened in plain words and what to do,
for every error page whichever capability draws it."""

from __future__ import annotations

from tierwise.i18n import N_, _

# What a person reads when a page cannot be shown: what happened, in plain words, and what to do.
PLAIN_ERRORS = {
    401: (N_("Please sign in"), N_("Sign in to see this page.")),
    403: (
        N_("You do not have access to this"),
        N_("Your role does not allow it. Ask an administrator if you need it."),
    ),
    404: (
        N_("This page does not exist"),
        N_("The address may be mistyped, or what it showed has been removed."),
    ),
    405: (N_("This page cannot be used that way"), N_("Go back and use the page's own buttons.")),
    409: (
        N_("This clashes with what is already recorded"),
        N_("Someone may have changed it meanwhile. Reload the page and try again."),
    ),
    413: (N_("That is too large"), N_("Send a smaller file.")),
    422: (
        N_("Some of what was entered cannot be used"),
        N_("Go back, correct what is named below and send it again."),
    ),
    503: (
        N_("The system is busy or unavailable"),
        N_("Try again in a moment. If it lasts, tell your administrator."),
    ),
}
SOMETHING_WENT_WRONG = (
    N_("Something went wrong on our side"),
    N_("It has been logged. Try again, or tell your administrator if it keeps happening."),
)


def plain_error(status: int) -> tuple[str, str]:
    """The heading and the advice of an error page for `status`, in the reader's language."""
    heading, advice = PLAIN_ERRORS.get(status, SOMETHING_WENT_WRONG)
    return _(heading), _(advice)
