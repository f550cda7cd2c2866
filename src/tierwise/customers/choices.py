"""The vocabularies of the customer file: tiering is by value elsewhere, these are attributes."""

from __future__ import annotations

from tierwise.db.choices import Choice
from tierwise.i18n import _, current_language


class CustomerKind(Choice):
    """Business customer or a private person."""

    ENTERPRISE = "enterprise", "Enterprise", "企业"
    INDIVIDUAL = "individual", "Individual", "个人"


class CustomerStatus(Choice):
    """Where the customer stands with us; blacklisted customers always sit lowest in queues, and a
    disqualified prospect (不合格者) was judged not worth pursuing."""

    PROSPECT = "prospect", "Prospect", "潜在客户"
    DISQUALIFIED = "disqualified", "Disqualified", "不合格"
    ACTIVE = "active", "Active", "活跃"
    DORMANT = "dormant", "Dormant", "休眠"
    CHURNED = "churned", "Churned", "流失"
    BLACKLISTED = "blacklisted", "Blacklisted", "黑名单"


class ChurnType(Choice):
    """Why a customer was lost, when known: each calls for a different answer (DOMAIN.md)."""

    DROPPED_BY_US = "dropped_by_us", "Deliberately dropped by us", "主动放弃"
    UNINTENDED = "unintended", "Dropped unintentionally", "无意流失"
    COMPETITOR = "competitor", "Lured by a competitor", "被竞争对手吸引"
    BARGAIN_HUNTER = "bargain_hunter", "Bargain hunter", "贪图便宜"
    NO_LONGER_ABLE = "no_longer_able", "Lost the condition to buy", "失去购买条件"


def churn_type_of(text: str) -> ChurnType | None:
    """The churn type a form or command names by key or label, in either language; "" for none."""
    if not text.strip():
        return None
    found = ChurnType.aliases().get(text.strip().casefold())
    if found is None:
        labels = " / ".join(t.label(current_language()) for t in ChurnType)
        raise ValueError(
            _("churn type “{value}” is not one of: {labels}").format(value=text, labels=labels)
        )
    return found


class MarketingType(Choice):
    """What the customer buys on: price, loyalty, a tailored offer or convenience."""

    ECONOMIC = "economic", "Economic", "经济型"
    ETHICAL = "ethical", "Ethical", "道德型"
    PERSONALISED = "personalised", "Personalised", "个性化"
    CONVENIENCE = "convenience", "Convenience", "方便型"


class ManagementClass(Choice):
    """How management treats the account, independent of its value tier."""

    REGULAR = "regular", "Regular", "常规"
    POTENTIAL = "potential", "Potential", "潜力"
    KEY = "key", "Key", "关键"
    TEMPORARY = "temporary", "Temporary", "临时"


class SalesChannel(Choice):
    """Served directly by our staff or through an agent/distributor (代理制)."""

    DIRECT = "direct", "Direct", "直销"
    AGENT = "agent", "Agent", "代理"


class EnterpriseNature(Choice):
    """Ownership of a business, a prospect-grading factor (企业性质)."""

    STATE_OWNED = "state_owned", "State-owned", "国有企业"
    PRIVATE = "private", "Private", "民营企业"
    FOREIGN = "foreign", "Foreign-owned", "外资企业"
    JOINT_VENTURE = "joint_venture", "Joint venture", "合资企业"
    PUBLIC_INSTITUTION = "public_institution", "Public institution", "事业单位"
    SOLE_PROPRIETOR = "sole_proprietor", "Sole proprietor", "个体工商户"


class AcquisitionSource(Choice):
    """How the customer first came to us."""

    REFERRAL = "referral", "Referral", "转介绍"
    ADVERTISING = "advertising", "Advertising", "广告"
    EXHIBITION = "exhibition", "Exhibition", "展会"
    WEBSITE = "website", "Website", "网站"
    COLD_CALL = "cold_call", "Cold call", "陌生拜访"
    AGENT = "agent", "Agent", "代理商"
    OTHER = "other", "Other", "其他"


class Direction(Choice):
    """Who started the contact: CSRs should reach out, not only wait for calls."""

    INBOUND = "inbound", "Inbound", "呼入"
    OUTBOUND = "outbound", "Outbound", "呼出"


class InteractionOutcome(Choice):
    """What came of a contact."""

    INFORMED = "informed", "Informed", "已告知"
    RESOLVED = "resolved", "Resolved", "已解决"
    FOLLOW_UP = "follow_up", "Follow-up needed", "需跟进"
    ORDER = "order", "Order taken", "已下单"
    COMPLAINT = "complaint", "Complaint", "投诉"
    NO_ANSWER = "no_answer", "No answer", "未接通"


class ConsentPurpose(Choice):
    """What personal data may be used for (PIPL/GDPR: consent is per purpose)."""

    SERVICE = "service", "Service", "服务"
    MARKETING = "marketing", "Marketing", "营销"
    ANALYTICS = "analytics", "Analytics", "分析"
