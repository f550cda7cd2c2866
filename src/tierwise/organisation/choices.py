"""The channels the organisation reaches customers by, and the service a tier is entitled to."""

from __future__ import annotations

from tierwise.db.choices import Choice


class InteractionChannel(Choice):
    """The medium of a logged contact."""

    PHONE = "phone", "Phone", "电话"
    VISIT = "visit", "Visit", "拜访"
    EMAIL = "email", "Email", "邮件"
    WECHAT = "wechat", "WeChat", "微信"
    MEETING = "meeting", "Meeting", "会议"
    OTHER = "other", "Other", "其他"


class EntitlementKind(Choice):
    """A service a tier is entitled to so much of per period (the desk keeps the ledger)."""

    ONSITE_VISIT = "onsite_visit", "On-site visits", "上门服务"
    ENGINEER_HOURS = "engineer_hours", "Engineer hours", "工程师工时"
    PRIORITY_REPAIR = "priority_repair", "Priority repairs", "优先维修"
    TRAINING = "training", "Training sessions", "培训课时"


class EntitlementPeriod(Choice):
    """The calendar period an allowance renews over, in the company's time zone."""

    MONTH = "month", "per month", "每月"
    QUARTER = "quarter", "per quarter", "每季度"
    YEAR = "year", "per year", "每年"
