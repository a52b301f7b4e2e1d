"""Masking personal data for those not entitled to see it."""


def mask_phone(phone: str) -> str:
    """023-68251234 → 023-****1234: the area code and last four digits stay readable."""
    if not phone:
        return ""
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    if len(digits) <= 4:
        return "*" * len(phone)
    keep_head = 3 if "-" not in phone else phone.index("-") + 1
    masked = [
        ch if (i < keep_head or i >= digits[-4] or not ch.isdigit()) else "*"
        for i, ch in enumerate(phone)
    ]
    return "".join(masked)


def mask_email(email: str) -> str:
    """sem@example.edu.cn → s**@example.edu.cn."""
    if not email or "@" not in email:
        return "*" * len(email or "")
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}{'*' * max(2, len(local) - 1)}@{domain}"


def mask_name(name: str) -> str:
    """张老师 → 张**: a surname alone is not enough to reach a person."""
    return f"{name[:1]}{'*' * max(1, len(name) - 1)}" if name else ""
