"""Dual-use technology exchange (国家两用技术交易中心重庆分中心): listings, needs, matches,
inquiries carried by brokers to registered contracts, and the centre's services; one module a
sub-domain, every model re-exported here so ``from sharing.techmarket.models import X`` holds."""

from sharing.techmarket.models.centre import BrokerProfile, ServiceRequest
from sharing.techmarket.models.classification import (
    INDUSTRY_SECTIONS,
    SECTION_CHOICES,
    SECTION_DIVISIONS,
    HighTechField,
    StrategicIndustry,
    TransferMode,
)
from sharing.techmarket.models.deals import (
    Inquiry,
    InquiryQuerySet,
    InquiryTransition,
    TechContract,
)
from sharing.techmarket.models.listings import (
    ListingFile,
    ListingQuerySet,
    ListingReview,
    Patent,
    TechListing,
)
from sharing.techmarket.models.matches import Match
from sharing.techmarket.models.needs import NeedQuerySet, TechNeed

__all__ = [
    "INDUSTRY_SECTIONS",
    "SECTION_CHOICES",
    "SECTION_DIVISIONS",
    "BrokerProfile",
    "HighTechField",
    "Inquiry",
    "InquiryQuerySet",
    "InquiryTransition",
    "ListingFile",
    "ListingQuerySet",
    "ListingReview",
    "Match",
    "NeedQuerySet",
    "Patent",
    "ServiceRequest",
    "StrategicIndustry",
    "TechContract",
    "TechListing",
    "TechNeed",
    "TransferMode",
]
