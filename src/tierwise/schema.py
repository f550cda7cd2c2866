"""Imports every capability's tables so Base.metadata is whole (for migrations and tests)."""

from tierwise.accountability import models as accountability_models
from tierwise.analytics import models as analytics_models
from tierwise.customers import models as customer_models
from tierwise.customers import surveys as survey_models
from tierwise.db.base import Base
from tierwise.desk import models as desk_models
from tierwise.identity import models as identity_models
from tierwise.jobs import cursors as cursor_models
from tierwise.jobs import models as job_models
from tierwise.notices import models as notice_models
from tierwise.organisation import models as organisation_models
from tierwise.sales import models as sales_models
from tierwise.tiering import models as tiering_models

__all__ = [
    "Base",
    "accountability_models",
    "analytics_models",
    "cursor_models",
    "customer_models",
    "desk_models",
    "identity_models",
    "job_models",
    "notice_models",
    "organisation_models",
    "sales_models",
    "survey_models",
    "tiering_models",
]
