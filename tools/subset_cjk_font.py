"""Build ``corpus_utils/data/fonts/CorpusCJKSans-Regular.otf``: Noto Sans CJK SC Regular cut to what figures need.

Matplotlib's bundled DejaVu Sans has no Chinese glyphs, and a system font would make a figure's bytes depend
on the machine. So the package ships its own: the simplified-Chinese face of Noto Sans CJK (SIL Open Font
License 1.1), cut with fontTools to the CJK Unified Ideographs block (U+4E00–U+9FFF: every simplified and
traditional character in ordinary use), CJK and full-width punctuation, general punctuation and enclosed
CJK signs — 21,600 characters, 5 MB instead of 19 MB for the whole collection — and renamed "Corpus CJK Sans",
as the licence asks of a modified version. Latin text keeps DejaVu Sans (figures fall back to this font only
for characters DejaVu Sans lacks).

Usage (the source is Debian's ``fonts-noto-cjk`` 1:20220127, i.e. Noto Sans CJK 2.004; face 2 of the
collection is SC)::

    python tools/subset_cjk_font.py /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

TARGET = Path(__file__).resolve().parents[1] / "corpus_utils" / "data" / "fonts" / "CorpusCJKSans-Regular.otf"
FAMILY = "Corpus CJK Sans"
RANGES = ((0x4E00, 0xA000), (0x3000, 0x3040), (0xFF00, 0xFFF0), (0x2010, 0x2040), (0x3200, 0x3300))


def build(source: Path, target: Path = TARGET) -> Path:
    font = TTCollection(str(source)).fonts[2] if source.suffix.lower() == ".ttc" else TTFont(str(source))
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[code for start, stop in RANGES for code in range(start, stop)])
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID == 4:
            record.string = f"{FAMILY} Regular"
        elif record.nameID == 6:
            record.string = "CorpusCJKSans-Regular"
        elif record.nameID == 3:
            record.string = f"{FAMILY} Regular; subset of Noto Sans CJK SC 2.004"
    if "CFF " in font:
        font["CFF "].cff.fontNames = ["CorpusCJKSans-Regular"]
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(target))
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/subset_cjk_font.py NotoSansCJK-Regular.ttc")
    print(build(Path(sys.argv[1])))
