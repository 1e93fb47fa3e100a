"""Text typed in the legacy Vietnamese font encodings, brought to Unicode (NFC).

Before Unicode (TCVN 6909:2001) was made mandatory, Vietnamese offices typed in 8-bit font
encodings; many member lists still hold such text inside otherwise Unicode files, because Excel
stored the font's bytes as the Windows-1252 characters they occupy:

- **TCVN3** (TCVN 5712:1993, "ABC", fonts ``.VnTime``/``.VnTimeH``): one byte per accented
  lowercase letter in 0xA1–0xFE ("§¶ng" is "Đảng"); capitals were typed with the ``H`` font using
  the same bytes, so converted letters are capitalised when the rest of the text is in capitals.
- **VNI** (VNI-Windows, fonts ``VNI-Times``): a base letter followed by a mark character
  ("Ñaûng" is "Đảng", "Vieät" is "Việt"); ``i`` with a tone is a single character.

Detection is per column: a column is converted only when its text carries characters that proper
Vietnamese Unicode never uses and none that only Unicode has; a column that mixes both is refused.
"""
from __future__ import annotations

import re
import unicodedata

# --- TCVN3 -------------------------------------------------------------------------------------

_TCVN3 = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}
TCVN3_TABLE = {chr(k): v for k, v in _TCVN3.items()}

#: Latin-1 letters that Vietnamese in Unicode uses itself (they prove nothing either way)
_VIETNAMESE_LATIN1 = set("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
#: characters a TCVN3 column shows and proper Vietnamese Unicode never does
TCVN3_SIGNS = {c for c in TCVN3_TABLE if c not in _VIETNAMESE_LATIN1}


def _is_unicode_vietnamese(ch: str) -> bool:
    """A precomposed Vietnamese letter beyond Latin-1 (ă, ơ, ư, đ, ạ … ỹ)."""
    return ch in "ĂăĐđĨĩŨũƠơƯư" or "\u1ea0" <= ch <= "\u1ef9"


def tcvn3_to_unicode(text: str) -> str:
    converted = "".join(TCVN3_TABLE.get(c, c) for c in text)
    letters = [c for c in text if c.isalpha() and c not in TCVN3_TABLE]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        converted = converted.upper()  # typed in the capitals font: the text is in capitals
    return unicodedata.normalize("NFC", converted)


# --- VNI ---------------------------------------------------------------------------------------

_TONE = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_HAT_TONE = {"á": "\u0301", "à": "\u0300", "å": "\u0309", "ã": "\u0303", "ä": "\u0323"}
_BREVE_TONE = {"é": "\u0301", "è": "\u0300", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}
_I_TONE = {"í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị"}
_VNI_LETTERS = {"ñ": "đ", "ö": "ư", "ô": "ơ"}
#: characters a VNI column shows and proper Vietnamese Unicode never does
VNI_SIGNS = set("ñÑöÖûÛøØïÏåÅäÄëËæÆüÜ")


def vni_to_unicode(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        low = ch.lower()
        nxt = text[i + 1] if i + 1 < len(text) else ""
        nlow = nxt.lower()
        upper = ch.isupper()
        if low in _I_TONE and low in "íìæóò" and (not out or not out[-1].isalpha() or True):
            # single-character i with tone ("ó" is ĩ, "ò" is ị in VNI)
            rep = _I_TONE[low]
            out.append(rep.upper() if upper else rep)
            i += 1
            continue
        if low in _VNI_LETTERS:
            rep = _VNI_LETTERS[low]
            base = rep.upper() if upper else rep
            if low in "öô" and nlow in _TONE:
                base += _TONE[nlow]
                i += 1
            out.append(base)
            i += 1
            continue
        if low in "aeoy" or low in "iu":
            base = ch
            if low in "aeo" and nlow == "â":
                base += "\u0302"
                i += 1
                nlow = text[i + 1].lower() if i + 1 < len(text) else ""
                if nlow in _TONE:
                    base += _TONE[nlow]
                    i += 1
            elif low in "aeo" and nlow in _HAT_TONE:
                base += "\u0302" + _HAT_TONE[nlow]
                i += 1
            elif low == "a" and nlow == "ê":
                base += "\u0306"
                i += 1
                nlow = text[i + 1].lower() if i + 1 < len(text) else ""
                if nlow in _TONE:
                    base += _TONE[nlow]
                    i += 1
            elif low == "a" and nlow in _BREVE_TONE:
                base += "\u0306" + _BREVE_TONE[nlow]
                i += 1
            elif nlow in _TONE:
                base += _TONE[nlow]
                i += 1
            out.append(base)
            i += 1
            continue
        out.append(ch)
        i += 1
    return unicodedata.normalize("NFC", "".join(out))


# --- detection ---------------------------------------------------------------------------------

class MixedEncoding(ValueError):
    """A column holds both legacy-encoded and Unicode Vietnamese text."""


def detect(texts: list[str]) -> str:
    """``unicode``, ``tcvn3`` or ``vni`` for the texts of one column; MixedEncoding when they disagree."""
    joined = "".join(texts)
    has_unicode = any(_is_unicode_vietnamese(c) for c in joined)
    tcvn3 = sum(1 for c in joined if c in TCVN3_SIGNS and c not in VNI_SIGNS)
    vni = sum(1 for c in joined if c in VNI_SIGNS and c not in TCVN3_SIGNS)
    both = sum(1 for c in joined if c in VNI_SIGNS and c in TCVN3_SIGNS)
    legacy = tcvn3 + vni + both
    if not legacy:
        # VNI can hide behind Latin-1 letters alone ("Traàn Thò"): a vowel followed by its own
        # hat or breve mark never occurs in Unicode Vietnamese
        if not has_unicode and _VNI_ONLY.search(joined):
            return "vni"
        return "unicode"
    if has_unicode:
        raise MixedEncoding("mixed")
    if vni > tcvn3:
        return "vni"
    if tcvn3 > vni:
        return "tcvn3"
    # only signs both encodings use: VNI writes its marks after a vowel ("Vaên"), TCVN3 writes
    # whole accented vowels, so its signs follow consonants ("V¨n")
    return "vni" if _after_vowel(joined) > 0 else "tcvn3"


_VNI_ONLY = re.compile(r"[aA][áàãâêéèÁÀÃÂÊÉÈ]|[eE][áàãâÁÀÃÂ]|[oO][âÂ]")
_VNI_MARKS = set("âêùøûõïáàåãäéèúüë")


def _after_vowel(text: str) -> int:
    """Marks after a vowel minus marks after anything else."""
    score = 0
    for prev, ch in zip(text, text[1:]):
        if ch.lower() in _VNI_MARKS:
            score += 1 if prev.lower() in "aeiouy" else -1
    return score


CONVERTERS = {"tcvn3": tcvn3_to_unicode, "vni": vni_to_unicode, "unicode": lambda t: unicodedata.normalize("NFC", t)}
ENCODING_VI = {"tcvn3": "TCVN3 (ABC, .VnTime)", "vni": "VNI (VNI-Times)", "unicode": "Unicode"}
