"""Realistic, deterministic demo people: names with readings, prefectures, relations."""

import random

FAMILY = [
    ("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし"), ("田中", "たなか"),
    ("伊藤", "いとう"), ("渡辺", "わたなべ"), ("山本", "やまもと"), ("中村", "なかむら"),
    ("小林", "こばやし"), ("加藤", "かとう"), ("吉田", "よしだ"), ("山田", "やまだ"),
    ("佐々木", "ささき"), ("松本", "まつもと"), ("井上", "いのうえ"), ("木村", "きむら"),
    ("林", "はやし"), ("清水", "しみず"), ("山口", "やまぐち"), ("森", "もり"),
    ("錦織", "にしこり"), ("石倉", "いしくら"), ("景山", "かげやま"), ("安部", "あべ"),
    ("福間", "ふくま"), ("槇原", "まきはら"), ("原", "はら"), ("岡田", "おかだ"),
]  # fmt: skip
GIVEN = [
    ("花子", "はなこ"), ("美咲", "みさき"), ("陽菜", "ひな"), ("結衣", "ゆい"),
    ("葵", "あおい"), ("さくら", "さくら"), ("真由美", "まゆみ"), ("恵", "めぐみ"),
    ("彩", "あや"), ("千尋", "ちひろ"),
    ("太郎", "たろう"), ("翔太", "しょうた"), ("大輔", "だいすけ"), ("健一", "けんいち"),
    ("拓海", "たくみ"), ("蓮", "れん"), ("悠真", "ゆうま"), ("誠", "まこと"), ("浩二", "こうじ"),
    ("直樹", "なおき"), ("亮", "りょう"), ("聡", "さとし"),
]  # fmt: skip
# Where 関係人口 of a Shimane programme live: mostly the big cities, some in the region itself.
PREFECTURE_WEIGHTS = [
    ("13", 34), ("27", 14), ("32", 14), ("14", 9), ("11", 5), ("12", 4), ("23", 4),
    ("34", 4), ("33", 3), ("31", 3), ("26", 2), ("28", 2), ("40", 2), ("01", 1), ("04", 1),
]  # fmt: skip
RELATION_CODES = ["origin", "former_resident", "work", "interest", "other"]


def demo_participants(count: int = 120, seed: int = 2026):
    """Yield dicts for p001@example.jp … pNNN@example.jp (same people every run)."""
    rng = random.Random(seed)
    codes, weights = zip(*PREFECTURE_WEIGHTS, strict=True)
    for i in range(1, count + 1):
        family, family_kana = rng.choice(FAMILY)
        given, given_kana = rng.choice(GIVEN)
        prefecture = rng.choices(codes, weights)[0]
        if prefecture == "32":
            relations = rng.sample(["origin", "work", "interest"], rng.randint(1, 2))
        else:
            relations = rng.sample(RELATION_CODES[:4], rng.randint(1, 2))
        yield {
            "email": f"p{i:03d}@example.jp",
            "name": f"{family} {given}",
            "furigana": f"{family_kana} {given_kana}",
            "prefecture": prefecture,
            "relations": relations,
        }
