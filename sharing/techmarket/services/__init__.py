"""Writes of the technology exchange, one module a sub-domain: listings (and their review),
needs, deals (inquiries, contracts), the centre's services. Each write asks rules.py who may
make it and from which state; the public writes are re-exported here."""

from sharing.techmarket.services.centre import service_request_advance, service_request_create
from sharing.techmarket.services.deals import (
    broker_pick,
    contract_record,
    contract_register,
    inquiry_advance,
    inquiry_close,
    inquiry_create,
    inquiry_link,
)
from sharing.techmarket.services.listings import (
    LISTING_FIELDS,
    listing_close,
    listing_create,
    listing_decide,
    listing_file_add,
    listing_review_start,
    listing_submit,
    listing_update,
    listing_withdraw,
)
from sharing.techmarket.services.needs import (
    NEED_FIELDS,
    need_close,
    need_create,
    need_decide,
    need_submit,
    need_update,
)

__all__ = [
    "LISTING_FIELDS",
    "NEED_FIELDS",
    "broker_pick",
    "contract_record",
    "contract_register",
    "inquiry_advance",
    "inquiry_close",
    "inquiry_create",
    "inquiry_link",
    "listing_close",
    "listing_create",
    "listing_decide",
    "listing_file_add",
    "listing_review_start",
    "listing_submit",
    "listing_update",
    "listing_withdraw",
    "need_close",
    "need_create",
    "need_decide",
    "need_submit",
    "need_update",
    "service_request_advance",
    "service_request_create",
]
