"""Sample-testing orders (委托测试): the price list, pricing, the order's stages, its report.

rules.py decides who may do what and which stage allows it; pricing.py computes estimates;
services.py writes (one transition each, under a row lock, audited, notified); vouchers.py is
where the voucher ledger is reserved, redeemed and released; api.py and serializers.py are the
REST surface; records.py gives the national service-record rows of completed orders.
"""
