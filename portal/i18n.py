"""Small pieces of language that differ between Chinese and English: lists, money, names."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import get_language


def is_chinese(language: str | None = None) -> bool:
    return (language or get_language() or "zh-hans").startswith("zh")


def join_list(items) -> str:
    """甲、乙、丙 in Chinese; "a, b, c" in English (an enumeration comma reads wrong there)."""
    return ("、" if is_chinese() else ", ").join(str(item) for item in items)


def local_name(obj, field: str = "name") -> str:
    """The English name where one is stored and the page is English, else the Chinese one."""
    if obj is None:
        return ""
    if not is_chinese():
        english = getattr(obj, f"{field}_en", "") or ""
        if english.strip():
            return english
    return getattr(obj, field, "") or ""


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


def _plain(amount: Decimal, places: int) -> str:
    text = f"{amount:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def yuan(value) -> str:
    """An amount in 元: "1,250.5 元" / "CNY 1,250.5"."""
    amount = _decimal(value)
    if amount is None:
        return ""
    return f"{_plain(amount, 2)} 元" if is_chinese() else f"CNY {_plain(amount, 2)}"


def wan_yuan(value) -> str:
    """An amount stored in 万元 (ten thousand yuan): "260 万元" / "CNY 2.6 million"."""
    amount = _decimal(value)
    if amount is None:
        return ""
    if is_chinese():
        return f"{_plain(amount, 2)} 万元"
    full = amount * 10000
    if abs(full) >= 1_000_000:
        return f"CNY {_plain(full / 1_000_000, 2)} million"
    return f"CNY {_plain(full, 0)}"
