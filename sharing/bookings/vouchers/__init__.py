"""科技创新券 (innovation vouchers), honoured in every region they list (通用通兑): issued
(services.py), redeemed against a booking and refunded (ledger.py), read (selectors.py)."""
