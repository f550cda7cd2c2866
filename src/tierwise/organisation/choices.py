"""The channels the organisation reaches customers by: contacts, service rules and the desk."""

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
