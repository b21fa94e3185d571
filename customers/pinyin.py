"""Pinyin search keys for names: ``张伟`` → ``zhangwei`` and ``zw``.

pypinyin reads a character as it is most often read, which is wrong for several surnames
(单 is shan, not dan; 曾 zeng, not ceng), so the family name is looked up here first.
"""

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

COMPOUND_SURNAMES = {
    "欧阳": "ou yang",
    "司马": "si ma",
    "上官": "shang guan",
    "诸葛": "zhu ge",
    "东方": "dong fang",
    "皇甫": "huang fu",
    "尉迟": "yu chi",
    "公孙": "gong sun",
    "长孙": "zhang sun",
    "慕容": "mu rong",
    "令狐": "ling hu",
    "宇文": "yu wen",
    "司徒": "si tu",
    "夏侯": "xia hou",
    "轩辕": "xuan yuan",
    "万俟": "mo qi",
    "单于": "chan yu",
    "澹台": "tan tai",
    "端木": "duan mu",
    "南宫": "nan gong",
    "钟离": "zhong li",
    "呼延": "hu yan",
    "赫连": "he lian",
    "独孤": "du gu",
    "拓跋": "tuo ba",
}

SURNAMES = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "乐": "yue",
    "盖": "ge",
    "繁": "po",
    "召": "shao",
    "缪": "miao",
    "翟": "zhai",
    "覃": "qin",
    "员": "yun",
    "贠": "yun",
    "秘": "bi",
    "冼": "xian",
    "华": "hua",
    "过": "guo",
    "纪": "ji",
    "种": "chong",
    "重": "chong",
    "瞿": "qu",
    "折": "she",
    "那": "na",
    "难": "nan",
    "藏": "zang",
    "都": "du",
    "薄": "bo",
    "贾": "jia",
    "居": "ju",
    "盛": "sheng",
    "柏": "bai",
    "牟": "mou",
    "陆": "lu",
    "乜": "nie",
    "阚": "kan",
    "叶": "ye",
    "沈": "shen",
    "宿": "su",
    "卜": "bu",
    "殷": "yin",
    "尉": "yu",
    "句": "gou",
    "眭": "sui",
    "洗": "xian",
    "祭": "zhai",
    "家": "jia",
}


@lru_cache(maxsize=100_000)  # names repeat (张伟, 王芳…): an import of 100,000 reads each once
@lru_cache(maxsize=20_000)
def name_keys(name: str, *, person: bool = True) -> tuple[str, str]:
    """(full pinyin, initials) of a person's or company's name, lower case, no spaces.

    The surname readings apply to people only: a company called 单县… is read as pypinyin
    reads it.
    """
    name = (name or "").strip()
    syllables = []
    rest = name
    if not person:
        pass
    elif name[:2] in COMPOUND_SURNAMES:
        syllables += COMPOUND_SURNAMES[name[:2]].split()
        rest = name[2:]
    elif name[:1] in SURNAMES:
        syllables.append(SURNAMES[name[:1]])
        rest = name[1:]
    for chunk in lazy_pinyin(rest, style=Style.NORMAL, errors="default"):
        # Latin words pass through pypinyin whole: "Tom Li" counts as "tom" and "li".
        syllables += [word for word in re.split(r"[^0-9A-Za-z]+", chunk.lower()) if word]
    full = "".join(syllables)
    initials = "".join(s[0] for s in syllables)
    return full[:200], initials[:50]
