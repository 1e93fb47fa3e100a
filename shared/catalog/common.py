"""Field types shared by the catalog."""
import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Month = Annotated[str, StringConstraints(pattern=r"^(19|2[01])\d{2}-(0[1-9]|1[0-2])$")]
#: a business date the system can reason about (period arithmetic stays inside the calendar)
#: (the bounds are in the published JSON Schema too: a year pattern and formatMinimum/formatMaximum)
BusinessDate = Annotated[dt.date, Field(ge=dt.date(1900, 1, 1), le=dt.date(2199, 12, 31), json_schema_extra={
    "pattern": r"^(19|2[01])\d{2}-\d{2}-\d{2}$", "formatMinimum": "1900-01-01", "formatMaximum": "2199-12-31"})]
Sex = Literal["male", "female"]
Demobilised = Literal["none", "army", "police"]
OrgKind = Literal["province", "direct", "grassroots_committee", "grassroots_cell", "branch", "cell"]
MEMBER_HOLDING_KINDS = ("grassroots_cell", "cell")
RemovalGround = Literal["abandoned_activity", "unpaid_dues", "card_returned", "no_progress",
                        "standards_violated_two_years", "political_standard", "failed_probation"]
ExemptionGround = Literal["old_age", "illness", "treatment_far_away", "abroad_alone", "mobile_work",
                          "awaiting_retirement", "maternity"]
Rating = Literal["excellent", "good", "complete", "not_complete"]
#: spaces that mean one space in a name or a place: no-break (pasted from a web page or Word),
#: the typographic ones, several in a row (tab and line breaks are left to the control check)
SPACES = re.compile("[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")


def one_space(text: str) -> str:
    """``text`` with each run of spaces (of any kind above) one plain space, and no space at
    either end: "Nguyễn\u00a0 Văn A " is "Nguyễn Văn A", as typed on a form or read from a sheet."""
    return SPACES.sub(" ", text).strip()


def _one_spaced(value):
    return one_space(value) if isinstance(value, str) else value


#: a name or a place: its spaces as ``one_space`` leaves them (the live commands and the
#: spreadsheet import read "Nguyễn  Văn A" and "Nguyễn Văn A" as the same name)
Name = Annotated[str, BeforeValidator(_one_spaced), StringConstraints(min_length=1, max_length=300,
                                                                     strip_whitespace=True)]
Text = Annotated[str, Field(max_length=4000)]
#: a sealed free text (up to 4,000 characters of Vietnamese in clear: 3 bytes a character, then Fernet's
#: padding, MAC and base64), or such a text in clear in events written before it was sealed
SealedText = Annotated[str, StringConstraints(max_length=24000)]
