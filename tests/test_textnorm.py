"""Normalisation: what a citizen types without diacritics, in old tone placement, or in texting style
must reach the same words as the knowledge base."""

from __future__ import annotations

import pytest

from bot.understanding.text import SynonymTable, canonical, clean, fold, is_syllable, normalize, telex_repair, tokens


@pytest.mark.parametrize(
    ("old", "new"),
    [("hoà giải", "hòa giải"), ("thuý", "thúy"), ("khoẻ", "khỏe"), ("Hoà Bình", "hòa bình"), ("quý", "quý")],
)
def test_old_and_new_tone_placement_are_equal(old: str, new: str) -> None:
    assert canonical(old) == canonical(new)


def test_tone_on_shaped_vowel_is_kept_in_place() -> None:
    assert canonical("người được") == "người được"
    assert canonical("thuở") == canonical("thuở")


def test_fold_strips_every_diacritic_and_d_bar() -> None:
    assert fold("Đăng ký khai sinh ở đâu") == "Dang ky khai sinh o dau"
    assert fold("sổ đỏ, bìa hồng") == "so do, bia hong"


def test_decomposed_input_equals_composed() -> None:
    decomposed = "ho\u0300a gia\u0309i"  # combining marks, as some keyboards send
    assert tokens(decomposed) == tokens("hòa giải") == ["hoa", "giai"]


def test_clean_drops_control_zero_width_and_bidi_characters() -> None:
    assert clean("khai\u200b sinh\u202e\x00\x07 ") == "khai sinh"


def test_repeated_letters_and_punctuation() -> None:
    assert tokens("sổ đỏooo!!! ???") == ["so", "do"]
    assert tokens("làm...sổ_đỏ") == ["lam", "so", "do"]


def test_synonyms_and_abbreviations_expand_longest_first() -> None:
    table = SynonymTable({"sổ đỏ": ["bìa đỏ", "giấy chứng nhận quyền sử dụng đất"], "không": ["ko", "k"],
                          "đăng ký": ["đk", "dk"], "căn cước": ["cccd", "chứng minh nhân dân"]})
    assert normalize("mat bia do lam lai dc ko", table) == "mat so do lam lai dc khong"
    assert normalize("Giấy chứng nhận quyền sử dụng đất", table) == "so do"
    assert normalize("đk cấp lại CCCD", table) == "dang ky cap lai can cuoc"
    assert normalize("làm chứng minh nhân dân", table) == "lam can cuoc"


def test_shipped_synonyms_cover_common_abbreviations(kb) -> None:
    table = SynonymTable(kb.synonyms)
    for variant, canon in [("ko", "khong"), ("hok", "khong"), ("dc", "duoc"), ("đk", "dang ky"),
                           ("gplx", "bang lai"), ("bhyt", "bao hiem y te"), ("lltp", "ly lich tu phap"),
                           ("sổ hồng", "so do"), ("cmnd", "can cuoc"), ("ubnd", "uy ban nhan dan"),
                           ("tthc", "thu tuc hanh chinh"), ("sổ hộ khẩu", "ho khau")]:
        assert normalize(variant, table) == canon, variant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("ddang", "dang"), ("kys", "ky"), ("kets", "ket"), ("hoon", "hon"), ("gif", "gi"), ("nhaf", "nha"),
     ("owr", "o"), ("ddaau", "dau"), ("giaays", "giay"), ("chuwngs", "chung"), ("tuwr", "tu"), ("hooj", "ho"),
     ("chieeus", "chieu"), ("nguwowif", "nguoi"), ("dduwowcj", "duoc"), ("tieengs", "tieng"), ("dduowfng", "duong"),
     ("bieets", "biet"), ("nhw", "nhu"), ("fep", "phep"), ("fai", "phai"), ("jay", "giay"), ("coong", "cong"),
     ("car", "ca"), ("own", "on"), ("too", "to"), ("max", "ma"), ("six", "si"), ("been", "ben")],
)
def test_telex_leftovers_are_repaired(typed: str, meant: str) -> None:
    assert telex_repair(typed) == meant


@pytest.mark.parametrize(
    "word",
    ["dang", "ky", "nguoi", "khuyen", "xoong", "gi", "quy", "oanh", "nghieng",  # already syllables
     "visa", "thanks", "hello", "online", "vneid", "cccd", "gplx", "tks", "web", "wifi", "facebook",  # not Telex
     "how", "new", "fee", "for", "is", "this", "lost", "cost", "most", "next",  # English
     "a1", "ct07", "w", "ss"],  # digits, too short, no vowel
)
def test_words_that_are_not_telex_leftovers_are_kept(word: str) -> None:
    assert telex_repair(word) == word


def test_known_words_are_never_repaired_and_a_repair_may_land_on_one() -> None:
    assert telex_repair("vs", {"vs"}) == "vs"
    assert telex_repair("ddc", {"dc"}) == "dc"  # "đc", typed in Telex: an abbreviation, not a syllable
    assert telex_repair("ddc") == "ddc"


def test_is_syllable_follows_vietnamese_spelling() -> None:
    assert all(is_syllable(w) for w in ["a", "anh", "nghieng", "gia", "gi", "quyet", "uong", "khuya", "xoong"])
    assert not any(is_syllable(w) for w in ["kys", "ddang", "hoon", "gif", "thanks", "cccd", "nguwoi", "fep"])


def test_no_word_of_the_shipped_knowledge_base_is_taken_for_a_telex_leftover(kb) -> None:
    table = SynonymTable(kb.synonyms)
    texts = [q for t in kb.topics for q in (t.title, *t.questions)]
    texts += [p for o in kb.out_of_scope for p in o.patterns] + [p for s in kb.smalltalk for p in s.patterns]
    changed = {w for text in texts for w in tokens(text) if telex_repair(w, table.words) != w}
    assert not changed


def test_telex_and_misspelt_questions_reach_the_words_of_the_correct_one(kb) -> None:
    table = SynonymTable(kb.synonyms)
    for typed, correct in [("ddang kys kets hoon can gif", "đăng ký kết hôn cần gì"),
                           ("lamf cang cuoc owr ddaau", "làm căn cước ở đâu"),
                           ("lam giay khai sin cho con", "làm giấy khai sinh cho con"),
                           ("giay fep xay dung", "giấy phép xây dựng"), ("hô chiêu", "hộ chiếu"),
                           ("li lich tu phap", "lý lịch tư pháp"), ("chung thuc chu ki", "chứng thực chữ ký"),
                           ("xin sác nhận độc thân", "xin xác nhận độc thân"), ("nệ phí", "lệ phí")]:
        assert normalize(typed, table) == normalize(correct, table), typed


def test_shipped_synonyms_fold_texting_thanks_and_particles(kb) -> None:
    table = SynonymTable(kb.synonyms)
    for variant, canon in [("thanks", "cam on"), ("tks", "cam on"), ("cám ơn", "cam on"), ("oke", "ok"),
                           ("e", "em"), ("hỏi chút", "hoi"), ("hỏi tí", "hoi"), ("khum", "khong")]:
        assert normalize(variant, table) == canon, variant
    assert normalize("sổ đỏ bị hỏng", table) == "so do bi hong"  # "hỏng" (broken) is not "hông" (không)
