"""The customer file (客户档案): structured sections, each validated and marked personal or not."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tierwise.db.choices import Choice


class Section(BaseModel):
    """A section rejects unknown fields, so the file stays structured, not a free-for-all blob."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    notes: str | None = Field(default=None, max_length=2000)


class BasicSection(Section):
    """Who the person is at work and how they come across."""

    employer: str | None = Field(default=None, max_length=200)
    job_title: str | None = Field(default=None, max_length=100)
    character: str | None = Field(default=None, max_length=500)


class EducationSection(Section):
    """Schooling, useful for rapport and for judging how to present."""

    highest_degree: str | None = Field(default=None, max_length=50)
    school: str | None = Field(default=None, max_length=200)
    major: str | None = Field(default=None, max_length=100)


class FamilySection(Section):
    """Family facts a CSR may remember (with consent)."""

    marital_status: str | None = Field(default=None, max_length=20)
    children: int | None = Field(default=None, ge=0, le=20)
    important_dates: list[str] = Field(default_factory=list, max_length=20)


class SocialSection(Section):
    """Associations and circles the person moves in."""

    associations: list[str] = Field(default_factory=list, max_length=20)


class CareerSection(Section):
    """Career path and ambitions."""

    previous_employers: list[str] = Field(default_factory=list, max_length=20)
    years_in_industry: int | None = Field(default=None, ge=0, le=80)
    goals: str | None = Field(default=None, max_length=500)


class LifestyleSection(Section):
    """Life and health habits (生活习惯与健康)."""

    hobbies: list[str] = Field(default_factory=list, max_length=20)
    habits: str | None = Field(default=None, max_length=500)


class PersonalitySection(Section):
    """Traits that shape how to talk to this person."""

    traits: list[str] = Field(default_factory=list, max_length=20)
    communication_style: str | None = Field(default=None, max_length=100)


class ExperienceSection(Section):
    """Notable experiences, including the history with us."""

    events: list[str] = Field(default_factory=list, max_length=50)


class BusinessSection(Section):
    """What an enterprise customer does and how it buys; not personal data."""

    main_business: str | None = Field(default=None, max_length=500)
    employees: int | None = Field(default=None, ge=0)
    decision_process: str | None = Field(default=None, max_length=500)


class PreferencesSection(Section):
    """Service preferences: preferred channel, best time to call; not personal data."""

    preferred_channel: str | None = Field(default=None, max_length=50)
    best_contact_time: str | None = Field(default=None, max_length=100)


class OtherSection(Section):
    """Anything else worth keeping that fits nowhere above."""


class ProfileSection(Choice):
    """The sections of the customer file."""

    BASIC = "basic", "Basic data", "基本资料"
    EDUCATION = "education", "Education", "教育背景"
    FAMILY = "family", "Family", "家庭情况"
    SOCIAL = "social", "Social circle", "人际关系"
    CAREER = "career", "Career", "事业情况"
    LIFESTYLE = "lifestyle", "Life and health habits", "生活习惯"
    PERSONALITY = "personality", "Personality", "个性特征"
    EXPERIENCE = "experience", "Experience", "阅历"
    BUSINESS = "business", "Business", "经营情况"
    PREFERENCES = "preferences", "Service preferences", "服务偏好"
    OTHER = "other", "Other", "其他"


SECTION_SCHEMAS: dict[ProfileSection, type[Section]] = {
    ProfileSection.BASIC: BasicSection,
    ProfileSection.EDUCATION: EducationSection,
    ProfileSection.FAMILY: FamilySection,
    ProfileSection.SOCIAL: SocialSection,
    ProfileSection.CAREER: CareerSection,
    ProfileSection.LIFESTYLE: LifestyleSection,
    ProfileSection.PERSONALITY: PersonalitySection,
    ProfileSection.EXPERIENCE: ExperienceSection,
    ProfileSection.BUSINESS: BusinessSection,
    ProfileSection.PREFERENCES: PreferencesSection,
    ProfileSection.OTHER: OtherSection,
}

NON_PERSONAL_SECTIONS = frozenset({ProfileSection.BUSINESS, ProfileSection.PREFERENCES})


def is_personal(section: ProfileSection) -> bool:
    """Personal sections are masked from roles that do not need them, and erased on request."""
    return section not in NON_PERSONAL_SECTIONS


def validate_section(section: ProfileSection, data: dict[str, Any]) -> dict[str, Any]:
    """Check a section's data against its schema and return it in stored form."""
    return SECTION_SCHEMAS[section].model_validate(data).model_dump(exclude_defaults=True)
