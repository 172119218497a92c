"""Numbers as a page's prose writes them: "60.1 million", "0.23", "3.2 × 10⁻⁸", never "6.01e+07".

Glued values are pasted into sentences as text (``{glue:text}``), where Python's exponent
notation reads as code. :func:`prose` writes three significant digits without an exponent
from a thousandth to a million, words for millions and billions, and a power of ten with a
superscript exponent beyond.
"""

from __future__ import annotations

import math

from helpers.core.text import Text

__all__ = ["duration", "prose"]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _significant(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant digits, fixed point, thousands separated."""
    places = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return f"{x:,.{places}f}"


def _chinese(x: float) -> str:
    """A (rounded) count of millions or billions in 万 or 亿, the same number: 1.17 亿."""
    unit, name = (1e8, "亿") if abs(x) >= 1e8 else (1e4, "万")
    text = f"{x / unit:,.4f}".rstrip("0").rstrip(".")
    return f"{text} {name}"


def prose(x: float, digits: int = 3) -> str:
    """``x`` for a sentence: 0.000123 -> "1.23 × 10⁻⁴", 0.23 -> "0.23", 6.01e7 -> "60.1 million"
    (a :class:`~helpers.core.text.Text` whose Chinese counts in 万 and 亿: "6,010 万")."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    size = abs(x)
    if 1e-3 <= size < 1e6:
        text = _significant(x, digits)
        return text.rstrip("0").rstrip(".") if "." in text else text
    for scale, word in ((1e9, "billion"), (1e6, "million")):
        if scale <= size < 1000 * scale:
            mantissa = _significant(x / scale, digits)
            return Text(
                f"{mantissa} {word}", _chinese(float(mantissa.replace(",", "")) * scale)
            )
    exponent = math.floor(math.log10(size))
    mantissa = x / 10**exponent
    if round(abs(mantissa), digits - 1) >= 10:  # 9.996e-5 rounds up to 10.0
        mantissa, exponent = mantissa / 10, exponent + 1
    power = f"10{str(exponent).translate(_SUPERSCRIPT)}"
    return f"{mantissa:.{digits - 1}f} × {power}"


_UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
    (1, "second"),
)
_UNITS_ZH = {
    "year": "年",
    "month": "个月",
    "week": "周",
    "day": "天",
    "hour": "小时",
    "minute": "分钟",
    "second": "秒",
}


def duration(seconds: float) -> Text:
    """A length of time for a sentence, in the largest unit it fills at least once:
    4.6e7 -> "1.5 years", 3.2e8 -> "10 years", 90 -> "1.5 minutes" (two significant digits)."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(
            f"duration needs a finite number of seconds >= 0, got {seconds}"
        )
    size, unit = next(((s, u) for s, u in _UNITS if seconds >= s), _UNITS[-1])
    value = float(_significant(seconds / size, 2).replace(",", "")) if seconds else 0.0
    text = f"{value:,.0f}" if value >= 10 or value.is_integer() else f"{value:.1f}"
    return Text(
        f"{text} {unit}{'' if text == '1' else 's'}", f"{text} {_UNITS_ZH[unit]}"
    )
