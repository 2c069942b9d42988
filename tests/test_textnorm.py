"""Normalisation: what a citizen types without diacritics, in old tone placement, or in texting style
must reach the same words as the knowledge base."""

from __future__ import annotations

import pytest

from bot.textnorm import SynonymTable, canonical, clean, fold, normalize, tokens


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
